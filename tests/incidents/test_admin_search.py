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

from incidents.models import Incident
from tests.factories import IncidentFactory

CHANGELIST_URL = "/admin/incidents/incident/"


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


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


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigram index is PostgreSQL's (migration 0006)"
)
def test_postgresql_answers_the_search_from_indexes_on_the_incidents_alone(agent, printer, scanner):
    """With every plan but bitmap index scans priced out, the search still needs no sequential scan of
    the incidents: each part of it has an index (a query that cannot be answered otherwise shows 'Seq
    Scan' all the same). Pricing out plain index scans keeps the planner from walking a whole index
    with a filter, which a small table makes cheap."""
    request = RequestFactory().get(CHANGELIST_URL, {"q": "printer"})
    request.user = agent
    model_admin = admin.site._registry[Incident]
    searched, _ = model_admin.get_search_results(request, Incident.objects.all(), "printer queue")

    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
        plan = searched.order_by("-created_at").explain()

    assert "Seq Scan on incidents_incident" not in plan, plan
    assert "incident_summary_trgm" in plan, plan
    assert list(searched) == [printer]
