"""Personas and shared fixtures.

Celery runs tasks eagerly in tests unless a test asks for the real worker (`celery_worker_on_redis`),
so that `mail.outbox` shows what a user would receive; the worker tests prove the broker path.

TEST_CLOCK_SHIFT_DAYS=N runs the whole session with the clock moved N days ahead (ticking), so that a test
which passes today but would fail on a later date fails now; tests that travel in time themselves still do.
CI runs one of its two suites this way.
"""

import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.roles import AGENTS, TEAM_LEADERS
from servicedesk.celery import app as celery_app
from tests.factories import (
    PASSWORD,
    IncidentFactory,
    PracticeFactory,
    ProductFactory,
    StaffFactory,
    UserFactory,
)

_CLOCK = pytest.StashKey()


def _clock_shift_days():
    raw = os.environ.get("TEST_CLOCK_SHIFT_DAYS", "").strip()
    if not raw:
        return 0
    try:
        return int(raw)
    except ValueError:
        raise pytest.UsageError(
            f"TEST_CLOCK_SHIFT_DAYS must be a whole number of days; got {raw!r}"
        ) from None


def pytest_configure(config):
    days = _clock_shift_days()
    if days:
        # Started before collection, so that anything read from the clock at import is shifted as well.
        traveller = time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True)
        traveller.start()
        config.stash[_CLOCK] = traveller


def pytest_unconfigure(config):
    traveller = config.stash.get(_CLOCK, None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config):
    if config.stash.get(_CLOCK, None) is not None:
        start = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        return f"clock moved {_clock_shift_days()} days ahead: the session starts at {start}"
    return None


@pytest.fixture(autouse=True)
def _eager_celery(request):
    if request.node.get_closest_marker("real_celery"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(scope="session", autouse=True)
def _collected_static(tmp_path_factory):
    """Collect static files once, so pages render through the production storage (hashed names)."""
    from django.conf import settings as django_settings
    from django.core.management import call_command

    django_settings.STATIC_ROOT = tmp_path_factory.mktemp("static")
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests hash passwords constantly; the production hasher's many rounds would make the suite take
    minutes. The password policy and the flows do not depend on which hasher stores the result."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters and cached pages live in the cache: each test starts with none, and with the
    cache not marked as failing by an earlier test that took it away."""
    from django.core.cache import cache

    from servicedesk.lib.cache_tokens import reset_outage

    reset_outage()
    cache.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def practice(db):
    return PracticeFactory(name="Riverside Medical Centre")


@pytest.fixture
def other_practice(db):
    return PracticeFactory(name="Hillview Surgery")


@pytest.fixture
def practice_user(practice):
    return UserFactory(practice=practice, full_name="Alex Morgan", email="alex@riverside.example")


@pytest.fixture
def colleague(practice):
    return UserFactory(practice=practice, full_name="Sam Patel", email="sam@riverside.example")


@pytest.fixture
def outsider(other_practice):
    return UserFactory(practice=other_practice, full_name="Jordan Reid", email="jordan@hillview.example")


@pytest.fixture
def agent(db):
    from accounts.roles import setup_roles

    setup_roles()
    return StaffFactory(full_name="Casey Agent", groups=[AGENTS])


@pytest.fixture
def team_leader(db):
    from accounts.roles import setup_roles

    setup_roles()
    return StaffFactory(full_name="Robin Lead", groups=[TEAM_LEADERS])


@pytest.fixture
def product(db):
    return ProductFactory(name="Synergy Clinical", current_version="5.4.2")


@pytest.fixture
def incident(practice_user, product):
    return IncidentFactory(reporter=practice_user, product=product, summary="Printer will not print")


@pytest.fixture
def other_incident(outsider, product):
    return IncidentFactory(reporter=outsider, product=product, summary="Another practice's problem")


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def agent_client(client, agent):
    """The test client signed in as a service-desk agent."""
    return login(client, agent)


@pytest.fixture
def user_client(client, practice_user):
    return login(client, practice_user)
