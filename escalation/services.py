"""SLA targets and, with the escalation issue, the ladder. Reads and writes for escalation live here."""

from .models import SlaTarget


def sla_target_for(contract, severity):
    """The contract's own target for this severity if it has one, else the standard target."""
    targets = SlaTarget.objects.filter(severity=severity)
    if contract is not None:
        own = targets.filter(contract=contract).first()
        if own is not None:
            return own
    return targets.get(contract__isnull=True)
