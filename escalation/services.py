"""The escalation ladder: escalating and de-escalating by hand, the automatic sweep on missed SLA targets,
and the queues of the staff on the ladder. The SLA clocks live with the incident (incidents/sla.py)."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.utils import timezone

from accounts.models import SupportCalendar, User
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

from .models import EscalationLevel, LevelContact


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
    # The level's contacts for this incident are told (back with the desk: the desk's inbox, or the assignee).
    template = "incident_escalated" if kind == TimelineEvent.Kind.ESCALATED else "incident_deescalated"
    if level is None:
        queue_on_commit(send_incident_email, incident.pk, template, "desk", event.pk)
    else:
        people = [person.email for person in contacts_for(level, incident)]
        queue_on_commit(send_incident_email, incident.pk, template, "escalation", event.pk, people)
    return incident


def _for(product_id, contract_id, prefix):
    """The condition on level contacts for this product or this contract (None: for neither)."""
    wanted = {f"{prefix}product_id": product_id, f"{prefix}contract_id": contract_id}
    conditions = [Q(**{field: value}) for field, value in wanted.items() if value is not None]
    return Q(*conditions, _connector=Q.OR) if conditions else None


def contacts_for(level, incident):
    """Who an incident at `level` is for, by name: the level's contacts for its product and for its
    practice's contract (the team leader responsible for the product, the contract's allocated Customer
    Liaison Officer), else the level's general contacts. Active people only."""
    active = User.objects.filter(is_active=True).order_by("full_name", "pk")
    condition = _for(incident.product_id, incident.practice.contract_id, "level_contacts__")
    if condition is not None:
        specific = list(active.filter(condition, level_contacts__level=level).distinct())
        if specific:
            return specific
    return list(active.filter(escalation_levels=level))


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
    """A contact of the incident's level (general, or for a product or contract) takes it on; the practice
    sees that it is in hand."""
    locked = _lock(incident.pk)
    level = locked.escalation_level
    if level is None or not levels_of(actor).filter(pk=level.pk).exists():
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


def levels_of(user):
    """The levels `user` works, lowest first: those they are a contact of, generally or for a product or a
    contract. Each carries `is_general`, whether they are one of its general contacts."""
    if not (user.is_authenticated and user.is_staff):
        return EscalationLevel.objects.none()
    general = EscalationLevel.contacts.through.objects.filter(escalationlevel=OuterRef("pk"), user=user.pk)
    specific = LevelContact.objects.filter(level=OuterRef("pk"), person=user.pk)
    return (
        EscalationLevel.objects.annotate(is_general=Exists(general))
        .filter(Exists(general) | Exists(specific))
        .order_by("position")
    )


def on_the_ladder(user):
    """Staff who are contacts of a ladder level work the escalation queues."""
    return levels_of(user).exists()


def escalation_queue(user, levels, now=None):
    """The open incidents at `levels` (levels_of(user), read), `user`'s own first: those whose contacts_for
    includes them. Then most severe first, then least support time left (most overdue first, paused clocks
    last). Each carries `theirs`, `support_minutes_left` (negative when overdue, None while paused), `arrival`
    (the event that brought it to its level: who, when, why) and `acknowledgement` (who took it on there,
    or None). A fixed number of queries, however many incidents."""
    now = now or timezone.now()
    ladder_events = TimelineEvent.objects.filter(kind__in=_LADDER_KINDS).select_related("actor__practice")
    general = {level.pk for level in levels if level.is_general}
    incidents = list(
        Incident.objects.filter(escalation_level__in=[level.pk for level in levels])
        .exclude(status=Status.CLOSED)
        .select_related("practice__contract", "product", "escalation_level")
        .prefetch_related(Prefetch("events", queryset=ladder_events, to_attr="ladder_events"))
    )
    specific = _specific_contacts(incidents, levels)
    stored = list(SupportCalendar.objects.prefetch_related("hours"))
    calendars = {c.pk: c.as_calendar() for c in stored}
    standard = next((calendars[c.pk] for c in stored if c.is_standard), STANDARD)
    for incident in incidents:
        contract = incident.practice.contract
        calendar = calendars.get(contract.support_calendar_id, standard) if contract else standard
        incident.support_minutes_left = _minutes_left(incident.resolution_due_at, now, calendar)
        incident.arrival, incident.acknowledgement = _arrival_and_acknowledgement(incident.ladder_events)
        people = specific.get(
            (incident.escalation_level_id, incident.product_id, incident.practice.contract_id)
        )
        incident.theirs = user.pk in people if people else incident.escalation_level_id in general
    # Theirs first; paused clocks last within their severity.
    incidents.sort(
        key=lambda i: (not i.theirs, i.severity, i.support_minutes_left is None, i.support_minutes_left or 0)
    )
    return incidents


def _specific_contacts(incidents, levels):
    """contacts_for's product and contract contacts for each (level, product, contract) of `incidents`, as
    sets of person ids, from one query; a key that is missing has none (its level's general contacts)."""
    rows = LevelContact.objects.filter(level__in=[level.pk for level in levels], person__is_active=True)
    rows = list(rows.values_list("level_id", "product_id", "contract_id", "person_id"))
    found = {}
    for incident in incidents:
        key = (incident.escalation_level_id, incident.product_id, incident.practice.contract_id)
        if people := {row[3] for row in rows if _is_for(row, *key)}:
            found[key] = people
    return found


def _is_for(row, level, product, contract):
    """Whether a level contact, (level, product, contract, person), is for an incident at `level` about
    `product` from a practice on `contract`."""
    at, for_product, for_contract, _person = row
    return at == level and (
        (for_product is not None and for_product == product)
        or (for_contract is not None and for_contract == contract)
    )


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


def name_contacts(levels, contract):
    """Who a practice on `contract` (None: without one, or someone signed out) escalates to at each of
    `levels` (read, with their active general contacts prefetched), as contacts_for chooses: the contract's
    own contacts for every incident, each active product's contacts for that product, and the general contacts
    for any other product unless the contract has its own. Each level gets `named`, a list of (what for,
    people). Another contract's contacts are never read. One query."""
    wanted = Q(product__is_active=True)
    if contract is not None:
        wanted |= Q(contract=contract)
    rows = list(
        LevelContact.objects.filter(wanted, level__in=[level.pk for level in levels], person__is_active=True)
        .select_related("person", "product")
        .order_by("product__name", "person__full_name")
    )
    for level in levels:
        level.named = _named(level, [row for row in rows if row.level_id == level.pk])
    return levels


def _named(level, rows):
    """The level's (what for, people): the contract's own, then each product's, then the general contacts
    where the contract has none of its own."""
    for_contract = [row.person for row in rows if row.contract_id]
    by_product = {}
    for row in rows:
        if row.product_id:
            by_product.setdefault(row.product.name, []).append(row.person)
    named = [(f"For {product}", people) for product, people in by_product.items()]
    if for_contract:
        return [("For your contract", for_contract), *named]
    general = list(level.contacts.all())
    if general:
        named.append(("For any other product" if named else "", general))
    return named
