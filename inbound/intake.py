"""The email intake's one entry point: the raw bytes of one message in, one recorded outcome out.

Both adapters (the IMAP poller, `manage.py ingest_email` on a mail server's pipe) call `ingest`, so the
same message gives the same outcome whichever way it came, and only once: the row for its hash or
Message-ID is claimed first, in the transaction that acts on it.
"""

import hashlib
import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models.functions import Lower
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from incidents.attachments import NHS_NUMBER, check_upload, safe_name
from incidents.exceptions import InvalidTransition, StorageFull
from incidents.mail_thread import reference_of, referenced_incident
from incidents.models import Channel, Incident, Severity
from incidents.services import incident_add_note, incident_log, incident_record_nhs_override
from servicedesk.lib.nhs import find_nhs_numbers, normalise
from servicedesk.outbox import queue_on_commit

from .held import keep
from .models import InboundMessage, Outcome
from .parse import headers_only, read_mail
from .replies import send_intake_reply

_ALL_BUT_LAST_TWO_DIGITS = re.compile(r"\d(?=(?:\D*\d){2})")
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|antw)\s*:\s*)+", re.IGNORECASE)


class TryLater(Exception):
    """The database could not be reached or written: leave the message where it is and try again."""


def ingest(raw, *, source):
    """Act on one message and return its record; a message already recorded is left as it was."""
    if len(raw) > settings.INBOUND_MAX_BYTES:
        head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
        return record_too_large(head, len(raw), source=source)
    mail = read_mail(raw, authserv_id=settings.INBOUND_AUTHSERV_ID)
    return _once(hashlib.sha256(raw).hexdigest(), mail.message_id, len(raw), source, mail, raw)


def record_too_large(headers, size, *, source):
    """Refuse a message by its headers alone, before its body is downloaded."""
    message_id, sender, subject = headers_only(headers)
    digest = hashlib.sha256(b"too large:%d:" % size + headers).hexdigest()
    return _once(digest, message_id, size, source, None, None, sender=sender, subject=subject)


def _once(digest, message_id, size, source, mail, raw, sender="", subject=""):
    if row := _recorded(digest, message_id):
        return row
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    row = InboundMessage.objects.create(
                        sha256=digest,
                        message_id=message_id,
                        source=source,
                        size=size,
                        sender=(mail.sender if mail else sender)[:254],
                        subject=masked(mail.subject if mail else subject)[:200],
                        outcome=Outcome.REFUSED,
                    )
            except IntegrityError:  # another poller, or the other adapter, recorded it first
                return _recorded(digest, message_id)
            if mail is None:
                _too_large(row)
            else:
                decide(row, mail)
                if row.outcome == Outcome.HELD:
                    keep(row, raw)
            row.save()
    except DatabaseError as exc:
        raise TryLater(str(exc)) from exc
    return row


def _recorded(digest, message_id):
    rows = InboundMessage.objects.filter(sha256=digest)
    if message_id:
        rows = rows | InboundMessage.objects.filter(message_id=message_id)
    row = rows.first()
    if row is not None:
        row.seen_before = True
    return row


def masked(text):
    """`text` as a person reads it, with the digits of anything like an NHS number hidden but the last two."""
    text = normalise(text or "")
    for found in find_nhs_numbers(text):
        text = text.replace(found, _ALL_BUT_LAST_TWO_DIGITS.sub("*", found))
    return text


def _too_large(row):
    limit = filesizeformat(settings.INBOUND_MAX_BYTES)
    row.reason = f"Too large: {filesizeformat(row.size)}, over the {limit} accepted."
    if _active_user(row.sender):
        _reply(row, "too_large")


def _reply(row, kind):
    row.replied = True
    queue_on_commit(send_intake_reply, row.pk, kind)


def _active_user(address):
    if not address:
        return None
    users = get_user_model().objects.alias(address=Lower("email"))  # the unique index on lower(email)
    return users.filter(address=address.lower(), is_active=True).first()


def _ours(mail):
    ours = {settings.INBOUND_EMAIL_ADDRESS.lower(), settings.SERVICE_DESK_NOTIFY_EMAIL.lower()}
    ours.add(settings.DEFAULT_FROM_EMAIL.rpartition("<")[2].strip(">").lower())
    return mail.sender in ours or reference_of(mail.message_id) is not None


def decide(row, mail, *, released_by=None):
    """Set the row's outcome, and act on it: log an incident, add a note, hold, or refuse."""
    if mail.automated or _ours(mail):
        row.outcome, row.reason = Outcome.AUTOMATED, mail.automated or "One of the desk's own emails."
        return
    if settings.INBOUND_CHECK_DMARC and mail.dmarc_failed:
        row.outcome, row.reason = Outcome.REFUSED, "The receiving server's DMARC check failed."
        return
    user = _active_user(mail.sender)
    if user is None:
        _unknown_sender(row)
        return
    row.sender_user = user
    if user.practice_id is None:
        row.outcome, row.reason = Outcome.REFUSED, "From a Service Desk account: the desk works in admin."
        return
    if released_by is None and _looping(row.sender):
        limit = settings.INBOUND_SENDER_HOURLY_LIMIT
        row.outcome, row.reason = Outcome.REFUSED, f"More than {limit} emails from this address in an hour."
        return
    files, refused, found = _checked_files(mail.files)
    if released_by is None:
        found = found or _nhs_number(mail)
    if found:
        where, number = found
        row.outcome, row.held_match = Outcome.HELD, masked(number)
        row.reason = f"Looks like an NHS number in {where}."
        _reply(row, "held")
        return
    row.refused_files = refused
    incident = _incident_replied_to(mail, user)
    try:
        try:
            _act(row, incident, user, mail, files, released_by)
        except StorageFull as exc:  # keep the words; list the files as refused
            row.refused_files += [{"name": checked.name, "reason": str(exc)} for checked in files]
            _act(row, incident, user, mail, [], released_by)
    except InvalidTransition as exc:
        row.outcome, row.reason = Outcome.REFUSED, str(exc)


def _act(row, incident, user, mail, files, released_by):
    if incident is not None:
        _add_note(row, incident, user, mail.reply_text, files, released_by)
    else:
        _log(row, user, mail, files, released_by)


def _looping(sender):
    """A person does not send the desk dozens of emails an hour; a forwarding rule caught in a loop does."""
    since = timezone.now() - timedelta(hours=1)
    acted = [Outcome.LOGGED, Outcome.NOTE, Outcome.HELD]
    recent = InboundMessage.objects.filter(sender=sender, outcome__in=acted, received_at__gte=since)
    return recent.count() >= settings.INBOUND_SENDER_HOURLY_LIMIT


def _unknown_sender(row):
    row.outcome, row.reason = Outcome.UNKNOWN_SENDER, "Not the address of an active portal user."
    since = timezone.now() - timedelta(hours=settings.INBOUND_UNKNOWN_SENDER_REPLY_HOURS)
    told = InboundMessage.objects.filter(
        sender=row.sender, outcome=Outcome.UNKNOWN_SENDER, replied=True, received_at__gte=since
    )
    if row.sender and not told.exists():
        _reply(row, "unknown_sender")


def _nhs_number(mail):
    for where, text in (("the subject", mail.subject), ("the message", mail.text)):
        if found := find_nhs_numbers(text):
            return where, found[0]
    return None


def _checked_files(files):
    """(files to keep, [refused: name and why], (where, number) of an NHS number in any file or None)."""
    kept, refused, found = [], [], None
    for name, data in files:
        try:
            checked = check_upload(SimpleUploadedFile(name, data))
        except ValidationError as exc:
            if exc.code == NHS_NUMBER and found is None:
                numbers = find_nhs_numbers(exc.messages[0])
                found = (f"the attachment {masked(safe_name(name))}", numbers[0] if numbers else "")
            refused.append({"name": masked(safe_name(name)), "reason": masked(exc.messages[0])})
            continue
        if len(kept) == settings.ATTACHMENT_MAX_PER_NOTE:
            refused.append(
                {"name": checked.name, "reason": f"Only {settings.ATTACHMENT_MAX_PER_NOTE} files are kept."}
            )
        else:
            kept.append(checked)
    return kept, refused, found


def _incident_replied_to(mail, user):
    """The incident a reply is about: a signed Message-ID of ours first, then [PC000123] in the subject.
    Either counts only for the sender's own practice; otherwise the mail is new, and nothing is revealed."""
    pattern = rf"\[\s*({settings.INCIDENT_REFERENCE_PREFIX}\d{{{settings.INCIDENT_REFERENCE_DIGITS}}})\s*\]"
    in_subject = re.search(pattern, normalise(mail.subject).upper())
    for reference in (referenced_incident(mail.in_reply_to, mail.references), in_subject and in_subject[1]):
        if reference:
            incident = Incident.objects.filter(reference=reference, practice_id=user.practice_id).first()
            if incident is not None:
                return incident
    return None


def _add_note(row, incident, user, text, files, released_by):
    incident_add_note(incident, actor=user, text=text, uploads=files)
    _record_release(incident, released_by)
    row.outcome, row.incident, row.reason = Outcome.NOTE, incident, f"Note added to {incident.reference}."
    if row.refused_files:
        _reply(row, "note")


def _log(row, user, mail, files, released_by):
    summary = _REPLY_PREFIX.sub("", mail.subject).strip() or "Reported by email"
    incident = Incident(
        reporter=user,
        channel=Channel.EMAIL,
        severity=Severity.MINOR_FAULT,  # until an agent verifies it
        summary=summary[:200],
        description=mail.text or "(The email had no text.)",
        contact_name=(user.full_name or user.email)[:150],
        contact_number=user.phone,
    )
    incident_log(incident, actor=user, uploads=files, notify=False)
    _record_release(incident, released_by)
    row.outcome, row.incident, row.reason = Outcome.LOGGED, incident, f"Logged as {incident.reference}."
    _reply(row, "logged")


def _record_release(incident, released_by):
    if released_by is not None:
        incident_record_nhs_override(incident, actor=released_by, field_labels=["the email"])
