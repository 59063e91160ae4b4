"""The practice's incident list and an incident's page: order, paging, filters, search, query counts."""

import datetime as dt
import re

import pytest
import time_machine

from incidents.models import TimelineEvent
from tests.factories import IncidentFactory, ProductFactory
from tests.incidents.helpers import BANNER_CANDIDATES, DETAIL_QUERIES, LIST_QUERIES


def listed(response):
    """The references in the list, in the order shown."""
    return re.findall(r'<td><a href="/incidents/([^/"]+)/">', response.content.decode())


@pytest.fixture
def logged_over_days(practice_user, product):
    """Incidents logged one a day, oldest first; returns their references in that order."""

    def log(count, **kwargs):
        references = []
        start = dt.datetime(2025, 3, 3, 10, 0, tzinfo=dt.UTC)
        for day in range(count):
            with time_machine.travel(start + dt.timedelta(days=day), tick=False):
                references.append(
                    IncidentFactory(reporter=practice_user, product=product, **kwargs).reference
                )
        return references

    return log


# --- Order and pages ----------------------------------------------------------------------------


def test_list_shows_the_newest_incident_first(user_client, logged_over_days):
    references = logged_over_days(3)

    assert listed(user_client.get("/incidents/")) == references[::-1]


def test_newest_first_even_when_references_were_issued_in_another_order(user_client, practice_user, product):
    with time_machine.travel(dt.datetime(2025, 3, 5, 10, 0, tzinfo=dt.UTC), tick=False):
        later = IncidentFactory(reporter=practice_user, product=product)
    with time_machine.travel(dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.UTC), tick=False):
        earlier = IncidentFactory(reporter=practice_user, product=product)

    assert listed(user_client.get("/incidents/")) == [later.reference, earlier.reference]


def test_list_pages_at_25_and_page_two_holds_the_rest(user_client, logged_over_days):
    references = logged_over_days(27)

    first = user_client.get("/incidents/")
    second = user_client.get("/incidents/", {"page": "2"})

    assert listed(first) == references[::-1][:25]
    assert listed(second) == references[1::-1]
    assert "Page 2 of 2" in second.content.decode()


def test_page_links_keep_the_filters(user_client, logged_over_days):
    logged_over_days(27, severity=2)

    response = user_client.get("/incidents/", {"severity": "2"})

    assert 'href="?severity=2&amp;page=2"' in response.content.decode()


@pytest.mark.parametrize(
    ("page", "expected"), [("999", "Page 2 of 2"), ("abc", "Page 1 of 2"), ("0", "Page 2 of 2")]
)
def test_a_page_out_of_range_or_not_a_number_still_shows_a_page(
    user_client, logged_over_days, page, expected
):
    logged_over_days(26)

    response = user_client.get("/incidents/", {"page": page})

    assert response.status_code == 200
    assert expected in response.content.decode()
    assert listed(response)


# --- Filters and search -------------------------------------------------------------------------


def test_filter_by_status(user_client, incident):
    logged = user_client.get("/incidents/", {"status": "logged"})
    investigating = user_client.get("/incidents/", {"status": "investigating"})

    assert listed(logged) == [incident.reference]
    assert listed(investigating) == []
    assert "No incidents match" in investigating.content.decode()


def test_filter_by_severity(user_client, practice_user, product):
    major = IncidentFactory(reporter=practice_user, product=product, severity=2)
    IncidentFactory(reporter=practice_user, product=product, severity=4)

    assert listed(user_client.get("/incidents/", {"severity": "2"})) == [major.reference]


def test_filter_by_product(user_client, practice_user, product):
    docman = IncidentFactory(reporter=practice_user, product=ProductFactory(name="Docman"))
    IncidentFactory(reporter=practice_user, product=product)

    assert listed(user_client.get("/incidents/", {"product": docman.product_id})) == [docman.reference]


def test_search_by_reference_ignores_case_but_must_be_exact(user_client, practice_user, product):
    wanted = IncidentFactory(reporter=practice_user, product=product)
    IncidentFactory(reporter=practice_user, product=product)

    assert listed(user_client.get("/incidents/", {"q": wanted.reference.lower()})) == [wanted.reference]
    assert listed(user_client.get("/incidents/", {"q": wanted.reference[:-1]})) == []


def test_search_by_words_in_the_summary(user_client, practice_user, product):
    printer = IncidentFactory(reporter=practice_user, product=product, summary="Printer queue stuck")
    IncidentFactory(reporter=practice_user, product=product, summary="Scanner offline")

    assert listed(user_client.get("/incidents/", {"q": "  queue "})) == [printer.reference]
    assert listed(user_client.get("/incidents/", {"q": "PRINTER"})) == [printer.reference]


@pytest.mark.parametrize(
    "query", [{"severity": "9"}, {"status": "bogus"}, {"product": "abc"}, {"product": "999999"}]
)
def test_an_invalid_filter_is_reported_and_ignored(user_client, incident, query):
    response = user_client.get("/incidents/", query)

    assert response.status_code == 200
    assert "This filter was not applied." in response.content.decode()
    assert listed(response) == [incident.reference]


# --- Detail -------------------------------------------------------------------------------------


def test_detail_shows_the_record_and_its_public_timeline(user_client, practice_user, incident):
    TimelineEvent.objects.create(incident=incident, kind="note", actor=None, text="We are looking into it.")
    TimelineEvent.objects.create(
        incident=incident, kind="note", actor=None, public=False, text="Internal: probably the driver."
    )

    html = user_client.get(f"/incidents/{incident.reference}/").content.decode()

    assert incident.reference in html
    assert incident.summary in html
    assert f"Logged</strong> by {practice_user.full_name}" in html
    assert "We are looking into it." in html
    assert "Internal: probably the driver." not in html


# --- Query counts -------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 40])
def test_list_query_count_does_not_grow_with_the_practice(
    user_client, practice_user, product, django_assert_num_queries, count
):
    IncidentFactory.create_batch(count, reporter=practice_user, product=product)

    with django_assert_num_queries(LIST_QUERIES + BANNER_CANDIDATES):
        response = user_client.get("/incidents/")

    assert len(listed(response)) == min(count, 25)


@pytest.mark.parametrize("count", [1, 10])
def test_detail_query_count_does_not_grow_with_the_timeline(
    user_client, incident, django_assert_num_queries, count
):
    for n in range(count - 1):  # the incident already has its "logged" event
        TimelineEvent.objects.create(
            incident=incident, kind="note", actor=incident.reporter, text=f"Note {n}"
        )

    with django_assert_num_queries(DETAIL_QUERIES + BANNER_CANDIDATES):
        response = user_client.get(f"/incidents/{incident.reference}/")

    assert response.content.decode().count("data-event=") == count
