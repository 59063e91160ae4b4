"""The intake's answers to the sender: the reference of a logged incident, files refused, a held email,
an account to ask for. Each is sent once, after the commit of what it reports."""

from celery import shared_task
from django.conf import settings
from django.urls import reverse

from incidents.attachments import attachment_limits
from incidents.mail_thread import thread_headers
from servicedesk.lib.mail import send_templated_email
from servicedesk.outbox import EMAIL_TASK_OPTIONS

from .models import InboundMessage


@shared_task(**EMAIL_TASK_OPTIONS)
def send_intake_reply(row_id, kind):
    row = InboundMessage.objects.select_related("incident", "sender_user").get(pk=row_id)
    headers = {}
    if row.message_id:
        headers = {"In-Reply-To": row.message_id, "References": row.message_id}
    if row.incident_id:
        # The intake's reply opens the incident's thread: replies to it come back as notes.
        headers.update(thread_headers(row.incident.reference, first=row.outcome == row.Outcome.LOGGED))
        headers["References"] = " ".join(filter(None, [row.message_id, headers.get("References", "")]))
    context = {
        "row": row,
        "incident": row.incident,
        "kind": kind,
        "max_bytes": settings.INBOUND_MAX_BYTES,
        "retention_days": settings.INBOUND_HELD_RETENTION_DAYS,
        "unknown_reply_hours": settings.INBOUND_UNKNOWN_SENDER_REPLY_HOURS,
        "attachment_limits": attachment_limits(),
        "register_url": settings.SITE_URL + reverse("register"),
        "new_incident_url": settings.SITE_URL + reverse("incidents:new"),
    }
    if row.incident_id:
        context["incident_url"] = settings.SITE_URL + row.incident.get_absolute_url()
        context["details_url"] = settings.SITE_URL + reverse(
            "incidents:complete_details", kwargs={"reference": row.incident.reference}
        )
    reply_to = [settings.INBOUND_EMAIL_ADDRESS] if kind != "unknown_sender" else None
    send_templated_email(f"inbound_{kind}", [row.sender], context, headers=headers, reply_to=reply_to)
