"""Faults: with Redis (the broker) or the mail server down, logging an incident still succeeds, and its
email goes out once the service is back, exactly once.

A task that cannot be queued, or whose email cannot be sent through every retry, waits in the outbox
(servicedesk.models.PendingTask); beat flushes the outbox every minute (`flush_pending_tasks`).
"""

import shutil
import socket
import subprocess
from contextlib import contextmanager

import pytest
import redis
from aiosmtpd.controller import Controller
from celery.contrib.testing.worker import start_worker
from celery.signals import task_retry
from django.conf import settings
from django.core import mail
from django.core.management import call_command

from incidents.models import Incident
from servicedesk.celery import app as celery_app
from servicedesk.models import PendingTask
from servicedesk.outbox import flush_pending_tasks
from tests.servicedesk.test_celery_worker import _wait_until, needs_redis_broker

LOGGED_EMAIL = "incidents.tasks.send_incident_logged_email"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An SMTP server's handler that keeps what it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(envelope.content.decode("utf-8", "replace"))
        return "250 Message accepted"


@contextmanager
def mail_server(port):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_port(settings):
    """Email goes by SMTP to a port where, for now, nothing listens."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return port


def log_incident(client, data):
    response = client.post("/incidents/new/", data)
    assert response.status_code == 302  # saved, whatever happened to the email
    return Incident.objects.get()


def test_the_outbox_is_flushed_every_minute_by_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["flush-pending-tasks"]

    celery_app.loader.import_default_modules()
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] == 60.0


@pytest.mark.django_db(transaction=True)
def test_with_the_mail_server_down_the_email_waits_and_goes_out_once_it_is_back(
    user_client, incident_data, smtp_port
):
    incident = log_incident(user_client, incident_data)

    waiting = PendingTask.objects.get()
    assert (waiting.task_name, waiting.args) == (LOGGED_EMAIL, [incident.pk])
    assert "refused" in waiting.last_error.lower()

    with mail_server(smtp_port) as inbox:
        call_command("flush_pending_tasks")
        call_command("flush_pending_tasks")  # a second flush finds nothing left to send

    assert len(inbox.messages) == 1
    assert incident.reference in inbox.messages[0]
    assert not PendingTask.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_flush_while_the_mail_server_is_still_down_keeps_the_email(user_client, incident_data, smtp_port):
    log_incident(user_client, incident_data)

    queued, left = flush_pending_tasks()

    assert (queued, left) == (0, 1)
    assert PendingTask.objects.get().attempts == 1


@needs_redis_broker
@pytest.mark.real_celery
@pytest.mark.django_db(transaction=True)
def test_on_a_worker_a_failed_email_is_retried_until_the_mail_server_is_back(
    celery_worker_on_redis, user_client, incident_data, smtp_port
):
    retried = []
    task_retry.connect(lambda **kwargs: retried.append(kwargs), weak=False)
    try:
        incident = log_incident(user_client, incident_data)
        assert _wait_until(lambda: retried), "the worker did not retry the failed email"

        with mail_server(smtp_port) as inbox:
            assert _wait_until(lambda: inbox.messages), "the retried email did not arrive"
    finally:
        task_retry.receivers.clear()

    assert len(inbox.messages) == 1
    assert incident.reference in inbox.messages[0]
    assert not PendingTask.objects.exists()


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server of the test's own, which the test can stop and start: the broker going down."""
    server = shutil.which("redis-server")
    if not server:
        pytest.skip("needs redis-server (apt-get install redis-server)")
    port = free_port()
    processes = []

    def start():
        command = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        processes.append(subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL))  # noqa: S603
        client = redis.Redis(port=port)
        assert _wait_until(lambda: _answers(client), timeout=10), "redis-server did not start"

    def stop():
        processes[-1].terminate()
        processes[-1].wait(timeout=10)

    start()
    yield f"redis://127.0.0.1:{port}/0", start, stop
    if processes[-1].poll() is None:
        stop()


def _answers(client):
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


@contextmanager
def broker(url, monkeypatch):
    """Send tasks through `url`, not eagerly; afterwards restore the configured broker."""
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery reads it before its configuration
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager, conf.worker_hijack_root_logger

    def reconnect():  # kombu keeps a pool per broker address; these pick the one for the current address
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    conf.broker_url, conf.task_always_eager, conf.worker_hijack_root_logger = url, False, False
    reconnect()
    try:
        yield
    finally:
        conf.broker_url, conf.task_always_eager, conf.worker_hijack_root_logger = saved
        reconnect()


@pytest.mark.subprocess
@pytest.mark.real_celery
@pytest.mark.django_db(transaction=True)
def test_with_redis_down_the_incident_is_logged_and_its_email_goes_out_once_redis_is_back(
    own_redis, user_client, incident_data, monkeypatch
):
    url, start_redis, stop_redis = own_redis
    with broker(url, monkeypatch):
        stop_redis()

        incident = log_incident(user_client, incident_data)

        assert [(t.task_name, t.args) for t in PendingTask.objects.all()] == [(LOGGED_EMAIL, [incident.pk])]
        assert mail.outbox == []

        start_redis()
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            assert flush_pending_tasks() == (1, 0)  # what beat's next flush does
            assert _wait_until(lambda: mail.outbox), "the worker did not send the kept email"
            assert flush_pending_tasks() == (0, 0)

    assert len(mail.outbox) == 1
    assert incident.reference in mail.outbox[0].subject


@pytest.mark.django_db(transaction=True)
def test_one_task_that_can_never_run_does_not_hold_up_the_others(user_client, incident_data, smtp_port):
    PendingTask.objects.create(task_name="incidents.tasks.a_task_since_removed", args=[1])
    incident = log_incident(user_client, incident_data)

    with mail_server(smtp_port) as inbox:
        queued, left = flush_pending_tasks()

    assert (queued, left) == (1, 1)  # the email went; the unknown task waits, counted, for someone to look
    assert len(inbox.messages) == 1 and incident.reference in inbox.messages[0]
    assert PendingTask.objects.get().attempts == 1


class RefusingInbox(Inbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        return "550 No such mailbox"


@pytest.mark.django_db(transaction=True)
def test_an_address_the_mail_server_refuses_is_not_kept_to_be_refused_again(
    user_client, incident_data, smtp_port
):
    controller = Controller(RefusingInbox(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        incident = log_incident(user_client, incident_data)
    finally:
        controller.stop()

    assert Incident.objects.filter(pk=incident.pk).exists()
    assert not PendingTask.objects.exists()


def test_with_the_cache_down_registration_and_password_resets_still_work(client, settings, practice, db):
    """Rate limits are counted in the cache (Redis in production); with it down they are skipped, logged,
    and nobody sees an error."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }

    reset = client.post("/accounts/password_reset/", {"email": "someone@riverside.example"})
    registration = client.post(
        "/accounts/register/",
        {
            "full_name": "Jamie Fox",
            "email": "jamie.fox@riverside.example",
            "phone": "01632 960444",
            "job_role": "Receptionist",
            "practice_id": practice.practice_id,
        },
    )

    assert reset.status_code == 302 and reset.url == "/accounts/password_reset/done/"
    assert registration.status_code == 302 and registration.url == "/accounts/register/done/"
