"""The top bar on one line from 1024 px (issue 16, "Layout, looks and devices"): at 1024 px and 1366 px, for a
visitor and for a signed-in practice user, the service's name and every item of the top bar share one row,
the bar stays one row high, and the menu button a phone needs is hidden."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import needs_chromium, sign_in
from tests.factories import PASSWORD

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]

WIDTHS = (1024, 1366)
SAME_ROW = 4  # px between the highest and the lowest item's top
ONE_ROW_HIGH = 80  # px: Bootstrap's bar is 56 px high on one row, about 100 px on two


def _assert_one_row(page, path, who):
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(path)
        label = f"{who} at {width} px ({path})"
        expect(page.get_by_role("button", name="Show navigation")).to_be_hidden()
        items = page.get_by_role("navigation", name="Main").locator(".navbar-brand, .navbar-nav > .nav-item")
        tops = {}
        for item in items.all():
            expect(item).to_be_visible()
            tops[" ".join(item.inner_text().split())] = round(item.bounding_box()["y"], 1)
        assert len(tops) >= 4, f"{label}: the top bar shows only {sorted(tops)}"
        assert max(tops.values()) - min(tops.values()) <= SAME_ROW, f"{label}: not one row: {tops}"
        height = page.locator(".navbar").bounding_box()["height"]
        assert height < ONE_ROW_HIGH, f"{label}: the top bar is {height} px high"


def test_a_visitors_top_bar_is_one_row_from_1024_px(browser_page):
    _assert_one_row(browser_page, "/", "visitor")


def test_a_practice_users_top_bar_is_one_row_from_1024_px(browser_page, practice_user):
    sign_in(browser_page, practice_user.email, PASSWORD, lands_on=r"/incidents/$")
    _assert_one_row(browser_page, "/incidents/", "practice user")
