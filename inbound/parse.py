"""Reading a raw email: who sent it, what it refers to, whether a machine sent it, its text and files.

Nothing here renders or stores anything: HTML-only mail is turned into plain text, and the caller decides.
"""

import email
import re
from dataclasses import dataclass, field
from email import policy
from email.utils import getaddresses

from inscriptis import get_text
from mailparser_reply import EmailReplyParser

_DMARC_FAIL = re.compile(r"\bdmarc\s*=\s*fail\b", re.IGNORECASE)
_BULK = {"bulk", "junk", "list"}
# Parts that are the message's body in another form, not files the sender attached.
_BODY_TYPES = {"text/plain", "text/html"}


@dataclass
class Mail:
    message_id: str
    sender: str
    subject: str
    in_reply_to: str
    references: str
    automated: str  # why it looks sent by a machine, or ""
    dmarc_failed: bool
    text: str
    files: list = field(default_factory=list)  # (name, bytes)

    @property
    def reply_text(self):
        """The new text of a reply: quoted history and the signature removed."""
        parsed = EmailReplyParser(languages=["en"]).read(self.text)
        first = parsed.replies[0] if parsed.replies else None
        return ((first.body or first.content) if first else self.text).strip()


def _header(message, name):
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header too malformed for the parser to read
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _message_id(message):
    value = _header(message, "Message-ID")
    return value if len(value) <= 255 else ""  # too long to key on: the hash of the bytes must do


def _sender(message):
    addresses = [address for _, address in getaddresses([_header(message, "From")]) if "@" in address]
    return addresses[0].strip().lower() if len(addresses) == 1 else ""


def _automated(message):
    auto_submitted = _header(message, "Auto-Submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    if _header(message, "Precedence").lower() in _BULK:
        return f"Precedence: {_header(message, 'Precedence').lower()}"
    for name in ("X-Auto-Response-Suppress", "List-Id"):
        if message.get(name) is not None:
            return f"{name} header"
    if message.get("Return-Path") is not None and _header(message, "Return-Path").strip("<> ") == "":
        return "empty return path (a bounce)"
    if message.get_content_type() == "multipart/report":
        return "a delivery or read report"
    return ""


def _dmarc_failed(message, authserv_id):
    for value in message.get_all("Authentication-Results") or []:
        value = str(value)
        if authserv_id and value.split(";")[0].strip().lower() != authserv_id.lower():
            continue  # written by someone other than our receiving server: not to be trusted
        if _DMARC_FAIL.search(value):
            return True
    return False


def _decoded(part):
    try:
        return part.get_content()
    except (LookupError, ValueError, AssertionError):  # an unknown charset or a broken encoding
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else str(payload)


def _text(message):
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return "", None
    content = _decoded(body)
    if body.get_content_type() == "text/html":
        content = get_text(content)
    return content.replace("\r\n", "\n").strip(), body


def _files(message, body):
    files = []
    for part in message.walk():
        if part.is_multipart() or part is body:
            continue
        if part.get_content_type() in _BODY_TYPES and not part.get_filename():
            continue  # the body's other form (the HTML beside the text, or the reverse)
        data = part.get_payload(decode=True)
        if data:
            files.append((part.get_filename() or f"attachment-{len(files) + 1}", data))
    return files


def read_mail(raw, *, authserv_id=""):
    message = email.message_from_bytes(raw, policy=policy.default)
    text, body = _text(message)
    return Mail(
        message_id=_message_id(message),
        sender=_sender(message),
        subject=_header(message, "Subject"),
        in_reply_to=_header(message, "In-Reply-To"),
        references=_header(message, "References"),
        automated=_automated(message),
        dmarc_failed=_dmarc_failed(message, authserv_id),
        text=text,
        files=_files(message, body),
    )


def headers_only(raw):
    """The sender and subject of a message known only by its headers (too large to download)."""
    message = email.message_from_bytes(raw, policy=policy.default)
    return _message_id(message), _sender(message), _header(message, "Subject")
