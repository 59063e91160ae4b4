"""The IMAP adapter: read the intake mailbox, hand each message's raw bytes to `ingest`, and move it to the
folder its outcome names (processed, refused or held); nothing is deleted unread.

One poller at a time holds a lease on the IntakeHealth row; another that starts meanwhile does nothing. A
message is moved only after its outcome is committed, so a poll that stops halfway leaves the rest in the
inbox, and the next poll finds each message it had already recorded (`seen_before`) and only moves it.
"""

import hashlib
import imaplib
import json
import logging
import re
import ssl
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from imap_tools import MailBox, MailboxLoginError
from imap_tools.errors import ImapToolsError

from .held import HeldMailGone
from .intake import TryLater, ingest, record_too_large
from .models import IntakeHealth, Source

logger = logging.getLogger(__name__)

# Raw messages fetched per FETCH command, and at most this many bytes of them at once.
FETCH_BATCH = 25
FETCH_BATCH_BYTES = 32 * 1024 * 1024
# Moves are sent per folder once this many messages are recorded (and at the end of the poll).
MOVE_BATCH = 100
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


class MailboxUnavailable(Exception):
    """The IMAP server could not be reached, refused the login, or failed a command."""


@dataclass
class PollResult:
    ran: bool = True
    read: int = 0
    by_outcome: dict = field(default_factory=dict)
    error: str = ""

    def __str__(self):
        if not self.ran:
            return "Another poll holds the mailbox; nothing done."
        counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(self.by_outcome.items())) or "none"
        return f"Read {self.read} messages ({counts})." + (f" Stopped: {self.error}" if self.error else "")


def _lease_seconds():
    return max(5 * 60, 3 * settings.INBOUND_POLL_SECONDS)


def _health():
    return IntakeHealth.objects.get_or_create(pk=1)[0]


def _take_lease(owner):
    """Whether `owner` now holds the poller's lease (it was free, had run out, or was already its own)."""
    _health()
    now = timezone.now()
    return bool(
        IntakeHealth.objects.filter(pk=1)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=owner))
        .update(lease_until=now + timedelta(seconds=_lease_seconds()), lease_owner=owner)
    )


def _renew_lease(owner):
    now = timezone.now()
    return bool(
        IntakeHealth.objects.filter(pk=1, lease_owner=owner).update(
            lease_until=now + timedelta(seconds=_lease_seconds())
        )
    )


def _give_back_lease(owner, **health):
    IntakeHealth.objects.filter(pk=1, lease_owner=owner).update(lease_until=None, lease_owner="", **health)


def access_token():
    """An OAuth 2 access token for XOAUTH2 (Microsoft 365, Google), from the refresh token."""
    form = {
        "grant_type": "refresh_token",
        "client_id": settings.INBOUND_IMAP_OAUTH_CLIENT_ID,
        "refresh_token": settings.INBOUND_IMAP_OAUTH_REFRESH_TOKEN,
    }
    if settings.INBOUND_IMAP_OAUTH_CLIENT_SECRET:
        form["client_secret"] = settings.INBOUND_IMAP_OAUTH_CLIENT_SECRET
    if settings.INBOUND_IMAP_OAUTH_SCOPE:
        form["scope"] = settings.INBOUND_IMAP_OAUTH_SCOPE
    # The setting accepts only http(s) URLs (settings.env_url).
    request = Request(settings.INBOUND_IMAP_OAUTH_TOKEN_URL, data=urlencode(form).encode(), method="POST")  # noqa: S310
    request.add_header("Accept", "application/json")
    try:
        with urlopen(request, timeout=30) as response:  # noqa: S310
            answer = json.load(response)
    except (URLError, OSError, ValueError) as exc:
        raise MailboxUnavailable(f"The OAuth token endpoint did not give a token: {exc}") from exc
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not token:
        raise MailboxUnavailable(f"The OAuth token endpoint gave no access token: {answer!r:.200}")
    return token


def _ssl_context():
    context = ssl.create_default_context(cafile=settings.INBOUND_IMAP_CA_FILE or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


@contextmanager
def mailbox(folder=None):
    """The intake mailbox over TLS, logged in by password or XOAUTH2, with `folder` selected."""
    folder = folder or settings.INBOUND_IMAP_FOLDER
    user = settings.INBOUND_IMAP_USER
    token = access_token() if settings.INBOUND_IMAP_AUTH == "xoauth2" else None
    try:
        box = MailBox(
            settings.INBOUND_IMAP_HOST, settings.INBOUND_IMAP_PORT, timeout=60, ssl_context=_ssl_context()
        )
    except (OSError, ssl.SSLError, ImapToolsError, imaplib.IMAP4.error) as exc:
        raise MailboxUnavailable(f"Could not reach the IMAP server: {exc}") from exc
    try:
        if token:
            box.xoauth2(user, token, initial_folder=None)
        else:
            box.login(user, settings.INBOUND_IMAP_PASSWORD, initial_folder=None)
    except (OSError, ImapToolsError, imaplib.IMAP4.error) as exc:
        box.client.shutdown()
        if isinstance(exc, MailboxLoginError):
            raise MailboxUnavailable(f"The IMAP server refused the login for {user}.") from exc
        raise MailboxUnavailable(f"The IMAP server failed the login: {exc}") from exc
    try:
        for name in {folder, *settings.INBOUND_IMAP_FOLDERS.values()}:
            if not box.folder.exists(name):
                box.folder.create(name)
        box.folder.set(folder)
        yield box
    except (OSError, ImapToolsError, imaplib.IMAP4.error) as exc:
        raise MailboxUnavailable(f"The IMAP server failed a command: {exc}") from exc
    finally:
        try:
            box.logout()
        except Exception:  # noqa: BLE001 (the connection may already be gone; nothing is lost)
            logger.debug("IMAP logout failed", exc_info=True)


def _sizes(box):
    """{uid: RFC822.SIZE} of every message in the selected folder, without downloading any."""
    status, data = box.client.uid("FETCH", "1:*", "(UID RFC822.SIZE)")
    if status != "OK":
        raise MailboxUnavailable(f"The IMAP server would not list the messages: {data!r:.200}")
    sizes = {}
    for line in data:
        line = line[0] if isinstance(line, tuple) else line
        uid, size = _UID.search(line or b""), _SIZE.search(line or b"")
        if uid and size:
            sizes[uid.group(1).decode()] = int(size.group(1))
    return sizes


def _fetch(box, uids, part):
    """{uid: bytes} of `part` (BODY.PEEK[] or BODY.PEEK[HEADER]) for `uids`, in one command."""
    status, data = box.client.uid("FETCH", ",".join(uids), f"(UID {part})")
    if status != "OK":
        raise MailboxUnavailable(f"The IMAP server would not give the messages: {data!r:.200}")
    found = {}
    for item in data:
        if isinstance(item, tuple) and (uid := _UID.search(item[0])):
            found[uid.group(1).decode()] = item[1]
    return found


def _batches(sizes):
    """The UIDs to download in batches of FETCH_BATCH, no batch much above FETCH_BATCH_BYTES."""
    batch, total = [], 0
    for uid, size in sorted(sizes.items(), key=lambda pair: int(pair[0])):
        if batch and (len(batch) == FETCH_BATCH or total + size > FETCH_BATCH_BYTES):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch


def poll(owner=None):
    """Read every message waiting in the intake folder once; returns what it did."""
    owner = owner or f"poll-{uuid.uuid4().hex[:12]}"
    if not _take_lease(owner):
        return PollResult(ran=False)
    result = PollResult()
    started = timezone.now()
    IntakeHealth.objects.filter(pk=1).update(last_poll_started_at=started)
    try:
        with mailbox() as box:
            _read_all(box, owner, result)
    except (MailboxUnavailable, TryLater) as exc:
        result.error = str(exc)
        logger.warning("The intake poll stopped: %s", exc)
    except Exception as exc:
        result.error = f"Unexpected error: {exc!r}"
        raise
    finally:
        health = {"last_poll_finished_at": timezone.now(), "last_poll_messages": result.read}
        if result.error:
            health |= {"last_error": result.error[:2000], "last_error_at": timezone.now()}
        _give_back_lease(owner, **health)
    return result


def _read_all(box, owner, result):
    sizes = _sizes(box)
    to_move = {}
    large = {uid: size for uid, size in sizes.items() if size > settings.INBOUND_MAX_BYTES}
    if large:
        for uid, head in _fetch(box, list(large), "BODY.PEEK[HEADER]").items():
            row = record_too_large(head, large[uid], source=Source.IMAP)
            _recorded(result, row, uid, to_move)
    small = {uid: size for uid, size in sizes.items() if uid not in large}
    for batch in _batches(small):
        for uid, raw in _fetch(box, batch, "BODY.PEEK[]").items():
            _recorded(result, ingest(raw, source=Source.IMAP), uid, to_move)
        if sum(map(len, to_move.values())) >= MOVE_BATCH:
            _move(box, to_move)
        if not _renew_lease(owner):
            raise MailboxUnavailable("Another poll took over the mailbox.")
    _move(box, to_move)


def _recorded(result, row, uid, to_move):
    result.read += 1
    result.by_outcome[row.outcome] = result.by_outcome.get(row.outcome, 0) + 1
    to_move.setdefault(row.folder, []).append(uid)


def _move(box, to_move):
    for folder, uids in to_move.items():
        if uids:
            box.move(uids, settings.INBOUND_IMAP_FOLDERS[folder])
    to_move.clear()


# --- Held mail, kept in the server's held folder (inbound.held) ----------------------------------------


def _find_held(box, message_id, sha256, size):
    """(UID, bytes) of the held copy whose bytes hash to `sha256`, or (None, None). The server narrows the
    candidates (by Message-ID, else by exact size), so only those are downloaded, however full the folder."""
    if message_id:
        quoted = message_id.replace("\\", "\\\\").replace('"', '\\"')
        criteria = ("HEADER", "Message-ID", f'"{quoted}"')
    else:
        criteria = ("LARGER", str(size - 1), "SMALLER", str(size + 1))
    status, data = box.client.uid("SEARCH", *criteria)
    candidates = data[0].split() if status == "OK" and data and data[0] else []
    for uid in candidates:
        uid = uid.decode() if isinstance(uid, bytes) else uid
        raw = _fetch(box, [uid], "BODY.PEEK[]").get(uid)
        if raw is not None and hashlib.sha256(raw).hexdigest() == sha256:
            return uid, raw
    return None, None


def fetch_held(message_id, sha256, size):
    """The raw bytes of a held message, or None when it is no longer in the held folder."""
    with mailbox(settings.INBOUND_IMAP_FOLDERS["held"]) as box:
        return _find_held(box, message_id, sha256, size)[1]


def move_held(message_id, sha256, size, to):
    with mailbox(settings.INBOUND_IMAP_FOLDERS["held"]) as box:
        uid, _raw = _find_held(box, message_id, sha256, size)
        if uid is None:
            raise HeldMailGone
        box.move([uid], settings.INBOUND_IMAP_FOLDERS[to])


def delete_held(message_id, sha256, size):
    with mailbox(settings.INBOUND_IMAP_FOLDERS["held"]) as box:
        uid, _raw = _find_held(box, message_id, sha256, size)
        if uid is None:
            raise HeldMailGone
        box.delete([uid])
