"""The desk's incident list in admin, served from the cache (incidents.pagecache.CachedChangeList).

A second visit costs fewer queries than the first and shows the same page; every change the list shows
appears on the next visit, whoever makes it and in whichever practice; an SLA falls overdue on time with
no write at all; each agent gets their own page, with their own CSRF token, and loses access at once when
their permission goes; messages are shown once; searches, clock-based filters and an unreachable cache
change nothing anyone else sees.
"""

import re
from datetime import datetime, timedelta
from html import unescape

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.roles import AGENTS
from incidents import services
from incidents.admin import IncidentAdmin
from incidents.models import Incident
from incidents.pagecache import csrf_placeholder
from servicedesk.lib.support_hours import LONDON
from tests.factories import IncidentFactory, ProductFactory, UserFactory
from tests.incidents.helpers import CACHED_CHANGELIST_QUERIES, CHANGELIST_QUERIES
from tests.incidents.test_page_cache import CSRF_VALUE, UNREACHABLE_CACHE

CHANGELIST_URL = "/admin/incidents/incident/"
LOGGED_AT = datetime(2026, 11, 25, 10, 0, tzinfo=LONDON)  # a Wednesday, in support hours


def signed_in(user, **kwargs):
    client = Client(**kwargs)
    client.force_login(user)
    return client


@pytest.fixture
def agent_client(agent):
    client = signed_in(agent)
    client.get(CHANGELIST_URL, {"q": "-"})  # the agent's permissions, read once and kept in the cache
    return client


@pytest.fixture
def incident(practice_user, product):
    with time_machine.travel(LOGGED_AT, tick=False):
        return IncidentFactory(reporter=practice_user, product=product, summary="Printer will not print")


def page(client, query=None):
    """The changelist's HTML with every CSRF token blanked (they are masked afresh on each request)."""
    response = client.get(CHANGELIST_URL, query or {})
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert csrf_placeholder() not in html
    return CSRF_VALUE.sub(r"\1…\2", html)


def rows(html):
    """Each row's cells as text, by the incident's reference."""
    found = {}
    for row in re.findall(r"<tr\b[^>]*>(.*?)</tr>", re.search(r"<tbody>(.*?)</tbody>", html, re.S)[1], re.S):
        cells = [
            " ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split())
            for cell in re.findall(r"<t[dh]\b[^>]*>(.*?)</t[dh]>", row, re.S)
        ][1:]  # without the action checkbox
        found[cells[0]] = cells
    return found


COLUMNS = ["reference", "summary", "practice", "severity", "status", "channel", "assignee", "response due",
           "resolution due"]  # fmt: skip


def cell(html, incident, column):
    return rows(html)[incident.reference][COLUMNS.index(column)]


# --- Served from the cache ------------------------------------------------------------------------


def test_a_second_visit_is_served_from_the_cache_and_looks_the_same(
    incident, agent_client, django_assert_num_queries
):
    """Guards against the cache never being used (as many queries on every visit) and against a cached
    page that differs from the page it stands for."""
    with django_assert_num_queries(CHANGELIST_QUERIES):
        first = page(agent_client)
    with django_assert_num_queries(CACHED_CHANGELIST_QUERIES):
        second = page(agent_client)

    assert list(rows(first)) == [incident.reference]
    assert second == first


@pytest.fixture
def two_incidents(incident, practice_user, agent):
    """The incident (logged) and a second one (verified), summaries "Printer..." and "Scanner..."."""
    other = IncidentFactory(reporter=practice_user, product=incident.product, summary="Scanner offline")
    services.incident_verify(other, actor=agent)
    return incident, other


def test_a_filtered_list_has_its_own_cached_page(agent_client, two_incidents):
    incident, other = two_incidents
    assert set(rows(page(agent_client))) == {incident.reference, other.reference}

    for _ in range(2):  # rendered, then from the cache
        assert set(rows(page(agent_client, {"status__exact": "logged"}))) == {incident.reference}


def test_each_sort_order_has_its_own_cached_page(agent_client, two_incidents):
    incident, other = two_incidents
    column = str(list(IncidentAdmin.list_display).index("summary"))
    for _ in range(2):
        assert list(rows(page(agent_client, {"o": column}))) == [incident.reference, other.reference]
        assert list(rows(page(agent_client, {"o": f"-{column}"}))) == [other.reference, incident.reference]


def test_each_page_has_its_own_cached_page(agent_client, two_incidents, monkeypatch):
    monkeypatch.setattr(IncidentAdmin, "list_per_page", 1)
    for _ in range(2):
        first, second = (list(rows(page(agent_client, {"p": number}))) for number in ("1", "2"))
        assert len(first) == len(second) == 1
        assert first != second


# --- Changes show on the next visit -----------------------------------------------------------------


def test_an_incident_logged_by_another_practice_shows_on_the_next_visit(agent_client, incident, outsider):
    """Guards against a list kept per practice: the desk's list shows every practice's incidents."""
    page(agent_client)

    logged = IncidentFactory(reporter=outsider, product=incident.product, summary="Pharmacy link down")

    assert set(rows(page(agent_client))) == {incident.reference, logged.reference}


def test_status_and_assignee_changes_show_on_the_next_visit(agent_client, agent, incident):
    page(agent_client)

    services.incident_assign(incident, actor=agent, assignee=agent)
    services.incident_verify(Incident.objects.get(pk=incident.pk), actor=agent)

    html = page(agent_client)
    assert cell(html, incident, "status") == Incident.objects.get(pk=incident.pk).get_status_display()
    assert cell(html, incident, "status") != "Logged"
    assert cell(html, incident, "assignee") == str(agent)


def test_a_public_answer_from_the_desk_shows_as_answered(agent_client, agent, incident):
    """The note marks the incident answered with a queryset update, which sends no model signal."""
    with time_machine.travel(LOGGED_AT + timedelta(minutes=5), tick=False):
        assert cell(page(agent_client), incident, "response due") != "answered"

        services.incident_add_note(incident, actor=agent, text="We are looking at it.", public=True)

        assert cell(page(agent_client), incident, "response due") == "answered"


def rename_practice(incident, agent):
    incident.practice.name = "Renamed Surgery"
    incident.practice.save()
    return str(incident.practice), lambda html: cell(html, incident, "practice")


def rename_assignee(incident, agent):
    agent.full_name = "Renamed Agent"
    agent.save()
    return str(agent), lambda html: cell(html, incident, "assignee")


def rename_product(incident, agent):
    incident.product.name = "Renamed Product"
    incident.product.save()
    return "Renamed Product", lambda html: re.findall(r">(Renamed Product|Synergy Clinical)</a>", html)[0]


@pytest.mark.parametrize("rename", [rename_practice, rename_assignee, rename_product])
def test_renamed_practices_assignees_and_products_show_on_the_next_visit(
    agent_client, agent, incident, rename
):
    ProductFactory()  # with a second product, the list offers a product filter
    services.incident_assign(incident, actor=agent, assignee=agent)
    page(agent_client)

    expected, shown = rename(
        Incident.objects.select_related("practice", "product").get(pk=incident.pk), agent
    )

    assert "Renamed" in expected
    assert shown(page(agent_client)) == expected


def test_an_sla_shows_overdue_once_its_time_passes_with_no_write(agent_client, incident):
    """Guards against a kept page outliving the moment a row it shows falls overdue: nothing is written
    then, so no token is forgotten; the page's own expiry must end it."""
    due = Incident.objects.get(pk=incident.pk).response_due_at
    with time_machine.travel(due - timedelta(minutes=1), tick=False):
        assert "OVERDUE" not in cell(page(agent_client), incident, "response due")
        assert "OVERDUE" not in cell(page(agent_client), incident, "response due")  # kept
    with time_machine.travel(due + timedelta(seconds=1), tick=False):
        assert "OVERDUE" in cell(page(agent_client), incident, "response due")


# --- Per agent ------------------------------------------------------------------------------------


def action_token(html):
    return re.search(r'<form id="changelist-form".*?name="csrfmiddlewaretoken" value="([^"]+)"', html, re.S)[
        1
    ]


def test_a_cached_page_carries_a_working_csrf_token_of_each_visitors_own(agent, incident):
    """Guards against the token of whoever's visit was cached being served to the next visitor: the
    same agent in a second browser (another CSRF cookie) must be able to use the page's forms."""
    first_browser = signed_in(agent, enforce_csrf_checks=True)
    second_browser = signed_in(agent, enforce_csrf_checks=True)
    first_browser.get(CHANGELIST_URL)
    cached = second_browser.get(CHANGELIST_URL).content.decode()

    response = second_browser.post(
        CHANGELIST_URL,
        {"action": "assign_to_me", "_selected_action": [incident.pk], "index": 0,
         "csrfmiddlewaretoken": action_token(cached)},
    )  # fmt: skip

    assert response.status_code == 302
    assert Incident.objects.get(pk=incident.pk).assignee == agent


def test_each_agent_gets_their_own_page(agent_client, agent, incident):
    """Guards against one agent's page (their name in the header, their permissions) shown to another."""
    other_agent = UserFactory(is_staff=True, full_name="Second Agent", email="second.agent@example.com")
    other_agent.groups.add(Group.objects.get(name=AGENTS))
    page(agent_client)

    welcome = re.compile(r"Welcome,\s*<strong>(\w+)</strong>")
    assert welcome.search(page(signed_in(other_agent)))[1] == "Second"
    assert welcome.search(page(agent_client))[1] == agent.get_short_name() != "Second"


def test_a_message_shows_once_and_the_list_after_it_is_current(agent_client, agent, incident):
    """Guards against a kept page hiding the message an action left (or showing it again), and against
    the page kept before the action being served after it."""
    page(agent_client)

    agent_client.post(
        CHANGELIST_URL, {"action": "assign_to_me", "_selected_action": [incident.pk], "index": 0}
    )
    after = page(agent_client)
    again = page(agent_client)

    assert "1 incident(s) assigned." in after
    assert "assigned." not in again
    assert cell(after, incident, "assignee") == cell(again, incident, "assignee") == str(agent)


def test_an_agent_whose_permission_goes_is_refused_at_once(agent, agent_client, incident):
    """Guards against a kept page being served to someone no longer allowed to see it."""
    page(agent_client)

    agent.groups.clear()

    assert agent_client.get(CHANGELIST_URL).status_code == 403


def test_the_permission_check_runs_even_when_the_page_is_kept(agent_client, incident, monkeypatch):
    """The page's key changes with any permission change; the check itself must not rely on that."""
    page(agent_client)
    monkeypatch.setattr(IncidentAdmin, "has_view_or_change_permission", lambda self, request, obj=None: False)

    assert agent_client.get(CHANGELIST_URL).status_code == 403


# --- Not cached -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", [{"q": "Printer"}, {"sla": "response_breached"}, {"_facets": "True"}, {"p": "21"}, {"p": "²"}]
)
def test_searches_clock_filters_counts_and_far_pages_are_rendered_afresh(agent_client, incident, query):
    """The SLA filter and the filters' counts ("Show counts") compare with the clock; "²" is a digit to
    str.isdigit() but not a page number (once a 500)."""
    agent_client.get(CHANGELIST_URL, query)
    with CaptureQueriesContext(connection) as captured:
        response = agent_client.get(CHANGELIST_URL, query)
    assert response.status_code == 200
    assert len(captured) > CACHED_CHANGELIST_QUERIES


def test_with_the_cache_unreachable_the_list_still_shows_and_stays_current(
    agent_client, agent, incident, settings
):
    settings.CACHES = UNREACHABLE_CACHE
    assert cell(page(agent_client), incident, "status") == "Logged"

    services.incident_verify(incident, actor=agent)

    assert (
        cell(page(agent_client), incident, "status")
        == Incident.objects.get(pk=incident.pk).get_status_display()
    )


def test_a_page_cache_time_of_zero_turns_the_cache_off(
    incident, agent_client, settings, django_assert_num_queries
):
    settings.PAGE_CACHE_SECONDS = 0
    page(agent_client)
    with django_assert_num_queries(CHANGELIST_QUERIES):
        page(agent_client)
