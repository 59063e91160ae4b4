"""A practice's screenshot is read on a real Celery worker, through Redis, before the desk can open it
(issue 18): over HTTP on PostgreSQL, as in production. A banner with an NHS number is held, the number
masked everywhere it is told; a clean screen passes and the desk downloads it as sent.

The worker is started only after the note is posted (`celery_worker_started_later`), so the state before
the check has run is seen every time, not when the worker happens to be slow."""

import random

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from incidents.models import Attachment, TimelineEvent
from servicedesk.lib.nhs import is_valid_nhs_number
from tests.fixtures.screens.make_screens import spaced, valid_nhs_number
from tests.incidents.test_screenshot_check import needs_tesseract, screen_of
from tests.sample_files import pixels
from tests.servicedesk import test_celery_worker as worker_helpers

tasks_run = worker_helpers.tasks_run
WAIT_SECONDS = worker_helpers.WAIT_SECONDS
CHECKED_ON_WORKER = ("incidents.tasks.check_screenshot", False)  # False: not the main thread

pytestmark = [
    pytest.mark.real_celery,
    pytest.mark.subprocess,  # the worker starts Tesseract
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="the worker tests run in the PostgreSQL run; run with DATABASE_URL=postgres://...",
    ),
    worker_helpers.needs_redis_broker,
    needs_tesseract,
    pytest.mark.django_db(transaction=True),
]


def post_note_with(client, incident, name, data):
    return client.post(
        reverse("incidents:add_note", args=[incident.reference]),
        {"text": "The error shown after signing in.", "files": [SimpleUploadedFile(name, data, "image/png")]},
    )


def desk_download(agent, attachment):
    """The desk's download of the file from the incident's admin page: (status, what came back)."""
    desk = Client()
    desk.force_login(agent)
    response = desk.get(
        reverse("admin:incidents_incident_attachment", args=[attachment.incident_id, attachment.pk])
    )
    if not response.streaming:
        return response.status_code, response.content
    content = b"".join(response.streaming_content)
    response.close()
    return response.status_code, content


def every_text_kept(attachment):
    """What the database keeps of the file and the incident's timeline, as text."""
    attachment.refresh_from_db()
    row = [str(getattr(attachment, field.attname)) for field in Attachment._meta.concrete_fields]
    events = TimelineEvent.objects.filter(incident_id=attachment.incident_id)
    return " ".join(row + [f"{event.text} {event.old_value} {event.new_value}" for event in events])


def email_texts(message):
    return " ".join([message.subject, message.body] + [part for part, _ in message.alternatives])


def test_a_banner_with_an_nhs_number_is_held_and_the_desk_cannot_open_it(
    celery_worker_started_later, tasks_run, client, practice_user, incident, agent
):
    number = valid_nhs_number(random.Random(18))
    assert number.startswith("999") and is_valid_nhs_number(number)
    banner, _ = screen_of(["Mrs Jane Testpatient   Gender: Female", f"NHS No: {spaced(number)}"])
    client.force_login(practice_user)

    posted = post_note_with(client, incident, "banner.png", banner)

    assert posted.status_code == 302
    attachment = Attachment.objects.get(incident=incident)
    assert attachment.check_status == Attachment.Check.CHECKING  # the worker has not started yet
    status, content = desk_download(agent, attachment)
    assert status == 403
    assert banner not in content

    celery_worker_started_later()

    def told():
        return [m for m in mail.outbox if m.to == [practice_user.email] and "held" in m.subject]

    assert worker_helpers._wait_until(lambda: CHECKED_ON_WORKER in tasks_run and told()), (
        f"the worker did not check the file and email its uploader within {WAIT_SECONDS}s: {tasks_run}"
    )
    attachment.refresh_from_db()
    assert attachment.check_status == Attachment.Check.HELD
    assert f"NHS number {number[:3]} *** ****" in attachment.check_reasons
    assert attachment.check_boxes  # where the number was read, for the editor to suggest
    (message,) = told()
    assert "banner.png" in message.body
    assert f"NHS number {number[:3]} *** ****" in message.body
    held = incident.events.get(kind=TimelineEvent.Kind.FILE_HELD)
    assert held.public and "banner.png" in held.text and f"{number[:3]} *** ****" in held.text
    for told_somewhere in [every_text_kept(attachment), *(email_texts(m) for m in mail.outbox)]:
        assert number[3:] not in told_somewhere and spaced(number)[4:] not in told_somewhere
    status, content = desk_download(agent, attachment)
    assert status == 403
    assert banner not in content


def test_a_clean_screen_passes_and_the_desk_downloads_what_was_read(
    celery_worker_started_later, tasks_run, client, practice_user, incident, agent
):
    screen, _ = screen_of(
        [
            f"Incident {incident.reference} logged 03/11/2026",
            "Call the practice on 01632 960123 between 08:00 and 18:30",
            "Version 5.4.2 build 2219: error 0x80070005, access is denied",
        ]
    )
    client.force_login(practice_user)

    posted = post_note_with(client, incident, "error.png", screen)

    assert posted.status_code == 302
    attachment = Attachment.objects.get(incident=incident)
    assert attachment.check_status == Attachment.Check.CHECKING

    celery_worker_started_later()

    assert worker_helpers._wait_until(lambda: CHECKED_ON_WORKER in tasks_run), (
        f"the worker did not check the file within {WAIT_SECONDS}s: {tasks_run}"
    )
    attachment.refresh_from_db()
    assert (attachment.check_status, attachment.check_reasons) == (Attachment.Check.PASSED, [])
    assert not incident.events.filter(kind=TimelineEvent.Kind.FILE_HELD).exists()
    assert not [m for m in mail.outbox if "held" in m.subject]
    status, content = desk_download(agent, attachment)
    assert status == 200
    assert pixels(content) == pixels(screen)  # as sent, re-encoded: the pixels the check read, nothing else
