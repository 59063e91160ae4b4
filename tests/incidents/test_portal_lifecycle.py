"""Practice staff follow an incident on its page: notes and screenshots, progress requests, confirming
or rejecting a resolution, closing an incident that no longer matters; and what anyone else gets."""

import datetime as dt
import re
import struct
import zlib
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import escape

from incidents import services
from incidents.attachments import check_upload
from incidents.models import Attachment, Status, TimelineEvent
from tests.incidents.helpers import BANNER_CANDIDATES, DETAIL_QUERIES
from tests.incidents.lifecycle_helpers import drive_to, make_release, snapshot

DESK_INBOX = settings.SERVICE_DESK_NOTIFY_EMAIL
OPEN_STATES = [s for s in Status if s != Status.CLOSED]
CHANGE_URLS = ["notes", "progress", "confirm", "reject", "close"]


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# A real 1x1 PNG: the signature, a header, one compressed scanline and the end chunk.
PNG = (
    b"\x89PNG\r\n\x1a\n"
    + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0))
    + _chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00\xff"))
    + _chunk(b"IEND", b"")
)
LOG = b"2025-03-03 10:01 Spooler error 0x0002\n2025-03-03 10:02 Retrying\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
NHS_NUMBER = "943 476 5919"  # passes the modulus-11 check


def png(name="screen.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def log(name="spooler.log"):
    return SimpleUploadedFile(name, LOG, content_type="text/plain")


def page_url(incident, action=""):
    return f"/incidents/{incident.reference}/" + (f"{action}/" if action else "")


def text_of(response):
    return response.content.decode()


def stored_files():
    """Files stored for incidents; a refused form's checked files are held apart (see held_files)."""
    root = Path(settings.MEDIA_ROOT)
    files = [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
    return [p for p in files if "held" not in p.relative_to(root).parts[:1]]


def held_files():
    root = Path(settings.MEDIA_ROOT) / "held"
    return [p for p in root.rglob("*") if p.is_file() and p.suffix != ".json"] if root.exists() else []


def status_shown(response):
    return re.search(
        r'<span class="badge status-tag[^"]*"><span class="visually-hidden">Status: </span>([^<]+)</span>',
        text_of(response),
    ).group(1)


@pytest.fixture(params=["practice_user", "colleague"])
def member(request, client):
    """The reporter, then a colleague in the same practice: both may do everything on the page."""
    user = request.getfixturevalue(request.param)
    client.force_login(user)
    return user


@pytest.fixture
def resolved(incident, agent):
    return drive_to(incident, Status.RESOLVED, agent=agent)


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST as the signed-in user and follow the redirect, running what is queued on commit (emails)."""

    def do(url, data=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {}, follow=True, **kwargs)

    return do


def add_note(incident, actor, *uploads, text="See the attached files.", public=True):
    checked = [check_upload(upload) for upload in uploads]
    return services.incident_add_note(incident, actor=actor, text=text, public=public, uploads=checked)


# --- Confirming or rejecting a resolution ---------------------------------------------------------


def test_confirming_a_resolution_closes_the_incident(post, member, practice_user, resolved, mailoutbox):
    response = post(page_url(resolved, "confirm"))

    assert response.redirect_chain == [(page_url(resolved), 302)]
    assert f"Thank you. {resolved.reference} is closed." in text_of(response)
    assert status_shown(response) == "Closed"
    assert "Confirm: it is resolved" not in text_of(response)
    resolved.refresh_from_db()
    assert resolved.status == Status.CLOSED
    assert resolved.closed_at is not None
    event = resolved.events.last()
    assert (event.kind, event.actor, event.public) == (TimelineEvent.Kind.CONFIRMED, member, True)
    assert f"Confirmed in the portal by {member.full_name}." in text_of(response)
    assert [m.to for m in mailoutbox] == [[practice_user.email]]
    assert mailoutbox[0].subject == f"[{resolved.reference}] Now closed"


def test_rejecting_a_resolution_with_a_reason_reopens_it_and_tells_the_desk(
    post, member, resolved, mailoutbox
):
    response = post(page_url(resolved, "reject"), {"reject-reason": "Prescriptions still will not print."})

    assert response.redirect_chain == [(page_url(resolved), 302)]
    assert f"{resolved.reference} is reopened" in text_of(response)
    assert status_shown(response) == "Investigating"
    resolved.refresh_from_db()
    assert resolved.status == Status.INVESTIGATING
    assert resolved.reopened_count == 1
    assert resolved.resolved_at is None
    event = resolved.events.last()
    assert (event.kind, event.actor) == (TimelineEvent.Kind.REJECTED, member)
    assert event.text == "Prescriptions still will not print."
    assert [m.to for m in mailoutbox] == [[DESK_INBOX]]
    assert "rejected the resolution" in mailoutbox[0].subject
    assert "Prescriptions still will not print." in mailoutbox[0].body


def test_rejecting_goes_to_the_assigned_agent_rather_than_the_desk_inbox(
    post, member, resolved, agent, mailoutbox
):
    services.incident_assign(resolved, actor=agent, assignee=agent)

    post(page_url(resolved, "reject"), {"reject-reason": "Still broken."})

    assert [m.to for m in mailoutbox] == [[agent.email]]


def test_a_second_rejection_counts_as_a_second_reopening(post, member, resolved, agent):
    post(page_url(resolved, "reject"), {"reject-reason": "Still broken."})
    services.incident_resolve(resolved, actor=agent, resolution="Replaced the print spooler.")

    response = post(page_url(resolved, "reject"), {"reject-reason": "Broken again."})

    assert status_shown(response) == "Investigating"
    resolved.refresh_from_db()
    assert resolved.reopened_count == 2


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejecting_without_a_reason_is_refused_and_changes_nothing(
    post, member, resolved, mailoutbox, reason
):
    before = snapshot(resolved)

    response = post(page_url(resolved, "reject"), {"reject-reason": reason})

    assert response.status_code == 400
    assert response.redirect_chain == []
    assert "There is a problem" in text_of(response)
    assert "Why did it not work?: This field is required." in text_of(response)
    assert status_shown(response) == "Resolved"
    assert snapshot(resolved) == before
    assert mailoutbox == []


def test_a_reason_holding_an_nhs_number_is_refused(post, member, resolved, mailoutbox):
    before = snapshot(resolved)

    response = post(page_url(resolved, "reject"), {"reject-reason": f"Patient {NHS_NUMBER} still fails"})

    assert response.status_code == 400
    assert f"The reason contains “{NHS_NUMBER}”, which looks like an NHS number." in text_of(response)
    assert snapshot(resolved) == before
    assert mailoutbox == []


@pytest.mark.parametrize("status", [Status.LOGGED, Status.INVESTIGATING, Status.FIX_SCHEDULED, Status.CLOSED])
def test_confirming_an_incident_that_is_not_resolved_is_refused_with_a_clear_message(
    post, member, incident, agent, mailoutbox, status
):
    incident = drive_to(incident, status, agent=agent)
    before = snapshot(incident)

    response = post(page_url(incident, "confirm"))

    assert response.status_code == 409
    label = incident.get_status_display().lower()
    assert f"Confirm the resolution is not possible while {incident.reference} is {label}." in text_of(
        response
    )
    assert snapshot(incident) == before
    assert mailoutbox == []


def test_rejecting_an_incident_that_is_not_resolved_is_refused(post, member, incident, agent, mailoutbox):
    incident = drive_to(incident, Status.INVESTIGATING, agent=agent)
    before = snapshot(incident)

    response = post(page_url(incident, "reject"), {"reject-reason": "It never worked."})

    assert response.status_code == 409
    assert "Reject the resolution is not possible" in text_of(response)
    assert snapshot(incident) == before
    assert mailoutbox == []


# --- Closing an incident that is no longer relevant ----------------------------------------------


@pytest.mark.parametrize("status", OPEN_STATES)
def test_closing_as_no_longer_relevant_from_any_open_state(post, member, incident, agent, mailoutbox, status):
    incident = drive_to(incident, status, agent=agent)

    response = post(page_url(incident, "close"), {"close-reason": "We replaced the printer."})

    assert response.redirect_chain == [(page_url(incident), 302)]
    assert f"{incident.reference} is closed." in text_of(response)
    assert status_shown(response) == "Closed"
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED
    assert incident.closed_at is not None
    event = incident.events.last()
    assert (event.actor, event.old_value, event.new_value) == (member, status, Status.CLOSED)
    assert "We replaced the printer." in event.text
    assert [m.to for m in mailoutbox] == [[DESK_INBOX]]
    assert "Closed by the practice as no longer relevant" in mailoutbox[0].subject


def test_closing_without_a_reason_is_refused(post, member, incident, mailoutbox):
    before = snapshot(incident)

    response = post(page_url(incident, "close"), {"close-reason": ""})

    assert response.status_code == 400
    assert "Why is it no longer relevant?: This field is required." in text_of(response)
    assert snapshot(incident) == before
    assert mailoutbox == []


def test_closing_a_closed_incident_is_refused(post, member, incident, agent, mailoutbox):
    incident = drive_to(incident, Status.CLOSED, agent=agent)
    before = snapshot(incident)

    response = post(page_url(incident, "close"), {"close-reason": "Still not needed."})

    assert response.status_code == 409
    assert "Close as no longer relevant is not possible" in text_of(response)
    assert snapshot(incident) == before
    assert mailoutbox == []


# --- Asking for progress --------------------------------------------------------------------------


def test_asking_for_progress_tells_the_desk_once_and_a_repeat_says_when(post, member, incident, mailoutbox):
    first_asked = dt.datetime(2025, 6, 3, 9, 15, tzinfo=dt.UTC)  # 10:15 in London (summer time)
    with time_machine.travel(first_asked, tick=False) as traveller:
        first = post(page_url(incident, "progress"))

        assert first.redirect_chain == [(page_url(incident), 302)]
        assert "We have asked the Service Desk for a progress update." in text_of(first)
        assert [m.to for m in mailoutbox] == [[DESK_INBOX]]
        assert mailoutbox[0].subject == f"[{incident.reference}] Progress update requested"
        assert f"{member.full_name} asked for a progress update." in text_of(first)

        traveller.shift(dt.timedelta(hours=3, minutes=59))
        second = post(page_url(incident, "progress"))

        assert second.status_code == 200
        assert "A progress update was already requested at 10:15 on 3 June" in text_of(second)
        assert len(mailoutbox) == 1
        assert incident.events.filter(kind=TimelineEvent.Kind.PROGRESS_REQUESTED).count() == 1

        traveller.shift(dt.timedelta(minutes=1))
        third = post(page_url(incident, "progress"))

        assert "We have asked the Service Desk for a progress update." in text_of(third)
        assert len(mailoutbox) == 2


def test_asking_for_progress_notifies_the_assigned_agent(post, member, incident, agent, mailoutbox):
    services.incident_assign(incident, actor=agent, assignee=agent)

    post(page_url(incident, "progress"))

    assert [m.to for m in mailoutbox] == [[agent.email]]


def test_asking_for_progress_on_a_closed_incident_is_refused(post, member, incident, agent, mailoutbox):
    incident = drive_to(incident, Status.CLOSED, agent=agent)
    before = snapshot(incident)

    response = post(page_url(incident, "progress"))

    assert response.status_code == 409
    assert f"{incident.reference} is closed." in text_of(response)
    assert snapshot(incident) == before
    assert mailoutbox == []


# --- Notes and attachments ------------------------------------------------------------------------


def test_adding_a_note_puts_it_on_the_timeline_and_tells_the_desk(post, member, incident, mailoutbox):
    response = post(page_url(incident, "notes"), {"text": "The printer now shows error 42."})

    assert response.redirect_chain == [(page_url(incident), 302)]
    assert "Your note has been added and the Service Desk told." in text_of(response)
    assert "The printer now shows error 42." in text_of(response)
    note = incident.events.last()
    assert (note.kind, note.actor, note.public) == (TimelineEvent.Kind.NOTE, member, True)
    assert note.text == "The printer now shows error 42."
    assert [m.to for m in mailoutbox] == [[DESK_INBOX]]
    assert mailoutbox[0].subject == f"[{incident.reference}] The practice added a note"
    assert "The printer now shows error 42." in mailoutbox[0].body


def test_a_note_with_two_attachments_lists_both_and_each_downloads(client, post, member, incident):
    response = post(page_url(incident, "notes"), {"text": "Screenshot and log.", "files": [png(), log()]})

    assert response.redirect_chain == [(page_url(incident), 302)]
    note = incident.events.get(kind=TimelineEvent.Kind.NOTE)
    attachments = list(note.attachments.order_by("pk"))
    assert [a.original_name for a in attachments] == ["screen.png", "spooler.log"]
    assert [a.uploaded_by for a in attachments] == [member, member]
    for attachment, content in zip(attachments, [PNG, LOG], strict=True):
        link = f'href="{page_url(incident)}attachments/{attachment.pk}/"'
        assert link in text_of(response)
        download = client.get(f"{page_url(incident)}attachments/{attachment.pk}/")
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == content
    assert len(stored_files()) == 2


def test_a_file_alone_is_a_note_too(post, member, incident):
    response = post(page_url(incident, "notes"), {"text": "", "files": [png()]})

    assert response.redirect_chain == [(page_url(incident), 302)]
    assert incident.events.filter(kind=TimelineEvent.Kind.ATTACHMENT).count() == 1
    assert "screen.png" in text_of(response)


def test_an_empty_note_is_refused(post, member, incident, mailoutbox):
    before = snapshot(incident)

    response = post(page_url(incident, "notes"), {"text": "  "})

    assert response.status_code == 400
    assert "Write a note or attach a file." in text_of(response)
    assert snapshot(incident) == before
    assert mailoutbox == []


def test_a_note_with_an_nhs_number_is_refused_and_nothing_is_saved(post, member, incident, mailoutbox):
    before = snapshot(incident)

    response = post(
        page_url(incident, "notes"), {"text": f"Fails for patient {NHS_NUMBER}.", "files": [png()]}
    )

    assert response.status_code == 400
    assert f"“{NHS_NUMBER}”, which looks like an NHS number" in text_of(response)
    assert snapshot(incident) == before
    assert not Attachment.objects.exists()
    assert stored_files() == []
    assert mailoutbox == []


def _assert_upload_refused(response, incident, before, mailoutbox, message):
    assert response.status_code == 400
    assert "There is a problem" in text_of(response)
    assert escape(message) in text_of(response)
    assert snapshot(incident) == before
    assert not Attachment.objects.exists()
    assert stored_files() == []
    assert mailoutbox == []


def test_an_exe_renamed_png_is_refused_naming_the_file(post, member, incident, mailoutbox):
    before = snapshot(incident)
    disguised = SimpleUploadedFile("holiday.png", EXE, content_type="image/png")

    response = post(page_url(incident, "notes"), {"text": "Here it is.", "files": [png(), disguised]})

    _assert_upload_refused(response, incident, before, mailoutbox, "holiday.png is not a file we accept.")
    assert len(held_files()) == 1  # the good one is kept for the corrected note, not attached


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("drawing.svg", SVG),
        ("drawing.png", b'<?xml version="1.0"?>\n' + SVG),
        ("page.txt", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"),
        # SVGs as editors save them: behind a byte-order mark, or a comment before the root element.
        ("icon.svg", b"\xef\xbb\xbf" + SVG),
        ("logo.svg", b"<!-- Generator: an illustration tool -->\n" + SVG),
    ],
    ids=["svg", "svg-named-png", "html", "svg-with-bom", "svg-after-comment"],
)
def test_svg_and_html_are_refused(post, member, incident, mailoutbox, name, content):
    before = snapshot(incident)
    upload = SimpleUploadedFile(name, content, content_type="text/plain")

    response = post(page_url(incident, "notes"), {"text": "A picture.", "files": [upload]})

    _assert_upload_refused(response, incident, before, mailoutbox, f"{name} is not a file we accept.")


def test_an_oversize_file_is_refused_with_the_limit(post, member, incident, mailoutbox, settings):
    settings.ATTACHMENT_MAX_BYTES = 2048
    before = snapshot(incident)
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * 3000, content_type="image/png")

    response = post(page_url(incident, "notes"), {"text": "Large screenshot.", "files": [big]})

    _assert_upload_refused(
        response, incident, before, mailoutbox, "big.png is 3.0\xa0KB; files can be at most 2.0\xa0KB."
    )


def test_a_text_log_holding_an_nhs_number_is_refused(post, member, incident, mailoutbox):
    before = snapshot(incident)
    upload = SimpleUploadedFile("audit.log", f"Opened record {NHS_NUMBER}\n".encode())

    response = post(page_url(incident, "notes"), {"text": "The log.", "files": [upload]})

    _assert_upload_refused(
        response, incident, before, mailoutbox, f"audit.log contains “{NHS_NUMBER}”, which looks like"
    )


def test_too_many_files_at_once_are_refused(post, member, incident, mailoutbox, settings):
    settings.ATTACHMENT_MAX_PER_NOTE = 2
    before = snapshot(incident)

    response = post(
        page_url(incident, "notes"), {"text": "Three.", "files": [png("a.png"), png("b.png"), png("c.png")]}
    )

    _assert_upload_refused(response, incident, before, mailoutbox, "Attach at most 2 files at a time.")


# --- What the page shows --------------------------------------------------------------------------


def test_internal_desk_notes_are_not_shown_on_the_portal(user_client, incident, agent):
    add_note(incident, agent, text="Internal: the practice's driver is out of date.", public=False)
    add_note(incident, agent, text="We are looking at your print server.", public=True)

    html = text_of(user_client.get(page_url(incident)))

    assert "We are looking at your print server." in html
    assert escape("Internal: the practice's driver is out of date.") not in html
    assert "driver is out of date" not in html


def test_the_resolved_page_shows_the_resolution_and_the_buttons(user_client, resolved):
    html = text_of(user_client.get(page_url(resolved)))

    assert "Resolved: does the solution work?" in html
    assert "Reinstalled the printer driver." in html
    assert "Confirm: it is resolved" in html
    assert "Reject: it is not resolved" in html
    assert "temporary workaround" not in html


def test_a_workaround_resolution_says_it_is_temporary(user_client, incident, agent):
    incident = drive_to(incident, Status.INVESTIGATING, agent=agent)
    services.incident_resolve(
        incident, actor=agent, resolution="Print from the PDF preview.", is_workaround=True
    )

    html = text_of(user_client.get(page_url(incident)))

    assert "Print from the PDF preview." in html
    assert "This is a temporary workaround until a permanent fix is available." in html


def test_a_scheduled_fix_shows_its_release_and_the_workaround(user_client, incident, agent, product):
    incident = drive_to(incident, Status.INVESTIGATING, agent=agent)
    release = make_release(product, version="5.5.0")
    services.incident_schedule_fix(
        incident, actor=agent, release=release, workaround="Use the label printer meanwhile."
    )

    html = text_of(user_client.get(page_url(incident)))

    assert "A fix is scheduled" in html
    assert "The fix is planned for Synergy Clinical 5.5.0 (planned), due 14 March 2031." in html
    assert "Temporary workaround" in html
    assert "Use the label printer meanwhile." in html


def test_a_closed_incident_offers_no_changes_but_notes(user_client, incident, agent):
    incident = drive_to(incident, Status.CLOSED, agent=agent)

    html = text_of(user_client.get(page_url(incident)))

    assert "Ask for a progress update" not in html
    assert "Close this incident" not in html
    assert "Confirm: it is resolved" not in html
    assert "Add note" in html


# --- Downloads --------------------------------------------------------------------------------------


def test_a_download_is_always_an_attachment_and_never_sniffed(user_client, incident, practice_user):
    attachment = add_note(incident, practice_user, png("error screen.png")).attachments.get()

    response = user_client.get(attachment.get_absolute_url())

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="error screen.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"  # set by the view itself
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG


def test_an_internal_notes_attachment_is_not_downloadable_by_the_practice(user_client, incident, agent):
    attachment = add_note(incident, agent, png("server.png"), text="Internal.", public=False)
    attachment = attachment.attachments.get()

    response = user_client.get(attachment.get_absolute_url())

    assert response.status_code == 404
    assert "server.png" not in text_of(user_client.get(page_url(incident)))


def test_a_purged_attachment_is_gone(user_client, incident, practice_user, agent):
    attachment = add_note(incident, practice_user, log("patients.log")).attachments.get()
    services.incident_purge_attachment(attachment, actor=agent, reason="Held patient names.")

    response = user_client.get(attachment.get_absolute_url())

    assert response.status_code == 404
    html = text_of(user_client.get(page_url(incident)))
    assert "patients.log" not in html
    assert "An attachment removed by the Service Desk." in html
    assert stored_files() == []


def test_an_attachment_of_another_incident_is_not_found_under_this_reference(
    user_client, incident, other_incident, outsider
):
    theirs = add_note(other_incident, outsider, png()).attachments.get()

    response = user_client.get(f"{page_url(incident)}attachments/{theirs.pk}/")

    assert response.status_code == 404


# --- Outsiders, GET and CSRF --------------------------------------------------------------------------


@pytest.mark.parametrize("action", CHANGE_URLS)
def test_a_change_url_answers_405_to_get(user_client, resolved, action):
    before = snapshot(resolved)

    response = user_client.get(page_url(resolved, action))

    assert response.status_code == 405
    assert snapshot(resolved) == before


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client


def test_an_outsider_gets_404_for_the_page(outsider_client, resolved):
    assert outsider_client.get(page_url(resolved)).status_code == 404


@pytest.mark.parametrize("action", CHANGE_URLS)
def test_an_outsider_gets_404_for_every_change_and_nothing_changes(
    outsider_client, resolved, mailoutbox, django_capture_on_commit_callbacks, action
):
    before = snapshot(resolved)
    data = {"text": "Mine now", "reject-reason": "No", "close-reason": "No"}

    with django_capture_on_commit_callbacks(execute=True):
        response = outsider_client.post(page_url(resolved, action), data)

    assert response.status_code == 404
    assert snapshot(resolved) == before
    assert mailoutbox == []


def test_an_outsider_gets_404_for_an_attachment(outsider_client, incident, practice_user):
    attachment = add_note(incident, practice_user, png()).attachments.get()

    response = outsider_client.get(attachment.get_absolute_url())

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "data",
    [
        {"confirm": {}},
        {"reject": {"reject-reason": "No"}},
        {"close": {"close-reason": "No"}},
        {"notes": {"text": "Hello"}},
        {"progress": {}},
    ],
    ids=lambda d: next(iter(d)),
)
def test_a_post_without_a_csrf_token_is_refused(practice_user, resolved, mailoutbox, data):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(practice_user)
    ((action, fields),) = data.items()
    before = snapshot(resolved)

    response = browser.post(page_url(resolved, action), fields)

    assert response.status_code == 403
    assert snapshot(resolved) == before
    assert mailoutbox == []


@pytest.mark.parametrize("action", CHANGE_URLS)
def test_a_signed_out_visitor_is_sent_to_sign_in(client, resolved, action):
    before = snapshot(resolved)

    response = client.post(page_url(resolved, action), {"reject-reason": "No", "close-reason": "No"})

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert snapshot(resolved) == before


# --- Query count ------------------------------------------------------------------------------------


@pytest.mark.parametrize("spread", [(1, 0, 0), (2, 2, 1)], ids=["1 attachment", "5 attachments"])
def test_the_page_query_count_does_not_grow_with_attachments(
    user_client, incident, practice_user, agent, django_assert_num_queries, spread
):
    for n, count in enumerate(spread):
        add_note(incident, practice_user, *[png(f"shot-{n}-{i}.png") for i in range(count)], text=f"Note {n}")
    services.incident_verify(incident, actor=agent)

    with django_assert_num_queries(DETAIL_QUERIES + BANNER_CANDIDATES):
        response = user_client.get(page_url(incident))

    assert text_of(response).count('" download>Download shot-') == sum(spread)


def test_a_number_confirmed_as_not_an_nhs_number_lets_the_rejection_through(post, member, resolved):
    url = page_url(resolved, "reject")
    warned = post(url, {"reject-reason": f"Licence {NHS_NUMBER} still refused"})
    token = warned.context["reject_form"]["nhs_numbers_shown"].value()

    response = post(
        url,
        {
            "reject-reason": f"Licence {NHS_NUMBER} still refused",
            "reject-nhs_numbers_shown": token,
            "reject-confirm_not_nhs_number": "on",
        },
    )

    assert response.redirect_chain == [(resolved.get_absolute_url(), 302)]
    resolved.refresh_from_db()
    assert resolved.status == Status.INVESTIGATING
    assert resolved.events.filter(kind="nhs_override").exists()
