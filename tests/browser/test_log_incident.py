"""A practice user logs an incident in a real browser and reads its reference on the page."""

import re

import pytest
from playwright.sync_api import expect

from incidents.models import Incident
from tests.browser.conftest import needs_chromium, sign_in
from tests.factories import PASSWORD

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def signed_in_page(browser_page, practice_user, product):
    """The practice user signed in through the login form, as a person would."""
    page = browser_page
    sign_in(page, practice_user.email, PASSWORD, lands_on=r"/incidents/$")
    return page


def test_log_an_incident_and_read_its_reference(signed_in_page, practice_user):
    page = signed_in_page
    static = []
    page.on("response", lambda r: static.append((r.status, r.url)) if "/static/" in r.url else None)
    page.goto("/incidents/new/")

    # Styled by Bootstrap from the collected static files, not bare HTML.
    expect(page.locator("nav.navbar")).to_have_css("display", "flex")
    assert any(url.endswith(".css") for _, url in static)
    assert all(status == 200 for status, _ in static), static

    page.get_by_label("Summary").fill("Appointments screen freezes")
    page.get_by_label("3 – Minor fault").check()
    page.get_by_label("Description").fill("The appointments screen stops responding after a minute.")
    page.get_by_label("Product").select_option(label="Synergy Clinical (current version 5.4.2)")
    expect(page.locator("#severity-one-notice")).to_be_hidden()
    page.get_by_role("button", name="Log incident").click()

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Appointments screen freezes")
    reference = re.search(r"PC\d{6}", heading.inner_text()).group()
    expect(page).to_have_url(re.compile(rf"/incidents/{reference}/$"))
    expect(page.get_by_role("status")).to_contain_text(f"Its reference is {reference}")

    incident = Incident.objects.get()
    assert incident.reference == reference
    assert incident.reporter == practice_user
    assert incident.severity == 3
    assert incident.summary == "Appointments screen freezes"


def test_choosing_severity_one_asks_the_user_to_telephone_before_submitting(signed_in_page):
    page = signed_in_page
    page.goto("/incidents/new/")
    notice = page.locator("#severity-one-notice")
    expect(notice).to_be_hidden()

    page.get_by_label("1 – System unavailable").check()

    expect(notice).to_be_visible()
    expect(notice).to_contain_text("please telephone")
    expect(notice).to_contain_text("01632 960000")
    page.get_by_label("3 – Minor fault").check()
    expect(notice).to_be_hidden()
    assert not Incident.objects.exists()
