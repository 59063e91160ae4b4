"""Message-IDs for incident emails that say which incident they are about, signed so that a reply's
In-Reply-To or References can be trusted to name that incident and no other.

An ID reads <PC000123.nonce.signature@domain>. The thread's root (<PC000123.thread.signature@domain>) is the
first email's ID; every later email refers to it, so mail programs show one conversation per incident.
"""

import re
import secrets

from django.conf import settings
from django.core import signing

_ID = re.compile(r"<([^<>@\s]+)@[^<>\s]+>")


def _signer():
    # Made when used, not at import, so that it signs with the SECRET_KEY (and its fallbacks) in force.
    return signing.Signer(salt="incidents.mail_thread", sep=".")


def _domain():
    return settings.INBOUND_EMAIL_ADDRESS.rpartition("@")[2] or "servicedesk.invalid"


def _message_id(reference, nonce):
    return f"<{_signer().sign(f'{reference}.{nonce}')}@{_domain()}>"


def thread_root_id(reference):
    return _message_id(reference, "thread")


def new_message_id(reference):
    return _message_id(reference, secrets.token_hex(8))


def thread_headers(reference, *, first=False):
    """The Message-ID, In-Reply-To and References of one email about the incident."""
    root = thread_root_id(reference)
    if first:
        return {"Message-ID": root}
    return {"Message-ID": new_message_id(reference), "In-Reply-To": root, "References": root}


def reference_of(message_id):
    """The incident reference a Message-ID we sent encodes, or None if it is not ours (or forged)."""
    match = _ID.fullmatch((message_id or "").strip())
    if not match:
        return None
    try:
        value = _signer().unsign(match.group(1))
    except signing.BadSignature:
        return None
    return value.partition(".")[0]


def referenced_incident(in_reply_to, references):
    """The reference of the incident a reply is to, from In-Reply-To first, then References newest first."""
    for token in [*_tokens(in_reply_to), *reversed(_tokens(references))]:
        if reference := reference_of(token):
            return reference
    return None


def _tokens(header):
    return [match.group(0) for match in _ID.finditer(header or "")]
