"""Every portal page a practice user or a visitor opens, at 320 px and at 1366 px, in the light and the dark
colour scheme: nothing scrolls sideways, and axe finds no serious or critical violation.

The pages are the portal's own (not Django's admin): those a visitor reads, and those of a signed-in
practice user with incidents in every state the list groups them by.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.axe import check_accessibility
from tests.browser.conftest import PRACTICE_PAGES, VISITOR_PAGES, needs_chromium, sign_in
from tests.factories import PASSWORD

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]

WIDTHS = (320, 1366)
SCHEMES = ("light", "dark")


def _check(page, path, label):
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            response = page.goto(path)
            assert response.status == 200, f"{label}: {path} answered {response.status}"
            expect(page.locator("html")).to_have_attribute("data-bs-theme", scheme)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, (
                f"{label} at {width} px ({scheme}) scrolls sideways by {overflow} px: {path}"
            )
            check_accessibility(page, f"{label}, {width} px, {scheme}")


def test_every_visitors_page_fits_a_phone_and_passes_axe_in_both_schemes(browser_page):
    for path in VISITOR_PAGES:
        _check(browser_page, path, "visitor")


def test_every_practice_page_fits_a_phone_and_passes_axe_in_both_schemes(
    browser_page, practice_user, incidents_in_every_state
):
    references = incidents_in_every_state
    sign_in(browser_page, practice_user.email, PASSWORD, lands_on=r"/incidents/$")
    for path in PRACTICE_PAGES:
        _check(browser_page, path.format(**references), "practice user")
