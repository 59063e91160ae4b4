"""The SLA terms of a contract, its support calendar and its targets, cached until any of them changes.

Every incident logged and every status change reads them; they change only when an administrator edits
a contract, a calendar, its hours or a target. Cached values are keyed by a token
(servicedesk.lib.cache_tokens) that the signals below forget on any such save or delete.
"""

from django.db.models import F, Q
from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver

from accounts.models import Contract, SupportCalendar, SupportHours
from servicedesk.lib.cache_tokens import cached, forget, forget_after_outage
from servicedesk.lib.support_hours import STANDARD

from .models import SlaTarget

_TERMS = "sla:terms"  # the token's name
TERMS_SECONDS = 600  # at most this long out of date if a change could not be forgotten
forget_after_outage(_TERMS)

# Standard targets (support minutes) for when the table is empty, e.g. in a freshly flushed database;
# the data migration writes the same numbers for administrators to change.
DEFAULT_TARGETS = {1: (30, 240), 2: (60, 510), 3: (240, 2550), 4: (510, 10200), 5: (510, 5100)}


def sla_terms(contract_id):
    """(calendar, {severity: (response minutes, resolution minutes)}) for a contract, or for a practice
    without one (None)."""
    return cached([_TERMS], f"sla-terms:{contract_id}", lambda: _read_terms(contract_id), TERMS_SECONDS)


def _read_terms(contract_id):
    from accounts.services import support_calendar_for

    contract = Contract.objects.filter(pk=contract_id).first() if contract_id else None
    try:
        calendar = support_calendar_for(contract)
    except SupportCalendar.DoesNotExist:
        calendar = STANDARD
    targets = dict(DEFAULT_TARGETS)
    # The standard rows first, then the contract's own, which replace them severity by severity.
    rows = SlaTarget.objects.filter(Q(contract__isnull=True) | Q(contract_id=contract_id))
    for row in rows.order_by(F("contract").asc(nulls_first=True)):
        targets[row.severity] = (row.response_minutes, row.resolution_minutes)
    return calendar, targets


@receiver([post_save, post_delete], sender=Contract)
@receiver([post_save, post_delete], sender=SupportCalendar)
@receiver([post_save, post_delete], sender=SupportHours)
@receiver([post_save, post_delete], sender=SlaTarget)
@receiver(post_migrate)  # data migrations send no model signals
def _terms_written(sender, **kwargs):
    forget(_TERMS)
