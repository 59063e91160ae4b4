from django.contrib import admin

from .models import EscalationLevel, EscalationThreshold, SlaTarget


@admin.register(SlaTarget)
class SlaTargetAdmin(admin.ModelAdmin):
    list_display = ["__str__", "severity", "response_minutes", "resolution_minutes"]
    list_filter = ["severity", ("contract", admin.EmptyFieldListFilter)]
    list_select_related = ["contract"]
    autocomplete_fields = ["contract"]


class EscalationThresholdInline(admin.TabularInline):
    model = EscalationThreshold
    extra = 0


@admin.register(EscalationLevel)
class EscalationLevelAdmin(admin.ModelAdmin):
    list_display = ["position", "role_name", "managed_service_only"]
    filter_horizontal = ["contacts"]
    inlines = [EscalationThresholdInline]
