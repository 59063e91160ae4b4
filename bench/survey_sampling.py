"""How long the monthly survey draw takes on a large PostgreSQL database (issue 5's closing note).

Run by hand, never by the test suite (see bench/README.md):

    .venv/bin/python bench/survey_sampling.py                       # 100,000 incidents closed in 2026-10
    .venv/bin/python bench/survey_sampling.py --incidents 250000 --repeat 3 --explain

The first run creates and seeds a dedicated database with bulk_create and COPY (the incident services
are far too slow for this): practices, customers, the month's closed incidents (several per customer)
and earlier survey rounds whose invitations the six-month exclusion must skip. Later runs with the same
options reuse it; other options, or --reset, rebuild it. Then sample_month is timed as a dry run, as a
real run (the October round is deleted between repetitions) and as a rerun that finds the round drawn.
"""

import argparse
import cProfile
import io
import json
import math
import os
import pstats
import random
import statistics
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/sd_bench_surveys"
LONDON = ZoneInfo("Europe/London")
EXCLUSION_MONTHS = 6  # surveys.services.EXCLUSION_MONTHS, repeated so that the seed does not import it
COPY_CHUNK = 10_000


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="A dedicated PostgreSQL database, created if missing and rebuilt when the options change: "
        "its name must contain 'bench' (default: $BENCH_DATABASE_URL or %(default)s).",
    )
    parser.add_argument("--month", default="2026-10", help="The month of the closures (default %(default)s).")
    parser.add_argument("--incidents", type=int, default=100_000, help="Incidents closed in the month.")
    parser.add_argument("--customers", type=int, default=20_000, help="Customers (practice users).")
    parser.add_argument("--practices", type=int, default=200)
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help="Extra incidents closed in the twelve months before (default 0).",
    )
    parser.add_argument(
        "--prior-rounds",
        type=int,
        default=5,
        choices=range(EXCLUSION_MONTHS + 1),
        help="Earlier monthly rounds, dated from six months before the measured round onwards: the first "
        "is on the exclusion boundary, so its invitees are eligible again (default 5: 1 May to 1 September "
        "2026 for the round of 1 November 2026).",
    )
    parser.add_argument(
        "--prior-share", type=float, default=0.25, help="Share of all customers each earlier round invited."
    )
    parser.add_argument("--seed", type=int, default=2026, help="Random seed of the generated data.")
    parser.add_argument("--repeat", type=int, default=5, help="Repetitions of each measurement.")
    parser.add_argument("--reset", action="store_true", help="Drop and rebuild the database first.")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the dry run's queries.")
    parser.add_argument("--profile", action="store_true", help="cProfile one dry run (Python hotspots).")
    parser.add_argument(
        "--emails",
        action="store_true",
        help="Also time `manage.py sample_surveys` end to end: eager Celery tasks, locmem email backend.",
    )
    args = parser.parse_args()
    try:
        args.month = datetime.strptime(args.month, "%Y-%m").date()
    except ValueError:
        parser.error(f"--month must look like 2026-10; got {args.month!r}")
    if min(args.incidents, args.customers, args.practices, args.repeat) < 1 or args.history < 0:
        parser.error("--incidents, --customers, --practices and --repeat must be positive")
    return args


def add_months(day, months):
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_bounds(month):
    """The month's first and last instants in London time, as UTC datetimes (DST-safe arithmetic)."""
    start = datetime(month.year, month.month, 1, tzinfo=LONDON).astimezone(UTC)
    end = datetime.combine(add_months(month, 1), datetime.min.time(), tzinfo=LONDON).astimezone(UTC)
    return start, end


# --- The database -----------------------------------------------------------------------------------


def server_settings(url):
    import dj_database_url

    db = dj_database_url.parse(url)
    if db["ENGINE"] != "django.db.backends.postgresql":
        sys.exit(f"The benchmark needs PostgreSQL; got {url!r}.")
    if "bench" not in db["NAME"]:
        sys.exit(
            f"Refusing to use {db['NAME']!r}: the benchmark drops and rebuilds its database, "
            "so the name must contain 'bench'."
        )
    return db


def create_database(db, drop=False):
    """Create the database if missing (dropping it first with `drop`), through the server's 'postgres' db."""
    server = psycopg2.connect(
        dbname="postgres", user=db["USER"], password=db["PASSWORD"], host=db["HOST"], port=db["PORT"] or 5432
    )
    server.autocommit = True
    try:
        with server.cursor() as cursor:
            name = sql.Identifier(db["NAME"])
            if drop:
                cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
            if not cursor.fetchone():
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(name))
                print(f"Created database {db['NAME']}.")
    finally:
        server.close()


def setup_django(url):
    os.environ["DEBUG"] = "1"
    os.environ["DJANGO_SETTINGS_MODULE"] = "servicedesk.settings"
    os.environ["DATABASE_URL"] = url
    # Tasks run eagerly in this process and no email leaves it, whatever the shell has set.
    for name in ("CELERY_BROKER_URL", "EMAIL_HOST"):
        os.environ.pop(name, None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def migrate():
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"Migrated in {time.perf_counter() - started:.1f} s.")


def stored_params():
    """The options the database was seeded with, kept as the database's comment (None if unseeded)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()"
        )
        comment = cursor.fetchone()[0]
    try:
        return json.loads(comment) if comment else None
    except ValueError:
        return None


def store_params(params):
    from django.db import connection

    with connection.cursor() as cursor:
        statement = sql.SQL("COMMENT ON DATABASE {} IS {}").format(
            sql.Identifier(connection.settings_dict["NAME"]), sql.Literal(json.dumps(params, sort_keys=True))
        )
        cursor.execute(statement.as_string(cursor.cursor))


# --- Seeding ----------------------------------------------------------------------------------------


def copy_text(value):
    """One value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_into(model, objects):
    """Insert unsaved model instances with COPY: every concrete column but the automatic primary key.

    Values go through each field's get_db_prep_save, so they are stored as Django would store them;
    auto_now fields are not filled in, so the instances must carry them. Returns the number of rows.
    """
    from django.db import connection

    fields = [field for field in model._meta.concrete_fields if field is not model._meta.auto_field]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(sql.Identifier(f.column) for f in fields)
    )
    rows = 0
    buffer = io.StringIO()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg2 cursor under Django's wrapper
        for obj in objects:
            values = (field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields)
            buffer.write("\t".join(map(copy_text, values)) + "\n")
            rows += 1
            if rows % COPY_CHUNK == 0:
                buffer.seek(0)
                raw.copy_expert(statement, buffer)
                buffer = io.StringIO()
        buffer.seek(0)
        raw.copy_expert(statement, buffer)
    return rows


def seed_accounts(args):
    from django.contrib.auth.hashers import make_password

    from accounts.models import Practice, Site, User
    from incidents.models import Product

    products = Product.objects.bulk_create(
        Product(name=f"Bench clinical system {n}", current_version="7.2.0") for n in range(1, 6)
    )
    practices = Practice.objects.bulk_create(
        Practice(practice_id=f"BN{n:05d}", name=f"Bench Practice {n}") for n in range(1, args.practices + 1)
    )
    sites = Site.objects.bulk_create(Site(practice=p, name="Main surgery", is_main=True) for p in practices)
    customers = User.objects.bulk_create(
        (
            User(
                email=f"customer{n:06d}@bench-practice.example",
                full_name=f"Bench Customer {n}",
                phone="01632 960123",
                practice=practices[n % len(practices)],
                password=make_password(None),  # unusable: nobody signs in as these people
            )
            for n in range(1, args.customers + 1)
        ),
        batch_size=2000,
    )
    return products, {site.practice_id: site.pk for site in sites}, customers


def generate_incidents(rng, accounts, window, numbers):
    """Closed incidents, each closed at a uniformly random instant of `window` (start, end) by a random
    customer, so that customers have several closures each (and a few have none)."""
    from incidents.models import Incident, Status

    products, main_site, customers = accounts
    start, end = window
    span = int((end - start).total_seconds())
    for number in numbers:
        customer = rng.choice(customers)
        closed_at = start + timedelta(seconds=rng.randrange(span))
        resolved_at = closed_at - timedelta(minutes=rng.randrange(60, 5 * 24 * 60))
        created_at = resolved_at - timedelta(minutes=rng.randrange(10, 14 * 24 * 60))
        yield Incident(
            reference=f"BN{number:07d}",
            practice_id=customer.practice_id,
            site_id=main_site[customer.practice_id],
            reporter_id=customer.pk,
            logged_by_id=customer.pk,
            status=Status.CLOSED,
            severity=rng.randint(1, 5),
            contact_name=customer.full_name,
            contact_number=customer.phone,
            product_id=rng.choice(products).pk,
            summary=f"Bench incident {number}",
            description="Generated by bench/survey_sampling.py.",
            resolution="Fixed.",
            responded_at=created_at + timedelta(minutes=15),
            resolved_at=resolved_at,
            closed_at=closed_at,
            created_at=created_at,
            updated_at=closed_at,
        )


def seed_prior_rounds(rng, args, customer_ids):
    """Rounds dated six, five, ... months before the measured one, each inviting a random share of all
    customers (independently, so a customer may be in several). Invitations name no incident."""
    from surveys.models import Invitation, SurveyRound

    round_date = add_months(args.month, 1)
    rounds = SurveyRound.objects.bulk_create(
        SurveyRound(
            month=add_months(round_date, -k - 1),
            round_date=add_months(round_date, -k),
            seed=rng.getrandbits(63),
            population=len(customer_ids),
            eligible_count=len(customer_ids),
        )
        for k in range(EXCLUSION_MONTHS, EXCLUSION_MONTHS - args.prior_rounds, -1)
    )
    size = round(args.prior_share * len(customer_ids))

    def invitations():
        for survey_round in rounds:
            sent_at = datetime.combine(
                survey_round.round_date, datetime.min.time(), tzinfo=LONDON
            ) + timedelta(hours=2)
            for customer_id in rng.sample(customer_ids, size):
                yield Invitation(
                    round=survey_round,
                    customer_id=customer_id,
                    claimed_at=sent_at,
                    sent_at=sent_at,
                    expires_at=sent_at + timedelta(days=28),
                )

    return len(rounds), copy_into(Invitation, invitations())


def seed(args, params):
    from django.db import connection, transaction

    from incidents.models import Incident

    started = time.perf_counter()
    # Generated data, not secrets. One generator per part, so that --history or --incidents do not
    # change who the earlier rounds invited.
    incidents_rng, history_rng, rounds_rng = (
        random.Random(f"{args.seed}/{part}")  # noqa: S311
        for part in ("incidents", "history", "rounds")
    )
    with transaction.atomic():  # all or nothing: an interrupted seed leaves no half-built database
        accounts = seed_accounts(args)
        start, end = month_bounds(args.month)
        in_month = copy_into(
            Incident, generate_incidents(incidents_rng, accounts, (start, end), range(1, args.incidents + 1))
        )
        history_window = (month_bounds(add_months(args.month, -12))[0], start)
        numbers = range(args.incidents + 1, args.incidents + args.history + 1)
        history = copy_into(Incident, generate_incidents(history_rng, accounts, history_window, numbers))
        rounds, invitations = seed_prior_rounds(rounds_rng, args, [c.pk for c in accounts[2]])
        store_params(params)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # fresh statistics and visibility map, as autovacuum would give
    print(
        f"Seeded in {time.perf_counter() - started:.1f} s: {args.practices:,} practices, {args.customers:,} "
        f"customers, {in_month:,} incidents closed in {args.month:%B %Y} and {history:,} before, "
        f"{rounds} earlier rounds with {invitations:,} invitations."
    )


def prepare_database(args):
    db = server_settings(args.database_url)
    create_database(db, drop=args.reset)
    setup_django(args.database_url)
    migrate()
    params = {
        key: str(value) if isinstance(value, date) else value
        for key, value in vars(args).items()
        if key
        in {"month", "incidents", "customers", "practices", "history", "prior_rounds", "prior_share", "seed"}
    }
    found = stored_params()
    if found == params:
        print("The database is already seeded with these options.")
        return
    from django.db import connection

    from accounts.models import User

    if found is not None or User.objects.exists():
        print("The database holds other data: rebuilding it.")
        connection.close()
        create_database(db, drop=True)
        migrate()
    seed(args, params)


# --- Measuring --------------------------------------------------------------------------------------


@dataclass
class Measurement:
    seconds: float
    queries: int
    sql_seconds: float


@contextmanager
def measured(results):
    """Time the block and capture its SQL; appends a Measurement to `results` and yields the capture."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        yield captured
        seconds = time.perf_counter() - started
    sql_seconds = sum(float(query["time"]) for query in captured.captured_queries)
    results.append(Measurement(seconds, len(captured), sql_seconds))


def delete_round(month):
    from surveys.models import Invitation, SurveyRound

    Invitation.objects.filter(round__month=month).delete()
    SurveyRound.objects.filter(month=month).delete()


def real_run(month):
    """As the Celery task and the command run it: inside a transaction."""
    from django.db import transaction

    from surveys.services import sample_month

    with transaction.atomic():
        return sample_month(month)


def time_phases(month, phases):
    """The draw's three steps on their own: reading the closures, the exclusion, the random sample."""
    from surveys.services import SAMPLE_SHARE, draw, eligible, last_closed_incidents

    started = time.perf_counter()
    people = sorted(last_closed_incidents(month))
    read = time.perf_counter()
    chosen_from = eligible(people, add_months(month, 1))
    excluded = time.perf_counter()
    draw(chosen_from, math.ceil(SAMPLE_SHARE * len(people)), seed=1)
    drawn = time.perf_counter()
    for name, seconds in (("last_closed_incidents", read - started), ("eligible", excluded - read)):
        phases.setdefault(name, []).append(seconds)
    phases.setdefault("draw", []).append(drawn - excluded)


def run_repetitions(args):
    from surveys.models import Invitation, SurveyRound
    from surveys.services import sample_month

    results = {"dry run": [], "real run": [], "rerun (round exists)": []}
    phases, figures = {}, set()
    for repetition in range(1, args.repeat + 1):
        delete_round(args.month)
        with measured(results["dry run"]):
            dry_round, dry_chosen = sample_month(args.month, dry_run=True)
        with measured(results["real run"]):
            survey_round, chosen = real_run(args.month)
        with measured(results["rerun (round exists)"]):
            again, _ = sample_month(args.month)
        saved = Invitation.objects.filter(round=survey_round).count()
        assert (
            again.pk == survey_round.pk and saved == len(chosen) and SurveyRound.objects.get(month=args.month)
        )
        assert len(dry_chosen) == len(chosen) and dry_round.eligible_count == survey_round.eligible_count
        figures.add((survey_round.population, survey_round.eligible_count, saved))
        time_phases(args.month, phases)
        print(
            f"  repetition {repetition}: "
            + ", ".join(f"{k} {v[-1].seconds:.3f} s" for k, v in results.items())
        )
    delete_round(args.month)
    return results, phases, figures


def report(results, phases, figures):
    print(f"\n{'':24}{'median':>9}{'min':>9}{'max':>9}{'queries':>9}{'in SQL (median)':>17}")
    for name, runs in results.items():
        seconds = [run.seconds for run in runs]
        queries = sorted({run.queries for run in runs})
        sql_median = statistics.median(run.sql_seconds for run in runs)
        print(
            f"{name:24}{statistics.median(seconds):8.3f}s{min(seconds):8.3f}s{max(seconds):8.3f}s"
            f"{'/'.join(map(str, queries)):>9}{sql_median:16.3f}s"
        )
    print(
        "\nThe steps on their own (median): "
        + ", ".join(f"{name} {statistics.median(times):.3f} s" for name, times in phases.items())
    )
    for population, eligible_count, invited in sorted(figures):
        print(f"Population {population:,} customers; eligible {eligible_count:,}; invited {invited:,}.")


# --- Optional diagnostics ---------------------------------------------------------------------------


def explain(month):
    """EXPLAIN ANALYZE each SELECT a dry run issues, with the parameters it used."""
    from django.db import connection

    from surveys.services import sample_month

    with measured([]) as captured:
        sample_month(month, dry_run=True)
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            print(f"\n{query['sql']}")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            print("\n".join("    " + line for (line,) in cursor.fetchall()))


def profile(month):
    from surveys.services import sample_month

    profiler = cProfile.Profile()
    profiler.runcall(sample_month, month, dry_run=True)
    print("\ncProfile of one dry run, by own time:")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(12)


def count_queries(counter):
    """An execute wrapper counting queries (CaptureQueriesContext keeps only the last 9,000)."""

    def wrapper(execute, sql_text, params, many, context):
        counter["queries"] += 1
        return execute(sql_text, params, many, context)

    return wrapper


def time_monthly_command(month):
    """`manage.py sample_surveys --month`: the draw, then one eager Celery task per invitation email."""
    from django.conf import settings
    from django.core import mail
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    from servicedesk.celery import app

    assert app.conf.task_always_eager and settings.CELERY_TASK_ALWAYS_EAGER, "tasks must run eagerly"
    delete_round(month)
    counter = {"queries": 0}
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        mail.outbox = []
        with connection.execute_wrapper(count_queries(counter)):
            started = time.perf_counter()
            call_command("sample_surveys", month=f"{month:%Y-%m}", stdout=io.StringIO())
            seconds = time.perf_counter() - started
        sent = len(mail.outbox)
        mail.outbox = []
    delete_round(month)
    print(
        f"\nmanage.py sample_surveys --month {month:%Y-%m}, eager tasks and locmem email: {seconds:.2f} s, "
        f"{counter['queries']:,} queries, {sent:,} emails ({sent / seconds:,.0f} emails/s)."
    )


def main():
    args = parse_args()
    prepare_database(args)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    print(
        f"\nsample_month(date({args.month:%Y, %-m, %-d})) on PostgreSQL {version}, {args.repeat} repetitions:"
    )
    results, phases, figures = run_repetitions(args)
    report(results, phases, figures)
    if args.explain:
        explain(args.month)
    if args.profile:
        profile(args.month)
    if args.emails:
        time_monthly_command(args.month)


if __name__ == "__main__":
    main()
