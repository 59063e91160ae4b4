from django import forms
from django.contrib import admin

from incidents.admin_actions import add_action
from servicedesk.lib.forms import NHSNumberGuardMixin

from .models import EscalationLevel, EscalationThreshold, LevelContact
from .services import incident_deescalate, incident_escalate


# Stacked, not tabular: a table's cells give its inputs no labels (axe: label, critical), a stacked form
# labels each one. For the same reason the general contacts are a labelled list, not admin's two-box filter
# (whose search icons carry an ARIA label that a plain span may not).
class EscalationThresholdInline(admin.StackedInline):
    model = EscalationThreshold
    extra = 0


class LevelContactInline(admin.StackedInline):
    """The level's contacts for one product (the team leader responsible for it) or one contract (its
    allocated Customer Liaison Officer): told of its escalations instead of the general contacts."""

    model = LevelContact
    extra = 0
    autocomplete_fields = ["person"]
    verbose_name = "contact for a product or a contract"
    verbose_name_plural = "contacts for a product or a contract (ahead of the general contacts)"


@admin.register(EscalationLevel)
class EscalationLevelAdmin(admin.ModelAdmin):
    list_display = ["position", "role_name", "managed_service_only"]
    inlines = [LevelContactInline, EscalationThresholdInline]


class EscalationForm(NHSNumberGuardMixin):
    reason = forms.CharField(label="Reason (the practice sees it)", widget=forms.Textarea)


def _with_reason(service):
    return lambda incident, actor, form: service(incident, actor=actor, reason=form.cleaned_data["reason"])


# The desk's buttons on an incident's change page (incidents/admin_actions.py).
add_action(
    "escalate",
    "Escalate",
    EscalationForm,
    _with_reason(incident_escalate),
    offered=lambda incident: incident.is_open,
)
add_action(
    "deescalate",
    "De-escalate",
    EscalationForm,
    _with_reason(incident_deescalate),
    offered=lambda incident: incident.escalation_level_id is not None,
)
