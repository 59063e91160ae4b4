"""The desk's dashboard (the admin home page) and the incident lists its counts link to, on the data that
bench/pages.py seeds (100,000 or 1,000,000 incidents): queries and time per request, and the plan of the
one query that counts every incident queue.

Run by hand, never by the test suite (see bench/README.md):

    .venv/bin/python bench/admin_queues.py                        # 100,000 incidents
    .venv/bin/python bench/admin_queues.py --incidents 1000000

It prepares the database as pages.py does (migrating it, seeding it if needed), signs the bench's agent in,
and times whole requests through Django's test client, each `--repeat` times: the dashboard, then the list
behind each of its incident counts. It prints the median wall time, the time in SQL (of the last request),
the queries, the count the dashboard shows and the rows the list's first page shows; then EXPLAIN
(ANALYZE, BUFFERS) of the dashboard's count of the incident queues and of the list as it opens.
"""

import re
import shutil
from html import unescape

import pages

QUEUE = re.compile(
    r'<a class="desk-queue" href="([^"]+)">\s*<span class="desk-queue-count">(\d+)</span>\s*'
    r'<span class="desk-queue-label">([^<]+)</span>'
)


def parse_args():
    return pages.parse_args_on_seeded_data(__doc__, repeat=7, repeats_what="page")


def line(label, wall, queries, count="", rows=""):
    """One page's figures; the SQL time is that of the last of the repeats."""
    sql_ms = sum(seconds for _, _, seconds in queries) * 1000
    print(f"{label[:48]:<48} {wall:7.1f} {sql_ms:7.1f} {len(queries):8} {count:>7} {rows:>5}")


def explain(queries, marker):
    from django.db import connection

    sql, params, _ = next(q for q in queries if marker in q[0])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join("    " + line for (line,) in cursor.fetchall())


def main():
    args = parse_args()
    workdir = pages.set_up_in_process(args, "bench-queues-")

    from django.conf import settings
    from django.test import Client

    subjects = pages.choose_subjects(args.incidents)
    client = Client(HTTP_HOST="127.0.0.1", headers={"X-Forwarded-Proto": "https"})
    client.cookies[settings.SESSION_COOKIE_NAME] = pages.signed_in_session(subjects.agent)
    try:
        print(f"{args.incidents:,} incidents; median of {args.repeat} requests per page.\n")
        print(f"{'page':<48} {'ms':>7} {'SQL ms':>7} {'queries':>8} {'count':>7} {'rows':>5}")
        wall, dashboard_queries, response = pages.timed_in_process(client, "/admin/", args.repeat)
        line("dashboard (/admin/)", wall, dashboard_queries)
        for url, count, label in QUEUE.findall(response.content.decode()):
            url, label = unescape(url), unescape(label)
            if url.startswith("/admin/incidents/incident/"):
                wall, queries, listed = pages.timed_in_process(client, url, args.repeat)
                line(label, wall, queries, count, listed.content.decode().count('class="action-select"'))
        wall, list_queries, listed = pages.timed_in_process(client, "/admin/incidents/incident/", args.repeat)
        rows = listed.content.decode().count('class="action-select"')
        line("the list as it opens (open incidents)", wall, list_queries, "", rows)
        print("\nThe dashboard's count of every incident queue:")
        print(explain(dashboard_queries, 'FILTER (WHERE "incidents_incident"."status"'))
        print("\nThe list as it opens, its first page:")
        print(explain(list_queries, "LIMIT 25"))
    finally:
        from django.contrib.sessions.models import Session

        Session.objects.filter(session_key__in=pages.SESSIONS).delete()
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
