"""The desk's lifecycle actions in admin: one small form per action, each calling one service."""

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import User
from servicedesk.lib.forms import NHSNumberGuardMixin

from . import services
from .forms import MultipleFileField, NoteForm, severity_choices
from .models import CannedReply, Release, Severity, Status
from .services import AGENT, allowed_actions

# The name of the forms' "Insert" button (admin/incidents/incident/snippets/action_form.html).
INSERT = "insert_canned_reply"


class CannedReplySelect(forms.Select):
    """The canned replies, each option carrying its text filled in for the incident (`filled(reply)`), for
    static/js/canned_reply.js to insert without a round trip. Escaped like any attribute."""

    filled = None

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if self.filled and getattr(value, "instance", None) is not None:
            option["attrs"]["data-text"] = self.filled(value.instance)
        return option


class CannedReplyMixin(forms.Form):
    """A form whose text field (`canned_target`) can start from a canned reply. Without JavaScript the agent
    chooses one and presses Insert: the form comes back unsaved, as typed, with the reply's text, filled in
    for this incident, in that field (with_canned_reply). The NHS-number guard checks the text when sent."""

    canned_target = "text"

    canned_reply = forms.ModelChoiceField(
        queryset=CannedReply.objects.all(),
        widget=CannedReplySelect,
        required=False,
        label="Canned reply",
        help_text="Choose one and press Insert: its text, filled in for this incident, replaces the text "
        "below. Nothing is sent until you submit the form.",
    )

    def __init__(self, *args, incident, agent, **kwargs):
        super().__init__(*args, **kwargs)
        self.incident, self.agent = incident, agent
        chooser = self.fields["canned_reply"].widget
        chooser.filled = lambda reply: reply.fill(incident, agent)
        chooser.attrs["data-canned-target"] = f"id_{self.add_prefix(self.canned_target)}"  # the box it fills
        names = [name for name in self.fields if name != "canned_reply"]
        names.insert(names.index(self.canned_target), "canned_reply")
        self.order_fields(names)

    def with_canned_reply(self):
        """This (bound) form unbound again, holding what was typed, the chosen reply's text in place of
        the target field's; and whether a reply was chosen."""
        typed = {
            name: field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            for name, field in self.fields.items()
            if not isinstance(field, forms.FileField)
        }
        try:
            chosen = self.fields["canned_reply"].clean(typed["canned_reply"])
        except ValidationError:
            chosen = None
        if chosen:
            typed[self.canned_target] = chosen.fill(self.incident, self.agent)
        return type(self)(initial=typed, incident=self.incident, agent=self.agent), chosen is not None


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
        self.incident = incident
        self.fields["release"].queryset = Release.objects.filter(
            product=incident.product, shipped_on__isnull=True
        ).select_related("product")
        if incident.product_id is None:  # emailed, and its checklist not yet completed
            self.fields["release"].help_text = services.NO_PRODUCT_TO_SCHEDULE

    def clean(self):
        if self.incident.product_id is None:
            raise forms.ValidationError(services.NO_PRODUCT_TO_SCHEDULE)
        return super().clean()


class ResolveForm(CannedReplyMixin, NHSNumberGuardMixin):
    canned_target = "resolution"

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


class AgentNoteForm(CannedReplyMixin, NoteForm):
    public = forms.BooleanField(
        label="Public: the practice sees it and is emailed", required=False, initial=True
    )
    files = MultipleFileField(label="Attach files", required=False)


def _staff():
    return User.objects.filter(is_staff=True, is_active=True)


class TriageForm(CannedReplyMixin, NHSNumberGuardMixin):
    """The desk's first reading of a logged incident, in one form (services.incident_triage)."""

    canned_target = "reply"

    severity = forms.TypedChoiceField(
        choices=severity_choices,
        coerce=int,
        widget=forms.RadioSelect,
        help_text="The handbook's definitions; the one the practice chose is selected.",
    )
    assignee = forms.ModelChoiceField(queryset=_staff(), required=False, empty_label="Nobody")
    reply = forms.CharField(
        label="First reply to the practice (optional)",
        required=False,
        widget=forms.Textarea,
        help_text="Public: it goes on the timeline, and the practice's email about the triage quotes it.",
    )

    def __init__(self, *args, incident, agent, **kwargs):
        super().__init__(*args, incident=incident, agent=agent, **kwargs)
        self.fields["severity"].initial = incident.severity
        self.fields["assignee"].initial = agent.pk


def _calls(service, *fields, **renamed):
    """How an action calls `service`: the form's `fields` as keyword arguments of the same name, and each
    of `renamed` (argument=field) under another name."""
    names = {**{field: field for field in fields}, **renamed}
    return lambda incident, actor, form: service(
        incident, actor=actor, **{argument: form.cleaned_data[field] for argument, field in names.items()}
    )


# name: (title, form class, how to call the service with the valid form)
ACTIONS = {
    "verify": ("Verify", OptionalNoteForm, _calls(services.incident_verify, "note")),
    "start_investigation": (
        "Start investigating",
        OptionalNoteForm,
        _calls(services.incident_start_investigation, "note"),
    ),
    "await_customer": (
        "Wait for the customer",
        QuestionForm,
        _calls(services.incident_await_customer, "question"),
    ),
    "schedule_fix": (
        "Schedule a fix into a release",
        ScheduleFixForm,
        _calls(services.incident_schedule_fix, "release", "workaround"),
    ),
    "resolve": ("Resolve", ResolveForm, _calls(services.incident_resolve, "resolution", "is_workaround")),
    "confirm_by_phone": (
        "Record a confirmation by telephone",
        PhoneConfirmationForm,
        _calls(services.incident_confirm_by_phone, "confirmed_by"),
    ),
    "change_severity": (
        "Change the severity",
        SeverityForm,
        _calls(services.incident_change_severity, "severity", "reason"),
    ),
    "assign": ("Assign", AssignForm, _calls(services.incident_assign, "assignee")),
    "triage": (
        "Triage",
        TriageForm,
        _calls(services.incident_triage, "severity", "assignee", "reply"),
    ),
    "note": (
        "Add a note",
        AgentNoteForm,
        _calls(services.incident_add_note, "text", "public", uploads="files"),
    ),
}


def _whom(user, agent):
    return "you" if user == agent else user.full_name


def _triaged(ref, data, agent):
    assignee = data["assignee"]
    said = f"{ref} verified and "
    said += f"assigned to {_whom(assignee, agent)}" if assignee else "left unassigned"
    if data["reply"].strip():
        said += "; the practice was emailed your reply"
    return said


def _noted(ref, data, agent):
    if data["public"]:
        return f"Note added to {ref} (the practice was emailed)"
    return f"Internal note added to {ref} (not shown to the practice)"


# What the change page says once an action is done: {name: said(reference, the form's data, the agent)}.
DONE = {
    "verify": lambda ref, data, agent: f"{ref} verified",
    "start_investigation": lambda ref, data, agent: f"{ref} is being investigated",
    "await_customer": lambda ref, data, agent: f"{ref} is waiting for the practice",
    "schedule_fix": lambda ref, data, agent: f"{ref} scheduled into {data['release']}",
    "resolve": lambda ref, data, agent: f"{ref} resolved; the practice has been asked to confirm",
    "confirm_by_phone": lambda ref, data, agent: (
        f"{ref} closed: {data['confirmed_by']} confirmed it by telephone"
    ),
    "change_severity": lambda ref, data, agent: f"{ref} is now severity {Severity(data['severity']).label}",
    "assign": lambda ref, data, agent: (
        f"{ref} assigned to {_whom(data['assignee'], agent)}" if data["assignee"] else f"{ref} is unassigned"
    ),
    "note": _noted,
    "triage": _triaged,
}


def done_in_words(action, title, incident, form, agent):
    """The confirmation of a done action, in words ("PC000030 verified")."""
    said = DONE.get(action)
    if said is None:  # another app's action (ADDED)
        return f"{incident.reference}: {title.lower()}, done."
    return said(incident.reference, form.cleaned_data, agent) + "."


def triage_form(incident, agent):
    """The change page's triage form, while the incident waits to be verified; else None."""
    if incident.status != Status.LOGGED:
        return None
    return TriageForm(incident=incident, agent=agent)


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
    """The actions the change page offers for the incident: (name, title) pairs."""
    own = [*allowed_actions(incident, AGENT), *ALWAYS] if incident.is_open else ["note"]
    names = [*own, *(name for name, offered in ADDED.items() if offered(incident))]
    return [(name, ACTIONS[name][0]) for name in names]
