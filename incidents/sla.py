"""The incident's SLA clocks: its response and resolution due times, kept in support time (the contract's
calendar, servicedesk/lib/support_hours.py) against the contract's targets per severity (SlaTarget).

The clock starts when the incident is logged, pauses while the practice, a release or a confirmation is
awaited, and runs on with the time left. incidents/services.py calls these inside its transitions.
"""

from datetime import timedelta

from django.db.models import F, Q

from accounts.models import SupportCalendar
from accounts.services import support_calendar_for
from servicedesk.lib.support_hours import (
    STANDARD,
    add_support_minutes,
    add_support_time,
    support_time_between,
)

from .models import SlaTarget, Status

# Standard targets (support minutes) for when the table is empty, e.g. in a freshly flushed database;
# the data migration writes the same numbers for administrators to change.
DEFAULT_TARGETS = {1: (30, 240), 2: (60, 510), 3: (240, 2550), 4: (510, 10200), 5: (510, 5100)}


def sla_calendar(contract_id):
    """The support calendar a contract's clocks run on (None: a practice without a contract)."""
    try:
        return support_calendar_for(contract_id)
    except SupportCalendar.DoesNotExist:  # no standard calendar stored: the handbook's cover
        return STANDARD


def sla_terms(contract_id):
    """(calendar, {severity: (response minutes, resolution minutes)}) for a contract, or for a practice
    without one (None)."""
    calendar = sla_calendar(contract_id)
    targets = dict(DEFAULT_TARGETS)
    # The standard rows first, then the contract's own, which replace them severity by severity.
    rows = SlaTarget.objects.filter(Q(contract__isnull=True) | Q(contract_id=contract_id))
    for row in rows.order_by(F("contract").asc(nulls_first=True)):
        targets[row.severity] = (row.response_minutes, row.resolution_minutes)
    return calendar, targets


# While the incident is in these states the resolution clock runs: the desk has the next move.
CLOCK_RUNS = {Status.LOGGED, Status.UNDER_REVIEW, Status.INVESTIGATING}


def _terms(incident):
    calendar, targets = sla_terms(incident.practice.contract_id)
    return calendar, targets[incident.severity]


def sla_start(incident, now):
    """Set the clocks of a newly logged incident (not saved here: incident_log saves it)."""
    calendar, (response, resolution) = _terms(incident)
    incident.response_due_at = add_support_minutes(now, response, calendar)
    incident.resolution_due_at = add_support_minutes(now, resolution, calendar)
    incident.sla_running_since = now
    incident.sla_time_used = timedelta(0)


def sla_after_change(incident, old_status, now, *, desk_acted):
    """Keep the clocks right after a change (the incident row is locked by the caller).

    Returns the names of the fields it changed, for save(update_fields=...).
    """
    changed = []
    if desk_acted and incident.responded_at is None:
        incident.responded_at = now
        changed.append("responded_at")
    runs_now = incident.status in CLOCK_RUNS
    if old_status in CLOCK_RUNS and not runs_now and incident.sla_running_since:
        calendar, _ = _terms(incident)
        incident.sla_time_used += support_time_between(incident.sla_running_since, now, calendar)
        incident.sla_running_since = None
        incident.resolution_due_at = None  # paused: no due time until the desk has the next move again
        changed += ["sla_time_used", "sla_running_since", "resolution_due_at"]
    elif runs_now and incident.sla_running_since is None:
        calendar, (_, resolution) = _terms(incident)
        changed += _run_from(incident, now, calendar, resolution)
    return changed


def sla_after_severity_change(incident, now):
    """A new severity brings new targets; time already used still counts."""
    calendar, (response, resolution) = _terms(incident)
    changed = []
    if incident.responded_at is None:
        incident.response_due_at = add_support_minutes(incident.created_at, response, calendar)
        changed.append("response_due_at")
    if incident.sla_running_since is None:
        return changed  # paused: the new target applies when the clock runs again
    incident.sla_time_used += support_time_between(incident.sla_running_since, now, calendar)
    return [*changed, "sla_time_used", *_run_from(incident, now, calendar, resolution)]


def _run_from(incident, now, calendar, resolution):
    """Run the resolution clock from `now` with the time it has left; the fields it changed."""
    # Exact to the microsecond: the time used is not rounded, so a pause moves the due time by nothing.
    remaining = max(timedelta(minutes=resolution) - incident.sla_time_used, timedelta(0))
    incident.sla_running_since = now
    incident.resolution_due_at = add_support_time(now, remaining, calendar)
    return ["sla_running_since", "resolution_due_at"]
