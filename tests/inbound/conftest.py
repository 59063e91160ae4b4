"""Practice users who email the desk, and raw messages for the intake.

`mail_fixture(name)` reads a message from tests/inbound/mail/ (written for the project as real mail
programs write them; its README lists them), with the placeholders of replies filled in. `compose()` builds
a plain message for cases the fixtures do not cover.
"""

import io
import os
import sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import pytest
from django.core.management import call_command

from inbound.intake import ingest
from inbound.models import Source
from incidents.mail_thread import thread_headers
from tests.factories import IncidentFactory, PracticeFactory, UserFactory

from .dovecot import DOVECOT, Dovecot

MAIL = Path(__file__).parent / "mail"
INTAKE = "incidents@servicedesk.example.org"
SAM = "sam.okafor@oakfield-surgery.example"
DANA = "dana.reyes@riverside-practice.example"


@pytest.fixture
def sam(db):
    practice = PracticeFactory(name="Oakfield Surgery")
    return UserFactory(email=SAM, full_name="Sam Okafor", practice=practice, phone="01632 960123")


@pytest.fixture
def dana(db):
    practice = PracticeFactory(name="Riverside Practice")
    return UserFactory(email=DANA, full_name="Dana Reyes", practice=practice)


@pytest.fixture
def sams_incident(sam):
    return IncidentFactory(reporter=sam, summary="Appointments screen freezes")


def reply_headers(incident):
    """What a mail program puts in a reply to one of the desk's emails about `incident`."""
    sent = thread_headers(incident.reference)
    return sent["Message-ID"], f"{sent['References']} {sent['Message-ID']}"


def mail_fixture(name, incident=None):
    raw = (MAIL / name).read_bytes()
    if incident is not None:
        in_reply_to, references = reply_headers(incident)
        raw = raw.replace(b"__IN_REPLY_TO__", in_reply_to.encode()).replace(
            b"__REFERENCES__", references.encode()
        )
        raw = raw.replace(b"PC000123", incident.reference.encode())
    return raw


def compose(sender=SAM, subject="Printing fails", body="The label printer stops after one label.", **headers):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = INTAKE
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "example.org")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


@pytest.fixture
def pipe(django_capture_on_commit_callbacks):
    """`manage.py ingest_email < message`, as a mail server's pipe runs it; returns what it printed. What
    the intake queues for after the commit (its replies) runs before this returns."""

    def pipe(raw):
        out, stdin = io.StringIO(), sys.stdin
        sys.stdin = io.TextIOWrapper(io.BytesIO(raw))
        try:
            with django_capture_on_commit_callbacks(execute=True):
                call_command("ingest_email", stdout=out)
        finally:
            sys.stdin = stdin
        return out.getvalue()

    return pipe


@pytest.fixture
def take(django_capture_on_commit_callbacks):
    """The intake's entry point on one message (bytes or an EmailMessage), its replies sent."""

    def take(raw):
        with django_capture_on_commit_callbacks(execute=True):
            return ingest(raw if isinstance(raw, bytes) else bytes(raw), source=Source.PIPE)

    return take


@pytest.fixture(scope="session")
def dovecot_server():
    """One Dovecot for this test process (tests/inbound/dovecot.py); CI installs dovecot-imapd."""
    if not DOVECOT.exists():
        needs = f"needs Dovecot at {DOVECOT} (apt-get install dovecot-imapd)"
        if os.environ.get("TESTS_REQUIRE_DOVECOT"):  # .ci/run installs it: never skip there
            pytest.fail(needs)
        pytest.skip(needs)
    server = Dovecot()
    yield server
    server.stop()


@pytest.fixture
def imap(dovecot_server, settings):
    """The intake mailbox on Dovecot, emptied, and the poller's settings pointing at it (password login)."""
    for name, value in dovecot_server.settings().items():
        setattr(settings, name, value)
    dovecot_server.empty()
    return dovecot_server


@pytest.fixture
def poll(django_capture_on_commit_callbacks):
    """One run of the IMAP poller; what the intake queues for after each commit (its replies) runs too."""
    from inbound.imap import poll as run_poll

    def poll(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return run_poll(**kwargs)

    return poll
