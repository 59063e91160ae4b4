"""Support-hours arithmetic: SLA clocks run only while the Service Desk is open.

Opening times (Europe/London wall clock) are turned into instants day by day, and all arithmetic is done
in UTC, since Python subtracts two datetimes of the same zone by wall clock: a day on which the clocks
change is as long as it really is. Durations are exact timedeltas, so that a clock paused and resumed many
times loses nothing; the minute functions are for targets set in whole minutes and for display.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
MIDNIGHT = time(0, 0)

# Holiday sets a calendar may exclude: (country, subdivision).
HOLIDAY_REGIONS = {
    "england": ("GB", "ENG"),
    "ireland": ("IE", None),
}
REGION_NAMES = {"england": "England", "ireland": "Ireland"}


@dataclass(frozen=True)
class Calendar:
    """Opening hours by weekday (0 = Monday): a tuple of (opens, closes) pairs; a `closes` of 00:00
    means midnight at the end of the day. `closed_on` names the HOLIDAY_REGIONS whose holidays close."""

    hours: dict
    closed_on: tuple = ()


STANDARD = Calendar(
    hours={
        **{weekday: ((time(9, 0), time(17, 30)),) for weekday in range(5)},
        5: ((time(9, 0), time(12, 0)),),
    },
    closed_on=("england", "ireland"),
)

ALWAYS_OPEN = Calendar(hours={weekday: ((MIDNIGHT, MIDNIGHT),) for weekday in range(7)})


@lru_cache(maxsize=64)
def _holidays(region, year):
    country, subdivision = HOLIDAY_REGIONS[region]
    return holidays.country_holidays(country, subdiv=subdivision, years=year)


def open_spans(day, calendar):
    """The desk's open periods on a local date, as (start, end) instants in UTC, earliest first."""
    if any(day in _holidays(region, day.year) for region in calendar.closed_on):
        return []
    spans = []
    for opens, closes in calendar.hours.get(day.weekday(), ()):
        start = datetime.combine(day, opens, tzinfo=LONDON).astimezone(UTC)
        end_day = day + timedelta(days=1) if closes == MIDNIGHT else day
        end = datetime.combine(end_day, closes, tzinfo=LONDON).astimezone(UTC)
        if end > start:
            spans.append((start, end))
    return sorted(spans)


def _days_from(instant):
    day = instant.astimezone(LONDON).date()
    while True:
        yield day
        day += timedelta(days=1)


# A calendar that is never open (or only on holidays) would loop for ever; this bounds the search.
_MAX_DAYS = 3 * 366


def add_support_time(start, duration, calendar=STANDARD):
    """The instant at which `duration` of support time has passed since `start`: from the next opening if
    out of hours; a result that lands exactly on a closing time is that closing time."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    start = start.astimezone(UTC)
    remaining = duration
    for n, day in enumerate(_days_from(start)):
        if n > _MAX_DAYS:
            raise ValueError("the calendar has no open time in the next three years")
        for span_start, span_end in open_spans(day, calendar):
            begin = max(span_start, start)
            if begin >= span_end:
                continue
            available = span_end - begin
            if remaining <= available:
                return (begin + remaining).astimezone(LONDON)
            remaining -= available
    raise AssertionError("unreachable")  # pragma: no cover


def add_support_minutes(start, minutes, calendar=STANDARD):
    """The instant at which `minutes` of support time have passed since `start`: an SLA target's due time."""
    return add_support_time(start, timedelta(minutes=minutes), calendar)


def support_time_between(start, end, calendar=STANDARD, *, spans=open_spans):
    """The support time from `start` to `end` (zero if `end` is not after it). `spans`: open_spans, or a
    caller's memo of it for the many intervals of a report (servicedesk/reports.py)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta()
    if end <= start:
        return total
    for day in _days_from(start):
        if datetime.combine(day, MIDNIGHT, tzinfo=LONDON).astimezone(UTC) >= end:
            break
        for span_start, span_end in spans(day, calendar):
            overlap = min(span_end, end) - max(span_start, start)
            if overlap > timedelta():
                total += overlap
    return total


def support_minutes_between(start, end, calendar=STANDARD):
    """Whole minutes of support time from `start` to `end` (0 if `end` is not after `start`), for display."""
    return support_time_between(start, end, calendar) // timedelta(minutes=1)


# A day of support time as a person reads one: the standard weekday, 09:00 to 17:30. The SLA targets are
# set in these days (510 minutes: a day; 2550: five), whatever hours a contract's own calendar keeps.
SUPPORT_DAY_MINUTES = 8 * 60 + 30


def support_time_in_words(minutes):
    """Whole minutes of support time as a person reads them: "3 h 10 min", "1 day 2 h", "5 days", "0 min".
    A day is SUPPORT_DAY_MINUTES (8 h 30 min), not 24 hours."""
    days, rest = divmod(max(int(minutes), 0), SUPPORT_DAY_MINUTES)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} day{'s' if days != 1 else ''}"] * bool(days)
    parts += [f"{hours} h"] * bool(hours) + [f"{minutes} min"] * bool(minutes)
    return " ".join(parts) or "0 min"


def closures(calendar, start, days):
    """The public holidays on which the calendar's desk is closed, from the local date `start` for `days`
    days: sorted (date, description) pairs, e.g. "Christmas Day (England and Ireland)"."""
    end = start + timedelta(days=days)
    found = {}
    for region in calendar.closed_on:
        for year in range(start.year, end.year + 1):
            for day, name in _holidays(region, year).items():
                if start <= day < end:
                    found.setdefault(day, {}).setdefault(name, []).append(REGION_NAMES[region])
    return [
        (day, "; ".join(f"{name} ({' and '.join(regions)})" for name, regions in names.items()))
        for day, names in sorted(found.items())
    ]


def weekly_hours(calendar):
    """The opening hours as lines a person reads: [(days, hours)], consecutive days with the same hours
    together ("Monday to Friday", "09:00 to 17:30"); closed days are left out."""
    names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    def hours_of(weekday):
        spans = calendar.hours.get(weekday, ())
        return ", ".join(
            "all day"
            if opens == closes == MIDNIGHT
            else f"{opens:%H:%M} to {'24:00' if closes == MIDNIGHT else f'{closes:%H:%M}'}"
            for opens, closes in spans
        )

    lines, weekday = [], 0
    while weekday < 7:
        hours, last = hours_of(weekday), weekday
        while last + 1 < 7 and hours_of(last + 1) == hours:
            last += 1
        if hours:
            days = names[weekday] if last == weekday else f"{names[weekday]} to {names[last]}"
            lines.append((days, hours))
        weekday = last + 1
    return lines
