"""Writing incidents. Every change to an incident's state goes through a function here."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import capfirst

from servicedesk.lib.tasks import queue_on_commit

from .models import Answer, Channel, Incident, ReferenceCounter, Severity, Status, TimelineEvent
from .tasks import alert_desk_to_severity_one, send_incident_logged_email

_CHANNEL_PHRASES = {
    Channel.PORTAL: "through the portal",
    Channel.PHONE: "by telephone",
    Channel.EMAIL: "by email",
}


def _next_reference():
    """Issue the next incident reference, e.g. PC000123.

    The counter row stays locked by the UPDATE until the caller's transaction commits, so concurrent
    submissions wait for each other for a moment instead of colliding; a number is only ever issued
    once, because the counter never goes back.
    """
    prefix = settings.INCIDENT_REFERENCE_PREFIX
    if not ReferenceCounter.objects.filter(name=prefix).update(value=F("value") + 1):
        try:
            with transaction.atomic():  # the first incident under a new prefix
                ReferenceCounter.objects.create(name=prefix, value=0)
        except IntegrityError:
            pass  # another submission created it first
        ReferenceCounter.objects.filter(name=prefix).update(value=F("value") + 1)
    value = ReferenceCounter.objects.values_list("value", flat=True).get(name=prefix)
    return f"{prefix}{value:0{settings.INCIDENT_REFERENCE_DIGITS}d}"


def _record_nhs_override(incident, actor, field_labels):
    """Put on the timeline that the user vouched that a number which looked like one is no NHS number."""
    if field_labels:
        TimelineEvent.objects.create(
            incident=incident,
            kind=TimelineEvent.Kind.NHS_OVERRIDE,
            actor=actor,
            text="Confirmed that the number in " + ", ".join(field_labels) + " is not an NHS number.",
        )


def incident_log(incident, *, actor, nhs_override_fields=(), notify=True):
    """Log a new incident built by a form (not yet saved) and give it its reference.

    `actor` is who typed it in: the reporter on the portal, or an agent for a telephone or email
    incident. `nhs_override_fields` names the fields in which the user confirmed that a number that
    looks like an NHS number is not one; that confirmation goes on the timeline. The confirmation
    email, and for severity 1 the desk alert, are queued once the incident is committed (unless
    `notify` is false, as for demo data).
    """
    if incident.pk:
        raise ValueError("incident_log() is for new incidents only.")
    if incident.reporter.practice_id is None:
        raise ValueError("An incident's reporter must belong to a practice.")
    incident.practice_id = incident.reporter.practice_id
    incident.logged_by = actor
    incident.status = Status.LOGGED
    if incident.version.strip():  # a stated version answers "is it the current one?" better than a guess
        current = incident.version.strip().lower() == incident.product.current_version.strip().lower()
        incident.on_current_version = Answer.YES if current else Answer.NO
    with transaction.atomic():
        incident.reference = _next_reference()
        incident.save()
        TimelineEvent.objects.create(
            incident=incident,
            kind=TimelineEvent.Kind.LOGGED,
            actor=actor,
            new_value=Status.LOGGED,
            text=f"Logged {_CHANNEL_PHRASES[incident.channel]}, severity {incident.severity}.",
        )
        _record_nhs_override(incident, actor, nhs_override_fields)
        if notify:
            queue_on_commit(send_incident_logged_email, incident.pk)
            if incident.severity == Severity.SYSTEM_UNAVAILABLE:
                queue_on_commit(alert_desk_to_severity_one, incident.pk)
    return incident


def _shown(value, limit=200):
    text = "—" if value in (None, "") else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def incident_correct_details(incident, *, actor, changed_fields, nhs_override_fields=()):
    """Save an agent's corrections to an incident's checklist details, with an internal timeline entry
    that keeps each old and new value.

    `incident` carries the new values. Status, severity and assignee are not details: they change only
    through their own functions.
    """
    protected = {
        "status",
        "severity",
        "assignee",
        "reference",
        "practice",
        "reporter",
        "channel",
        "logged_by",
    }
    if protected.intersection(changed_fields):
        raise ValueError(f"Not a detail: {sorted(protected.intersection(changed_fields))}")
    if not changed_fields:
        return incident
    with transaction.atomic():
        current = Incident.objects.select_for_update().get(pk=incident.pk)
        lines = []
        for name in changed_fields:
            label = capfirst(Incident._meta.get_field(name).verbose_name)
            old, new = _shown(getattr(current, name)), _shown(getattr(incident, name))
            lines.append(f"{label}: “{old}” → “{new}”")
            setattr(current, name, getattr(incident, name))
        current.save(update_fields=[*changed_fields, "updated_at"])
        TimelineEvent.objects.create(
            incident=current,
            kind=TimelineEvent.Kind.DETAILS,
            actor=actor,
            public=False,
            text="\n".join(lines),
        )
        _record_nhs_override(current, actor, nhs_override_fields)
    return current
