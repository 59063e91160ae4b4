"""Reminders to confirm a resolution; nothing ever closes an incident on a timer (issue 3, item 6)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from incidents.models import Status, TimelineEvent
from incidents.services import send_resolution_reminders
from incidents.tasks import send_resolution_reminders_task
from servicedesk.celery import app as celery_app
from tests.factories import IncidentFactory

from .lifecycle_helpers import assert_carries_reference_and_desk_contact, drive_to, perform

RESOLVED_AT = datetime(2030, 5, 14, 10, 0, tzinfo=UTC)
TASK = "incidents.tasks.send_resolution_reminders_task"


@pytest.fixture
def period():
    return timedelta(days=settings.INCIDENT_CONFIRM_REMINDER_DAYS)


@pytest.fixture
def resolved(incident, agent):
    """The practice's incident, resolved at RESOLVED_AT and not yet confirmed."""
    with time_machine.travel(RESOLVED_AT, tick=False):
        return drive_to(incident, Status.RESOLVED, agent=agent)


def sweep(at, capture):
    with time_machine.travel(at, tick=False), capture(execute=True):
        return send_resolution_reminders()


def reminders(incident):
    return incident.events.filter(kind=TimelineEvent.Kind.REMINDER)


def test_no_reminder_before_the_configured_number_of_days(
    resolved, period, mailoutbox, django_capture_on_commit_callbacks
):
    sent = sweep(RESOLVED_AT + period - timedelta(minutes=1), django_capture_on_commit_callbacks)

    assert sent == 0
    assert mailoutbox == []
    assert not reminders(resolved).exists()


def test_the_reporter_is_reminded_once_the_days_have_passed(
    resolved, period, practice_user, mailoutbox, django_capture_on_commit_callbacks
):
    sent = sweep(RESOLVED_AT + period, django_capture_on_commit_callbacks)

    assert sent == 1
    (message,) = mailoutbox
    assert message.to == [practice_user.email]
    assert message.subject == f"[{resolved.reference}] Reminder: please confirm or reject the solution"
    assert f"{settings.SITE_URL}{resolved.get_absolute_url()}#confirm" in message.body
    assert f"{settings.SITE_URL}{resolved.get_absolute_url()}#reject" in message.body
    assert_carries_reference_and_desk_contact(message, resolved)
    (event,) = reminders(resolved)
    assert event.actor is None
    assert not event.public
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED
    assert resolved.last_reminder_at == RESOLVED_AT + period


def test_each_resolved_incident_gets_its_own_reminder(
    resolved, agent, outsider, product, period, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(RESOLVED_AT, tick=False):
        theirs = drive_to(IncidentFactory(reporter=outsider, product=product), Status.RESOLVED, agent=agent)

    sent = sweep(RESOLVED_AT + period, django_capture_on_commit_callbacks)

    assert sent == 2
    assert sorted(m.to[0] for m in mailoutbox) == sorted([resolved.reporter.email, outsider.email])
    assert reminders(resolved).count() == reminders(theirs).count() == 1


def test_a_second_sweep_at_the_same_moment_sends_nothing(
    resolved, period, mailoutbox, django_capture_on_commit_callbacks
):
    sweep(RESOLVED_AT + period, django_capture_on_commit_callbacks)
    mailoutbox.clear()

    sent = sweep(RESOLVED_AT + period, django_capture_on_commit_callbacks)

    assert sent == 0
    assert mailoutbox == []
    assert reminders(resolved).count() == 1


def test_reminded_again_after_another_period_and_not_before(
    resolved, period, mailoutbox, django_capture_on_commit_callbacks
):
    first = RESOLVED_AT + period
    sweep(first, django_capture_on_commit_callbacks)

    assert sweep(first + period - timedelta(minutes=1), django_capture_on_commit_callbacks) == 0
    assert sweep(first + period, django_capture_on_commit_callbacks) == 1

    assert len(mailoutbox) == 2
    assert reminders(resolved).count() == 2


def test_confirmed_or_reopened_incidents_are_never_reminded(
    incident, agent, practice_user, product, period, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(RESOLVED_AT, tick=False):
        confirmed = drive_to(incident, Status.CLOSED, agent=agent)
        rejected = drive_to(
            IncidentFactory(reporter=practice_user, product=product), Status.RESOLVED, agent=agent
        )
        perform("reject", rejected, actor=practice_user)

    sent = sweep(RESOLVED_AT + 10 * period, django_capture_on_commit_callbacks)

    assert sent == 0
    assert mailoutbox == []
    assert not reminders(confirmed).exists() and not reminders(rejected).exists()


def test_a_resolution_is_counted_from_its_latest_resolving(
    resolved, agent, practice_user, period, mailoutbox, django_capture_on_commit_callbacks
):
    """Rejected and resolved again: the new resolution gets its full period before a reminder."""
    re_resolved_at = RESOLVED_AT + period + timedelta(days=1)
    with time_machine.travel(re_resolved_at, tick=False):
        perform("reject", resolved, actor=practice_user)
        perform("resolve", resolved, actor=agent)

    assert sweep(re_resolved_at + timedelta(days=1), django_capture_on_commit_callbacks) == 0
    assert sweep(re_resolved_at + period, django_capture_on_commit_callbacks) == 1
    assert len(mailoutbox) == 1


def test_nothing_ever_closes_a_resolved_incident_on_a_timer(
    resolved, period, mailoutbox, django_capture_on_commit_callbacks
):
    for hours in range(0, 60 * 24 + 1, 6):  # every six hours for sixty days
        sweep(RESOLVED_AT + timedelta(hours=hours), django_capture_on_commit_callbacks)
    with time_machine.travel(RESOLVED_AT + timedelta(days=60), tick=False):
        call_command("send_reminders", stdout=StringIO())
        send_resolution_reminders_task.delay()

    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED
    assert resolved.closed_at is None
    assert not resolved.events.filter(new_value=Status.CLOSED).exists()
    assert not resolved.events.filter(kind=TimelineEvent.Kind.CONFIRMED).exists()
    assert reminders(resolved).count() == 60 // settings.INCIDENT_CONFIRM_REMINDER_DAYS
    assert len(mailoutbox) == reminders(resolved).count()


def test_the_send_reminders_command_runs_the_same_sweep(
    resolved, period, mailoutbox, django_capture_on_commit_callbacks
):
    out = StringIO()

    with (
        time_machine.travel(RESOLVED_AT + period, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("send_reminders", stdout=out)

    assert "1 reminder(s) sent." in out.getvalue()
    assert len(mailoutbox) == 1
    assert reminders(resolved).count() == 1


def test_the_celery_beat_task_runs_the_same_sweep(
    resolved, period, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(RESOLVED_AT + period, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        send_resolution_reminders_task.delay()

    assert len(mailoutbox) == 1
    assert reminders(resolved).count() == 1


def test_celery_beat_schedules_the_reminder_task_and_the_worker_knows_it():
    celery_app.loader.import_default_modules()  # what a worker does at start-up (autodiscovery)

    assert TASK in [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert TASK in celery_app.tasks


def test_the_reminder_quotes_the_solution_to_confirm(
    incident, agent, mailoutbox, django_capture_on_commit_callbacks
):
    drive_to(incident, Status.RESOLVED, agent=agent)
    incident.refresh_from_db()
    mailoutbox.clear()

    with (
        time_machine.travel(incident.resolved_at + timedelta(days=30)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        send_resolution_reminders()

    assert len(mailoutbox) == 1
    assert incident.resolution and incident.resolution in mailoutbox[0].body


def test_the_command_can_run_as_of_a_given_moment(
    incident, agent, mailoutbox, django_capture_on_commit_callbacks
):
    drive_to(incident, Status.RESOLVED, agent=agent)
    incident.refresh_from_db()
    mailoutbox.clear()
    later = timezone.localtime(
        incident.resolved_at + timedelta(days=settings.INCIDENT_CONFIRM_REMINDER_DAYS + 1)
    )
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", "--at", f"{later:%Y-%m-%d %H:%M}", stdout=out)

    assert "1 reminder(s) sent." in out.getvalue()
    assert len(mailoutbox) == 1


def test_the_command_refuses_a_moment_it_cannot_read(db):
    with pytest.raises(CommandError, match="--at must look like"):
        call_command("send_reminders", "--at", "next tuesday")


@pytest.mark.postgres_only
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL and real concurrency (SQLite serialises writers); run with DATABASE_URL=postgres://...",
)
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_remind_each_practice_once(agent, practice_user, product, mailoutbox):
    incidents = [
        drive_to(IncidentFactory(reporter=practice_user, product=product), Status.RESOLVED, agent=agent)
    ]
    incidents.append(
        drive_to(IncidentFactory(reporter=practice_user, product=product), Status.RESOLVED, agent=agent)
    )
    mailoutbox.clear()
    moment = max(i.resolved_at for i in incidents) + timedelta(
        days=settings.INCIDENT_CONFIRM_REMINDER_DAYS + 1
    )
    barrier = threading.Barrier(2)

    def sweep():
        barrier.wait()
        try:
            return send_resolution_reminders(moment)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        sent = [future.result() for future in [pool.submit(sweep), pool.submit(sweep)]]

    assert sum(sent) == 2
    assert TimelineEvent.objects.filter(kind=TimelineEvent.Kind.REMINDER).count() == 2
    assert len(mailoutbox) == 2
