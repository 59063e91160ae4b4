"""Queueing Celery tasks so that a failure to queue or send never undoes, or hides, a saved change, and
never loses the email it was for: what cannot be queued or sent waits in the outbox (PendingTask)."""

import logging
from smtplib import SMTPException, SMTPRecipientsRefused, SMTPSenderRefused

from celery import Task, current_app
from celery.exceptions import Retry
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

MAIL_ERRORS = (SMTPException, OSError)
# The mail server refused the address itself: trying again would only be refused again.
PERMANENT_MAIL_ERRORS = (SMTPRecipientsRefused, SMTPSenderRefused)
# After this many failed flushes a kept task is left for someone to look at (admin: Pending tasks).
MAX_FLUSH_ATTEMPTS = 50


def _transient_mail_error(exc):
    if isinstance(exc, Retry):  # run eagerly, a retried task surfaces as Retry around the real error
        exc = exc.exc
    return isinstance(exc, MAIL_ERRORS) and not isinstance(exc, PERMANENT_MAIL_ERRORS)


def _keep_for_later(task_name, args, exc, attempts=0):
    from servicedesk.models import PendingTask

    try:
        PendingTask.objects.create(
            task_name=task_name, args=list(args), last_error=repr(exc)[:500], attempts=attempts
        )
    except DatabaseError:
        logger.exception("Could not keep %s%s for later; it is lost", task_name, tuple(args))
    else:
        logger.warning("%s%s kept in the outbox for later: %r", task_name, tuple(args), exc)


class EmailTask(Task):
    """Retried with growing pauses on mail-server and database errors (about two hours in all), then kept in
    the outbox, so that an email is never simply dropped. A refused address is not retried."""

    autoretry_for = (*MAIL_ERRORS, OperationalError, InterfaceError)
    dont_autoretry_for = PERMANENT_MAIL_ERRORS
    retry_backoff = settings.EMAIL_RETRY_BACKOFF_SECONDS
    retry_backoff_max = 3600
    max_retries = 8

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # On a worker, every retry is used up. (Run eagerly, queue_on_commit keeps it instead.)
        if self.request.is_eager:
            return
        if _transient_mail_error(exc):
            _keep_for_later(self.name, args, exc)
        elif isinstance(exc, PERMANENT_MAIL_ERRORS):
            logger.error("%s%s: the mail server refused the address, not retried: %r", self.name, args, exc)


EMAIL_TASK_OPTIONS = {"base": EmailTask}


def queue_on_commit(task, *args):
    """Celery's `delay_on_commit`, but the request succeeds whatever happens, since its change is already
    committed: if the broker, or (run eagerly) the mail server, cannot be reached, the task is kept in the
    outbox; any other failure is logged."""

    def queue():
        try:
            task.delay(*args)
        except Exception as exc:
            if isinstance(exc, BrokerError) or _transient_mail_error(exc):
                _keep_for_later(task.name, args, exc)
            else:
                logger.exception("%s%s failed", task.name, args)

    # Django names the callback when it logs a failure, and a functools.partial has no name.
    queue.__qualname__ = f"queue {task.name}{args}"
    transaction.on_commit(queue, robust=True)


def flush_pending_tasks(limit=500):
    """Queue the outbox's tasks again, oldest first; returns (queued, still waiting). Each row is deleted
    (locked, committed) before its task is queued, so two flushes never queue it twice, and put back if it
    cannot be. A broker or (eager) mail server still down ends the flush; any other failure moves on."""
    from servicedesk.models import PendingTask

    waiting = PendingTask.objects.filter(attempts__lt=MAX_FLUSH_ATTEMPTS).order_by("created_at", "pk")
    queued = 0
    for pk in list(waiting.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            row = PendingTask.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if row is None:  # another flush has it
                continue
            row.delete()
        try:
            current_app.tasks[row.task_name].delay(*row.args)
        except Exception as exc:
            _put_back(row, exc)
            if isinstance(exc, BrokerError) or _transient_mail_error(exc):
                break
            continue
        queued += 1
    return queued, waiting.count()


def _put_back(row, exc):
    row.pk = None
    row.attempts += 1
    row.last_error = repr(exc)[:500]
    row.save(force_insert=True)
