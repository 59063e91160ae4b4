from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from servicedesk.outbox import EMAIL_TASK_OPTIONS

from .services import queue_invitation_emails, sample_month, send_invitation


@shared_task
def sample_previous_month():
    """At 02:00 on the 1st (Celery beat, Europe/London): draw the round for last month's closures and
    queue its invitation emails (again for any not yet sent, if the round was already drawn)."""
    today = timezone.localdate()
    last_month = today.replace(day=1) - timedelta(days=1)
    with transaction.atomic():
        survey_round, _ = sample_month(last_month)
        queue_invitation_emails(survey_round)
    return survey_round.pk


@shared_task(**EMAIL_TASK_OPTIONS)
def send_survey_invitation(invitation_id):
    """Email one survey invitation; a duplicate or retried task never sends it twice."""
    return send_invitation(invitation_id)
