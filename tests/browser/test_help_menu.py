"""The Help menu in headless Chromium (issue 16, "Help"): from any page, with the mouse and by keyboard alone,
at 1366 px and on a 390 px phone, a practice user opens the portal guide (its tutorial video and pictures, the
severities in the contract's own words) and then "Your service"; axe finds nothing serious in either colour
scheme. A visitor reaches the guide from the landing page too."""

import re

import pytest
from playwright.sync_api import expect

from incidents.models import SeverityWording
from tests.browser.conftest import needs_chromium, sign_in
from tests.browser.hands import hands_for
from tests.browser.test_list_and_landing import journeys, look, open_menu_on_a_phone, sized
from tests.factories import PASSWORD

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def own_wording(practice_user):
    """The practice's contract calls severity 2 its own name."""
    return SeverityWording.objects.create(
        contract=practice_user.practice.contract,
        severity=2,
        name="Serious disruption",
        description="Most of the practice cannot book or record consultations.",
    )


@journeys()
def test_a_practice_user_finds_the_guide_and_their_service_in_the_help_menu(
    browser_page, practice_user, own_wording, mode, device
):
    page = sized(browser_page, device)
    hands = hands_for(mode, page)
    sign_in(page, practice_user.email, PASSWORD, lands_on=r"/incidents/$")

    open_menu_on_a_phone(page, hands, device)
    hands.menu("Help", "Portal guide")

    expect(page).to_have_url(r"/help/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Using the portal")
    video = page.locator("video source")
    expect(video).to_have_attribute("src", re.compile(r"^/static/guide/tutorial\.\w{12}\.webm$"))
    severities = page.get_by_role("region", name="Choosing a severity")
    expect(severities).to_contain_text("2 – Serious disruption")
    expect(severities).to_contain_text("These are the words of your contract")
    picture = page.get_by_role("img", name="The sign-in page", exact=False)
    picture.scroll_into_view_if_needed()
    expect(picture).to_be_visible()
    assert picture.evaluate("img => img.complete && img.naturalWidth") == 1366, "the picture did not load"
    look(page, f"guide-{device}")

    open_menu_on_a_phone(page, hands, device)
    hands.menu("Help", "Your service")

    expect(page.get_by_role("heading", level=1)).to_have_text("Your service")
    expect(page.locator("main")).to_contain_text(practice_user.practice.contract.name)
    targets = page.get_by_role("region", name="How quickly we respond")
    expect(targets).to_contain_text("2 – Serious disruption")
    look(page, f"your-service-{device}")


@journeys()
def test_a_visitor_reads_the_guide_from_the_landing_page(browser_page, mode, device, db):
    page = sized(browser_page, device)
    hands = hands_for(mode, page)
    page.goto("/")

    open_menu_on_a_phone(page, hands, device)
    hands.menu("Help", "Portal guide")

    expect(page.get_by_role("heading", level=1)).to_have_text("Using the portal")
    expect(page.get_by_role("region", name="Choosing a severity")).to_contain_text(
        "may differ slightly from these standard definitions"
    )
    expect(page.get_by_role("link", name="Your service", exact=True)).to_have_count(0)
