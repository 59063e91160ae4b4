"""An email with an NHS number stores nothing of its content: it is held, the sender is asked to resend,
and an agent releases it (a false positive, recorded on the timeline) or discards it; held mail expires."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from inbound import held
from inbound.models import InboundMessage, Outcome
from incidents.models import Attachment, Incident, TimelineEvent
from tests.factories import StaffFactory
from tests.sample_files import png, png_text

from .conftest import SAM, compose

pytestmark = pytest.mark.django_db

NUMBER = "943 476 5919"  # passes the NHS check digit


def _stored_anywhere(text):
    """Whether `text` is in any incident, timeline entry or intake record."""
    digits = text.replace(" ", "")
    for model in (Incident, TimelineEvent, InboundMessage, Attachment):
        for row in model.objects.all():
            values = " ".join(str(getattr(row, field.attname)) for field in model._meta.fields)
            if text in values or digits in values.replace(" ", ""):
                return True
    return False


@pytest.mark.parametrize(
    "where",
    ["subject", "body", "body in full-width digits", "file name", "file content"],
)
def test_an_nhs_number_anywhere_holds_the_email_and_stores_nothing(sam, take, where):
    subject, body, files = "Booking fails", "The patient could not be booked.", []
    if where == "subject":
        subject = f"Booking fails for {NUMBER}"
    elif where == "body":
        body = f"The patient with NHS number {NUMBER} could not be booked."
    elif where == "body in full-width digits":
        body = "The patient ９４３ ４７６ ５９１９ could not be booked."
    elif where == "file name":
        files = [(f"patient {NUMBER}.txt", b"log line\n")]
    else:
        files = [("screen.png", png(before=[png_text("Comment", f"Patient {NUMBER}")]))]
    message = compose(subject=subject, body=body)
    for name, data in files:
        maintype, subtype = ("image", "png") if name.endswith(".png") else ("text", "plain")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)

    row = take(message)

    assert row.outcome == Outcome.HELD
    assert row.held_match.endswith("19") and "943" not in row.held_match
    assert not Incident.objects.exists()
    assert not _stored_anywhere(NUMBER)
    [reply] = mail.outbox
    assert reply.to == [SAM] and "NHS number" in reply.subject
    assert NUMBER not in reply.body and "could not be booked" not in reply.body


def test_a_held_pipe_message_waits_encrypted_outside_the_media_folder(sam, take, settings):
    row = take(compose(body=f"NHS number {NUMBER}"))
    [copy] = settings.INBOUND_HELD_DIR.iterdir()
    assert NUMBER.encode() not in copy.read_bytes()
    assert not str(copy).startswith(str(settings.MEDIA_ROOT))
    assert f"NHS number {NUMBER}" in held.read(row).decode()


def _decide(client, row, action):
    url = reverse("admin:inbound_inboundmessage_decide", args=[row.pk, action])
    page = client.get(url)
    assert page.status_code == 200 and row.held_match in page.content.decode()
    return client.post(url, follow=True)


def test_an_agent_releases_a_false_positive_and_the_timeline_says_so(
    sam, take, agent_client, agent, django_capture_on_commit_callbacks, settings
):
    row = take(compose(subject="Stock order", body=f"Order reference {NUMBER} will not print."))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        page = _decide(agent_client, row, "release")

    row.refresh_from_db()
    incident = row.incident
    assert row.outcome == Outcome.LOGGED and row.decided_by == agent
    assert "Released: Logged as" in page.content.decode()
    assert NUMBER in incident.description
    override = incident.events.get(kind=TimelineEvent.Kind.NHS_OVERRIDE)
    assert override.actor == agent and "not an NHS number" in override.text
    assert [m.to for m in mail.outbox] == [[SAM]] and incident.reference in mail.outbox[0].subject
    assert list(settings.INBOUND_HELD_DIR.iterdir()) == []  # the held copy is gone


def test_an_agent_discards_a_held_email(sam, take, agent_client, agent, settings):
    row = take(compose(body=f"NHS number {NUMBER}"))
    page = _decide(agent_client, row, "discard")
    row.refresh_from_db()
    assert row.outcome == Outcome.DISCARDED and row.decided_by == agent
    assert "Discarded" in page.content.decode()
    assert list(settings.INBOUND_HELD_DIR.iterdir()) == []
    assert not Incident.objects.exists()


def test_release_and_discard_are_post_only_and_need_the_change_permission(sam, take, client, agent):
    row = take(compose(body=f"NHS number {NUMBER}"))
    url = reverse("admin:inbound_inboundmessage_decide", args=[row.pk, "release"])
    client.force_login(agent)
    client.get(url)
    row.refresh_from_db()
    assert row.outcome == Outcome.HELD  # looking changes nothing
    client.force_login(StaffFactory())  # staff, but with no permission on the intake
    assert client.post(url).status_code == 403
    row.refresh_from_db()
    assert row.outcome == Outcome.HELD


def test_held_mail_is_removed_after_the_retention_period(sam, take, settings, time_machine):
    time_machine.move_to("2026-12-07 09:00 +00:00", tick=False)
    kept = take(compose(body=f"NHS number {NUMBER}"))
    time_machine.shift(timedelta(days=settings.INBOUND_HELD_RETENTION_DAYS - 1))
    recent = take(compose(body=f"Again: NHS number {NUMBER}"))
    time_machine.shift(timedelta(days=1, minutes=1))

    assert held.remove_expired() == 1
    kept.refresh_from_db()
    recent.refresh_from_db()
    assert kept.outcome == Outcome.DISCARDED and kept.decided_by is None and "after" in kept.reason
    assert recent.outcome == Outcome.HELD
    assert len(list(settings.INBOUND_HELD_DIR.iterdir())) == 1
    assert timezone.now() > kept.received_at


def test_the_admin_list_shows_held_mail_masked_with_a_fixed_number_of_queries(
    sam, take, agent_client, django_assert_max_num_queries
):
    for n in range(3):
        take(compose(subject=f"Booking {NUMBER} #{n}", body="See subject"))
    take(compose(subject="Printer"))
    with django_assert_max_num_queries(12):
        page = agent_client.get(reverse("admin:inbound_inboundmessage_changelist"))
    text = page.content.decode()
    assert page.status_code == 200 and "3 held emails" in text
    assert "*** *** **19" in text and NUMBER not in text
