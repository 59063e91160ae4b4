import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q

from servicedesk.lib.mail import send_templated_email
from servicedesk.outbox import EMAIL_TASK_OPTIONS

from .mail_thread import thread_headers
from .models import Incident, Status
from .wording import severity_wordings

logger = logging.getLogger(__name__)


def _threaded(incident, audience, *, first=False):
    """Every email about an incident joins its thread (the logged email is the first). The practice's
    replies go to the intake, which adds them as notes; the desk's go to its own inbox, never the intake, so
    that an agent's reply cannot become a practice's note."""
    practice = audience == "practice"
    return {
        "headers": thread_headers(incident.reference, first=first),
        "reply_to": settings.INBOUND_EMAIL_ADDRESS if practice else settings.SERVICE_DESK_NOTIFY_EMAIL,
    }


def _incident(incident_id):
    related = ["practice", "product", "reporter", "site", "assignee", "release"]
    return Incident.objects.select_related(*related).get(pk=incident_id)


@shared_task(**EMAIL_TASK_OPTIONS)
def send_incident_logged_email(incident_id):
    """Confirm a newly logged incident to its reporter, with its reference; for a caller with no portal
    account, to the practice's registered users (practice_recipients)."""
    incident = _incident(incident_id)
    severity = severity_wordings(incident.practice.contract_id)[incident.severity]  # the contract's words
    context = {"incident": incident, "severity": severity, "audience": "practice"}
    if incident.reporter_id:
        recipients = [incident.reporter.email]
    else:
        recipients = practice_recipients(incident, "incident_logged")
    if recipients:  # a practice may have no portal users yet: the agent gave the caller the reference
        send_templated_email(
            "incident_logged", recipients, context, **_threaded(incident, "practice", first=True)
        )


@shared_task(**EMAIL_TASK_OPTIONS)
def alert_desk_to_severity_one(incident_id):
    """Severity 1 means a practice cannot work: tell the desk at once, whatever the time."""
    incident = _incident(incident_id)
    if settings.SERVICE_DESK_ALERT_EMAILS:
        send_templated_email(
            "severity_one_alert",
            settings.SERVICE_DESK_ALERT_EMAILS,
            {"incident": incident},
            **_threaded(incident, "desk"),
        )


# What each kind of incident email says; all share templates/emails/incident_update.*. The subject puts
# the reference first, in brackets ("[PC000123] Now closed"), where the intake looks for it in a reply.
UPDATES = {
    "incident_status": "Now {status}",
    "incident_triaged": "Now {status}",  # verified, its severity set and maybe answered (incident_triage)
    "incident_severity": "Severity changed to {event.new_value}",
    "incident_resolved": "Resolved: please confirm or reject the solution",
    "incident_resolved_reminder": "Reminder: please confirm or reject the solution",
    "incident_note": "New note from the Service Desk",
    "incident_note_from_practice": "The practice added a note",
    "incident_reopened": "Reopened: the practice rejected the resolution",
    "incident_reopened_after_close": "Reopened by the practice after it was closed",
    "incident_remote_access_changed": "The practice changed its remote access for this incident",
    "incident_closed_by_practice": "Closed by the practice as no longer relevant",
    "incident_progress_requested": "Progress update requested",
    "incident_escalated": "Escalated to {event.new_value}",
    "incident_deescalated": "De-escalated to {event.new_value}",
    "attachment_held": "A screenshot is held: it may show patient data",
    "attachment_not_checked": "A screenshot is held: it could not be checked for patient data",
}


# The practice's emails that a user who asked for "only what needs me" or "only resolutions" still gets.
RESOLUTION_KINDS = {"incident_resolved", "incident_resolved_reminder"}


def _needs_the_practice(kind, event):
    if kind in RESOLUTION_KINDS:
        return True
    return kind == "incident_status" and event is not None and event.new_value == Status.AWAITING_CUSTOMER


def practice_recipients(incident, kind, event=None):
    """Who at the practice hears of this update: the reporter, the incident contact when they are a portal
    user of the practice (by their name), and colleagues following it; each as their profile chooses. A
    caller with no portal account cannot be emailed: then the practice's registered users (all its active
    portal users) hear of it instead, each as their profile chooses."""
    from accounts.models import EmailUpdates, User

    contact = incident.contact_name.strip()
    people = User.objects.filter(practice_id=incident.practice_id, is_active=True)
    if incident.reporter_id is not None:
        people = people.filter(
            Q(pk=incident.reporter_id) | Q(full_name__iexact=contact) | Q(following__incident=incident)
        )
    wanted = {EmailUpdates.ALL}
    if kind in RESOLUTION_KINDS:
        wanted |= {EmailUpdates.NEEDS_ME, EmailUpdates.RESOLUTIONS}
    elif _needs_the_practice(kind, event):
        wanted.add(EmailUpdates.NEEDS_ME)
    emails = people.filter(email_updates__in=wanted).order_by("pk").values_list("email", flat=True).distinct()
    return list(emails)


def _recipients(incident, audience, kind=None, event=None):
    if audience == "practice":
        return practice_recipients(incident, kind, event)
    if audience == "escalation" and incident.escalation_level_id:
        contacts = [user.email for user in incident.escalation_level.contacts.filter(is_active=True)]
        if contacts:
            return contacts
    if incident.assignee_id:
        return [incident.assignee.email]
    return [settings.SERVICE_DESK_NOTIFY_EMAIL]


@shared_task(**EMAIL_TASK_OPTIONS)
def send_incident_email(incident_id, kind, audience, event_id=None, recipients=None):
    """Tell the practice (its reporter) or the desk (the assignee, else the desk's own inbox) of a change;
    or `recipients` when the caller knows better (the escalation level's contacts for this incident)."""
    incident = _incident(incident_id)
    if kind == "incident_resolved_reminder" and incident.status != Status.RESOLVED:
        return  # confirmed or rejected since the reminder was queued: nothing to remind of
    event = incident.events.select_related("actor").filter(pk=event_id).first() if event_id else None
    # The status the event moved to, not the incident's current one: a retried email must not run ahead.
    status = dict(Status.choices).get(event.new_value) if event and event.new_value else None
    status = (status or incident.get_status_display()).lower()
    headline = UPDATES[kind].format(incident=incident, status=status, event=event)
    context = {"incident": incident, "event": event, "kind": kind, "headline": headline, "audience": audience}
    if kind == "incident_triaged":  # the severity the desk set, in the practice's contract's words
        context["severity"] = severity_wordings(incident.practice.contract_id)[incident.severity]
    recipients = recipients or _recipients(incident, audience, kind, event)
    if recipients:  # everyone at the practice may have chosen not to hear of this kind of update
        send_templated_email("incident_update", recipients, context, **_threaded(incident, audience))


@shared_task(**EMAIL_TASK_OPTIONS)
def send_practice_remote_access_email(practice_id, actor_id, given):
    """Tell the desk that a practice changed (or removed) its remote-access details; never what they are."""
    from accounts.models import Practice, User

    context = {
        "practice": Practice.objects.get(pk=practice_id),
        "actor": User.objects.get(pk=actor_id),
        "given": given,
    }
    send_templated_email("practice_remote_access_changed", [settings.SERVICE_DESK_NOTIFY_EMAIL], context)


DIGEST_NOTES_SHOWN = 20  # a digest quotes this many notes; the rest are on the incident's page
DIGEST_NOTE_CHARACTERS = 1000


@shared_task(**EMAIL_TASK_OPTIONS)
def send_note_digest(incident_id, after_event_id, upto_event_id):
    """Tell the desk, in one email, of the practice's notes after one event up to another."""
    from .services import practice_notes

    incident = Incident.objects.select_related("practice", "assignee").get(pk=incident_id)
    notes = practice_notes(incident).filter(pk__gt=after_event_id, pk__lte=upto_event_id)
    context = {
        "incident": incident,
        "count": notes.count(),
        "notes": notes.select_related("actor").prefetch_related("attachments")[:DIGEST_NOTES_SHOWN],
        "characters": DIGEST_NOTE_CHARACTERS,
    }
    send_templated_email(
        "incident_notes_digest", _recipients(incident, "desk"), context, **_threaded(incident, "desk")
    )


@shared_task
def send_note_digests_task():
    """Every minute (Celery beat): one email to the desk for each burst of practice notes."""
    from .services import send_note_digests

    return send_note_digests()


@shared_task
def send_resolution_reminders_task():
    """Hourly (Celery beat): remind practices of resolutions they have not yet confirmed or rejected."""
    from .services import send_resolution_reminders

    return send_resolution_reminders()


@shared_task
def remove_orphan_files_task():
    """Daily (Celery beat): delete upload files that a failed submission left without an attachment."""
    from .services import remove_orphan_files

    return remove_orphan_files(min_age=timedelta(hours=1))


@shared_task
def sweep_held_uploads_task():
    """Hourly (Celery beat): delete files kept for refused forms once HELD_UPLOAD_HOURS have passed."""
    from .held_uploads import sweep_held_uploads

    return sweep_held_uploads()


@shared_task
def check_screenshot(attachment_id):
    """Read an uploaded image for patient data (incidents/screenshot_check.py) and keep the decision."""
    from .models import Attachment
    from .screenshot_check import Finding, ImageRefused, read_image
    from .services import attachment_record_check

    attachment = Attachment.objects.filter(pk=attachment_id, check_status=Attachment.Check.CHECKING).first()
    if attachment is None or not attachment.file:
        return None  # already decided (a redelivered message), or deleted meanwhile
    try:
        with attachment.file.open("rb") as stored:
            data = stored.read()
        finding = read_image(data)
    except FileNotFoundError:  # the stored file is gone (a disk restored from an older backup)
        finding = Finding(held=True, reasons=["not checked: the stored file is missing"], checked=False)
    except ImageRefused as refused:
        finding = Finding(held=True, reasons=[f"not checked: {refused}"], checked=False)
    except Exception:  # the reader failed in a way nobody foresaw: held, never left "being checked"
        logger.exception("The screenshot check of attachment %s failed", attachment_id)
        finding = Finding(held=True, reasons=["not checked: the reader failed"], checked=False)
    return attachment_record_check(attachment, finding).check_status


@shared_task
def screenshots_housekeeping_task():
    """Hourly (Celery beat): check again images whose check was lost (a worker stopped mid-task), and
    delete screenshots held longer than SCREENSHOT_HELD_DAYS."""
    from .models import Attachment
    from .screenshot_check import Finding
    from .services import attachment_record_check, delete_long_held_screenshots, screenshots_still_checking

    given_up = set(screenshots_still_checking(older_than=timedelta(days=1)))
    for attachment_id in screenshots_still_checking(older_than=timedelta(hours=1)):
        if attachment_id in given_up:  # a day of lost checks (the worker killed each time): held
            unfinished = Finding(held=True, reasons=["not checked: the check did not finish"], checked=False)
            attachment_record_check(Attachment(pk=attachment_id), unfinished)
        else:
            check_screenshot.delay(attachment_id)
    return delete_long_held_screenshots()
