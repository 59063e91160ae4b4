"""The figures of issue 13's limits, on the data that bench/pages.py seeds (100,000 incidents by default):

- an incident with 1,000 practice notes of 10,000 characters: the size and time of its portal page and its
  admin change page (both render afresh: the page cache is off here);
- admin's incident search with 900 distinct words, as capped, and with the cap lifted (what it cost before).

Run by hand, never by the test suite (see bench/README.md):

    .venv/bin/python bench/limits.py
    .venv/bin/python bench/limits.py --incidents 1000000

It prepares the database as pages.py does (migrating it, seeding it if needed), adds the 1,000 notes to one
incident of the largest practice for the run and deletes them afterwards, and times whole requests through
Django's test client, each `--repeat` times (median).
"""

import argparse
import shutil
import statistics
import sys
import time

import pages

NOTES = 1000
NOTE_CHARACTERS = 10_000
SEARCH_WORDS = 900


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=100_000, help="Incidents (default %(default)s).")
    parser.add_argument("--practices", type=int, default=200, help="Practices (default %(default)s).")
    parser.add_argument("--seed", type=int, default=2026, help="Random seed of the generated data.")
    parser.add_argument(
        "--repeat", type=int, default=5, help="Requests per measurement (default %(default)s)."
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379", help="As pages.py (%(default)s).")
    args = parser.parse_args()
    args.database_url = pages.default_database_url(args.incidents)
    args.reset = False
    return args


def timed(client, path, params, repeat):
    """(median ms, bytes, queries, status) of `repeat` GET requests."""
    walls = []
    for _ in range(repeat):
        with pages.recorded_queries() as queries:
            started = time.perf_counter()
            response = client.get(path, params)
            walls.append((time.perf_counter() - started) * 1000)
    return statistics.median(walls), len(response.content), len(queries), response.status_code


def add_notes(incident, author):
    """NOTES practice notes of NOTE_CHARACTERS characters each, written as the service writes them but in
    one statement; returns their keys for the clean-up."""
    from django.utils import timezone

    from incidents.models import TimelineEvent

    now = timezone.now()
    text = ("The screen froze again while booking. " * 300)[:NOTE_CHARACTERS]
    events = TimelineEvent.objects.bulk_create(
        TimelineEvent(incident=incident, kind="note", actor=author, public=True, text=text, created_at=now)
        for _ in range(NOTES)
    )
    return [event.pk for event in events]


def clients(subjects):
    from django.conf import settings
    from django.test import Client

    practice = Client(HTTP_HOST="127.0.0.1", headers={"X-Forwarded-Proto": "https"})
    practice.cookies[settings.SESSION_COOKIE_NAME] = pages.signed_in_session(subjects.user)
    desk = Client(HTTP_HOST="127.0.0.1", headers={"X-Forwarded-Proto": "https"})
    desk.cookies[settings.SESSION_COOKIE_NAME] = pages.signed_in_session(subjects.agent)
    return practice, desk


def measure_timeline(args, subjects, practice, desk):
    from incidents.models import TimelineEvent

    incident = subjects.incident
    keys = add_notes(incident, subjects.user)
    try:
        print(f"An incident with {NOTES:,} notes of {NOTE_CHARACTERS:,} characters ({incident.reference}):")
        print(f"{'page':<28} {'ms':>8} {'bytes':>10} {'queries':>8}")
        for label, client, path in [
            ("portal: the incident", practice, f"/incidents/{incident.reference}/"),
            ("admin: its change page", desk, f"/admin/incidents/incident/{incident.pk}/change/"),
        ]:
            for page in (1, 2):
                ms, size, queries, status = timed(client, path, {"timeline": page}, args.repeat)
                if status != 200:
                    sys.exit(f"{path} answered {status}")
                print(f"{label + f', page {page}':<28} {ms:8.1f} {size:10,} {queries:8}")
    finally:
        TimelineEvent.objects.filter(pk__in=keys).delete()


def measure_search(args, subjects, desk):
    from servicedesk.lib import admin as admin_lib

    place = subjects.user.practice.name.split()[0]
    words = ["printer", place, *(f"word{n}" for n in range(SEARCH_WORDS - 2))]
    q = " ".join(words)
    print(f"\nAdmin's incident search with {SEARCH_WORDS} distinct words ({len(q):,} characters):")
    print(f"{'':<28} {'ms':>8} {'queries':>8}")
    capped = admin_lib.SEARCH_MAX_WORDS, admin_lib.SEARCH_MAX_CHARACTERS
    try:
        for label, limits in [("as capped", capped), ("the cap lifted", (10**6, 10**9))]:
            admin_lib.SEARCH_MAX_WORDS, admin_lib.SEARCH_MAX_CHARACTERS = limits
            repeat = args.repeat if label == "as capped" else 1
            ms, _, queries, status = timed(desk, "/admin/incidents/incident/", {"q": q}, repeat)
            print(f"{label:<28} {ms:8.1f} {queries:8}   (status {status})")
    finally:
        admin_lib.SEARCH_MAX_WORDS, admin_lib.SEARCH_MAX_CHARACTERS = capped


def main():
    args = parse_args()
    workdir = pages.set_up_in_process(args, "bench-limits-")

    subjects = pages.choose_subjects(args.incidents)
    practice, desk = clients(subjects)
    print(f"{args.incidents:,} incidents; median of {args.repeat} requests; the page cache off.\n")
    try:
        measure_timeline(args, subjects, practice, desk)
        measure_search(args, subjects, desk)
    finally:
        from django.contrib.sessions.models import Session

        Session.objects.filter(session_key__in=pages.SESSIONS).delete()
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
