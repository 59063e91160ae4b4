from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .services import sample_month


@shared_task
def sample_previous_month():
    """At 02:00 on the 1st (Celery beat, Europe/London): draw the round for last month's closures."""
    today = timezone.localdate()
    last_month = today.replace(day=1) - timedelta(days=1)
    survey_round, _ = sample_month(last_month)
    return survey_round.pk
