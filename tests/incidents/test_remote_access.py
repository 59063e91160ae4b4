"""Remote-access details are confidential: encrypted at rest, shown only to permitted staff, each
reading recorded, and never in emails, admin lists or searches."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection

from incidents import services
from incidents.models import Incident, TimelineEvent

SECRET = "AnyDesk 812 334 991, code Tulip-42"


@pytest.fixture
def logged(user_client, incident_data, django_capture_on_commit_callbacks, mailoutbox):
    incident_data["remote_access_details"] = SECRET
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post("/incidents/new/", incident_data)
    assert response.status_code == 302
    return Incident.objects.get()


@pytest.fixture
def reader(agent):
    agent.user_permissions.add(Permission.objects.get(codename="view_remote_access"))
    return agent


def test_the_details_are_not_stored_as_plain_text(logged):
    with connection.cursor() as cursor:
        cursor.execute("SELECT remote_access_details FROM incidents_incident WHERE id = %s", [logged.pk])
        stored = cursor.fetchone()[0]

    assert SECRET not in stored
    assert "Tulip" not in stored
    assert Incident.objects.get(pk=logged.pk).remote_access_details == SECRET


def test_the_details_are_in_no_email_and_not_on_the_practice_page(logged, mailoutbox, user_client):
    assert mailoutbox
    for message in mailoutbox:
        assert "Tulip" not in message.body
        assert all("Tulip" not in body for body, _ in message.alternatives)
    page = user_client.get(logged.get_absolute_url()).content.decode()
    assert "Tulip" not in page
    assert "connection details given" in page


def test_admin_lists_and_forms_never_show_the_details(client, reader, logged):
    client.force_login(reader)

    for url in ["/admin/incidents/incident/", f"/admin/incidents/incident/{logged.pk}/change/"]:
        assert "Tulip" not in client.get(url).content.decode()


def test_staff_without_the_permission_cannot_read_them(client, agent, logged):
    client.force_login(agent)

    assert client.post(f"/admin/incidents/incident/{logged.pk}/remote-access/").status_code == 403
    assert not logged.events.filter(kind=TimelineEvent.Kind.REMOTE_ACCESS_VIEWED).exists()


def test_a_permitted_reading_shows_them_and_is_recorded(client, reader, logged):
    client.force_login(reader)
    url = f"/admin/incidents/incident/{logged.pk}/remote-access/"

    before = client.get(url).content.decode()
    after = client.post(url).content.decode()

    assert "Tulip" not in before
    assert SECRET in after
    event = logged.events.get(kind=TimelineEvent.Kind.REMOTE_ACCESS_VIEWED)
    assert event.actor == reader
    assert not event.public


def test_no_update_email_carries_the_details(logged, agent, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_verify(logged, actor=agent, note="Checked")
        services.incident_start_investigation(logged, actor=agent)
        services.incident_resolve(logged, actor=agent, resolution="Restarted the service")

    assert len(mailoutbox) >= 4
    for message in mailoutbox:
        assert "Tulip" not in message.body
        assert all("Tulip" not in body for body, _ in message.alternatives)
