"""Real raw messages, as mail programs write them (tests/inbound/mail/README.md), through the pipe command."""

import pytest
from django.core import mail

from inbound.models import InboundMessage, Outcome
from incidents.models import Attachment, Channel, Incident, TimelineEvent

from .conftest import DANA, SAM, mail_fixture

pytestmark = pytest.mark.django_db


def _pc000123(sam):
    incident = Incident.objects.get(pk=_incident_of(sam).pk)
    Incident.objects.filter(pk=incident.pk).update(reference="PC000123")
    incident.refresh_from_db()
    return incident


def _incident_of(sam):
    from tests.factories import IncidentFactory

    return IncidentFactory(reporter=sam, summary="Appointments screen freezes")


def test_plain_text_becomes_an_incident(sam, pipe):
    printed = pipe(mail_fixture("plain.eml"))
    incident = Incident.objects.get()
    assert printed.startswith(f"Incident logged. Logged as {incident.reference}.")
    assert incident.summary == "Appointments screen freezes when booking"
    assert incident.channel == Channel.EMAIL and incident.reporter == sam
    assert "freezes" in incident.description


def test_html_only_mail_is_read_as_text_and_nothing_of_its_html_is_kept(sam, pipe):
    pipe(mail_fixture("html_only.eml"))
    incident = Incident.objects.get()
    assert incident.summary == "Prescriptions not printing – urgent"
    description = incident.description
    assert "print" in description.lower()
    for trace in ("<", "mailTrack", "SCRIPT OUTPUT MUST NEVER APPEAR", "color:", "http"):
        assert trace not in description


def test_an_attached_screenshot_is_checked_and_kept(sam, pipe):
    pipe(mail_fixture("screenshot.eml"))
    [attachment] = Attachment.objects.all()
    assert attachment.original_name == "appointments-error.png" and attachment.content_type == "image/png"
    assert attachment.incident == Incident.objects.get() and attachment.uploaded_by == sam


def test_a_forwarded_notification_keeps_the_forwarded_text(sam, pipe):
    pipe(mail_fixture("forwarded.eml"))
    incident = Incident.objects.get()
    assert incident.summary == "[Action required] Appointment book synchronisation failed"
    assert "FCS-4127" in incident.description


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("reply_outlook.eml", "Yes, it happens on all three reception PCs since Monday's update."),
        ("reply_gmail.eml", None),
    ],
)
def test_replies_from_outlook_and_gmail_become_notes_without_quotes_or_signature(sam, pipe, name, expected):
    incident = _incident_of(sam)
    printed = pipe(mail_fixture(name, incident))
    note = incident.events.get(kind=TimelineEvent.Kind.NOTE)
    assert printed.startswith("Note added") and note.actor == sam
    if expected:
        assert note.text == expected
    for quoted in ("wrote:", "From:", "> ", "Kind regards", "Service Desk", "Okafor"):
        assert quoted not in note.text
    assert Incident.objects.count() == 1


@pytest.mark.parametrize("name", ["out_of_office.eml", "bounce.eml"])
def test_an_out_of_office_or_a_bounce_does_nothing(sam, pipe, name):
    incident = _incident_of(sam)
    printed = pipe(mail_fixture(name, incident))
    assert printed.startswith("Ignored: automatic reply or bounce")
    assert not incident.events.filter(kind=TimelineEvent.Kind.NOTE).exists()
    assert Incident.objects.count() == 1 and mail.outbox == []


def test_a_bounce_is_ignored_by_its_shape_alone(sam, pipe):
    """Without its Auto-Submitted header, the empty return path and the report still mark it."""
    raw = mail_fixture("bounce.eml").replace(b"Auto-Submitted: auto-replied\n", b"", 1)
    assert b"Auto-Submitted: auto-replied" not in raw.split(b"\n\n", 1)[0]
    assert pipe(raw).startswith("Ignored")


def test_an_nhs_number_is_held_and_not_stored(sam, pipe):
    printed = pipe(mail_fixture("nhs_number.eml"))
    row = InboundMessage.objects.get()
    assert printed.startswith("Held") and row.outcome == Outcome.HELD
    assert not Incident.objects.exists() and "943" not in row.held_match
    [reply] = mail.outbox
    assert reply.to == [SAM]


def test_a_disguised_reference_to_another_practices_incident_is_new_mail(sam, dana, pipe):
    theirs = _pc000123(sam)
    pipe(mail_fixture("disguised_reference.eml"))
    row = InboundMessage.objects.get()
    assert row.outcome == Outcome.LOGGED and row.incident.practice == dana.practice
    assert not theirs.events.filter(kind=TimelineEvent.Kind.NOTE).exists()
    [reply] = mail.outbox
    assert reply.to == [DANA] and "PC000123" not in reply.body and theirs.summary not in reply.body


def test_the_disguised_reference_threads_for_the_incidents_own_practice(sam, pipe):
    """Read as a person reads it, [ＰＣ０００１２３] is PC000123: from its own practice it is a note."""
    theirs = _pc000123(sam)
    raw = mail_fixture("disguised_reference.eml").replace(DANA.encode(), SAM.encode())
    pipe(raw)
    assert InboundMessage.objects.get().incident == theirs
    assert theirs.events.filter(kind=TimelineEvent.Kind.NOTE).count() == 1
