import pytest
from celery.contrib.testing.worker import start_worker

from servicedesk.celery import app as celery_app
from tests.incidents.conftest import incident_data  # noqa: F401 - the log form, filled in (fault tests)


@pytest.fixture
def celery_worker_on_redis(transactional_db):
    """A real Celery worker in a thread of this process, consuming from the configured Redis broker.

    Tasks travel through Redis exactly as in production, yet the worker shares this process's email
    outbox and (committed) database rows. Messages left in the queue by an earlier run are purged
    first, so the test sees only its own.
    """
    hijack = celery_app.conf.worker_hijack_root_logger
    celery_app.conf.worker_hijack_root_logger = False  # leave pytest's log capture alone
    celery_app.control.purge()
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
            yield worker
    finally:
        celery_app.conf.worker_hijack_root_logger = hijack
