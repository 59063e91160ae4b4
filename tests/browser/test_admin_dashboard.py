"""An agent's start of the day (issue 17): sign in to admin, read the dashboard, follow "New" to the list
of new incidents, by mouse and by keyboard; axe finds nothing serious on either page, light or dark."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.axe import check_both_schemes
from tests.browser.conftest import needs_chromium, sign_in
from tests.browser.hands import hands_for
from tests.factories import PASSWORD, IncidentFactory
from tests.incidents.queue_helpers import taken_on

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]


@pytest.mark.parametrize("mode", ["mouse", "keyboard"])
def test_an_agent_goes_from_the_dashboard_to_the_new_incidents(
    mode, browser_page, browser_problems, agent, practice_user, product
):
    new = IncidentFactory(reporter=practice_user, product=product, summary="Appointments screen freezes")
    urgent = IncidentFactory(reporter=practice_user, product=product, severity=1, summary="Nobody can log in")
    taken_on(IncidentFactory(reporter=practice_user, product=product, summary="Printer jams"), agent, agent)
    page = browser_page
    hands = hands_for(mode, page)

    sign_in(page, agent.email, PASSWORD, lands_on=r"/admin/$")
    work = page.get_by_role("list", name="Incidents to work")
    new_link = work.get_by_role("link", name="2 New: logged, not yet verified")
    expect(new_link).to_be_visible()
    expect(work.get_by_role("link", name="1 Assigned to me")).to_be_visible()
    expect(page.get_by_role("link", name="1 Severity 1: system unavailable")).to_be_visible()
    expect(page.locator("tr.model-incident").get_by_role("link", name="Incidents")).to_be_visible()
    check_both_schemes(page, "admin dashboard")

    hands.press(new_link)

    expect(page).to_have_url(re.compile(r"/admin/incidents/incident/\?status__exact=logged$"))
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(urgent.reference)  # due first: severity 1's response is due soonest
    expect(rows.nth(0)).to_contain_text("1 – System unavailable")
    expect(rows.nth(1)).to_contain_text(new.reference)
    # Severity 1 draws a bar at the row's left edge (static/css/admin.css); the other row has none.
    expect(rows.nth(0).locator("td").first).to_have_css("box-shadow", re.compile(r"inset"))
    expect(rows.nth(1).locator("td").first).to_have_css("box-shadow", "none")
    expect(page.locator("#changelist-filter li.selected").get_by_role("link", name="Open")).to_be_visible()
    check_both_schemes(page, "admin incident list, new")
    browser_problems.assert_clean()
