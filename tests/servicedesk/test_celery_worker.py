"""Background tasks really run on a Celery worker through the Redis broker (the production path).

Every other test runs tasks eagerly; this one proves that a task queued by a web request reaches a
separate worker and does its job there.
"""

import importlib
import threading
import time
from datetime import timedelta

import pytest
from celery.signals import task_postrun
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.db.models import F

from escalation.tasks import escalate_overdue_task
from incidents.models import Incident
from servicedesk.celery import app as celery_app
from tests.factories import IncidentFactory

WAIT_SECONDS = 20

needs_redis_broker = pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis"),
    reason="needs a Redis broker; run with CELERY_BROKER_URL=redis://127.0.0.1:6379/5",
)


def test_the_incident_tasks_are_registered_with_the_celery_app():
    celery_app.loader.import_default_modules()

    assert "incidents.tasks.send_incident_logged_email" in celery_app.tasks
    assert "incidents.tasks.alert_desk_to_severity_one" in celery_app.tasks


def _wait_until(condition, timeout=WAIT_SECONDS):
    """Poll until condition() holds or the deadline passes; return whether it held."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _messages_waiting():
    """Messages still queued on the broker (an empty Redis queue does not exist, so declare it)."""
    with celery_app.connection_for_read() as conn:
        return conn.default_channel.queue_declare(celery_app.conf.task_default_queue).message_count


@pytest.fixture
def tasks_run():
    """(task name, ran on the main thread?) for each task that finishes while the test runs."""
    runs = []

    def record(sender=None, **kwargs):
        runs.append((sender.name, threading.current_thread() is threading.main_thread()))

    task_postrun.connect(record, weak=False)
    yield runs
    task_postrun.disconnect(record)


@needs_redis_broker
@pytest.mark.real_celery
@pytest.mark.django_db(transaction=True)
def test_logging_an_incident_emails_its_reference_through_the_worker(
    celery_worker_on_redis, tasks_run, user_client, product
):
    assert not celery_app.conf.task_always_eager

    response = user_client.post(
        "/incidents/new/",
        {
            "contact_name": "Alex Morgan",
            "contact_number": "01632 960555",
            "summary": "Appointments screen freezes",
            "severity": 3,
            "urgency": "today",
            "description": "The appointments screen stops responding after a minute.",
            "product": product.pk,
            "on_current_version": "yes",
            "worked_before": "yes",
            "more_than_one_pc": "no",
            "repeatable": "yes",
            "users_affected": 2,
            "sites_affected": "single",
        },
    )

    assert response.status_code == 302
    incident = Incident.objects.get()
    assert response.url == incident.get_absolute_url()
    ran_on_worker = ("incidents.tasks.send_incident_logged_email", False)  # False: not the main thread
    assert _wait_until(lambda: ran_on_worker in tasks_run), (
        f"the worker did not run the email task within {WAIT_SECONDS}s"
    )
    assert _messages_waiting() == 0  # nothing else queued that could send a second email
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alex@riverside.example"]
    assert incident.reference in mail.outbox[0].subject
    assert incident.reference in mail.outbox[0].body


@needs_redis_broker
@pytest.mark.real_celery
@pytest.mark.django_db(transaction=True)
def test_the_beat_escalation_task_runs_on_a_real_worker(
    celery_worker_on_redis, tasks_run, practice_user, product
):
    """What beat sends every five minutes: the worker runs the sweep and the overdue incident moves up."""
    importlib.import_module("escalation.migrations.0004_standard_ladder").create(apps, None)  # after flushes
    incident = IncidentFactory(reporter=practice_user, product=product, severity=1)
    # Unanswered past its response target, and its clock long past every threshold.
    Incident.objects.filter(pk=incident.pk).update(
        response_due_at=F("created_at"), sla_time_used=timedelta(minutes=10_000)
    )
    entry = settings.CELERY_BEAT_SCHEDULE["escalate-overdue"]

    celery_app.send_task(entry["task"])

    # The task's end is signalled just after its change commits, so wait for the signal, not the row.
    assert _wait_until(lambda: (escalate_overdue_task.name, False) in tasks_run)  # on the worker's thread
    assert Incident.objects.get(pk=incident.pk).escalation_level.role_name == "Operational Services Director"
