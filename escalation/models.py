from django.conf import settings
from django.db import models

from incidents.models import Severity


class EscalationLevel(models.Model):
    """One rung of the escalation ladder, in order: who deals with an incident escalated this far."""

    position = models.PositiveSmallIntegerField(unique=True, help_text="1 is the first point of escalation.")
    role_name = models.CharField(max_length=100)
    contacts = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="escalation_levels",
        limit_choices_to={"is_staff": True},
        help_text="Staff who work this level's queue and are told of each escalation to it.",
    )
    managed_service_only = models.BooleanField(
        default=False,
        help_text="Skipped for contracts without a managed service (the Customer Liaison Officer).",
    )

    class Meta:
        ordering = ["position"]

    def __str__(self):
        return f"{self.position}. {self.role_name}"


class EscalationThreshold(models.Model):
    """Support minutes on the clock (paused time excluded) from which an open incident of this severity that
    has missed an SLA target is escalated to this level. Without a missed target, no threshold applies."""

    level = models.ForeignKey(EscalationLevel, on_delete=models.CASCADE, related_name="thresholds")
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    after_minutes = models.PositiveIntegerField()

    class Meta:
        ordering = ["level__position", "severity"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "severity"], name="one_threshold_per_level_and_severity"
            ),
            models.CheckConstraint(
                condition=models.Q(severity__gte=1, severity__lte=5), name="threshold_severity_valid"
            ),
        ]

    def __str__(self):
        return f"{self.level}: severity {self.severity} after {self.after_minutes} support minutes"
