"""The hourly screenshot housekeeping (incidents.tasks.screenshots_housekeeping_task, issue 18): a screenshot
held longer than SCREENSHOT_HELD_DAYS without being redacted or confirmed is deleted and the timeline says
so; one whose check was lost (a worker stopped mid-task) is checked again after an hour.

Times are the real clock's, moved on with time-machine, so the tests hold on any date."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from incidents import services
from incidents.attachments import check_upload
from incidents.models import Attachment, TimelineEvent
from incidents.screenshot_check import Finding
from incidents.tasks import screenshots_housekeeping_task
from tests.incidents.test_screenshot_check import needs_tesseract, screen_of
from tests.sample_files import png

MASKED = "NHS number 999 *** ****"


def screenshot_note(incident, user, name, data=None):
    """A practice's note with one image, stored "being checked"; its check is queued on commit, which
    these tests (in a transaction that never commits) do not reach, as when a worker lost the task."""
    upload = check_upload(SimpleUploadedFile(name, data or png(), content_type="image/png"))
    event = services.incident_add_note(incident, actor=user, text="What the screen showed.", uploads=[upload])
    attachment = event.attachments.get()
    assert attachment.check_status == Attachment.Check.CHECKING
    return attachment


def held(incident, user, name):
    """A screenshot the check held for an NHS number, now."""
    finding = Finding(held=True, reasons=[MASKED], boxes=[(40, 74, 120, 18)])
    return services.attachment_record_check(screenshot_note(incident, user, name), finding)


def housekeeping_at(moment):
    with time_machine.travel(moment, tick=False):
        return screenshots_housekeeping_task.delay().get()


@pytest.fixture
def start():
    return timezone.now().replace(microsecond=0)


def test_a_screenshot_held_longer_than_the_setting_is_deleted_and_the_timeline_says_so(
    start, incident, practice_user
):
    period = timedelta(days=settings.SCREENSHOT_HELD_DAYS)
    with time_machine.travel(start, tick=False):
        old = held(incident, practice_user, "old.png")
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        young = held(incident, practice_user, "young.png")
        confirmed = held(incident, practice_user, "confirmed.png")
        services.attachment_confirm_no_patient_data(confirmed, actor=practice_user)
    stored = {a.pk: a.file.name for a in (old, young, confirmed)}

    deleted = housekeeping_at(start + period + timedelta(seconds=30))

    assert deleted == 1
    old.refresh_from_db()
    assert (old.check_status, old.original_name) == (Attachment.Check.EXPIRED, "old.png")
    assert old.purged_at is not None and not old.file
    assert not default_storage.exists(stored[old.pk])
    entry = incident.events.filter(kind=TimelineEvent.Kind.PURGED).get()
    assert entry.public and entry.actor is None
    assert entry.text == (
        f"The screenshot “old.png” was deleted: it was held for {settings.SCREENSHOT_HELD_DAYS} days "
        "without being redacted or confirmed."
    )
    for kept, status in ((young, Attachment.Check.HELD), (confirmed, Attachment.Check.CONFIRMED)):
        kept.refresh_from_db()
        assert (kept.check_status, kept.purged_at) == (status, None)
        assert default_storage.exists(stored[kept.pk])
    assert housekeeping_at(start + period + timedelta(seconds=31)) == 0  # nothing twice


def test_a_held_screenshot_is_deleted_on_the_first_sweep_after_its_time_and_kept_till_then(
    start, incident, practice_user, settings
):
    settings.SCREENSHOT_HELD_DAYS = 3
    with time_machine.travel(start, tick=False):
        attachment = held(incident, practice_user, "banner.png")

    with time_machine.travel(start + timedelta(days=3) - timedelta(minutes=1), tick=False):
        assert services.delete_long_held_screenshots() == 0
    attachment.refresh_from_db()
    assert attachment.awaiting_practice
    with time_machine.travel(start + timedelta(days=3, minutes=1), tick=False):
        assert services.delete_long_held_screenshots() == 1
    attachment.refresh_from_db()
    assert attachment.check_status == Attachment.Check.EXPIRED
    assert "held for 3 days" in incident.events.get(kind=TimelineEvent.Kind.PURGED).text


def test_an_image_that_could_not_be_checked_is_deleted_after_the_same_time(
    start, incident, practice_user, django_capture_on_commit_callbacks
):
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        # The check runs (eagerly) with the reader off in this test, as without Tesseract: not checked.
        attachment = services.incident_add_note(
            incident,
            actor=practice_user,
            text="The error.",
            uploads=[check_upload(SimpleUploadedFile("error.png", png(), content_type="image/png"))],
        ).attachments.get()
    attachment.refresh_from_db()
    assert attachment.check_status == Attachment.Check.NOT_CHECKED

    assert housekeeping_at(start + timedelta(days=settings.SCREENSHOT_HELD_DAYS, minutes=1)) == 1

    attachment.refresh_from_db()
    assert attachment.check_status == Attachment.Check.EXPIRED and not attachment.file


@pytest.mark.subprocess
@needs_tesseract
def test_an_image_still_being_checked_after_an_hour_is_checked_again(start, incident, practice_user):
    clean, _ = screen_of(["Call the practice on 01632 960123", "Error 0x80070005: access is denied"])
    with time_machine.travel(start, tick=False):
        lost = screenshot_note(incident, practice_user, "lost.png", clean)
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        recent = screenshot_note(incident, practice_user, "recent.png", clean)

    housekeeping_at(start + timedelta(minutes=61))

    lost.refresh_from_db()
    recent.refresh_from_db()
    assert lost.check_status == Attachment.Check.PASSED and lost.openable_by_desk
    assert recent.check_status == Attachment.Check.CHECKING  # 59 minutes: its own task may yet run


def test_without_tesseract_an_image_checked_again_is_held_as_not_checked_and_the_practice_told(
    start, incident, practice_user, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(start, tick=False):
        lost = screenshot_note(incident, practice_user, "lost.png")

    with django_capture_on_commit_callbacks(execute=True):
        housekeeping_at(start + timedelta(hours=2))

    lost.refresh_from_db()
    assert lost.check_status == Attachment.Check.NOT_CHECKED
    entry = incident.events.get(kind=TimelineEvent.Kind.FILE_HELD)
    assert entry.public and "“lost.png” is held" in entry.text and "could not be checked" in entry.text
    assert [m.to for m in mailoutbox if "held" in m.subject] == [[practice_user.email]]


def test_an_image_whose_check_never_finished_in_a_day_is_held_as_not_checked_without_reading_it_again(
    start, incident, practice_user, settings
):
    settings.SCREENSHOT_TESSERACT = "/usr/bin/tesseract"  # were it read again, this test would start it
    with time_machine.travel(start, tick=False):
        lost = screenshot_note(incident, practice_user, "lost.png")

    housekeeping_at(start + timedelta(days=1, minutes=1))

    lost.refresh_from_db()
    assert (lost.check_status, lost.check_reasons) == (
        Attachment.Check.NOT_CHECKED,
        ["not checked: the check did not finish"],
    )
