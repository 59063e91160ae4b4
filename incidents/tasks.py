from celery import shared_task
from django.conf import settings

from servicedesk.lib.mail import send_templated_email
from servicedesk.lib.tasks import EMAIL_TASK_OPTIONS

from .models import Incident


def _incident(incident_id):
    return Incident.objects.select_related("practice", "product", "reporter", "site").get(pk=incident_id)


@shared_task(**EMAIL_TASK_OPTIONS)
def send_incident_logged_email(incident_id):
    """Confirm a newly logged incident to its reporter, with its reference."""
    incident = _incident(incident_id)
    send_templated_email("incident_logged", [incident.reporter.email], {"incident": incident})


@shared_task(**EMAIL_TASK_OPTIONS)
def alert_desk_to_severity_one(incident_id):
    """Severity 1 means a practice cannot work: tell the desk at once, whatever the time."""
    incident = _incident(incident_id)
    if settings.SERVICE_DESK_ALERT_EMAILS:
        send_templated_email("severity_one_alert", settings.SERVICE_DESK_ALERT_EMAILS, {"incident": incident})
