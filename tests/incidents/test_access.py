"""Practice isolation: staff see every incident of their own practice and nothing of any other."""

import re

import pytest
from django.utils.html import escape

from incidents.models import Incident
from tests.factories import StaffFactory


def _login(client, user):
    client.force_login(user)
    return client


def test_another_practices_incident_is_not_found(client, outsider, incident):
    response = _login(client, outsider).get(f"/incidents/{incident.reference}/")

    assert response.status_code == 404


def test_another_practices_incident_is_not_found_in_lower_case_either(client, outsider, incident):
    response = _login(client, outsider).get(f"/incidents/{incident.reference.lower()}/")

    assert response.status_code == 404


def _without_csrf(response):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def test_an_unknown_reference_answers_the_same_404(client, outsider, incident):
    unknown = _login(client, outsider).get("/incidents/PC999999/")
    elsewhere = client.get(f"/incidents/{incident.reference}/")

    assert unknown.status_code == elsewhere.status_code == 404
    assert _without_csrf(unknown) == _without_csrf(elsewhere)


def test_a_reference_typed_in_lower_case_opens_the_practices_own_incident(user_client, incident):
    response = user_client.get(f"/incidents/{incident.reference.lower()}/")

    assert response.status_code == 200
    assert incident.summary in response.content.decode()


def test_the_list_never_shows_another_practices_incidents(user_client, incident, other_incident):
    html = user_client.get("/incidents/").content.decode()

    assert incident.reference in html
    assert other_incident.reference not in html
    assert escape(other_incident.summary) not in html


def test_searching_for_another_practices_reference_finds_nothing(user_client, incident, other_incident):
    response = user_client.get("/incidents/", {"q": other_incident.reference})

    html = response.content.decode()
    assert f">{other_incident.reference}</a>" not in html
    assert escape(other_incident.summary) not in html
    assert "No incidents match" in html


def test_a_colleague_sees_incidents_reported_by_someone_else_in_the_practice(client, colleague, incident):
    _login(client, colleague)

    listing = client.get("/incidents/")
    detail = client.get(f"/incidents/{incident.reference}/")

    assert incident.reference in listing.content.decode()
    assert detail.status_code == 200
    assert incident.summary in detail.content.decode()


@pytest.mark.parametrize("path", ["/incidents/", "/incidents/new/", "/incidents/{reference}/"])
def test_signed_out_visitors_are_sent_to_the_login_page(client, incident, path):
    path = path.format(reference=incident.reference)

    response = client.get(path)

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={path}"


def test_signed_out_visitors_cannot_log_an_incident(client, incident_data):
    response = client.post("/incidents/new/", incident_data)

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert not Incident.objects.exists()


def test_staff_without_a_practice_get_404_on_an_incident_page(client, incident):
    staff = StaffFactory()

    response = _login(client, staff).get(f"/incidents/{incident.reference}/")

    assert response.status_code == 404


def test_agents_get_404_on_an_incident_page_too(client, agent, incident):
    response = _login(client, agent).get(f"/incidents/{incident.reference}/")

    assert response.status_code == 404


def test_healthz_answers_200(client, db):
    assert client.get("/healthz").status_code == 200
