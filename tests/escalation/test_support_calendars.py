"""Support calendars are defined in admin; the standard one is the handbook's cover."""

from datetime import datetime, time

import pytest
from django.db import IntegrityError, transaction

from accounts.models import Contract, SupportCalendar, SupportHours
from accounts.services import support_calendar_for
from servicedesk.lib.support_hours import LONDON, add_support_minutes, support_minutes_between


def london(*args):
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def _fixed_clock(clock):
    """These tests name fixed dates: each runs wholly at the stopped clock of 25 November 2026."""


def test_a_contract_without_a_calendar_runs_on_the_standard_cover(db):
    calendar = support_calendar_for(Contract.objects.create(name="Plain").pk)

    assert add_support_minutes(london(2026, 4, 2, 16, 45), 240, calendar) == london(2026, 4, 7, 9, 15)


def test_a_contract_may_run_round_the_clock(db):
    contract = Contract.objects.create(
        name="Out of hours", support_calendar=SupportCalendar.objects.get(name="Round the clock (24x7)")
    )

    calendar = support_calendar_for(contract.pk)

    # Good Friday counts in full, and the spring clock change gives a 23-hour Sunday.
    assert support_minutes_between(london(2026, 4, 3, 0, 0), london(2026, 4, 4, 0, 0), calendar) == 24 * 60
    assert support_minutes_between(london(2026, 3, 29, 0, 0), london(2026, 3, 30, 0, 0), calendar) == 23 * 60


def test_an_extended_calendar_defined_in_admin(admin_client, db):
    response = admin_client.post(
        "/admin/accounts/supportcalendar/add/",
        {
            "name": "Extended weekdays",
            "closed_on_english_holidays": "on",
            "hours-TOTAL_FORMS": "1",
            "hours-INITIAL_FORMS": "0",
            "hours-0-weekday": "2",
            "hours-0-opens": "07:00",
            "hours-0-closes": "21:00",
        },
    )
    assert response.status_code == 302
    calendar = SupportCalendar.objects.get(name="Extended weekdays")
    contract = Contract.objects.create(name="Extended", support_calendar=calendar)

    # Wednesday 20:30 + 60 min: 30 min that evening, 30 min the next Wednesday from 07:00.
    due = add_support_minutes(london(2026, 11, 25, 20, 30), 60, support_calendar_for(contract.pk))

    assert due == london(2026, 12, 2, 7, 30)


def test_a_contracts_own_calendar_is_used_even_with_no_hours_yet(db):
    calendar = SupportCalendar.objects.create(name="Not yet set up", closed_on_irish_holidays=False)
    contract = Contract.objects.create(name="New", support_calendar=calendar)

    chosen = support_calendar_for(contract.pk)

    assert chosen.hours == {} and chosen.closed_on == ("england",)
    assert support_calendar_for(None).hours != {}  # the standard cover, for a practice without a contract


def test_closing_before_opening_is_refused_by_the_database(db):
    calendar = SupportCalendar.objects.create(name="Broken")
    with pytest.raises(IntegrityError), transaction.atomic():
        SupportHours.objects.create(calendar=calendar, weekday=0, opens=time(17, 0), closes=time(9, 0))


def test_admin_says_why_a_closing_time_before_the_opening_is_refused(admin_client, db):
    response = admin_client.post(
        "/admin/accounts/supportcalendar/add/",
        {
            "name": "Backwards",
            "hours-TOTAL_FORMS": "1",
            "hours-INITIAL_FORMS": "0",
            "hours-0-weekday": "0",
            "hours-0-opens": "17:00",
            "hours-0-closes": "09:00",
        },
    )

    assert response.status_code == 200
    assert "Closing time must be after opening time" in response.content.decode()
    assert not SupportCalendar.objects.filter(name="Backwards").exists()
