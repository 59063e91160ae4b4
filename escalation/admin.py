from django.contrib import admin

from .models import SlaTarget


@admin.register(SlaTarget)
class SlaTargetAdmin(admin.ModelAdmin):
    list_display = ["__str__", "severity", "response_minutes", "resolution_minutes"]
    list_filter = ["severity", ("contract", admin.EmptyFieldListFilter)]
    list_select_related = ["contract"]
    autocomplete_fields = ["contract"]
