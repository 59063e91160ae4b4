"""The landing page, the practice's incident list and signing out, in headless Chromium (issue 16): with
the mouse and by keyboard alone, at 1366 px and on a 390 px phone, axe at no serious or critical violation
in the light and dark colour schemes, and nothing scrolling sideways at 320 px.

Set LIST_SCREENSHOTS to a folder to keep a screenshot of each page at each width and scheme."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from incidents.services import incident_add_note
from tests.browser.axe import check_accessibility
from tests.browser.conftest import needs_chromium, sign_in
from tests.browser.hands import hands_for
from tests.factories import PASSWORD, IncidentFactory
from tests.incidents.lifecycle_helpers import drive_to

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]

WIDTHS = {"desktop": 1366, "phone": 390}
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def journeys():
    return pytest.mark.parametrize(
        ("mode", "device"),
        [pytest.param(m, d, id=f"{m}-{d}") for m in ("mouse", "keyboard") for d in WIDTHS],
    )


def sized(page, device):
    page.set_viewport_size({"width": WIDTHS[device], "height": 900})
    return page


def look(page, label):
    """axe in both colour schemes (and a screenshot of each, when asked for)."""
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        check_accessibility(page, f"{label} ({scheme})")
        if folder := os.environ.get("LIST_SCREENSHOTS"):
            width = page.viewport_size["width"]
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{folder}/{label}-{width}-{scheme}.png", full_page=True)
    page.emulate_media(color_scheme="light")


@pytest.fixture
def incidents(practice_user, agent, product):
    """One incident resolved (waiting for the practice), one with the desk and a note, one closed."""
    resolved = drive_to(
        IncidentFactory(reporter=practice_user, product=product, summary="Docman will not file letters"),
        "resolved",
        agent=agent,
    )
    with_desk = IncidentFactory(
        reporter=practice_user, product=product, summary="Printer offline", machine_name="RECEPTION-PC3"
    )
    incident_add_note(with_desk, actor=agent, text="We restarted the print spooler remotely.")
    closed = drive_to(
        IncidentFactory(reporter=practice_user, product=product, summary="Old scanner fault"),
        "closed",
        agent=agent,
    )
    return {"resolved": resolved, "with_desk": with_desk, "closed": closed}


def open_menu_on_a_phone(page, hands, device):
    if device == "phone":
        hands.press(page.get_by_role("button", name="Show navigation"))
        expect(page.locator("#nav-links.show")).to_be_visible()  # opened, not still opening


@journeys()
def test_a_visitor_reads_the_landing_page_and_asks_for_an_account(
    browser_page, db, mode, device, browser_problems
):
    page = sized(browser_page, device)
    hands = hands_for(mode, page)
    page.goto("/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Report and follow your practice's incidents")
    telephone = page.get_by_role("region", name="When to telephone instead")
    expect(telephone).to_contain_text("severity 1")
    expect(telephone.get_by_role("link", name="01632 960000")).to_have_attribute("href", "tel:01632960000")
    look(page, "landing")

    hands.press(page.get_by_role("main").get_by_role("link", name="Request an account"))
    expect(page).to_have_url(re.compile(r"/accounts/register/$"))
    page.go_back()
    hands.press(page.get_by_role("main").get_by_role("link", name="Sign in"))
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    browser_problems.assert_clean()


@journeys()
def test_the_practice_sees_what_waits_for_it_searches_and_signs_out(
    browser_page, practice_user, incidents, mode, device, browser_problems
):
    page = sized(browser_page, device)
    hands = hands_for(mode, page)
    sign_in(page, practice_user.email, PASSWORD, lands_on=r"/incidents/$")

    expect(page.locator("#greeting")).to_have_text(
        re.compile(r"Hello Alex\.\s+1 incident is waiting for you\.")
    )
    waiting = page.get_by_role("region", name=re.compile("^Waiting for you"))
    with_desk = page.get_by_role("region", name=re.compile("^With the Service Desk"))
    expect(waiting.get_by_role("link", name=re.compile(incidents["resolved"].reference))).to_be_visible()
    expect(waiting).to_contain_text("Confirm or reject the solution")
    expect(with_desk.get_by_role("link", name=re.compile(incidents["with_desk"].reference))).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text("Old scanner fault")
    # A table at 1366 px, cards on the phone.
    expect(page.locator("table.incident-table").first).to_be_visible(visible=device == "desktop")
    expect(page.locator("ul.incident-cards").first).to_be_visible(visible=device == "phone")
    look(page, "list")

    hands.press(page.get_by_role("link", name=re.compile(r"^Closed")))
    expect(page).to_have_url(re.compile(r"show=closed"))
    expect(page.get_by_role("region", name=re.compile("^Closed"))).to_contain_text("Old scanner fault")
    hands.press(page.get_by_role("link", name=re.compile(r"^Open")), backwards=True)

    # Words from the note and the workstation name, in any order, highlighted.
    hands.fill(page.get_by_role("searchbox", name="Search"), "reception spooler")
    hands.press(page.get_by_role("button", name="Search", exact=True))
    expect(page).to_have_url(re.compile(r"q=reception\+spooler"))
    expect(page.get_by_role("status")).to_have_text("1 open incident with “reception”, “spooler”.")
    expect(page.locator("main mark:visible").first).to_be_visible()
    look(page, "list-search")

    open_menu_on_a_phone(page, hands, device)
    hands.press(page.get_by_role("button", name="Sign out"))
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    look(page, "signed-out")
    browser_problems.assert_clean()


@pytest.mark.parametrize("mode", ["mouse", "keyboard"])
def test_sorting_by_a_column_at_1366(browser_page, practice_user, incidents, product, mode):
    page = sized(browser_page, "desktop")
    hands = hands_for(mode, page)
    major = IncidentFactory(reporter=practice_user, product=product, severity=2, summary="Major fault")
    sign_in(page, practice_user.email, PASSWORD, lands_on=r"/incidents/$")
    with_desk = page.get_by_role("region", name=re.compile("^With the Service Desk"))
    rows = with_desk.locator("tbody tr td:first-child")
    expect(rows).to_have_text([major.reference, incidents["with_desk"].reference])  # latest update first

    hands.press(with_desk.get_by_role("link", name=re.compile(r"^Severity")))

    expect(with_desk.locator("th[aria-sort=ascending]")).to_contain_text("Severity")
    expect(rows).to_have_text([major.reference, incidents["with_desk"].reference])
    hands.press(with_desk.get_by_role("link", name=re.compile(r"^Severity")))
    expect(with_desk.locator("th[aria-sort=descending]")).to_contain_text("Severity")
    expect(rows).to_have_text([incidents["with_desk"].reference, major.reference])


def test_nothing_scrolls_sideways_at_320_px(browser_page, practice_user, incidents):
    page = browser_page
    page.set_viewport_size({"width": 320, "height": 700})
    for label in ("landing",):
        page.goto("/")
        assert page.evaluate(SIDEWAYS) <= 0, f"{label} scrolls sideways at 320 px"
        look(page, label)
    sign_in(page, practice_user.email, PASSWORD, lands_on=r"/incidents/$")
    for label, path in [
        ("list", "/incidents/"),
        ("list-search", "/incidents/?q=printer+spooler&sort=severity"),
    ]:
        page.goto(path)
        page.locator("details").evaluate("details => { details.open = true; }")  # the filters, open too
        assert page.evaluate(SIDEWAYS) <= 0, f"{label} scrolls sideways at 320 px"
        look(page, label)
    page.get_by_role("button", name="Show navigation").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    assert page.evaluate(SIDEWAYS) <= 0, "signed-out scrolls sideways at 320 px"
    look(page, "signed-out")
