"""The practice's incident list as it opens (issue 16): what waits for the practice first, then what is with
the desk by latest update; closed ones on their tab; tags, last update, sorting, counts, and the greeting
that says what changed since the last visit."""

import datetime as dt
import re

import pytest
import time_machine

from incidents.services import incident_add_note
from tests.factories import IncidentFactory
from tests.incidents.helpers import LIST_QUERIES
from tests.incidents.lifecycle_helpers import drive_to

START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def at(hours):
    return time_machine.travel(START + dt.timedelta(hours=hours), tick=False)


@pytest.fixture(autouse=True)
def _at_fixed_dates(settings):
    """Every test here runs wholly at fixed dates: its users and product are made, and its client signs in,
    half an hour before START (autouse fixtures come first); each step then travels to its hour. The steps
    are hours apart in one session, so the idle sign-out (tested on its own) is lengthened here."""
    settings.SESSION_IDLE_MINUTES = 24 * 60
    with time_machine.travel(START - dt.timedelta(minutes=30), tick=False):
        yield


def sections(response):
    """{section heading: [references in the order shown]} of the table layout."""
    html = response.content.decode()
    found = {}
    for block in re.findall(r"<section.*?</section>", html, re.S):
        heading = re.search(r'<h2 class="h4" id="group-\d">(.*?) <span', block).group(1)
        found[heading] = re.findall(r'<td><a href="/incidents/([^/"]+)/">', block)
    return found


@pytest.fixture
def practice_incidents(practice_user, agent, product):
    """Four incidents of one practice, logged an hour apart: one with the desk, one asked a question, one
    resolved, one closed; then a note on the first, the latest update of all."""
    with at(0):
        with_desk = IncidentFactory(reporter=practice_user, product=product, summary="Printer offline")
    with at(1):
        asked = drive_to(
            IncidentFactory(reporter=practice_user, product=product, summary="Scanner"), "awaiting_customer",
            agent=agent,
        )  # fmt: skip
    with at(2):
        resolved = drive_to(
            IncidentFactory(reporter=practice_user, product=product, summary="Docman"),
            "resolved",
            agent=agent,
        )
    with at(3):
        closed = drive_to(
            IncidentFactory(reporter=practice_user, product=product, summary="Old fault"),
            "closed",
            agent=agent,
        )
    with at(4):
        incident_add_note(with_desk, actor=agent, text="We have restarted the print spooler.")
    return {"with_desk": with_desk, "asked": asked, "resolved": resolved, "closed": closed}


def test_list_opens_on_what_waits_for_the_practice_then_what_is_with_the_desk(
    user_client, practice_incidents
):
    with at(5):
        response = user_client.get("/incidents/")

    shown = sections(response)
    assert list(shown) == ["Waiting for you", "With the Service Desk"]
    # The latest update first: the resolution (hour 2) before the question (hour 1).
    assert shown["Waiting for you"] == [
        practice_incidents["resolved"].reference,
        practice_incidents["asked"].reference,
    ]
    assert shown["With the Service Desk"] == [practice_incidents["with_desk"].reference]
    html = response.content.decode()
    assert "<strong>The desk has asked you a question</strong>: “Which printer model do you use?”" in html
    assert "Confirm or reject the solution" in html
    assert practice_incidents["closed"].reference not in html


def test_closed_incidents_are_on_their_own_tab_with_counts_on_both(user_client, practice_incidents):
    with at(5):
        opened = user_client.get("/incidents/").content.decode()
        closed = user_client.get("/incidents/", {"show": "closed"})

    assert re.search(r'aria-current="page" href="\?show=open">Open <span[^>]*>3</span>', opened)
    assert re.search(r'href="\?show=closed">Closed <span[^>]*>1</span>', opened)
    assert 'Waiting for you <span class="badge rounded-pill text-bg-secondary">2</span>' in opened
    assert sections(closed) == {"Closed": [practice_incidents["closed"].reference]}


def test_status_and_severity_are_tags_with_their_words(user_client, practice_incidents):
    with at(5):
        html = user_client.get("/incidents/").content.decode()

    assert '<strong class="tag tag-orange">Awaiting customer</strong>' in html
    assert '<strong class="tag tag-green">Resolved</strong>' in html
    assert '<strong class="tag tag-yellow">3 – Minor fault</strong>' in html


def test_last_update_is_relative_with_the_exact_time_in_its_title(user_client, practice_incidents):
    with at(6):
        html = user_client.get("/incidents/").content.decode()

    # The note at 13:00 UTC on 3 March 2025 is 13:00 in London (GMT), two hours before.
    assert re.search(
        r'<time datetime="2025-03-03T13:00:00\+00:00" title="3 March 2025, 13:00">2\xa0hours ago</time>', html
    )


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-updated", ["with_desk"]),
        ("severity", ["major", "with_desk"]),
        ("-severity", ["with_desk", "major"]),
        ("reference", ["with_desk", "major"]),
        ("-reference", ["major", "with_desk"]),
        ("updated", ["major", "with_desk"]),
    ],
)
def test_sorting_within_groups_by_the_allow_listed_columns(
    user_client, practice_incidents, product, sort, expected
):
    with at(3.5):
        major = IncidentFactory(
            reporter=practice_incidents["with_desk"].reporter, product=product, severity=2
        )
    names = {practice_incidents["with_desk"].reference: "with_desk", major.reference: "major"}

    with at(5):
        response = user_client.get("/incidents/", {"sort": sort})

    desk = [names[reference] for reference in sections(response)["With the Service Desk"]]
    if sort == "-updated":  # the default: the note (hour 4) is newer than the major fault (hour 3.5)
        expected = ["with_desk", "major"]
    assert desk == expected
    # The waiting group stays above, whatever the order within groups.
    assert list(sections(response))[0] == "Waiting for you"


def test_the_sorted_column_says_so_and_its_link_reverses_it(user_client, practice_incidents):
    with at(5):
        html = user_client.get("/incidents/", {"sort": "severity"}).content.decode()

    assert re.search(r'<th scope="col" aria-sort="ascending">\s*<a href="\?sort=-severity"', html)
    assert '<a href="?sort=-updated" class="sort-link">Last update' in html


def test_an_unknown_sort_is_reported_and_the_default_applies(user_client, practice_incidents):
    with at(5):
        response = user_client.get("/incidents/", {"sort": "reporter__password"})

    assert "This filter was not applied." in response.content.decode()
    assert sections(response)["Waiting for you"][0] == practice_incidents["resolved"].reference


# --- The greeting -------------------------------------------------------------------------------


def greeting(response):
    match = re.search(r'<p class="greeting mb-3" id="greeting">(.*?)</p>', response.content.decode(), re.S)
    return " ".join(match.group(1).split()) if match else None


def test_first_visit_greets_with_what_waits(user_client, practice_user, practice_incidents):
    with at(5):
        response = user_client.get("/incidents/")

    assert greeting(response) == "Hello Alex. 2 incidents are waiting for you."


def test_the_next_visit_says_what_others_changed_since_the_last(
    user_client, practice_user, colleague, agent, practice_incidents
):
    with at(5):
        user_client.get("/incidents/")
    with at(6):
        incident_add_note(practice_incidents["with_desk"], actor=agent, text="Spooler fixed?")
        incident_add_note(practice_incidents["closed"], actor=colleague, text="For the record.")
        incident_add_note(practice_incidents["asked"], actor=practice_user, text="My own note.")
    with at(7):
        response = user_client.get("/incidents/")

    # Two updated by others (the user's own note does not count); the visit at 05:00 UTC is 14:00 London.
    assert (
        greeting(response)
        == "Hello Alex. Since your last visit (3 Mar, 14:00): 2 incidents updated, 2 waiting for you."
    )


def test_signing_out_keeps_the_last_visit_for_the_next_session(
    client, practice_user, agent, practice_incidents
):
    client.force_login(practice_user)
    with at(5):
        client.get("/incidents/")
    with at(6):
        client.post("/accounts/logout/")
        incident_add_note(practice_incidents["with_desk"], actor=agent, text="Spooler fixed?")
    practice_user.refresh_from_db()
    assert practice_user.last_list_visit == START + dt.timedelta(hours=5)

    client.force_login(practice_user)
    with at(7):
        response = client.get("/incidents/")

    assert (
        greeting(response)
        == "Hello Alex. Since your last visit (3 Mar, 14:00): 1 incident updated, 2 waiting for you."
    )


def test_a_visit_with_nothing_new_says_so(user_client, practice_incidents):
    with at(5):
        user_client.get("/incidents/")
    with at(6):
        response = user_client.get("/incidents/")

    assert (
        greeting(response)
        == "Hello Alex. Since your last visit (3 Mar, 14:00): no updates, 2 waiting for you."
    )


def test_a_searched_or_filtered_list_has_no_greeting_and_keeps_the_last_visit(
    user_client, practice_user, incident
):
    with at(5):
        response = user_client.get("/incidents/", {"q": "problem"})

    assert greeting(response) is None
    assert "incident_list_seen" not in user_client.session


# --- Query count --------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 30])
def test_list_with_groups_and_greeting_keeps_its_query_count(
    user_client, practice_user, agent, product, django_assert_num_queries, count
):
    for n in range(count):
        incident = IncidentFactory(reporter=practice_user, product=product)
        if n % 2:
            drive_to(incident, "resolved", agent=agent)
            incident_add_note(incident, actor=agent, text="A note.")
    user_client.get("/incidents/")  # a previous visit: the greeting counts updates since

    with django_assert_num_queries(LIST_QUERIES):
        response = user_client.get("/incidents/")

    assert len(re.findall(r'<td><a href="/incidents/', response.content.decode())) == min(count, 25)


def test_another_practices_incidents_count_nowhere(user_client, outsider, agent, product, practice_incidents):
    with at(4.5):
        theirs = drive_to(IncidentFactory(reporter=outsider, product=product), "resolved", agent=agent)

    with at(5):
        response = user_client.get("/incidents/")

    assert greeting(response) == "Hello Alex. 2 incidents are waiting for you."
    assert theirs.reference not in response.content.decode()
