"""Known issues in the portal (issue 19), in headless Chromium: the banner on the practice's pages, the list
and a known issue's page at no serious or critical axe violation in either colour scheme, nothing scrolling
sideways at 320 px, and "This affects us too" from the banner logging a linked incident in one click."""

import pytest
from playwright.sync_api import expect

from incidents.known_issues import known_issue_declare, known_issue_post_update
from incidents.models import Incident
from tests.browser.axe import check_both_schemes
from tests.browser.conftest import needs_chromium, sign_in
from tests.factories import PASSWORD, IncidentFactory, StaffFactory

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]

SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_the_banner_list_and_page_are_accessible_and_affects_us_too_logs_one_incident(
    browser_page, browser_problems, practice_user, product
):
    IncidentFactory(reporter=practice_user, product=product, summary="Printer will not print")
    agent = StaffFactory(full_name="Casey Agent")
    known_issue = known_issue_declare(
        actor=agent, product=product, title="Prescriptions print blank after the 5.4 upgrade",
        symptoms="The FP10 comes out blank, or with only the barcode.\nSeen on every printer.",
        versions_affected="5.4.0 to 5.4.2", severity=2, workaround="Print from the PDF preview.",
    )  # fmt: skip
    known_issue_post_update(known_issue, actor=agent, text="The supplier has reproduced the fault.")
    page = browser_page
    sign_in(page, practice_user.email, PASSWORD, lands_on=r"/incidents/$")
    banner = page.get_by_role("region", name="Known issues")
    expect(banner).to_contain_text("Prescriptions print blank after the 5.4 upgrade")
    check_both_schemes(page, "incident list with the banner")
    for url in ("/known-issues/", known_issue.get_absolute_url()):
        page.goto(url)
        check_both_schemes(page, url)
        page.set_viewport_size({"width": 320, "height": 800})
        assert page.evaluate(SIDEWAYS) <= 0, f"{url} scrolls sideways at 320 px"
        page.set_viewport_size({"width": 1366, "height": 900})

    page.goto("/incidents/")
    banner.get_by_role("button", name="This affects us too").click()
    incident = Incident.objects.get(known_issue=known_issue)
    expect(page).to_have_url(f"{page.url.split('/incidents/')[0]}{incident.get_absolute_url()}")
    expect(page.get_by_role("alert").or_(page.get_by_role("status")).first).to_contain_text(
        f"Logged as {incident.reference}"
    )
    expect(banner).to_contain_text(f"Your incident {incident.reference} follows this")
    browser_problems.assert_clean()
