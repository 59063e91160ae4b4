"""Permissions kept in the cache (accounts.backends.PracticeModelBackend) change as soon as they are changed.

Guards against a cached permission outliving its revocation: an agent taken out of the agents' group, or
a group losing a permission, must lose that access on the very next request, not when the cache expires.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.roles import AGENTS

CHANGELIST_URL = "/admin/incidents/incident/"
RESULTS_URL = "/surveys/results/"


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    assert client.get(CHANGELIST_URL).status_code == 200  # permissions now in the cache
    return client


def _permission_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries if "auth_permission" in q["sql"]]


def test_a_second_staff_page_does_not_read_permissions_again(agent_client):
    assert _permission_queries(agent_client, CHANGELIST_URL) == []


def test_leaving_the_agents_group_takes_admin_away_at_once(agent_client, agent):
    agent.groups.remove(Group.objects.get(name=AGENTS))

    assert agent_client.get(CHANGELIST_URL).status_code == 403


def test_a_group_losing_a_permission_loses_it_at_once(agent_client):
    view = Permission.objects.get(codename="view_incident")
    change = Permission.objects.get(codename="change_incident")
    Group.objects.get(name=AGENTS).permissions.remove(view, change)

    assert agent_client.get(CHANGELIST_URL).status_code == 403


def test_a_permission_given_to_a_person_applies_at_once(client, team_leader, agent):
    client.force_login(agent)
    assert client.get(RESULTS_URL).status_code == 403

    agent.user_permissions.add(Permission.objects.get(codename="view_response"))

    assert client.get(RESULTS_URL).status_code == 200


def test_signing_in_does_not_forget_everyone_s_permissions(agent_client, agent):
    agent.save(update_fields=["last_login"])

    assert _permission_queries(agent_client, CHANGELIST_URL) == []


def test_any_other_change_to_a_person_reads_permissions_afresh(agent_client, agent):
    agent.full_name = "Casey Agent-Smith"
    agent.save()  # as admin's user form saves: superuser and staff status may have changed

    assert _permission_queries(agent_client, CHANGELIST_URL) != []


def test_each_person_keeps_their_own_permissions(team_leader, agent_client):
    leader_client = Client()
    leader_client.force_login(team_leader)

    assert leader_client.get(RESULTS_URL).status_code == 200
    assert agent_client.get(RESULTS_URL).status_code == 403
