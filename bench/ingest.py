"""How many messages a second the email intake reads from a full IMAP mailbox (issue 15's closing note).

Run by hand, never by the test suite (see bench/README.md):

    .venv/bin/python bench/ingest.py                    # 10,000 messages waiting in the mailbox
    .venv/bin/python bench/ingest.py --messages 2000 --eager

It starts a throwaway Dovecot (tests/inbound/dovecot.py; `apt-get install dovecot-imapd`), rebuilds a
dedicated PostgreSQL database with practices, their users and open incidents, delivers the messages into the
mailbox over IMAP (not timed), then times one `inbound.imap.poll()`, the Celery beat task's body, reading
them all: new incidents, replies that thread onto incidents, out-of-office replies, strangers and NHS numbers.
"""

import argparse
import cProfile
import os
import pstats
import random
import sys
import time
from collections import Counter
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/sd_bench_ingest"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/9"
# Of every 100 messages: new incidents, replies to incidents, automatic replies, strangers, NHS numbers.
MIX = {"new": 65, "reply": 20, "automated": 8, "stranger": 5, "nhs": 2}


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="A dedicated PostgreSQL database, dropped and rebuilt: its name must contain 'bench'.",
    )
    parser.add_argument("--messages", type=int, default=10_000, help="Messages in the mailbox (10,000).")
    parser.add_argument("--practices", type=int, default=100)
    parser.add_argument("--users-per-practice", type=int, default=5)
    parser.add_argument("--incidents", type=int, default=500, help="Open incidents that replies answer.")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--profile", action="store_true", help="cProfile of the poll (its top 30 functions).")
    parser.add_argument("--profile-sort", default="tottime", help="tottime (default) or cumulative.")
    parser.add_argument(
        "--eager",
        action="store_true",
        help="Send the intake's replies in the poll (eager Celery, email kept in memory) instead of queueing "
        f"them on Redis ({DEFAULT_BROKER_URL}, purged after) as production does.",
    )
    args = parser.parse_args()
    if "bench" not in args.database_url.rsplit("/", 1)[-1]:
        parser.error("the database's name must contain 'bench': this script drops and rebuilds it")
    return args


def rebuild_database(url):
    import dj_database_url

    db = dj_database_url.parse(url)
    server = psycopg2.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"], dbname="postgres"
    )
    server.autocommit = True
    try:
        with server.cursor() as cursor:
            name = sql.Identifier(db["NAME"])
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(name))
    finally:
        server.close()


def setup_django(url, eager):
    os.environ["DEBUG"] = "1"
    os.environ["DJANGO_SETTINGS_MODULE"] = "servicedesk.settings"
    os.environ["DATABASE_URL"] = url
    os.environ["INBOUND_HELD_DIR"] = str(ROOT / "var" / "bench-held-mail")
    for name in ("CELERY_BROKER_URL", "EMAIL_HOST", "INBOUND_IMAP_HOST"):
        os.environ.pop(name, None)
    if not eager:
        os.environ["CELERY_BROKER_URL"] = DEFAULT_BROKER_URL
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from servicedesk.celery import app

    app.conf.task_default_queue = "bench-ingest"
    return app


def seed(args, rng):
    from django.core.management import call_command

    from accounts.models import User
    from tests.factories import IncidentFactory, PracticeFactory, ProductFactory, UserFactory

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    product = ProductFactory(name="Appointments")
    users = []
    for p in range(args.practices):
        practice = PracticeFactory(name=f"Bench Practice {p}")
        users += [
            UserFactory.build(
                email=f"user{u}@practice{p}.example",
                full_name=f"Bench User {p}-{u}",
                practice=practice,
                password=None,
            )
            for u in range(args.users_per_practice)
        ]
    User.objects.bulk_create(users)
    users = list(User.objects.filter(practice__isnull=False))
    incidents = [IncidentFactory(reporter=rng.choice(users), product=product) for _ in range(args.incidents)]
    print(
        f"Seeded {args.practices} practices, {len(users)} users and {len(incidents)} open incidents "
        f"in {time.perf_counter() - started:.1f} s."
    )
    return users, incidents


def messages(args, rng, users, incidents):
    from incidents.mail_thread import thread_headers

    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=args.messages)
    for n, kind in enumerate(kinds):
        message = EmailMessage()
        user = rng.choice(users)
        sender = user.email
        subject = f"Problem report {n}: the appointment book is slow"
        body = f"Since this morning the appointment book takes a minute to open (report {n}).\n\nRegards\n"
        if kind == "reply":
            incident = rng.choice(incidents)
            sender = incident.reporter.email
            sent = thread_headers(incident.reference)
            message["In-Reply-To"] = sent["Message-ID"]
            message["References"] = f"{sent['References']} {sent['Message-ID']}"
            subject = f"Re: [{incident.reference}] {incident.summary}"
            body = (
                f"Still happening after the restart ({n}).\n\nOn Monday, the desk wrote:\n> Please restart.\n"
            )
        elif kind == "automated":
            message["Auto-Submitted"] = "auto-replied"
            subject = "Out of office"
            body = "I am away until Monday."
        elif kind == "stranger":
            sender = f"someone{n % 50}@elsewhere.example"
        elif kind == "nhs":
            body = f"Patient 943 476 5919 cannot book ({n})."
        message["From"] = sender
        message["To"] = "incidents@servicedesk.example.org"
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
        message.set_content(body)
        yield kind, bytes(message).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def deliver(dovecot, raws):
    started = time.perf_counter()
    with dovecot.mailbox() as box:
        for raw in raws:
            box.append(raw, "INBOX")
    return time.perf_counter() - started


class Measured:
    """One poll, with the time spent inside `ingest` and the SQL statements it ran (count and time)."""

    def __init__(self, profile):
        self.profile = cProfile.Profile() if profile else None
        self.in_ingest = 0.0
        self.queries = 0
        self.by_statement = Counter()

    def timing(self, ingest):
        def timed_ingest(raw, *, source):
            started = time.perf_counter()
            try:
                return ingest(raw, source=source)
            finally:
                self.in_ingest += time.perf_counter() - started

        return timed_ingest

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.by_statement[sql[:150]] += time.perf_counter() - started

    def poll(self):
        from django.db import connection

        import inbound.imap

        ingest = inbound.imap.ingest
        inbound.imap.ingest = self.timing(ingest)
        started = time.perf_counter()
        try:
            with connection.execute_wrapper(self):
                if self.profile:
                    self.profile.enable()
                result = inbound.imap.poll()
                if self.profile:
                    self.profile.disable()
        finally:
            inbound.imap.ingest = ingest
        self.elapsed = time.perf_counter() - started
        return result


def report(args, measured, result, dovecot):
    from django.core import mail

    from inbound.models import InboundMessage

    elapsed = measured.elapsed
    print(f"\nPoll: {result}")
    print(f"  {result.read:,} messages in {elapsed:.1f} s: {result.read / elapsed:,.0f} messages/s")
    print(
        f"  in ingest (parse, checks, database): {measured.in_ingest:.1f} s; "
        f"IMAP fetch and move: {elapsed - measured.in_ingest:.1f} s"
    )
    print(f"  SQL queries: {measured.queries:,} ({measured.queries / max(result.read, 1):.1f} per message)")
    print(f"  replies: {len(mail.outbox)} sent" if args.eager else "  replies: queued on Redis (purged)")
    print(f"  mailbox afterwards: {dovecot.count()}")
    print(f"  recorded: {dict(Counter(InboundMessage.objects.values_list('outcome', flat=True)))}")
    if measured.profile:
        print("  slowest statements, by total time:")
        for statement, seconds in measured.by_statement.most_common(12):
            print(f"    {seconds:6.2f} s  {statement}")
        pstats.Stats(measured.profile).sort_stats(args.profile_sort).print_stats(30)


def main():
    args = parse_args()
    rng = random.Random(args.seed)  # noqa: S311 (made-up mail, not secrets)
    rebuild_database(args.database_url)
    app = setup_django(args.database_url, args.eager)
    if not args.eager:
        app.control.purge()

    from django.conf import settings
    from django.core import mail

    from tests.inbound.dovecot import DOVECOT, Dovecot

    if not DOVECOT.exists():
        sys.exit(f"Needs Dovecot at {DOVECOT}: apt-get install dovecot-imapd")
    users, incidents = seed(args, rng)
    mail.outbox = []
    dovecot = Dovecot()
    try:
        for name, value in dovecot.settings().items():
            setattr(settings, name, value)
        made = list(messages(args, rng, users, incidents))
        delivered = deliver(dovecot, [raw for _kind, raw in made])
        total_bytes = sum(len(raw) for _kind, raw in made)
        print(
            f"Delivered {len(made):,} messages ({total_bytes / 1e6:.1f} MB; "
            f"{dict(Counter(kind for kind, _raw in made))}) "
            f"in {delivered:.1f} s (not timed)."
        )
        measured = Measured(args.profile)
        result = measured.poll()
        report(args, measured, result, dovecot)
    finally:
        dovecot.stop()
        if not args.eager:
            app.control.purge()


if __name__ == "__main__":
    main()
