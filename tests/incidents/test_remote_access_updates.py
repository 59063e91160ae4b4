"""The practice changes remote access for one incident or for the practice (issue 16): kept encrypted, the
desk told, the timeline saying that they changed and never what they are."""

import pytest
from django.db import connection

from accounts.models import Practice
from incidents import services
from incidents.models import Incident, Status
from tests.factories import IncidentFactory
from tests.incidents.lifecycle_helpers import drive_to

SECRET = "AnyDesk 812 334 991, code Tulip-42"


def raw(table, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT remote_access_details FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def everything_sent(mailoutbox):
    return " ".join(m.subject + m.body + "".join(body for body, _ in m.alternatives) for m in mailoutbox)


@pytest.fixture
def post_incident(user_client, incident, django_capture_on_commit_callbacks):
    def post(**data):
        with django_capture_on_commit_callbacks(execute=True):
            return user_client.post(f"/incidents/{incident.reference}/remote-access/", data)

    return post


def test_the_practice_changes_an_incidents_remote_access_encrypted_and_the_desk_told(
    post_incident, incident, user_client, mailoutbox, settings
):
    response = post_incident(
        **{"remote-allowed": "on", "remote-constraints": "After 18:30", "remote-details": SECRET}
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.remote_access_details == SECRET
    assert incident.remote_access_allowed and incident.remote_access_constraints == "After 18:30"
    assert "Tulip" not in raw("incidents_incident", incident.pk)
    event = incident.events.order_by("-pk").first()
    assert event.public and "Remote-access details changed." in event.text
    assert "Tulip" not in event.text and "18:30" not in event.text
    (message,) = mailoutbox
    assert message.to == [settings.SERVICE_DESK_NOTIFY_EMAIL]
    assert "changed its remote access" in message.subject
    assert "Tulip" not in everything_sent(mailoutbox)
    page = user_client.get(incident.get_absolute_url()).content.decode()
    assert "Tulip" not in page and "Remote-access details changed." in page


def test_an_empty_details_box_keeps_them_and_the_box_removes_them(post_incident, incident):
    Incident.objects.filter(pk=incident.pk).update(remote_access_details=SECRET)

    post_incident(**{"remote-constraints": "Any time"})
    incident.refresh_from_db()
    kept = incident.remote_access_details
    post_incident(**{"remote-constraints": "Any time", "remote-remove_details": "on"})
    incident.refresh_from_db()

    assert kept == SECRET
    assert incident.remote_access_details is None
    assert "Remote-access details removed." in incident.events.order_by("-pk").first().text


def test_nothing_changed_records_and_sends_nothing(post_incident, incident, mailoutbox):
    before = incident.events.count()

    response = post_incident(**{"remote-constraints": incident.remote_access_constraints})

    assert response.status_code == 302
    assert incident.events.count() == before
    assert mailoutbox == []


def test_new_details_and_remove_together_are_refused(post_incident, incident):
    response = post_incident(**{"remote-details": SECRET, "remote-remove_details": "on"})

    assert response.status_code == 400
    assert "Either type new connection details or remove them" in response.content.decode()
    incident.refresh_from_db()
    assert incident.remote_access_details in ("", None)


def test_a_closed_incidents_remote_access_cannot_change(post_incident, incident, agent):
    incident = drive_to(incident, Status.CLOSED, agent=agent)

    response = post_incident(**{"remote-details": SECRET})

    assert response.status_code == 409
    incident.refresh_from_db()
    assert incident.remote_access_details in ("", None)


def test_another_practice_cannot_change_it(incident, outsider):
    with pytest.raises(services.InvalidTransition):
        services.incident_update_remote_access(
            incident, actor=outsider, allowed=True, constraints="", details=SECRET
        )


# --- The practice's own details ---------------------------------------------------------------------------


def test_the_practice_saves_its_own_details_encrypted_each_open_incident_records_the_change(
    user_client, practice_user, product, agent, mailoutbox, settings, django_capture_on_commit_callbacks
):
    open_one = IncidentFactory(reporter=practice_user, product=product)
    closed_one = drive_to(
        IncidentFactory(reporter=practice_user, product=product), Status.CLOSED, agent=agent
    )
    closed_events = closed_one.events.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post("/incidents/remote-access/", {"details": SECRET})

    assert response.status_code == 302
    practice = Practice.objects.get(pk=practice_user.practice_id)
    assert practice.remote_access_details == SECRET
    assert "Tulip" not in raw("accounts_practice", practice.pk)
    assert (
        open_one.events.order_by("-pk").first().text == "The practice's remote-access details were changed."
    )
    assert closed_one.events.count() == closed_events
    (message,) = mailoutbox
    assert message.to == [settings.SERVICE_DESK_NOTIFY_EMAIL]
    assert "Tulip" not in everything_sent(mailoutbox)
    page = user_client.get("/incidents/remote-access/").content.decode()
    assert "Tulip" not in page and "Connection details have been given" in page


def test_saving_the_same_details_again_tells_nobody(user_client, practice_user, mailoutbox):
    Practice.objects.filter(pk=practice_user.practice_id).update(remote_access_details=SECRET)

    user_client.post("/incidents/remote-access/", {"details": SECRET})

    assert mailoutbox == []


def test_desk_staff_have_no_practice_remote_access_page(client, agent):
    client.force_login(agent)

    assert client.get("/incidents/remote-access/").status_code == 403
