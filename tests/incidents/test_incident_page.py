"""The practice's incident page (issue 16): what needs the practice at the top, the timeline by day,
the details with empty items folded away, screenshots as re-encoded thumbnails, reopening a closed
incident within INCIDENT_REOPEN_DAYS and, after that, a new incident that refers to it."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from incidents import services
from incidents.attachments import check_uploads
from incidents.models import Incident, Status
from tests.factories import IncidentFactory
from tests.incidents.helpers import BANNER_CANDIDATES, DETAIL_QUERIES
from tests.incidents.lifecycle_helpers import drive_to

DAY_ONE = dt.datetime(2030, 5, 13, 9, 15, tzinfo=dt.UTC)
DAY_TWO = dt.datetime(2030, 5, 14, 14, 40, tzinfo=dt.UTC)


def html_of(response):
    return response.content.decode()


def image_bytes(fmt="JPEG", size=(1200, 800), colour=(200, 30, 30), **save):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def attach(incident, user, *files, text="See attached"):
    uploads = check_uploads([SimpleUploadedFile(name, content) for name, content in files])
    return services.incident_add_note(incident, actor=user, text=text, uploads=uploads)


# --- Order: what needs the practice first -------------------------------------------------------------


def test_the_page_reads_status_then_timeline_then_details_then_actions(user_client, incident):
    html = html_of(user_client.get(incident.get_absolute_url()))

    positions = [
        html.index(marker)
        for marker in ('id="status-title"', 'id="timeline"', 'id="details-title"', 'id="note-title"')
    ]
    assert positions == sorted(positions)
    assert "What happens next:" in html


def test_a_resolved_incident_puts_the_solution_and_the_choice_at_the_top(user_client, incident, agent):
    incident = drive_to(incident, Status.RESOLVED, agent=agent)

    html = html_of(user_client.get(incident.get_absolute_url()))

    top = html[: html.index('id="timeline"')]
    assert "Reinstalled the printer driver." in top
    assert "Confirm: it is resolved" in top and "Reject: it is not resolved" in top


def test_awaiting_the_practice_puts_the_desks_question_at_the_top(user_client, incident, agent):
    incident = drive_to(incident, Status.AWAITING_CUSTOMER, agent=agent)

    html = html_of(user_client.get(incident.get_absolute_url()))

    top = html[: html.index('id="timeline"')]
    assert "The Service Desk needs something from you" in top
    assert "Which printer model do you use?" in top


def test_a_closed_incident_shows_its_resolution_summary_at_the_top(user_client, incident, agent):
    incident = drive_to(incident, Status.CLOSED, agent=agent)

    html = html_of(user_client.get(incident.get_absolute_url()))

    top = html[: html.index('id="timeline"')]
    assert "Reinstalled the printer driver." in top
    assert "Confirmed in the portal by" in top


@pytest.fixture(autouse=True)
def _fixed_clock():
    """Each test here runs wholly at fixed dates: its fixtures are made on the day before DAY_ONE, and the
    test travels on from there (never back to today's date)."""
    with time_machine.travel(DAY_ONE - dt.timedelta(days=1), tick=False):
        yield


# --- The timeline ---------------------------------------------------------------------------------------


def test_the_timeline_is_newest_first_grouped_by_day_with_desk_and_practice_told_apart(
    user_client, practice_user, agent, product
):
    with time_machine.travel(DAY_ONE, tick=False):
        incident = IncidentFactory(reporter=practice_user, product=product)
    with time_machine.travel(DAY_TWO, tick=False):
        services.incident_add_note(incident, actor=agent, text="Desk: please restart the PC")
    with time_machine.travel(DAY_TWO + dt.timedelta(minutes=5), tick=False):
        services.incident_add_note(incident, actor=practice_user, text="Practice: restarted, still broken")

    html = html_of(user_client.get(incident.get_absolute_url()))

    newest_first = ["Tuesday 14 May 2030", "Practice: restarted", "Desk: please", "Monday 13 May 2030"]
    order = [html.index(text) for text in [*newest_first, "Logged through the portal, severity"]]
    assert order == sorted(order)
    assert html.count('class="timeline-entry timeline-desk"') == 1
    assert html.count('class="timeline-entry timeline-practice"') == 2  # the note and the logged event
    assert ">Service Desk</span>" in html and ">Your practice</span>" in html


def test_the_timeline_shows_times_in_london_time(user_client, practice_user, product):
    with time_machine.travel(dt.datetime(2030, 7, 1, 8, 5, tzinfo=dt.UTC), tick=False):  # BST
        incident = IncidentFactory(reporter=practice_user, product=product)

    html = html_of(user_client.get(incident.get_absolute_url()))

    assert ">09:05</time>" in html


# --- Details ----------------------------------------------------------------------------------------------


def test_empty_checklist_items_are_folded_away_and_given_ones_shown(user_client, practice_user, product):
    incident = IncidentFactory(
        reporter=practice_user,
        product=product,
        machine_name="RECEPTION-PC2",
        what_changed="",
        recent_upgrades="",
    )

    html = html_of(user_client.get(incident.get_absolute_url()))

    details = html[html.index('id="details-title"') :]
    assert '<dt class="col-sm-4">Server or workstation</dt>' in details
    assert "RECEPTION-PC2" in details
    assert '<dt class="col-sm-4">What changed</dt>' not in details
    folded = details[details.index("<details") : details.index("</details>")]
    assert "What changed" in folded and "Recent upgrades" in folded


# --- Attachments ----------------------------------------------------------------------------------------


def test_a_screenshot_shows_as_a_thumbnail_linking_to_a_larger_view(user_client, incident, practice_user):
    note = attach(incident, practice_user, ("reception screen.jpg", image_bytes()))
    attachment = note.attachments.get()
    base = f"/incidents/{incident.reference}/attachments/{attachment.pk}/"

    html = html_of(user_client.get(incident.get_absolute_url()))

    assert f'<img src="{base}thumbnail/"' in html
    assert f'href="{base}large/"' in html
    assert 'alt="Screenshot reception screen.jpg"' in html


@pytest.mark.parametrize(("size", "longest"), [("thumbnail", 320), ("large", 1200)])
def test_the_thumbnail_and_large_view_are_re_encoded_pngs_never_the_original(
    user_client, incident, practice_user, size, longest
):
    exif = Image.Exif()
    exif[0x010E] = "Secret description"  # ImageDescription
    original = image_bytes(exif=exif.tobytes()) + b"hidden trailing data"
    note = attach(incident, practice_user, ("shot.jpg", original))
    attachment = note.attachments.get()

    response = user_client.get(f"/incidents/{incident.reference}/attachments/{attachment.pk}/{size}/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"Secret description" not in response.content
    assert b"hidden trailing data" not in response.content
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    assert max(image.size) == longest  # never enlarged past the original
    assert "exif" not in image.info


def test_a_pdf_or_log_is_a_named_link_with_its_size_and_has_no_thumbnail(
    user_client, incident, practice_user
):
    note = attach(incident, practice_user, ("spooler.log", b"10:01 Spooler error 0x0002\n"))
    attachment = note.attachments.get()

    html = html_of(user_client.get(incident.get_absolute_url()))
    thumbnail = user_client.get(f"/incidents/{incident.reference}/attachments/{attachment.pk}/thumbnail/")

    assert '" download>spooler.log</a>' in html
    assert "(text, 27\xa0bytes)" in html
    assert thumbnail.status_code == 404


def test_an_outsider_gets_404_for_a_thumbnail(client, outsider, incident, practice_user):
    attachment = attach(incident, practice_user, ("shot.png", image_bytes("PNG"))).attachments.get()
    client.force_login(outsider)

    response = client.get(f"/incidents/{incident.reference}/attachments/{attachment.pk}/thumbnail/")

    assert response.status_code == 404


def test_a_purged_screenshot_has_no_thumbnail(user_client, incident, practice_user, agent):
    attachment = attach(incident, practice_user, ("shot.png", image_bytes("PNG"))).attachments.get()
    services.incident_purge_attachment(attachment, actor=agent, reason="Showed a patient")

    response = user_client.get(f"/incidents/{incident.reference}/attachments/{attachment.pk}/thumbnail/")

    assert response.status_code == 404


@pytest.mark.parametrize("count", [1, 4])
def test_the_page_query_count_is_pinned_with_screenshots(
    user_client, incident, practice_user, django_assert_num_queries, count
):
    for n in range(count):
        attach(incident, practice_user, (f"shot-{n}.png", image_bytes("PNG", size=(40, 30))))

    with django_assert_num_queries(DETAIL_QUERIES + BANNER_CANDIDATES):
        response = user_client.get(incident.get_absolute_url())

    assert html_of(response).count("/thumbnail/") == count


# --- Reopening --------------------------------------------------------------------------------------------


@pytest.fixture
def closed(incident, agent):
    with time_machine.travel(DAY_ONE, tick=False):
        return drive_to(incident, Status.CLOSED, agent=agent)


def test_the_practice_reopens_a_closed_incident_within_the_period_with_a_reason(
    user_client, closed, colleague, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(DAY_ONE + dt.timedelta(days=14), tick=False):
        user_client.force_login(colleague)
        page = html_of(user_client.get(closed.get_absolute_url()))
        with django_capture_on_commit_callbacks(execute=True):
            response = user_client.post(
                f"{closed.get_absolute_url()}reopen/", {"reopen-reason": "It jams again"}
            )

    assert "Until 27 May 2030 you can reopen this incident" in page
    assert response.status_code == 302
    closed.refresh_from_db()
    assert closed.status == Status.INVESTIGATING
    assert closed.closed_at is None and closed.reopened_count == 1
    event = closed.events.order_by("-pk").first()
    assert (event.old_value, event.new_value, event.actor) == (Status.CLOSED, Status.INVESTIGATING, colleague)
    assert event.text == "Reopened: It jams again"
    (message,) = mailoutbox
    assert "Reopened by the practice after it was closed" in message.subject
    assert "It jams again" in message.body


def test_reopening_needs_a_reason(user_client, closed):
    with time_machine.travel(DAY_ONE + dt.timedelta(days=1), tick=False):
        user_client.force_login(closed.reporter)
        response = user_client.post(f"{closed.get_absolute_url()}reopen/", {"reopen-reason": "  "})

    assert response.status_code == 400
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED


def test_after_the_period_reopening_is_refused_and_a_new_incident_offered(user_client, closed, settings):
    settings.INCIDENT_REOPEN_DAYS = 14
    with time_machine.travel(DAY_ONE + dt.timedelta(days=14, minutes=1), tick=False):
        user_client.force_login(closed.reporter)
        page = html_of(user_client.get(closed.get_absolute_url()))
        response = user_client.post(f"{closed.get_absolute_url()}reopen/", {"reopen-reason": "It jams again"})

    assert 'id="reopen"' not in page
    assert f'href="/incidents/new/?follows={closed.reference}"' in page
    assert response.status_code == 409
    assert "more than 14 days ago" in html_of(response)
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED


def test_incident_reopen_refuses_an_open_incident_and_another_practice(incident, outsider):
    with pytest.raises(services.InvalidTransition, match="not possible while"):
        services.incident_reopen(incident, actor=incident.reporter, reason="Why not")
    with pytest.raises(services.InvalidTransition):
        services.incident_reopen(incident, actor=outsider, reason="Not ours")


def test_the_new_incident_form_refers_to_the_closed_one(user_client, closed):
    response = user_client.get("/incidents/new/", {"follows": closed.reference.lower()})

    assert (
        f"This follows on from {closed.reference} (http://testserver/incidents/{closed.reference}/)"
        in html_of(response)
    )


def test_the_new_incident_form_ignores_another_practices_or_an_open_incident(user_client, incident, outsider):
    theirs = IncidentFactory(reporter=outsider)

    for reference in (theirs.reference, incident.reference, "<script>"):
        html = html_of(user_client.get("/incidents/new/", {"follows": reference}))
        assert "This follows on from" not in html


def test_reopening_by_get_is_not_allowed(user_client, closed):
    assert user_client.get(f"{closed.get_absolute_url()}reopen/").status_code == 405
    assert Incident.objects.get(pk=closed.pk).status == Status.CLOSED
    assert not closed.events.filter(old_value=Status.CLOSED).exists()
