import re
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Greatest, Least
from django.urls import reverse

from accounts.models import Practice, Site, phone_validator
from servicedesk.lib.fields import EncryptedTextField


class Product(models.Model):
    name = models.CharField(max_length=100, unique=True)
    current_version = models.CharField(max_length=50, help_text="The version customers should be on.")
    is_active = models.BooleanField(
        default=True, help_text="Inactive products cannot be chosen for new incidents."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Severity(models.IntegerChoices):
    SYSTEM_UNAVAILABLE = 1, "1 – System unavailable"
    MAJOR_FAULT = 2, "2 – Major fault"
    MINOR_FAULT = 3, "3 – Minor fault"
    RESIDUAL_FAULT = 4, "4 – Residual fault"
    OTHER = 5, "5 – Other faults (general queries)"


SEVERITY_DESCRIPTIONS = {
    Severity.SYSTEM_UNAVAILABLE: "Users cannot log in, the clinical application is completely unavailable.",
    Severity.MAJOR_FAULT: "Business critical clinical application function or group of functions is "
    "unavailable, inaccessible or operating incorrectly.",
    Severity.MINOR_FAULT: "Non business critical clinical application function or group of functions is "
    "unusable, inaccessible or operating incorrectly.",
    Severity.RESIDUAL_FAULT: "Clinical application has a fault but continues to be usable, or system error "
    "has left data corruptions or referential issues which require correcting.",
    Severity.OTHER: "General queries.",
}


class Status(models.TextChoices):
    LOGGED = "logged", "Logged"
    UNDER_REVIEW = "under_review", "Under review"
    INVESTIGATING = "investigating", "Investigating"
    AWAITING_CUSTOMER = "awaiting_customer", "Awaiting customer"
    FIX_SCHEDULED = "fix_scheduled", "Fix scheduled"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class Channel(models.TextChoices):
    PORTAL = "portal", "Portal"
    PHONE = "phone", "Telephone"
    EMAIL = "email", "Email"


CHANNEL_PHRASES = {
    Channel.PORTAL: "through the portal",
    Channel.PHONE: "by telephone",
    Channel.EMAIL: "by email",
}


class YesNoUnknown(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    UNKNOWN = "unknown", "Don't know"


class SitesAffected(models.TextChoices):
    MAIN = "main", "Main site only"
    BRANCH = "branch", "Branch site only"
    BOTH = "both", "Main and branch sites"
    SINGLE_SITE = "single", "We only have one site"
    UNKNOWN = "unknown", "Don't know"


class Urgency(models.TextChoices):
    STOPPED = "stopped", "Work has stopped"
    TODAY = "today", "Needed today"
    DAYS = "days", "Within a few days"
    NO_DEADLINE = "none", "No deadline"


class Release(models.Model):
    """A software release that fixes faults. Marking it shipped resolves the incidents scheduled into it."""

    class Kind(models.TextChoices):
        PLANNED = "planned", "Planned"
        EMERGENCY = "emergency", "Emergency"

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="releases")
    version = models.CharField(max_length=50)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PLANNED)
    target_date = models.DateField()
    shipped_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["target_date", "product__name"]
        constraints = [
            models.UniqueConstraint(fields=["product", "version"], name="release_version_unique_per_product"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["planned", "emergency"]), name="release_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.product.name} {self.version} ({self.get_kind_display().lower()})"


class ReferenceCounter(models.Model):
    """The last incident number issued. One row; incrementing it locks it until the incident commits,
    so concurrent submissions take consecutive numbers and none is issued twice."""

    name = models.CharField(max_length=20, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.name}: {self.value}"


def _mirrored_check(condition, name):
    """A CHECK constraint whose rule the field's own validation already applies in Python (its choices,
    its minimum): the database enforces it, and full_clean() does not check it a second time."""
    _MIRRORED_CHECKS.add(name)
    return models.CheckConstraint(condition=condition, name=name)


def _choices_check(field, choices, name):
    return _mirrored_check(models.Q(**{f"{field}__in": choices.values}), name)


_MIRRORED_CHECKS = set()


# The desk's queues (incidents/queues.py) are open incidents, and the incident list in admin opens on them
# with the next target to meet first: the first response while there has been none, then the resolution
# (none while the resolution clock is paused, or once resolved). Both here for the index that serves them.
OPEN = ~models.Q(status=Status.CLOSED)
NEXT_DUE = models.Case(
    models.When(responded_at__isnull=True, response_due_at__isnull=False, then=models.F("response_due_at")),
    default=models.F("resolution_due_at"),
)


def _yes_no_unknown(verbose_name):
    return models.CharField(
        verbose_name, max_length=10, choices=YesNoUnknown.choices, default=YesNoUnknown.UNKNOWN
    )


class Incident(models.Model):
    reference = models.CharField(max_length=20, unique=True, editable=False)
    # Indexed by incident_practice_newest, which leads with it: a second index would only slow inserts.
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="incidents", db_index=False)
    site = models.ForeignKey(Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Empty for a caller with no portal account, logged by an agent: the incident contact is who called
    # (incident_reporter_or_caller), and the incident belongs to the practice of the site they named.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reported_incidents",
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who typed it in: the reporter on the portal, an agent on the phone or from an email.",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.LOGGED)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_incidents",
        limit_choices_to={"is_staff": True},
    )

    # The handbook's checklist.
    contact_name = models.CharField(
        "incident contact",
        max_length=150,
        help_text="Someone available to approve remote access or downtime and to confirm closure.",
    )
    contact_number = models.CharField(
        max_length=30, validators=[phone_validator], help_text="The telephone number we can call you back on."
    )
    # Empty only while an emailed incident waits for the practice to complete its checklist.
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents"
    )
    version = models.CharField("version in use", max_length=50, blank=True)
    on_current_version = _yes_no_unknown("on the current version?")
    machine_name = models.CharField(
        "server or workstation affected",
        max_length=100,
        blank=True,
        help_text="The computer name as stored in the Windows system properties.",
    )
    worked_before = _yes_no_unknown("did it work before?")
    worked_before_when = models.CharField("when did it last work?", max_length=200, blank=True)
    what_changed = models.TextField(
        "any changes?",
        blank=True,
        help_text="Has anything else changed: PC, network, new system or new functionality?",
    )
    process = models.TextField(
        "process", blank=True, help_text="The process that generated the error, ideally the exact keystrokes."
    )
    impact = models.TextField(
        "impact on the practice", blank=True, help_text="What this means for your practice's work."
    )
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.DAYS)
    more_than_one_pc = _yes_no_unknown("more than one PC?")
    repeatable = _yes_no_unknown("can it be repeated?")
    users_affected = models.PositiveIntegerField(
        "how many users are affected?", default=1, validators=[MinValueValidator(1)]
    )
    sites_affected = models.CharField(
        "more than one site?", max_length=10, choices=SitesAffected.choices, default=SitesAffected.UNKNOWN
    )
    remote_access_allowed = models.BooleanField("may we connect to your system?", default=False)
    remote_access_details = EncryptedTextField(
        "remote-access details",
        blank=True,
        null=True,  # the field stores an empty value as NULL
        help_text="How to connect, e.g. the remote-support ID and any access code. Kept encrypted; only "
        "authorised Service Desk staff can read it, and each reading is recorded.",
    )
    remote_access_constraints = models.CharField(
        "time constraints on remote access",
        max_length=300,
        blank=True,
        help_text="For example: not during morning surgery, 08:00–10:30.",
    )

    summary = models.CharField(max_length=200)
    description = models.TextField()
    onscreen_messages = models.TextField("messages on screen", blank=True)
    what_was_running = models.TextField(
        "what was running?",
        blank=True,
        help_text="What was running when the error occurred, or the last action you tried.",
    )
    recent_upgrades = models.TextField(
        blank=True,
        help_text="Recent upgrades to your system, hardware or other software that may have had an effect.",
    )

    # The lifecycle, written only by incidents/services.py.
    software_fault = models.BooleanField(default=False, editable=False)
    release = models.ForeignKey(
        Release, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="incidents"
    )
    # The known issue this incident reports (incidents/known_issues.py): its public updates reach the
    # incident, and the known issue's release resolves it when it ships.
    known_issue = models.ForeignKey(
        "KnownIssue",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="incidents",
    )
    workaround = models.TextField(
        blank=True, editable=False, help_text="Shown to the practice until the fix ships."
    )
    resolution = models.TextField(blank=True, editable=False)
    resolution_is_workaround = models.BooleanField("temporary workaround", default=False, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    reopened_count = models.PositiveSmallIntegerField(default=0, editable=False)
    last_progress_request_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_reminder_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The desk hears of the practice's first note at once and of the notes that follow it within
    # DESK_NOTE_DIGEST_MINUTES in one digest (incidents.services.send_note_digests): when it was last told,
    # the last note it was told of, and since when later notes wait for the digest.
    desk_told_of_notes_at = models.DateTimeField(null=True, blank=True, editable=False)
    desk_told_of_notes_upto = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    notes_held_since = models.DateTimeField(null=True, blank=True, editable=False)

    # SLA clocks in support time (incidents/sla.py keeps them). The resolution clock runs while the
    # desk has the next move and pauses while awaiting the customer, a scheduled release or confirmation.
    response_due_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    responded_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_due_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    # Support time the resolution clock ran before sla_running_since, exact (not rounded to minutes), so
    # that pausing and resuming moves no due time.
    sla_time_used = models.DurationField(default=timedelta(0), editable=False)
    sla_running_since = models.DateTimeField(null=True, blank=True, editable=False)
    # Where on the escalation ladder the incident stands (none: with the desk). escalation/services.py.
    escalation_level = models.ForeignKey(
        "escalation.EscalationLevel", on_delete=models.PROTECT, null=True, blank=True, editable=False,
        related_name="incidents",
    )  # fmt: skip
    escalation_acknowledged_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the practice last added something to the timeline (logged it, a note or file, a reply by email,
    # a confirmation or rejection, a change of remote access...) and when the desk last did (a public or
    # internal note, a change of status or severity, a resolution...): the practice waits on the desk
    # while the first is the later (incidents/queues.py). Kept by incidents.services.record_event.
    practice_last_entry_at = models.DateTimeField(null=True, blank=True, editable=False)
    desk_last_entry_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("view_remote_access", "Can read remote-access details")]
        indexes = [
            models.Index(fields=["practice", "-created_at", "-id"], name="incident_practice_newest"),
            models.Index(fields=["status", "severity"], name="incident_status_severity"),
            # The monthly survey reads one month of closures; without this it would scan all history.
            models.Index(fields=["closed_at"], name="incident_closed_at"),
            # The digest sweep looks for the few incidents with practice notes waiting.
            models.Index(
                fields=["notes_held_since"],
                condition=models.Q(notes_held_since__isnull=False),
                name="incident_notes_held",
            ),
            # The open incidents, in the order the desk's list opens on (the next due first, then the newest),
            # carrying every column the dashboard's counts read: the list's first page and all the counts
            # read only the open incidents, however many are closed (incidents/queues.py).
            # (PostgreSQL puts nulls last in an ascending index, as the list wants; SQLite cannot be told to.)
            models.Index(
                NEXT_DUE,
                models.F("id").desc(),
                name="incident_open_queue",
                condition=OPEN,
                include=[
                    "status",
                    "severity",
                    "assignee",
                    "escalation_level",
                    "responded_at",
                    "response_due_at",
                    "resolution_due_at",
                    "practice_last_entry_at",
                    "desk_last_entry_at",
                ],
            ),  # fmt: skip
        ]
        constraints = [
            _choices_check("status", Status, "incident_status_valid"),
            _choices_check("severity", Severity, "incident_severity_valid"),
            _choices_check("channel", Channel, "incident_channel_valid"),
            _choices_check("urgency", Urgency, "incident_urgency_valid"),
            _choices_check("sites_affected", SitesAffected, "incident_sites_affected_valid"),
            _choices_check("on_current_version", YesNoUnknown, "incident_on_current_version_valid"),
            _choices_check("worked_before", YesNoUnknown, "incident_worked_before_valid"),
            _choices_check("more_than_one_pc", YesNoUnknown, "incident_more_than_one_pc_valid"),
            _choices_check("repeatable", YesNoUnknown, "incident_repeatable_valid"),
            _mirrored_check(models.Q(users_affected__gte=1), "incident_users_affected_min"),
            # IncidentAdminForm asks for the caller's name when no reporter is chosen.
            _mirrored_check(
                models.Q(reporter__isnull=False) | ~models.Q(contact_name=""), "incident_reporter_or_caller"
            ),
        ]

    def __str__(self):
        # The reference alone: admin history keeps this text, and a summary may need purging later.
        return self.reference

    def get_absolute_url(self):
        return reverse("incidents:detail", kwargs={"reference": self.reference})

    def get_constraints(self):
        # full_clean() would check each CHECK constraint with a query of its own (about 6 ms of a form's
        # save); the fields' own validation has already applied the same rules.
        return [
            (model, [c for c in constraints if c.name not in _MIRRORED_CHECKS])
            for model, constraints in super().get_constraints()
        ]

    @property
    def reported_by(self):
        """Who reported it: the practice user, or the caller who has no portal account."""
        if self.reporter_id is None:
            return f"{self.contact_name} (no portal account)"
        return self.reporter.full_name

    @property
    def severity_description(self):
        return SEVERITY_DESCRIPTIONS.get(self.severity, "")

    @property
    def is_open(self):
        return self.status != Status.CLOSED

    @property
    def logged_how(self):
        return f"Logged {CHANNEL_PHRASES[self.channel]}"

    @property
    def checklist_missing(self):
        """What an email seldom says and the desk needs first, not yet given."""
        wanted = [
            (self.product_id, "the product"),
            (self.version.strip(), "the version in use"),
            (self.contact_number.strip(), "a number to call you back on"),
        ]
        return [label for value, label in wanted if not value]

    @property
    def awaits_checklist(self):
        """An emailed incident, while open and missing any of checklist_missing: the practice is asked to
        complete its checklist."""
        return self.channel == Channel.EMAIL and self.is_open and bool(self.checklist_missing)


class EventKind(models.TextChoices):
    LOGGED = "logged", "Logged"
    STATUS = "status", "Status changed"
    SEVERITY = "severity", "Severity changed"
    ASSIGNED = "assigned", "Assigned"
    NOTE = "note", "Note"
    NHS_OVERRIDE = "nhs_override", "Not an NHS number (confirmed)"
    DETAILS = "details", "Details corrected"
    ATTACHMENT = "attachment", "Attachment added"
    PROGRESS_REQUESTED = "progress", "Progress update requested"
    CONFIRMED = "confirmed", "Resolution confirmed"
    REJECTED = "rejected", "Resolution rejected"
    FIX_SCHEDULED = "fix", "Fix scheduled"
    REMINDER = "reminder", "Reminder to confirm sent"
    REMOTE_ACCESS_VIEWED = "remote_viewed", "Remote-access details read"
    ESCALATED = "escalated", "Escalated"
    DEESCALATED = "deescalated", "De-escalated"
    ACKNOWLEDGED = "acknowledged", "Escalation acknowledged"
    PURGED = "purged", "Content purged"
    LINKED = "linked", "Linked incident"
    FILE_HELD = "file_held", "Screenshot held"
    FILE_CLEARED = "file_cleared", "Screenshot confirmed free of patient data"
    KNOWN_ISSUE = "known_issue", "Known issue"


class TimelineEvent(models.Model):
    """One entry in an incident's history. Events are only ever added, never edited."""

    Kind = EventKind

    # PROTECT: an incident's history outlives any attempt to delete the incident.
    # Indexed by event_incident_time, which leads with it.
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="events", db_index=False)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    public = models.BooleanField(default=True, help_text="Public events are shown to the practice.")
    old_value = models.CharField(max_length=100, blank=True)
    new_value = models.CharField(max_length=100, blank=True)
    text = models.TextField(blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["incident", "created_at", "id"], name="event_incident_time")]
        constraints = [_choices_check("kind", EventKind, "event_kind_valid")]

    def __str__(self):
        return f"{self.incident_id} {self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def change(self):
        """'Old → new' for a change of status or severity, in words a practice reads; else ''."""
        if not (self.old_value and self.new_value):
            return ""
        labels = dict(Status.choices)
        return f"{labels.get(self.old_value, self.old_value)} → {labels.get(self.new_value, self.new_value)}"


class IncidentLink(models.Model):
    """One incident linked to another: a duplicate of its main incident (whose public updates and resolution
    reach the duplicate), or merely related. Written only by incidents.services (incident_mark_duplicate,
    incident_link_related); a fault many practices report can gather its incidents the same way."""

    class Kind(models.TextChoices):
        DUPLICATE_OF = "duplicate_of", "Duplicate of"
        RELATED = "related", "Related to"

    from_incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="links_from")
    # Indexed: "the duplicates of this incident" is read on each public update of it.
    to_incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="links_to")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_incident=models.F("to_incident")), name="incident_link_not_to_itself"
            ),
            # One link per pair, whichever way round it was made.
            models.UniqueConstraint(
                Least("from_incident", "to_incident"),
                Greatest("from_incident", "to_incident"),
                name="incident_link_pair_once",
            ),
            # A duplicate has one main incident (that a main is no duplicate itself the services check).
            models.UniqueConstraint(
                fields=["from_incident"],
                condition=models.Q(kind="duplicate_of"),
                name="incident_link_one_main",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["duplicate_of", "related"]), name="incident_link_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.from_incident_id} {self.get_kind_display().lower()} {self.to_incident_id}"


class Follower(models.Model):
    """A practice user who chose to hear about a colleague's incident ("Follow"); the reporter and the
    incident contact hear without following."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "user"], name="follower_once_per_incident")
        ]

    def __str__(self):
        return f"{self.user} follows {self.incident}"


def attachment_path(attachment, filename):
    # A generated name: what the user called the file never reaches the file system.
    return f"attachments/{attachment.incident_id}/{uuid.uuid4().hex}"


class FileCheck(models.TextChoices):
    """Where an attachment stands with the screenshot check (incidents/screenshot_check.py). Logs and PDFs
    are checked as they are uploaded and pass at once; images are read in a Celery task first."""

    CHECKING = "checking", "Being checked"
    PASSED = "passed", "Checked"
    HELD = "held", "Held: may show patient data"
    NOT_CHECKED = "not_checked", "Held: not checked"
    CONFIRMED = "confirmed", "Confirmed by the practice to show no patient data"
    REPLACED = "replaced", "Replaced by a redacted copy"
    EXPIRED = "expired", "Deleted while held"


class Attachment(models.Model):
    """A screenshot or log, stored under MEDIA_ROOT and served only through a permission-checked view."""

    Check = FileCheck
    # The desk may open a file only in these states; a held image stays with its practice.
    OPENABLE = (FileCheck.PASSED, FileCheck.CONFIRMED)
    # Waiting for the practice to redact or confirm, and deleted if left (SCREENSHOT_HELD_DAYS).
    AWAITING_PRACTICE = (FileCheck.HELD, FileCheck.NOT_CHECKED)

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="attachments")
    event = models.ForeignKey(TimelineEvent, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200, blank=True)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    check_status = models.CharField(max_length=12, choices=FileCheck.choices, default=FileCheck.PASSED)
    # What the check found, with any number masked ("NHS number 943 *** ****"), and where: the read text is
    # never kept. Boxes are [left, top, width, height] in the image's pixels, for the editor to suggest.
    check_reasons = models.JSONField(default=list, blank=True)
    check_boxes = models.JSONField(default=list, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # The hourly sweep: images still being checked, and held ones past their time.
            models.Index(
                fields=["check_status", "created_at"],
                condition=models.Q(check_status__in=["checking", "held", "not_checked"]),
                name="attachment_awaiting_check",
            ),
        ]
        constraints = [_choices_check("check_status", FileCheck, "attachment_check_valid")]

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("incidents:attachment", kwargs={"reference": self.incident.reference, "pk": self.pk})

    @property
    def openable_by_desk(self):
        return self.check_status in self.OPENABLE and self.purged_at is None

    @property
    def awaiting_practice(self):
        return self.check_status in self.AWAITING_PRACTICE and self.purged_at is None


class SlaTarget(models.Model):
    """Support time allowed per severity for the first response and for a resolution; a row without a
    contract is the standard target, which a contract's own row overrides."""

    contract = models.ForeignKey(
        "accounts.Contract", on_delete=models.CASCADE, null=True, blank=True, related_name="sla_targets",
        help_text="Empty for the standard target.",
    )  # fmt: skip
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    response_minutes = models.PositiveIntegerField(help_text="Support minutes to the first response.")
    resolution_minutes = models.PositiveIntegerField(
        help_text="Support minutes to a resolution or workaround."
    )

    class Meta:
        ordering = ["contract__name", "severity"]
        constraints = [
            models.UniqueConstraint(
                fields=["severity"],
                condition=models.Q(contract__isnull=True),
                name="one_standard_target_per_severity",
            ),
            models.UniqueConstraint(
                fields=["contract", "severity"], name="one_target_per_contract_and_severity"
            ),
            models.CheckConstraint(
                condition=models.Q(severity__gte=1, severity__lte=5), name="sla_severity_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(resolution_minutes__gte=models.F("response_minutes")),
                name="sla_resolution_not_before_response",
                violation_error_message="The resolution target cannot be shorter than the response target.",
            ),
        ]

    def __str__(self):
        whose = self.contract.name if self.contract_id else "Standard"
        return f"{whose}: severity {self.severity}"


class SeverityWording(models.Model):
    """A contract's own name and description for one severity. The handbook: "the actual severity levels in
    your contract may differ slightly from these standard definitions". Without a row: the standard words."""

    contract = models.ForeignKey(
        "accounts.Contract", on_delete=models.CASCADE, related_name="severity_wordings"
    )
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    name = models.CharField(max_length=80, help_text="In place of the standard name, e.g. 'Major fault'.")
    description = models.TextField(help_text="In place of the standard description.")

    class Meta:
        ordering = ["contract__name", "severity"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "severity"], name="one_wording_per_contract_and_severity"
            ),
            models.CheckConstraint(
                condition=models.Q(severity__gte=1, severity__lte=5), name="wording_severity_valid"
            ),
        ]

    def __str__(self):
        return f"{self.contract.name}: severity {self.severity}, {self.name}"


class CannedReply(models.Model):
    """A reply the desk keeps to start a note, a resolution or a first reply from (admin: Canned replies).
    Its text may name the incident's details by placeholder, filled in when an agent inserts it."""

    # {placeholder: what it stands for}; what fill() puts in their place.
    PLACEHOLDERS = {
        "reference": "the incident's reference",
        "product": "the incident's product",
        "practice": "the practice's name",
        "agent": "your name (the agent inserting it)",
    }
    # Placeholders with an argument, {kind:argument}, that other apps fill: {kind: quote}, where
    # quote(argument) returns the text or raises ValidationError with a sentence saying why it cannot
    # (the knowledge app registers {article:slug}: the article's title and address).
    QUOTES = {}

    title = models.CharField(max_length=100, unique=True)
    text = models.TextField(
        help_text="Placeholders, filled in when an agent inserts the reply: "
        + ", ".join(f"{{{name}}} ({meaning})" for name, meaning in PLACEHOLDERS.items())
        + "."
    )

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "canned replies"

    def __str__(self):
        return self.title

    def clean(self):
        for name in placeholders_in(self.text):
            kind, quoting, argument = name.partition(":")
            if quoting and kind in self.QUOTES:
                try:
                    self.QUOTES[kind](argument)
                except ValidationError as error:
                    raise ValidationError({"text": error.messages}) from None
            elif name not in self.PLACEHOLDERS:
                known = [f"{{{known}}}" for known in self.PLACEHOLDERS] + [f"{{{q}:…}}" for q in self.QUOTES]
                message = (
                    f"“{{{name}}}” is not a placeholder we can fill. Use {', '.join(known)}, or remove it."
                )
                raise ValidationError({"text": message})

    def fill(self, incident, agent):
        """The text for `incident`, written by `agent`: plain text, escaped wherever it is shown."""
        values = {
            "reference": incident.reference,
            "product": incident.product.name if incident.product_id else "the product",
            "practice": incident.practice.name,
            "agent": agent.full_name,
        }
        return PLACEHOLDER.sub(
            lambda match: values[match.group(1)] if match.group(1) in values else self._quote(match.group(0)),
            self.text,
        )

    def _quote(self, placeholder):
        """A {kind:argument} placeholder filled by QUOTES; as typed if it cannot be (any other, too)."""
        kind, quoting, argument = placeholder[1:-1].partition(":")
        try:
            return self.QUOTES[kind](argument) if quoting and kind in self.QUOTES else placeholder
        except ValidationError:  # e.g. the article was unpublished after the reply was saved
            return placeholder


PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def placeholders_in(text):
    """The names between braces in `text`, in order, each once."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text or "")))


class KnownIssueStatus(models.TextChoices):
    INVESTIGATING = "investigating", "Investigating"
    WORKAROUND = "workaround", "Workaround available"
    FIX_SCHEDULED = "fix_scheduled", "Fix scheduled"
    FIXED = "fixed", "Fixed"


class KnownIssue(models.Model):
    """One fault many practices meet, declared by the desk (incidents/known_issues.py writes it): what it
    looks like in the practice's words, how to work around it, and the release that fixes it. Incidents
    linked to it (Incident.known_issue) follow its public updates and are resolved when its release ships.

    A practice "uses" a product when it has logged an incident for it in the last KNOWN_ISSUE_USE_MONTHS
    months or has an incident linked to one of its known issues: those practices see its banner and list."""

    Status = KnownIssueStatus

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="known_issues")
    versions_affected = models.CharField(
        max_length=200, blank=True, help_text="For example: 5.4.0 to 5.4.2, or all versions."
    )
    title = models.CharField(max_length=200)
    symptoms = models.TextField(help_text="What practices see, in their words: they match it to their fault.")
    status = models.CharField(
        max_length=20, choices=KnownIssueStatus.choices, default=KnownIssueStatus.INVESTIGATING
    )
    severity = models.PositiveSmallIntegerField(
        choices=Severity.choices,
        default=Severity.MINOR_FAULT,
        help_text="Severity 1 or 2 shows a banner on the portal to the practices using the product.",
    )
    workaround = models.TextField(blank=True, help_text="Public: shown to the practices.")
    release = models.ForeignKey(
        Release, on_delete=models.PROTECT, null=True, blank=True, related_name="known_issues",
        help_text="The release that fixes it, once the fix is scheduled.",
    )  # fmt: skip
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    fixed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["severity", "-created_at", "-id"]
        indexes = [models.Index(fields=["product", "status"], name="known_issue_product_status")]
        constraints = [
            _choices_check("status", KnownIssueStatus, "known_issue_status_valid"),
            _choices_check("severity", Severity, "known_issue_severity_valid"),
            models.CheckConstraint(
                condition=~models.Q(status="fixed") | models.Q(fixed_at__isnull=False),
                name="known_issue_fixed_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.product.name}: {self.title}"

    def get_absolute_url(self):
        return reverse("known_issues:detail", kwargs={"pk": self.pk})

    @property
    def is_fixed(self):
        return self.status == self.Status.FIXED


class KnownIssueUpdate(models.Model):
    """An update on a known issue; a public one reaches every linked incident's timeline and practice."""

    known_issue = models.ForeignKey(KnownIssue, on_delete=models.CASCADE, related_name="updates")
    text = models.TextField()
    public = models.BooleanField(default=True, help_text="Public updates are shown to the practices.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"Update on {self.known_issue_id} at {self.created_at:%Y-%m-%d %H:%M}"
