from django import forms
from django.contrib import admin

from incidents.admin_actions import add_action
from servicedesk.lib.forms import NHSNumberGuardMixin

from .models import EscalationLevel, EscalationThreshold
from .services import incident_deescalate, incident_escalate


class EscalationThresholdInline(admin.TabularInline):
    model = EscalationThreshold
    extra = 0


@admin.register(EscalationLevel)
class EscalationLevelAdmin(admin.ModelAdmin):
    list_display = ["position", "role_name", "managed_service_only"]
    filter_horizontal = ["contacts"]
    inlines = [EscalationThresholdInline]


class EscalationForm(NHSNumberGuardMixin):
    reason = forms.CharField(label="Reason (the practice sees it)", widget=forms.Textarea)


# The desk's buttons on an incident's change page (incidents/admin_actions.py).
add_action(
    "escalate",
    "Escalate",
    EscalationForm,
    lambda incident, actor, form: incident_escalate(
        incident, actor=actor, reason=form.cleaned_data["reason"]
    ),
    offered=lambda incident: incident.is_open,
)
add_action(
    "deescalate",
    "De-escalate",
    EscalationForm,
    lambda incident, actor, form: incident_deescalate(
        incident, actor=actor, reason=form.cleaned_data["reason"]
    ),
    offered=lambda incident: incident.escalation_level_id is not None,
)
