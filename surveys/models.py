import secrets

from django.conf import settings
from django.db import models


class SurveyRound(models.Model):
    """The monthly draw: for closures in `month`, dated the 1st of the month after."""

    month = models.DateField(unique=True, help_text="The first day of the month whose closures it samples.")
    round_date = models.DateField(unique=True)
    seed = models.BigIntegerField(help_text="The random seed of the draw, kept so that it can be repeated.")
    population = models.PositiveIntegerField(help_text="Customers with an incident closed in the month.")
    eligible_count = models.PositiveIntegerField(help_text="Of those, not invited in the six months before.")
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
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "customer"], name="one_invitation_per_customer_per_round"
            )
        ]

    def __str__(self):
        return f"{self.customer} in {self.round}"
