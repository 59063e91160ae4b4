"""'Your service': a practice sees its own contract's hours, closures, SLA targets and escalation ladder."""

from datetime import datetime, time

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Contract, SupportCalendar, SupportHours
from escalation.models import EscalationLevel
from incidents.models import SeverityWording, SlaTarget
from servicedesk.lib.support_hours import LONDON
from tests.conftest import login
from tests.factories import PracticeFactory, StaffFactory, UserFactory
from tests.incidents.helpers import BANNER_QUERY

URL = "/help/your-service/"


@pytest.fixture(autouse=True)
def _fixed_clock():
    """The closures listed depend on the date: each test runs wholly on Monday 7 December 2026."""
    with time_machine.travel(datetime(2026, 12, 7, 10, 0, tzinfo=LONDON), tick=False):
        yield


@pytest.fixture
def extended_contract(db):
    calendar = SupportCalendar.objects.create(name="Weekdays 08:00 to 18:30", closed_on_irish_holidays=False)
    for weekday in range(5):
        SupportHours.objects.create(calendar=calendar, weekday=weekday, opens=time(8, 0), closes=time(18, 30))
    contract = Contract.objects.create(name="Extended hours", support_calendar=calendar, managed_service=True)
    SlaTarget.objects.create(contract=contract, severity=2, response_minutes=45, resolution_minutes=300)
    return contract


def _page(client, user):
    login(client, user)
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_is_the_practices_own_contract(client, extended_contract):
    practice = PracticeFactory(name="Oakfield Surgery", contract=extended_contract)

    page = _page(client, UserFactory(practice=practice))

    assert "What Oakfield Surgery can expect" in page and "Extended hours" in page
    assert "Monday to Friday</dt><dd" in page and "08:00 to 18:30" in page
    assert "Saturday" not in page.split('id="hours-heading"')[1].split("</section>")[0]
    # Its own target for severity 2, the standard ones for the rest.
    assert '<dd class="col-sm-7">45 min</dd>' in page and "5 h</dd>" in page
    assert '<dd class="col-sm-7">30 min</dd>' in page and "4 h</dd>" in page  # severity 1, standard
    assert "5 days</dd>" in page  # severity 3's resolution, 2550 support minutes: days of 8 h 30 min
    assert "a day of support time is 8 h 30 min" in page
    # English holidays only: this calendar does not close for Ireland's.
    assert "Friday 25 December 2026</strong>: Christmas Day (England)" in page
    assert "Saint Stephen" not in page
    assert "Saint Patrick" not in page


def test_a_practice_on_standard_cover_sees_both_countries_holidays(client, db):
    practice = PracticeFactory(name="Riverside Practice")

    page = _page(client, UserFactory(practice=practice))

    assert "Saturday</dt><dd" in page and "09:00 to 12:00" in page
    assert "Christmas Day (England and Ireland)" in page
    assert "Saint Patrick&#x27;s Day (Ireland)" in page, "17 March is within six months"
    assert "Tuesday 1 June" not in page, "nothing beyond six months"


def test_the_managed_service_rung_shows_only_to_managed_service_contracts(client, extended_contract):
    managed = EscalationLevel.objects.filter(managed_service_only=True).first()
    assert managed is not None, "the seeded ladder has the Customer Liaison Officer"
    liaison = StaffFactory(full_name="Jo Liaison", phone="01632 960777")
    managed.contacts.add(liaison)

    managed_page = _page(client, UserFactory(practice=PracticeFactory(contract=extended_contract)))
    plain_page = _page(
        client, UserFactory(practice=PracticeFactory(contract=Contract.objects.create(name="Plain")))
    )

    assert (
        managed.role_name in managed_page and "Jo Liaison" in managed_page and "01632 960777" in managed_page
    )
    assert managed.role_name not in plain_page


def test_desk_staff_see_the_standard_terms(client, db):
    page = _page(client, StaffFactory())

    assert "The standard terms" in page


def test_signed_out_people_are_asked_to_sign_in(client, db):
    response = client.get(URL)

    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_page_reads_a_fixed_number_of_queries(client, extended_contract, django_assert_num_queries):
    user = UserFactory(practice=PracticeFactory(contract=extended_contract))
    login(client, user)
    for level in EscalationLevel.objects.all():
        level.contacts.add(StaffFactory())

    # the signed-in user; the contract, its calendar, its SLA targets, its severity wording; the ladder and
    # its general contacts, and its contacts for products and for the practice's contract; which known issues
    # are severe enough for a banner (read once into the emptied cache: tests/incidents/helpers.py)
    with django_assert_num_queries(8 + BANNER_QUERY):
        assert client.get(URL).status_code == 200


def test_a_contract_with_its_own_severity_words_is_shown_them(client, extended_contract):
    SeverityWording.objects.create(
        contract=extended_contract, severity=2, name="Serious fault", description="A key task cannot be done."
    )
    user = UserFactory(practice=PracticeFactory(contract=extended_contract))

    page = _page(client, user)
    guide = client.get("/help/").content.decode()

    for shown in (page, guide):
        assert "2 – Serious fault" in shown and "A key task cannot be done." in shown
        assert "2 – Major fault" not in shown
        assert "3 – Minor fault" in shown, "the standard words where the contract has none"
    assert "These are the words of your contract, Extended hours." in guide
