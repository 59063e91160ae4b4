"""Files that passed their checks, kept for a few hours while the form they came with is corrected.

A refused submission (a missing field, an NHS number in the description) must not make the user find and
attach their screenshots again. Each checked file is written under MEDIA_ROOT/held/<user id>/ (outside the
static tree, never served) with a small JSON record of what it is, and the form carries a signed handle to
it in a hidden field. A handle names its user and session: anybody else's handle, or one from an earlier
session, finds nothing. `sweep_held_uploads` deletes files older than HELD_UPLOAD_HOURS; running it twice,
or at once in two processes, is harmless.
"""

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.functional import cached_property

_SALT = "incidents.held-upload"
_FOLDER = "held"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def _max_age():
    return timedelta(hours=settings.HELD_UPLOAD_HOURS)


def _session_tag(request):
    """A digest of the session key, so that the handle does not carry the key itself."""
    key = request.session.session_key or ""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _paths(user_id, token):
    return f"{_FOLDER}/{user_id}/{token}", f"{_FOLDER}/{user_id}/{token}.json"


def hold(request, checked):
    """Keep one checked upload for this user and session, as a HeldFile with its signed handle."""
    if not request.session.session_key:
        request.session.save()
    token = secrets.token_urlsafe(24)
    data_path, meta_path = _paths(request.user.pk, token)
    checked.upload.seek(0)
    default_storage.save(data_path, checked.upload)
    record = {
        "name": checked.name,
        "content_type": checked.content_type,
        "size": checked.size,
        "held_at": timezone.now().isoformat(),  # the sweep's clock (a file's mtime is the machine's)
    }
    default_storage.save(meta_path, ContentFile(json.dumps(record).encode()))
    handle = signing.dumps({"u": request.user.pk, "s": _session_tag(request), "t": token}, salt=_SALT)
    return HeldFile(handle, checked.name, checked.content_type, checked.size, data_path, meta_path)


@dataclass
class HeldFile:
    """A held file; it stands in for a CheckedUpload (incidents.attachments.store_attachment)."""

    handle: str
    name: str
    content_type: str
    size: int
    path: str
    meta_path: str

    @cached_property
    def upload(self):
        return File(default_storage.open(self.path, "rb"), name=self.name)

    def close(self):
        if "upload" in self.__dict__:
            self.upload.close()


def find(request, handle):
    """The held file that `handle` names for this user and session, or None (expired, swept, tampered
    with, or somebody else's)."""
    try:
        claim = signing.loads(handle, salt=_SALT, max_age=_max_age())
    except (signing.BadSignature, TypeError):
        return None
    if not isinstance(claim, dict) or claim.get("u") != request.user.pk:
        return None
    if claim.get("s") != _session_tag(request) or not _TOKEN.match(str(claim.get("t", ""))):
        return None
    path, meta_path = _paths(request.user.pk, claim["t"])
    if not (default_storage.exists(path) and default_storage.exists(meta_path)):
        return None
    with default_storage.open(meta_path, "rb") as meta:
        record = json.loads(meta.read())
    return HeldFile(handle, record["name"], record["content_type"], record["size"], path, meta_path)


def release(held_files):
    """Delete held files once they are attachments (or removed by the user)."""
    for held in held_files:
        held.close()
        for path in (held.path, held.meta_path):
            default_storage.delete(path)


def _held_at(path):
    """When the held file behind a record was kept: the record's own time (timezone.now(), the clock every
    other age in the project is measured by), else the file's modification time."""
    try:
        with default_storage.open(path) as record:
            return datetime.fromisoformat(json.loads(record.read())["held_at"])
    except (KeyError, TypeError, ValueError):
        return default_storage.get_modified_time(path)


def sweep_held_uploads(older_than=None, now=None):
    """Delete held files (and their records) kept more than `older_than` ago, HELD_UPLOAD_HOURS by default.
    Returns how many files were deleted."""
    older_than = _max_age() if older_than is None else older_than
    now = now or timezone.now()
    if not default_storage.exists(_FOLDER):
        return 0
    removed = 0
    for folder in default_storage.listdir(_FOLDER)[0]:
        names = set(default_storage.listdir(f"{_FOLDER}/{folder}")[1])
        for name in sorted(names):
            path = f"{_FOLDER}/{folder}/{name}"
            record = path if name.endswith(".json") else f"{path}.json"
            try:
                kept_at = (
                    _held_at(record)
                    if record.rsplit("/", 1)[1] in names
                    else default_storage.get_modified_time(path)
                )
                if now - kept_at < older_than:
                    continue
                default_storage.delete(path)
            except FileNotFoundError:  # another sweep took it first
                continue
            removed += not name.endswith(".json")
    return removed
