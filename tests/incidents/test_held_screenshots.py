"""A practice's screenshot is read for patient data before the desk can open it (issue 18): what the practice
and the desk see, and the practice's two ways out of a hold, over HTTP. The real worker's path is in
test_screenshot_worker.py; here tasks run eagerly, with the real Tesseract where a test is marked
`subprocess`, else with the reader switched off (tests/conftest.py), which holds images "not checked"."""

import io
import random
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from PIL import Image

from incidents import services
from incidents.models import Attachment, TimelineEvent
from tests.conftest import login
from tests.fixtures.screens.make_screens import spaced, valid_nhs_number
from tests.incidents.helpers import BANNER_QUERY
from tests.incidents.test_screenshot_check import needs_tesseract, screen_of
from tests.sample_files import pixels

NUMBER = valid_nhs_number(random.Random(18))
# The confirm and redact pages: user with practice, the incident, the attachment with its uploader, and the
# known issues' banner.
PAGE_QUERIES = 4 + BANNER_QUERY


def upload(name, data, content_type="image/png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def banner_png():
    return screen_of(["Patient record", f"Mrs Jane Example  DOB 12/03/1961  NHS No {spaced(NUMBER)}"])[0]


def clean_png():
    return screen_of(["Print queue stopped", "Reference PC000123, call 01632 960123"])[0]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a request queued for after its commit (the check, the emails), as the worker would."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


@pytest.fixture
def note_with(practice_client, committed):
    def note(incident, name, data):
        """The incident's page once the note with one file is added and its check has run."""
        committed(
            practice_client.post,
            reverse("incidents:add_note", args=[incident.reference]),
            {"text": "The print screen.", "files": [upload(name, data)]},
        )
        return practice_client.get(incident.get_absolute_url())

    return note


def page_text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def admin_download(agent, attachment):
    desk = login(Client(), agent)
    return desk.get(
        reverse("admin:incidents_incident_attachment", args=[attachment.incident_id, attachment.pk])
    )


@pytest.fixture
def practice_client(practice_user):
    return login(Client(), practice_user)


@pytest.mark.subprocess
@needs_tesseract
def test_a_banner_is_held_the_desk_cannot_open_it_and_the_uploader_is_told_with_the_number_masked(
    note_with, practice_user, incident, agent
):
    response = note_with(incident, "record.png", banner_png())

    attachment = Attachment.objects.get(incident=incident)
    assert attachment.check_status == Attachment.Check.HELD
    shown = page_text(response)
    assert "Held" in shown and "The Service Desk cannot open it" in shown
    assert f"NHS number {NUMBER[:3]} *** ****" in shown
    assert "Redact it and attach it again" in shown and "Confirm it shows no patient data" in shown
    [email] = [m for m in mail.outbox if "held" in m.subject]
    assert email.to == [practice_user.email]
    assert "record.png" in email.body and f"{NUMBER[:3]} *** ****" in email.body
    everything = (
        shown
        + email.body
        + str(attachment.check_reasons)
        + "".join(incident.events.values_list("text", flat=True))
    )
    assert NUMBER not in everything.replace(" ", "")
    assert attachment.check_boxes  # where the number was read, for the editor

    refused = admin_download(agent, attachment)
    assert refused.status_code == 403
    assert b"Held: may show patient data" in refused.content
    assert not hasattr(refused, "streaming_content")
    desk_page = login(Client(), agent).get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert "Held: may show patient data" in page_text(desk_page)
    assert reverse("admin:incidents_incident_attachment", args=[incident.pk, attachment.pk]) not in page_text(
        desk_page
    )


@pytest.mark.subprocess
@needs_tesseract
def test_a_clean_screenshot_passes_and_the_desk_downloads_it(note_with, incident, agent):
    data = clean_png()
    note_with(incident, "queue.png", data)

    attachment = Attachment.objects.get(incident=incident)
    assert attachment.check_status == Attachment.Check.PASSED
    download = admin_download(agent, attachment)
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert pixels(b"".join(download.streaming_content)) == pixels(data)
    assert not incident.events.filter(kind=TimelineEvent.Kind.FILE_HELD).exists()


def test_without_the_reader_an_image_is_held_not_checked_and_the_desk_is_told_why(note_with, incident, agent):
    response = note_with(incident, "screen.png", clean_png())

    attachment = Attachment.objects.get(incident=incident)
    assert attachment.check_status == Attachment.Check.NOT_CHECKED
    assert "it could not be checked for patient data" in page_text(response)
    refused = admin_download(agent, attachment)
    assert refused.status_code == 403
    assert "Tesseract is not installed" in page_text(refused)


def test_logs_pdfs_and_the_desks_own_images_are_not_held(practice_client, incident, agent):
    practice_client.post(
        reverse("incidents:add_note", args=[incident.reference]),
        {"text": "The log.", "files": [upload("spooler.log", b"Spooler stopped at 09:14\n", "text/plain")]},
    )
    services.incident_add_note(incident, actor=agent, text="Our view.", uploads=[_checked("desk.png")])

    assert sorted(Attachment.objects.values_list("original_name", "check_status")) == [
        ("desk.png", "passed"),
        ("spooler.log", "passed"),
    ]


def _checked(name):
    from incidents.attachments import check_upload

    return check_upload(upload(name, clean_png()))


@pytest.fixture
def held(note_with, incident):
    note_with(incident, "screen.png", clean_png())
    return Attachment.objects.get(incident=incident)


def confirm_url(attachment):
    return reverse("incidents:attachment_confirm", args=[attachment.incident.reference, attachment.pk])


def redact_url(attachment):
    return reverse("incidents:attachment_redact", args=[attachment.incident.reference, attachment.pk])


def test_the_practice_confirms_a_held_screenshot_and_the_desk_can_open_it(
    practice_client, practice_user, held, agent, django_assert_num_queries
):
    with django_assert_num_queries(PAGE_QUERIES):
        page = practice_client.get(confirm_url(held))
    assert page.status_code == 200
    assert "Confirm that screen.png shows no patient data" in page_text(page)

    unticked = practice_client.post(confirm_url(held), {})
    assert unticked.status_code == 400
    assert "There is a problem" in page_text(unticked)
    assert "Tick the box to confirm" in page_text(unticked)
    held.refresh_from_db()
    assert held.check_status == Attachment.Check.NOT_CHECKED

    done = practice_client.post(confirm_url(held), {"looked": "on"}, follow=True)
    assert "The Service Desk can now open screen.png" in page_text(done)
    held.refresh_from_db()
    assert held.check_status == Attachment.Check.CONFIRMED
    entry = held.incident.events.get(kind=TimelineEvent.Kind.FILE_CLEARED)
    assert entry.actor == practice_user and entry.public
    assert "shows no patient data" in entry.text
    again = practice_client.get(confirm_url(held), follow=True)
    assert "screen.png is not held" in page_text(again)
    download = admin_download(agent, held)
    assert download.status_code == 200
    download.close()  # last: closing a response ends the request, and with it the test's connection


def test_the_practice_replaces_a_held_screenshot_with_a_redacted_copy(
    practice_client, held, committed, django_assert_num_queries
):
    with django_assert_num_queries(PAGE_QUERIES):
        page = practice_client.get(redact_url(held))
    assert page.status_code == 200
    assert f'data-redact-src="{held.get_absolute_url()}"' in page.content.decode()
    assert 'data-redact-suggest="[]"' in page.content.decode()
    stored = held.file.name

    refused = practice_client.post(
        redact_url(held), {"files": upload("notes.txt", b"Spooler stopped at 09:14\n", "text/plain")}
    )
    assert refused.status_code == 400
    assert "is not an image" in page_text(refused)

    redacted = io.BytesIO()
    Image.new("RGB", (40, 20), "black").save(redacted, format="PNG")
    done = committed(
        practice_client.post,
        redact_url(held),
        {"files": upload("screen-redacted.png", redacted.getvalue())},
        follow=True,
    )
    assert "The redacted copy screen-redacted.png replaces screen.png" in page_text(done)
    done = practice_client.get(held.incident.get_absolute_url())
    held.refresh_from_db()
    assert held.check_status == Attachment.Check.REPLACED and held.purged_at
    assert not held.file and not Attachment.file.field.storage.exists(stored)
    assert "screen.png: replaced by a redacted copy" in page_text(done)
    copy = Attachment.objects.exclude(pk=held.pk).get()
    assert copy.original_name == "screen-redacted.png"
    assert copy.check_status == Attachment.Check.NOT_CHECKED  # checked again (here, with the reader off)


def test_another_practice_gets_404_and_the_pages_take_changes_by_post_only(held, outsider):
    other = login(Client(), outsider)
    for url in (confirm_url(held), redact_url(held)):
        assert other.get(url).status_code == 404
        assert other.post(url, {"looked": "on"}).status_code == 404
    held.refresh_from_db()
    assert held.check_status == Attachment.Check.NOT_CHECKED


# --- What the review of the first version found --------------------------------------------------------


def test_an_animation_is_held_as_not_checked_since_only_still_screenshots_are_read(note_with, incident):
    frames = [Image.new("RGB", (60, 30), colour) for colour in ("white", "black")]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:])

    note_with(incident, "recording.gif", out.getvalue())

    attachment = Attachment.objects.get(incident=incident)
    assert attachment.check_status == Attachment.Check.NOT_CHECKED
    assert attachment.check_reasons == [
        "not checked: The image has 2 frames; only still screenshots are read."
    ]


def test_the_desk_gets_the_pixels_that_were_read_without_the_files_hidden_text(
    practice_user, incident, agent, committed
):
    from tests.sample_files import png, png_text

    original = png(before=[png_text("Comment", "Thumbnail of an older, unredacted screen")])
    attachment = _practice_image(practice_user, incident, "screen.png", original, committed)
    services.attachment_confirm_no_patient_data(attachment, actor=practice_user)

    download = admin_download(agent, attachment)
    content = b"".join(download.streaming_content)

    assert pixels(content) == pixels(original)
    assert b"unredacted" in original and b"unredacted" not in content


def _practice_image(user, incident, name, data, committed):
    from incidents.attachments import check_upload

    committed(
        services.incident_add_note, incident, actor=user, text="", uploads=[check_upload(upload(name, data))]
    )
    return Attachment.objects.get(incident=incident, original_name=name)


@pytest.mark.subprocess
def test_a_reader_that_fails_unexpectedly_holds_the_image_instead_of_leaving_it_being_checked(
    settings, tmp_path, note_with, incident
):
    not_a_program = tmp_path / "tesseract"
    not_a_program.write_text("not a program")  # not executable: starting it fails with PermissionError
    settings.SCREENSHOT_TESSERACT = str(not_a_program)

    note_with(incident, "screen.png", clean_png())

    attachment = Attachment.objects.get(incident=incident)
    assert (attachment.check_status, attachment.check_reasons) == (
        Attachment.Check.NOT_CHECKED,
        ["not checked: the reader failed"],
    )


def test_a_colleague_a_moment_late_is_told_the_file_was_replaced(practice_client, colleague, held, committed):
    redacted = io.BytesIO()
    Image.new("RGB", (40, 20), "black").save(redacted, format="PNG")
    committed(practice_client.post, redact_url(held), {"files": upload("copy.png", redacted.getvalue())})

    late = login(Client(), colleague)
    for url in (redact_url(held), confirm_url(held)):
        response = late.get(url, follow=True)
        assert response.redirect_chain == [(held.incident.get_absolute_url(), 302)]
        assert "screen.png is not held: replaced by a redacted copy." in page_text(response)


def test_a_redacted_copy_of_the_same_size_fits_where_the_held_file_did(
    settings, practice_client, held, committed
):
    settings.INCIDENT_STORAGE_QUOTA_BYTES = held.size * 3 // 2  # room for one file of its size, not two
    same_size = held.file.open("rb").read()
    held.file.close()

    response = committed(practice_client.post, redact_url(held), {"files": upload("copy.png", same_size)})

    assert response.status_code == 302
    assert Attachment.objects.filter(original_name="copy.png").exists()


def test_an_image_too_large_to_open_in_a_browser_is_not_sent_to_the_editor(settings, practice_client, held):
    settings.SCREENSHOT_MAX_PIXELS = 100  # the held screenshot has more

    page = practice_client.get(redact_url(held)).content.decode()

    assert "data-redact-src" not in page
    assert f'href="{held.get_absolute_url()}" download' in page  # the way without the editor stays


def test_the_email_for_an_image_not_checked_says_so_and_reaches_the_practice_if_the_uploader_has_left(
    practice_user, colleague, incident, committed, mailoutbox
):
    from accounts.models import EmailUpdates

    practice_user.is_active = False
    practice_user.save()
    incident.followers.create(user=colleague)
    colleague.email_updates = EmailUpdates.ALL
    colleague.save()

    _practice_image(practice_user, incident, "screen.png", clean_png(), committed)

    [email] = [m for m in mailoutbox if "could not be checked" in m.subject]
    assert practice_user.email not in email.to
