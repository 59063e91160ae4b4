"""Files that passed their checks survive a refused log or note form, for this user and session only."""

import re
from datetime import timedelta
from io import StringIO

import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from incidents.held_uploads import sweep_held_uploads
from incidents.models import Attachment, Incident
from tests.sample_files import png

HANDLE = re.compile(r'name="held_files" value="([^"]+)"')
PNG = png()
NHS_NUMBER = "943 476 5919"


def screenshot(name="screen.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def held_handles(response):
    return HANDLE.findall(response.content.decode())


def refused_log(client, incident_data, *files):
    return client.post("/incidents/new/", {**incident_data, "summary": "", "files": list(files)})


def held_paths():
    if not default_storage.exists("held"):
        return []
    return [
        f"held/{folder}/{name}"
        for folder in default_storage.listdir("held")[0]
        for name in default_storage.listdir(f"held/{folder}")[1]
    ]


def test_a_refused_log_form_comes_back_with_its_checked_files_attached(user_client, incident_data):
    bad = SimpleUploadedFile("page.html", b"<html><script>x</script></html>", content_type="text/html")
    response = refused_log(user_client, incident_data, screenshot(), bad)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Files already attached" in page
    assert "screen.png" in page
    assert "page.html is not a file we accept" in page  # the refused one is named, and not kept
    assert len(held_handles(response)) == 1
    assert not Incident.objects.exists()


def test_held_files_become_the_incidents_attachments_on_success(
    user_client, incident_data, django_capture_on_commit_callbacks
):
    handles = held_handles(refused_log(user_client, incident_data, screenshot()))

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post("/incidents/new/", {**incident_data, "held_files": handles})

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.incident == Incident.objects.get()
    assert attachment.original_name == "screen.png"
    with attachment.file.open("rb") as stored:
        assert stored.read() == PNG
    assert held_paths() == []  # no longer held once it is an attachment


def test_a_held_file_can_be_removed_before_sending(user_client, incident_data):
    handles = held_handles(refused_log(user_client, incident_data, screenshot()))

    response = user_client.post(
        "/incidents/new/", {**incident_data, "held_files": handles, "held_remove": handles}
    )

    assert response.status_code == 302
    assert not Attachment.objects.exists()
    assert held_paths() == []


def test_held_and_new_files_together_respect_the_limit(user_client, incident_data, settings):
    settings.ATTACHMENT_MAX_PER_NOTE = 2
    handles = held_handles(refused_log(user_client, incident_data, screenshot("a.png"), screenshot("b.png")))

    response = user_client.post(
        "/incidents/new/", {**incident_data, "held_files": handles, "files": [screenshot("c.png")]}
    )

    assert response.status_code == 400
    assert "Attach at most 2 files at a time." in response.content.decode()
    assert not Incident.objects.exists()


def test_another_users_handle_finds_nothing(user_client, incident_data, colleague):
    handles = held_handles(refused_log(user_client, incident_data, screenshot()))
    other = Client()
    other.force_login(colleague)  # the same practice, even

    response = other.post("/incidents/new/", {**incident_data, "held_files": handles})

    assert response.status_code == 400
    assert "1 file attached earlier is no longer kept" in response.content.decode()
    assert not Incident.objects.exists()
    assert len(held_paths()) == 2  # the owner's file and its record are untouched


def test_a_handle_from_an_earlier_session_finds_nothing(client, practice_user, incident_data):
    client.force_login(practice_user)
    handles = held_handles(refused_log(client, incident_data, screenshot()))
    client.logout()
    client.force_login(practice_user)

    response = client.post("/incidents/new/", {**incident_data, "held_files": handles})

    assert response.status_code == 400
    assert not Incident.objects.exists()


def test_a_tampered_handle_is_refused_with_a_message(user_client, incident_data):
    response = user_client.post("/incidents/new/", {**incident_data, "held_files": ["not-a-handle"]})

    assert response.status_code == 400
    assert "no longer kept" in response.content.decode()


def test_a_handle_expires_after_the_hours_we_keep_files(user_client, incident_data, settings):
    settings.HELD_UPLOAD_HOURS = 4
    settings.SESSION_IDLE_MINUTES = 24 * 60  # still signed in: only the handle has expired
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        handles = held_handles(refused_log(user_client, incident_data, screenshot()))
        traveller.shift(timedelta(hours=4, minutes=1))
        response = user_client.post("/incidents/new/", {**incident_data, "held_files": handles})

    assert response.status_code == 400
    assert not Attachment.objects.exists()


def test_the_sweep_deletes_only_old_held_files_and_is_safe_to_repeat(user_client, incident_data):
    refused_log(user_client, incident_data, screenshot())
    assert sweep_held_uploads() == 0  # too young
    later = timezone.now() + timedelta(hours=5)

    assert sweep_held_uploads(now=later) == 1
    assert sweep_held_uploads(now=later) == 0
    assert held_paths() == []


def test_the_sweep_command(user_client, incident_data):
    refused_log(user_client, incident_data, screenshot())
    out = StringIO()

    call_command("sweep_held_uploads", "--hours", "0", stdout=out)

    assert "1 held file(s) removed." in out.getvalue()
    assert held_paths() == []


def test_a_refused_note_keeps_its_files_and_sends_them_with_the_corrected_note(user_client, incident):
    url = f"/incidents/{incident.reference}/notes/"
    refused = user_client.post(url, {"text": f"Patient {NHS_NUMBER}", "files": [screenshot()]})
    assert refused.status_code == 400
    assert "Files already attached" in refused.content.decode()

    response = user_client.post(url, {"text": "Screenshot attached", "held_files": held_handles(refused)})

    assert response.status_code == 302
    assert incident.attachments.get().original_name == "screen.png"
    assert held_paths() == []


def test_an_outsiders_note_with_a_stolen_handle_attaches_nothing(
    user_client, incident, colleague, practice_user
):
    url = f"/incidents/{incident.reference}/notes/"
    handles = held_handles(user_client.post(url, {"text": NHS_NUMBER, "files": [screenshot()]}))
    other = Client()
    other.force_login(colleague)

    response = other.post(url, {"text": "", "held_files": handles})

    assert response.status_code == 400
    assert not incident.attachments.exists()


def test_celery_beat_sweeps_held_files_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-held-uploads"]

    assert entry == {"task": "incidents.tasks.sweep_held_uploads_task", "schedule": 3600.0}
