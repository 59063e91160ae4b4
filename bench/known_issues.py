"""How long shipping a release takes when a known issue scheduled into it has 1,000 linked incidents
(issue 19's bench figure): seconds, SQL queries, and emails queued.

Run by hand, never by the test suite (see bench/README.md):

    .venv/bin/python bench/known_issues.py                     # 1,000 linked incidents, 200 practices
    .venv/bin/python bench/known_issues.py --incidents 3000 --repeat 3

Each repetition builds its own product, release and known issue, links the incidents to it (bulk_create:
the services would take minutes to log them; their states are a realistic mix of logged, under review,
investigating and awaiting the customer), then ships the release through incidents.known_issues.release_ship,
as admin's "Yes, mark shipped" does. The shipment is timed to its commit, with its queries counted and the
emails it queued for after the commit; those emails are then sent eagerly (locmem backend) and timed apart.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from survey_sampling import create_database, migrate, server_settings, setup_django  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/sd_bench_known_issues"


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--incidents", type=int, default=1000, help="Incidents linked to the known issue.")
    parser.add_argument("--practices", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reset", action="store_true", help="Drop and rebuild the database first.")
    return parser.parse_args()


def seed_practices(count):
    from django.contrib.auth.hashers import make_password

    from accounts.models import Practice, Site, User

    unusable = make_password(None)
    have = list(Practice.objects.filter(practice_id__startswith="B").order_by("pk"))
    if len(have) >= count:
        return [(p, p.bench_user) for p in _with_users(have[:count])]
    practices = Practice.objects.bulk_create(
        Practice(practice_id=f"B{n:05d}", name=f"Bench Practice {n}") for n in range(len(have), count)
    )
    Site.objects.bulk_create(Site(practice=p, name="Main surgery", is_main=True) for p in practices)
    User.objects.bulk_create(
        User(
            email=f"user{p.practice_id.lower()}@bench.example",
            full_name=f"Bench User {p.practice_id}",
            phone="01632 960123",
            practice=p,
            password=unusable,
        )  # fmt: skip
        for p in practices
    )
    return seed_practices(count)


def _with_users(practices):
    from accounts.models import User

    users = {u.practice_id: u for u in User.objects.filter(practice__in=practices)}
    for practice in practices:
        practice.bench_user = users[practice.pk]
    return practices


def build_shipment(run, args, agent):
    """A product, its release, a known issue scheduled into it and `args.incidents` linked incidents."""
    from django.utils import timezone

    from incidents import known_issues
    from incidents.models import Channel, Incident, Product, Release, Severity, Status

    product = Product.objects.create(name=f"Bench product {run} {time.time_ns()}", current_version="5.4.2")
    release = Release.objects.create(
        product=product, version="5.4.3", target_date=timezone.localdate() + timedelta(days=7)
    )
    known_issue = known_issues.known_issue_declare(
        actor=agent, product=product, title="Prescriptions print blank", symptoms="The FP10 is blank.",
        severity=2, workaround="Print from the PDF preview.",
    )  # fmt: skip
    known_issues.known_issue_schedule_fix(known_issue, actor=agent, release=release)
    practices = seed_practices(args.practices)
    states = [Status.LOGGED, Status.UNDER_REVIEW, Status.INVESTIGATING, Status.AWAITING_CUSTOMER]
    now = timezone.now()
    Incident.objects.bulk_create(
        Incident(
            reference=f"BK{run:02d}{n:06d}{time.time_ns() % 10_000:04d}",
            practice=practices[n % len(practices)][0],
            reporter=practices[n % len(practices)][1],
            logged_by=practices[n % len(practices)][1],
            channel=Channel.PORTAL,
            status=states[n % len(states)],
            severity=Severity.MAJOR_FAULT,
            contact_name="Bench User",
            contact_number="01632 960123",
            product=product,
            version="5.4.2",
            summary="Prescriptions print blank",
            description="The FP10 is blank.",
            known_issue=known_issue,
            resolution_due_at=now + timedelta(days=2),
            sla_running_since=now,
        )
        for n in range(args.incidents)
    )
    return release


def ship(release, agent):
    from django.core import mail
    from django.db import connection, transaction
    from django.test.utils import override_settings

    from incidents import known_issues

    counter = {"queries": 0}

    def count(execute, sql_text, params, many, context):
        counter["queries"] += 1
        return execute(sql_text, params, many, context)

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        mail.outbox = []
        callbacks = []
        started = time.perf_counter()
        with connection.execute_wrapper(count), transaction.atomic():
            resolved = known_issues.release_ship(release, actor=agent)
            # The emails wait for the commit; count them and send them after the timing.
            callbacks = [callback for _, callback, _ in connection.run_on_commit]
            connection.run_on_commit = []
        shipped = time.perf_counter() - started
        started = time.perf_counter()
        for callback in callbacks:
            callback()
        emailing = time.perf_counter() - started
        return {
            "seconds": shipped,
            "queries": counter["queries"],
            "resolved": len(resolved),
            "queued": sum("send_incident_email" in callback.__qualname__ for callback in callbacks),
            "emails": len(mail.outbox),
            "email_seconds": emailing,
        }


def main():
    args = parse_args()
    db = server_settings(args.database_url)
    create_database(db, drop=args.reset)
    setup_django(args.database_url)
    migrate()
    from accounts.models import User

    agent, _ = User.objects.get_or_create(
        email="bench.agent@servicedesk.example", defaults={"full_name": "Bench Agent", "is_staff": True}
    )
    results = []
    for run in range(args.repeat):
        release = build_shipment(run, args, agent)
        results.append(ship(release, agent))
        print(
            f"run {run + 1}: {results[-1]['seconds']:.2f} s, {results[-1]['queries']} queries, "
            f"{results[-1]['resolved']} resolved, {results[-1]['queued']} emails queued "
            f"({results[-1]['emails']} sent afterwards in {results[-1]['email_seconds']:.2f} s)"
        )
    seconds = [r["seconds"] for r in results]
    print(
        f"\nShipping a release linked to {args.incidents} incidents of {args.practices} practices: "
        f"median {statistics.median(seconds):.2f} s (min {min(seconds):.2f}, max {max(seconds):.2f}), "
        f"{results[0]['queries']} queries ({results[0]['queries'] / args.incidents:.1f} per incident), "
        f"{results[0]['queued']} emails queued."
    )


if __name__ == "__main__":
    main()
