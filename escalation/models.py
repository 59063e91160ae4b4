from django.conf import settings
from django.db import models

from accounts.models import Contract
from incidents.models import Severity


class SlaTarget(models.Model):
    """Support time allowed, per severity, for the desk's first response and for a resolution.

    A row without a contract is the standard target; a contract's own row overrides it.
    """

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, null=True, blank=True, related_name="sla_targets",
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
