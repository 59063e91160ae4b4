"""Support hours: SLA clocks count only the desk's open time, Europe/London, without English and Irish
public holidays (from the holidays package)."""

from datetime import datetime, time, timedelta

import pytest

from servicedesk.lib.support_hours import (
    ALWAYS_OPEN,
    LONDON,
    STANDARD,
    Calendar,
    add_support_minutes,
    add_support_time,
    support_minutes_between,
    support_time_between,
)


def london(*args):
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def _fixed_clock(clock):
    """These tests name fixed dates: each runs wholly at the stopped clock of 25 November 2026."""


def test_the_handbooks_worked_example_over_easter_2026():
    # Thursday 16:45 + 4 support hours: 45 min Thursday, Good Friday closed, Saturday 09:00-12:00,
    # Sunday closed, Easter Monday closed, 15 min on Tuesday.
    due = add_support_minutes(london(2026, 4, 2, 16, 45), 4 * 60)

    assert due == london(2026, 4, 7, 9, 15)
    assert support_minutes_between(london(2026, 4, 2, 16, 45), due) == 240


def test_st_patricks_day_is_closed_though_it_is_not_an_english_holiday():
    assert add_support_minutes(london(2026, 3, 17, 10, 0), 0) == london(2026, 3, 18, 9, 0)
    assert support_minutes_between(london(2026, 3, 17, 0, 0), london(2026, 3, 18, 0, 0)) == 0


def test_an_english_only_holiday_closes_the_desk_too():
    # The summer bank holiday (last Monday in August) is English, not Irish.
    assert support_minutes_between(london(2026, 8, 31, 9, 0), london(2026, 8, 31, 17, 30)) == 0


@pytest.mark.parametrize(
    ("logged", "clock_starts"),
    [
        (london(2026, 11, 24, 20, 0), london(2026, 11, 25, 9, 0)),  # Tuesday evening
        (london(2026, 11, 28, 12, 30), london(2026, 11, 30, 9, 0)),  # Saturday after noon
        (london(2026, 11, 29, 10, 0), london(2026, 11, 30, 9, 0)),  # Sunday
        (london(2026, 11, 25, 7, 59), london(2026, 11, 25, 9, 0)),  # before opening
        (london(2026, 11, 25, 17, 30), london(2026, 11, 26, 9, 0)),  # exactly at closing
        (london(2026, 11, 25, 11, 0), london(2026, 11, 25, 11, 0)),  # open: starts at once
    ],
)
def test_an_incident_logged_out_of_hours_starts_its_clock_at_the_next_opening(logged, clock_starts):
    assert add_support_minutes(logged, 0) == clock_starts


def test_saturday_gives_only_the_morning():
    assert add_support_minutes(london(2026, 11, 28, 11, 0), 90) == london(2026, 11, 30, 9, 30)


@pytest.mark.parametrize(
    ("day", "hours"),
    [((2026, 3, 29), 23), ((2026, 10, 25), 25)],
    ids=["clocks-go-forward", "clocks-go-back"],
)
def test_a_round_the_clock_desk_counts_the_real_length_of_a_clock_change_day(day, hours):
    start = london(*day, 0, 0)
    end = london(day[0], day[1], day[2] + 1, 0, 0)

    assert support_minutes_between(start, end, ALWAYS_OPEN) == hours * 60


def test_adding_time_across_the_spring_clock_change_counts_real_minutes():
    # 23:00 GMT on Saturday + 3 hours of a 24x7 desk = 02:00 UTC = 03:00 BST on Sunday.
    assert add_support_minutes(london(2026, 3, 28, 23, 0), 180, ALWAYS_OPEN) == london(2026, 3, 29, 3, 0)


def test_the_clock_change_weekend_does_not_disturb_standard_hours():
    # Friday 17:00 + 60 min: 30 min on Friday, then Saturday 09:00 GMT; the clocks go forward that night.
    assert add_support_minutes(london(2026, 3, 27, 17, 0), 60) == london(2026, 3, 28, 9, 30)
    # Saturday 11:00 + 120 min: an hour that morning; clocks go back on Sunday; Monday 26 October is
    # Ireland's October bank holiday, so the second hour is on Tuesday, in GMT.
    assert add_support_minutes(london(2026, 10, 24, 11, 0), 120) == london(2026, 10, 27, 10, 0)


def test_a_contract_calendar_with_extended_hours():
    extended = Calendar(hours={d: ((time(8, 0), time(20, 0)),) for d in range(5)}, closed_on=("england",))

    assert add_support_minutes(london(2026, 11, 25, 19, 0), 120, extended) == london(2026, 11, 26, 9, 0)
    # St Patrick's Day is open for an England-only calendar.
    assert add_support_minutes(london(2026, 3, 17, 10, 0), 0, extended) == london(2026, 3, 17, 10, 0)


def test_nothing_passes_between_an_instant_and_an_earlier_one():
    assert support_minutes_between(london(2026, 11, 25, 12, 0), london(2026, 11, 25, 11, 0)) == 0


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_support_minutes(datetime(2026, 11, 25, 12, 0), 10, STANDARD)


def test_support_time_is_exact_to_the_microsecond_across_the_evening_and_weekend():
    start = london(2026, 11, 27, 17, 10, 30, 250_000)  # Friday
    end = london(2026, 11, 30, 9, 0, 15)  # Monday
    used = (
        timedelta(minutes=19, seconds=29, microseconds=750_000) + timedelta(hours=3) + timedelta(seconds=15)
    )

    assert support_time_between(start, end) == used
    assert add_support_time(start, used) == end
    assert support_minutes_between(start, end) == 199  # whole minutes, for the pages
