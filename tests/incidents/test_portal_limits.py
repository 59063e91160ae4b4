"""What one practice account can make the portal do (issue 13, item 4): notes, files and other changes are
rate-limited per person (429, with what was typed kept), files have storage quotas per incident and per
practice (413), and an incident's page shows its timeline a page at a time, however long it grows."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from incidents.models import Attachment, Incident, ReferenceCounter, TimelineEvent
from incidents.services import incident_add_note, incident_purge_attachment
from tests.conftest import login
from tests.factories import IncidentFactory, incident_form_data
from tests.incidents.test_attachment_checks import PNG


@pytest.fixture(autouse=True)
def _clock_stands_still():
    """Rate limits count in windows of time: the clock stands still (at today's date) while a test runs, so
    that no window ends half-way through one."""
    with time_machine.travel(timezone.now(), tick=False):
        yield


def note_url(incident):
    return f"/incidents/{incident.reference}/notes/"


def png(name="shot.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def notes_on(incident):
    return TimelineEvent.objects.filter(incident=incident, kind=TimelineEvent.Kind.NOTE).count()


# --- Rate limits ------------------------------------------------------------------------------------


def test_a_note_past_the_limit_is_refused_and_what_was_typed_is_kept(user_client, incident, settings):
    settings.NOTE_RATE_LIMIT = "3/h"
    for n in range(3):
        assert user_client.post(note_url(incident), {"text": f"Still broken ({n})"}).status_code == 302

    refused = user_client.post(note_url(incident), {"text": "Fourth note, typed with care"})

    assert refused.status_code == 429
    page = refused.content.decode()
    assert "You have sent as many notes as we take from one person in a short time (3)" in page
    assert "Please try again in" in page
    assert "\nFourth note, typed with care</textarea>" in page
    assert notes_on(incident) == 3


def test_the_limit_is_per_person_not_per_practice(client, incident, practice_user, colleague, settings):
    settings.NOTE_RATE_LIMIT = "1/h"
    login(client, practice_user)
    client.post(note_url(incident), {"text": "First"})
    assert client.post(note_url(incident), {"text": "Second"}).status_code == 429

    login(client, colleague)

    assert client.post(note_url(incident), {"text": "From a colleague"}).status_code == 302
    assert notes_on(incident) == 2


def test_each_file_counts_against_the_upload_limit(user_client, incident, settings):
    settings.UPLOAD_RATE_LIMIT = "2/h"

    refused = user_client.post(note_url(incident), {"text": "Three shots", "files": [png(), png(), png()]})

    assert refused.status_code == 429
    assert "as many files as we take from one person" in refused.content.decode()
    assert not Attachment.objects.filter(incident=incident).exists()


def test_other_changes_past_their_limit_are_refused_on_the_incidents_page(user_client, incident, settings):
    settings.PORTAL_ACTION_RATE_LIMIT = "2/h"
    url = f"/incidents/{incident.reference}/escalate/"
    user_client.post(f"/incidents/{incident.reference}/progress/")
    user_client.post(url, {"escalate-reason": "Urgent, clinics tomorrow"})

    refused = user_client.post(url, {"escalate-reason": "Asking once more, kept"})

    assert refused.status_code == 429
    page = refused.content.decode()
    assert "You have sent as many changes as we take" in page
    assert "\nAsking once more, kept</textarea>" in page
    assert TimelineEvent.objects.filter(incident=incident, kind=TimelineEvent.Kind.ESCALATED).count() == 1


def test_logging_past_the_limit_keeps_the_form_as_typed(user_client, practice_user, product, settings):
    settings.PORTAL_ACTION_RATE_LIMIT = "1/h"
    data = incident_form_data(practice_user, product)
    assert user_client.post("/incidents/new/", data).status_code == 302

    refused = user_client.post("/incidents/new/", {**data, "summary": "A second problem, kept"})

    assert refused.status_code == 429
    assert 'value="A second problem, kept"' in refused.content.decode()
    assert Incident.objects.count() == 1


# --- Storage quotas ---------------------------------------------------------------------------------


def test_files_past_the_incidents_quota_are_refused_and_the_note_kept(user_client, incident, settings):
    settings.INCIDENT_STORAGE_QUOTA_BYTES = 2 * len(PNG)
    assert user_client.post(note_url(incident), {"text": "Two", "files": [png(), png()]}).status_code == 302

    refused = user_client.post(note_url(incident), {"text": "One more screenshot", "files": [png()]})

    assert refused.status_code == 413
    page = refused.content.decode()
    assert "the most we keep for one incident" in page
    assert "\nOne more screenshot</textarea>" in page
    assert Attachment.objects.filter(incident=incident).count() == 2
    assert notes_on(incident) == 1


def test_the_practices_quota_counts_every_incident_of_the_practice(
    user_client, incident, practice_user, settings
):
    settings.PRACTICE_STORAGE_QUOTA_BYTES = 2 * len(PNG)
    second = IncidentFactory(reporter=practice_user, product=incident.product)
    user_client.post(note_url(incident), {"text": "Two", "files": [png(), png()]})

    refused = user_client.post(note_url(second), {"text": "On another incident", "files": [png()]})

    assert refused.status_code == 413
    assert "the most we keep for one practice" in refused.content.decode()
    assert not Attachment.objects.filter(incident=second).exists()


def test_another_practice_is_not_held_to_this_practices_quota(
    user_client, incident, other_incident, outsider, settings
):
    settings.PRACTICE_STORAGE_QUOTA_BYTES = 2 * len(PNG)
    user_client.post(note_url(incident), {"text": "Two", "files": [png(), png()]})
    login(user_client, outsider)

    assert user_client.post(note_url(other_incident), {"text": "Ours", "files": [png()]}).status_code == 302


def test_purged_files_no_longer_count(user_client, incident, agent, settings):
    settings.INCIDENT_STORAGE_QUOTA_BYTES = len(PNG)
    user_client.post(note_url(incident), {"text": "One", "files": [png()]})
    incident_purge_attachment(Attachment.objects.get(incident=incident), actor=agent, reason="Patient banner")

    assert user_client.post(note_url(incident), {"text": "Again", "files": [png()]}).status_code == 302


def test_logging_an_incident_past_the_practices_quota_saves_nothing(
    user_client, incident, practice_user, product, settings
):
    settings.PRACTICE_STORAGE_QUOTA_BYTES = len(PNG)
    user_client.post(note_url(incident), {"text": "One", "files": [png()]})
    counter = ReferenceCounter.objects.get().value

    refused = user_client.post(
        "/incidents/new/", {**incident_form_data(practice_user, product), "files": [png()]}
    )

    assert refused.status_code == 413
    assert "the most we keep for one practice" in refused.content.decode()
    assert Incident.objects.count() == 1
    assert ReferenceCounter.objects.get().value == counter  # no reference used up


# --- The timeline, a page at a time -----------------------------------------------------------------


def _notes(incident, author, count, size=20):
    for n in range(count):
        incident_add_note(incident, actor=author, text=f"Note {n:04d} " + "x" * size)


def _shown_notes(response):
    import re

    return re.findall(r"Note (\d{4}) ", response.content.decode())


def test_the_incident_page_shows_the_latest_fifty_entries_and_pages_back(
    user_client, incident, practice_user, settings
):
    settings.NOTE_RATE_LIMIT = "1000/h"
    _notes(incident, practice_user, 120)
    url = f"/incidents/{incident.reference}/"

    latest, earlier, earliest = (user_client.get(url, {"timeline": n} if n > 1 else {}) for n in (1, 2, 3))

    # Newest first on each page.
    assert _shown_notes(latest) == [f"{n:04d}" for n in range(119, 69, -1)]
    assert _shown_notes(earlier) == [f"{n:04d}" for n in range(69, 19, -1)]
    assert _shown_notes(earliest) == [f"{n:04d}" for n in range(19, -1, -1)]
    assert "?timeline=2#timeline" in latest.content.decode()
    assert "Show earlier updates" not in earliest.content.decode()
    assert "Show the latest updates" in earlier.content.decode()


def test_more_long_notes_than_a_page_holds_do_not_make_the_page_grow(
    user_client, incident, practice_user, agent
):
    _notes(incident, practice_user, 60, size=10_000)
    small = len(user_client.get(f"/incidents/{incident.reference}/").content)
    login(user_client, agent)
    admin_small = len(user_client.get(f"/admin/incidents/incident/{incident.pk}/change/").content)

    _notes(incident, practice_user, 100, size=10_000)
    login(user_client, practice_user)
    large = len(user_client.get(f"/incidents/{incident.reference}/").content)
    login(user_client, agent)
    admin_large = len(user_client.get(f"/admin/incidents/incident/{incident.pk}/change/").content)

    assert large < small * 1.05
    assert admin_large < admin_small * 1.05


def test_admin_shows_the_latest_fifty_entries_and_links_to_earlier_ones(
    agent_client, incident, practice_user
):
    _notes(incident, practice_user, 60)
    url = f"/admin/incidents/incident/{incident.pk}/change/"

    latest = agent_client.get(url)
    earlier = agent_client.get(url, {"timeline": "2"})

    # Newest first, as the portal (issue 17).
    assert _shown_notes(latest) == [f"{n:04d}" for n in range(59, 9, -1)]
    assert "?timeline=2#timeline" in latest.content.decode()
    assert _shown_notes(earlier) == [f"{n:04d}" for n in range(9, -1, -1)]  # with the "logged" entry
    assert "Show the latest entries" in earlier.content.decode()


# --- The desk hears of a burst of practice notes twice, not once a note -------------------------------


def _desk_emails(mailoutbox, incident):
    return [m for m in mailoutbox if incident.reference in m.subject]


def test_a_burst_of_notes_reaches_the_desk_as_one_email_then_one_digest(
    user_client, incident, mailoutbox, settings, django_capture_on_commit_callbacks
):
    from incidents.services import send_note_digests

    settings.NOTE_RATE_LIMIT = "1000/h"
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(30):
            user_client.post(note_url(incident), {"text": f"Burst note {n}"})
    assert [m.subject for m in _desk_emails(mailoutbox, incident)] == [
        f"[{incident.reference}] The practice added a note"
    ]

    with django_capture_on_commit_callbacks(execute=True):
        assert (
            send_note_digests(timezone.now() + timedelta(minutes=settings.DESK_NOTE_DIGEST_MINUTES - 1)) == 0
        )
        assert send_note_digests(timezone.now() + timedelta(minutes=settings.DESK_NOTE_DIGEST_MINUTES)) == 1
        assert (
            send_note_digests(timezone.now() + timedelta(minutes=settings.DESK_NOTE_DIGEST_MINUTES + 1)) == 0
        )

    emails = _desk_emails(mailoutbox, incident)
    assert len(emails) == 2
    digest = emails[1]
    assert digest.subject == f"[{incident.reference}] The practice added 29 notes"
    assert "Burst note 1\n" in digest.body and "Burst note 20\n" in digest.body
    assert "Burst note 21\n" not in digest.body  # quoted up to 20; the rest are on the page
    assert "The first 20 of the 29 are quoted here" in digest.body
    assert digest.to == [settings.SERVICE_DESK_NOTIFY_EMAIL]


def test_a_note_after_a_quiet_spell_is_emailed_at_once_again(
    user_client, incident, mailoutbox, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(note_url(incident), {"text": "Morning"})
    later = timezone.now() + timedelta(minutes=settings.DESK_NOTE_DIGEST_MINUTES + 1)

    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        login(user_client, incident.reporter)  # the session went idle meanwhile
        user_client.post(note_url(incident), {"text": "Afternoon"})

    assert len(_desk_emails(mailoutbox, incident)) == 2
    assert "Afternoon" in _desk_emails(mailoutbox, incident)[1].body
