"""A practice user reads the resolution of their incident in a real browser and confirms it."""

import re

import pytest
from playwright.sync_api import expect

from incidents.models import Incident, Status, TimelineEvent
from incidents.services import incident_resolve, incident_start_investigation, incident_verify
from tests.browser.conftest import needs_chromium, sign_in
from tests.factories import PASSWORD

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]

RESOLUTION = "Reinstalled the printer driver on RECEPTION-PC-01."
CONFIRM = "Confirm: it is resolved"


@pytest.fixture
def resolved(incident, agent):
    incident_verify(incident, actor=agent)
    incident_start_investigation(incident, actor=agent)
    return incident_resolve(incident, actor=agent, resolution=RESOLUTION, is_workaround=True)


@pytest.fixture
def resolution_page(browser_page, practice_user, resolved):
    """The practice user signed in through the login form, on the resolved incident's page."""
    page = browser_page
    sign_in(page, practice_user.email, PASSWORD, lands_on=r"/incidents/$")
    page.goto(f"/incidents/{resolved.reference}/")
    expect(page.locator(".status-tag")).to_contain_text("Status: Resolved")
    resolution = page.get_by_role("region", name="Resolved: does the solution work?")
    expect(resolution).to_contain_text(RESOLUTION)
    expect(resolution).to_contain_text("This is a temporary workaround")
    return page


def _assert_closed(page, incident, practice_user):
    expect(page.locator(".status-tag")).to_contain_text("Status: Closed")
    expect(page.get_by_role("status")).to_contain_text(f"Thank you. {incident.reference} is closed.")
    expect(page.get_by_role("button", name=CONFIRM)).to_have_count(0)
    expect(page).to_have_url(re.compile(rf"/incidents/{incident.reference}/$"))
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.status == Status.CLOSED
    confirmed = incident.events.get(kind=TimelineEvent.Kind.CONFIRMED)
    assert confirmed.actor == practice_user


def test_a_practice_user_confirms_the_resolution_with_the_mouse(resolution_page, resolved, practice_user):
    page = resolution_page

    page.get_by_role("button", name=CONFIRM).click()

    _assert_closed(page, resolved, practice_user)


def test_a_practice_user_confirms_the_resolution_by_keyboard_alone(resolution_page, resolved, practice_user):
    page = resolution_page
    button = page.get_by_role("button", name=CONFIRM)

    for _ in range(60):  # Tab through the links and fields before it, as a keyboard user would
        page.keyboard.press("Tab")
        if button.evaluate("element => element === document.activeElement"):
            break
    expect(button).to_be_focused()
    page.keyboard.press("Enter")

    _assert_closed(page, resolved, practice_user)
