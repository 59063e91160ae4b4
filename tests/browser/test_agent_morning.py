"""An agent's morning in admin (issue 17), by mouse and by keyboard alone: the dashboard's "New" count leads
to the new incident; one form triages it with a canned reply; the fault is scheduled into a release created
on the spot; the release is marked shipped after its confirmation names the incident and the practice. axe
finds nothing serious on any page on the way. Everything happens on a fixed Monday in 2026."""

import re
from datetime import datetime

import pytest
import time_machine
from django.core import mail
from playwright.sync_api import expect

from incidents.models import CannedReply, Release, Status
from servicedesk.lib.support_hours import LONDON
from tests.browser.axe import check_accessibility, check_both_schemes
from tests.browser.conftest import needs_chromium, sign_in
from tests.browser.hands import hands_for
from tests.browser.test_release_on_the_spot_and_ship import fill_date
from tests.factories import PASSWORD, IncidentFactory

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]

LOGGED_AT = datetime(2026, 11, 23, 8, 10, tzinfo=LONDON)
MORNING = datetime(2026, 11, 23, 9, 0, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def _on_a_monday_morning():
    """The whole test, its data included, on Monday 23 November 2026 (the release's date is after it)."""
    with time_machine.travel(LOGGED_AT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def new_incident(practice_user, product):
    CannedReply.objects.create(
        title="Looking into it", text="Thank you, {practice}. {agent} is looking into {reference} now."
    )
    return IncidentFactory(reporter=practice_user, product=product, summary="Prescriptions print blank")


def object_tool(page, name):
    return page.locator(".object-tools").get_by_role("link", name=name, exact=True)


def said(page):
    return page.locator("ul.messagelist")


def triage_with_a_canned_reply(page, hands, incident, agent):
    triage = page.get_by_role("region", name=re.compile(r"^Triage "))
    expect(triage.get_by_label("Assignee")).to_have_value(str(agent.pk))  # me, unless I choose another
    hands.check(triage.get_by_role("radio", name=re.compile(r"^2 – Major fault")))
    hands.select(triage.get_by_label("Canned reply"), "Looking into it")
    hands.press(triage.get_by_role("button", name="Insert"))
    reply = triage.get_by_label("First reply to the practice (optional)")
    expect(reply).to_have_value(re.compile(rf"Casey Agent is looking into {incident.reference} now\.$"))
    hands.press(triage.get_by_role("button", name="Triage", exact=True))
    expect(said(page)).to_contain_text(
        f"{incident.reference} verified and assigned to you; the practice was emailed your reply."
    )


def schedule_into_a_new_release(page, hands, incident):
    hands.press(object_tool(page, "Start investigating"))
    hands.press(page.get_by_role("button", name="Start investigating"))
    expect(said(page)).to_contain_text(f"{incident.reference} is being investigated.")
    hands.press(object_tool(page, "Schedule a fix into a release"))
    hands.fill(page.get_by_label("New release: version"), "5.5.0")
    hands.check(page.get_by_label("Emergency"))
    fill_date(hands, page, page.get_by_label("New release: target date"), "2026-11-26")
    check_accessibility(page, "schedule a fix, filled in")
    hands.press(page.get_by_role("button", name="Schedule a fix into a release"))
    expect(said(page)).to_contain_text(f"{incident.reference} scheduled into the new release 5.5.0.")


def ship_after_confirming(page, hands, incident, practice):
    page.goto("/admin/incidents/release/")
    hands.press(page.locator("#result_list").get_by_role("link", name="Synergy Clinical"))
    hands.press(page.get_by_role("link", name="Mark shipped", exact=True))
    expect(page.get_by_role("heading", name="1 incident will be resolved")).to_be_visible()
    expect(page.get_by_text(f"{incident.reference}: Prescriptions print blank")).to_be_visible()
    expect(page.locator("#content")).to_contain_text(practice.name)
    check_accessibility(page, "mark shipped, the question")
    hands.press(page.get_by_role("button", name="Yes, mark shipped"))
    expect(said(page)).to_contain_text(
        "Release Synergy Clinical 5.5.0 marked shipped: 1 incident resolved, 1 practice emailed"
    )


@pytest.mark.parametrize("mode", ["mouse", "keyboard"])
def test_an_agents_morning_from_the_dashboard_to_a_shipped_fix(
    mode, browser_page, browser_problems, agent, practice_user, new_incident, _on_a_monday_morning
):
    _on_a_monday_morning.move_to(MORNING)
    page = browser_page
    hands = hands_for(mode, page)
    sign_in(page, agent.email, PASSWORD, lands_on=r"/admin/$")
    check_both_schemes(page, "dashboard")

    hands.press(page.get_by_role("link", name="1 New: logged, not yet verified"))
    expect(page).to_have_url(re.compile(r"/admin/incidents/incident/\?status__exact=logged$"))
    check_accessibility(page, "new incidents")
    hands.press(page.get_by_role("link", name=new_incident.reference, exact=True))
    expect(page).to_have_url(re.compile(rf"/admin/incidents/incident/{new_incident.pk}/change/"))
    check_accessibility(page, "the new incident")
    mail.outbox.clear()
    triage_with_a_canned_reply(page, hands, new_incident, agent)
    to_the_practice = [m for m in mail.outbox if practice_user.email in m.to]
    assert len(to_the_practice) == 1, "triage tells the practice once, not once per change"
    assert "Casey Agent is looking into" in to_the_practice[0].body
    check_accessibility(page, "the incident, triaged")

    schedule_into_a_new_release(page, hands, new_incident)
    ship_after_confirming(page, hands, new_incident, practice_user.practice)

    new_incident.refresh_from_db()
    assert new_incident.status == Status.RESOLVED
    assert Release.objects.get(version="5.5.0").shipped_on is not None
    browser_problems.assert_clean()
