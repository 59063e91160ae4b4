"""The escalation ladder: escalating and de-escalating by hand, the automatic sweep on missed SLA targets,
and the queues of the staff on the ladder. The SLA clocks live with the incident (incidents/sla.py)."""

from datetime import timedelta

from django.db import transaction
from django.db.models import F, Prefetch, Q
from django.utils import timezone

from accounts.models import SupportCalendar
from incidents.exceptions import InvalidTransition
from incidents.models import Incident, Status, TimelineEvent
from incidents.services import lock_open, record_event, require_text
from incidents.sla import CLOCK_RUNS, sla_calendar
from incidents.tasks import send_incident_email
from servicedesk.lib.support_hours import (
    STANDARD,
    support_minutes_between,
    support_time_between,
    support_time_in_words,
)
from servicedesk.outbox import queue_on_commit

from .models import EscalationLevel


def ladder_for(contract):
    """The levels that apply to a contract, lowest first: the managed-service rung only if it has one."""
    levels = EscalationLevel.objects.order_by("position").prefetch_related("thresholds")
    if contract is None or not contract.managed_service:
        levels = levels.filter(managed_service_only=False)
    return list(levels)


def _lock(incident_id):
    """Lock the incident's row alone, then read what it points to. Joined rows in a locking query are
    read as they were before the wait for the lock, so the escalation level must be read afterwards."""
    return Incident.objects.select_for_update().get(pk=incident_id)


@transaction.atomic
def incident_escalate(incident, *, actor, reason):
    """Move the incident one rung up the ladder (asked for by the practice, or by desk staff), with a
    reason on the timeline; the new level's contacts are emailed."""
    if not (actor.is_staff or actor.practice_id == incident.practice_id):
        raise InvalidTransition("Only the Service Desk or the incident's practice can escalate it.")
    reason = require_text(reason, "a reason for the escalation")
    locked = lock_open(incident)
    current = locked.escalation_level
    ladder = ladder_for(locked.practice.contract)
    above = [level for level in ladder if current is None or level.position > current.position]
    if not above:
        raise InvalidTransition(f"{locked.reference} is already at the top of the escalation ladder.")
    return _move(locked, above[0], actor, reason, TimelineEvent.Kind.ESCALATED)


@transaction.atomic
def incident_deescalate(incident, *, actor, reason):
    """Desk staff move the incident one rung down (or back to the desk), with a reason."""
    if not actor.is_staff:
        raise InvalidTransition("Only the Service Desk can de-escalate.")
    reason = require_text(reason, "a reason for the de-escalation")
    locked = _lock(incident.pk)
    if locked.escalation_level is None:
        raise InvalidTransition(f"{locked.reference} is not escalated.")
    current = locked.escalation_level.position
    below = [level for level in ladder_for(locked.practice.contract) if level.position < current]
    return _move(locked, below[-1] if below else None, actor, reason, TimelineEvent.Kind.DEESCALATED)


def _move(incident, level, actor, reason, kind):
    old = incident.escalation_level.role_name if incident.escalation_level else "Service Desk"
    incident.escalation_level = level
    incident.escalation_acknowledged_at = None  # the new level has yet to acknowledge it
    incident.save(update_fields=["escalation_level", "escalation_acknowledged_at", "updated_at"])
    event = record_event(
        incident=incident, kind=kind, actor=actor, old_value=old[:100],
        new_value=(level.role_name if level else "Service Desk")[:100], text=reason,
    )  # fmt: skip
    # The level now holding it is told (back with the desk: the desk's inbox, or the assignee).
    template = "incident_escalated" if kind == TimelineEvent.Kind.ESCALATED else "incident_deescalated"
    queue_on_commit(send_incident_email, incident.pk, template, "escalation" if level else "desk", event.pk)
    return incident


def _missed_target(incident, now):
    """The SLA target that has passed unmet at `now`: "response", "resolution" or None. A paused clock has no
    resolution due time, so a resolution is missed only while the clock runs."""
    due = incident.response_due_at
    if due is not None and due <= now and (incident.responded_at is None or incident.responded_at > due):
        return "response"
    if incident.resolution_due_at is not None and incident.resolution_due_at <= now:
        return "resolution"
    return None


def _missed_any_target(now):
    """The query form of _missed_target, so that the sweep locks only the incidents it may move."""
    response_missed = Q(response_due_at__lte=now) & (
        Q(responded_at__isnull=True) | Q(responded_at__gt=F("response_due_at"))
    )
    return response_missed | Q(resolution_due_at__lte=now)


def escalate_overdue(now=None):
    """Escalate every open incident that has missed an SLA target to the highest level whose threshold for
    its severity its clock has run past, and at least to the first rung; returns how many moved. Safe to
    run twice or at once on several workers: each incident is re-read under a row lock and moved only if
    it is still below its due level."""
    now = now or timezone.now()
    per_practice = {}  # practice id -> (ladder, calendar): read once per practice, not per incident
    candidates = Incident.objects.filter(_missed_any_target(now), status__in=CLOCK_RUNS)
    return sum(
        _escalate_if_missed(incident_id, now, per_practice)
        for incident_id in candidates.values_list("pk", flat=True).iterator()
    )


@transaction.atomic
def _escalate_if_missed(incident_id, now, per_practice):
    incident = _lock(incident_id)
    missed = _missed_target(incident, now)
    if incident.status not in CLOCK_RUNS or missed is None:
        return False  # changed since the candidates were read
    if incident.practice_id not in per_practice:
        per_practice[incident.practice_id] = (
            ladder_for(incident.practice.contract),
            sla_calendar(incident.practice.contract_id),
        )
    ladder, calendar = per_practice[incident.practice_id]
    # Support time the clock has run, exactly: paused time (awaiting the customer...) excluded.
    elapsed = incident.sla_time_used
    if incident.sla_running_since:
        elapsed += support_time_between(incident.sla_running_since, now, calendar)
    # The highest level whose threshold for its severity has passed, and at least the first rung.
    due = ladder[0] if ladder else None
    for level in ladder:
        thresholds = {t.severity: timedelta(minutes=t.after_minutes) for t in level.thresholds.all()}
        if incident.severity in thresholds and elapsed >= thresholds[incident.severity]:
            due = level
    current = incident.escalation_level.position if incident.escalation_level else 0
    if due is None or due.position <= current:
        return False
    reason = (
        f"Automatic: {support_time_in_words(elapsed // timedelta(minutes=1))} of support time on the clock "
        f"at severity {incident.severity}; the {missed} target passed unmet."
    )
    _move(incident, due, None, reason, TimelineEvent.Kind.ESCALATED)
    return True


@transaction.atomic
def incident_acknowledge_escalation(incident, *, actor):
    """A contact of the incident's level takes it on; the practice sees that it is in hand."""
    locked = _lock(incident.pk)
    level = locked.escalation_level
    if level is None or not level.contacts.filter(pk=actor.pk).exists():
        raise InvalidTransition("Only a contact of the incident's escalation level can acknowledge it.")
    if locked.escalation_acknowledged_at:
        return locked
    locked.escalation_acknowledged_at = timezone.now()
    locked.save(update_fields=["escalation_acknowledged_at"])
    record_event(
        incident=locked, kind=TimelineEvent.Kind.ACKNOWLEDGED, actor=actor,
        text=f"The {level.role_name} has taken this escalation on.",
    )  # fmt: skip
    return locked


# The timeline events the queue reads: how the incident reached its level, and who took it on there.
_LADDER_KINDS = [
    TimelineEvent.Kind.ESCALATED,
    TimelineEvent.Kind.DEESCALATED,
    TimelineEvent.Kind.ACKNOWLEDGED,
]


def on_the_ladder(user):
    """Staff who are contacts of a ladder level work the escalation queues."""
    return user.is_authenticated and user.is_staff and user.escalation_levels.exists()


def escalation_queue(user, now=None):
    """The open incidents at the ladder levels `user` works: most severe first, then least support time
    left (most overdue first, paused clocks last). Each carries `support_minutes_left` (negative when
    overdue, None while paused), `arrival` (the event that brought it to its level: who, when, why) and
    `acknowledgement` (who took it on there, or None). A fixed number of queries, however many incidents."""
    now = now or timezone.now()
    ladder_events = TimelineEvent.objects.filter(kind__in=_LADDER_KINDS).select_related("actor__practice")
    incidents = list(
        Incident.objects.filter(escalation_level__contacts=user)
        .exclude(status=Status.CLOSED)
        .select_related("practice__contract", "product", "escalation_level")
        .prefetch_related(Prefetch("events", queryset=ladder_events, to_attr="ladder_events"))
    )
    stored = list(SupportCalendar.objects.prefetch_related("hours"))
    calendars = {c.pk: c.as_calendar() for c in stored}
    standard = next((calendars[c.pk] for c in stored if c.is_standard), STANDARD)
    for incident in incidents:
        contract = incident.practice.contract
        calendar = calendars.get(contract.support_calendar_id, standard) if contract else standard
        incident.support_minutes_left = _minutes_left(incident.resolution_due_at, now, calendar)
        incident.arrival, incident.acknowledgement = _arrival_and_acknowledgement(incident.ladder_events)
    # Paused clocks last within their severity.
    incidents.sort(key=lambda i: (i.severity, i.support_minutes_left is None, i.support_minutes_left or 0))
    return incidents


def _arrival_and_acknowledgement(events):
    """The last escalation or de-escalation (oldest events first), and the acknowledgement after it."""
    arrival = acknowledgement = None
    for event in events:
        if event.kind == TimelineEvent.Kind.ACKNOWLEDGED:
            acknowledgement = event
        else:
            arrival, acknowledgement = event, None
    return arrival, acknowledgement


def _minutes_left(due, now, calendar):
    if due is None:
        return None  # the clock is paused
    if due >= now:
        return support_minutes_between(now, due, calendar)
    return -support_minutes_between(due, now, calendar)
