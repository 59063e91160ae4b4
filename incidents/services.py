"""Writing incidents. Every change to an incident's state goes through a function here."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Q, Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import capfirst

from accounts.models import Practice
from servicedesk.outbox import queue_on_commit

from .attachments import store_attachment
from .exceptions import InvalidTransition, StorageFull
from .models import (
    Attachment,
    Channel,
    Follower,
    Incident,
    IncidentLink,
    ReferenceCounter,
    Release,
    Severity,
    Status,
    TimelineEvent,
    YesNoUnknown,
)  # fmt: skip
from .sla import sla_after_change, sla_after_severity_change, sla_start
from .tasks import (
    alert_desk_to_severity_one,
    check_screenshot,
    send_incident_email,
    send_incident_logged_email,
    send_practice_remote_access_email,
)


def _next_reference():
    """The next incident reference, e.g. PC000123. The counter row stays locked by the UPDATE until the
    caller's transaction commits, so concurrent submissions wait for each other instead of colliding."""
    prefix = settings.INCIDENT_REFERENCE_PREFIX
    value = _increment_counter(prefix)
    if value is None:
        try:
            with transaction.atomic():  # the first incident under a new prefix
                ReferenceCounter.objects.create(name=prefix, value=0)
        except IntegrityError:
            pass  # another submission created it first
        value = _increment_counter(prefix)
    return f"{prefix}{value:0{settings.INCIDENT_REFERENCE_DIGITS}d}"


def _increment_counter(name):
    """Add one to the named counter and read the new value in the same statement (UPDATE ... RETURNING,
    which PostgreSQL and SQLite both have); None if there is no such counter."""
    quote = connection.ops.quote_name
    table, value, key = quote(ReferenceCounter._meta.db_table), quote("value"), quote("name")
    with connection.cursor() as cursor:
        # Only quoted identifiers from the model are formatted in; the name is a parameter.
        cursor.execute(
            f"UPDATE {table} SET {value} = {value} + 1 WHERE {key} = %s RETURNING {value}",  # noqa: S608
            [name],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


# Timeline entries that answer nobody: reading remote-access details, routing, housekeeping, reminders, and
# the NHS-number confirmation that goes with the entry it vouches for.
NOT_AN_ENTRY = frozenset(
    {
        TimelineEvent.Kind.ASSIGNED,
        TimelineEvent.Kind.REMOTE_ACCESS_VIEWED,
        TimelineEvent.Kind.NHS_OVERRIDE,
        TimelineEvent.Kind.PURGED,
        TimelineEvent.Kind.REMINDER,
    }
)


def _last_entry_field(kind, actor):
    """Which of the incident's two times an entry moves: the desk's (staff), the practice's (its users), or
    neither (the system's own entries, and NOT_AN_ENTRY)."""
    if actor is None or kind in NOT_AN_ENTRY:
        return None
    return "desk_last_entry_at" if actor.is_staff else "practice_last_entry_at"


def record_event(incident, *, kind, actor, **fields):
    """Write one entry on the incident's timeline: every entry is written here. An entry by the practice or
    by the desk also becomes the incident's practice_last_entry_at or desk_last_entry_at, the times its
    "practice replied" queue compares (incidents/queues.py)."""
    event = TimelineEvent.objects.create(incident=incident, kind=kind, actor=actor, **fields)
    if name := _last_entry_field(kind, actor):
        Incident.objects.filter(pk=incident.pk).update(**{name: event.created_at})
        setattr(incident, name, event.created_at)
    return event


def record_events(incidents, *, kind, actor, **fields):
    """The same entry on each of `incidents` (a change for the whole practice), in two queries."""
    events = TimelineEvent.objects.bulk_create(
        TimelineEvent(incident=incident, kind=kind, actor=actor, **fields) for incident in incidents
    )
    if events and (name := _last_entry_field(kind, actor)):
        Incident.objects.filter(pk__in=[event.incident_id for event in events]).update(
            **{name: max(event.created_at for event in events)}
        )
    return events


def incident_record_nhs_override(incident, *, actor, field_labels):
    """Put on the timeline that the user vouched that a number which looked like one is no NHS number."""
    if field_labels:
        record_event(
            incident=incident,
            kind=TimelineEvent.Kind.NHS_OVERRIDE,
            actor=actor,
            text="Confirmed that the number in " + ", ".join(field_labels) + " is not an NHS number.",
        )


def _make_room(practice_id, incident, uploads, replacing=None):
    """Refuse files that would take the incident (if it exists yet) or its practice past their storage
    quotas (purged files do not count, nor `replacing`, an attachment about to be deleted). The practice's
    row is locked first, so that two submissions at once cannot both slip under a quota."""
    adding = sum(upload.size for upload in uploads)
    if not adding:
        return
    # FOR NO KEY UPDATE: quota checks wait for each other, but rows that merely refer to the practice (a
    # new incident, user or site) do not wait for an upload.
    list(Practice.objects.select_for_update(no_key=True).filter(pk=practice_id).values_list("pk"))
    kept = Attachment.objects.filter(purged_at__isnull=True)
    if replacing is not None:
        kept = kept.exclude(pk=replacing.pk)
    limits = [
        (kept.filter(incident__practice_id=practice_id), settings.PRACTICE_STORAGE_QUOTA_BYTES, "practice")
    ]
    if incident is not None:
        limits.insert(0, (kept.filter(incident=incident), settings.INCIDENT_STORAGE_QUOTA_BYTES, "incident"))
    for files, quota, whose in limits:
        used = files.aggregate(total=Sum("size"))["total"] or 0
        if used + adding > quota:
            raise StorageFull(
                f"These files ({filesizeformat(adding)}) would take the files kept for this {whose} past "
                f"{filesizeformat(quota)}, the most we keep for one {whose} (it has {filesizeformat(used)}). "
                "Attach fewer or smaller files, or ask the Service Desk to remove files no longer needed."
            )


def _judge_current_version(incident):
    """A stated version answers "is it the current one?" better than a guess (once there is a product)."""
    if incident.product is not None and incident.version.strip():
        current = incident.version.strip().lower() == incident.product.current_version.strip().lower()
        incident.on_current_version = YesNoUnknown.YES if current else YesNoUnknown.NO


def _practice_of_new(incident):
    """The practice a new incident belongs to: its reporter's, or, for a caller with no portal account, that
    of the site they named."""
    if incident.reporter_id is None:
        if incident.site_id is None:
            raise ValueError("An incident without a reporter must name the practice's site.")
        return incident.site.practice
    if incident.reporter.practice_id is None:
        raise ValueError("An incident's reporter must belong to a practice.")
    return incident.reporter.practice  # already loaded when the reporter is the signed-in user


def incident_log(incident, *, actor, nhs_override_fields=(), uploads=(), notify=True):
    """Log a new incident built by a form (not yet saved) and give it its reference. `actor` is who typed
    it in; the emails are queued for after the commit unless `notify` is false (demo data)."""
    if incident.pk:
        raise ValueError("incident_log() is for new incidents only.")
    incident.practice = _practice_of_new(incident)
    incident.logged_by = actor
    incident.status = Status.LOGGED
    _judge_current_version(incident)
    with transaction.atomic():
        _make_room(incident.practice_id, None, uploads)
        sla_start(incident, timezone.now())
        incident.reference = _next_reference()
        incident.save()
        logged = record_event(
            incident=incident,
            kind=TimelineEvent.Kind.LOGGED,
            actor=actor,
            new_value=Status.LOGGED,
            text=f"{incident.logged_how}, severity {incident.severity}.",
        )
        for upload in uploads:
            _attach(incident, logged, upload, actor)
        incident_record_nhs_override(incident, actor=actor, field_labels=nhs_override_fields)
        if notify:
            queue_on_commit(send_incident_logged_email, incident.pk)
            if incident.severity == Severity.SYSTEM_UNAVAILABLE:
                queue_on_commit(alert_desk_to_severity_one, incident.pk)
    return incident


def _shown(value, limit=200):
    text = "—" if value in (None, "") else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown_value(field, value):
    """A choice by its label, as the practice chose it."""
    return _shown(dict(field.flatchoices).get(value, value) if field.choices else value)


_NOT_DETAILS = {"status", "severity", "assignee", "reference", "practice", "reporter", "channel", "logged_by"}


def details_refusal(incident, actor):
    """Why `actor` may not change the incident's checklist details, or None. The desk corrects any
    incident's; a practice user only completes the checklist of their own practice's emailed incident,
    while it is open (an incident logged in the portal or by telephone was given its checklist then)."""
    if actor.is_staff:
        return None
    if actor.practice_id != incident.practice_id:
        return "Only staff of the incident's practice can change its details."
    if incident.channel != Channel.EMAIL:
        return (
            f"{incident.reference} was {incident.logged_how.lower()} with its checklist. If a detail is "
            "wrong, add a note to say so."
        )
    if not incident.is_open:
        return f"{incident.reference} is closed, so its details can no longer be changed."
    return None


def incident_correct_details(incident, *, actor, changed_fields, nhs_override_fields=()):
    """Save corrections (carried by `incident`) to its checklist details, with a timeline entry naming who
    changed each field: internal for the desk's corrections, public for a practice completing the checklist
    of an incident it emailed in (details_refusal says who may). Status, severity and assignee have their
    own functions."""
    if not_details := sorted(_NOT_DETAILS.intersection(changed_fields)):
        raise ValueError(f"Not a detail: {not_details}")
    if refusal := details_refusal(incident, actor):
        raise InvalidTransition(refusal)
    if not changed_fields:
        return incident
    changed_fields = list(changed_fields)
    judged = {"product", "version", "on_current_version"}.intersection(changed_fields)
    if judged:  # as when logging
        _judge_current_version(incident)
    with transaction.atomic():
        current = Incident.objects.select_for_update().get(pk=incident.pk)
        if refusal := details_refusal(current, actor):  # closed meanwhile
            raise InvalidTransition(refusal)
        judged_anew = current.on_current_version != incident.on_current_version
        if judged and judged_anew and "on_current_version" not in changed_fields:
            changed_fields.append("on_current_version")
        lines = []
        for name in changed_fields:
            field = Incident._meta.get_field(name)
            label = capfirst(field.verbose_name)
            if isinstance(field, models.CharField | models.TextField) and not field.choices:
                # Free text is not copied: a correction often removes what must not be kept.
                lines.append(f"{label}: changed")
            else:
                old, new = (_shown_value(field, getattr(each, name)) for each in (current, incident))
                lines.append(f"{label}: “{old}” → “{new}”")
            setattr(current, name, getattr(incident, name))
        current.save(update_fields=[*changed_fields, "updated_at"])
        record_event(
            incident=current,
            kind=TimelineEvent.Kind.DETAILS,
            actor=actor,
            public=not actor.is_staff,
            text="\n".join(lines),
        )
        incident_record_nhs_override(current, actor=actor, field_labels=nhs_override_fields)
    return current


# --- The lifecycle -------------------------------------------------------------------------------


AGENT = "agent"  # service-desk staff, in admin
CUSTOMER = "customer"  # practice staff of the incident's practice, in the portal

OPEN_STATES = frozenset(Status) - {Status.CLOSED}


@dataclass(frozen=True)
class Transition:
    label: str
    sources: frozenset
    target: str
    who: str


# The one table of allowed status changes (SPEC, "Incident lifecycle").
TRANSITIONS = {
    "verify": Transition("Verify", frozenset({Status.LOGGED}), Status.UNDER_REVIEW, AGENT),
    "start_investigation": Transition(
        "Start investigating",
        frozenset({Status.UNDER_REVIEW, Status.AWAITING_CUSTOMER}),
        Status.INVESTIGATING,
        AGENT,
    ),
    "await_customer": Transition(
        "Wait for the customer", frozenset({Status.INVESTIGATING}), Status.AWAITING_CUSTOMER, AGENT
    ),
    "schedule_fix": Transition(
        "Schedule a fix", frozenset({Status.INVESTIGATING}), Status.FIX_SCHEDULED, AGENT
    ),
    "resolve": Transition(
        "Resolve", frozenset({Status.INVESTIGATING, Status.FIX_SCHEDULED}), Status.RESOLVED, AGENT
    ),
    "confirm": Transition("Confirm the resolution", frozenset({Status.RESOLVED}), Status.CLOSED, CUSTOMER),
    "confirm_by_phone": Transition(
        "Record a confirmation by telephone", frozenset({Status.RESOLVED}), Status.CLOSED, AGENT
    ),
    "reject": Transition(
        "Reject the resolution", frozenset({Status.RESOLVED}), Status.INVESTIGATING, CUSTOMER
    ),
    "close_not_relevant": Transition("Close as no longer relevant", OPEN_STATES, Status.CLOSED, CUSTOMER),
    # Within INCIDENT_REOPEN_DAYS of closing (incident_reopen checks the period); after it, a new incident.
    "reopen": Transition("Reopen", frozenset({Status.CLOSED}), Status.INVESTIGATING, CUSTOMER),
}


def allowed_actions(incident, who):
    """The transitions `who` (AGENT or CUSTOMER) may start from the incident's current status."""
    return [name for name, rule in TRANSITIONS.items() if rule.who == who and incident.status in rule.sources]


def _transition(incident, action, *, actor, text="", kind=TimelineEvent.Kind.STATUS, changes=None):
    """Move `incident` along one row of TRANSITIONS, with its row locked, saving `changes` (further fields'
    new values) with the status; the locked incident and the event recorded."""
    rule = TRANSITIONS[action]
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if rule.who == AGENT and not actor.is_staff:
        raise InvalidTransition("Only the Service Desk can do that.")
    if rule.who == CUSTOMER and actor.practice_id != locked.practice_id:
        raise InvalidTransition("Only staff of the incident's practice can do that.")
    if locked.status not in rule.sources:
        raise InvalidTransition(
            f"{rule.label} is not possible while {locked.reference} is {locked.get_status_display().lower()}."
        )
    old = locked.status
    locked.status = rule.target
    for name, value in (changes or {}).items():
        setattr(locked, name, value)
    clocks = sla_after_change(locked, old, timezone.now(), desk_acted=actor.is_staff)
    locked.save(update_fields=["status", "updated_at", *(changes or {}), *clocks])
    expressions = [name for name, value in (changes or {}).items() if hasattr(value, "resolve_expression")]
    if expressions:
        locked.refresh_from_db(fields=expressions)
    event = record_event(
        incident=locked, kind=kind, actor=actor, old_value=old, new_value=rule.target, text=text
    )
    return locked, event


def require_text(text, what):
    text = (text or "").strip()
    if not text:
        raise InvalidTransition(f"Please give {what}.")
    return text


def _notify(incident, template, audience, event=None):
    """Email the practice or the desk (`audience`) once the transaction commits."""
    queue_on_commit(send_incident_email, incident.pk, template, audience, event.pk if event else None)


@transaction.atomic
def incident_verify(incident, *, actor, note="", tell_practice=True):
    """The desk has checked the details: the incident is under review. `tell_practice` false leaves the
    practice's email to the caller (incident_triage tells of several changes at once)."""
    incident, event = _transition(incident, "verify", actor=actor, text=note.strip())
    if tell_practice:
        _notify(incident, "incident_status", "practice", event)
    return incident


@transaction.atomic
def incident_start_investigation(incident, *, actor, note="", tell_practice=True):
    """Work starts, or restarts once the customer has answered. `tell_practice` false leaves the practice's
    email to the caller (a duplicate taken up only to be resolved at once hears of the resolution alone)."""
    incident, event = _transition(incident, "start_investigation", actor=actor, text=note.strip())
    if tell_practice:
        _notify(incident, "incident_status", "practice", event)
    return incident


@transaction.atomic
def incident_await_customer(incident, *, actor, question):
    """The desk needs something from the practice; the question goes on the timeline and by email."""
    question = require_text(question, "the question for the practice")
    incident, event = _transition(incident, "await_customer", actor=actor, text=question)
    _notify(incident, "incident_status", "practice", event)
    return incident


NO_PRODUCT_TO_SCHEDULE = (
    "Set the product first: a fix is scheduled into a release of the incident's product, and this incident "
    "has none yet."
)


@transaction.atomic
def incident_schedule_fix(incident, *, actor, release, workaround=""):
    """A software fault: schedule it into a planned or emergency release of its product."""
    if incident.product_id is None:
        raise InvalidTransition(NO_PRODUCT_TO_SCHEDULE)
    release = Release.objects.select_for_update().select_related("product").get(pk=release.pk)  # not stale
    if release.product_id != incident.product_id:
        raise InvalidTransition(f"{release} is not a release of {incident.product.name}.")
    if release.shipped_on:
        raise InvalidTransition(f"{release} has already shipped; choose a release still to come.")
    text = f"Scheduled for {release}, due {release.target_date:%-d %B %Y}."
    changes = {"software_fault": True, "release": release, "workaround": workaround.strip()}
    incident, event = _transition(
        incident,
        "schedule_fix",
        actor=actor,
        text=text,
        kind=TimelineEvent.Kind.FIX_SCHEDULED,
        changes=changes,
    )
    _notify(incident, "incident_status", "practice", event)
    # Its duplicates hear of the fix and the workaround as a note; the release resolves them when it ships.
    workaround = f" Until then: {changes['workaround']}" if changes["workaround"] else ""
    _reach_duplicates(incident, actor, note=f"A fix is scheduled for {release}, due "
                      f"{release.target_date:%-d %B %Y}.{workaround}")  # fmt: skip
    return incident


@transaction.atomic
def incident_schedule_fix_into_new_release(incident, *, actor, version, kind, target_date, workaround=""):
    """Create a release of the incident's product and schedule the fault into it, both or neither."""
    if incident.product_id is None:
        raise InvalidTransition(NO_PRODUCT_TO_SCHEDULE)
    release = release_create(
        incident.product, actor=actor, version=version, kind=kind, target_date=target_date
    )
    return incident_schedule_fix(incident, actor=actor, release=release, workaround=workaround)


@transaction.atomic
def incident_resolve(incident, *, actor, resolution, is_workaround=False):
    """A solution, or a temporary workaround, has been supplied. Only the customer can close it."""
    resolution = require_text(resolution, "the resolution")
    changes = {
        "resolution": resolution,
        "resolution_is_workaround": is_workaround,
        "resolved_at": timezone.now(),
        "last_reminder_at": None,
    }
    incident, event = _transition(incident, "resolve", actor=actor, text=resolution, changes=changes)
    _notify(incident, "incident_resolved", "practice", event)
    _reach_duplicates(incident, actor, resolution=resolution, is_workaround=is_workaround)
    return incident


def _close_confirmed(incident, action, actor, text):
    incident, event = _transition(
        incident,
        action,
        actor=actor,
        kind=TimelineEvent.Kind.CONFIRMED,
        changes={"closed_at": timezone.now()},
        text=text,
    )
    _notify(incident, "incident_status", "practice", event)
    return incident


@transaction.atomic
def incident_confirm(incident, *, actor):
    """The practice confirms the resolution worked: the incident is closed."""
    return _close_confirmed(incident, "confirm", actor, f"Confirmed in the portal by {actor.full_name}.")


@transaction.atomic
def incident_confirm_by_phone(incident, *, actor, confirmed_by):
    """An agent records that the practice confirmed the resolution by telephone, and who confirmed."""
    confirmed_by = require_text(confirmed_by, "the name of the person who confirmed")
    return _close_confirmed(incident, "confirm_by_phone", actor, f"Confirmed by telephone by {confirmed_by}.")


@transaction.atomic
def incident_reject(incident, *, actor, reason):
    """The practice says the resolution did not work: the incident is reopened for investigation."""
    reason = require_text(reason, "a reason")
    changes = {"reopened_count": F("reopened_count") + 1, "resolved_at": None}
    incident, event = _transition(
        incident, "reject", actor=actor, kind=TimelineEvent.Kind.REJECTED, text=reason, changes=changes
    )
    _notify(incident, "incident_reopened", "desk", event)
    return incident


@transaction.atomic
def incident_close_not_relevant(incident, *, actor, reason):
    """The practice closes an incident that no longer matters, saying why."""
    reason = require_text(reason, "a reason")
    incident, event = _transition(
        incident,
        "close_not_relevant",
        actor=actor,
        text=f"Closed as no longer relevant: {reason}",
        changes={"closed_at": timezone.now()},
    )
    _release_duplicates(incident, actor)
    _notify(incident, "incident_closed_by_practice", "desk", event)
    return incident


def _release_duplicates(main, actor):
    """A main incident closed without a fix (its practice no longer needs one) no longer speaks for its
    open duplicates, whose fault may remain: each is unlinked, and its timeline tells the desk, for the desk
    alone, to answer it on its own."""
    released = list(duplicates_of(main).select_related("practice"))
    IncidentLink.objects.filter(to_incident=main, kind=IncidentLink.Kind.DUPLICATE_OF).filter(
        from_incident__in=released
    ).delete()
    for duplicate in released:
        record_event(
            duplicate, kind=TimelineEvent.Kind.LINKED, actor=actor, public=False, new_value=main.reference,
            text=f"{main.reference}, which this duplicated, was closed by its practice without a fix: "
            "this incident is no longer a duplicate and needs its own answer.",
        )  # fmt: skip


def reopen_deadline(incident):
    """Until when the practice may reopen a closed incident; None if it is not closed."""
    if incident.status != Status.CLOSED or incident.closed_at is None:
        return None
    return incident.closed_at + timedelta(days=settings.INCIDENT_REOPEN_DAYS)


def can_reopen(incident, now=None):
    deadline = reopen_deadline(incident)
    return deadline is not None and (now or timezone.now()) <= deadline


@transaction.atomic
def incident_reopen(incident, *, actor, reason):
    """The practice reopens an incident closed within INCIDENT_REOPEN_DAYS, saying why: the desk
    investigates again. After that period the practice logs a new incident that refers to this one."""
    reason = require_text(reason, "a reason")
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.status == Status.CLOSED and not can_reopen(locked):
        raise InvalidTransition(
            f"{locked.reference} was closed more than {settings.INCIDENT_REOPEN_DAYS} days ago, so it can no "
            "longer be reopened. Please log a new incident that refers to it."
        )
    changes = {"reopened_count": F("reopened_count") + 1, "closed_at": None, "resolved_at": None}
    incident, event = _transition(locked, "reopen", actor=actor, text=f"Reopened: {reason}", changes=changes)
    _notify(incident, "incident_reopened_after_close", "desk", event)
    return incident


# --- Severity, assignment, notes and requests ------------------------------------------------------


def lock_open(incident):
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.status == Status.CLOSED:
        raise InvalidTransition(f"{locked.reference} is closed.")
    return locked


@transaction.atomic
def incident_change_severity(incident, *, actor, severity, reason, tell_practice=True):
    """The desk sets the severity it has verified, with a reason the practice can read. `tell_practice`
    false leaves the practice's email to the caller; the desk's severity 1 alert goes regardless."""
    if not actor.is_staff:
        raise InvalidTransition("Only the Service Desk can change the severity.")
    reason = require_text(reason, "a reason for the new severity")
    locked = lock_open(incident)
    if locked.severity == severity:
        return locked
    old = locked.get_severity_display()
    locked.severity = severity
    clocks = sla_after_severity_change(locked, timezone.now())
    locked.save(update_fields=["severity", "updated_at", *clocks])
    event = record_event(
        incident=locked,
        kind=TimelineEvent.Kind.SEVERITY,
        actor=actor,
        old_value=old,
        new_value=locked.get_severity_display(),
        text=reason,
    )
    if tell_practice:
        _notify(locked, "incident_severity", "practice", event)
    if severity == Severity.SYSTEM_UNAVAILABLE:
        queue_on_commit(alert_desk_to_severity_one, locked.pk)
    return locked


@transaction.atomic
def incident_assign(incident, *, actor, assignee):
    """Give the incident to an agent (or to nobody). Internal: the practice is not told."""
    if not actor.is_staff or (assignee is not None and not assignee.is_staff):
        raise InvalidTransition("Incidents are assigned by and to Service Desk staff.")
    locked = lock_open(incident)
    if locked.assignee_id == (assignee.pk if assignee else None):
        return locked
    old = str(locked.assignee or "nobody")
    locked.assignee = assignee
    locked.save(update_fields=["assignee", "updated_at"])
    record_event(
        incident=locked,
        kind=TimelineEvent.Kind.ASSIGNED,
        actor=actor,
        public=False,
        old_value=old[:100],
        new_value=str(assignee or "nobody")[:100],
    )
    return locked


@transaction.atomic
def incident_add_note(
    incident, *, actor, text, public=True, uploads=(), nhs_override_fields=(), tell_practice=True
):
    """Add a note, with any attachments, to an open or closed incident's timeline (all or nothing).
    Practice notes are always public; desk notes are public (the practice is emailed, unless
    `tell_practice` is false and the caller tells it) or internal."""
    is_desk = actor.is_staff
    if not is_desk and actor.practice_id != incident.practice_id:
        raise InvalidTransition("Only staff of the incident's practice can add notes.")
    text = (text or "").strip()
    if not text and not uploads:
        raise InvalidTransition("Write a note or attach a file.")
    public = public or not is_desk
    # One note at a time per incident (the row stays locked to the commit): the desk's digest of practice
    # notes goes by the order they were written in.
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    _make_room(incident.practice_id, incident, uploads)
    kind = TimelineEvent.Kind.NOTE if text else TimelineEvent.Kind.ATTACHMENT
    event = record_event(locked, kind=kind, actor=actor, public=public, text=text)
    for upload in uploads:
        _attach(incident, event, upload, actor)
    incident_record_nhs_override(incident, actor=actor, field_labels=nhs_override_fields)
    locked.updated_at = timezone.now()
    if is_desk and public and locked.responded_at is None:  # a public desk answer is its first response
        locked.responded_at = locked.updated_at
    locked.save(update_fields=["updated_at", "responded_at"])
    if is_desk and public:
        if tell_practice:
            _notify(incident, "incident_note", "practice", event)
        if text:
            _reach_duplicates(locked, actor, note=text)
    elif not is_desk:
        _tell_desk_of_practice_note(locked, event)
    return event


def _tell_desk_of_practice_note(locked, event):
    """The desk hears of a practice's note at once if it has heard of none for DESK_NOTE_DIGEST_MINUTES;
    otherwise the note waits, with any others that follow, for one digest (send_note_digests). A burst of
    notes makes two emails, not one each. `locked` is the incident, its row locked by the caller."""
    now = timezone.now()
    quiet_since = now - timedelta(minutes=settings.DESK_NOTE_DIGEST_MINUTES)
    told = locked.desk_told_of_notes_at
    if locked.notes_held_since is None and (told is None or told <= quiet_since):
        locked.desk_told_of_notes_at, locked.desk_told_of_notes_upto = now, event.pk
        locked.save(update_fields=["desk_told_of_notes_at", "desk_told_of_notes_upto"])
        _notify(locked, "incident_note_from_practice", "desk", event)
    elif locked.notes_held_since is None:
        locked.notes_held_since = now
        locked.save(update_fields=["notes_held_since"])


def practice_notes(incident):
    """The notes and files the practice has added to the incident's timeline, oldest first."""
    return incident.events.filter(
        kind__in=[TimelineEvent.Kind.NOTE, TimelineEvent.Kind.ATTACHMENT], actor__is_staff=False
    ).order_by("pk")


def send_note_digests(now=None):
    """Send the desk one email per incident for the practice notes held back (incident_add_note) once
    DESK_NOTE_DIGEST_MINUTES have passed since it was last told. Safe to run twice or at once: each
    incident is claimed under its row lock. Returns how many digests were sent."""
    from .tasks import send_note_digest

    now = now or timezone.now()
    quiet_since = now - timedelta(minutes=settings.DESK_NOTE_DIGEST_MINUTES)
    due = Incident.objects.filter(notes_held_since__isnull=False, desk_told_of_notes_at__lte=quiet_since)
    sent = 0
    for incident_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            locked = Incident.objects.select_for_update().get(pk=incident_id)
            if locked.notes_held_since is None:
                continue  # another sweep sent it
            after = locked.desk_told_of_notes_upto or 0
            upto = practice_notes(locked).filter(pk__gt=after).values_list("pk", flat=True).last()
            locked.notes_held_since, locked.desk_told_of_notes_at = None, now
            locked.desk_told_of_notes_upto = upto or after
            locked.save(
                update_fields=["notes_held_since", "desk_told_of_notes_at", "desk_told_of_notes_upto"]
            )
            if upto:
                queue_on_commit(send_note_digest, locked.pk, after, upto)
                sent += 1
    return sent


PROGRESS_REQUEST_INTERVAL = timedelta(hours=4)


@transaction.atomic
def incident_request_progress(incident, *, actor):
    """The practice asks for a progress update; the assignee (or the desk) is told, but not again within
    PROGRESS_REQUEST_INTERVAL. Returns (notified, last_request_at)."""
    locked = lock_open(incident)
    if actor.practice_id != locked.practice_id:
        raise InvalidTransition("Only staff of the incident's practice can ask for progress.")
    now = timezone.now()
    last = locked.last_progress_request_at
    if last and now - last < PROGRESS_REQUEST_INTERVAL:
        return False, last
    locked.last_progress_request_at = now
    locked.save(update_fields=["last_progress_request_at"])
    event = record_event(
        incident=locked,
        kind=TimelineEvent.Kind.PROGRESS_REQUESTED,
        actor=actor,
        text=f"{actor.full_name} asked for a progress update.",
    )
    _notify(locked, "incident_progress_requested", "desk", event)
    return True, now


def incident_read_remote_access(incident, *, actor):
    """Return the decrypted remote-access details, recording on the timeline who read them and when."""
    if not actor.has_perm("incidents.view_remote_access"):
        raise InvalidTransition("You are not allowed to read remote-access details.")
    record_event(
        incident=incident,
        kind=TimelineEvent.Kind.REMOTE_ACCESS_VIEWED,
        actor=actor,
        public=False,
        text=f"{actor.full_name} read the remote-access details.",
    )
    return incident.remote_access_details


REMOTE_ACCESS_CHANGED = "Remote-access details changed"  # all the timeline ever says of their content


@transaction.atomic
def incident_update_remote_access(incident, *, actor, allowed, constraints, details=None):
    """The practice changes how (and when) the desk may connect for this incident. `details` None keeps
    the stored connection details, "" removes them. The details stay encrypted; the timeline and the desk's
    email say only that they changed (the handbook: changes to access codes are notified to the desk)."""
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if actor.practice_id != locked.practice_id:
        raise InvalidTransition("Only staff of the incident's practice can change its remote access.")
    if locked.status == Status.CLOSED:
        raise InvalidTransition(
            f"{locked.reference} is closed, so its remote access can no longer be changed."
        )
    constraints = (constraints or "").strip()
    lines, fields = [], []
    if locked.remote_access_allowed != allowed:
        old, new = (
            "Allowed" if value else "Not allowed" for value in (locked.remote_access_allowed, allowed)
        )
        lines.append(f"Remote access: “{old}” → “{new}”")
        locked.remote_access_allowed, fields = allowed, [*fields, "remote_access_allowed"]
    if locked.remote_access_constraints != constraints:
        lines.append("Time constraints on remote access: changed")
        locked.remote_access_constraints, fields = constraints, [*fields, "remote_access_constraints"]
    if details is not None and (details.strip() or None) != (locked.remote_access_details or None):
        lines.append(f"{REMOTE_ACCESS_CHANGED}." if details.strip() else "Remote-access details removed.")
        locked.remote_access_details, fields = details.strip() or None, [*fields, "remote_access_details"]
    if not fields:
        return locked, None
    locked.save(update_fields=[*fields, "updated_at"])
    event = record_event(incident=locked, kind=TimelineEvent.Kind.DETAILS, actor=actor, text="\n".join(lines))
    _notify(locked, "incident_remote_access_changed", "desk", event)
    return locked, event


@transaction.atomic
def practice_update_remote_access(practice, *, actor, details):
    """The practice changes the remote-access details the desk uses for all its incidents ("" removes them):
    kept encrypted on the practice; each open incident's timeline says that they changed (never what they
    are), and the desk is told once. True if anything changed."""
    if actor.practice_id != practice.pk:
        raise InvalidTransition("Only staff of the practice can change its remote-access details.")
    locked = Practice.objects.select_for_update().get(pk=practice.pk)
    details = (details or "").strip() or None
    if details == (locked.remote_access_details or None):
        return False
    locked.remote_access_details = details
    locked.save(update_fields=["remote_access_details"])
    what = (
        "The practice's remote-access details were changed."
        if details
        else ("The practice's remote-access details were removed.")
    )
    open_incidents = Incident.objects.filter(practice=locked).exclude(status=Status.CLOSED).order_by("pk")
    record_events(open_incidents.only("pk"), kind=TimelineEvent.Kind.DETAILS, actor=actor, text=what)
    queue_on_commit(send_practice_remote_access_email, locked.pk, actor.pk, bool(details))
    return True


def incident_follow(incident, *, actor, follow=True):
    """A practice user starts (or stops) hearing of an incident's updates by email, as their profile
    chooses. Personal, not a change to the incident: no timeline entry. True if anything changed."""
    if actor.practice_id != incident.practice_id:
        raise InvalidTransition("Only staff of the incident's practice can follow it.")
    if follow:
        _, created = Follower.objects.get_or_create(incident=incident, user=actor)
        return created
    deleted, _ = Follower.objects.filter(incident=incident, user=actor).delete()
    return bool(deleted)


TRIAGE_SEVERITY_REASON = "Set when the Service Desk verified the incident."


@transaction.atomic
def incident_triage(incident, *, actor, severity, assignee, reply=""):
    """The desk's first reading of a new incident, in one step: verify it, set its severity (the reason
    TRIAGE_SEVERITY_REASON), assign it and, if `reply` is given, answer the practice publicly. Each change is
    its own timeline entry, through its own function, but the practice gets one email telling of them all
    rather than one per change. All or nothing: a refused part (say, no longer logged) undoes the others."""
    incident = incident_verify(incident, actor=actor, tell_practice=False)
    incident = incident_change_severity(
        incident, actor=actor, severity=severity, reason=TRIAGE_SEVERITY_REASON, tell_practice=False
    )
    incident = incident_assign(incident, actor=actor, assignee=assignee)
    answer = None
    if (reply or "").strip():
        answer = incident_add_note(incident, actor=actor, text=reply, public=True, tell_practice=False)
    _notify(incident, "incident_triaged", "practice", answer)
    return incident


# --- Linked incidents -------------------------------------------------------------------------------


def duplicates_of(incident):
    """The incidents marked as duplicates of `incident` that are still open, oldest link first."""
    return (
        Incident.objects.filter(
            links_from__to_incident=incident, links_from__kind=IncidentLink.Kind.DUPLICATE_OF
        )
        .exclude(status=Status.CLOSED)
        .order_by("links_from__pk")
    )


def _reach_duplicates(main, actor, *, note=None, resolution=None, is_workaround=False):
    """A public update of a main incident reaches its duplicates, each through the same service as one
    incident (a timeline entry, and its practice emailed): a note becomes the duplicate's note, a resolution
    resolves it, its practice asked to confirm. A duplicate waiting on the desk's review or on its practice
    is taken up again first, since the table allows a resolution only from investigating. Duplicates have
    no duplicates of their own (incident_mark_duplicate), so this goes one level deep.

    The duplicates are locked together, in the order of their keys, before their states are read. Each is
    updated in a savepoint of its own: one that its practice closed meanwhile is left as it is rather than
    undoing the main's update (or a whole release's shipment)."""
    locked = duplicates_of(main).select_related("practice").select_for_update(of=("self",)).order_by("pk")
    for duplicate in locked:
        try:
            with transaction.atomic():
                _reach_duplicate(duplicate, main, actor, note, resolution, is_workaround)
        except InvalidTransition:
            continue


def _reach_duplicate(duplicate, main, actor, note, resolution, is_workaround):
    if note is not None:
        incident_add_note(duplicate, actor=actor, text=_as_told_to(duplicate, main, note))
    elif duplicate.status != Status.RESOLVED:
        if duplicate.status in TRANSITIONS["start_investigation"].sources:
            duplicate = incident_start_investigation(
                duplicate,
                actor=actor,
                note="Resolved together with the incident it is linked to.",
                tell_practice=False,
            )
        resolution = _as_told_to(duplicate, main, resolution)
        incident_resolve(duplicate, actor=actor, resolution=resolution, is_workaround=is_workaround)


def _as_told_to(duplicate, main, text):
    """The main incident's words as the duplicate's practice reads them: where the main is another
    practice's, its reference, its practice's name and ID become the duplicate's own (a canned reply filled
    in for the main names them), so that no practice learns another's incident or name."""
    if not text or duplicate.practice_id == main.practice_id:
        return text
    for theirs, ours in (
        (main.reference, duplicate.reference),
        (main.practice.name, duplicate.practice.name),
        (main.practice.practice_id, duplicate.practice.practice_id),
    ):
        if theirs:
            text = text.replace(theirs, ours)
    return text


def _lock_pair(incident, other):
    """Both incidents' rows, locked in the order of their keys (so that two links made at once wait for
    each other rather than deadlock); refuses a link of an incident to itself."""
    if incident.pk == other.pk:
        raise InvalidTransition(f"{incident.reference} cannot be linked to itself.")
    both = Incident.objects.select_for_update().filter(pk__in=[incident.pk, other.pk]).order_by("pk")
    locked = {each.pk: each for each in both}
    return locked[incident.pk], locked[other.pk]


def _refuse_second_link(incident, other):
    pair = Q(from_incident=incident, to_incident=other) | Q(from_incident=other, to_incident=incident)
    if IncidentLink.objects.filter(pair).exists():
        raise InvalidTransition(f"{incident.reference} and {other.reference} are already linked.")


def _record_link(incident, other, *, actor, named, unnamed=None):
    """The link's entry on `incident`'s timeline. Its practice reads `named` (which names `other`) only if
    `other` is its own practice's; otherwise `unnamed`, which names nothing of another practice's incident,
    or, without one, the entry is the desk's alone. The other incident's reference is kept for the desk."""
    same_practice = incident.practice_id == other.practice_id
    text = named if same_practice or unnamed is None else unnamed
    public = same_practice or unnamed is not None
    record_event(
        incident, kind=TimelineEvent.Kind.LINKED, actor=actor, public=public, new_value=other.reference,
        text=text,
    )  # fmt: skip


def _refuse_duplicate(duplicate, main):
    """Why `duplicate` cannot become a duplicate of `main`, in words; None if it can."""
    if duplicate.status in (Status.LOGGED, Status.RESOLVED, Status.CLOSED):
        state = duplicate.get_status_display().lower()
        first = " Verify it first." if duplicate.status == Status.LOGGED else ""
        return f"{duplicate.reference} is {state}, so it cannot be marked as a duplicate.{first}"
    if main.status in (Status.RESOLVED, Status.CLOSED):
        return (
            f"{main.reference} is already {main.get_status_display().lower()}: resolve "
            f"{duplicate.reference} on its own instead."
        )
    duplicate_links = IncidentLink.objects.filter(kind=IncidentLink.Kind.DUPLICATE_OF)
    if duplicate_links.filter(from_incident=main).exists():
        return f"{main.reference} is itself a duplicate: mark {duplicate.reference} a duplicate of its main."
    if duplicate_links.filter(to_incident=duplicate).exists():
        return f"{duplicate.reference} has duplicates of its own, so it cannot become a duplicate."
    return None


@transaction.atomic
def incident_mark_duplicate(incident, *, actor, main):
    """The desk finds that `incident` reports the same fault as `main`: from now on the main incident's
    public updates and its resolution reach `incident` and its practice too (_reach_duplicates). Each
    timeline says so; the practice of a duplicate never learns another practice's reference."""
    if not actor.is_staff:
        raise InvalidTransition("Only the Service Desk can mark duplicates.")
    for check_again in (False, True):  # refused before locking too, so a refused pair never waits on rows
        if check_again:
            incident, main = _lock_pair(incident, main)
        if refusal := _refuse_duplicate(incident, main):
            raise InvalidTransition(refusal)
        _refuse_second_link(incident, main)
    IncidentLink.objects.create(
        from_incident=incident, to_incident=main, kind=IncidentLink.Kind.DUPLICATE_OF, created_by=actor
    )
    _record_link(
        incident,
        main,
        actor=actor,
        named=f"Marked as a duplicate of {main.reference}: its updates will appear here too.",
        unnamed="Linked to an incident the Service Desk is working on: its updates will appear here too.",
    )
    named = f"{incident.reference} was marked as a duplicate of this incident."
    _record_link(main, incident, actor=actor, named=named)
    return incident


@transaction.atomic
def incident_link_related(incident, *, actor, other):
    """The desk notes that two incidents are related (the same practice's earlier fault, a similar report):
    a link and an entry on each timeline, nothing more."""
    if not actor.is_staff:
        raise InvalidTransition("Only the Service Desk can link incidents.")
    _refuse_second_link(incident, other)  # before locking, so a refused pair never waits on rows
    incident, other = _lock_pair(incident, other)
    _refuse_second_link(incident, other)
    IncidentLink.objects.create(
        from_incident=incident, to_incident=other, kind=IncidentLink.Kind.RELATED, created_by=actor
    )
    for one, another in ((incident, other), (other, incident)):
        _record_link(one, another, actor=actor, named=f"Linked as related to {another.reference}.")
    return incident


# --- Releases -------------------------------------------------------------------------------------


def release_create(product, *, actor, version, kind, target_date):
    """A new release of `product` still to come; refused if the product has a release of that version or
    the target date has passed."""
    if not actor.is_staff:
        raise InvalidTransition("Only the Service Desk can create releases.")
    version = require_text(version, "the release's version")
    if target_date < timezone.localdate():
        raise InvalidTransition("The target date has passed: give a date from today on.")
    try:
        with transaction.atomic():
            return Release.objects.create(
                product=product, version=version, kind=kind, target_date=target_date
            )
    except IntegrityError:  # the constraint release_version_unique_per_product, or a kind unknown
        raise InvalidTransition(f"{product.name} already has a release {version}.") from None


def release_shipment(releases):
    """What shipping each of `releases` would do: [(release, the incidents it would resolve)], those
    scheduled into it and their open duplicates (which the resolutions reach), each with its practice."""
    releases = list(releases)
    scheduled = list(
        Incident.objects.filter(release__in=releases, status=Status.FIX_SCHEDULED)
        .select_related("practice")
        .order_by("pk")
    )
    duplicates = (
        IncidentLink.objects.filter(kind=IncidentLink.Kind.DUPLICATE_OF, to_incident__in=scheduled)
        .exclude(from_incident__status__in=[Status.RESOLVED, Status.CLOSED])
        .select_related("from_incident__practice")
        .order_by("from_incident_id")
    )
    release_of = {incident.pk: incident.release_id for incident in scheduled}
    resolved = {release.pk: [] for release in releases}
    for incident in scheduled:
        resolved[incident.release_id].append(incident)
    for link in duplicates:
        if link.from_incident_id not in release_of:  # not already resolved as scheduled itself
            resolved[release_of[link.to_incident_id]].append(link.from_incident)
    return [(release, resolved[release.pk]) for release in releases]


def release_ship(release, *, actor, shipped_on=None):
    """Mark a release shipped: each incident scheduled into it (and each open duplicate of one) is resolved,
    and its practice asked to confirm; the incidents resolved are returned (release_shipment foretells
    them). Running it again for a shipped release changes nothing."""
    with transaction.atomic():
        locked = Release.objects.select_for_update().get(pk=release.pk)
        if locked.shipped_on:
            return []
        locked.shipped_on = shipped_on or timezone.localdate()
        locked.save(update_fields=["shipped_on"])
        # Locked in the same order as incident_schedule_fix (release, then incidents): no deadlock, and a
        # practice closing one of them meanwhile waits rather than failing the whole shipment.
        scheduled = list(
            Incident.objects.select_for_update()
            .filter(release=locked, status=Status.FIX_SCHEDULED)
            .order_by("pk")
        )
        ((_, resolved),) = release_shipment([locked])
        resolution = (
            f"Fixed in {locked.product.name} {locked.version}, released {locked.shipped_on:%-d %B %Y}."
        )
        for incident in scheduled:
            incident.refresh_from_db(fields=["status"])
            if incident.status == Status.FIX_SCHEDULED:  # not resolved already as a duplicate of another
                incident_resolve(incident, actor=actor, resolution=resolution)
        return resolved


# --- Reminders and purges ---------------------------------------------------------------------------


def send_resolution_reminders(now=None):
    """Remind practices of incidents resolved at least INCIDENT_CONFIRM_REMINDER_DAYS ago and still
    unconfirmed, once per period. Nothing is closed: only the customer's confirmation closes."""
    now = now or timezone.now()
    due_before = now - timedelta(days=settings.INCIDENT_CONFIRM_REMINDER_DAYS)
    not_reminded = Q(last_reminder_at__isnull=True) | Q(last_reminder_at__lte=due_before)
    due = Incident.objects.filter(not_reminded, status=Status.RESOLVED, resolved_at__lte=due_before)
    sent = 0
    for incident_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            # Claim the reminder with a conditional update, so concurrent sweeps send it once.
            claimed = Incident.objects.filter(not_reminded, pk=incident_id, status=Status.RESOLVED).update(
                last_reminder_at=now
            )
            if claimed:
                incident = Incident.objects.get(pk=incident_id)
                record_event(
                    incident=incident,
                    kind=TimelineEvent.Kind.REMINDER,
                    actor=None,
                    public=False,
                    text="Reminder to confirm or reject the resolution sent.",
                )
                _notify(incident, "incident_resolved_reminder", "practice")  # the email quotes the resolution
                sent += 1
    return sent


def _purge_reason(actor, reason):
    if not actor.is_staff:
        raise InvalidTransition("Only the Service Desk can purge content.")
    return require_text(reason, "a reason for the purge")


def _record_purge(purged, actor, what, reason):
    """The purge's own entry: who purged what and why (the content itself is kept nowhere)."""
    text = f"Purged {what} {purged.created_at:%-d %B %Y %H:%M}: {reason}"
    record_event(purged.incident, kind=TimelineEvent.Kind.PURGED, actor=actor, public=False, text=text)


@transaction.atomic
def incident_purge_event(event, *, actor, reason):
    """Delete the content of a note (and its attachments) that carried patient data; the note stays as an
    empty, purged entry."""
    reason = _purge_reason(actor, reason)
    event = TimelineEvent.objects.select_for_update().select_related("incident").get(pk=event.pk)
    if event.purged_at:
        return event
    for attachment in event.attachments.filter(purged_at__isnull=True):
        _purge_attachment_file(attachment)
    _purge_copies_on_the_incident(event)
    event.text = ""
    event.purged_at = timezone.now()
    event.save(update_fields=["text", "purged_at"])
    _record_purge(event, actor, "the content of an entry of", reason)
    return event


@transaction.atomic
def incident_purge_attachment(attachment, *, actor, reason):
    """Delete one attachment's file that carried patient data, keeping a record of the purge."""
    reason = _purge_reason(actor, reason)
    attachment = Attachment.objects.select_for_update().select_related("incident").get(pk=attachment.pk)
    if attachment.purged_at:
        return attachment
    _purge_attachment_file(attachment)
    _record_purge(attachment, actor, "an attachment added on", reason)
    return attachment


def _purge_copies_on_the_incident(event):
    """A resolution or workaround is kept on the incident as well as on its event: purge both."""
    incident = Incident.objects.select_for_update().get(pk=event.incident_id)
    fields = []
    if event.new_value == Status.RESOLVED and incident.resolution == event.text:
        incident.resolution, fields = "(removed by the Service Desk)", [*fields, "resolution"]
    if event.kind == TimelineEvent.Kind.FIX_SCHEDULED and incident.workaround:
        incident.workaround, fields = "", [*fields, "workaround"]
    if fields:
        incident.save(update_fields=fields)


def _purge_attachment_file(attachment, name="(purged)"):
    if attachment.file:
        attachment.file.delete(save=False)
    attachment.original_name = name
    attachment.purged_at = timezone.now()
    attachment.save(update_fields=["file", "original_name", "purged_at", "check_status"])


# --- The screenshot check (issue 18) ---------------------------------------------------------------------
# An image is stored "being checked" and read in a Celery task (tasks.check_screenshot) before the desk can
# open it. If the reading finds patient data, or cannot be done, the file is held: the practice is told on
# the incident and by email, and either replaces it with a redacted copy or confirms it shows none. Held
# files left alone are deleted after SCREENSHOT_HELD_DAYS.


def _attach(incident, event, upload, actor):
    attachment = store_attachment(incident, event, upload, actor)
    if attachment.check_status == Attachment.Check.CHECKING:
        queue_on_commit(check_screenshot, attachment.pk)
    return attachment


def _file_words(attachment):
    return f"“{attachment.original_name}”"


@transaction.atomic
def attachment_record_check(attachment, finding):
    """Keep the screenshot check's decision on `attachment` (a screenshot_check.Finding): the outcome, the
    masked reasons and the matched words' boxes, never the text read. A held file is put on the timeline
    and its uploader is emailed."""
    attachment = (
        Attachment.objects.select_for_update().select_related("incident", "uploaded_by").get(pk=attachment.pk)
    )
    if attachment.check_status != Attachment.Check.CHECKING or attachment.purged_at:
        return attachment  # a second run of the task (a redelivered message) changes nothing
    attachment.checked_at = timezone.now()
    attachment.check_reasons = list(finding.reasons)
    attachment.check_boxes = [list(box) for box in finding.boxes]
    if not finding.held:
        attachment.check_status = Attachment.Check.PASSED
    else:
        attachment.check_status = Attachment.Check.HELD if finding.checked else Attachment.Check.NOT_CHECKED
    attachment.save(update_fields=["check_status", "check_reasons", "check_boxes", "checked_at"])
    if finding.held:
        _tell_of_held(attachment, finding)
    return attachment


def _tell_of_held(attachment, finding):
    if finding.checked:
        why = f"it may show patient data ({'; '.join(finding.reasons)})"
    else:
        why = "it could not be checked for patient data"
    text = (
        f"The screenshot {_file_words(attachment)} is held and the Service Desk cannot open it: {why}. "
        "Redact it and attach it again, or confirm that it shows no patient data. If neither is done within "
        f"{settings.SCREENSHOT_HELD_DAYS} days it is deleted."
    )
    event = record_event(attachment.incident, kind=TimelineEvent.Kind.FILE_HELD, actor=None, text=text)
    # Its uploader, who has the original; if they have left, whoever at the practice hears of this incident.
    uploader = [attachment.uploaded_by.email] if attachment.uploaded_by.is_active else None
    kind = "attachment_held" if finding.checked else "attachment_not_checked"
    queue_on_commit(send_incident_email, attachment.incident_id, kind, "practice", event.pk, uploader)


def _held_for_practice(attachment, actor):
    """`attachment`, locked, if `actor` may act on it as held: staff of its practice, a practice's upload
    that is held and not yet deleted; else InvalidTransition."""
    attachment = (
        Attachment.objects.select_for_update().select_related("incident", "uploaded_by").get(pk=attachment.pk)
    )
    if actor.is_staff or actor.practice_id != attachment.incident.practice_id:
        raise InvalidTransition("Only staff of the incident's practice can do this.")
    if not attachment.awaiting_practice:
        raise InvalidTransition(
            f"The file {_file_words(attachment)} is no longer held: "
            f"{attachment.get_check_status_display().lower()}."
        )
    return attachment


@transaction.atomic
def attachment_confirm_no_patient_data(attachment, *, actor):
    """The practice has looked at a held screenshot and vouches that it shows no patient data: the desk may
    open it, and the timeline says who vouched, as for a number confirmed not to be an NHS number."""
    attachment = _held_for_practice(attachment, actor)
    attachment.check_status = Attachment.Check.CONFIRMED
    attachment.save(update_fields=["check_status"])
    record_event(
        attachment.incident,
        kind=TimelineEvent.Kind.FILE_CLEARED,
        actor=actor,
        text=f"Confirmed that the screenshot {_file_words(attachment)} shows no patient data.",
    )
    return attachment


@transaction.atomic
def attachment_replace_with_redacted(attachment, *, actor, upload):
    """Put a redacted copy (a checked upload) on the timeline in place of a held screenshot, whose file is
    deleted; the copy is checked again like any upload. Returns the new attachment."""
    attachment = _held_for_practice(attachment, actor)
    incident = Incident.objects.select_for_update().get(pk=attachment.incident_id)
    _make_room(incident.practice_id, incident, [upload], replacing=attachment)
    event = record_event(
        incident,
        kind=TimelineEvent.Kind.ATTACHMENT,
        actor=actor,
        text=f"A redacted copy of the screenshot {_file_words(attachment)}.",
    )
    copy = _attach(incident, event, upload, actor)
    attachment.check_status = Attachment.Check.REPLACED
    _purge_attachment_file(attachment, name=attachment.original_name)
    incident.updated_at = timezone.now()
    incident.save(update_fields=["updated_at"])
    return copy


def delete_long_held_screenshots(now=None):
    """Delete the files of screenshots held more than SCREENSHOT_HELD_DAYS without being redacted or
    confirmed, each with a public entry saying so. Returns how many were deleted."""
    now = now or timezone.now()
    before = now - timedelta(days=settings.SCREENSHOT_HELD_DAYS)
    held = Attachment.objects.filter(
        check_status__in=Attachment.AWAITING_PRACTICE, purged_at__isnull=True, checked_at__lt=before
    )
    deleted = 0
    for pk in held.values_list("pk", flat=True).order_by("pk"):
        with transaction.atomic():
            attachment = Attachment.objects.select_for_update().select_related("incident").get(pk=pk)
            if not attachment.awaiting_practice:
                continue  # redacted or confirmed meanwhile
            attachment.check_status = Attachment.Check.EXPIRED
            _purge_attachment_file(attachment, name=attachment.original_name)
            record_event(
                attachment.incident,
                kind=TimelineEvent.Kind.PURGED,
                actor=None,
                text=(
                    f"The screenshot {_file_words(attachment)} was deleted: it was held for "
                    f"{settings.SCREENSHOT_HELD_DAYS} days without being redacted or confirmed."
                ),
            )
            deleted += 1
    return deleted


def screenshots_still_checking(older_than, now=None):
    """Images still "being checked" after `older_than` (a lost task): their ids, for the check again."""
    now = now or timezone.now()
    return list(
        Attachment.objects.filter(
            check_status=Attachment.Check.CHECKING, purged_at__isnull=True, created_at__lt=now - older_than
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def remove_orphan_files(min_age, now=None):
    """Delete stored upload files older than `min_age` that no Attachment names: a submission that failed
    after writing its files rolled back its rows, and nobody could see or purge those files otherwise."""
    storage = Attachment._meta.get_field("file").storage
    now = now or timezone.now()
    known = set(Attachment.objects.exclude(file="").values_list("file", flat=True))
    removed = 0
    folders, _ = storage.listdir("attachments") if storage.exists("attachments") else ([], [])
    for folder in folders:
        for name in storage.listdir(f"attachments/{folder}")[1]:
            path = f"attachments/{folder}/{name}"
            if path not in known and now - storage.get_modified_time(path) >= min_age:
                storage.delete(path)
                removed += 1
    return removed
