"""Writing incidents. Every change to an incident's state goes through a function here."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from .models import Channel, Incident, ReferenceCounter, Severity, Status, TimelineEvent
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


def incident_log(incident, *, actor, nhs_override_fields=()):
    """Log a new incident built by a form (not yet saved) and give it its reference.

    `actor` is who typed it in: the reporter on the portal, or an agent for a telephone or email
    incident. `nhs_override_fields` names the fields in which the user confirmed that a number that
    looks like an NHS number is not one; that confirmation goes on the timeline. The confirmation
    email, and for severity 1 the desk alert, are queued once the incident is committed.
    """
    if incident.pk:
        raise ValueError("incident_log() is for new incidents only.")
    if incident.reporter.practice_id is None:
        raise ValueError("An incident's reporter must belong to a practice.")
    incident.practice_id = incident.reporter.practice_id
    incident.logged_by = actor
    incident.status = Status.LOGGED
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
        send_incident_logged_email.delay_on_commit(incident.pk)
        if incident.severity == Severity.SYSTEM_UNAVAILABLE:
            alert_desk_to_severity_one.delay_on_commit(incident.pk)
    return incident


def incident_correct_details(incident, *, actor, changed_fields, nhs_override_fields=()):
    """Save an agent's corrections to an incident's checklist details, with a timeline entry.

    Status, severity and assignee are not details: they change only through their own functions.
    """
    protected = {"status", "severity", "assignee", "reference", "practice", "reporter", "channel"}
    if not changed_fields:
        return incident
    if protected.intersection(changed_fields):
        raise ValueError(f"Not a detail: {sorted(protected.intersection(changed_fields))}")
    labels = [str(Incident._meta.get_field(name).verbose_name) for name in changed_fields]
    with transaction.atomic():
        incident.save(update_fields=[*changed_fields, "updated_at"])
        TimelineEvent.objects.create(
            incident=incident,
            kind=TimelineEvent.Kind.DETAILS,
            actor=actor,
            text="Corrected: " + ", ".join(labels) + ".",
        )
        _record_nhs_override(incident, actor, nhs_override_fields)
    return incident
