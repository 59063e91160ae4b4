"""Purging a note or a file that carried patient data (issue 3, item 9): the content and the file go,
a record of who purged it and why stays."""

import os
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from incidents.attachments import check_uploads
from incidents.models import Attachment, TimelineEvent
from incidents.services import (
    InvalidTransition,
    incident_add_note,
    incident_purge_attachment,
    incident_purge_event,
)

from .test_attachment_checks import LOG, PNG

SECRET = "Jane Smithson, born 2 March 1950, cannot print her repeat prescription"
SECRET_FILE = "Jane Smithson letter.png"
REASON = "Named a patient."


@pytest.fixture
def note(incident, practice_user):
    files = [
        SimpleUploadedFile(SECRET_FILE, PNG, content_type="image/png"),
        SimpleUploadedFile("spooler.log", LOG, content_type="text/plain"),
    ]
    return incident_add_note(incident, actor=practice_user, text=SECRET, uploads=check_uploads(files))


def stored_paths(event):
    return {a.pk: Path(a.file.path) for a in event.attachments.all()}


def secret_anywhere():
    """Whether the patient's details survive anywhere on any timeline or attachment record."""
    in_events = TimelineEvent.objects.filter(
        Q(text__icontains="Smithson")
        | Q(old_value__icontains="Smithson")
        | Q(new_value__icontains="Smithson")
    ).exists()
    return in_events or Attachment.objects.filter(original_name__icontains="Smithson").exists()


def purges(incident):
    return incident.events.filter(kind=TimelineEvent.Kind.PURGED)


# --- A whole note ---------------------------------------------------------------------------------


def test_purging_a_note_deletes_its_text_and_files_and_records_who_and_why(incident, note, agent):
    paths = stored_paths(note)
    assert secret_anywhere() and all(path.exists() for path in paths.values())

    incident_purge_event(note, actor=agent, reason=REASON)

    note.refresh_from_db()
    assert note.text == ""
    assert note.purged_at is not None
    assert not any(path.exists() for path in paths.values())
    for attachment in note.attachments.all():
        assert attachment.purged_at is not None
        assert not attachment.file
        assert attachment.original_name == "(purged)"
    assert not secret_anywhere()
    (record,) = purges(incident)
    assert record.actor == agent
    assert REASON in record.text
    assert not record.public


def test_practice_staff_cannot_purge_a_note(incident, note, practice_user):
    paths = stored_paths(note)

    with pytest.raises(InvalidTransition, match="Only the Service Desk can purge"):
        incident_purge_event(note, actor=practice_user, reason=REASON)

    note.refresh_from_db()
    assert note.text == SECRET
    assert all(path.exists() for path in paths.values())
    assert not purges(incident).exists()


def test_a_purge_needs_a_reason(incident, note, agent):
    with pytest.raises(InvalidTransition, match="reason for the purge"):
        incident_purge_event(note, actor=agent, reason="  ")

    note.refresh_from_db()
    assert note.text == SECRET
    assert not purges(incident).exists()


def test_purging_a_note_twice_is_harmless(incident, note, agent, team_leader):
    incident_purge_event(note, actor=agent, reason=REASON)

    incident_purge_event(note, actor=team_leader, reason="Again, to be sure.")

    (record,) = purges(incident)
    assert record.actor == agent
    assert not secret_anywhere()


def test_purging_a_note_leaves_the_rest_of_the_timeline(incident, note, agent, practice_user):
    other = incident_add_note(incident, actor=practice_user, text="Restarting did not help.")

    incident_purge_event(note, actor=agent, reason=REASON)

    other.refresh_from_db()
    assert other.text == "Restarting did not help."
    assert other.purged_at is None


# --- One file -------------------------------------------------------------------------------------


def test_purging_one_attachment_deletes_only_that_file_and_records_who_and_why(incident, note, agent):
    secret = note.attachments.get(original_name=SECRET_FILE)
    log = note.attachments.get(original_name="spooler.log")
    secret_path, log_path = Path(secret.file.path), Path(log.file.path)

    incident_purge_attachment(secret, actor=agent, reason=REASON)

    secret.refresh_from_db()
    assert not secret_path.exists()
    assert (secret.original_name, bool(secret.file)) == ("(purged)", False)
    assert secret.purged_at is not None
    assert log_path.read_bytes() == LOG
    note.refresh_from_db()
    assert note.text == SECRET  # only the file carried the data
    assert not Attachment.objects.filter(original_name__icontains="Smithson").exists()
    (record,) = purges(incident)
    assert (record.actor, record.public) == (agent, False)
    assert REASON in record.text


def test_practice_staff_cannot_purge_an_attachment(incident, note, practice_user):
    secret = note.attachments.get(original_name=SECRET_FILE)
    path = Path(secret.file.path)

    with pytest.raises(InvalidTransition, match="Only the Service Desk can purge"):
        incident_purge_attachment(secret, actor=practice_user, reason=REASON)

    secret.refresh_from_db()
    assert path.exists()
    assert secret.purged_at is None
    assert not purges(incident).exists()


def test_purging_an_attachment_twice_is_harmless(incident, note, agent):
    secret = note.attachments.get(original_name=SECRET_FILE)
    incident_purge_attachment(secret, actor=agent, reason=REASON)

    incident_purge_attachment(secret, actor=agent, reason=REASON)

    assert purges(incident).count() == 1


def test_an_attachment_already_purged_with_its_note_is_left_alone(incident, note, agent):
    secret = note.attachments.get(original_name=SECRET_FILE)
    incident_purge_event(note, actor=agent, reason=REASON)

    incident_purge_attachment(secret, actor=agent, reason=REASON)

    assert purges(incident).count() == 1


def test_files_left_by_a_failed_submission_are_removed(note):
    kept = note.attachments.first()
    orphan = default_storage.save(f"attachments/{note.incident_id}/leftover", ContentFile(b"rolled back"))
    fresh = default_storage.save(f"attachments/{note.incident_id}/uploading", ContentFile(b"being saved"))
    # Both times are set from the clock the sweep reads (the filesystem's is the real one, which a test
    # that moves the clock does not move).
    two_hours_ago = (timezone.now() - timedelta(hours=2)).timestamp()
    os.utime(default_storage.path(orphan), (two_hours_ago, two_hours_ago))
    just_now = timezone.now().timestamp()
    os.utime(default_storage.path(fresh), (just_now, just_now))

    call_command("remove_orphan_files", stdout=StringIO())

    assert not default_storage.exists(orphan)
    assert default_storage.exists(fresh)
    assert default_storage.exists(kept.file.name)
