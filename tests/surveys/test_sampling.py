"""The monthly draw (issue 5's rule): a quarter of last month's customers, rounded up, nobody twice in
six months, reproducible from its seed, drawn once however often it runs."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction

from incidents.models import Incident
from servicedesk.lib.support_hours import LONDON
from surveys.models import Invitation, SurveyRound
from surveys.services import draw, eligible, last_closed_incidents, sample_month
from surveys.tasks import sample_previous_month
from tests.factories import IncidentFactory, UserFactory


def closed_in(customer, product, when):
    incident = IncidentFactory(reporter=customer, product=product)
    Incident.objects.filter(pk=incident.pk).update(status="closed", closed_at=when)  # setup, not a transition
    return incident


def invited_on(customers, round_date):
    month = date(round_date.year - (round_date.month == 1), (round_date.month - 2) % 12 + 1, 1)
    survey_round = SurveyRound.objects.create(
        month=month, round_date=round_date, seed=1, population=len(customers), eligible_count=len(customers)
    )
    for customer in customers:
        Invitation.objects.create(round=survey_round, customer=customer)


@pytest.fixture
def october_customers(practice, product):
    customers = [UserFactory(practice=practice) for _ in range(10)]
    for customer in customers:
        closed_in(customer, product, datetime(2026, 10, 15, 12, 0, tzinfo=LONDON))
    return customers


def test_the_issues_example(october_customers):
    invited_on(october_customers[:3], date(2026, 6, 1))

    survey_round, chosen = sample_month(date(2026, 10, 1))

    assert survey_round.round_date == date(2026, 11, 1)
    assert (survey_round.population, survey_round.eligible_count) == (10, 7)
    assert len(chosen) == 3  # 25% of 10, rounded up
    assert not set(chosen) & {c.pk for c in october_customers[:3]}


@pytest.fixture
def clock():
    """A running clock from 02:00 on 2 January 2027 (a day after the round of 1 January was due), which the
    test may move on. Ask for it first, so that the other fixtures are made inside it too."""
    with time_machine.travel(datetime(2027, 1, 2, 2, 0, tzinfo=LONDON)) as traveller:
        yield traveller


@pytest.mark.parametrize(
    ("invited_round", "eligible_on_1_november"),
    [
        (date(2026, 5, 1), True),
        (date(2026, 6, 1), False),
        (date(2027, 4, 1), False),
        (date(2027, 5, 1), True),
    ],
    ids=[
        "invited-6-months-before",
        "invited-5-months-before",
        "invited-5-months-after",
        "invited-6-months-after",
    ],
)
def test_the_six_month_boundary_on_both_sides(
    clock, practice, product, invited_round, eligible_on_1_november
):
    clock.move_to(datetime(2027, 5, 2, 2, 0, tzinfo=LONDON))  # every round named here has been drawn
    customer = UserFactory(practice=practice)
    invited_on([customer], invited_round)

    assert (eligible([customer.pk], date(2026, 11, 1)) == [customer.pk]) is eligible_on_1_november


def test_a_round_drawn_after_a_later_one_leaves_out_those_the_later_one_invited(clock, practice, product):
    # The issue's example: the round of 1 January 2027 is drawn on time, the round of 1 December 2026 a
    # day later by hand (beat was down on 1 December). Both months closed an incident of the same customer.
    customer = UserFactory(practice=practice)
    for closed in (
        datetime(2026, 11, 20, 12, 0, tzinfo=LONDON),
        datetime(2026, 12, 10, 12, 0, tzinfo=LONDON),
    ):
        closed_in(customer, product, closed)
    january, invited = sample_month(date(2026, 12, 1))
    assert (january.round_date, invited) == (date(2027, 1, 1), [customer.pk])

    out = StringIO()
    call_command("sample_surveys", "--month", "2026-11", stdout=out)

    december = SurveyRound.objects.get(round_date=date(2026, 12, 1))
    assert (december.population, december.eligible_count) == (1, 0)
    assert "Survey round of 1 December 2026: invites 0 of 1 customers (0 eligible)" in out.getvalue()
    assert list(Invitation.objects.filter(customer=customer).values_list("round", flat=True)) == [january.pk]


def test_a_customer_with_several_closures_counts_once(clock, practice, product):
    customer = UserFactory(practice=practice)
    for day in (3, 10, 20):
        closed_in(customer, product, datetime(2026, 10, day, 12, 0, tzinfo=LONDON))
    closed_in(
        UserFactory(practice=practice), product, datetime(2026, 11, 1, 0, 30, tzinfo=LONDON)
    )  # November

    assert sorted(last_closed_incidents(date(2026, 10, 1))) == [customer.pk]


def test_closures_are_counted_by_london_month(clock, practice, product):
    # 00:30 on 1 June in London (summer time) is still 31 May in UTC: it belongs to June.
    june = UserFactory(practice=practice)
    closed_in(june, product, datetime(2026, 6, 1, 0, 30, tzinfo=LONDON))

    assert sorted(last_closed_incidents(date(2026, 5, 1))) == []
    assert sorted(last_closed_incidents(date(2026, 6, 1))) == [june.pk]


def test_the_draw_is_reproducible_from_the_seed(october_customers):
    survey_round, chosen = sample_month(date(2026, 10, 1), seed=424242)

    ids = sorted(c.pk for c in october_customers)
    assert draw(ids, 3, survey_round.seed) == sorted(chosen)


def test_running_a_month_again_returns_the_same_round(october_customers):
    first, chosen = sample_month(date(2026, 10, 1))
    again, chosen_again = sample_month(date(2026, 10, 20))

    assert again.pk == first.pk and sorted(chosen_again) == sorted(chosen)
    assert SurveyRound.objects.count() == 1 and Invitation.objects.count() == 3


def test_a_dry_run_saves_nothing(october_customers):
    out = []
    call_command(
        "sample_surveys", "--month", "2026-10", "--dry-run", stdout=type("W", (), {"write": out.append})()
    )

    assert not SurveyRound.objects.exists()
    assert "would invite 3 of 10" in "".join(out)


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL and real concurrency")
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_make_one_round(practice, product):
    for _ in range(8):
        closed_in(UserFactory(practice=practice), product, datetime(2026, 10, 15, 12, 0, tzinfo=LONDON))
    barrier = threading.Barrier(2)

    def run():
        barrier.wait()
        try:
            return sample_month(date(2026, 10, 1))[0].pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        rounds = {f.result() for f in [pool.submit(run), pool.submit(run)]}

    assert len(rounds) == 1
    assert SurveyRound.objects.count() == 1 and Invitation.objects.count() == 2


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL and real concurrency")
@pytest.mark.django_db(transaction=True)
def test_two_months_drawn_at_once_invite_nobody_twice(clock, practice, product):
    # The customer closed an incident in November and in December. January's round is drawn, and while
    # its transaction is still open, December's round is drawn too (catching up, by hand).
    customer = UserFactory(practice=practice)
    closed_in(customer, product, datetime(2026, 11, 20, 12, 0, tzinfo=LONDON))
    closed_in(customer, product, datetime(2026, 12, 10, 12, 0, tzinfo=LONDON))
    january_drawn, december_done = threading.Event(), threading.Event()

    def draw_january():
        try:
            with transaction.atomic():  # as beat's task draws: the transaction ends after the draw
                sample_month(date(2026, 12, 1))
                january_drawn.set()
                # Commit only once December's draw has finished, or waits for this one to end (at most
                # about 30 seconds, so that a fault cannot hang the suite).
                for _ in range(3000):
                    if december_done.wait(0.01) or _blocks_another_session():
                        break
        finally:
            january_drawn.set()
            connection.close()

    def draw_december():
        january_drawn.wait()
        try:
            sample_month(date(2026, 11, 1))
        finally:
            december_done.set()
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(draw_january), pool.submit(draw_december)]:
            future.result()

    assert list(Invitation.objects.filter(customer=customer).values_list("round__round_date", flat=True)) == [
        date(2027, 1, 1)
    ]
    assert SurveyRound.objects.get(round_date=date(2026, 12, 1)).eligible_count == 0


def _blocks_another_session():
    """Whether another session waits for a lock this one holds (pg_locks is read afresh each time, unlike
    pg_stat_activity, which a transaction sees as it was at its first reading)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid)))"
        )
        return cursor.fetchone()[0]


def test_beat_draws_last_months_round_at_two_on_the_first(october_customers):
    entry = settings.CELERY_BEAT_SCHEDULE["survey-sample"]
    assert entry["task"] == "surveys.tasks.sample_previous_month"
    assert (entry["schedule"].hour, entry["schedule"].minute, entry["schedule"].day_of_month) == (
        {2},
        {0},
        {1},
    )

    with time_machine.travel(datetime(2026, 11, 1, 2, 0, tzinfo=LONDON), tick=False):
        round_id = sample_previous_month()

    assert SurveyRound.objects.get(pk=round_id).month == date(2026, 10, 1)
