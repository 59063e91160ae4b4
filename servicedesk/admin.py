from django.contrib import admin
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin as OTPTOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from .lib.admin import SecretFieldsAdminMixin
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


# django-otp's admin, but its secret keys cannot be probed one character at a time from the query string.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(SecretFieldsAdminMixin, OTPTOTPDeviceAdmin):
    secret_fields = ["key"]
