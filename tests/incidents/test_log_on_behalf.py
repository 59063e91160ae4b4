"""Agents log an incident in admin on a practice's behalf: for a practice user, whose name and number are the
contact's unless the agent gives others, or for a caller with no portal account, who is named with their
number, at a site of their practice; the practice's portal users see it and hear of it."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.debug import SafeExceptionReporterFilter

from incidents import services
from incidents.models import Incident
from surveys.services import last_closed_incidents
from tests.conftest import login
from tests.factories import IncidentFactory, UserFactory
from tests.incidents.helpers import admin_change_data

ADD_URL = "/admin/incidents/incident/add/"
# The add page (the session cached by an earlier request): the user, their own and their groups' permissions.
# The empty form reads nothing else: reporter, site and product are chosen by autocomplete, and no timeline.
ADD_PAGE_QUERIES = 3


@pytest.fixture
def caller_data(admin_incident_data, practice):
    """A caller with no portal account: no reporter, their name and number, a site of their practice."""
    data = {key: value for key, value in admin_incident_data.items() if key != "reporter"}
    return {**data, "contact_name": "Jamie Fox", "contact_number": "01632 960321"}


def _logged(agent_client, data, capture):
    with capture(execute=True):
        response = agent_client.post(ADD_URL, data)
    return response


def _errors(response):
    return {name: " ".join(messages) for name, messages in response.context["adminform"].form.errors.items()}


def test_the_add_page_asks_for_the_remote_access_details_and_has_no_timeline(agent_client):
    page = agent_client.get(ADD_URL)

    html = page.content.decode()
    assert page.status_code == 200
    for name in ("remote_access_allowed", "remote_access_details", "remote_access_constraints"):
        assert f'name="{name}"' in html
    assert "events-TOTAL_FORMS" not in html  # the timeline's inline
    assert "js/admin_log_on_behalf." in html  # fills the contact from the reporter


def test_the_add_page_query_count_is_pinned(agent_client, django_assert_num_queries):
    agent_client.get(ADD_URL)  # the session is cached after the first request
    with django_assert_num_queries(ADD_PAGE_QUERIES):
        assert agent_client.get(ADD_URL).status_code == 200


def test_an_empty_contact_is_the_reporters_name_and_number(
    agent_client, practice_user, admin_incident_data, django_capture_on_commit_callbacks
):
    practice_user.phone = "01632 960444"
    practice_user.save()
    admin_incident_data.update(contact_name="", contact_number="")

    response = _logged(agent_client, admin_incident_data, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    incident = Incident.objects.get()
    assert (incident.contact_name, incident.contact_number) == ("Alex Morgan", "01632 960444")


def test_a_contact_the_agent_gives_is_kept(agent_client, admin_incident_data):
    admin_incident_data.update(contact_name="Robin Shaw", contact_number="01632 960777")

    assert agent_client.post(ADD_URL, admin_incident_data).status_code == 302

    incident = Incident.objects.get()
    assert (incident.contact_name, incident.contact_number) == ("Robin Shaw", "01632 960777")


def test_a_reporter_without_a_number_needs_one_given(agent_client, practice_user, admin_incident_data):
    practice_user.phone = ""
    practice_user.save()
    admin_incident_data["contact_number"] = ""

    response = agent_client.post(ADD_URL, admin_incident_data)

    assert response.status_code == 200
    assert "Alex Morgan has none on their account" in str(_errors(response)["contact_number"])
    assert not Incident.objects.exists()


def test_remote_access_details_given_on_the_phone_are_kept(agent_client, admin_incident_data):
    admin_incident_data["remote_access_details"] = "Support ID 555 121 999"

    response = agent_client.post(ADD_URL, admin_incident_data)

    assert response.status_code == 302
    assert Incident.objects.get().remote_access_details == "Support ID 555 121 999"
    # An error report of this request would mask them, as it does the portal's.
    posted = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert posted["remote_access_details"] == SafeExceptionReporterFilter.cleansed_substitute


def test_the_reporter_search_gives_their_name_and_number(agent_client, practice_user):
    response = agent_client.get(
        "/admin/incidents/incident/reporters/",
        {"term": "Alex", "app_label": "incidents", "model_name": "incident", "field_name": "reporter"},
    )

    assert response.status_code == 200
    found = response.json()["results"]
    assert {
        "id": str(practice_user.pk),
        "text": "Alex Morgan",
        "name": "Alex Morgan",
        "phone": "01632 960555",
    } in found


def test_the_reporter_search_offers_practice_staff_only_and_serves_no_other_field(
    agent_client, agent, practice_user
):
    """The desk's own staff are not reporters, and the view answers for the reporter field alone: it does
    not hand out names and numbers through another model's autocomplete."""
    asked = {"term": "", "app_label": "incidents", "model_name": "incident", "field_name": "reporter"}
    found = agent_client.get("/admin/incidents/incident/reporters/", asked).json()["results"]
    assert [result["id"] for result in found] == [str(practice_user.pk)]  # not the agent's own account

    other_field = {**asked, "field_name": "assignee"}
    assert agent_client.get("/admin/incidents/incident/reporters/", other_field).status_code == 403


def test_a_caller_without_an_account_is_logged_for_the_practice_of_the_site(
    agent_client, agent, practice, caller_data, django_capture_on_commit_callbacks
):
    response = _logged(agent_client, caller_data, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.reporter is None
    assert incident.practice == practice
    assert (incident.contact_name, incident.contact_number) == ("Jamie Fox", "01632 960321")
    assert incident.logged_by == agent


def test_the_practices_portal_users_see_a_callers_incident_and_others_do_not(
    client, agent_client, practice_user, outsider, caller_data, django_capture_on_commit_callbacks
):
    _logged(agent_client, caller_data, django_capture_on_commit_callbacks)
    incident = Incident.objects.get()

    login(client, practice_user)
    page = client.get(incident.get_absolute_url())
    listed = client.get("/incidents/")
    assert page.status_code == 200
    assert "Jamie Fox (no portal account)" in page.content.decode()
    assert incident.reference in listed.content.decode()
    assert "reported by Jamie Fox (no portal account)" in listed.content.decode()

    login(client, outsider)
    assert client.get(incident.get_absolute_url()).status_code == 404


def test_a_callers_incident_is_emailed_to_the_practices_users_with_an_account_prompt(
    agent_client,
    practice_user,
    colleague,
    outsider,
    caller_data,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    UserFactory(practice=practice_user.practice, email="left@riverside.example", is_active=False)

    _logged(agent_client, caller_data, django_capture_on_commit_callbacks)

    incident = Incident.objects.get()
    assert [sorted(email.to) for email in mailoutbox] == [[practice_user.email, colleague.email]]
    body = mailoutbox[0].body
    assert incident.reference in mailoutbox[0].subject
    assert "Jamie Fox contacted the Service Desk for Riverside Medical Centre" in body
    assert "has no portal account" in body and "/accounts/register/" in body
    assert "/accounts/register/" in mailoutbox[0].alternatives[0][0]


def test_the_agent_hears_when_nobody_at_the_practice_can_be_emailed(
    agent_client, other_practice, caller_data, django_capture_on_commit_callbacks, mailoutbox
):
    caller_data["site"] = other_practice.sites.get(is_main=True).pk

    response = _logged(agent_client, caller_data, django_capture_on_commit_callbacks)

    assert mailoutbox == []
    reference = Incident.objects.get().reference
    shown = [str(message) for message in response.wsgi_request._messages]
    assert any(f"give the caller the reference {reference}" in message for message in shown)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"site": ""}, "site", "Choose a site of the caller's practice"),
        ({"contact_name": ""}, "contact_name", "Give the caller's name"),
        ({"contact_number": ""}, "contact_number", "Give the caller's number"),
        ({"contact_number": "call me maybe"}, "contact_number", "Enter a telephone number"),
        ({"contact_name": "Jamie 943 476 5919"}, "contact_name", "looks like an NHS number"),
        ({"site": "999999"}, "site", "Select a valid choice"),
        ({"reporter": "999999"}, "reporter", "Select a valid choice"),
    ],
)
def test_a_bad_caller_is_refused_beside_the_field(agent_client, caller_data, change, field, message):
    response = agent_client.post(ADD_URL, {**caller_data, **change})

    assert response.status_code == 200
    assert message in str(_errors(response)[field])
    assert not Incident.objects.exists()


def test_the_database_refuses_an_incident_with_neither_reporter_nor_caller(incident):
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.filter(pk=incident.pk).update(reporter=None, contact_name="")

    Incident.objects.filter(pk=incident.pk).update(
        reporter=None, contact_name="Jamie Fox"
    )  # a caller: allowed


def test_the_survey_draw_leaves_out_callers_without_an_account(practice_user, product):
    closed = timezone.now() - timedelta(days=40)
    theirs = IncidentFactory(reporter=practice_user, product=product)
    callers = IncidentFactory(reporter=practice_user, product=product)
    Incident.objects.filter(pk__in=[theirs.pk, callers.pk]).update(closed_at=closed)
    Incident.objects.filter(pk=callers.pk).update(reporter=None, contact_name="Jamie Fox")

    assert last_closed_incidents(timezone.localdate(closed).replace(day=1)) == {practice_user.pk: theirs.pk}


@pytest.fixture
def callers_incident(agent_client, caller_data, django_capture_on_commit_callbacks, mailoutbox):
    _logged(agent_client, caller_data, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    return Incident.objects.get()


def test_the_desks_reply_to_a_caller_reaches_the_practices_users_with_the_prompt(
    agent, practice_user, colleague, callers_incident, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_add_note(callers_incident, actor=agent, text="We are looking at it.", public=True)

    assert [sorted(email.to) for email in mailoutbox] == [[practice_user.email, colleague.email]]
    assert "We are looking at it." in mailoutbox[0].body
    assert "/accounts/register/" in mailoutbox[0].body


def test_an_agent_corrects_a_callers_incident_on_its_change_page(agent_client, callers_incident):
    url = f"/admin/incidents/incident/{callers_incident.pk}/change/"
    assert agent_client.get(url).status_code == 200

    changed = admin_change_data(callers_incident, summary="Printer prints blank pages")
    response = agent_client.post(url, changed)

    assert response.status_code == 302
    callers_incident.refresh_from_db()
    assert callers_incident.summary == "Printer prints blank pages"
    assert callers_incident.reporter is None


def test_a_callers_incident_cannot_move_to_another_practices_site(
    agent_client, callers_incident, other_practice
):
    elsewhere = other_practice.sites.get(is_main=True)
    url = f"/admin/incidents/incident/{callers_incident.pk}/change/"

    response = agent_client.post(url, admin_change_data(callers_incident, site=elsewhere.pk))

    assert response.status_code == 200
    assert "is not a site of" in _errors(response)["site"]
    callers_incident.refresh_from_db()
    assert callers_incident.site != elsewhere
