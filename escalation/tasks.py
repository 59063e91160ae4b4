from celery import shared_task

from .services import escalate_overdue


@shared_task
def escalate_overdue_task():
    """Every 5 minutes (Celery beat): escalate incidents past their ladder thresholds."""
    return escalate_overdue()
