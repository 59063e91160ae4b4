import secrets

from django.conf import settings
from django.db import models
from django.utils.text import Truncator


class SurveyRound(models.Model):
    """The monthly draw: for closures in `month`, dated the 1st of the month after."""

    month = models.DateField(unique=True, help_text="The first day of the month whose closures it samples.")
    round_date = models.DateField(unique=True)
    seed = models.BigIntegerField(help_text="The random seed of the draw, kept so that it can be repeated.")
    population = models.PositiveIntegerField(help_text="Customers with an incident closed in the month.")
    eligible_count = models.PositiveIntegerField(
        help_text="Of those, not invited in another round less than six months before or after this one."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month"]

    def __str__(self):
        return f"Survey round of {self.round_date:%-d %B %Y}"


def new_token():
    return secrets.token_urlsafe(32)


class Invitation(models.Model):
    round = models.ForeignKey(SurveyRound, on_delete=models.PROTECT, related_name="invitations")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="survey_invitations"
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.PROTECT,
        null=True,
        related_name="survey_invitations",
        help_text="The customer's last incident closed in the month: the one the survey asks about.",
    )
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    # Sending claims the invitation first (claimed_at), then records sent_at once the mail server took
    # the message. Claimed but never sent means a send was interrupted: nothing resends it by itself.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "customer"], name="one_invitation_per_customer_per_round"
            )
        ]

    def __str__(self):
        return f"{self.customer} in {self.round}"


class Question(models.Model):
    """A survey question, managed by administrators; the default set comes from a data migration."""

    class Kind(models.TextChoices):
        SCORE = "score", "Score from 1 (very poor) to 5 (excellent)"
        YES_NO = "yes_no", "Yes or no"
        TEXT = "text", "Free text (checked for NHS numbers)"

    text = models.CharField(max_length=200)
    short_label = models.CharField(
        max_length=40,
        blank=True,
        help_text="A few words for the results' charts and columns; the full question shows on hover.",
    )
    help_text = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    position = models.PositiveSmallIntegerField(default=0, help_text="Questions are asked in this order.")
    required = models.BooleanField(default=True)
    active = models.BooleanField(
        default=True, help_text="Untick to stop asking it; answers already given stay in the results."
    )

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.text

    @property
    def label(self):
        """The short label, else the question's first words."""
        return self.short_label or Truncator(self.text).words(4)


class Response(models.Model):
    """A customer's answers to one invitation: at most one, which the database enforces."""

    invitation = models.OneToOneField(Invitation, on_delete=models.PROTECT, related_name="response")
    submitted_at = models.DateTimeField(auto_now_add=True)
    nhs_override = models.BooleanField(
        default=False, help_text="The customer confirmed that numbers in a comment are not NHS numbers."
    )

    def __str__(self):
        return f"Response to {self.invitation}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    question_text = models.CharField(max_length=200, help_text="The question as it was asked.")
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    yes = models.BooleanField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["question__position", "question_id"]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="one_answer_per_question"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                name="score_from_1_to_5",
                violation_error_message="A score is from 1 to 5.",
            ),
        ]

    def __str__(self):
        return self.question_text
