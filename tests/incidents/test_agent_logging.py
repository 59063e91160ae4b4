"""Agents log telephone and email incidents in admin on a practice user's behalf, and find them there."""

import re

import pytest
from django.conf import settings

from incidents.models import Channel, Incident, Status, TimelineEvent
from tests.factories import IncidentFactory, ProductFactory, SiteFactory
from tests.incidents.helpers import ALL_INCIDENTS_CHANGELIST_QUERIES, CHANGELIST_QUERIES, admin_change_data

REFERENCE = re.compile(rf"^{re.escape(settings.INCIDENT_REFERENCE_PREFIX)}\d{{6}}$")
ADD_URL = "/admin/incidents/incident/add/"
CHANGELIST_URL = "/admin/incidents/incident/"


def test_agent_logs_a_telephoned_incident_for_a_practice_user(
    agent_client, agent, practice_user, admin_incident_data, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(ADD_URL, admin_incident_data)

    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.channel == Channel.PHONE
    assert incident.logged_by == agent
    assert incident.reporter == practice_user
    assert incident.practice == practice_user.practice
    assert incident.status == Status.LOGGED
    assert REFERENCE.match(incident.reference)
    assert TimelineEvent.objects.get(incident=incident, kind=TimelineEvent.Kind.LOGGED).actor == agent
    assert [email.to for email in mailoutbox] == [[practice_user.email]]
    assert incident.reference in mailoutbox[0].subject


def test_agent_logged_incident_takes_the_next_portal_reference(
    agent_client, practice_user, product, admin_incident_data
):
    portal = IncidentFactory(reporter=practice_user, product=product)

    agent_client.post(ADD_URL, admin_incident_data)

    by_phone = Incident.objects.get(channel=Channel.PHONE)
    prefix = settings.INCIDENT_REFERENCE_PREFIX
    assert int(by_phone.reference.removeprefix(prefix)) == int(portal.reference.removeprefix(prefix)) + 1


def test_agent_cannot_log_an_incident_as_coming_from_the_portal(agent_client, admin_incident_data):
    admin_incident_data["channel"] = "portal"

    response = agent_client.post(ADD_URL, admin_incident_data)

    assert response.status_code == 200
    assert "channel" in response.context["adminform"].form.errors
    assert not Incident.objects.exists()


def test_agent_cannot_log_an_incident_at_another_practices_site(
    agent_client, admin_incident_data, other_practice
):
    admin_incident_data["site"] = SiteFactory(practice=other_practice, name="Elsewhere").pk

    response = agent_client.post(ADD_URL, admin_incident_data)

    assert response.status_code == 200
    assert "is not a site of" in response.content.decode()
    assert not Incident.objects.exists()


@pytest.fixture
def two_incidents(practice_user, outsider):
    """One incident that every filter below matches, and one that none does."""
    wanted = IncidentFactory(
        reporter=practice_user,
        product=ProductFactory(name="Synergy Clinical"),
        severity=3,
        channel=Channel.PHONE,
        summary="Printer queue stuck",
    )
    unwanted = IncidentFactory(
        reporter=outsider,
        product=ProductFactory(name="Docman"),
        severity=2,
        channel=Channel.EMAIL,
        summary="Scanner offline",
    )
    Incident.objects.filter(pk=unwanted.pk).update(status=Status.INVESTIGATING)  # not via a form: setup
    return wanted, unwanted


def _shown(response, incident):
    return f">{incident.reference}</a>" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "status__exact=logged",  # the status filter's own parameter: admin takes only what it offers
        "severity__exact=3",
        "channel__exact=phone",
        "practice_id={practice}",
        "product__id__exact={product}",
    ],
)
def test_changelist_filters_show_only_matching_incidents(agent_client, two_incidents, query):
    wanted, unwanted = two_incidents

    response = agent_client.get(
        f"{CHANGELIST_URL}?"
        + query.format(practice=wanted.practice.practice_id.lower(), product=wanted.product_id)
    )

    assert response.status_code == 200
    assert _shown(response, wanted)
    assert not _shown(response, unwanted)


@pytest.mark.parametrize("search", ["reference", "practice", "summary"])
def test_changelist_search_finds_by_reference_practice_and_summary(agent_client, two_incidents, search):
    wanted, unwanted = two_incidents
    q = {"reference": wanted.reference, "practice": wanted.practice.name, "summary": "Printer"}[search]

    response = agent_client.get(CHANGELIST_URL, {"q": q})

    assert response.status_code == 200
    assert _shown(response, wanted)
    assert not _shown(response, unwanted)


def test_status_is_read_only_on_the_change_page(agent_client, incident):
    url = f"{CHANGELIST_URL}{incident.pk}/change/"
    page = agent_client.get(url)

    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="status"' not in html
    assert re.search(r'<label>Status:</label>\s*<div class="readonly">Logged</div>', html)


def test_posting_a_status_on_the_change_page_does_not_change_it(agent_client, incident):
    url = f"{CHANGELIST_URL}{incident.pk}/change/"

    response = agent_client.post(url, admin_change_data(incident, status=Status.CLOSED))

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.LOGGED


def test_agent_cannot_move_an_incident_to_another_practices_site(agent_client, incident, other_practice):
    elsewhere = SiteFactory(practice=other_practice, name="Elsewhere")
    url = f"{CHANGELIST_URL}{incident.pk}/change/"

    response = agent_client.post(url, admin_change_data(incident, site=elsewhere.pk))

    incident.refresh_from_db()
    assert incident.site != elsewhere
    assert response.status_code == 200
    assert "is not a site of" in response.content.decode()


def test_agents_see_the_handbooks_severity_descriptions_when_choosing_severity(agent_client):
    page = agent_client.get(ADD_URL).content.decode()

    assert "Users cannot log in, the clinical application is completely unavailable." in page
    assert "General queries." in page


def test_an_agents_correction_of_the_details_is_on_the_timeline(agent_client, agent, incident):
    response = agent_client.get(f"{CHANGELIST_URL}{incident.pk}/change/")
    form = response.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"summary": "Printer prints blank pages", "remote_access_allowed": ""})
    data.update({"events-TOTAL_FORMS": "1", "events-INITIAL_FORMS": "1", "events-MIN_NUM_FORMS": "0"})
    data.update({"events-MAX_NUM_FORMS": "1000"})

    response = agent_client.post(f"{CHANGELIST_URL}{incident.pk}/change/", data)

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.summary == "Printer prints blank pages"
    event = incident.events.get(kind=TimelineEvent.Kind.DETAILS)
    assert event.actor == agent
    assert event.text == "Summary: changed"  # free text is not copied into the history
    assert not event.public


def test_the_practice_filter_keeps_the_search_and_other_filters(agent_client, two_incidents):
    wanted, _ = two_incidents

    response = agent_client.get(CHANGELIST_URL, {"q": "Printer", "status__exact": "logged"})

    page = response.content.decode()
    assert 'type="hidden" name="q" value="Printer"' in page
    assert 'type="hidden" name="status__exact" value="logged"' in page
    assert 'name="practice_id"' in page


@pytest.mark.parametrize(
    ("query", "queries"), [("", CHANGELIST_QUERIES), ("?state=all", ALL_INCIDENTS_CHANGELIST_QUERIES)]
)
def test_the_changelist_query_count_does_not_grow_with_the_table(
    agent_client, practice_user, outsider, django_assert_num_queries, query, queries
):
    IncidentFactory.create_batch(2, reporter=practice_user)
    for _ in range(2):
        with django_assert_num_queries(queries):
            assert agent_client.get(CHANGELIST_URL + query).status_code == 200
        IncidentFactory.create_batch(30, reporter=outsider)


def test_agents_find_a_site_by_practice_name_when_logging(agent_client, practice):
    response = agent_client.get(
        "/admin/autocomplete/",
        {"term": practice.name[:8], "app_label": "incidents", "model_name": "incident", "field_name": "site"},
    )

    assert response.status_code == 200
    assert f"{practice.name}: Main (main)" in [item["text"] for item in response.json()["results"]]
