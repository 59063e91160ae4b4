from django.contrib import admin

from .models import PendingTask


@admin.register(PendingTask)
class PendingTaskAdmin(admin.ModelAdmin):
    """The outbox, for seeing what waits for the broker or the mail server: flushed every minute."""

    list_display = ["task_name", "args", "created_at", "attempts", "last_error"]
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
