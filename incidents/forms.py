from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Fieldset, Layout, Submit
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q

from accounts.models import Site, User
from servicedesk.lib.forms import BootstrapBoundField, NHSNumberGuardMixin

from .attachments import attachment_limits, check_uploads
from .models import SEVERITY_DESCRIPTIONS, Channel, Incident, Product, Severity, Status

SECTIONS = [
    ("Who to contact", ["contact_name", "contact_number", "site"]),
    ("The problem", ["summary", "severity", "urgency", "impact", "description"]),
    ("Product and computer", ["product", "version", "on_current_version", "machine_name"]),
    (
        "What happened",
        [
            "onscreen_messages",
            "files",
            "what_was_running",
            "process",
            "worked_before",
            "worked_before_when",
            "what_changed",
            "recent_upgrades",
        ],
    ),  # fmt: skip
    ("How widespread", ["more_than_one_pc", "repeatable", "users_affected", "sites_affected"]),
    ("Remote access", ["remote_access_allowed", "remote_access_details", "remote_access_constraints"]),
]
# The checklist's model fields that agents see and correct in admin: the files are not a model field, and
# remote-access details never appear in admin.
CHECKLIST_FIELDS = [
    name for _, names in SECTIONS for name in names if name not in ("files", "remote_access_details")
]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by content in incidents.attachments."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        files = [super(MultipleFileField, self).clean(item, initial) for item in files]
        try:
            return check_uploads([f for f in files if f])  # by content, size and count; all or none
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None


def severity_choices():
    return [(value, f"{label}: {SEVERITY_DESCRIPTIONS[value]}") for value, label in Severity.choices]


class IncidentForm(NHSNumberGuardMixin, forms.ModelForm):
    """The handbook's checklist, for logging an incident in the portal."""

    severity = forms.TypedChoiceField(
        choices=severity_choices,
        coerce=int,
        widget=forms.RadioSelect,
        label="Severity",
        help_text="Your contract's wording may differ slightly from these standard definitions.",
    )
    files = MultipleFileField(
        label="Screenshots or logs",
        required=False,
        help_text=f"Optional: {attachment_limits()}. If the form shows an error, attach them again.",
    )
    will_telephone = forms.BooleanField(
        required=False,
        label="I understand: I will also telephone the Service Desk about this severity 1 incident.",
    )

    class Meta:
        model = Incident
        # Remote-access details only here: they never appear in admin forms, lists or emails.
        fields = [*CHECKLIST_FIELDS, "remote_access_details"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "impact": forms.Textarea(attrs={"rows": 2}),
            "what_changed": forms.Textarea(attrs={"rows": 2}),
            "process": forms.Textarea(attrs={"rows": 3}),
            "onscreen_messages": forms.Textarea(attrs={"rows": 3}),
            "what_was_running": forms.Textarea(attrs={"rows": 2}),
            "recent_upgrades": forms.Textarea(attrs={"rows": 2}),
            "remote_access_details": forms.Textarea(
                attrs={"rows": 2, "autocomplete": "off", "spellcheck": "false"}
            ),
            "on_current_version": forms.RadioSelect,
            "worked_before": forms.RadioSelect,
            "more_than_one_pc": forms.RadioSelect,
            "repeatable": forms.RadioSelect,
        }
        help_texts = {"summary": "One line that describes the problem."}

    def __init__(self, *args, practice, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(practice=practice)
        self.fields["site"].empty_label = "Not site-specific"
        # The model lets an emailed incident wait for its product; a form that asks for it always needs it.
        self.fields["product"].required = True
        self.fields["product"].queryset = Product.objects.filter(is_active=True)
        self.fields["product"].label_from_instance = lambda p: (
            f"{p.name} (current version {p.current_version})"
        )
        self.fields["site"].label_from_instance = lambda site: site.name
        self.fields["users_affected"].min_value = 1
        self.fields["users_affected"].widget.attrs["min"] = 1

    def clean_contact_name(self):
        return " ".join(self.cleaned_data["contact_name"].split())

    def _get_validation_exclusions(self):
        # The site and product fields chose their objects from querysets narrower than the model's (this
        # practice's sites, active products); the model would look each up again with a query of its own.
        return {*super()._get_validation_exclusions(), "site", "product"}

    def clean_will_telephone(self):  # the severity, an earlier field, is cleaned by now
        will_telephone = self.cleaned_data["will_telephone"]
        if self.cleaned_data.get("severity") == Severity.SYSTEM_UNAVAILABLE and not will_telephone:
            raise ValidationError(
                "Severity 1 incidents must also be telephoned to the Service Desk on "
                f"{settings.SERVICE_DESK['phone']}. Tick the box to confirm you will call."
            )
        return will_telephone

    @property
    def helper(self):
        fieldsets = [Fieldset(title, *names) for title, names in SECTIONS]
        severity_one = str(self["severity"].value()) == str(Severity.SYSTEM_UNAVAILABLE)
        fieldsets[1].fields.insert(
            2,
            Div(
                HTML(
                    '<p class="fw-bold mb-1">Severity 1: please telephone as well.</p>'
                    "<p>The Service Desk treats severity 1 by telephone. After submitting, call "
                    '<a href="tel:{{ service_desk.phone|cut:" " }}">{{ service_desk.phone }}</a> '
                    "so that an agent starts work at once.</p>"
                ),
                "will_telephone",
                css_id="severity-one-notice",
                aria_live="polite",
                css_class="alert alert-warning" + ("" if severity_one else " d-none"),
            ),
        )
        return self._helper(fieldsets, "Log incident")

    def _helper(self, fieldsets, submit):
        helper = FormHelper()
        helper.form_tag = False
        helper.disable_csrf = True
        extra = ["nhs_numbers_shown", *(["confirm_not_nhs_number"] if self.nhs_matches else [])]
        helper.layout = Layout(*fieldsets, *extra, Submit("submit", submit))
        return helper


class IncidentDetailsForm(IncidentForm):
    """The log form's checklist, for a practice completing an incident it emailed in. The severity stays
    the desk's to verify and files go with a note. Remote-access details may be given but are never shown
    back: only authorised Service Desk staff read them, and each reading is recorded."""

    severity = None
    files = None
    will_telephone = None

    class Meta(IncidentForm.Meta):
        fields = [name for name in IncidentForm.Meta.fields if name != "severity"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An agent may have chosen a product since withdrawn: it stays a valid answer for this incident.
        self.fields["product"].queryset = Product.objects.filter(
            Q(is_active=True) | Q(pk=self.instance.product_id)
        )
        self.initial["remote_access_details"] = ""  # so only details typed now count as a change
        if self.instance.remote_access_details:
            self.fields["remote_access_details"].help_text = (
                "Connection details were given already; leave this empty to keep them, or type new ones "
                "to replace them. Kept encrypted; only authorised Service Desk staff can read them."
            )

    @property
    def helper(self):
        fieldsets = [
            Fieldset(title, *(name for name in names if name in self.fields)) for title, names in SECTIONS
        ]
        return self._helper(fieldsets, "Save the details")


class IncidentAdminForm(NHSNumberGuardMixin, forms.ModelForm):
    """For agents logging an incident on a practice user's behalf, by telephone or email."""

    class Meta:
        model = Incident
        fields = ["reporter", "channel", *CHECKLIST_FIELDS]
        help_texts = {
            "reporter": "The practice user who reported it; the incident belongs to their practice."
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "channel" in self.fields:
            self.fields["channel"].choices = [
                (channel, channel.label) for channel in (Channel.PHONE, Channel.EMAIL)
            ]
            self.fields["channel"].initial = Channel.PHONE
        if "severity" in self.fields:  # the handbook's descriptions, wherever severity is chosen
            self.fields["severity"].widget = forms.RadioSelect()
            self.fields["severity"].choices = severity_choices()
        if "site" in self.fields:  # not for staff who may only view incidents: the form has no fields
            self.fields["site"].queryset = Site.objects.select_related("practice")
        if "reporter" in self.fields:
            self.fields["reporter"].queryset = User.objects.filter(practice__isnull=False, is_active=True)
        if "product" in self.fields:
            # Required when logging; on the change page an emailed incident may still be waiting for its
            # product, but one given is never taken away.
            self.fields["product"].required = self.instance.pk is None or self.instance.product_id is not None

    def clean(self):
        cleaned_data = super().clean()
        # On the change page the reporter is read-only, so fall back to the saved one.
        reporter = cleaned_data.get("reporter") or (self.instance.reporter if self.instance.pk else None)
        site = cleaned_data.get("site")
        if reporter and site and site.practice_id != reporter.practice_id:
            self.add_error("site", f"{site} is not a site of {reporter.practice}.")
        return cleaned_data


class IncidentFilterForm(forms.Form):
    """Filters and search for the practice's incident list. Only these keys reach the database."""

    q = forms.CharField(label="Reference or summary", required=False, max_length=100)
    status = forms.ChoiceField(choices=[("", "Any status"), *Status.choices], required=False)
    severity = forms.TypedChoiceField(
        choices=[("", "Any severity"), *Severity.choices], coerce=int, empty_value=None, required=False
    )
    product = forms.ModelChoiceField(
        queryset=Product.objects.all(), required=False, empty_label="Any product"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-control" if name == "q" else "form-select"
        self.fields["q"].widget.input_type = "search"

    @property
    def valid_filters(self):
        """The filters that validated; an invalid one is reported on the form and left out."""
        if not self.is_bound:
            return {}
        self.is_valid()  # leaves the valid fields in cleaned_data
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


class NoteForm(NHSNumberGuardMixin, forms.Form):
    bound_field_class = BootstrapBoundField

    text = forms.CharField(
        label="Add a note",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="No patient-identifiable data.",
    )
    files = MultipleFileField(
        label="Attach screenshots or logs", required=False, help_text=attachment_limits()
    )

    def clean(self):
        cleaned_data = super().clean()
        if not self.errors and not cleaned_data.get("text", "").strip() and not cleaned_data.get("files"):
            raise forms.ValidationError("Write a note or attach a file.")
        return cleaned_data


class ReasonForm(NHSNumberGuardMixin):
    """A reason, required: for rejecting a resolution or closing an incident as no longer relevant."""

    bound_field_class = BootstrapBoundField

    nhs_field_names = {"reason": "the reason"}

    reason = forms.CharField(label="Reason", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, label="Reason", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label


class RemoteAccessForm(NHSNumberGuardMixin, forms.Form):
    """The practice changes how and when the desk may connect, for one incident or for the practice."""

    bound_field_class = BootstrapBoundField

    nhs_field_names = {"constraints": "the time constraints", "details": "the connection details"}

    allowed = forms.BooleanField(label="The Service Desk may connect to our system", required=False)
    constraints = forms.CharField(
        label="Time constraints on remote access",
        max_length=300,
        required=False,
        help_text="For example: not during morning surgery, 08:00–10:30.",
    )
    details = forms.CharField(
        label="New connection details",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off", "spellcheck": "false"}),
        help_text="The remote-support ID and any access code. Leave empty to keep the details given before. "
        "Kept encrypted; only authorised Service Desk staff can read them.",
    )
    remove_details = forms.BooleanField(label="Remove the connection details given before", required=False)

    def __init__(self, *args, for_practice=False, **kwargs):
        super().__init__(*args, **kwargs)
        if for_practice:  # the practice's own details: only the connection details
            del self.fields["allowed"], self.fields["constraints"]

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("details", "").strip() and cleaned_data.get("remove_details"):
            raise forms.ValidationError("Either type new connection details or remove them, not both.")
        return cleaned_data

    @property
    def new_details(self):
        """What to store: None keeps the details, "" removes them."""
        if self.cleaned_data.get("remove_details"):
            return ""
        return self.cleaned_data.get("details", "").strip() or None
