"""The incident changelist's rows (servicedesk/templatetags/admin_rows.py) against Django's own.

Guards against the faster row rendering drifting from what Django's result_list would show: a missing
column, a value shown raw instead of escaped, a lost action checkbox (bulk actions would select
nothing) or a change link that forgets the filters the agent came from.
"""

import re

import pytest
import time_machine
from django.conf import settings
from django.test.html import parse_html

from incidents.admin import IncidentAdmin
from incidents.models import Incident
from incidents.services import incident_assign, incident_start_investigation, incident_verify
from tests.factories import IncidentFactory, UserFactory

CHANGELIST_URL = "/admin/incidents/incident/"


def _tbody(response):
    html = response.content.decode()
    return parse_html(re.search(r"<tbody>.*</tbody>", html, re.S).group(0))


def _both(agent_client, monkeypatch, url):
    monkeypatch.setattr(settings, "PAGE_CACHE_SECONDS", 0)  # both rendered, neither from the cache
    quick = agent_client.get(url)
    monkeypatch.setattr(IncidentAdmin, "change_list_template", "admin/change_list.html")
    django = agent_client.get(url)
    assert quick.status_code == django.status_code == 200
    quick_template = "admin/incidents/incident/change_list.html"
    assert quick_template in [t.name for t in quick.templates]
    assert quick_template not in [t.name for t in django.templates]
    assert "admin/change_list.html" in [t.name for t in django.templates]
    return quick, django


@pytest.fixture
def varied_incidents(practice_user, agent):
    """Rows with each kind of cell: assigned and not, answered, overdue and paused clocks, markup."""
    with time_machine.travel("2026-11-02 10:00 +00:00", tick=False):
        overdue = IncidentFactory(reporter=practice_user, summary="<b>Overdue</b> & unassigned")
    IncidentFactory(reporter=UserFactory(practice=practice_user.practice), severity=1)
    answered = IncidentFactory(reporter=practice_user, summary="Quote \" and apostrophe '")
    incident_assign(answered, actor=agent, assignee=agent)
    incident_verify(Incident.objects.get(pk=answered.pk), actor=agent)
    incident_start_investigation(Incident.objects.get(pk=answered.pk), actor=agent)
    return overdue


def test_the_quick_rows_are_the_rows_django_renders(agent_client, agent, varied_incidents, monkeypatch):
    quick, django = _both(agent_client, monkeypatch, CHANGELIST_URL)

    assert _tbody(quick) == _tbody(django)
    assert "&lt;b&gt;Overdue&lt;/b&gt; &amp; unassigned" in quick.content.decode()
    assert quick.content.decode().count('class="action-select"') == 3


def test_filtered_rows_link_back_to_the_same_filters(agent_client, varied_incidents, monkeypatch):
    url = f"{CHANGELIST_URL}?status__exact=investigating"
    quick, django = _both(agent_client, monkeypatch, url)

    assert _tbody(quick) == _tbody(django)
    assert "_changelist_filters=status__exact%3Dinvestigating" in quick.content.decode()


def test_bulk_actions_still_act_on_the_ticked_rows(agent_client, agent, varied_incidents):
    page = agent_client.get(CHANGELIST_URL).content.decode()
    ticked = re.findall(r'name="_selected_action" value="(\d+)"', page)

    response = agent_client.post(
        CHANGELIST_URL, {"action": "assign_to_me", "_selected_action": ticked, "index": 0}, follow=True
    )

    assert response.status_code == 200
    assert Incident.objects.filter(pk__in=ticked, assignee=agent).count() == len(ticked) == 3
