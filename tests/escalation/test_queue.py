"""/escalations/: staff on the ladder work the incidents at their level, most severe and most overdue
first; nobody else gets in."""

from datetime import datetime

import pytest
import time_machine

from escalation.models import EscalationLevel
from escalation.services import incident_escalate
from incidents.models import TimelineEvent
from servicedesk.lib.support_hours import LONDON
from tests.escalation.helpers import QUEUE_QUERIES
from tests.factories import IncidentFactory


def london(*args):
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture
def leader(team_leader):
    EscalationLevel.objects.get(position=1).contacts.add(team_leader)
    return team_leader


def _escalated(reporter, product, agent, severity, logged_at, summary):
    with time_machine.travel(logged_at, tick=False):
        incident = IncidentFactory(reporter=reporter, product=product, severity=severity, summary=summary)
        return incident_escalate(incident, actor=agent, reason="Practice chasing")


def test_only_ladder_staff_get_in(client, practice_user, agent, leader):
    assert client.get("/escalations/").status_code == 302  # to sign in
    client.force_login(practice_user)
    assert client.get("/escalations/").status_code == 403
    client.force_login(agent)  # staff, but not on the ladder
    assert client.get("/escalations/").status_code == 403
    client.force_login(leader)
    assert client.get("/escalations/").status_code == 200


def test_most_severe_then_most_overdue_first(client, leader, agent, practice_user, product):
    minor_late = _escalated(
        practice_user, product, agent, 3, london(2026, 11, 16, 9, 0), "Minor, long overdue"
    )
    major_fresh = _escalated(practice_user, product, agent, 2, london(2026, 11, 25, 9, 0), "Major, fresh")
    major_late = _escalated(practice_user, product, agent, 2, london(2026, 11, 23, 9, 0), "Major, overdue")
    client.force_login(leader)

    with time_machine.travel(london(2026, 11, 25, 10, 0), tick=False):
        page = client.get("/escalations/").content.decode()

    order = [page.index(i.reference) for i in (major_late, major_fresh, minor_late)]
    assert order == sorted(order)
    assert "Overdue by" in page


def test_acknowledging_takes_the_incident_on(client, leader, agent, practice_user, product):
    incident = _escalated(practice_user, product, agent, 2, london(2026, 11, 25, 9, 0), "Printer")
    client.force_login(leader)

    assert client.get(f"/escalations/{incident.pk}/acknowledge/").status_code == 405
    response = client.post(f"/escalations/{incident.pk}/acknowledge/")

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.escalation_acknowledged_at is not None
    assert incident.events.get(kind=TimelineEvent.Kind.ACKNOWLEDGED).actor == leader


def test_an_incident_at_another_level_cannot_be_acknowledged(client, leader, agent, practice_user, product):
    incident = _escalated(practice_user, product, agent, 2, london(2026, 11, 25, 9, 0), "Printer")
    incident_escalate(incident, actor=agent, reason="Higher")  # now with the Customer Service Manager
    client.force_login(leader)

    assert client.post(f"/escalations/{incident.pk}/acknowledge/").status_code == 404


def test_the_queue_query_count_does_not_grow(
    client, leader, agent, practice_user, product, django_assert_num_queries
):
    _escalated(practice_user, product, agent, 2, london(2026, 11, 25, 9, 0), "One")
    client.force_login(leader)
    client.get("/escalations/")
    with django_assert_num_queries(QUEUE_QUERIES):
        client.get("/escalations/")
    for n in range(6):
        _escalated(practice_user, product, agent, 3, london(2026, 11, 24, 9, n), f"More {n}")
    with django_assert_num_queries(QUEUE_QUERIES):
        client.get("/escalations/")
