"""The managers' reports (/reports/, issue 17) on the data that bench/pages.py seeds (100,000 or 1,000,000
incidents over three years): queries and time per request for each quick period and for three years, with
the time each of the report's queries takes.

Run by hand, never by the test suite (see bench/README.md):

    .venv/bin/python bench/reports.py                        # 100,000 incidents
    .venv/bin/python bench/reports.py --incidents 1000000

It prepares the database as pages.py does (migrating it, seeding it if needed), signs in a team leader
(made once, in the Team leaders group, which holds servicedesk.view_reports) and times whole requests
through Django's test client, each `--repeat` times; then the CSV of one table.
"""

import shutil

import pages


def parse_args():
    return pages.parse_args_on_seeded_data(__doc__, repeat=5, repeats_what="page")


def team_leader():
    from django.contrib.auth.models import Group

    from accounts.models import User
    from accounts.roles import TEAM_LEADERS, setup_roles

    setup_roles()  # the Team leaders group with its permissions, as `manage.py setup_roles` makes it
    user, _ = User.objects.get_or_create(
        email="reports.bench@servicedesk.example",
        defaults={"full_name": "Bench Team Leader", "is_staff": True, "phone": "01632 960990"},
    )
    user.groups.add(Group.objects.get(name=TEAM_LEADERS))
    return user


def main():
    args = parse_args()
    workdir = pages.set_up_in_process(args, "bench-reports-")

    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from incidents.models import Incident

    today = timezone.localdate()
    three_years = f"period=custom&start={today.replace(year=today.year - 3):%Y-%m-%d}&end={today:%Y-%m-%d}"
    client = Client(HTTP_HOST="127.0.0.1", headers={"X-Forwarded-Proto": "https"})
    client.cookies[settings.SESSION_COOKIE_NAME] = pages.signed_in_session(team_leader())
    try:
        print(f"{args.incidents:,} incidents; median of {args.repeat} requests per page.\n")
        print(f"{'page':<44} {'ms':>8} {'SQL ms':>8} {'queries':>8} {'incidents':>10}")
        for label, query in [
            ("last month", "period=last_month"),
            ("last quarter", "period=last_quarter"),
            ("last 12 months (the page as it opens)", "period=last_12_months"),
            ("three years", three_years),
            ("three years, CSV of the targets table", three_years + "&format=csv&table=targets"),
        ]:
            wall, queries, _ = pages.timed_in_process(client, f"/reports/?{query}", args.repeat)
            sql_ms = sum(seconds for _, _, seconds in queries) * 1000
            since = today.replace(year=today.year - 1) if "12" in label else today.replace(day=1)
            logged = Incident.objects.filter(created_at__date__gte=since).count() if "12" in label else ""
            print(f"{label:<44} {wall:8.1f} {sql_ms:8.1f} {len(queries):8} {logged!s:>10}")
        print("\nThe slowest queries of the last request (three years, CSV):")
        for sql, _, seconds in sorted(queries, key=lambda q: -q[2])[:4]:
            print(f"  {seconds * 1000:7.1f} ms  {sql[:150]}")
    finally:
        from django.contrib.sessions.models import Session

        Session.objects.filter(session_key__in=pages.SESSIONS).delete()
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
