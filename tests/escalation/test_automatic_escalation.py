"""SLA breaches escalate automatically: a beat task (and a command) runs one idempotent sweep, which moves an
incident only once it has missed a target (its response or its resolution), never for time alone."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from escalation.models import EscalationThreshold
from escalation.services import escalate_overdue, incident_escalate
from incidents import services
from incidents.models import TimelineEvent
from servicedesk.celery import app as celery_app
from servicedesk.lib.support_hours import LONDON
from tests.factories import IncidentFactory


def london(*args):
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture
def severity_one(practice_user, product):
    with time_machine.travel(london(2026, 11, 25, 9, 0), tick=False):  # Wednesday
        return IncidentFactory(reporter=practice_user, product=product, severity=1)


def test_nothing_moves_before_the_first_threshold(severity_one):
    assert escalate_overdue(london(2026, 11, 25, 9, 29)) == 0
    severity_one.refresh_from_db()
    assert severity_one.escalation_level is None


def test_past_a_threshold_the_incident_moves_up_once_however_often_the_sweep_runs(severity_one):
    assert escalate_overdue(london(2026, 11, 25, 9, 31)) == 1
    assert escalate_overdue(london(2026, 11, 25, 9, 31)) == 0
    assert escalate_overdue(london(2026, 11, 25, 9, 45)) == 0

    severity_one.refresh_from_db()
    assert severity_one.escalation_level.role_name == "Customer Service Team Leader"
    event = severity_one.events.get(kind=TimelineEvent.Kind.ESCALATED)
    assert event.actor is None and event.text.startswith("Automatic: 31 min of support time")


def test_a_long_overdue_incident_goes_straight_to_its_due_level_skipping_the_liaison_officer(severity_one):
    escalate_overdue(london(2026, 11, 25, 11, 1))  # 121 support minutes: the Customer Service Manager

    severity_one.refresh_from_db()
    assert severity_one.escalation_level.role_name == "Customer Service Manager"


def test_waiting_for_the_customer_stops_the_clock_that_escalates(severity_one, agent):
    with time_machine.travel(london(2026, 11, 25, 9, 10), tick=False):
        services.incident_verify(severity_one, actor=agent)
        services.incident_start_investigation(severity_one, actor=agent)
        services.incident_await_customer(severity_one, actor=agent, question="Is the server on?")

    assert escalate_overdue(london(2026, 11, 26, 12, 0)) == 0


def test_the_command_and_the_beat_entry_run_the_same_sweep(severity_one):
    out = StringIO()
    call_command("escalate_overdue", "--at", "2026-11-25 09:40", stdout=out)

    assert "1 incident(s) escalated." in out.getvalue()
    celery_app.loader.import_default_modules()  # as a worker does when it starts: finds every tasks.py
    entry = settings.CELERY_BEAT_SCHEDULE["escalate-overdue"]
    assert entry["task"] == "escalation.tasks.escalate_overdue_task"
    assert entry["task"] in celery_app.tasks


@pytest.mark.postgres_only
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL row locks and real concurrency; run with DATABASE_URL=postgres://...",
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_escalate_once(standard_ladder, practice_user, product):
    with time_machine.travel(london(2026, 11, 25, 9, 0), tick=False):
        incidents = [IncidentFactory(reporter=practice_user, product=product, severity=1) for _ in range(5)]
    barrier = threading.Barrier(2)

    def sweep():
        barrier.wait()
        try:
            return escalate_overdue(london(2026, 11, 25, 9, 40))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        moved = [f.result() for f in [pool.submit(sweep), pool.submit(sweep)]]

    assert sum(moved) == len(incidents)
    assert TimelineEvent.objects.filter(kind=TimelineEvent.Kind.ESCALATED).count() == len(incidents)


def test_a_missed_target_reaches_the_first_rung_even_below_its_threshold(severity_one):
    EscalationThreshold.objects.filter(level__position=1, severity=1).update(after_minutes=10_000)

    escalate_overdue(london(2026, 11, 25, 9, 31))  # the 30-minute response target has passed

    severity_one.refresh_from_db()
    assert severity_one.escalation_level.role_name == "Customer Service Team Leader"


# --- Only a missed target escalates (issue 13) ------------------------------------------------------------


def sweep_at(clock, *when):
    """Run the sweep as beat does, at that moment (London time)."""
    clock.move_to(london(*when))
    return escalate_overdue()


def test_a_response_in_time_escalates_nothing_until_the_resolution_target_passes_unmet(
    clock, standard_ladder, practice_user, product, agent
):
    # Severity 2: response within 60 support minutes, resolution within 510 (17:30 the same day).
    incident = IncidentFactory(reporter=practice_user, product=product, severity=2)
    clock.move_to(london(2026, 11, 25, 9, 5))
    services.incident_verify(incident, actor=agent)  # answered in 5 minutes

    # Past the first rung's threshold (60) and the liaison officer's (240), neither target missed.
    assert [sweep_at(clock, 2026, 11, 25, hh, mm) for hh, mm in [(10, 1), (13, 1), (17, 29)]] == [0, 0, 0]
    incident.refresh_from_db()
    assert incident.escalation_level is None
    assert not incident.events.filter(kind=TimelineEvent.Kind.ESCALATED).exists()

    assert sweep_at(clock, 2026, 11, 25, 17, 30) == 1  # the resolution target passes unmet

    incident.refresh_from_db()
    assert incident.escalation_level.role_name == "Customer Service Manager"  # its threshold: 510
    event = incident.events.get(kind=TimelineEvent.Kind.ESCALATED)
    assert event.text == (
        "Automatic: 1 day of support time on the clock at severity 2; the resolution target passed unmet."
    )


@pytest.mark.parametrize(
    ("answered_at", "escalated"),
    [(None, True), ((10, 10), True), ((9, 59), False)],
    ids=["never-answered", "answered-late", "answered-in-time"],
)
def test_a_response_target_passed_unmet_escalates_to_the_first_rung(
    clock, standard_ladder, practice_user, product, agent, answered_at, escalated
):
    incident = IncidentFactory(reporter=practice_user, product=product, severity=2)  # response due 10:00
    assert sweep_at(clock, 2026, 11, 25, 9, 59) == 0
    if answered_at:
        clock.move_to(london(2026, 11, 25, *answered_at))
        services.incident_verify(incident, actor=agent)

    assert sweep_at(clock, 2026, 11, 25, 10, 15) == int(escalated)

    incident.refresh_from_db()
    assert (incident.escalation_level.role_name if incident.escalation_level else None) == (
        "Customer Service Team Leader" if escalated else None
    )
    if escalated:
        assert incident.events.get(kind=TimelineEvent.Kind.ESCALATED).text.endswith(
            "the response target passed unmet."
        )


def test_escalation_by_hand_is_unchanged_and_the_sweep_leaves_it_there(
    clock, standard_ladder, practice_user, product, agent
):
    incident = IncidentFactory(reporter=practice_user, product=product, severity=2)
    services.incident_verify(incident, actor=agent)  # answered at once
    clock.move_to(london(2026, 11, 25, 9, 30))

    incident = incident_escalate(incident, actor=practice_user, reason="We cannot print prescriptions")
    assert incident.escalation_level.role_name == "Customer Service Team Leader"

    assert sweep_at(clock, 2026, 11, 25, 12, 0) == 0
    incident.refresh_from_db()
    assert incident.escalation_level.role_name == "Customer Service Team Leader"
    assert incident.events.get(kind=TimelineEvent.Kind.ESCALATED).actor == practice_user


def test_the_sweep_counts_the_clock_to_the_second_after_a_pause(
    clock, standard_ladder, practice_user, product, agent
):
    clock.move_to(london(2026, 11, 25, 10, 0, 30))
    incident = IncidentFactory(reporter=practice_user, product=product, severity=2)
    clock.move_to(london(2026, 11, 25, 10, 10))
    services.incident_start_investigation(services.incident_verify(incident, actor=agent), actor=agent)
    clock.move_to(london(2026, 11, 25, 10, 30))
    services.incident_await_customer(incident, actor=agent, question="Which PC?")  # 29 min 30 s used
    clock.move_to(london(2026, 11, 25, 11, 0))
    services.incident_start_investigation(incident, actor=agent, note="Thanks")
    # 480 min 30 s left: 390 to Wednesday's close, 90 min 30 s on Thursday.

    assert sweep_at(clock, 2026, 11, 26, 10, 30, 29) == 0
    assert sweep_at(clock, 2026, 11, 26, 10, 30, 30) == 1

    incident.refresh_from_db()
    assert incident.escalation_level.role_name == "Customer Service Manager"  # 510 support minutes exactly
