"""An agent logging a telephoned incident chooses the reporter, and the incident contact fills in with the
reporter's name and number (static/js/admin_log_on_behalf.js); a contact the agent typed stays. axe finds
nothing serious on the page, light or dark."""

import pytest
from playwright.sync_api import expect

from tests.browser.axe import check_accessibility
from tests.browser.conftest import needs_chromium, sign_in
from tests.factories import PASSWORD

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]


def _choose_reporter(page, name):
    page.locator(".field-reporter .select2-selection").click()
    page.locator(".select2-search__field").fill(name.split()[0])
    page.get_by_role("option", name=name).click()


def test_choosing_the_reporter_fills_the_contact(
    browser_page, browser_problems, agent, practice_user, colleague
):
    page = browser_page
    sign_in(page, agent.email, PASSWORD, lands_on=r"/admin/$")
    page.goto("/admin/incidents/incident/add/")
    for scheme in ("dark", "light"):  # loaded again in each: admin's links fade to their colour
        page.emulate_media(color_scheme=scheme)
        page.reload()
        check_accessibility(page, f"admin: log an incident ({scheme})")

    _choose_reporter(page, "Alex Morgan")

    expect(page.locator("#id_contact_name")).to_have_value("Alex Morgan")
    expect(page.locator("#id_contact_number")).to_have_value(practice_user.phone)

    _choose_reporter(page, "Sam Patel")  # a second choice replaces what the script filled
    expect(page.locator("#id_contact_name")).to_have_value("Sam Patel")

    page.locator("#id_contact_name").fill("Robin Shaw")  # what the agent types stays
    _choose_reporter(page, "Alex Morgan")
    expect(page.locator("#id_contact_name")).to_have_value("Robin Shaw")
    browser_problems.assert_clean()
