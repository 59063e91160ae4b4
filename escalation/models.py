from django.conf import settings
from django.db import models

from accounts.models import Contract
from incidents.models import Product, Severity


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


class LevelContact(models.Model):
    """A contact of a level for one product or one contract, ahead of the level's general contacts: the
    handbook's first rung is "the Customer Service Team Leader responsible for your product or service", and
    its second, for managed services, the contract's "allocated Customer Liaison Officer". An escalated
    incident reaches the contacts for its product and its practice's contract; only when there are none,
    the level's general contacts (services.contacts_for)."""

    level = models.ForeignKey(EscalationLevel, on_delete=models.CASCADE, related_name="specific_contacts")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="level_contacts",
        limit_choices_to={"is_staff": True},
    )
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, null=True, blank=True, related_name="level_contacts"
    )
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, null=True, blank=True, related_name="level_contacts"
    )

    class Meta:
        ordering = ["level__position", "product__name", "contract__name", "person__full_name"]
        constraints = [
            # Exactly one: a contact for neither is a general contact, kept on the level itself.
            models.CheckConstraint(
                condition=models.Q(product__isnull=False, contract__isnull=True)
                | models.Q(product__isnull=True, contract__isnull=False),
                name="level_contact_for_a_product_or_a_contract",
                violation_error_message="Choose a product or a contract: exactly one of the two.",
            ),
            models.UniqueConstraint(
                fields=["level", "product", "person"],
                condition=models.Q(product__isnull=False),
                name="one_level_contact_per_product_and_person",
            ),
            models.UniqueConstraint(
                fields=["level", "contract", "person"],
                condition=models.Q(contract__isnull=False),
                name="one_level_contact_per_contract_and_person",
            ),
        ]

    def __str__(self):
        return f"{self.person} for {self.product or self.contract} at {self.level}"
