"""Reports at /reports/ (issue 17, "Team leaders"): per month, incidents logged and closed, SLA targets met,
median support time to respond and resolve, reopened share, escalations per ladder level, the survey; charts
with their tables, quick periods and checked dates, CSV of every table; for holders of
servicedesk.view_reports (the Team leaders role) only. Everything happens at fixed dates in October and
November 2026, on the standard calendar (Monday to Friday 09:00-17:30)."""

import contextlib
import csv
import importlib
import io
from datetime import datetime

import pytest
import time_machine
from django.apps import apps

from escalation.services import incident_escalate
from incidents.models import Severity
from servicedesk.lib.support_hours import LONDON
from surveys.models import Invitation
from tests.factories import IncidentFactory, ProductFactory, StaffFactory
from tests.incidents.lifecycle_helpers import perform
from tests.surveys.test_results import _Tables, answer, make_round

REPORTS = "/reports/"
CUSTOM = {"period": "custom", "start": "2026-10-01", "end": "2026-11-30"}
# The session, the user, the user's and their groups' permissions; the product filter's choices; the
# incidents logged (counts), their response times, the calendars and contracts, the SLA targets, the
# incidents closed; the escalations and the ladder's levels; the invitations and the scores; the
# suggestions opened on the log form (each with whether an incident followed).
REPORT_QUERIES = 15


def london(*args):
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def _at_fixed_dates():
    """The people and the ladder are made at 08:00 on Thursday 1 October 2026; each step travels on."""
    with time_machine.travel(london(2026, 10, 1, 8, 0), tick=False):
        yield


@pytest.fixture
def ladder(db):
    importlib.import_module("escalation.migrations.0004_standard_ladder").create(apps, None)


def at(when, action, incident, actor, **kwargs):
    with time_machine.travel(when, tick=False):
        return perform(action, incident, actor=actor, **kwargs)


def logged(when, reporter, product, severity=Severity.MINOR_FAULT):
    with time_machine.travel(when, tick=False):
        return IncidentFactory(reporter=reporter, product=product, severity=severity)


def escalate(when, incident, actor):
    with time_machine.travel(when, tick=False):
        return incident_escalate(incident, actor=actor, reason="The practice is chasing.")


@pytest.fixture
def dataset(ladder, practice_user, agent, product):
    """October: A (minor) answered in 1 h, resolved after 2 h, closed; B (major: 1 h to respond, 8 h 30 min
    to resolve) answered after 8 h 30 min, resolved, reopened and resolved again after 11 h 30 min in all,
    closed; C (minor) answered in 30 min, escalated once, open. November: D logged, never answered,
    escalated twice. A survey round for October: two invited, one answered (scores 5 and 1)."""
    a = logged(london(2026, 10, 5, 9, 0), practice_user, product)
    b = logged(london(2026, 10, 5, 10, 0), practice_user, product, Severity.MAJOR_FAULT)
    c = logged(london(2026, 10, 5, 11, 0), practice_user, product)
    at(london(2026, 10, 5, 10, 0), "verify", a, agent)
    at(london(2026, 10, 5, 10, 0), "start_investigation", a, agent)
    at(london(2026, 10, 5, 11, 0), "resolve", a, agent)
    at(london(2026, 10, 6, 9, 30), "confirm", a, practice_user)
    at(london(2026, 10, 5, 11, 30), "verify", c, agent)
    escalate(london(2026, 10, 5, 12, 0), c, practice_user)
    at(london(2026, 10, 6, 10, 0), "verify", b, agent)  # 7 h 30 min on Monday, 1 h on Tuesday
    at(london(2026, 10, 6, 10, 0), "start_investigation", b, agent)
    at(london(2026, 10, 6, 12, 0), "resolve", b, agent)  # 10 h 30 min on the clock
    at(london(2026, 10, 6, 13, 0), "reject", b, practice_user)
    at(london(2026, 10, 6, 14, 0), "resolve", b, agent)  # 11 h 30 min
    at(london(2026, 10, 7, 9, 0), "confirm", b, practice_user)
    d = logged(london(2026, 11, 2, 9, 0), practice_user, product)
    escalate(london(2026, 11, 2, 15, 0), d, practice_user)
    escalate(london(2026, 11, 3, 15, 0), d, practice_user)
    with time_machine.travel(london(2026, 11, 1, 2, 0), tick=False):
        october = make_round(london(2026, 10, 1).date())
        sent = {"claimed_at": london(2026, 11, 1, 2, 5), "sent_at": london(2026, 11, 1, 2, 5)}
        first = Invitation.objects.create(round=october, customer=practice_user, incident=a, **sent)
        Invitation.objects.create(round=october, customer=StaffFactory(), incident=b, **sent)
        answer(first, 5, True, 1)
    return a, b, c, d


READ_AT = london(2026, 11, 20, 12, 0)


def read(client, user, query=None, when=READ_AT, counted=None):
    """/reports/ as `user` reads it at `when` (Friday 20 November 2026 by default), signed in just then;
    `counted`: a context manager around the request alone (the queries it makes)."""
    with time_machine.travel(when, tick=False):
        client.force_login(user)
        with counted or contextlib.nullcontext():
            return client.get(REPORTS, query or {})


def tables(response):
    parser = _Tables()
    parser.feed(response.content.decode())
    return {caption: {row[0]: row[1:] for row in rows} for caption, rows in parser.tables.items()}


# --- Who may read them ---------------------------------------------------------------------------


def test_a_team_leader_reads_the_reports_and_finds_them_in_the_menu(client, team_leader):
    response = read(client, team_leader)

    assert response.status_code == 200
    assert b'href="/reports/">Reports</a>' in response.content


@pytest.mark.parametrize("who", ["agent", "practice_user"])
def test_agents_without_the_permission_and_practice_users_are_refused(client, request, who):
    response = read(client, request.getfixturevalue(who))

    assert response.status_code == 403
    assert b"Reports</a>" not in response.content


def test_an_existing_team_leaders_group_gains_the_permission_by_migration(client, team_leader):
    """Where the roles were set up before the reports existed, the migration gives them the permission."""
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="Team leaders")
    group.permissions.remove(*group.permissions.filter(codename="view_reports"))
    assert read(client, team_leader).status_code == 403

    importlib.import_module("servicedesk.migrations.0002_reports_permission").grant_to_team_leaders(
        apps, None
    )

    assert read(client, team_leader).status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(REPORTS)

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=/reports/")


# --- The figures ---------------------------------------------------------------------------------


def test_the_figures_of_a_known_month(client, team_leader, dataset):
    page = tables(read(client, team_leader, CUSTOM))

    incidents = page["Incidents logged and closed, by month"]
    assert incidents["October 2026"] == ["3", "2", "1", "50%"]
    assert incidents["November 2026"] == ["1", "0", "0", "–"]
    targets = page["SLA targets met, by month"]
    assert targets["October 2026"] == ["2", "3", "67%", "1", "2", "50%"]
    assert targets["November 2026"] == ["0", "1", "0%", "0", "0", "–"]
    times = page["Median support time to respond and to resolve, by month"]
    assert times["October 2026"] == [
        "1 h",
        "6 h 45 min",
    ]  # medians of (30 min, 1 h, 1 day) and (2 h, 11 h 30)
    assert times["November 2026"] == ["–", "–"]
    escalations = page["Escalations per ladder level, by month"]
    assert escalations["October 2026"][:3] == ["1", "0", "0"]
    assert escalations["November 2026"][:3] == ["1", "0", "1"]  # the Liaison Officer is for managed services
    survey = page["Satisfaction survey, by month"]
    assert survey["October 2026"] == ["2", "1", "50%", "3.0"]
    assert survey["November 2026"] == ["0", "0", "–", "–"]


def test_the_filters_narrow_the_figures(client, team_leader, dataset, practice_user, outsider):
    other = ProductFactory(name="Vision Appointments")
    logged(london(2026, 10, 8, 9, 0), outsider, other)

    everything = tables(read(client, team_leader, CUSTOM))["Incidents logged and closed, by month"]
    by_product = tables(read(client, team_leader, {**CUSTOM, "product": dataset[0].product_id}))
    by_severity = tables(read(client, team_leader, {**CUSTOM, "severity": Severity.MAJOR_FAULT}))
    by_practice = tables(read(client, team_leader, {**CUSTOM, "practice": outsider.practice.practice_id}))

    assert everything["October 2026"][:2] == ["4", "2"]
    assert by_product["Incidents logged and closed, by month"]["October 2026"][:2] == ["3", "2"]
    assert by_severity["Incidents logged and closed, by month"]["October 2026"][:2] == ["1", "1"]
    assert by_severity["Satisfaction survey, by month"]["October 2026"] == ["1", "0", "0%", "–"]
    assert by_practice["Incidents logged and closed, by month"]["October 2026"][:2] == ["1", "0"]


def test_each_table_has_its_chart(client, team_leader, dataset):
    html = read(client, team_leader, CUSTOM).content.decode()

    assert html.count('<svg class="bar-chart"') == 6
    assert '<title id="incidents-title">Incidents logged and closed per month' in html
    assert 'style="' not in html.split("<main", 1)[1]  # colours from classes: the CSP allows no inline style


# --- The period ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "first", "last"),
    [
        ("last_month", "October 2026", "October 2026"),
        ("last_quarter", "July 2026", "September 2026"),
        ("last_12_months", "December 2025", "November 2026"),
    ],
)
def test_quick_periods(client, team_leader, period, first, last):
    months = list(
        tables(read(client, team_leader, {"period": period}))["Incidents logged and closed, by month"]
    )

    assert (months[0], months[-1]) == (first, last)
    assert len(months) == {"last_month": 1, "last_quarter": 3, "last_12_months": 12}[period]


def test_the_page_opens_on_the_last_12_months(client, team_leader):
    response = read(client, team_leader)

    assert len(tables(response)["Incidents logged and closed, by month"]) == 12
    assert (
        b'value="last_12_months" id="id_period_2" required class="form-check-input" checked>'
        in response.content
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"period": "custom", "start": "2026-13-01", "end": "2026-11-30"}, "Enter a valid date."),
        ({"period": "custom", "start": "2026-11-01"}, "Enter both a “From” and a “To” date"),
        ({"period": "custom", "start": "2026-11-01", "end": "2026-10-01"}, "“To” must not be before “From”."),
        ({"period": "custom", "start": "2010-01-01", "end": "2026-10-01"}, "at most five years"),
        ({"period": "yesterday"}, "Select a valid choice."),
        ({**CUSTOM, "practice": "NOPE1"}, "There is no practice with the ID “NOPE1”."),
        ({**CUSTOM, "severity": "9"}, "Select a valid choice."),
    ],
)
def test_bad_periods_and_filters_are_refused_with_a_message(client, team_leader, query, message):
    response = read(client, team_leader, query)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert "There is a problem" in response.content.decode()


# --- CSV -----------------------------------------------------------------------------------------


def csv_of(response):
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_every_table_downloads_as_csv(client, team_leader, dataset):
    page = read(client, team_leader, CUSTOM).content.decode()
    for table in ["incidents", "targets", "times", "escalations", "survey", "deflection"]:
        assert f"format=csv&amp;table={table}" in page

    response = read(client, team_leader, {**CUSTOM, "format": "csv", "table": "targets"})

    assert (
        response["Content-Disposition"]
        == 'attachment; filename="report-targets-2026-10-01-to-2026-11-30.csv"'
    )
    assert csv_of(response) == [
        ["Month", "Responses on time", "Responses due", "Response target met", "Resolutions on time",
         "Closed", "Resolution target met"],
        ["2026-10", "2", "3", "67%", "1", "2", "50%"],
        ["2026-11", "0", "1", "0%", "0", "0", ""],
    ]  # fmt: skip


def test_csv_cells_that_a_spreadsheet_would_run_are_disarmed(client, team_leader, ladder):
    from escalation.models import EscalationLevel

    EscalationLevel.objects.filter(position=1).update(role_name='=HYPERLINK("http://evil.example")')

    rows = csv_of(read(client, team_leader, {**CUSTOM, "format": "csv", "table": "escalations"}))

    assert rows[0][1] == '\'=HYPERLINK("http://evil.example")'


def test_an_unknown_table_is_refused(client, team_leader):
    response = read(client, team_leader, {**CUSTOM, "format": "csv", "table": "salaries"})

    assert response.status_code == 400
    assert "There is no such table" in response.content.decode()


# --- Queries -------------------------------------------------------------------------------------


def test_the_page_reads_a_fixed_number_of_queries_however_many_incidents(
    client, team_leader, dataset, practice_user, agent, product, django_assert_num_queries
):
    read(client, team_leader, CUSTOM, counted=django_assert_num_queries(REPORT_QUERIES))
    for day in range(9, 14):
        incident = logged(london(2026, 11, day, 9, 0), practice_user, ProductFactory())
        at(london(2026, 11, day, 9, 30), "verify", incident, agent)
        escalate(london(2026, 11, day, 10, 0), incident, practice_user)

    response = read(client, team_leader, CUSTOM, counted=django_assert_num_queries(REPORT_QUERIES))

    assert tables(response)["Incidents logged and closed, by month"]["November 2026"][0] == "6"


# --- Suggestions opened on the log form (issue 19) ------------------------------------------------


def opened(when, user, article):
    from knowledge.models import SuggestionOpened

    with time_machine.travel(when, tick=False):
        return SuggestionOpened.objects.create(
            user=user, practice=user.practice, kind="article", object_id=article.pk
        )


def test_an_opened_suggestion_not_followed_by_an_incident_counts_as_not_logged(
    client, team_leader, practice_user, colleague, outsider, agent, product
):
    with time_machine.travel(READ_AT, tick=False):  # wholly at a fixed time; each step moves to its own
        from tests.knowledge.conftest import make_article

        article = make_article(actor=agent, title="Printing prescriptions", body="Check the tray.")
        opened(london(2026, 10, 5, 9, 0), practice_user, article)  # nothing logged after: deflected
        opened(london(2026, 10, 5, 10, 0), colleague, article)  # logged 30 min later: not deflected
        logged(london(2026, 10, 5, 10, 30), colleague, product)
        opened(london(2026, 10, 6, 9, 0), outsider, article)  # logged 2 h later: deflected
        logged(london(2026, 10, 6, 11, 0), outsider, product)
        opened(
            london(2026, 11, 2, 9, 0), practice_user, article
        )  # logged for them by the desk: not deflected
        with time_machine.travel(london(2026, 11, 2, 9, 20), tick=False):
            IncidentFactory(reporter=practice_user, logged_by=agent, product=product)

        page = tables(read(client, team_leader, CUSTOM))["Suggestions opened on the log form, by month"]
        by_practice = tables(read(client, team_leader, {**CUSTOM, "practice": outsider.practice.practice_id}))
        rows = csv_of(read(client, team_leader, {**CUSTOM, "format": "csv", "table": "deflection"}))

        assert page["October 2026"] == ["3", "2", "67%"]
        assert page["November 2026"] == ["1", "0", "0%"]
        assert by_practice["Suggestions opened on the log form, by month"]["October 2026"] == [
            "1",
            "1",
            "100%",
        ]
        assert rows == [
            [
                "Month",
                "Suggestions opened",
                "Then did not log an incident within an hour",
                "Share not logged",
            ],
            ["2026-10", "3", "2", "67%"],
            ["2026-11", "1", "0", "0%"],
        ]


# --- The demo ------------------------------------------------------------------------------------


def test_the_demo_shows_figures_to_robin(client, db, capsys):
    """`make run`'s data, loaded on Friday 20 November 2026: Robin (team leader) reads incidents logged and
    closed in the last months, an escalation and the survey round of September."""
    from django.core.management import call_command

    from accounts.models import User

    with time_machine.travel(READ_AT, tick=False):
        call_command("seed_demo", "--allow-without-debug")
    capsys.readouterr()
    robin = User.objects.get(email="robin.lead@servicedesk.example")

    page = tables(read(client, robin))

    incidents = page["Incidents logged and closed, by month"]
    assert int(incidents["November 2026"][0]) > 0
    assert sum(int(row[1]) for row in incidents.values()) > 0  # closed
    assert any(
        cell not in ("0", "–")
        for row in page["Escalations per ladder level, by month"].values()
        for cell in row
    )
    assert page["Satisfaction survey, by month"]["September 2026"][1] != "0"  # responses


def test_an_offer_opened_within_the_last_hour_is_not_yet_counted_as_not_logged(
    client, team_leader, practice_user, agent
):
    with time_machine.travel(READ_AT, tick=False):  # wholly at a fixed time; each step moves to its own
        from tests.knowledge.conftest import make_article

        article = make_article(actor=agent, title="Printing prescriptions", body="Check the tray.")
        opened(london(2026, 11, 20, 11, 30), practice_user, article)  # half an hour before the report is read

        page = tables(read(client, team_leader, CUSTOM))["Suggestions opened on the log form, by month"]

        assert page["November 2026"] == ["1", "0", "0%"]
