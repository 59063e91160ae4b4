"""SLA clocks count support time only, start at the next opening, pause while the customer (or a release,
or a confirmation) is awaited, and run again when the desk has the next move."""

from datetime import datetime, timedelta

import pytest
import time_machine

from incidents import services
from servicedesk.lib.support_hours import LONDON
from tests.factories import IncidentFactory


def london(*args):
    return datetime(*args, tzinfo=LONDON)


def test_an_incident_logged_in_the_evening_is_due_from_the_next_opening(practice_user, product):
    with time_machine.travel(london(2026, 11, 24, 20, 0), tick=False):  # Tuesday evening
        incident = IncidentFactory(reporter=practice_user, product=product, severity=3)

    assert incident.response_due_at == london(2026, 11, 25, 13, 0)  # 4 support hours from 09:00
    # 2,550 minutes: Wednesday to Friday 3 x 510, Saturday morning 180, Monday 510, Tuesday 09:00 + 330.
    assert incident.resolution_due_at == london(2026, 12, 1, 14, 30)


def test_the_clock_pauses_while_awaiting_the_customer_and_runs_again_after(practice_user, product, agent):
    with time_machine.travel(london(2026, 11, 25, 10, 0), tick=False):  # Wednesday
        incident = IncidentFactory(reporter=practice_user, product=product, severity=2)  # 510 minutes
    with time_machine.travel(london(2026, 11, 25, 10, 30), tick=False):
        incident = services.incident_verify(incident, actor=agent)
        incident = services.incident_start_investigation(incident, actor=agent)
    with time_machine.travel(london(2026, 11, 25, 11, 0), tick=False):
        incident = services.incident_await_customer(incident, actor=agent, question="Which PC?")

    assert incident.responded_at == london(2026, 11, 25, 10, 30)
    assert incident.resolution_due_at is None  # paused
    assert incident.sla_time_used == timedelta(minutes=60)

    with time_machine.travel(london(2026, 11, 27, 10, 0), tick=False):  # two days later, Friday
        incident = services.incident_start_investigation(incident, actor=agent, note="Thanks")

    assert incident.resolution_due_at == london(2026, 11, 27, 17, 30)  # the 450 minutes left


def test_a_rejected_resolution_restarts_the_clock_with_the_time_left(practice_user, product, agent):
    with time_machine.travel(london(2026, 11, 23, 9, 0), tick=False):  # Monday
        incident = IncidentFactory(reporter=practice_user, product=product, severity=2)
        incident = services.incident_verify(incident, actor=agent)
        incident = services.incident_start_investigation(incident, actor=agent)
    with time_machine.travel(london(2026, 11, 23, 12, 0), tick=False):
        incident = services.incident_resolve(incident, actor=agent, resolution="Restarted")
    assert (incident.sla_time_used, incident.resolution_due_at) == (timedelta(minutes=180), None)

    with time_machine.travel(london(2026, 11, 25, 9, 0), tick=False):
        incident = services.incident_reject(incident, actor=practice_user, reason="Still failing")

    assert incident.resolution_due_at == london(2026, 11, 25, 14, 30)  # 330 minutes left


def test_raising_the_severity_brings_the_shorter_target(practice_user, product, agent):
    with time_machine.travel(london(2026, 11, 25, 9, 0), tick=False):
        incident = IncidentFactory(reporter=practice_user, product=product, severity=3)
    with time_machine.travel(london(2026, 11, 25, 10, 0), tick=False):
        incident = services.incident_change_severity(
            incident, actor=agent, severity=1, reason="Nobody can log in"
        )

    assert incident.response_due_at == london(2026, 11, 25, 9, 30)  # 30 minutes from logging
    assert incident.resolution_due_at == london(2026, 11, 25, 13, 0)  # 240 minus the 60 used


def test_agents_filter_overdue_incidents_and_the_practice_sees_its_due_times(
    client, agent, practice_user, product, user_client
):
    with time_machine.travel(london(2026, 11, 25, 9, 0), tick=False):
        late = IncidentFactory(reporter=practice_user, product=product, severity=1, summary="Late one")
    with time_machine.travel(london(2026, 11, 25, 11, 0), tick=False):
        fresh = IncidentFactory(reporter=practice_user, product=product, severity=3, summary="Fresh one")
        page = user_client.get(fresh.get_absolute_url()).content.decode()
        client.force_login(agent)
        overdue = client.get("/admin/incidents/incident/", {"sla": "response_breached"}).content.decode()

    assert "A response is due by 25 Nov 2026 15:00" in page
    assert late.reference in overdue and "OVERDUE" in overdue
    assert fresh.reference not in overdue


@pytest.mark.parametrize(
    ("logged", "desk_starts", "paused", "resumed", "used", "due"),
    [
        # Wednesday: 29 min 30 s used before the pause, so 480 min 30 s left from 11:00 (390 that day).
        (
            (2026, 11, 25, 10, 0, 30),
            (2026, 11, 25, 10, 10),
            (2026, 11, 25, 10, 30),
            (2026, 11, 25, 11, 0),
            timedelta(minutes=29, seconds=30),
            (2026, 11, 26, 10, 30, 30),
        ),
        # Friday evening to Saturday morning: 19 min 30 s to Friday's close and 20 min on Saturday; from
        # 11:45 the 470 min 30 s left are 15 min to Saturday's close and 455 min 30 s from Monday 09:00.
        (
            (2026, 11, 27, 17, 10, 30),
            (2026, 11, 27, 17, 15),
            (2026, 11, 28, 9, 20),
            (2026, 11, 28, 11, 45),
            timedelta(minutes=39, seconds=30),
            (2026, 11, 30, 16, 35, 30),
        ),
    ],
    ids=["same-day", "over-the-evening-and-weekend"],
)
def test_pausing_and_resuming_keeps_the_seconds(
    clock, practice_user, product, agent, logged, desk_starts, paused, resumed, used, due
):
    clock.move_to(london(*logged))
    incident = IncidentFactory(reporter=practice_user, product=product, severity=2)  # 510 minutes
    clock.move_to(london(*desk_starts))
    incident = services.incident_verify(incident, actor=agent)
    incident = services.incident_start_investigation(incident, actor=agent)
    clock.move_to(london(*paused))
    incident = services.incident_await_customer(incident, actor=agent, question="Which PC?")
    clock.move_to(london(*resumed))
    services.incident_start_investigation(incident, actor=agent, note="Thanks")

    incident.refresh_from_db()
    assert incident.resolution_due_at == london(*due)
    assert incident.sla_time_used == used


def test_a_new_severity_keeps_the_seconds_already_used(clock, practice_user, product, agent):
    clock.move_to(london(2026, 11, 25, 9, 0, 30))
    incident = IncidentFactory(reporter=practice_user, product=product, severity=3)
    clock.move_to(london(2026, 11, 25, 10, 0))  # 59 min 30 s used
    services.incident_change_severity(incident, actor=agent, severity=1, reason="Nobody can log in")

    incident.refresh_from_db()
    assert incident.resolution_due_at == london(2026, 11, 25, 13, 0, 30)  # 240 minutes from logging
