"""How long the log form's "Is it one of these?" article lookup takes with 10,000 help articles (issue 19):
the search itself, then the offers as the log form asks for them (knowledge.suggestions.offers).

Run by hand, never by the test suite (see bench/README.md):

    .venv/bin/python bench/articles_search.py                  # 10,000 articles, median of 25 lookups each
    .venv/bin/python bench/articles_search.py --articles 50000 --repeat 10 --explain

It needs PostgreSQL (by default postgres://postgres@127.0.0.1:5432/sd_bench_articles; the database's name
must contain 'bench'). The first run creates, migrates and seeds it with bulk_create: articles of about
150 words each, drawn from a service-desk vocabulary and made-up words, a fifth for the desk only. Later
runs with the same --articles reuse them. Each search is then timed as
`knowledge.search.matching_articles(text, for_practice=True, limit=5)`, and each typed summary as
`knowledge.suggestions.offers(summary, user=<a practice user>)`, which the log form's fragment calls.
"""

import argparse
import os
import random
import statistics
import sys
import time

import survey_sampling as common

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/sd_bench_articles"
VOCABULARY = (  # noqa: SIM905 - a paragraph of words reads better than a list
    "printer printing prescription prescriptions appointment appointments cache report reports schedule "
    "scheduled overnight login password smartcard reception clinic rota session template letter letters "
    "document scanning docman upgrade version release error message spooler network server workstation "
    "slow freeze crash restart install update patient record allergy medication repeat batch dispensing "
    "pathology results inbox task tasks referral referrals booking online sms reminder export import "
    "backup licence certificate browser settings menu toolbar window screen button tray paper label"
).split()
SEARCHES = [
    ("two common words", "printer spooler"),
    ("a log-form summary", "prescriptions will not print on the reception printer"),
    ("one very common word", "printer"),
    ("a two-letter prefix", "pr"),
    ("a word found nowhere", "zzyzx"),
    ("eight words", "appointments cache slow reception clinic rota session booking"),
]

SUMMARIES = [
    ("every word in articles", "Printer spooler error"),
    ("a sentence (fallback)", "Prescriptions will not print on the reception printer"),
    ("common words (fallback)", "Appointments cache slow after the upgrade this morning"),
    ("nothing known", "Zzyzx quux frobnicates"),
    ("stop words only", "it is not"),
]


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=25, help="lookups per search (default %(default)s)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each search's query")
    parser.add_argument("--reset", action="store_true", help="drop and rebuild the database first")
    return parser.parse_args()


def made_up_word(rng):
    return "".join(rng.choice("bcdfghklmnprstvw") + rng.choice("aeiou") for _ in range(rng.randint(2, 4)))


def seed(count):
    from accounts.models import User
    from knowledge.models import Article, Audience

    rng = random.Random(19)  # noqa: S311 - made-up text, the same on every run
    words = VOCABULARY + [made_up_word(rng) for _ in range(3000)]
    author, _ = User.objects.get_or_create(
        email="bench.writer@servicedesk.example", defaults={"full_name": "Bench Writer", "is_staff": True}
    )
    Article.objects.all().delete()
    started = time.perf_counter()
    batch = []
    for number in range(count):
        title = " ".join(rng.choice(words) for _ in range(rng.randint(3, 7))).capitalize()
        body = " ".join(rng.choice(words) for _ in range(rng.randint(80, 220)))
        audience = Audience.DESK if number % 5 == 0 else Audience.PRACTICES
        batch.append(
            Article(
                title=title, slug=f"article-{number}", body=body, audience=audience,
                published=number % 10 != 1, created_by=author, updated_by=author,
            )
        )  # fmt: skip
    Article.objects.bulk_create(batch, batch_size=2000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE knowledge_article")
    print(f"Seeded {count:,} articles in {time.perf_counter() - started:.1f} s.")


def explain(text):
    from django.db import connection

    from knowledge.search import search, visible_articles, words

    query = search(visible_articles(for_practice=True), words(text)).only("title", "slug")[:5]
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        print("\n".join(row[0] for row in cursor.fetchall()))


def main():
    args = parse_args()
    db = common.server_settings(args.database_url)
    common.create_database(db, drop=args.reset)
    common.setup_django(args.database_url)
    common.migrate()

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from knowledge.models import Article
    from knowledge.search import matching_articles

    if Article.objects.count() != args.articles:
        seed(args.articles)
    reset_queries()
    print(f"{args.articles:,} articles; median of {args.repeat} lookups per search.\n")
    print(f"{'search':<22} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'queries':>8} {'found':>6}")
    for label, text in SEARCHES:
        walls = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                found = matching_articles(text, for_practice=True, limit=5)
                walls.append((time.perf_counter() - started) * 1000)
        print(
            f"{label:<22} {statistics.median(walls):>10.2f} {min(walls):>8.2f} {max(walls):>8.2f} "
            f"{len(queries):>8} {len(found):>6}"
        )
        if args.explain:
            explain(text)
            print()
    time_offers(args.repeat)


def time_offers(repeat):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from knowledge.suggestions import offers

    reader, _ = User.objects.get_or_create(
        email="bench.reader@servicedesk.example", defaults={"full_name": "Bench Reader", "is_staff": False}
    )
    header = f"{'median ms':>10} {'min ms':>8} {'max ms':>8} {'queries':>8} {'found':>6}"
    print(f"\n{'offers for a summary':<26} {header}")
    for label, summary in SUMMARIES:
        walls = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                found = offers(summary, user=reader)
                walls.append((time.perf_counter() - started) * 1000)
        print(
            f"{label:<26} {statistics.median(walls):>10.2f} {min(walls):>8.2f} {max(walls):>8.2f} "
            f"{len(queries):>8} {len(found):>6}"
        )


if __name__ == "__main__":
    sys.exit(main())
