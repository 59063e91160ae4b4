"""SLA breaches escalate automatically: a beat task (and a command) runs one idempotent sweep."""

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
from escalation.services import escalate_overdue
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
    assert event.actor is None and event.text.startswith("Automatic: 31 support minutes")


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
