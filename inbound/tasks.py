"""The intake's scheduled work (Celery beat): the IMAP poll and the removal of expired held mail."""

from celery import shared_task

from . import held, imap


@shared_task(ignore_result=True)
def poll_mailbox_task():
    """Read the intake mailbox (beat, every INBOUND_POLL_SECONDS); while a poll runs, another does nothing."""
    return str(imap.poll())


@shared_task(ignore_result=True)
def remove_expired_held_task():
    return held.remove_expired()
