"""Queueing Celery tasks so that a failure to queue or send never undoes, or hides, a saved change, and
never loses the email it was for: what cannot be queued or sent waits in the outbox (PendingTask)."""

import logging
from smtplib import SMTPException

from celery import Task, current_app
from django.conf import settings
from django.db import DatabaseError, transaction

logger = logging.getLogger(__name__)

MAIL_ERRORS = (SMTPException, OSError)


def _keep_for_later(task_name, args, exc):
    from servicedesk.models import PendingTask

    try:
        PendingTask.objects.create(task_name=task_name, args=list(args), last_error=repr(exc)[:500])
    except DatabaseError:
        logger.exception("Could not keep %s%s for later; it is lost", task_name, tuple(args))
    else:
        logger.warning("%s%s kept in the outbox for later: %r", task_name, tuple(args), exc)


class EmailTask(Task):
    """Sending email: retried with growing pauses on mail-server errors (about two hours in all), then
    kept in the outbox so that an email is never simply dropped."""

    autoretry_for = MAIL_ERRORS
    retry_backoff = settings.EMAIL_RETRY_BACKOFF_SECONDS
    retry_backoff_max = 3600
    max_retries = 8

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # On a worker, every retry is used up. (Run eagerly, queue_on_commit keeps it instead.)
        if isinstance(exc, MAIL_ERRORS) and not self.request.is_eager:
            _keep_for_later(self.name, args, exc)


EMAIL_TASK_OPTIONS = {"base": EmailTask}


def queue_on_commit(task, *args):
    """Queue `task` with `args` once the current transaction commits.

    Like Celery's `delay_on_commit`, but robust: the user's request succeeds whatever happens, since what
    they submitted is already committed. If the broker cannot be reached, or (tasks run eagerly) the
    email cannot be sent, the task is kept in the outbox and `flush_pending_tasks` queues it later.
    """

    def queue():
        try:
            task.delay(*args)
        except Exception as exc:  # kombu's OperationalError, a mail error when eager, anything else
            _keep_for_later(task.name, args, exc)

    # Django names the callback when it logs a failure, and a functools.partial has no name.
    queue.__qualname__ = f"queue {task.name}{args}"
    transaction.on_commit(queue, robust=True)


def flush_pending_tasks(limit=500):
    """Queue the outbox's tasks again, oldest first; stop at the first that still cannot be queued.

    Returns (queued, left). Rows are locked (skipping those another flush holds) so that two flushes at
    once queue each task once.
    """
    from servicedesk.models import PendingTask

    queued = 0
    with transaction.atomic():
        rows = list(PendingTask.objects.select_for_update(skip_locked=True).order_by("pk")[:limit])
        for row in rows:
            try:
                current_app.tasks[row.task_name].delay(*row.args)
            except Exception as exc:
                PendingTask.objects.filter(pk=row.pk).update(
                    attempts=row.attempts + 1, last_error=repr(exc)[:500]
                )
                break
            row.delete()
            queued += 1
    return queued, PendingTask.objects.count()
