"""The desk's queues: which open incidents wait for what.

Each queue is a condition on open incidents (models.OPEN), named once here and read twice: by the incident
list's filters in admin and by the dashboard's counts (servicedesk/dashboard.py), so that a count and the
list its link opens agree. The index incident_open_queue holds the open incidents in the list's order with
every column these conditions read, so that counting them all is one pass over the open incidents, however
many closed ones there are.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import F, Q

from .models import NEXT_DUE, OPEN, Severity, Status

# An open incident to which the practice has added something (logged it, a note, a file, a rejection...)
# since the desk last did, or ever if the desk has not: the practice waits on the desk. The two times are
# kept by incidents.services.record_event.
PRACTICE_REPLIED = OPEN & (
    Q(practice_last_entry_at__isnull=False)
    & (Q(desk_last_entry_at__isnull=True) | Q(practice_last_entry_at__gt=F("desk_last_entry_at")))
)

# The incident list's order: the nearest due first (the most overdue at the top), paused clocks last. The
# index incident_open_queue is in this order (its key also ends in the list's tie-breaker, -id).
DUE_FIRST = NEXT_DUE.asc(nulls_last=True)

DUE_SOON_HOURS = 4


def response_overdue(now):
    return Q(responded_at__isnull=True, response_due_at__lt=now)


def resolution_overdue(now):
    return Q(resolution_due_at__lt=now)


def overdue(now):
    return response_overdue(now) | resolution_overdue(now)


def due_soon(now):
    """A target still to meet falls due within DUE_SOON_HOURS (and has not yet passed)."""
    within = {"gte": now, "lt": now + timedelta(hours=DUE_SOON_HOURS)}
    response = Q(responded_at__isnull=True, **{f"response_due_at__{op}": at for op, at in within.items()})
    return response | Q(**{f"resolution_due_at__{op}": at for op, at in within.items()})


@dataclass(frozen=True)
class Queue:
    """One of the dashboard's counts: `condition(now, user)` on open incidents, and the query string of the
    incident list (in admin) that shows the same incidents."""

    key: str
    label: str
    params: dict
    condition: object  # (now, user) -> Q


def _where(**lookups):
    return lambda now, user: Q(**lookups)


# In the order the dashboard shows them, in two groups: the work to pick up, and the clocks.
WORK = [
    Queue(
        "new", "New: logged, not yet verified", {"status__exact": Status.LOGGED}, _where(status=Status.LOGGED)
    ),
    Queue("unassigned", "Unassigned", {"assignee": "none"}, _where(assignee__isnull=True)),
    Queue("mine", "Assigned to me", {"assignee": "me"}, lambda now, user: Q(assignee=user)),
    Queue(
        "replied",
        "Practice replied since the desk's last entry",
        {"replied": "yes"},
        lambda now, user: PRACTICE_REPLIED,
    ),
    Queue(
        "confirming",
        "Awaiting the practice's confirmation",
        {"status__exact": Status.RESOLVED},
        _where(status=Status.RESOLVED),
    ),
]
CLOCKS = [
    Queue(
        "response_overdue",
        "Response overdue",
        {"sla": "response_breached"},
        lambda now, user: response_overdue(now),
    ),
    Queue(
        "resolution_overdue",
        "Resolution overdue",
        {"sla": "resolution_breached"},
        lambda now, user: resolution_overdue(now),
    ),
    Queue(
        "due_soon", f"Due within {DUE_SOON_HOURS} hours", {"sla": "due_soon"}, lambda now, user: due_soon(now)
    ),
    Queue("escalated", "Escalated", {"escalated": "yes"}, _where(escalation_level__isnull=False)),
    Queue(
        "severity_one",
        "Severity 1: system unavailable",
        {"severity__exact": Severity.SYSTEM_UNAVAILABLE},
        _where(severity=Severity.SYSTEM_UNAVAILABLE),
    ),
]
QUEUES = WORK + CLOCKS
