"""What the intake knows of each email it has read: its metadata and outcome, never its body."""

from django.conf import settings
from django.db import models


class Outcome(models.TextChoices):
    LOGGED = "logged", "Incident logged"
    NOTE = "note", "Note added"
    AUTOMATED = "automated", "Ignored: automatic reply or bounce"
    UNKNOWN_SENDER = "unknown_sender", "Refused: not a portal user"
    REFUSED = "refused", "Refused"
    HELD = "held", "Held: looks like an NHS number"
    DISCARDED = "discarded", "Held, then discarded"


# The server folder each outcome's mail is moved to (never deleted unread).
PROCESSED, REFUSED, HELD = "processed", "refused", "held"
FOLDER_OF = {
    Outcome.LOGGED: PROCESSED,
    Outcome.NOTE: PROCESSED,
    Outcome.AUTOMATED: REFUSED,
    Outcome.UNKNOWN_SENDER: REFUSED,
    Outcome.REFUSED: REFUSED,
    Outcome.HELD: HELD,
    Outcome.DISCARDED: REFUSED,
}


class Source(models.TextChoices):
    IMAP = "imap", "IMAP mailbox"
    PIPE = "pipe", "Mail server pipe"


class InboundMessage(models.Model):
    """One email read by the intake, recorded once: the same message read again (fetched twice, by two
    pollers, or through both adapters) finds this row and changes nothing."""

    Outcome = Outcome
    Source = Source

    message_id = models.CharField(max_length=255, blank=True, help_text="The Message-ID header, if any.")
    sha256 = models.CharField("hash of the message's bytes", max_length=64, unique=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sender = models.CharField(max_length=254, blank=True, help_text="The From address, in lower case.")
    subject = models.CharField(max_length=200, blank=True, help_text="Any NHS-number-like digits masked.")
    size = models.PositiveIntegerField(help_text="Bytes.")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    reason = models.CharField(max_length=300, blank=True)
    sender_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, null=True, blank=True, related_name="inbound_messages"
    )
    replied = models.BooleanField(default=False, help_text="Whether the intake answered the sender.")
    refused_files = models.JSONField(default=list, blank=True, help_text="Attachments refused, and why.")
    # A held message: what matched (digits masked) and where; who released or discarded it.
    held_match = models.CharField(max_length=100, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"], condition=~models.Q(message_id=""), name="inbound_message_id_once"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=Outcome.values), name="inbound_outcome_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["outcome", "received_at"],
                condition=models.Q(outcome="held"),
                name="inbound_held",
            ),
            models.Index(fields=["sender", "outcome", "received_at"], name="inbound_sender_outcome"),
        ]

    def __str__(self):
        return (
            f"{self.get_outcome_display()}: {self.sender or 'no sender'} at {self.received_at:%Y-%m-%d %H:%M}"
        )

    seen_before = False  # set on a row found again by the intake: the message was read once already

    @property
    def folder(self):
        return FOLDER_OF[self.outcome]


class IntakeHealth(models.Model):
    """One row: the IMAP poller's lease (one runner at a time) and how its last poll went."""

    lease_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    last_poll_started_at = models.DateTimeField(null=True, blank=True)
    last_poll_finished_at = models.DateTimeField(null=True, blank=True)
    last_poll_messages = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "intake health"

    def __str__(self):
        return "Email intake"
