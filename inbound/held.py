"""Held emails (they looked as if they held an NHS number): kept only where they came from, until an agent
releases or discards them, or they expire.

Mail read from the IMAP mailbox stays on that server, in its held folder. Mail that came through the mail
server's pipe has no such home: it waits in INBOUND_HELD_DIR, encrypted with FIELD_ENCRYPTION_KEYS, and
never in MEDIA_ROOT or a database row.
"""

import contextlib
import logging
from datetime import timedelta

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import InboundMessage, Outcome, Source

logger = logging.getLogger(__name__)


class HeldMailGone(Exception):
    """The held copy is no longer where it was kept (removed from the server by hand, say)."""


class HeldMailUnreachable(Exception):
    """The mail server that keeps the held copy could not be reached: nothing was changed; try again later."""


@contextlib.contextmanager
def _on_the_server():
    from . import imap

    try:
        yield imap
    except imap.MailboxUnavailable as exc:
        raise HeldMailUnreachable(str(exc)) from exc


def _fernet():
    return MultiFernet([Fernet(key.encode()) for key in settings.FIELD_ENCRYPTION_KEYS])


def _path(row):
    return settings.INBOUND_HELD_DIR / f"{row.sha256}.eml.enc"


def keep(row, raw):
    if row.source == Source.PIPE:
        settings.INBOUND_HELD_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = _path(row)
        path.write_bytes(_fernet().encrypt(raw))
        path.chmod(0o600)


def read(row):
    if row.source == Source.PIPE:
        try:
            return _fernet().decrypt(_path(row).read_bytes())
        except FileNotFoundError:
            raise HeldMailGone from None
    with _on_the_server() as imap:
        raw = imap.fetch_held(row.message_id, row.sha256, row.size)
    if raw is None:
        raise HeldMailGone
    return raw


def forget(row, to):
    """Remove the held copy: to the server's `to` folder ("processed", "refused"), or None to delete it."""
    if row.source == Source.PIPE:
        _path(row).unlink(missing_ok=True)
        return
    with _on_the_server() as imap:
        if to is None:
            imap.delete_held(row.message_id, row.sha256, row.size)
        else:
            imap.move_held(row.message_id, row.sha256, row.size, to)


def release(row, actor):
    """The agent judged the number not an NHS number: act on the email as if it had not been held, and
    put that judgement on the incident's timeline."""
    from .intake import decide
    from .parse import read_mail

    mail = read_mail(read(row), authserv_id=settings.INBOUND_AUTHSERV_ID)
    with transaction.atomic():
        row = InboundMessage.objects.select_for_update().get(pk=row.pk, outcome=Outcome.HELD)
        row.held_match = ""
        decide(row, mail, released_by=actor)
        row.decided_by, row.decided_at = actor, timezone.now()
        row.save()
    with contextlib.suppress(HeldMailGone):
        forget(row, "processed")
    return row


def discard(row, actor, reason="Discarded by the desk."):
    """Remove the held copy first: if the server cannot be reached, the email stays held, to try again."""
    with contextlib.suppress(HeldMailGone):
        forget(row, "refused" if actor else None)
    updated = InboundMessage.objects.filter(pk=row.pk, outcome=Outcome.HELD).update(
        outcome=Outcome.DISCARDED, reason=reason, decided_by=actor, decided_at=timezone.now()
    )
    return updated == 1


def remove_expired(now=None):
    """Held emails older than INBOUND_HELD_RETENTION_DAYS are deleted, from the server too."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.INBOUND_HELD_RETENTION_DAYS)
    expired = InboundMessage.objects.filter(outcome=Outcome.HELD, received_at__lt=cutoff)
    days = settings.INBOUND_HELD_RETENTION_DAYS
    removed = 0
    for row in expired:
        try:
            removed += discard(row, None, reason=f"Removed after {days} days held.")
        except HeldMailUnreachable as exc:
            logger.warning("Expired held mail stays until the server answers: %s", exc)
            break
    return removed
