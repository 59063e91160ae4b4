"""The desk's lifecycle actions in admin: one small form per action, each calling one service."""

from django import forms

from accounts.models import User
from servicedesk.lib.forms import NHSNumberGuardMixin

from . import services
from .forms import MultipleFileField, NoteForm, severity_choices
from .models import Release
from .services import AGENT, allowed_actions


class OptionalNoteForm(NHSNumberGuardMixin):
    note = forms.CharField(label="Note for the practice (optional)", required=False, widget=forms.Textarea)


class QuestionForm(NHSNumberGuardMixin):
    question = forms.CharField(label="What do you need from the practice?", widget=forms.Textarea)


class ScheduleFixForm(NHSNumberGuardMixin):
    release = forms.ModelChoiceField(
        queryset=Release.objects.none(), help_text="A release of this product still to come."
    )
    workaround = forms.CharField(
        label="Temporary workaround (shown to the practice)", required=False, widget=forms.Textarea
    )

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["release"].queryset = Release.objects.filter(
            product=incident.product, shipped_on__isnull=True
        ).select_related("product")


class ResolveForm(NHSNumberGuardMixin):
    resolution = forms.CharField(label="Solution supplied", widget=forms.Textarea)
    is_workaround = forms.BooleanField(label="This is a temporary workaround", required=False)


class PhoneConfirmationForm(NHSNumberGuardMixin):
    confirmed_by = forms.CharField(label="Who at the practice confirmed it by telephone?", max_length=150)


class SeverityForm(NHSNumberGuardMixin):
    severity = forms.TypedChoiceField(choices=severity_choices, coerce=int, widget=forms.RadioSelect)
    reason = forms.CharField(label="Reason (the practice sees it)", widget=forms.Textarea)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=User.objects.filter(is_staff=True, is_active=True), required=False, empty_label="Nobody"
    )


class AgentNoteForm(NoteForm):
    public = forms.BooleanField(
        label="Public: the practice sees it and is emailed", required=False, initial=True
    )
    files = MultipleFileField(label="Attach files", required=False)


def _takes_incident(form_class):
    return form_class is ScheduleFixForm


# name: (title, form class, how to call the service with the valid form)
ACTIONS = {
    "verify": (
        "Verify",
        OptionalNoteForm,
        lambda i, a, f: services.incident_verify(i, actor=a, note=f.cleaned_data["note"]),
    ),
    "start_investigation": (
        "Start investigating",
        OptionalNoteForm,
        lambda i, a, f: services.incident_start_investigation(i, actor=a, note=f.cleaned_data["note"]),
    ),
    "await_customer": (
        "Wait for the customer",
        QuestionForm,
        lambda i, a, f: services.incident_await_customer(i, actor=a, question=f.cleaned_data["question"]),
    ),
    "schedule_fix": (
        "Schedule a fix into a release",
        ScheduleFixForm,
        lambda i, a, f: services.incident_schedule_fix(
            i, actor=a, release=f.cleaned_data["release"], workaround=f.cleaned_data["workaround"]
        ),
    ),
    "resolve": (
        "Resolve",
        ResolveForm,
        lambda i, a, f: services.incident_resolve(
            i, actor=a, resolution=f.cleaned_data["resolution"], is_workaround=f.cleaned_data["is_workaround"]
        ),
    ),
    "confirm_by_phone": (
        "Record a confirmation by telephone",
        PhoneConfirmationForm,
        lambda i, a, f: services.incident_confirm_by_phone(
            i, actor=a, confirmed_by=f.cleaned_data["confirmed_by"]
        ),
    ),
    "change_severity": (
        "Change the severity",
        SeverityForm,
        lambda i, a, f: services.incident_change_severity(
            i, actor=a, severity=f.cleaned_data["severity"], reason=f.cleaned_data["reason"]
        ),
    ),
    "assign": (
        "Assign",
        AssignForm,
        lambda i, a, f: services.incident_assign(i, actor=a, assignee=f.cleaned_data["assignee"]),
    ),
    "note": (
        "Add a note",
        AgentNoteForm,
        lambda i, a, f: services.incident_add_note(
            i,
            actor=a,
            text=f.cleaned_data["text"],
            public=f.cleaned_data["public"],
            uploads=f.cleaned_data["files"],
        ),
    ),
}

# Actions offered whatever the status (the services still refuse them on a closed incident).
ALWAYS = ("change_severity", "assign", "note")
# Actions other apps add (escalation/admin.py), each with when it is offered: {name: offered(incident)}.
ADDED = {}


def add_action(name, title, form_class, call, *, offered):
    """Offer another app's action on the change page, when `offered(incident)` is true: a small form that
    calls that app's service, like the actions above."""
    ACTIONS[name] = (title, form_class, call)
    ADDED[name] = offered


def offered_actions(incident):
    """The actions the change page offers for the incident, by name."""
    own = [*allowed_actions(incident, AGENT), *ALWAYS] if incident.is_open else ["note"]
    return [*own, *(name for name, offered in ADDED.items() if offered(incident))]


def build_form(name, incident, data=None, files=None):
    form_class = ACTIONS[name][1]
    kwargs = {"incident": incident} if _takes_incident(form_class) else {}
    return form_class(data, files, **kwargs)
