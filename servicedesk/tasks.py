from celery import shared_task

from .outbox import flush_pending_tasks as flush


@shared_task
def flush_pending_tasks():
    """Every minute (Celery beat): queue again what could not be queued or sent before."""
    queued, left = flush()
    return {"queued": queued, "left": left}
