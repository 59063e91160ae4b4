"""The IMAP adapter against a real Dovecot (tests/inbound/dovecot.py): mail delivered into the intake mailbox
is read once, acted on exactly as through the pipe, and moved to the folder its outcome names."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from inbound import held
from inbound.intake import ingest
from inbound.models import InboundMessage, IntakeHealth, Outcome, Source
from inbound.tasks import poll_mailbox_task
from incidents.models import Attachment, Incident, TimelineEvent
from tests.servicedesk.test_celery_worker import _wait_until, needs_redis_broker

from .conftest import DANA, SAM, compose, mail_fixture

pytestmark = [pytest.mark.subprocess, pytest.mark.django_db]

on_postgresql = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="needs PostgreSQL row locks and real concurrency; run with DATABASE_URL=postgres://...",
)


def test_an_email_in_the_mailbox_becomes_an_incident_and_moves_to_processed(sam, imap, poll, mailoutbox):
    imap.deliver(mail_fixture("plain.eml"))

    result = poll()

    incident = Incident.objects.get()
    assert incident.summary == "Appointments screen freezes when booking" and incident.reporter == sam
    row = InboundMessage.objects.get()
    assert (row.source, row.outcome, row.incident) == (Source.IMAP, Outcome.LOGGED, incident)
    assert imap.count() == {"processed": 1}
    assert result.read == 1 and str(result) == "Read 1 messages (1 logged)."
    [reply] = mailoutbox
    assert reply.to == [SAM] and incident.reference in reply.subject
    health = IntakeHealth.objects.get()
    assert health.last_poll_messages == 1 and health.last_poll_finished_at and not health.last_error
    assert health.lease_until is None, "the lease is given back when the poll ends"


@pytest.mark.parametrize(
    ("fixture", "outcome", "folder"),
    [
        ("html_only.eml", Outcome.LOGGED, "processed"),
        ("screenshot.eml", Outcome.LOGGED, "processed"),
        ("forwarded.eml", Outcome.LOGGED, "processed"),
        ("out_of_office.eml", Outcome.AUTOMATED, "refused"),
        ("bounce.eml", Outcome.AUTOMATED, "refused"),
        ("nhs_number.eml", Outcome.HELD, "held"),
    ],
)
def test_each_kind_of_mail_gets_the_pipes_outcome_and_its_folder(sam, imap, poll, fixture, outcome, folder):
    raw = mail_fixture(fixture)
    imap.deliver(raw)

    poll()

    row = InboundMessage.objects.get()
    assert row.outcome == outcome, row.reason
    assert imap.count() == {folder: 1}
    # The same bytes through the pipe are the same message: recorded once, nothing more done.
    again = ingest(raw.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n"), source=Source.PIPE)
    assert again.pk == row.pk and again.seen_before
    if fixture == "screenshot.eml":
        assert Attachment.objects.get().original_name == "appointments-error.png"


def test_a_reply_in_the_mailbox_adds_a_note_with_the_quote_removed(sam, sams_incident, imap, poll):
    imap.deliver(mail_fixture("reply_outlook.eml", sams_incident))

    poll()

    note = sams_incident.events.get(kind=TimelineEvent.Kind.NOTE)
    assert "From: IT Service Desk" not in note.text and note.text.strip()
    assert imap.count() == {"processed": 1}
    assert Incident.objects.count() == 1


def test_the_same_message_twice_in_the_mailbox_makes_one_incident(sam, imap, poll):
    raw = bytes(compose(body="The label printer stops after one label."))
    imap.deliver(raw, raw)

    result = poll()

    assert Incident.objects.count() == 1 and InboundMessage.objects.count() == 1
    assert imap.count() == {"processed": 2}, "both copies are moved, neither deleted"
    assert result.read == 2


def test_a_message_already_read_through_the_pipe_is_only_moved(sam, imap, poll, take):
    raw = bytes(compose(body="Sent to both the pipe and the mailbox."))
    take(raw)
    imap.deliver(raw)

    poll()

    assert Incident.objects.count() == 1
    assert imap.count() == {"processed": 1}


def test_a_poll_that_stopped_before_moving_is_finished_by_the_next(sam, imap, poll):
    """The outcome is committed first and the move comes after: a message recorded but not moved is moved
    by the next poll, and acted on only once."""
    imap.deliver(bytes(compose(body="Recorded, then the poller stopped.")))
    ingest(_server_bytes(imap), source=Source.IMAP)

    poll()

    assert Incident.objects.count() == 1 and InboundMessage.objects.count() == 1
    assert imap.count() == {"processed": 1}


def _server_bytes(imap):
    with imap.mailbox() as box:
        box.folder.set("INBOX")
        [uid] = box.uids()
        return box.client.uid("FETCH", uid, "(BODY.PEEK[])")[1][0][1]


def test_an_unknown_sender_is_answered_once_and_their_mail_moved_to_refused(db, imap, poll, mailoutbox):
    stranger = "someone@elsewhere.example"
    imap.deliver(
        bytes(compose(sender=stranger, subject="Hello")), bytes(compose(sender=stranger, subject="Again"))
    )

    poll()

    assert [message.to for message in mailoutbox] == [[stranger]]
    assert imap.count() == {"refused": 2}
    assert not Incident.objects.exists()


def test_a_message_over_the_size_limit_is_refused_from_its_headers_alone(
    sam, imap, poll, settings, mailoutbox
):
    settings.INBOUND_MAX_BYTES = 64 * 1024
    big = compose(subject="Full log attached", body="Here is the whole log.")
    big.add_attachment(b"x" * 100_000, maintype="application", subtype="octet-stream", filename="log.bin")
    imap.deliver(bytes(big))

    poll()

    row = InboundMessage.objects.get()
    assert row.outcome == Outcome.REFUSED and row.reason.startswith("Too large:")
    assert "over the 64.0\xa0KB accepted" in row.reason
    assert row.sender == SAM and row.subject == "Full log attached"
    assert not Incident.objects.exists()
    assert imap.count() == {"refused": 1}
    [told] = mailoutbox
    assert told.to == [SAM] and "larger than the 64.0\xa0KB we accept" in told.body


def test_held_mail_stays_on_the_server_until_an_agent_releases_it(sam, imap, poll, agent):
    imap.deliver(mail_fixture("nhs_number.eml"))
    poll()
    row = InboundMessage.objects.get(outcome=Outcome.HELD)
    assert imap.count() == {"held": 1} and not Incident.objects.exists()

    held.release(row, agent)

    incident = Incident.objects.get()
    assert incident.inbound_messages.get() == row
    assert imap.count() == {"processed": 1}


def test_a_discarded_held_email_moves_to_refused_and_an_expired_one_is_deleted(sam, dana, imap, poll, agent):
    imap.deliver(mail_fixture("nhs_number.eml"))
    imap.deliver(bytes(compose(sender=DANA, subject="Patient 943 476 5919 cannot book")))
    poll()
    discarded, expired = InboundMessage.objects.filter(outcome=Outcome.HELD).order_by("sender")
    assert (discarded.sender, expired.sender) == (DANA, SAM) or (expired.sender, discarded.sender) == (
        DANA,
        SAM,
    )

    assert held.discard(discarded, agent)
    assert imap.count() == {"held": 1, "refused": 1}

    later = timezone.now() + timedelta(days=settings.INBOUND_HELD_RETENTION_DAYS, hours=1)
    with time_machine.travel(later, tick=False):
        assert held.remove_expired() == 1
    assert imap.count() == {"refused": 1}, "the expired copy is deleted from the server"
    assert not InboundMessage.objects.filter(outcome=Outcome.HELD).exists()


def test_held_mail_without_a_message_id_is_found_by_its_size_and_bytes(sam, imap, poll, agent):
    """Without a Message-ID the server narrows the held folder to copies of the same size; the hash then
    picks the right one of two same-sized emails, and a third of another size is never downloaded."""
    for body in (
        "Patient 943 476 5919: the screen froze.",
        "Patient 943 476 5919: the label jammed.",
        "Patient 943 476 5919 again, in a longer email.",
    ):
        message = compose(subject="Held", body=body)
        del message["Message-ID"]
        imap.deliver(bytes(message))
    poll()
    rows = InboundMessage.objects.filter(outcome=Outcome.HELD).order_by("pk")
    assert [row.message_id for row in rows] == ["", "", ""] and rows[0].size == rows[1].size

    second = rows[1]
    assert b"the label jammed" in held.read(second)
    held.release(second, agent)

    assert "the label jammed" in Incident.objects.get().description
    assert imap.count() == {"held": 2, "processed": 1}


def test_the_admin_release_page_releases_mail_held_on_the_server(sam, imap, poll, agent_client):
    imap.deliver(mail_fixture("nhs_number.eml"))
    poll()
    row = InboundMessage.objects.get()

    url = reverse("admin:inbound_inboundmessage_decide", args=[row.pk, "release"])
    response = agent_client.post(url)

    assert response.status_code == 302
    assert Incident.objects.count() == 1 and imap.count() == {"processed": 1}


def test_while_the_mail_server_is_down_held_mail_stays_held(sam, imap, poll, agent_client, settings):
    imap.deliver(mail_fixture("nhs_number.eml"))
    poll()
    row = InboundMessage.objects.get()
    settings.INBOUND_IMAP_PORT = 1  # nothing listens there

    url = reverse("admin:inbound_inboundmessage_decide", args=[row.pk, "release"])
    response = agent_client.post(url, follow=True)

    assert "The mail server could not be reached" in response.content.decode()
    row.refresh_from_db()
    assert row.outcome == Outcome.HELD and not Incident.objects.exists()
    later = timezone.now() + timedelta(days=settings.INBOUND_HELD_RETENTION_DAYS, hours=1)
    with time_machine.travel(later, tick=False):
        assert held.remove_expired() == 0
    assert InboundMessage.objects.get().outcome == Outcome.HELD
    settings.INBOUND_IMAP_PORT = imap.port
    assert imap.count() == {"held": 1}


def test_mail_removed_from_the_held_folder_by_hand_cannot_be_released(sam, imap, poll, agent):
    imap.deliver(mail_fixture("nhs_number.eml"))
    poll()
    imap.empty()

    with pytest.raises(held.HeldMailGone):
        held.release(InboundMessage.objects.get(), agent)
    assert not Incident.objects.exists()


def test_xoauth2_reads_the_mailbox_with_a_token_from_the_refresh_token(sam, imap, poll, settings):
    for name, value in imap.settings(auth="xoauth2").items():
        setattr(settings, name, value)
    asked = imap.oauth.token_requests
    imap.deliver(mail_fixture("plain.eml"))

    poll()

    assert Incident.objects.count() == 1 and imap.count() == {"processed": 1}
    assert imap.oauth.token_requests == asked + 1


def test_a_refused_token_leaves_the_mail_in_the_inbox_and_says_why_in_admin(
    sam, imap, poll, settings, agent_client
):
    for name, value in imap.settings(auth="xoauth2").items():
        setattr(settings, name, value)
    settings.INBOUND_IMAP_OAUTH_REFRESH_TOKEN = "revoked"
    imap.deliver(mail_fixture("plain.eml"))

    result = poll()

    assert result.error and "token" in result.error
    assert imap.count() == {"INBOX": 1} and not Incident.objects.exists()
    health = IntakeHealth.objects.get()
    assert "token" in health.last_error and health.last_error_at and health.lease_until is None
    changelist = reverse("admin:inbound_inboundmessage_changelist")
    page = agent_client.get(changelist).content.decode()
    assert "That poll stopped" in page and "The OAuth token endpoint" in page

    settings.INBOUND_IMAP_OAUTH_REFRESH_TOKEN = imap.oauth.refresh_token
    poll()
    page = agent_client.get(changelist).content.decode()
    assert "That poll stopped" not in page, "an error is shown only while it is the last poll's"
    assert "(1 message read)" in page


def test_a_wrong_password_leaves_the_mail_in_the_inbox(sam, imap, poll, settings):
    settings.INBOUND_IMAP_PASSWORD = "not-the-password"
    imap.deliver(mail_fixture("plain.eml"))

    result = poll()

    assert "refused the login" in result.error
    assert imap.count() == {"INBOX": 1} and not Incident.objects.exists()
    assert "refused the login" in IntakeHealth.objects.get().last_error


def test_a_server_that_cannot_be_reached_is_recorded(db, imap, poll, settings):
    settings.INBOUND_IMAP_PORT = 1  # nothing listens there

    result = poll()

    assert "Could not reach the IMAP server" in result.error
    assert IntakeHealth.objects.get().last_error_at is not None


def test_a_second_poller_does_nothing_while_the_first_holds_the_mailbox(sam, imap, poll):
    IntakeHealth.objects.create(
        pk=1, lease_owner="worker-a", lease_until=timezone.now() + timedelta(minutes=5)
    )
    imap.deliver(mail_fixture("plain.eml"))

    result = poll()

    assert not result.ran and str(result) == "Another poll holds the mailbox; nothing done."
    assert imap.count() == {"INBOX": 1} and not Incident.objects.exists()

    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        assert poll().ran, "a lease that ran out (its poller died) is taken over"
    assert Incident.objects.count() == 1


def test_an_empty_mailbox_is_a_quiet_poll(db, imap, poll):
    result = poll()

    assert result.ran and result.read == 0 and not result.error
    health = IntakeHealth.objects.get()
    assert health.last_poll_finished_at is not None and health.last_poll_messages == 0
    assert set(imap.contents()) == {"INBOX", "processed", "refused", "held"}, "the folders are made"


def test_the_beat_task_polls_the_mailbox(sam, imap, django_capture_on_commit_callbacks):
    imap.deliver(mail_fixture("plain.eml"))

    with django_capture_on_commit_callbacks(execute=True):
        said = poll_mailbox_task.delay().get()

    assert said == "Read 1 messages (1 logged)."
    assert Incident.objects.count() == 1


def test_the_command_line_poll_says_what_it_read(sam, imap, capsys):
    imap.deliver(mail_fixture("plain.eml"), mail_fixture("out_of_office.eml"))

    call_command("poll_mailbox")

    assert "Read 2 messages (1 automated, 1 logged)." in capsys.readouterr().out


@on_postgresql
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_pollers_at_once_read_each_message_once(sam, imap):
    from inbound.imap import poll as run_poll

    messages = [bytes(compose(subject=f"Printer fault {n}", body=f"Fault number {n}.")) for n in range(12)]
    imap.deliver(*messages)
    barrier = threading.Barrier(2)

    def poller(name):
        try:
            barrier.wait()
            return run_poll(owner=name)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = [future.result() for future in [pool.submit(poller, name) for name in ("a", "b")]]

    assert sum(result.read for result in results) == 12, "no message is read by both"
    assert Incident.objects.count() == 12 and InboundMessage.objects.count() == 12
    assert imap.count() == {"processed": 12}


@needs_redis_broker
@pytest.mark.real_celery
def test_a_real_celery_worker_polls_the_mailbox(celery_worker_on_redis, sam, imap):
    imap.deliver(mail_fixture("plain.eml"))

    poll_mailbox_task.delay()

    assert _wait_until(lambda: imap.count() == {"processed": 1}), imap.count()
    assert Incident.objects.get().reporter == sam


@pytest.mark.parametrize(
    ("auth", "unset", "named"),
    [
        ("password", "INBOUND_IMAP_PASSWORD", "INBOUND_IMAP_PASSWORD"),
        ("password", "INBOUND_IMAP_USER", "INBOUND_IMAP_USER"),
        ("xoauth2", "INBOUND_IMAP_OAUTH_REFRESH_TOKEN", "INBOUND_IMAP_OAUTH_REFRESH_TOKEN"),
    ],
)
def test_a_mailbox_without_a_way_to_log_in_fails_the_system_check(imap, settings, auth, unset, named):
    from django.core.management.base import SystemCheckError

    for name, value in imap.settings(auth=auth).items():
        setattr(settings, name, value)
    call_command("check")  # complete settings pass
    setattr(settings, unset, "")
    with pytest.raises(SystemCheckError, match=f"inbound.E002.*{named}"):
        call_command("check")
