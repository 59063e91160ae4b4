"""Personas and shared fixtures.

Celery runs tasks eagerly in tests unless a test asks for the real worker (`celery_worker_on_redis`),
so that `mail.outbox` shows what a user would receive; the worker tests prove the broker path.

TEST_CLOCK_SHIFT_DAYS=N runs the whole session with the clock moved N days ahead (ticking), so that a test
which passes today but would fail on a later date fails now; tests that travel in time themselves still do.
CI runs one of its two suites this way.

CI runs the suite on two cores with pytest-xdist (`-n 2`): each worker process has its own test database,
collected static files, clock and Celery queue (pytest_configure). The tests that start another
program, drive Chromium, run a real Celery worker, need PostgreSQL or sweep every URL are marked, and the
end of every run says how many of each ran and how long they took (`pytest_terminal_summary` below).
"""

import os
import sys
from collections import defaultdict
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker

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
    sys.addaudithook(_note_started_program)  # in each process: the xdist controller and each worker
    if worker := os.environ.get("PYTEST_XDIST_WORKER"):
        # xdist workers share the broker (one Redis database): each queues its tasks on a queue of its own,
        # so that a real worker (`celery_worker_on_redis`, which purges its queue first) never runs or
        # purges a task that a test in another xdist worker queued, and such tests may run side by side.
        celery_app.conf.task_default_queue = f"celery-{worker}"
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


# --- Parallel runs and the slow tests' tally ------------------------------------------------------------

# Counted at the end of every run: how many of these ran, and how long they took (setup and teardown
# included). Registered in pyproject.toml; url_sweep is given by tests/security/conftest.py.
TALLIED = ("subprocess", "browser", "real_celery", "postgres_only", "url_sweep")
_running = []  # the test running in this process, for _note_started_program
_seconds = defaultdict(float)  # test id -> seconds, over its setup, call and teardown
_ran = {}  # test id -> its TALLIED markers, for each test whose body ran (not skipped)
# What axe found on Django's admin pages: {(rule, impact, help): {page label: selectors}}, gathered from the
# reports of the browser tests (tests/browser/conftest.py), wherever they ran.
_axe_admin_findings = defaultdict(lambda: defaultdict(set))


def _note_started_program(event, args):
    """An audit hook (sys.addaudithook): notes each program a test starts, so that one starting a program
    without the `subprocess` marker fails (pytest_runtest_makereport) and the tally stays true."""
    if event != "subprocess.Popen" or not _running:
        return
    executable, command = args[0], args[1]
    program = executable or (command if isinstance(command, str | bytes | os.PathLike) else command[0])
    _running[-1].user_properties.append(("started", os.path.basename(os.fsdecode(program))))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    if call.when == "teardown":
        # Carried with the report to the process that prints the tally (the xdist controller, or this one).
        item.user_properties.append(("tallied", [name for name in TALLIED if item.get_closest_marker(name)]))
    report = yield
    if call.when == "teardown":
        started = sorted({value for key, value in item.user_properties if key == "started"})
        if started and report.passed and not item.get_closest_marker("subprocess"):
            report.outcome = "failed"
            report.longrepr = (
                f"{item.nodeid} started {', '.join(started)} but is not marked `subprocess`: "
                "add @pytest.mark.subprocess, so that the run counts it with the slow tests"
            )
    return report


def pytest_runtest_logreport(report):
    _seconds[report.nodeid] += report.duration
    if report.when == "call":
        _ran[report.nodeid] = []
    if report.when != "teardown":
        return
    for key, value in report.user_properties:
        if key == "tallied" and report.nodeid in _ran:
            _ran[report.nodeid] = value
        elif key == "axe_admin_findings":  # tests/browser/conftest.py
            for rule, impact, help_text, pages in value:
                for label, targets in pages.items():
                    _axe_admin_findings[rule, impact, help_text][label].update(targets)


def pytest_terminal_summary(terminalreporter, config):
    if hasattr(config, "workerinput"):  # an xdist worker: the controller reports
        return
    if _axe_admin_findings:
        terminalreporter.section(
            "axe on Django admin pages: every finding (serious and critical ones also fail their test)"
        )
        for (rule, impact, help_text), pages in sorted(_axe_admin_findings.items()):
            terminalreporter.line(f"{rule} ({impact}): {help_text}")
            for label, targets in sorted(pages.items()):
                terminalreporter.line(f"    {label}: {', '.join(sorted(targets))}")
    if not _ran:
        return
    terminalreporter.section("slow tests, by marker")
    for name in TALLIED:
        ids = [nodeid for nodeid, markers in _ran.items() if markers and name in markers]
        seconds = sum(_seconds[nodeid] for nodeid in ids)
        terminalreporter.line(f"{name:<14} {len(ids):5} ran {seconds:8.1f} s")
    seconds = sum(_seconds[nodeid] for nodeid in _ran)
    terminalreporter.line(f"{'every test':<14} {len(_ran):5} ran {seconds:8.1f} s")
    terminalreporter.line("(each test's own time: setup, call and teardown, added up over any xdist workers)")


@pytest.fixture(autouse=True)
def _eager_celery(request):
    if request.node.get_closest_marker("real_celery"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _screenshot_reader(request, settings):
    """Reading a screenshot starts Tesseract, another program: a test not marked `subprocess` runs with the
    reader switched off (SCREENSHOT_TESSERACT empty), so its images are held "not checked", as on a machine
    without Tesseract. A test about what the desk may open marks itself and gets the real reading."""
    if not request.node.get_closest_marker("subprocess"):
        settings.SCREENSHOT_TESSERACT = ""


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
    """Rate-limit counters and cached sessions live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _held_mail_dir(settings, tmp_path):
    """Held emails (inbound.held) of each test in its own temporary folder, never the project's var/."""
    settings.INBOUND_HELD_DIR = tmp_path / "held-mail"


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


@contextmanager
def _worker_on_redis():
    hijack = celery_app.conf.worker_hijack_root_logger
    celery_app.conf.worker_hijack_root_logger = False  # leave pytest's log capture alone
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
            yield worker
    finally:
        celery_app.conf.worker_hijack_root_logger = hijack


@pytest.fixture
def celery_worker_on_redis(transactional_db):
    """A real Celery worker in a thread of this process, consuming from the configured Redis broker.

    Tasks travel through Redis exactly as in production, yet the worker shares this process's email
    outbox and (committed) database rows. Messages left in the queue by an earlier run are purged
    first, so the test sees only its own.
    """
    celery_app.control.purge()
    with _worker_on_redis() as worker:
        yield worker


@pytest.fixture
def celery_worker_started_later(transactional_db):
    """The same worker, started only when the test calls the function this gives (and stopped after the
    test): what the test queues before then waits on the broker, so it can see the state before any task
    has run. The queue is purged first, as for `celery_worker_on_redis`."""
    celery_app.control.purge()
    with ExitStack() as stack:
        yield lambda: stack.enter_context(_worker_on_redis())
