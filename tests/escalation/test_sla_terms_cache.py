"""The SLA terms (a contract's support calendar and targets) are cached (escalation.terms): an incident
logged after an administrator changes them gets due times from the new terms, one logged before keeps
its own, and with the cache unreachable the due times are still right.

Every incident here is logged through the portal on Wednesday 25 November 2026 at 16:00, severity 3.
The standard terms for it: respond within 240 support minutes, resolve within 2,550; standard cover is
09:00-17:30 on weekdays and 09:00-12:00 on Saturdays.
"""

import importlib
from datetime import datetime, time

import pytest
import time_machine
from django.apps import apps
from django.test import Client

from accounts.models import Contract, SupportCalendar, SupportHours
from escalation.models import SlaTarget
from incidents.models import Incident
from servicedesk.lib.support_hours import LONDON
from tests.factories import PracticeFactory, UserFactory, incident_form_data
from tests.incidents.test_page_cache import unreachable_cache  # noqa: F401 - Redis down, for the last test

SEVERITY = 3


def london(*args):
    return datetime(*args, tzinfo=LONDON)


LOGGED_AT = london(2026, 11, 25, 16, 0)  # a Wednesday, 90 minutes before standard cover closes
# Response: 90 minutes on Wednesday, 150 on Thursday. Resolution: 90 on Wednesday, 2,220 on Thursday,
# Friday, Saturday morning, Monday and Tuesday, and 240 on the next Wednesday.
STANDARD_DUE = (london(2026, 11, 26, 11, 30), london(2026, 12, 2, 13, 0))


@pytest.fixture(autouse=True)
def standard_terms(db):
    """The seeded standard calendar and targets. Data migrations run once for the test database, and a
    transactional test (which empties every table afterwards) may have run before this one."""
    for migration in (
        "accounts.migrations.0003_standard_calendars",
        "escalation.migrations.0002_standard_sla_targets",
    ):
        importlib.import_module(migration).create(apps, None)


def log_incident(user, product):
    """Log a severity 3 incident through the portal as `user`, at LOGGED_AT."""
    client = Client()
    with time_machine.travel(LOGGED_AT, tick=False):
        client.force_login(user)
        response = client.post("/incidents/new/", incident_form_data(user, product, severity=str(SEVERITY)))
    assert response.status_code == 302, response.content.decode()
    return Incident.objects.get(reference=response.url.strip("/").rsplit("/", 1)[-1])


def due(incident):
    """The incident's response and resolution due times, as stored now."""
    incident.refresh_from_db()
    return incident.response_due_at, incident.resolution_due_at


def standard_target():
    return SlaTarget.objects.get(contract__isnull=True, severity=SEVERITY)


def shorter_standard_target():
    target = standard_target()
    target.response_minutes, target.resolution_minutes = 60, 510
    target.save()


def later_wednesday_closing():
    wednesday = SupportHours.objects.get(calendar__is_standard=True, weekday=2)
    wednesday.closes = time(20, 0)
    wednesday.save()


def round_the_clock_as_standard():
    standard = SupportCalendar.objects.get(is_standard=True)
    standard.is_standard = False
    standard.save()
    round_the_clock = SupportCalendar.objects.get(name="Round the clock (24x7)")
    round_the_clock.is_standard = True
    round_the_clock.save()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (shorter_standard_target, (london(2026, 11, 25, 17, 0), london(2026, 11, 26, 16, 0))),
        # Four hours on Wednesday evening; the resolution's last 90 minutes on the next Wednesday morning.
        (later_wednesday_closing, (london(2026, 11, 25, 20, 0), london(2026, 12, 2, 10, 30))),
        # 240 and 2,550 minutes round the clock.
        (round_the_clock_as_standard, (london(2026, 11, 25, 20, 0), london(2026, 11, 27, 10, 30))),
    ],
    ids=["target", "support hours", "standard calendar"],
)
def test_a_changed_term_applies_to_incidents_logged_after_it(practice_user, product, change, expected):
    """Guards against incidents logged after an administrator changed a target, the hours or the standard
    calendar still getting due times from the cached old terms, and against the change moving incidents
    already logged."""
    before = log_incident(practice_user, product)

    change()
    after = log_incident(practice_user, product)

    assert due(before) == STANDARD_DUE
    assert due(after) == expected


def test_a_contract_moved_to_another_calendar_applies_to_incidents_logged_after(
    practice_user, practice, product
):
    """Guards against the cached terms outliving a change of the contract's own calendar."""
    before = log_incident(practice_user, product)

    contract = practice.contract
    contract.support_calendar = SupportCalendar.objects.get(name="Round the clock (24x7)")
    contract.save()
    after = log_incident(practice_user, product)

    assert due(before) == STANDARD_DUE
    assert due(after) == (london(2026, 11, 25, 20, 0), london(2026, 11, 27, 10, 30))


def test_a_contract_target_beats_the_standard_for_its_practices_only_until_deleted(
    practice_user, practice, product
):
    """Guards against cached terms that ignore a contract's own target added later, that keep it after it
    is deleted, or that are shared between contracts (one practice getting another contract's target)."""
    elsewhere = UserFactory(
        practice=PracticeFactory(contract=Contract.objects.create(name="Premium support"))
    )
    before = log_incident(practice_user, product)
    log_incident(elsewhere, product)  # the other contract's terms, cached too

    own = SlaTarget.objects.create(
        contract=practice.contract, severity=SEVERITY, response_minutes=30, resolution_minutes=120
    )
    with_own = log_incident(practice_user, product)
    other_contract = log_incident(elsewhere, product)
    own.delete()
    after_delete = log_incident(practice_user, product)

    assert due(before) == STANDARD_DUE
    assert due(with_own) == (london(2026, 11, 25, 16, 30), london(2026, 11, 26, 9, 30))
    assert due(other_contract) == STANDARD_DUE
    assert due(after_delete) == STANDARD_DUE


@pytest.mark.usefixtures("unreachable_cache")
def test_with_the_cache_unreachable_due_times_are_still_right(practice_user, product):
    """Guards against logging failing, or using terms it could not check, while Redis is down: the terms
    are read from the database every time."""
    before = log_incident(practice_user, product)
    target = standard_target()
    target.response_minutes, target.resolution_minutes = 60, 510
    target.save()
    after = log_incident(practice_user, product)

    assert due(before) == STANDARD_DUE
    assert due(after) == (london(2026, 11, 25, 17, 0), london(2026, 11, 26, 16, 0))
