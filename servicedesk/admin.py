from django.contrib import admin

from .lib.admin import ReadOnlyAdmin
from .models import PendingTask


@admin.register(PendingTask)
class PendingTaskAdmin(ReadOnlyAdmin):
    """The outbox, for seeing what waits for the broker or the mail server: flushed every minute."""

    list_display = ["task_name", "args", "created_at", "attempts", "last_error"]
    readonly_fields = list_display

    def has_delete_permission(self, request, obj=None):
        # A task that can never run (see its last error after 50 attempts) may be dropped by hand.
        return admin.ModelAdmin.has_delete_permission(self, request, obj)
