import datetime

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from servicedesk.lib.fields import EncryptedTextField
from servicedesk.lib.support_hours import Calendar

from .identity import login_identity

# An ODS site code as used by GP practices (e.g. A81001); Irish practices are given a code of the
# same shape by the desk.
practice_id_validator = RegexValidator(
    r"^[A-Z0-9]{3,10}$", "A practice ID is 3 to 10 letters and digits, for example A81001."
)
phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 ()-]{5,22}$", "Enter a telephone number of digits and spaces, for example 01632 960123."
)


class Country(models.TextChoices):
    ENGLAND = "england", "England"
    WALES = "wales", "Wales"
    SCOTLAND = "scotland", "Scotland"
    NORTHERN_IRELAND = "northern_ireland", "Northern Ireland"
    IRELAND = "ireland", "Ireland"


class SupportCalendar(models.Model):
    """When the Service Desk is open for a contract: SLA clocks count only these hours."""

    name = models.CharField(max_length=100, unique=True)
    is_standard = models.BooleanField(
        "standard calendar", default=False, help_text="Used by every contract that names no calendar."
    )
    closed_on_english_holidays = models.BooleanField(default=True)
    closed_on_irish_holidays = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_standard"], condition=models.Q(is_standard=True), name="one_standard_calendar"
            )
        ]

    def __str__(self):
        return self.name

    def as_calendar(self):
        """The calendar for servicedesk.lib.support_hours (uses prefetched `hours` when present)."""
        spans = [(span.weekday, span.opens, span.closes) for span in self.hours.all()]
        return calendar_of(spans, self.closed_on_english_holidays, self.closed_on_irish_holidays)


def calendar_of(spans, closed_on_english_holidays, closed_on_irish_holidays):
    """A servicedesk.lib.support_hours Calendar from (weekday, opens, closes) spans and the holiday flags."""
    hours = {}
    for weekday, opens, closes in spans:
        hours.setdefault(weekday, []).append((opens, closes))
    regions = [("england", closed_on_english_holidays), ("ireland", closed_on_irish_holidays)]
    return Calendar(
        hours={day: tuple(sorted(day_spans)) for day, day_spans in hours.items()},
        closed_on=tuple(region for region, closed in regions if closed),
    )


WEEKDAYS = list(enumerate(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]))


class SupportHours(models.Model):
    calendar = models.ForeignKey(SupportCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    opens = models.TimeField()
    closes = models.TimeField(help_text="00:00 means midnight at the end of the day.")

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name_plural = "support hours"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6), name="support_hours_weekday_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")) | models.Q(closes=datetime.time(0, 0)),
                name="support_hours_close_after_open",
                violation_error_message="Closing time must be after opening time (00:00 means midnight).",
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Contract(models.Model):
    name = models.CharField(max_length=200, unique=True)
    managed_service = models.BooleanField(
        default=False,
        help_text="Managed-service contracts have a Customer Liaison Officer on the escalation ladder.",
    )
    support_calendar = models.ForeignKey(
        SupportCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text="Leave empty for the standard calendar.",
    )

    def __str__(self):
        return self.name


class Practice(models.Model):
    practice_id = models.CharField(
        "practice ID",
        max_length=10,
        unique=True,
        validators=[practice_id_validator],
        help_text="The ODS site code.",
    )
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=20, choices=Country.choices, default=Country.ENGLAND)
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, null=True, blank=True)
    # How the desk connects to the practice's systems, for every incident (an incident may give its own).
    # Written only by incidents.services.practice_update_remote_access; never in admin's forms or lists.
    remote_access_details = EncryptedTextField("remote-access details", blank=True, null=True, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(country__in=Country.values), name="practice_country_valid"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.practice_id})"


class Site(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=200)
    is_main = models.BooleanField("main site", default=False)

    class Meta:
        ordering = ["-is_main", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice"], condition=models.Q(is_main=True), name="one_main_site_per_practice"
            ),
            models.UniqueConstraint(fields=["practice", "name"], name="site_name_unique_in_practice"),
        ]

    def __str__(self):
        return f"{self.practice.name}: {self.name}" + (" (main)" if self.is_main else "")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=login_identity(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username):
        # Addresses are stored as their identity: the exact match finds the account the lockout names,
        # never one a database's case-insensitive match would add (PostgreSQL's UPPER takes ı for i).
        return self.get(email=login_identity(username))

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra_fields)


class EmailUpdates(models.TextChoices):
    """Which emails about incidents a practice user receives (they choose on their profile page)."""

    ALL = "all", "Every update to the incidents I report or follow"
    NEEDS_ME = "needs_me", "Only updates that need me: a question for us, a solution to confirm"
    RESOLUTIONS = "resolutions", "None, except resolutions to confirm"


class User(AbstractUser):
    """A person who signs in with their email address; practice staff have a practice, desk staff do not."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField("name", max_length=150)
    phone = models.CharField(max_length=30, blank=True, validators=[phone_validator])
    job_role = models.CharField(max_length=100, blank=True)
    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    # When the user last opened their practice's incident list: its greeting says what changed since.
    last_list_visit = models.DateTimeField(null=True, blank=True, editable=False)
    email_updates = models.CharField(
        "emails about incidents", max_length=20, choices=EmailUpdates.choices, default=EmailUpdates.ALL
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    objects = UserManager()

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ignoring_case"),
            models.CheckConstraint(
                condition=models.Q(email_updates__in=EmailUpdates.values), name="user_email_updates_valid"
            ),
        ]

    def __str__(self):
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = login_identity(self.email)

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class AccountRequest(models.Model):
    """A request for a portal account, approved or rejected by a desk agent in admin."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="account_requests")
    full_name = models.CharField("name", max_length=150)
    email = models.EmailField("email address")
    phone = models.CharField(max_length=30, validators=[phone_validator])
    job_role = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rejection_reason = models.TextField(
        blank=True,
        help_text="Asked for when the request is rejected, and emailed to the requester.",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "approved", "rejected"]),
                name="account_request_status_valid",
            ),
            # One open request per email address: a second submission does not queue another.
            models.UniqueConstraint(
                Lower("email"), condition=models.Q(status="pending"), name="one_pending_request_per_email"
            ),
        ]

    def __str__(self):
        return f"{self.full_name} <{self.email}> for {self.practice.practice_id}"
