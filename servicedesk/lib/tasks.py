"""Queueing Celery tasks so that a failure to queue or send never undoes, or hides, a saved change."""

from smtplib import SMTPException

from django.db import transaction

# Sending email is retried with growing pauses: a mail server that is down for a few minutes loses nothing.
EMAIL_TASK_OPTIONS = {
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "max_retries": 8,
}


def queue_on_commit(task, *args):
    """Queue `task` with `args` once the current transaction commits.

    Like Celery's `delay_on_commit`, but robust: if the broker cannot be reached (or, when tasks run
    eagerly, the task itself fails), the error is logged and the user's request still succeeds, since
    what they submitted is already committed.
    """

    def queue():
        task.delay(*args)

    # Django names the callback when it logs a failure, and a functools.partial has no name.
    queue.__qualname__ = f"queue {task.name}{args}"
    transaction.on_commit(queue, robust=True)
