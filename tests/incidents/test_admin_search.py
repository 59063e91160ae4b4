"""Admin's incident search: what it finds, and that PostgreSQL can answer it from indexes.

Guards against the search reading every incident (Django's own search ORs across the incidents and the
practices they join, which no index serves: seconds per search at a million incidents), and against the
rewrite that avoids it finding something other than `search_fields` promises.
"""

import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from incidents.admin import IncidentAdmin
from incidents.models import Incident
from servicedesk.lib.admin import SEARCH_MAX_WORDS
from tests.factories import IncidentFactory

CHANGELIST_URL = "/admin/incidents/incident/"


@pytest.fixture
def printer(practice_user, product):
    return IncidentFactory(reporter=practice_user, product=product, summary="Printer queue stuck")


@pytest.fixture
def scanner(outsider, product):
    return IncidentFactory(reporter=outsider, product=product, summary="Scanner will not start")


def found(agent_client, q):
    response = agent_client.get(CHANGELIST_URL, {"q": q})
    assert response.status_code == 200
    return sorted(set(re.findall(r">([A-Z]+\d{6})</a>", response.content.decode())))


@pytest.mark.parametrize(
    "q",
    [
        "{printer.reference}",
        "{printer_reference_lower}",
        "riverside",
        '"RIVERSIDE MEDICAL"',  # a quoted phrase is one word
        "{printer.practice.practice_id}",
        "{practice_id_lower}",
        "queue",
        "QUEUE stuck",
        "riverside printer",  # one word in the practice's name, the other in the summary
    ],
)
def test_each_kind_of_search_finds_the_incident_and_only_it(agent_client, printer, scanner, q):
    q = q.format(
        printer=printer,
        printer_reference_lower=printer.reference.lower(),
        practice_id_lower=printer.practice.practice_id.lower(),
    )

    assert found(agent_client, q) == [printer.reference]


@pytest.mark.parametrize(
    "q",
    [
        "riverside scanner",  # each word must match: the practice is one incident's, the summary the other's
        '"queue printer"',  # a quoted phrase is one word, in that order
        "{printer_reference_digits}",  # a reference is matched whole
        "%",  # matched literally, not as a pattern
        "_",
    ],
)
def test_searches_that_match_no_incident_find_none(agent_client, printer, scanner, q):
    q = q.format(printer_reference_digits=printer.reference[2:])

    assert found(agent_client, q) == []


def test_a_practice_name_finds_all_its_incidents_and_no_others(
    agent_client, printer, scanner, practice_user, product
):
    second = IncidentFactory(reporter=practice_user, product=product, summary="Screen flickers")

    assert found(agent_client, "Riverside") == sorted([printer.reference, second.reference])
    assert found(agent_client, "Hillview") == [scanner.reference]


def test_quote_marks_alone_or_spaces_alone_search_for_nothing_in_particular(agent_client, printer, scanner):
    everything = sorted([printer.reference, scanner.reference])

    assert found(agent_client, '"') == everything  # an empty phrase, as Django's own search reads it
    assert found(agent_client, "   ") == everything
    assert found(agent_client, "'queue stuck'") == [printer.reference]


def test_a_word_given_many_times_is_looked_up_once(agent_client, printer, scanner):
    """Guards against each repetition adding its own practice look-up (a long search of one short word
    made a query per word)."""
    found(agent_client, "riverside")  # the cache of permissions and tokens filled
    with CaptureQueriesContext(connection) as once:
        assert found(agent_client, "riverside") == [printer.reference]
    with CaptureQueriesContext(connection) as repeated:
        assert found(agent_client, " ".join(["riverside"] * SEARCH_MAX_WORDS)) == [printer.reference]

    assert len(repeated) == len(once)


def test_a_word_in_many_practices_names_finds_all_their_incidents(
    agent_client, printer, scanner, monkeypatch
):
    """Past SEARCH_PRACTICES_LISTED matching practices, they are named by a subquery: same answer."""
    monkeypatch.setattr("incidents.admin.SEARCH_PRACTICES_LISTED", 1)

    assert found(agent_client, "i") == sorted([printer.reference, scanner.reference])  # Riverside, Hillview
    assert found(agent_client, "surgery") == [scanner.reference]  # one practice: listed


def test_other_search_fields_get_djangos_own_search(agent_client, printer, scanner, monkeypatch):
    monkeypatch.setattr(IncidentAdmin, "search_fields", ["summary"])

    assert found(agent_client, "riverside") == []  # the practice's name is no longer searched
    assert found(agent_client, "queue") == [printer.reference]


DISABLED = 1e10  # what PostgreSQL adds to the cost of a plan node that its settings price out


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigram index is PostgreSQL's (migration 0006)"
)
@pytest.mark.parametrize(
    ("word", "index", "matches"),
    [
        ("riverside", "incident_practice_newest", "printer"),  # in a practice's name: its incidents
        ("printer", "incident_summary_trgm", "printer"),  # in the summary
        ("hillview", "incident_practice_newest", "scanner"),
    ],
)
def test_postgresql_answers_each_word_from_indexes_on_the_incidents_alone(
    agent, printer, scanner, word, index, matches
):
    """With every plan but bitmap index scans priced out, a word's search still has no priced-out node:
    each of its parts (the practices named, the summary, the reference) has an index, so PostgreSQL
    can combine them instead of reading every incident. Pricing out plain index scans keeps the planner
    from walking a whole index with a filter, which a small table makes cheap."""
    request = RequestFactory().get(CHANGELIST_URL, {"q": word})
    request.user = agent
    searched, _ = admin.site._registry[Incident].get_search_results(request, Incident.objects.all(), word)

    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
        plan = searched.order_by("-created_at").explain()

    costs = [float(cost) for cost in re.findall(r"cost=[\d.]+\.\.([\d.]+)", plan)]
    assert costs and max(costs) < DISABLED, plan
    assert "BitmapOr" in plan and index in plan, plan
    assert list(searched) == [{"printer": printer, "scanner": scanner}[matches]]
