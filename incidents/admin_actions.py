"""The desk's lifecycle actions in admin: one small form per action, each calling one service."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from servicedesk.lib.forms import NHSNumberGuardMixin, NoNHSNumbersMixin

from . import known_issues, services
from .forms import MultipleFileField, NoteForm, severity_choices
from .models import CannedReply, Incident, KnownIssue, Release, Severity, Status
from .services import AGENT, allowed_actions
from .tasks import practice_recipients

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


class ReleaseChoiceField(forms.ModelChoiceField):
    """A release, with its target date; one whose date has passed says so (it has not shipped yet)."""

    def label_from_instance(self, release):
        due = f"due {release.target_date:%-d %B %Y}"
        if release.target_date < timezone.localdate():
            due = f"{due}, which has passed"
        return f"{release} – {due}"


class ScheduleFixForm(NHSNumberGuardMixin):
    """Schedule into a release still to come: one chosen, or a new one described here and created with it."""

    takes_incident = True

    release = ReleaseChoiceField(
        queryset=Release.objects.none(),
        required=False,
        empty_label="A new release (give it below)",
        help_text="A release of this product still to come, or a new one.",
    )
    new_version = forms.CharField(label="New release: version", max_length=50, required=False)
    new_kind = forms.ChoiceField(
        label="New release: planned or emergency",
        choices=Release.Kind.choices,
        initial=Release.Kind.PLANNED,
        widget=forms.RadioSelect,
        required=False,
    )
    new_target_date = forms.DateField(
        label="New release: target date", required=False, widget=forms.DateInput(attrs={"type": "date"})
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
        data = super().clean()
        version = data.get("new_version", "").strip()
        if data.get("release") and version:
            self.add_error("new_version", "Choose a release above or give a new one here, not both.")
        elif not data.get("release") and "release" not in self.errors:
            self._clean_new_release(version, data)
        return data

    def _clean_new_release(self, version, data):
        """The new release's details, each refused beside its field: as release_create would refuse them."""
        product = self.incident.product
        if not version:
            self.add_error("new_version", "Give the new release's version, or choose a release above.")
        elif Release.objects.filter(product=product, version=version).exists():
            self.add_error("new_version", f"{product.name} already has a release {version}.")
        if not data.get("new_kind") and "new_kind" not in self.errors:
            self.add_error("new_kind", "Choose planned or emergency.")
        when = data.get("new_target_date")
        if when is None and "new_target_date" not in self.errors:
            self.add_error("new_target_date", "Give the new release's target date.")
        elif when is not None and when < timezone.localdate():
            self.add_error("new_target_date", "The target date has passed: give a date from today on.")


def _schedule_fix(incident, actor, form):
    data = form.cleaned_data
    if data["release"]:
        return services.incident_schedule_fix(
            incident, actor=actor, release=data["release"], workaround=data["workaround"]
        )
    return services.incident_schedule_fix_into_new_release(
        incident,
        actor=actor,
        version=data["new_version"],
        kind=data["new_kind"],
        target_date=data["new_target_date"],
        workaround=data["workaround"],
    )


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
        _schedule_fix,
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
        said += "; the practice was emailed your reply" if data["emailed"] else _NOBODY_EMAILED
    return said


# When nobody at the practice hears by email (a caller's practice without portal users, or all opted out).
_NOBODY_EMAILED = "; your reply is on its page, but nobody at the practice is emailed: telephone them"


def _noted(ref, data, agent):
    if data["public"] and not data["emailed"]:
        return f"Note added to {ref} (on its page; nobody at the practice is emailed)"
    if data["public"]:
        return f"Note added to {ref} (the practice was emailed)"
    return f"Internal note added to {ref} (not shown to the practice)"


# What the change page says once an action is done: {name: said(reference, the form's data, the agent)}.
DONE = {
    "verify": lambda ref, data, agent: f"{ref} verified",
    "start_investigation": lambda ref, data, agent: f"{ref} is being investigated",
    "await_customer": lambda ref, data, agent: f"{ref} is waiting for the practice",
    "schedule_fix": lambda ref, data, agent: (
        f"{ref} scheduled into {data['release'] or 'the new release ' + data['new_version']}"
    ),
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
    "mark_duplicate": lambda ref, data, agent: (
        f"{ref} marked as a duplicate of {data['reference'].reference}"
    ),
    "link_related": lambda ref, data, agent: f"{ref} linked to {data['reference'].reference} as related",
}


def done_in_words(action, title, incident, form, agent):
    """The confirmation of a done action, in words ("PC000030 verified")."""
    said = DONE.get(action)
    if said is None:  # another app's action (ADDED)
        return f"{incident.reference}: {title.lower()}, done."
    data = dict(form.cleaned_data)
    if action in EMAILS_TOLD:  # whether anyone at the practice hears of it, to say so honestly
        data["emailed"] = bool(practice_recipients(incident, EMAILS_TOLD[action]))
    return said(incident.reference, data, agent) + "."


# The actions whose confirmation says whether the practice was emailed, with the email's kind.
EMAILS_TOLD = {"triage": "incident_triaged", "note": "incident_note"}


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


# --- Linked incidents ------------------------------------------------------------------------------


class LinkForm(NoNHSNumbersMixin):
    """The reference of the incident to link to, which must exist and not be this one."""

    takes_incident = True
    nhs_unchecked_fields = ("reference",)  # only looked up, never stored

    reference = forms.CharField(label="Reference of the other incident", max_length=20)

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.incident = incident

    def clean_reference(self):
        reference = self.cleaned_data["reference"].strip().upper()
        if reference == self.incident.reference:
            raise forms.ValidationError("That is this incident's own reference: give the other one's.")
        other = Incident.objects.filter(reference=reference).first()
        if other is None:
            raise forms.ValidationError(f"No incident has the reference {reference}.")
        return other


class DuplicateForm(LinkForm):
    reference = forms.CharField(
        label="Reference of the main incident",
        max_length=20,
        help_text="Its public updates and its resolution will reach this incident and its practice too.",
    )


add_action(
    "mark_duplicate",
    "Mark as a duplicate of…",
    DuplicateForm,
    _calls(services.incident_mark_duplicate, main="reference"),
    offered=lambda incident: incident.status not in (Status.LOGGED, Status.RESOLVED, Status.CLOSED),
)
add_action(
    "link_related",
    "Link a related incident",
    LinkForm,
    _calls(services.incident_link_related, other="reference"),
    offered=lambda incident: True,
)


# --- Known issues (issue 19: incidents/known_issues.py) ----------------------------------------------


class DeclareKnownIssueForm(NHSNumberGuardMixin):
    """A known issue declared from this incident, which is then linked to it."""

    takes_incident = True

    title = forms.CharField(max_length=200, help_text="Practices see it in the banner and the list.")
    symptoms = forms.CharField(
        widget=forms.Textarea, help_text="What practices see, in their words: they match it to their fault."
    )
    versions_affected = forms.CharField(max_length=200, required=False)
    severity = forms.TypedChoiceField(
        choices=severity_choices,
        coerce=int,
        widget=forms.RadioSelect,
        help_text="Severity 1 or 2 shows a banner to every practice using the product.",
    )
    workaround = forms.CharField(label="Workaround (public)", widget=forms.Textarea, required=False)

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].initial = incident.summary
        self.fields["symptoms"].initial = incident.description
        self.fields["versions_affected"].initial = incident.version
        self.fields["severity"].initial = incident.severity


DECLARED_FIELDS = ("title", "symptoms", "versions_affected", "severity", "workaround")


def _declare_known_issue(incident, actor, form):
    given = {name: form.cleaned_data[name] for name in DECLARED_FIELDS}
    return known_issues.known_issue_declare(actor=actor, product=incident.product, incident=incident, **given)


class KnownIssueChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, known_issue):
        return f"{known_issue.title} ({known_issue.get_status_display().lower()})"


class LinkKnownIssueForm(NoNHSNumbersMixin):
    takes_incident = True

    known_issue = KnownIssueChoiceField(
        queryset=KnownIssue.objects.none(),
        help_text="A known issue of this incident's product, not yet fixed. Its public updates will reach "
        "this incident, and its fix will resolve it.",
    )

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["known_issue"].queryset = KnownIssue.objects.filter(
            product_id=incident.product_id
        ).exclude(status=KnownIssue.Status.FIXED)


class UnlinkKnownIssueForm(forms.Form):
    """Nothing to give: the button is the confirmation."""


def _unlinkable(incident):
    return incident.known_issue_id is not None and incident.is_open


def _linkable(incident):
    return incident.known_issue_id is None and incident.product_id is not None and incident.is_open


add_action("declare_known_issue", "Declare a known issue from this incident", DeclareKnownIssueForm,
           _declare_known_issue, offered=_linkable)  # fmt: skip
add_action(
    "link_known_issue",
    "Link to a known issue",
    LinkKnownIssueForm,
    lambda incident, actor, form: known_issues.known_issue_link_incident(
        form.cleaned_data["known_issue"], incident, actor=actor
    ),
    offered=_linkable,
)
add_action(
    "unlink_known_issue",
    "Unlink from its known issue",
    UnlinkKnownIssueForm,
    lambda incident, actor, form: known_issues.known_issue_unlink_incident(incident, actor=actor),
    offered=_unlinkable,
)
DONE["declare_known_issue"] = lambda ref, data, agent: (
    f"Known issue “{data['title']}” declared, and {ref} linked to it"
)
DONE["link_known_issue"] = lambda ref, data, agent: (
    f"{ref} linked to the known issue “{data['known_issue'].title}”"
)
DONE["unlink_known_issue"] = lambda ref, data, agent: f"{ref} no longer follows its known issue"


# The known issue's own actions in admin (KnownIssueAdmin.action_view): small forms like the incident's.


class KnownIssueUpdateForm(NHSNumberGuardMixin):
    text = forms.CharField(label="Update", widget=forms.Textarea)
    public = forms.BooleanField(
        label="Public: on every linked incident's timeline, and each practice emailed", required=False,
        initial=True,
    )  # fmt: skip


class KnownIssueStatusForm(NHSNumberGuardMixin):
    status = forms.ChoiceField(
        choices=[(s.value, s.label) for s in (KnownIssue.Status.INVESTIGATING, KnownIssue.Status.WORKAROUND)],
        widget=forms.RadioSelect,
        help_text="A fix scheduled, or fixed, have their own actions.",
    )
    note = forms.CharField(label="Note for the practices (optional)", widget=forms.Textarea, required=False)


class KnownIssueScheduleForm(forms.Form):
    takes_known_issue = True

    release = ReleaseChoiceField(queryset=Release.objects.none(), help_text="A release still to come.")

    def __init__(self, *args, known_issue, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["release"].queryset = Release.objects.filter(
            product_id=known_issue.product_id, shipped_on__isnull=True
        ).select_related("product")


class KnownIssueFixForm(NHSNumberGuardMixin):
    resolution = forms.CharField(
        label="What fixed it",
        widget=forms.Textarea,
        help_text="Each open linked incident is resolved with these words, and its practice asked to "
        "confirm.",
    )


class KnownIssueLinkForm(NoNHSNumbersMixin):
    """An incident, by its reference, linked to this known issue."""

    takes_known_issue = True
    nhs_unchecked_fields = ("reference",)  # only looked up, never stored

    reference = forms.CharField(label="Reference of the incident", max_length=20)

    def __init__(self, *args, known_issue, **kwargs):
        super().__init__(*args, **kwargs)

    def clean_reference(self):
        reference = self.cleaned_data["reference"].strip().upper()
        incident = Incident.objects.filter(reference=reference).first()
        if incident is None:
            raise forms.ValidationError(f"No incident has the reference {reference}.")
        return incident


# name: (title, form class, call(known_issue, actor, form), what was done)
KNOWN_ISSUE_ACTIONS = {
    "update": (
        "Post an update",
        KnownIssueUpdateForm,
        lambda ki, actor, form: known_issues.known_issue_post_update(
            ki, actor=actor, text=form.cleaned_data["text"], public=form.cleaned_data["public"]
        ),
        "Update posted",
    ),
    "status": (
        "Change the status",
        KnownIssueStatusForm,
        lambda ki, actor, form: known_issues.known_issue_change_status(
            ki, actor=actor, status=form.cleaned_data["status"], note=form.cleaned_data["note"]
        ),
        "Status changed",
    ),
    "schedule": (
        "Schedule the fix into a release",
        KnownIssueScheduleForm,
        lambda ki, actor, form: known_issues.known_issue_schedule_fix(
            ki, actor=actor, release=form.cleaned_data["release"]
        ),
        "Fix scheduled: shipping the release will resolve every linked incident",
    ),
    "fix": (
        "Mark fixed without a release",
        KnownIssueFixForm,
        lambda ki, actor, form: known_issues.known_issue_fix(
            ki, actor=actor, resolution=form.cleaned_data["resolution"]
        ),
        "Marked fixed: the linked incidents are resolved and their practices asked to confirm",
    ),
    "link": (
        "Link an incident",
        KnownIssueLinkForm,
        lambda ki, actor, form: known_issues.known_issue_link_incident(
            ki, form.cleaned_data["reference"], actor=actor
        ),
        "Incident linked",
    ),
}
