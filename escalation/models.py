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
