"""The admin incident list must not count a large table row by row just to draw its page links."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from servicedesk.lib import pagination
from tests.factories import IncidentFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the planner's row estimate exists on PostgreSQL only"
)


def _changelist_counts(agent_client, query=""):
    with CaptureQueriesContext(connection) as queries:
        response = agent_client.get(f"/admin/incidents/incident/{query}")
    assert response.status_code == 200
    return [q["sql"] for q in queries if "COUNT(*)" in q["sql"] and "incidents_incident" in q["sql"]]


def test_unfiltered_changelist_of_a_large_table_uses_the_estimate(agent_client, practice_user, monkeypatch):
    IncidentFactory.create_batch(3, reporter=practice_user)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_incident")
    monkeypatch.setattr(pagination, "ESTIMATE_ABOVE", 1)  # three rows count as "large" here

    assert _changelist_counts(agent_client, "?state=all") == []  # every incident: the list unfiltered


def test_a_filtered_changelist_counts_exactly(agent_client, practice_user, monkeypatch):
    IncidentFactory.create_batch(3, reporter=practice_user)
    monkeypatch.setattr(pagination, "ESTIMATE_ABOVE", 1)

    assert len(_changelist_counts(agent_client, "?severity__exact=3")) == 1


def test_the_list_as_it_opens_counts_its_open_incidents_exactly(agent_client, practice_user, monkeypatch):
    IncidentFactory.create_batch(3, reporter=practice_user)
    monkeypatch.setattr(pagination, "ESTIMATE_ABOVE", 1)

    [count] = _changelist_counts(agent_client)
    assert """NOT ("incidents_incident"."status" = 'closed')""" in count  # from the index of open incidents
