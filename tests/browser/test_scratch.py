import re
import pytest
from playwright.sync_api import expect
from tests.browser.conftest import needs_chromium
from tests.browser.axe import check_accessibility, describe
from tests.browser.hands import focused, tab_to
from tests.factories import PASSWORD

pytestmark = [needs_chromium, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def test_scratch(browser_page, practice_user, product, browser_problems):
    page = browser_page
    for url in ["/accounts/login/", "/accounts/register/", "/contact/", "/nothing-here/", "/accounts/password_reset/"]:
        page.goto(url)
        v = check_accessibility(page, url, fail=False)
        print(url, describe(v))
        stops = []
        for _ in range(8):
            page.keyboard.press("Tab"); stops.append(focused(page))
        print(stops)
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(practice_user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for url in ["/incidents/", "/incidents/new/"]:
        page.goto(url)
        v = check_accessibility(page, url, fail=False)
        print(url, describe(v))
    stops = []
    for _ in range(70):
        page.keyboard.press("Tab"); stops.append(focused(page))
    print(stops)
    page.goto("/incidents/new/")
    tab_to(page, page.get_by_label("Screenshots or logs"))
    with page.expect_file_chooser(timeout=3000) as fc:
        page.keyboard.press("Space")
    print("chooser", fc.value)
    page.get_by_role("button", name="Log incident").click()
    v = check_accessibility(page, "errors", fail=False)
    print(describe(v)); print(focused(page))
    print(browser_problems.csp, browser_problems.errors)
