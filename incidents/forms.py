from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Fieldset, Layout, Submit
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q

from accounts.models import Site, User
from servicedesk.lib.forms import BootstrapBoundField, NHSNumberGuardMixin

from .attachments import IMAGE_TYPES, attachment_limits, check_upload
from .models import SEVERITY_DESCRIPTIONS, Channel, Incident, Product, Severity, Status
from .wording import severity_wordings

# The log form's sections: (legend, the handbook's words for it, fields). The product comes first in
# "What happened", since the rest of the answers are about it.
SECTIONS = [
    (
        "About you and the practice",
        "The incident contact should be available to approve remote access or system downtime, and to "
        "confirm that the incident is resolved. Give a number we can call you back on.",
        ["contact_name", "contact_number", "site"],
    ),
    (
        "What happened",
        "Include as much detail as possible: any messages that appeared on screen, what was running when "
        "the error occurred or the last thing you tried, and any recent upgrades to your system, hardware "
        "or other software. Do not include any patient-identifiable data.",
        [
            "product",
            "version",
            "on_current_version",
            "summary",
            "description",
            "onscreen_messages",
            "what_was_running",
            "recent_upgrades",
        ],
    ),
    (
        "The checklist",
        "The handbook's checks before logging an incident. Answer what you can; the Service Desk starts "
        "work sooner with them.",
        [
            "machine_name",
            "worked_before",
            "worked_before_when",
            "what_changed",
            "process",
            "impact",
            "severity",
            "urgency",
            "more_than_one_pc",
            "repeatable",
            "users_affected",
            "sites_affected",
        ],
    ),
    (
        "Files",
        "Attach screenshots of any messages on screen, or logs. Files must not show or contain any "
        "patient-identifiable data: every file is checked before it is kept.",
        ["files"],
    ),
    (
        "Remote access",
        "To investigate, we often need to connect to your system. All details of remote access and "
        "passwords are treated in the strictest confidence. Tell us of any time constraints.",
        ["remote_access_allowed", "remote_access_details", "remote_access_constraints"],
    ),
]
# The checklist's model fields that agents see and correct in admin, in admin's order: the files are not a
# model field, and remote-access details never appear in admin.
CHECKLIST_FIELDS = [
    *("contact_name", "contact_number", "site", "summary", "severity", "urgency", "impact", "description"),
    *("product", "version", "on_current_version", "machine_name", "onscreen_messages", "what_was_running"),
    *("process", "worked_before", "worked_before_when", "what_changed", "recent_upgrades"),
    *("more_than_one_pc", "repeatable", "users_affected", "sites_affected"),
    *("remote_access_allowed", "remote_access_constraints"),
]
SEVERITY_AND_URGENCY = (
    '<div class="severity-urgency-intro" id="severity-urgency-intro">'
    '<h3 class="h6 fw-bold mb-1">Severity and urgency: two different questions</h3>'
    '<p class="mb-0"><strong>Severity</strong> is how much of the clinical system is affected, as defined '
    "below in your contract's words; the Service Desk verifies it. <strong>Urgency</strong> is how "
    "soon your practice needs it working again: a minor fault can still be needed today.</p></div>"
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


# Images chosen in a field with this mark open in the browser's redaction editor (static/js/redact.js) before
# they are sent; the page that shows the field loads that script.
REDACT_IN_BROWSER = {"data-redact": ""}


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by content in incidents.attachments."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        files = [super(MultipleFileField, self).clean(item, initial) for item in files]
        if len(files) > settings.ATTACHMENT_MAX_PER_NOTE:  # before reading any of them
            raise ValidationError(f"Attach at most {settings.ATTACHMENT_MAX_PER_NOTE} files at a time.")
        # Each file is checked by content and size; those that pass are kept aside even when another is
        # refused, so that the view can hold them for the corrected form (incidents/held_uploads.py).
        self.passed, errors = [], []
        for upload in filter(None, files):
            try:
                self.passed.append(check_upload(upload))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise forms.ValidationError(errors)
        return self.passed


class HeldFilesMixin(forms.Form):
    """Files kept from an earlier, refused submission of this form (`held`, resolved by the view from the
    signed handles it posted back) count with the new ones; `held_lost` handles found nothing."""

    def __init__(self, *args, held=(), held_lost=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.held, self.held_lost = list(held), held_lost

    @property
    def passed_uploads(self):
        """The new files of this submission that passed their checks, whatever else was refused."""
        return getattr(self.fields["files"], "passed", [])

    def clean_files(self):
        files = [*self.held, *self.cleaned_data["files"]]
        if self.held_lost:
            raise ValidationError(
                f"{self.held_lost} file{'s' if self.held_lost > 1 else ''} attached earlier "
                f"{'are' if self.held_lost > 1 else 'is'} no longer kept (we keep them for "
                f"{settings.HELD_UPLOAD_HOURS} hours while you are signed in): attach "
                f"{'them' if self.held_lost > 1 else 'it'} again."
            )
        if len(files) > settings.ATTACHMENT_MAX_PER_NOTE:
            raise ValidationError(f"Attach at most {settings.ATTACHMENT_MAX_PER_NOTE} files at a time.")
        return files


def _insert_after(layout_objects, name, new):
    """Put the field `new` right after the field `name`, wherever it is in the (nested) layout."""
    for item in layout_objects:
        fields = getattr(item, "fields", None)
        if fields is None:
            continue
        if name in fields:
            fields.insert(fields.index(name) + 1, new)
            return True
        if _insert_after(fields, name, new):
            return True
    return False


class NHSPreview:
    """A crispy-forms layout object: the field's text with the NHS numbers marked, when it was refused for
    one (NoNHSNumbersMixin.nhs_preview). Rendered by the form, not as a template: the text is the user's."""

    def __init__(self, name):
        self.name = name

    def render(self, form, context, **kwargs):
        return form.nhs_preview(self.name)


def severity_choices():
    return [(value, f"{label}: {SEVERITY_DESCRIPTIONS[value]}") for value, label in Severity.choices]


class IncidentForm(HeldFilesMixin, NHSNumberGuardMixin, forms.ModelForm):
    """The handbook's checklist, for logging an incident in the portal."""

    nhs_confirm_beside = True
    nhs_secret_fields = ("remote_access_details",)

    severity = forms.TypedChoiceField(
        choices=severity_choices,
        coerce=int,
        widget=forms.RadioSelect,
        label="Severity",
        help_text="How much of the system is affected. Your contract's wording may differ slightly from "
        "these standard definitions.",
    )
    files = MultipleFileField(
        label="Screenshots or logs",
        required=False,
        widget=MultipleFileInput(attrs=REDACT_IN_BROWSER),
        help_text=f"Optional: {attachment_limits()}.",
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
                attrs={"rows": 2, "autocomplete": "off", "spellcheck": "false", "data-draft-skip": "true"}
            ),
            "on_current_version": forms.RadioSelect,
            "worked_before": forms.RadioSelect,
            "more_than_one_pc": forms.RadioSelect,
            "repeatable": forms.RadioSelect,
        }
        help_texts = {"summary": "One line that describes the problem."}

    # The order of the page, so that the error summary lists problems in the order the user meets them.
    field_order = [name for _, _, names in SECTIONS for name in names]

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
        self.fields["urgency"].help_text = "How soon your practice needs it working again."
        if "severity" in self.fields:  # not on the checklist an emailed incident completes
            wordings = severity_wordings(practice.contract_id)
            choices = [(s, f"{w.label}: {w.description}") for s, w in wordings.items()]
            self.fields["severity"].choices = choices
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
        return self._helper(self._fieldsets(), "Log incident")

    def _fieldsets(self):
        fieldsets = []
        for title, words, names in SECTIONS:
            items = [item for name in names if name in self.fields and (item := self._layout_item(name))]
            if items:
                fieldsets.append(Fieldset(title, HTML(f'<p class="section-intro">{words}</p>'), *items))
        return fieldsets

    def _layout_item(self, name):
        if name == "files":  # with the files kept from a refused submission, above it
            return Div(HTML('{% include "incidents/snippets/held_files.html" %}'), "files")
        if name == "severity":  # explained with the urgency, so that the two are not confused
            notice = self._severity_one_notice()
            return Div(
                HTML(SEVERITY_AND_URGENCY), "severity", notice, "urgency", css_class="severity-urgency"
            )
        if name == "urgency" and "severity" in self.fields:
            return None  # with the severity, above
        return name

    def _severity_one_notice(self):
        severity_one = str(self["severity"].value()) == str(Severity.SYSTEM_UNAVAILABLE)
        return Div(
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
        )

    def _helper(self, fieldsets, submit):
        helper = FormHelper()
        helper.form_tag = False
        helper.disable_csrf = True
        if self.nhs_matches:  # the confirmation goes right under the first field it concerns
            confirm = Div("confirm_not_nhs_number", css_class="nhs-confirm", css_id="nhs-confirm")
            _insert_after(fieldsets, self.nhs_confirm_after, confirm)
            for name in self.nhs_matches:  # each field's text, marked, between it and the confirmation
                _insert_after(fieldsets, name, NHSPreview(name))
        helper.layout = Layout(*fieldsets, "nhs_numbers_shown", Submit("submit", submit))
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
        return self._helper(self._fieldsets(), "Save the details")


class IncidentAdminForm(NHSNumberGuardMixin, forms.ModelForm):
    """For agents logging an incident on a practice's behalf, by telephone or email: for a practice user
    (the reporter), whose name and number are the contact's unless the agent gives others, or for a caller
    with no portal account, named with their number, at a site of their practice."""

    nhs_secret_fields = ("remote_access_details",)

    class Meta:
        model = Incident
        fields = ["reporter", "channel", *CHECKLIST_FIELDS]
        help_texts = {
            "reporter": "The practice user who reported it; the incident belongs to their practice. Leave "
            "empty for a caller with no portal account: give their name and number, and the practice's site."
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
        if self.instance.pk is None and "contact_name" in self.fields:
            self._for_logging()

    def _for_logging(self):
        """The contact may be left to the reporter's name and number (_clean_contact fills them in)."""
        name, number = self.fields["contact_name"], self.fields["contact_number"]
        name.required = number.required = False
        name.help_text = "Leave empty for the reporter. For a caller with no portal account: their name."
        number.help_text = "Leave empty for the reporter's number on their account."
        if "remote_access_details" in self.fields:  # as on the practice's own form; never shown afterwards
            self.fields["remote_access_details"].widget = forms.Textarea(
                attrs={"rows": 2, "cols": 60, "autocomplete": "off", "spellcheck": "false"}
            )

    def clean_contact_name(self):
        return " ".join(self.cleaned_data["contact_name"].split())

    def clean(self):
        cleaned_data = super().clean()
        # On the change page the reporter is read-only, so fall back to the saved one.
        reporter = cleaned_data.get("reporter") or (self.instance.reporter if self.instance.pk else None)
        site = cleaned_data.get("site")
        if reporter and site and site.practice_id != reporter.practice_id:
            self.add_error("site", f"{site} is not a site of {reporter.practice}.")
        elif site and not reporter and self.instance.pk and site.practice_id != self.instance.practice_id:
            self.add_error("site", f"{site} is not a site of {self.instance.practice}.")
        if self.instance.pk is None and "reporter" not in self.errors:
            self._clean_contact(cleaned_data, reporter, site)
        return cleaned_data

    def _clean_contact(self, cleaned_data, reporter, site):
        """A new incident's contact: the reporter's name and number where none are given; without a reporter,
        the caller's, and a site, whose practice the incident belongs to."""
        if reporter is None:
            if site is None and "site" not in self.errors:
                self.add_error("site", "Choose a site of the caller's practice: without a reporter, the "
                               "incident belongs to the practice of this site.")  # fmt: skip
            if not cleaned_data.get("contact_name") and "contact_name" not in self.errors:
                self.add_error("contact_name", "Give the caller's name, or choose the reporter above.")
        elif not cleaned_data.get("contact_name") and "contact_name" not in self.errors:
            cleaned_data["contact_name"] = reporter.full_name
        if not cleaned_data.get("contact_number") and "contact_number" not in self.errors:
            if reporter is not None and reporter.phone:
                cleaned_data["contact_number"] = reporter.phone
            elif reporter is not None:
                self.add_error("contact_number", f"Give a number to call back on: {reporter} has none on "
                               "their account.")  # fmt: skip
            else:
                self.add_error("contact_number", "Give the caller's number to call back on.")


# The list's orders, by the key in the address: what the user sees; incidents/views.py maps each to the ORM.
LIST_SORTS = {
    "-updated": "Last update, newest first",
    "updated": "Last update, oldest first",
    "severity": "Severity, most severe first",
    "-severity": "Severity, least severe first",
    "-reference": "Reference, newest first",
    "reference": "Reference, oldest first",
}


class IncidentFilterForm(forms.Form):
    """Filters and search for the practice's incident list. Only these keys reach the database."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        help_text="Words from the summary, description, messages or notes, a computer name or a reference.",
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *Status.choices], required=False)
    severity = forms.TypedChoiceField(
        choices=[("", "Any severity"), *Severity.choices], coerce=int, empty_value=None, required=False
    )
    product = forms.ModelChoiceField(
        queryset=Product.objects.all(), required=False, empty_label="Any product"
    )
    # Which tab, and the order within each group: allow-lists, never passed to the ORM as typed.
    show = forms.ChoiceField(choices=[("open", "Open"), ("closed", "Closed")], required=False)
    sort = forms.ChoiceField(choices=list(LIST_SORTS.items()), required=False, label="Sort by")

    def __init__(self, *args, wordings=None, **kwargs):
        super().__init__(*args, **kwargs)
        if wordings:  # the practice's contract's words for the severities
            labels = [(severity, wording.label) for severity, wording in wordings.items()]
            self.fields["severity"].choices = [("", "Any severity"), *labels]
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-control" if name == "q" else "form-select"
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs["aria-describedby"] = "id_q_helptext"
        self.fields["show"].widget = forms.HiddenInput()

    @property
    def valid_filters(self):
        """The filters that validated; an invalid one is reported on the form and left out."""
        if not self.is_bound:
            return {}
        self.is_valid()  # leaves the valid fields in cleaned_data
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


class NoteForm(HeldFilesMixin, NHSNumberGuardMixin, forms.Form):
    bound_field_class = BootstrapBoundField
    nhs_confirm_beside = True
    nhs_field_names = {"text": "your note"}

    text = forms.CharField(
        label="Add a note",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="No patient-identifiable data.",
    )
    files = MultipleFileField(
        label="Attach screenshots or logs",
        required=False,
        help_text=attachment_limits(),
        widget=MultipleFileInput(attrs=REDACT_IN_BROWSER),
    )

    def clean(self):
        cleaned_data = super().clean()
        if not self.errors and not cleaned_data.get("text", "").strip() and not cleaned_data.get("files"):
            raise forms.ValidationError("Write a note or attach a file.")
        return cleaned_data


class ReasonForm(NHSNumberGuardMixin):
    """A reason, required: for rejecting a resolution or closing an incident as no longer relevant."""

    bound_field_class = BootstrapBoundField
    nhs_confirm_beside = True

    nhs_field_names = {"reason": "the reason"}

    reason = forms.CharField(label="Reason", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, label="Reason", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label


class RemoteAccessForm(NHSNumberGuardMixin, forms.Form):
    """The practice changes how and when the desk may connect, for one incident or for the practice."""

    bound_field_class = BootstrapBoundField

    nhs_field_names = {"constraints": "the time constraints", "details": "the connection details"}
    nhs_secret_fields = ("details",)

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


class ConfirmNoPatientDataForm(forms.Form):
    """The practice vouches for a held screenshot (services.attachment_confirm_no_patient_data)."""

    bound_field_class = BootstrapBoundField

    looked = forms.BooleanField(
        label="I have looked at the whole screenshot, and it shows no patient's name, date of birth, NHS "
        "number, address or anything else that could identify a patient",
        error_messages={"required": "Tick the box to confirm that the screenshot shows no patient data."},
    )


class RedactedCopyForm(forms.Form):
    """A redacted copy of a held screenshot (services.attachment_replace_with_redacted): one image, checked
    like any upload. The editor (static/js/redact.js) opens on the held image with the boxes the check
    suggests."""

    bound_field_class = BootstrapBoundField

    files = forms.FileField(
        label="The redacted screenshot",
        help_text="A PNG, JPEG or GIF image.",
        error_messages={"required": "Choose the redacted screenshot."},
    )

    def __init__(self, *args, redact_attrs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].widget.attrs.update({**REDACT_IN_BROWSER, **(redact_attrs or {})})

    def clean_files(self):
        checked = check_upload(self.cleaned_data["files"])
        if checked.content_type not in IMAGE_TYPES:
            raise ValidationError(
                f"{checked.name} is not an image. Attach the redacted screenshot as a PNG, JPEG or GIF image."
            )
        return checked
