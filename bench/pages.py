"""Requests per second of the portal's main pages under gunicorn, against a floor view (issue 6, item 5).

Run by hand, never by the test suite (see bench/README.md):

    .venv/bin/python bench/pages.py                         # 100,000 incidents
    .venv/bin/python bench/pages.py --incidents 1000000     # a second database with 1,000,000

The first run creates a dedicated PostgreSQL database, migrates it and seeds it with bulk_create and COPY:
200 practices with a few users each, agents, products, and the incidents with their timelines (a logged
event, status changes and about three public notes each). Later runs with the same options reuse it.

Then it collects the static files into a temporary STATIC_ROOT, starts gunicorn (4 sync workers, DEBUG
off, persistent database connections, production-like settings), signs a practice user and an agent in by
creating their sessions directly, and drives each page with wrk on loopback: the floor (/bench/floor/),
the practice's incident list, an incident with three notes, logging an incident by POST, the admin
changelist and the admin home page (the desk's dashboard). SQL queries per request are counted on one
request per page through Django's test client, against the same database and settings. It prints
requests/s, p50, p99, queries and the ratio to the floor.
"""

import argparse
import bisect
import cProfile
import functools
import http.client
import io
import json
import os
import pstats
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from survey_sampling import copy_text, create_database, migrate, server_settings, store_params, stored_params

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SEED_FORMAT = 2  # bump when the generated data changes, so that old bench databases are rebuilt
COPY_CHUNK = 20_000  # incidents per COPY (with their events)
PAGES = ("floor", "list", "detail", "post", "admin", "dashboard")
# The targets, as a share of the floor's requests per second.
TARGETS = {"list": 0.2, "detail": 0.2, "post": 0.25, "admin": 0.1}
QUIET = 0.10  # other processes' share of the CPU under which the machine counts as quiet
SESSIONS = []  # the session keys this run created, deleted at the end
# Variables passed on from the shell: nothing that the settings read.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")


def parse_args_on_seeded_data(description, repeat, repeats_what):
    """The options of a bench that reuses the data this script seeds (admin_search.py, admin_queues.py):
    the data's size and seed, how many requests of each (`repeat`), and Redis; the database is the one
    this script prepares for that size, never rebuilt."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=100_000, help="Incidents (default %(default)s).")
    parser.add_argument("--practices", type=int, default=200, help="Practices (default %(default)s).")
    parser.add_argument("--seed", type=int, default=2026, help="Random seed of the generated data.")
    parser.add_argument(
        "--repeat", type=int, default=repeat, help=f"Requests per {repeats_what} (default %(default)s)."
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379", help="As pages.py (%(default)s).")
    args = parser.parse_args()
    args.database_url = default_database_url(args.incidents)
    args.reset = False
    return args


def default_database_url(incidents):
    if incidents % 1_000_000 == 0:
        size = f"{incidents // 1_000_000}m"
    elif incidents % 1000 == 0:
        size = f"{incidents // 1000}k"
    else:
        size = str(incidents)
    return f"postgres://postgres@127.0.0.1:5432/sd_bench_pages_{size}"


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=100_000, help="Incidents (default %(default)s).")
    parser.add_argument("--practices", type=int, default=200, help="Practices (default %(default)s).")
    parser.add_argument(
        "--database-url",
        help="A dedicated PostgreSQL database, created if missing and rebuilt when the options change; its "
        "name must contain 'bench' (default: postgres://postgres@127.0.0.1:5432/sd_bench_pages_100k, "
        "_1m, ... after --incidents). DATABASE_URL from the shell is never read.",
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379",
        help="Redis for the cache (database 13) and the Celery broker (database 14), as production has "
        "them; both databases are emptied before and after the run (default %(default)s).",
    )
    parser.add_argument("--seed", type=int, default=2026, help="Random seed of the generated data.")
    parser.add_argument("--reset", action="store_true", help="Drop and rebuild the database first.")
    parser.add_argument("--pages", default=",".join(PAGES), help="Comma-separated subset of: %(default)s.")
    parser.add_argument("--duration", type=int, default=15, help="Seconds of wrk per page (default 15).")
    parser.add_argument("--warmup", type=int, default=3, help="Seconds of wrk before each page, discarded.")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default %(default)s).")
    parser.add_argument(
        "--connections", type=int, help="wrk connections (default: one per gunicorn worker, see the README)."
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4).")
    parser.add_argument(
        "--wait-quiet",
        type=int,
        default=120,
        help="Before each page, wait up to this many seconds for other processes to leave the CPU "
        "(default %(default)s; 0: do not wait).",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help="Measure a page again when other processes took over 10%% of the CPU during its run, keeping "
        "the least disturbed run (default %(default)s).",
    )
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each page's queries.")
    parser.add_argument("--profile", action="store_true", help="cProfile one request of each page.")
    parser.add_argument("--seed-only", action="store_true", help="Prepare the database and stop.")
    args = parser.parse_args()
    args.pages = [page.strip() for page in args.pages.split(",") if page.strip()]
    if unknown := set(args.pages) - set(PAGES):
        parser.error(f"unknown pages: {', '.join(sorted(unknown))}")
    if min(args.incidents, args.practices, args.duration, args.threads, args.workers) < 1:
        parser.error("--incidents, --practices, --duration, --threads and --workers must be positive")
    args.connections = args.connections or args.workers
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")
    args.database_url = args.database_url or default_database_url(args.incidents)
    return args


# --- The environment: production-like, the same for gunicorn and for this process -------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


REDIS_CACHE_DB, REDIS_BROKER_DB = 13, 14


def redis_urls(redis_url):
    base = redis_url.rstrip("/")
    return f"{base}/{REDIS_CACHE_DB}", f"{base}/{REDIS_BROKER_DB}"


def empty_redis(redis_url):
    """Empty the bench's two Redis databases: cached sessions, rate-limit counters and the queued
    confirmation emails no worker sends."""
    import redis

    for url in redis_urls(redis_url):
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
        except redis.RedisError as exc:
            sys.exit(f"Redis at {url} is not reachable ({exc}); start it or pass --redis-url.")


def bench_environment(database_url, port, static_root, redis_url):
    """Settings for gunicorn and for this process: DEBUG off, as production, and nothing from the shell
    that the settings read (no DATABASE_URL, CELERY_BROKER_URL, EMAIL_HOST, CACHE_URL...): the bench's
    own database and Redis, as production's cache and broker. The settings are production's with the floor
    page routed (bench/bench_settings.py)."""
    from cryptography.fernet import Fernet

    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.bench_settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL=f"https://127.0.0.1:{port}",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DATABASE_URL=database_url,
        DATABASE_CONN_MAX_AGE="600",
        CACHE_URL=redis_urls(redis_url)[0],
        CELERY_BROKER_URL=redis_urls(redis_url)[1],
        # wrk logs thousands of incidents an hour from one user; production's limit would refuse them.
        PORTAL_ACTION_RATE_LIMIT="100000000/h",
        # Production redirects plain HTTP to HTTPS; every request here says it came through the TLS proxy.
        BEHIND_TLS_PROXY="1",
        # Admin's second factor (production) is off: the bench signs the agent in without a device.
        ADMIN_REQUIRE_2FA="0",
        LOG_LEVEL="WARNING",
        STATIC_ROOT=str(static_root),
    )
    return env


def set_up_in_process(args, prefix):
    """For a script that times requests through Django's test client in this process (admin_search.py): the
    bench's database prepared as a run of this script prepares it, Django set up against it, static files
    collected. Returns the temporary folder to delete afterwards."""
    db = server_settings(args.database_url)
    create_database(db, drop=False)
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    env = bench_environment(args.database_url, 8000, workdir / "static", args.redis_url)
    setup_django(env)
    prepare_database(args, db)
    with (workdir / "collectstatic.log").open("w") as log:
        collect_static(env, log)
    return workdir


def setup_django(env):
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- The database -----------------------------------------------------------------------------------


def prepare_database(args, db):
    """Migrate; seed unless the database already holds data seeded with these options."""
    from django.db import connection

    from accounts.models import User

    migrate()
    params = {"incidents": args.incidents, "practices": args.practices, "seed": args.seed, "v": SEED_FORMAT}
    found = stored_params()
    if found == params:
        print("The database is already seeded with these options.")
        return
    if found is not None or User.objects.exists():
        print("The database holds other data: rebuilding it.")
        connection.close()
        create_database(db, drop=True)
        migrate()
    seed(args)
    store_params(params)


# --- Seeding ----------------------------------------------------------------------------------------

PLACES = [
    "Riverside", "Hillview", "Harbour", "Oakwood", "Meadowbank", "Castlegate", "Elm Grove", "Northgate",
    "Southfield", "Westbrook", "Eastleigh", "Kingsway", "Queensway", "Abbey", "Bridge Street",
    "Market Square", "Station Road", "Church Lane", "Mill Lane", "Parkside", "Lakeside", "Woodlands",
    "Brookfield", "Ashford", "Beechwood", "Cedar", "Larchmont", "Rosehill", "Thornbury", "Valley",
    "Highfield", "Greenway", "Fairview", "Moorland", "Seaview", "Orchard", "Willow", "Holly Tree",
    "Chestnut", "Hawthorn",
]  # fmt: skip
PRACTICE_KINDS = ["Medical Centre", "Surgery", "Health Centre", "Family Practice", "Medical Practice"]
FIRST_NAMES = [
    "Alex", "Sam", "Jordan", "Niamh", "Priya", "Tom", "Aisha", "Owen", "Grace", "Ravi", "Sian", "Liam",
    "Chloe", "Daniel", "Fatima", "Gareth", "Hannah", "Imran", "Jess", "Kieran",
]  # fmt: skip
LAST_NAMES = [
    "Morgan", "Patel", "Reid", "Byrne", "Jones", "Evans", "Khan", "Murphy", "Walsh", "Davies", "Hughes",
    "Kelly", "Shah", "Taylor", "Wilson", "Roberts", "Clarke", "Doyle", "Hussain", "Price",
]  # fmt: skip
JOB_ROLES = ["Practice manager", "Receptionist", "GP", "Practice nurse", "IT lead", "Secretary"]
PRODUCTS = [
    ("Clinical records", "7.4.2", ["7.4.2", "7.4.1", "7.3.9"]),
    ("Appointments", "5.4.2", ["5.4.2", "5.4.0", "5.3.7"]),
    ("Prescribing", "3.12.0", ["3.12.0", "3.11.4"]),
    ("Pathology messaging", "2.8.1", ["2.8.1", "2.7.0"]),
    ("Document management", "4.0.3", ["4.0.3", "3.9.8"]),
    ("Practice reporting", "6.1.0", ["6.1.0", "6.0.2"]),
    ("Patient online services", "1.9.5", ["1.9.5", "1.9.4"]),
    ("Clinical decision support", "2.2.0", ["2.2.0"]),
]
SUMMARIES = [
    "Appointments screen freezes when opened", "Cannot print prescriptions", "Pathology results not filing",
    "Slow to load patient records", "Error when saving a consultation", "Document import fails",
    "Repeat templates missing after upgrade", "Report takes hours to run", "Online booking shows no slots",
    "Login fails with an unexpected error", "Label printer prints blank labels", "Search returns no results",
    "Letters stuck in the outbox", "Scanner not detected by the document module", "Audit trail not updating",
    "Drug interaction alert shown twice", "Recall list is empty", "Task list does not refresh",
    "Referral form will not open", "Time-out when sending an electronic prescription",
]  # fmt: skip
DESCRIPTIONS = [
    "Since this morning the screen stops responding when it is opened; other modules work.",
    "Several users see the same problem on different PCs. Restarting the PC did not help.",
    "It worked yesterday afternoon. Nothing has been installed since as far as we know.",
    "The error appears intermittently, more often during morning surgery.",
]
IMPACTS = [
    "Reception cannot book appointments.", "Clinicians have to work around it.", "Minor inconvenience.",
    "Patients are waiting for their prescriptions.", "",
]  # fmt: skip
NOTES_FROM_DESK = [
    "Thank you, we are looking into this now.",
    "Could you send a screenshot of the error message, please?",
    "We have reproduced the problem on our test system.",
    "A fix has been identified and is being tested.",
    "We connected remotely and collected the logs.",
]
NOTES_FROM_PRACTICE = [
    "Screenshot attached as requested.",
    "It happened again at 10:15 on the reception PC.",
    "Any update on this, please? Reception are struggling.",
    "The workaround helps for now.",
    "Two more users are affected today.",
]
RESOLUTIONS = [
    "Cleared the local cache and restarted the service.",
    "Fixed in the latest release; the practice has been upgraded.",
    "Printer driver reinstalled.",
    "Configuration corrected on the practice server.",
]
SEVERITY_WEIGHTS = [2, 13, 45, 20, 20]  # severity 1 to 5
CHANNELS = (["portal", "phone", "email"], [70, 25, 5])
URGENCIES = (["stopped", "today", "days", "none"], [5, 30, 45, 20])
# The status an incident has reached by its age (days): recent ones are open, old ones closed.
_OPEN = ["investigating", "awaiting_customer", "fix_scheduled", "resolved", "closed"]
STATUS_BY_AGE = [
    (
        2,
        ["logged", "under_review", "investigating", "awaiting_customer", "fix_scheduled"],
        [35, 25, 25, 10, 5],
    ),
    (14, _OPEN, [25, 15, 10, 30, 20]),
    (60, _OPEN, [3, 2, 5, 5, 85]),
    (10**9, ["fix_scheduled", "resolved", "closed"], [0.5, 0.5, 99]),
]
CLOCK_RUNS = {"logged", "under_review", "investigating"}
# Response and resolution targets in minutes per severity (escalation.terms.DEFAULT_TARGETS), read as
# wall-clock minutes: close enough for due dates in generated data.
TARGET_MINUTES = {1: (30, 240), 2: (60, 510), 3: (240, 2550), 4: (510, 10200), 5: (510, 5100)}
HISTORY_DAYS = 3 * 365  # the incidents are spread over three years, evenly, newest last
CHANNEL_PHRASES = {"portal": "through the portal", "phone": "by telephone", "email": "by email"}

INCIDENT_COLUMNS = (
    "id", "reference", "practice_id", "site_id", "reporter_id", "logged_by_id", "channel", "status",
    "severity", "assignee_id", "contact_name", "contact_number", "product_id", "version",
    "on_current_version", "summary", "description", "impact", "urgency", "users_affected", "resolution",
    "resolved_at", "closed_at", "responded_at", "response_due_at", "resolution_due_at", "sla_time_used",
    "sla_running_since", "created_at", "updated_at", "practice_last_entry_at", "desk_last_entry_at",
)  # fmt: skip
EVENT_COLUMNS = ("incident_id", "kind", "actor_id", "created_at", "public", "old_value", "new_value", "text")


@dataclass
class PracticeData:
    pk: int
    sites: list
    users: list  # (pk, full_name, phone)


@dataclass
class World:
    """What the incidents refer to, as primary keys."""

    practices: list
    cum_weights: list
    agents: list
    products: list  # (pk, current_version, versions)
    prefix: str
    digits: int
    now: datetime
    stats: dict = field(default_factory=lambda: {"incidents": 0, "events": 0, "notes": 0})


def seed_people(rng, args):
    """Contracts, practices with a main site (and sometimes a branch), 2 to 6 users each, and agents."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from accounts.models import Contract, Practice, Site, User
    from accounts.roles import AGENTS, setup_roles

    setup_roles()
    contracts = [
        Contract.objects.get_or_create(name=name)[0] for name in ("Standard support", "Managed service")
    ]
    practices = Practice.objects.bulk_create(
        Practice(
            practice_id=f"B{n:05d}",
            name=f"{PLACES[n % len(PLACES)]} {PRACTICE_KINDS[n // len(PLACES) % len(PRACTICE_KINDS)]}",
            contract=contracts[0] if rng.random() < 0.7 else contracts[1],
        )
        for n in range(1, args.practices + 1)
    )
    sites = Site.objects.bulk_create(
        Site(practice=practice, name=name, is_main=name == "Main surgery")
        for practice in practices
        for name in (["Main surgery", "Branch surgery"] if rng.random() < 0.3 else ["Main surgery"])
    )
    unusable = make_password(None)  # nobody signs in with a password: the bench creates sessions
    people = []
    for practice in practices:
        for _ in range(rng.randint(2, 6)):
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            number = len(people) + 1
            people.append(
                User(
                    email=f"user{number}@{practice.practice_id.lower()}.bench.example",
                    full_name=name,
                    phone=f"01632 96{rng.randrange(10_000):04d}",
                    job_role=rng.choice(JOB_ROLES),
                    practice=practice,
                    password=unusable,
                )
            )
    users = User.objects.bulk_create(people, batch_size=2000)
    agents = User.objects.bulk_create(
        User(email=f"agent{n}@servicedesk.bench.example", full_name=f"Bench Agent {n}", is_staff=True,
             phone="01632 960900", password=unusable)
        for n in range(1, 11)
    )  # fmt: skip
    Group.objects.get(name=AGENTS).user_set.add(*agents)
    return practices, sites, users, agents


def build_world(rng, args):
    from django.conf import settings

    from incidents.models import Product

    practices, sites, users, agents = seed_people(rng, args)
    products = Product.objects.bulk_create(
        Product(name=name, current_version=current) for name, current, _ in PRODUCTS
    )
    Product.objects.create(name="Legacy lab link", current_version="1.0.0", is_active=False)
    by_practice = {p.pk: PracticeData(p.pk, [], []) for p in practices}
    for site in sorted(sites, key=lambda s: not s.is_main):  # the main site first
        by_practice[site.practice_id].sites.append(site.pk)
    for user in users:
        by_practice[user.practice_id].users.append((user.pk, user.full_name, user.phone))
    # Practices differ in size: list sizes vary about threefold between small and large practices.
    weights = [rng.lognormvariate(0, 0.45) for _ in practices]
    cum_weights, total = [], 0.0
    for weight in weights:
        total += weight
        cum_weights.append(total)
    return World(
        practices=list(by_practice.values()),
        cum_weights=cum_weights,
        agents=[agent.pk for agent in agents],
        products=[
            (p.pk, p.current_version, versions)
            for p, (_, _, versions) in zip(products, PRODUCTS, strict=True)
        ],
        prefix=settings.INCIDENT_REFERENCE_PREFIX,
        digits=settings.INCIDENT_REFERENCE_DIGITS,
        now=datetime.now(UTC).replace(microsecond=0),
    )


def pick_status(rng, age_days):
    for limit, statuses, weights in STATUS_BY_AGE:
        if age_days < limit:
            return rng.choices(statuses, weights)[0]
    raise AssertionError("unreachable")


def lifecycle(rng, status, created, now):
    """responded_at, resolved_at, closed_at for an incident in `status`, never after `now`."""
    if status == "logged":
        return None, None, None
    responded = min(created + timedelta(minutes=rng.randrange(5, 240)), now)
    if status not in ("resolved", "closed"):
        return responded, None, None
    resolved = min(responded + timedelta(minutes=rng.randrange(30, 10 * 24 * 60)), now)
    if status == "resolved":
        return responded, resolved, None
    return responded, resolved, min(resolved + timedelta(minutes=rng.randrange(30, 5 * 24 * 60)), now)


def generate_incident(rng, world, number, created):
    """One incident as a tuple in INCIDENT_COLUMNS order, and its timeline events (EVENT_COLUMNS)."""
    practice = world.practices[bisect.bisect(world.cum_weights, rng.random() * world.cum_weights[-1])]
    reporter, reporter_name, phone = rng.choice(practice.users)
    channel = rng.choices(*CHANNELS)[0]
    logged_by = reporter if channel == "portal" else rng.choice(world.agents)
    status = pick_status(rng, (world.now - created).total_seconds() / 86400)
    severity = rng.choices(range(1, 6), SEVERITY_WEIGHTS)[0]
    assignee = None if status == "logged" else rng.choice(world.agents)
    product, current, versions = rng.choice(world.products)
    version = rng.choice(versions)
    responded, resolved, closed = lifecycle(rng, status, created, world.now)
    response_minutes, resolution_minutes = TARGET_MINUTES[severity]
    running = status in CLOCK_RUNS
    events = incident_events(rng, world, number, (status, severity, channel), (reporter, logged_by, assignee),
                             (created, responded, resolved, closed))  # fmt: skip
    row = (
        number, f"{world.prefix}{number:0{world.digits}d}", practice.pk,
        practice.sites[0] if rng.random() < 0.8 else rng.choice(practice.sites), reporter, logged_by, channel,
        status, severity, assignee, reporter_name, phone, product, version,
        "yes" if version == current else "no",
        rng.choice(SUMMARIES), rng.choice(DESCRIPTIONS), rng.choice(IMPACTS), rng.choices(*URGENCIES)[0],
        rng.randint(1, 12), rng.choice(RESOLUTIONS) if resolved else "", resolved, closed, responded,
        created + timedelta(minutes=response_minutes),
        created + timedelta(minutes=resolution_minutes) if running else None,
        f"{0 if running else rng.randrange(30, resolution_minutes)} minutes",  # COPY's text for an interval
        created if running else None,
        created, events[-1][3], *last_entries(events, reporter, world.agents),
    )  # fmt: skip
    return row, events


def last_entries(events, reporter, agents):
    """The incident's practice_last_entry_at and desk_last_entry_at, as incidents.services.record_event
    keeps them: the latest entry by the practice (the reporter here) and by the desk."""
    practice = [created for _, _, actor, created, *_ in events if actor == reporter]
    desk = [created for _, _, actor, created, *_ in events if actor in agents]
    return max(practice, default=None), max(desk, default=None)


def incident_events(rng, world, number, kinds, people, times):
    """The timeline: logged, taken on by the desk, about three public notes (0 to 6), resolved, closed."""
    status, severity, channel = kinds
    reporter, logged_by, assignee = people
    created, responded, resolved, closed = times
    events = [
        (number, "logged", logged_by, created, "t", "", "logged",
         f"Logged {CHANNEL_PHRASES[channel]}, severity {severity}.")
    ]  # fmt: skip
    if responded:
        first = "investigating" if status == "investigating" else "under_review"
        events.append((number, "status", assignee, responded, "t", "logged", first, ""))
    end = closed or resolved or world.now
    start = responded or created
    notes = bin(rng.getrandbits(6)).count("1")  # binomial: 0 to 6, three on average
    span = max((end - start).total_seconds(), 60.0)
    for index, offset in enumerate(sorted(rng.random() * span for _ in range(notes))):
        from_desk = assignee is not None and index % 2 == 0
        text = rng.choice(NOTES_FROM_DESK if from_desk else NOTES_FROM_PRACTICE)
        events.append((number, "note", assignee if from_desk else reporter,
                       start + timedelta(seconds=offset), "t", "", "", text))  # fmt: skip
    if resolved:
        events.append((number, "status", assignee, resolved, "t", "investigating", "resolved", ""))
    if closed:
        events.append((number, "confirmed", reporter, closed, "t", "resolved", "closed", ""))
    if status in ("awaiting_customer", "fix_scheduled") and responded:
        events.append((number, "status", assignee, end, "t", "investigating", status, ""))
    world.stats["notes"] += notes
    return events


def copy_statement(model, columns):
    """COPY into the model's table: `columns` as generated, then every other column at its default."""
    from django.db import connection
    from psycopg2 import sql

    meta = model._meta
    rest = [f for f in meta.concrete_fields if f.attname not in columns and f is not meta.auto_field]
    tail = []
    for item in rest:
        default = item.get_default()
        if default is None and not item.null:
            raise RuntimeError(f"{meta.label}.{item.name} has no default: the bench must generate it.")
        tail.append(copy_text(item.get_db_prep_save(default, connection)))
    by_attname = {f.attname: f for f in meta.concrete_fields}
    names = [by_attname[name].column for name in columns]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(meta.db_table),
        sql.SQL(", ").join(sql.Identifier(name) for name in [*names, *(f.column for f in rest)]),
    )
    return statement, "".join("\t" + value for value in tail) + "\n"


def copy_rows(cursor, statement, tail, rows):
    """COPY rows of plain values (None, str, int, datetime; the strings need no escaping)."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(r"\N" if value is None else str(value) for value in row) + tail)
    buffer.seek(0)
    cursor.copy_expert(statement, buffer)


def seed_incidents(rng, world, count):
    """The incidents (ids and references 1..count, oldest first) and their events, by COPY in chunks."""
    from django.db import connection
    from psycopg2 import sql

    from incidents.models import Incident, ReferenceCounter, TimelineEvent

    incident_copy = copy_statement(Incident, INCIDENT_COLUMNS)
    event_copy = copy_statement(TimelineEvent, EVENT_COLUMNS)
    start = world.now - timedelta(days=HISTORY_DAYS)
    step = (world.now - start) / count
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg2's own cursor, for copy_expert
        for first in range(1, count + 1, COPY_CHUNK):
            incidents, events = [], []
            for number in range(first, min(first + COPY_CHUNK, count + 1)):
                created = start + step * (number - 1 + rng.random())
                row, timeline = generate_incident(rng, world, number, created.replace(microsecond=0))
                incidents.append(row)
                events.extend(timeline)
            assert len(incidents[0]) == len(INCIDENT_COLUMNS) and len(events[0]) == len(EVENT_COLUMNS)
            copy_rows(cursor, *incident_copy, incidents)
            copy_rows(cursor, *event_copy, events)
            world.stats["incidents"] += len(incidents)
            world.stats["events"] += len(events)
            if (first - 1) % (10 * COPY_CHUNK) == 0 and first > 1:
                print(f"  {first - 1:,} incidents ...", flush=True)
        # The identity column continues after the explicit ids; POSTed incidents take the next reference.
        table = Incident._meta.db_table
        cursor.execute(
            sql.SQL("SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {}))").format(
                sql.Identifier(table)
            ),
            [table],
        )
    ReferenceCounter.objects.update_or_create(name=world.prefix, defaults={"value": count})


def seed(args):
    from django.db import connection

    started = time.perf_counter()
    rng = random.Random(f"{args.seed}/pages")  # noqa: S311 - generated data, not secrets
    world = build_world(rng, args)
    seed_incidents(rng, world, args.incidents)
    seeded = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # fresh statistics and visibility map, as autovacuum would give
    stats = world.stats
    print(
        f"Seeded in {seeded - started:.0f} s (+ VACUUM ANALYZE {time.perf_counter() - seeded:.0f} s): "
        f"{len(world.practices):,} practices, {sum(len(p.users) for p in world.practices):,} practice users, "
        f"{len(world.agents)} agents, {stats['incidents']:,} incidents, {stats['events']:,} timeline events "
        f"({stats['notes'] / max(stats['incidents'], 1):.2f} notes per incident)."
    )


def last_seeded_id(incidents):
    from django.conf import settings

    from incidents.models import Incident

    reference = f"{settings.INCIDENT_REFERENCE_PREFIX}{incidents:0{settings.INCIDENT_REFERENCE_DIGITS}d}"
    return Incident.objects.values_list("pk", flat=True).get(reference=reference)


def remove_posted(incidents):
    """Delete the incidents the POST page logged (and their events) and reset the reference counter, so
    that every run measures the same data."""
    from django.conf import settings
    from django.db import transaction

    from incidents.models import Attachment, Incident, ReferenceCounter, TimelineEvent

    last = last_seeded_id(incidents)
    with transaction.atomic():
        Attachment.objects.filter(incident_id__gt=last).delete()
        TimelineEvent.objects.filter(incident_id__gt=last).delete()
        removed, _ = Incident.objects.filter(pk__gt=last).delete()
        ReferenceCounter.objects.filter(name=settings.INCIDENT_REFERENCE_PREFIX).update(value=incidents)
    return removed


# --- The server -------------------------------------------------------------------------------------


def collect_static(env, log):
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - fixed arguments
        [PYTHON, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT, env=env, check=True, stdout=log, stderr=log,
    )  # fmt: skip
    print(f"Collected static files into {env['STATIC_ROOT']} in {time.perf_counter() - started:.0f} s.")


def request(port, method, path, headers=None, body=None):
    """One request over loopback, marked as HTTPS by the proxy header. Returns the response, read."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers={"X-Forwarded-Proto": "https", **(headers or {})})
        response = connection.getresponse()
        response.text = response.read().decode("utf-8", "replace")
        return response
    finally:
        connection.close()


@contextmanager
def gunicorn(env, port, workers, log):
    """gunicorn servicedesk.wsgi with sync workers; its output goes to `log`."""
    command = [str(Path(PYTHON).with_name("gunicorn")), "servicedesk.wsgi", "-w", str(workers),
               "-b", f"127.0.0.1:{port}"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                sys.exit(f"gunicorn exited with code {process.returncode}; see {log.name}.")
            try:
                if request(port, "GET", "/healthz").status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"gunicorn did not answer /healthz within 60 s; see {log.name}.")
            time.sleep(0.2)
        print(f"gunicorn: {workers} sync workers on 127.0.0.1:{port} (pid {process.pid}).")
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- Signing in and the pages -----------------------------------------------------------------------


def signed_in_session(user):
    """A session as django.contrib.auth.login leaves it, without the login form (or django-axes)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    backend = "accounts.backends.PracticeModelBackend"
    assert backend in settings.AUTHENTICATION_BACKENDS, "the bench signs in through the portal's ModelBackend"
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = backend
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    try:  # the idle-timeout clock that signing in starts (servicedesk.lib.middleware)
        from servicedesk.lib.middleware import LAST_SEEN, SIGNED_IN
    except ImportError:
        pass
    else:
        session[SIGNED_IN] = session[LAST_SEEN] = int(time.time())
    session.create()
    SESSIONS.append(session.session_key)
    return session.session_key


@dataclass
class Page:
    name: str
    path: str
    session: str
    method: str = "GET"
    body: str = ""
    expected: int = 200
    location: str = ""  # a Lua pattern the Location header must match (the POST's redirect)
    cookies: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)


@dataclass
class Subjects:
    """Who and what the pages show: the practice user, the agent, the incident with three notes."""

    user: object
    agent: object
    practice_incidents: int
    incident: object
    incident_events: int


def choose_subjects(incidents):
    """The practice user of the largest practice (the longest list), an agent, and an open incident of
    that practice with exactly three notes."""
    from django.contrib.auth.models import Group
    from django.db.models import Count, Q

    from accounts.models import User
    from accounts.roles import AGENTS
    from incidents.models import Incident

    last = last_seeded_id(incidents)
    seeded = Incident.objects.filter(pk__lte=last)
    practice_id, count = (
        seeded.values_list("practice_id").annotate(n=Count("id")).order_by("-n", "practice_id").first()
    )
    user = User.objects.filter(practice_id=practice_id, is_active=True).order_by("pk").first()
    agent = (
        Group.objects.get(name=AGENTS).user_set.filter(is_staff=True, is_active=True).order_by("pk").first()
    )
    candidates = seeded.filter(practice_id=practice_id).annotate(
        notes=Count("events", filter=Q(events__kind="note")),
        shown=Count("events", filter=Q(events__public=True)),
    )
    incident = (
        candidates.filter(notes=3, status="investigating").first() or candidates.filter(notes=3).first()
    )
    assert incident is not None, "no incident of the practice has exactly three notes"
    return Subjects(user, agent, count, incident, incident.shown)


def post_payload(user):
    """A complete, valid answer to the portal's checklist: the tests' own (tests.factories)."""
    from incidents.models import Product
    from tests.factories import incident_form_data

    product = Product.objects.filter(is_active=True).order_by("pk").first()
    return incident_form_data(
        user,
        product,
        version=product.current_version,
        remote_access_allowed="on",
        remote_access_constraints="Not during morning surgery",
    )


def csrf_for(port, session_cookie):
    """GET the log form with the session; the csrftoken cookie it sets and the form's hidden field."""
    from django.conf import settings

    response = request(port, "GET", "/incidents/new/", {"Cookie": session_cookie})
    if response.status != 200:
        sys.exit(f"GET /incidents/new/ answered {response.status}; the session did not sign the user in.")
    cookies = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
    if settings.CSRF_COOKIE_NAME not in cookies or not match:
        sys.exit("The log form set no CSRF cookie or has no csrfmiddlewaretoken field.")
    return cookies[settings.CSRF_COOKIE_NAME].value, match.group(1)


def build_pages(names, subjects, port):
    from django.conf import settings

    user_session = signed_in_session(subjects.user)
    agent_session = signed_in_session(subjects.agent)
    session_name = settings.SESSION_COOKIE_NAME
    pages = {
        "floor": Page("floor", "/bench/floor/", user_session),
        "list": Page("list", "/incidents/", user_session),
        "detail": Page("detail", subjects.incident.get_absolute_url(), user_session),
        "admin": Page("admin", "/admin/incidents/incident/", agent_session),
        "dashboard": Page("dashboard", "/admin/", agent_session),
    }
    if "post" in names:
        csrf_cookie, csrf_field = csrf_for(port, f"{session_name}={user_session}")
        origin = f"https://127.0.0.1:{port}"
        pages["post"] = Page(
            "post", "/incidents/new/", user_session, method="POST",
            body=urlencode({"csrfmiddlewaretoken": csrf_field, **post_payload(subjects.user)}),
            expected=302, location=r"^/incidents/%u+%d+/$",
            cookies={settings.CSRF_COOKIE_NAME: csrf_cookie},
            headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": origin,
                     "Referer": f"{origin}/incidents/new/"},
        )  # fmt: skip
    for page in pages.values():
        page.cookies = {session_name: page.session, **page.cookies}
    return [pages[name] for name in names]


def check_page(port, page):
    """One request through gunicorn: the page must answer as wrk will count it."""
    cookie = "; ".join(f"{name}={value}" for name, value in page.cookies.items())
    response = request(port, page.method, page.path, {"Cookie": cookie, **page.headers}, page.body or None)
    location = response.headers.get("Location", "")
    lua_pattern = page.location.replace("%u", "[A-Z]").replace("%d", r"\d")
    if response.status != page.expected or (page.location and not re.match(lua_pattern, location)):
        sys.exit(
            f"{page.method} {page.path} answered {response.status} {location}; expected {page.expected}."
        )


# --- Queries per request (Django's test client, same database and settings) ------------------------


@dataclass
class InProcess:
    queries: int
    queries_seen: list
    wall_ms: float
    cpu_ms: float
    sql_ms: float
    captured: list


def test_client(page):
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", headers={"X-Forwarded-Proto": "https"})
    for name, value in page.cookies.items():
        client.cookies[name] = value
    return client


def one_request(client, page, data):
    response = client.post(page.path, data) if page.method == "POST" else client.get(page.path)
    assert response.status_code == page.expected, f"{page.name}: {response.status_code}"


@contextmanager
def recorded_queries():
    """Every statement the connection runs in the block, as (sql, params, seconds)."""
    from django.db import connection

    queries = []

    def record(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((sql, params, time.perf_counter() - started))

    with connection.execute_wrapper(record):
        yield queries


def timed_in_process(client, url, repeat):
    """A page asked `repeat` times of Django's test client: (median ms, the last request's queries, its
    response); stops the bench if the page does not answer 200."""
    walls = []
    for _ in range(repeat):
        with recorded_queries() as queries:
            started = time.perf_counter()
            response = client.get(url)
            walls.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
    return statistics.median(walls), queries, response


def measure_in_process(page, post_data, repeat=7):
    """Queries, wall time, this process's CPU time and SQL time of single requests (after one unmeasured
    request). CPU time leaves out PostgreSQL and waiting, so it is steadier than wall time on a busy
    machine."""
    client = test_client(page)
    one_request(client, page, post_data)
    counts, walls, cpus, sqls = [], [], [], []
    for _ in range(repeat):
        with recorded_queries() as captured:
            started, cpu_started = time.perf_counter(), time.process_time()
            one_request(client, page, post_data)
            cpus.append((time.process_time() - cpu_started) * 1000)
            walls.append((time.perf_counter() - started) * 1000)
        counts.append(len(captured))
        sqls.append(sum(seconds for _, _, seconds in captured) * 1000)
    median = statistics.median
    return InProcess(counts[-1], sorted(set(counts)), median(walls), median(cpus), median(sqls), captured)


def measure_queries(pages, post_data):
    """Each page's queries and times in this process; and how many emails the POSTs queued on the broker
    (as under gunicorn: no worker sends them, and the queue is emptied at the end)."""
    import redis

    broker = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    queued = broker.llen("celery")
    results = {page.name: measure_in_process(page, post_data) for page in pages}
    return results, broker.llen("celery") - queued


# --- wrk --------------------------------------------------------------------------------------------

LUA = """-- Generated by bench/pages.py for one page.
wrk.method = {method}
wrk.body = {body}
{headers}
local expected, location = {expected}, {location}
local threads = {{}}

function setup(thread) table.insert(threads, thread) end

function init(args) ok = 0; unexpected = {{}} end

function response(status, headers, body)
  if status == expected and (location == nil or string.match(headers["Location"] or "", location)) then
    ok = ok + 1
  else
    local key = tostring(status) .. " " .. (headers["Location"] or "")
    unexpected[key] = (unexpected[key] or 0) + 1
  end
end

function done(summary, latency, requests)
  local good, bad = 0, {{}}
  for _, thread in ipairs(threads) do
    good = good + thread:get("ok")
    for key, count in pairs(thread:get("unexpected")) do
      table.insert(bad, string.format("%q: %d", key, count))
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {{"requests": %d, "duration_us": %d, "ok": %d, "unexpected": {{%s}}, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}}\\n',
    summary.requests, summary.duration, good, table.concat(bad, ", "),
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def lua_string(text):
    return json.dumps(text)  # a JSON string of ASCII text is a valid Lua string literal


def lua_script(page):
    cookie = "; ".join(f"{name}={value}" for name, value in page.cookies.items())
    headers = {"X-Forwarded-Proto": "https", "Cookie": cookie, **page.headers}
    return LUA.format(
        method=lua_string(page.method),
        body=lua_string(page.body) if page.body else "nil",
        headers="\n".join(f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()),
        expected=page.expected,
        location=lua_string(page.location) if page.location else "nil",
    )


@functools.cache
def redis_pid():
    """The Redis server's process (the cache and broker are part of what is measured), if it runs here."""
    import redis

    try:
        pid = int(redis.Redis.from_url(os.environ["CACHE_URL"]).info("server")["process_id"])
    except (redis.RedisError, KeyError, ValueError):
        return None
    return pid if Path(f"/proc/{pid}").exists() else None


def bench_processes(gunicorn_pid):
    """The bench's processes by group: gunicorn's master and workers, PostgreSQL's backends of the
    bench database with the server's own background processes (WAL writer, checkpointer...), and
    Redis (cache and broker)."""
    from django.db import connection

    children = Path(f"/proc/{gunicorn_pid}/task/{gunicorn_pid}/children").read_text().split()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() OR backend_type <> 'client backend'"
        )
        backends = [pid for (pid,) in cursor.fetchall()]
    redis = redis_pid()
    return {
        "gunicorn": [gunicorn_pid, *map(int, children)],
        "postgres": backends,
        "redis": [] if redis is None else [redis],
    }


def cpu_snapshot(gunicorn_pid):
    """Clock ticks so far: the machine's (busy, total over all cores) and each bench process's."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    processes = {}
    for group, pids in bench_processes(gunicorn_pid).items():
        for pid in pids:
            try:
                text = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue  # gone meanwhile
            fields = text[text.rindex(")") + 2 :].split()
            processes[pid] = (group, int(fields[11]) + int(fields[12]))  # utime + stime
    return sum(values) - values[3] - values[4], sum(values), processes


def cpu_shares(before, after, wrk_ticks=0.0):
    """Each group's share of all cores between two snapshots; processes present in both only, so that
    a restarted worker does not count negatively."""
    total = (after[1] - before[1]) or 1
    shares = {
        "busy": (after[0] - before[0]) / total,
        "gunicorn": 0.0,
        "postgres": 0.0,
        "redis": 0.0,
        "wrk": wrk_ticks / total,
    }
    for pid, (group, ticks) in after[2].items():
        if pid in before[2]:
            shares[group] += (ticks - before[2][pid][1]) / total
    ours = shares["gunicorn"] + shares["postgres"] + shares["redis"] + shares["wrk"]
    shares["others"] = max(shares["busy"] - ours, 0.0)
    return shares


def run_wrk(wrk, url, script, args, seconds, gunicorn_pid):
    command = [wrk, "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds}s", "--latency",
               "--timeout", "10s", "-s", str(script), url]  # fmt: skip
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = cpu_snapshot(gunicorn_pid)
    done = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    after = cpu_snapshot(gunicorn_pid)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        sys.exit(f"wrk printed no summary:\n{done.stdout}\n{done.stderr}")
    result = json.loads(line.removeprefix("BENCH_JSON "))
    result["wrk_output"] = done.stdout
    wrk_seconds = sum(
        getattr(children_after, f) - getattr(children_before, f) for f in ("ru_utime", "ru_stime")
    )
    result["cpu"] = cpu_shares(before, after, wrk_seconds * os.sysconf("SC_CLK_TCK"))
    return result


def background_load(gunicorn_pid, seconds=2.0):
    """The share of all cores that processes other than the bench use while the bench is idle."""
    before = cpu_snapshot(gunicorn_pid)
    time.sleep(seconds)
    return cpu_shares(before, cpu_snapshot(gunicorn_pid))["others"]


def wait_until_quiet(gunicorn_pid, patience):
    """Wait (at most `patience` seconds) until other processes use under QUIET of the CPU."""
    deadline = time.monotonic() + patience
    load = background_load(gunicorn_pid)
    if load > QUIET and patience:
        print(f"  other processes use {load:.0%} of the CPU: waiting up to {patience} s ...", flush=True)
    while load > QUIET and time.monotonic() < deadline:
        load = background_load(gunicorn_pid)
    return load


def others_share(result):
    return result["cpu"]["others"]


def measure_page(wrk, page, args, port, script, gunicorn_pid):
    """Warm up, then run wrk; a run disturbed by other processes is repeated (--retries), keeping the
    least disturbed one."""
    url = f"http://127.0.0.1:{port}{page.path}"
    best = None
    for attempt in range(1 + args.retries):
        load = wait_until_quiet(gunicorn_pid, args.wait_quiet)
        if args.warmup:
            run_wrk(wrk, url, script, args, args.warmup, gunicorn_pid)
        result = run_wrk(wrk, url, script, args, args.duration, gunicorn_pid)
        result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
        result["attempts"] = attempt + 1
        if best is None or others_share(result) < others_share(best):
            best = result
        if others_share(result) <= QUIET:
            break
        print(
            f"  {page.name}: other processes took {others_share(result):.0%} of the CPU during the run "
            f"(and {load:.0%} before it)" + ("; measuring again" if attempt < args.retries else ""),
            flush=True,
        )
    return best


def drive(pages, args, port, workdir, gunicorn_pid):
    """wrk on each page in turn. The machine's speed drifts by a third within minutes, so the floor, when
    measured with other pages, runs before each of them and once more at the end: each page's ratio uses
    the mean of the floor's runs just before and just after it."""
    wrk = shutil.which("wrk")
    results = {}
    floor = next((page for page in pages if page.name == "floor"), None)
    others = [page for page in pages if page is not floor]
    order = [item for page in others for item in (floor, page)] + [floor] if floor and others else pages
    floor_runs = []
    for page in order:
        script = workdir / f"{page.name}.lua"
        script.write_text(lua_script(page))
        result = measure_page(wrk, page, args, port, script, gunicorn_pid)
        bad = result["status"] + sum(result["unexpected"].values())
        print(
            f"  {page.name:7} {result['rate']:8.1f} req/s  p50 {result['p50_us'] / 1000:6.1f} ms  "
            f"p99 {result['p99_us'] / 1000:6.1f} ms  unexpected responses {bad}  "
            f"(other processes: {others_share(result):.0%} of the CPU)",
            flush=True,
        )
        if page is floor and others:
            floor_runs.append(result)
        else:
            results[page.name] = result
    for index, page in enumerate(others if floor_runs else ()):
        results[page.name]["floor"] = statistics.mean(run["rate"] for run in floor_runs[index : index + 2])
    if floor_runs:
        results["floor"] = merged(floor_runs)
    return results


def merged(runs):
    """Several runs of one page as one: summed requests and errors, mean rate and percentiles."""
    result = {key: sum(run[key] for run in runs) for key in ("requests", "connect", "read", "write")}
    result.update({key: sum(run[key] for run in runs) for key in ("status", "timeout", "duration_us")})
    result.update({key: statistics.mean(run[key] for run in runs) for key in ("p50_us", "p99_us", "rate")})
    result["unexpected"] = {
        key: sum(run["unexpected"].get(key, 0) for run in runs) for run in runs for key in run["unexpected"]
    }
    result["cpu"] = {key: statistics.mean(run["cpu"][key] for run in runs) for key in runs[0]["cpu"]}
    result["runs"] = [run["rate"] for run in runs]
    return result


# --- The report -------------------------------------------------------------------------------------


def code_revision():
    git = shutil.which("git")
    if not git:
        return "unknown"
    run = {"cwd": ROOT, "capture_output": True, "text": True, "check": False}
    head = subprocess.run([git, "rev-parse", "--short", "HEAD"], **run).stdout.strip()  # noqa: S603
    dirty = subprocess.run([git, "status", "--porcelain", "--untracked-files=no"], **run).stdout.strip()  # noqa: S603
    return f"{head or 'unknown'}{' with uncommitted changes' if dirty else ''}"


def report(pages, results, in_process, args):
    floor = results.get("floor", {}).get("rate")
    print(
        f"\nCode {code_revision()}; {args.incidents:,} incidents; wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration}s (after {args.warmup} s of warm-up) against gunicorn -w {args.workers}, on "
        f"{os.cpu_count()} cores shared by wrk, gunicorn, PostgreSQL and Redis:\n"
    )
    if runs := results.get("floor", {}).get("runs"):
        print(
            f"The floor was measured before each page and at the end: {', '.join(f'{r:.1f}' for r in runs)} "
            "req/s; each page's ratio uses the floor's runs just before and after it.\n"
        )
    head = f"{'page':8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'queries':>9}{'floor':>8}{'ratio':>8}"
    head += f"{'target':>8}  result"
    print(head + f"{'non-2xx/3xx':>13}{'other':>7}{'errors':>8}")
    print("-" * (len(head) + 28))
    for page in pages:
        r, q = results[page.name], in_process[page.name]
        around = r.get("floor", floor)
        ratio = r["rate"] / around if around else None
        target = TARGETS.get(page.name)
        verdict = "-" if target is None or ratio is None else ("met" if ratio >= target else "MISSED")
        errors = r["connect"] + r["read"] + r["write"] + r["timeout"]
        print(
            f"{page.name:8}{r['rate']:9.1f}{r['p50_us'] / 1000:9.1f}{r['p99_us'] / 1000:9.1f}"
            f"{'/'.join(map(str, q.queries_seen)):>9}{'' if around is None else f'{around:.0f}':>8}"
            f"{'' if ratio is None else f'{ratio:.2f}':>8}{'' if target is None else f'≥{target}':>8}  "
            f"{verdict:6}{r['status']:>13}{sum(r['unexpected'].values()):>7}{errors:>8}"
        )
    print(
        "\nnon-2xx/3xx: wrk's count; other: any answer but the expected one (200, or for the POST a 302 to "
        "the new incident);\nerrors: socket errors and timeouts. queries: SQL statements of one request "
        "through Django's test client.\n"
    )
    groups = ("busy", "gunicorn", "postgres", "redis", "wrk", "others")
    print(f"{'':8}{'one request in this process':^29}  {'share of both cores during the wrk run':^54}")
    print(f"{'page':8}{'wall ms':>9}{'CPU ms':>9}{'SQL ms':>9}  " + "".join(f"{name:>9}" for name in groups))
    for page in pages:
        cpu, q = results[page.name]["cpu"], in_process[page.name]
        shares = [cpu[name] for name in groups]
        print(
            f"{page.name:8}{q.wall_ms:9.2f}{q.cpu_ms:9.2f}{q.sql_ms:9.2f}  "
            + "".join(f"{share:9.0%}" for share in shares)
        )
    print(
        "\nOne request in this process: Django's test client, median of 7; CPU ms is this process's CPU time "
        "(PostgreSQL's and\nwaiting left out, so steadier than wall time on a busy machine). others: "
        "processes that are not part of the bench;\nwhen they use much of the CPU, the figures above are "
        "low and uneven."
    )


# --- Optional diagnostics ---------------------------------------------------------------------------


def explain(in_process):
    from django.db import connection

    for name, measured in in_process.items():
        print(f"\n=== {name}: {len(measured.captured)} queries")
        with connection.cursor() as cursor:
            for text, params, seconds in measured.captured:
                print(f"\n[{seconds * 1000:.2f} ms] {cursor.mogrify(text, params).decode()[:3000]}")
                if text.lstrip().upper().startswith("SELECT"):
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + text, params)
                    print("\n".join("    " + line for (line,) in cursor.fetchall()))


def profile(pages, post_data):
    for page in pages:
        client = test_client(page)
        one_request(client, page, post_data)
        profiler = cProfile.Profile()
        profiler.runcall(one_request, client, page, post_data)
        stats = pstats.Stats(profiler, stream=sys.stdout)
        print(f"\n=== cProfile of one {page.method} {page.path}, by cumulative time:")
        stats.sort_stats("cumulative").print_stats(40)
        print("=== the same by own time:")
        stats.sort_stats("tottime").print_stats(20)


# --- Main -------------------------------------------------------------------------------------------


def describe(subjects, emails):
    user, incident = subjects.user, subjects.incident
    print(
        f"Practice user {user.email} of {user.practice} ({subjects.practice_incidents:,} incidents, the "
        f"largest practice); agent {subjects.agent.email}; incident {incident.reference} "
        f"({incident.get_status_display().lower()}, 3 notes, {subjects.incident_events} public events)."
    )
    if emails is not None:
        print(f"The POSTs through the test client queued {emails} confirmation emails on the broker.")


def benchmark(args, env, port, workdir, log):
    """Everything after seeding: gunicorn, sessions, query counts, wrk, the table."""
    subjects = choose_subjects(args.incidents)
    post_data = post_payload(subjects.user)
    with gunicorn(env, port, args.workers, log) as server:
        pages = build_pages(args.pages, subjects, port)
        for page in pages:
            check_page(port, page)
        wait_until_quiet(server.pid, args.wait_quiet)
        in_process, emails = measure_queries(pages, post_data)
        describe(subjects, emails if "post" in args.pages else None)
        print(f"wrk, {args.duration} s per page:")
        results = drive(pages, args, port, workdir, server.pid)
    log.flush()
    text = Path(log.name).read_text(errors="replace")
    restarted = (booted := text.count("Booting worker")) > args.workers or "WORKER TIMEOUT" in text
    if restarted:
        print(f"WARNING: gunicorn restarted workers ({booted} booted); its output is kept in {log.name}.")
    report(pages, results, in_process, args)
    if args.explain:
        explain(in_process)
    if args.profile:
        profile(pages, post_data)
    return not restarted


def main():
    args = parse_args()
    if not shutil.which("wrk") and not args.seed_only:
        sys.exit("wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu), then run this again.")
    db = server_settings(args.database_url)  # PostgreSQL, and a name containing "bench"
    create_database(db, drop=args.reset)
    workdir = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    port = free_port()
    static_root = workdir / "static"
    env = bench_environment(args.database_url, port, static_root, args.redis_url)
    setup_django(env)
    prepare_database(args, db)
    if args.seed_only:
        shutil.rmtree(workdir)
        return
    empty_redis(args.redis_url)
    removed = remove_posted(args.incidents)
    if removed:
        print(f"Removed {removed:,} incidents left by an earlier run's POSTs.")
    log_path = workdir / "gunicorn.log"
    try:
        with log_path.open("w") as log:
            collect_static(env, log)
            clean = benchmark(args, env, port, workdir, log)
    except BaseException:
        print(f"\nThe bench stopped; gunicorn's output is in {log_path}.")
        raise
    finally:
        from django.contrib.sessions.models import Session

        print(f"\nRemoved {remove_posted(args.incidents):,} incidents the POSTs logged.")
        Session.objects.filter(session_key__in=SESSIONS).delete()
        empty_redis(args.redis_url)
    if clean:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
