"""How long admin's incident search takes, with the desk's search and with Django's own, on the data that
bench/pages.py seeds (100,000 or 1,000,000 incidents).

Run by hand, never by the test suite (see bench/README.md):

    .venv/bin/python bench/admin_search.py                        # 100,000 incidents
    .venv/bin/python bench/admin_search.py --incidents 1000000

It prepares the database as pages.py does (migrating it, seeding it if needed), signs the bench's agent in,
and times whole changelist requests through Django's test client, each search `--repeat` times, first
with `IncidentAdmin.get_search_results` and then with Django's `ModelAdmin.get_search_results` on the same
`search_fields`. It prints the median wall time, the queries and the rows shown.
"""

import shutil
import statistics
import sys
import time

import pages


def parse_args():
    return pages.parse_args_on_seeded_data(__doc__, repeat=3, repeats_what="search")


def searches(subjects):
    """(label, search): a reference typed in lower case, a place in practice names, a common word of the
    summaries, two letters (no trigram), a word found nowhere, two words together, and one letter as many
    times as a search may have words (in every practice's name: the subquery, once)."""
    from servicedesk.lib.admin import SEARCH_MAX_WORDS

    place = subjects.user.practice.name.split()[0]
    reference = subjects.incident.reference.lower()
    words = [reference, place, "printer", "pr", "nothing-like-this", f"printer {place}"]
    return [*((word, word) for word in words), (f"a ×{SEARCH_MAX_WORDS}", " ".join(["a"] * SEARCH_MAX_WORDS))]


def main():
    args = parse_args()
    workdir = pages.set_up_in_process(args, "bench-search-")

    from django.conf import settings
    from django.contrib import admin
    from django.test import Client

    from incidents.admin import IncidentAdmin

    subjects = pages.choose_subjects(args.incidents)
    client = Client(HTTP_HOST="127.0.0.1", headers={"X-Forwarded-Proto": "https"})
    client.cookies[settings.SESSION_COOKIE_NAME] = pages.signed_in_session(subjects.agent)
    ours = IncidentAdmin.get_search_results
    print(f"{args.incidents:,} incidents; median of {args.repeat} changelist requests per search.\n")
    print(f"{'search':<24} {'desk ms':>9} {'queries':>8} {'Django ms':>10} {'queries':>8} {'rows':>5}")
    try:
        for label, q in searches(subjects):
            row = []
            for method in (ours, admin.ModelAdmin.get_search_results):
                IncidentAdmin.get_search_results = method
                walls = []
                for _ in range(args.repeat):
                    with pages.recorded_queries() as queries:
                        started = time.perf_counter()
                        response = client.get("/admin/incidents/incident/", {"q": q})
                        walls.append((time.perf_counter() - started) * 1000)
                    if response.status_code != 200:
                        sys.exit(f"?q={label} answered {response.status_code}")
                rows = response.content.decode().count('class="action-select"')
                row.append((statistics.median(walls), len(queries), rows))
            (desk, desk_queries, rows), (django, django_queries, django_rows) = row
            assert rows == django_rows, f"?q={label}: {rows} rows against Django's {django_rows}"
            print(f"{label:<24} {desk:9.1f} {desk_queries:8} {django:10.1f} {django_queries:8} {rows:5}")
    finally:
        IncidentAdmin.get_search_results = ours
        from django.contrib.sessions.models import Session

        Session.objects.filter(session_key__in=pages.SESSIONS).delete()
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
