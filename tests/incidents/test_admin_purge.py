"""Agents purge a note or a file that carries patient data from the incident's admin page."""

import os
from datetime import date

from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import services
from incidents.attachments import check_upload
from incidents.models import Release, TimelineEvent
from incidents.tasks import check_screenshot
from tests.factories import StaffFactory
from tests.sample_files import pixels, png

# user, the incident (twice: admin and lifecycle buttons), the keys of the timeline's latest page, the
# user's and their groups' permissions, the events, their files, and the practice, reporter, logged-by and
# product shown on the form, the contract's severity wording (the session comes from the cache); and, while
# the incident is logged, the triage form's staff to assign and canned replies (issue 17)
CHANGE_PAGE_QUERIES = 15
PNG = png()


def _note_with_file(incident, author):
    upload = check_upload(SimpleUploadedFile("ward.png", PNG))
    return services.incident_add_note(incident, actor=author, text="Mrs Example's record", uploads=[upload])


def test_the_change_page_offers_downloads_and_purges(client, agent, incident, practice_user):
    event = _note_with_file(incident, practice_user)
    attachment = event.attachments.get()
    check_screenshot(attachment.pk)  # the reader is off here: held as not checked
    services.attachment_confirm_no_patient_data(attachment, actor=practice_user)
    client.force_login(agent)

    page = client.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()
    download = client.get(f"/admin/incidents/incident/{incident.pk}/attachment/{attachment.pk}/")
    content = b"".join(download.streaming_content)
    download.close()

    assert f"/purge-event/{event.pk}/" in page
    assert f"/purge-attachment/{attachment.pk}/" in page
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert pixels(content) == pixels(PNG)  # re-encoded: what the screenshot check read


def test_an_agent_purges_a_note_and_its_file(client, agent, incident, practice_user):
    event = _note_with_file(incident, practice_user)
    path = event.attachments.get().file.path
    client.force_login(agent)
    url = f"/admin/incidents/incident/{incident.pk}/purge-event/{event.pk}/"

    refused = client.post(url, {"reason": ""})
    done = client.post(url, {"reason": "Named a patient"})

    assert refused.status_code == 400
    assert done.status_code == 302
    event.refresh_from_db()
    assert event.text == "" and event.purged_at
    assert not os.path.exists(path)
    purge = incident.events.get(kind=TimelineEvent.Kind.PURGED)
    assert purge.actor == agent and "Named a patient" in purge.text
    assert not TimelineEvent.objects.filter(text__contains="Mrs Example").exists()


def test_a_practice_user_cannot_reach_the_purge_page(client, incident, practice_user):
    event = _note_with_file(incident, practice_user)
    client.force_login(practice_user)

    response = client.post(
        f"/admin/incidents/incident/{incident.pk}/purge-event/{event.pk}/", {"reason": "x"}
    )

    assert response.status_code == 302 and "/admin/login/" in response.url
    event.refresh_from_db()
    assert event.purged_at is None


def test_purging_a_resolution_removes_the_copy_kept_on_the_incident(client, agent, incident):
    services.incident_verify(incident, actor=agent)
    services.incident_start_investigation(incident, actor=agent)
    services.incident_resolve(incident, actor=agent, resolution="Mrs Example's record was fixed")
    event = incident.events.get(new_value="resolved")
    client.force_login(agent)

    client.post(
        f"/admin/incidents/incident/{incident.pk}/purge-event/{event.pk}/", {"reason": "Named a patient"}
    )

    incident.refresh_from_db()
    assert "Mrs Example" not in incident.resolution
    assert not TimelineEvent.objects.filter(text__contains="Mrs Example").exists()


def test_a_release_with_scheduled_incidents_keeps_its_product(client, agent, incident, product):
    release = Release.objects.create(product=product, version="6.0", target_date=date(2027, 3, 1))
    services.incident_verify(incident, actor=agent)
    services.incident_start_investigation(incident, actor=agent)
    services.incident_schedule_fix(incident, actor=agent, release=release)
    client.force_login(agent)

    page = client.get(f"/admin/incidents/release/{release.pk}/change/").content.decode()

    assert 'name="product"' not in page
    assert 'name="version"' not in page


def test_staff_who_may_only_view_cannot_purge(client, incident, practice_user):
    viewer = StaffFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_incident"))
    event = _note_with_file(incident, practice_user)
    client.force_login(viewer)

    response = client.post(
        f"/admin/incidents/incident/{incident.pk}/purge-event/{event.pk}/", {"reason": "x"}
    )

    assert response.status_code == 403
    event.refresh_from_db()
    assert event.purged_at is None


def test_opening_the_purge_page_changes_nothing(client, agent, incident, practice_user):
    event = _note_with_file(incident, practice_user)
    client.force_login(agent)

    response = client.get(f"/admin/incidents/incident/{incident.pk}/purge-event/{event.pk}/")

    assert response.status_code == 200
    event.refresh_from_db()
    assert event.purged_at is None and event.text


def test_a_file_is_only_found_under_its_own_incident(client, agent, incident, other_incident, practice_user):
    attachment = _note_with_file(incident, practice_user).attachments.get()
    client.force_login(agent)

    response = client.get(f"/admin/incidents/incident/{other_incident.pk}/attachment/{attachment.pk}/")

    assert response.status_code == 404


def test_the_change_page_query_count_does_not_grow_with_the_timeline(
    client, agent, incident, practice_user, django_assert_num_queries
):
    client.force_login(agent)
    url = f"/admin/incidents/incident/{incident.pk}/change/"
    _note_with_file(incident, practice_user)
    client.get(url)
    with django_assert_num_queries(CHANGE_PAGE_QUERIES):
        assert client.get(url).status_code == 200

    for _ in range(8):
        _note_with_file(incident, practice_user)
    with django_assert_num_queries(CHANGE_PAGE_QUERIES):
        assert client.get(url).status_code == 200
