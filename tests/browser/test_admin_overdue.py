"""An agent sees which SLA times have passed in the admin list, marked under the production policy.

Guards against the mark being styled by a style attribute, which the Content-Security-Policy's
style-src 'self' refuses: the word was there but not in red, and the browser reported a violation.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
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


def test_an_overdue_response_time_is_marked_in_admins_error_colour(
    browser_page, browser_problems, agent, incident
):
    Incident.objects.filter(pk=incident.pk).update(response_due_at=timezone.now() - timedelta(hours=1))
    page = browser_page
    sign_in(
        page, agent.email, PASSWORD, to="/admin/incidents/incident/", lands_on=r"/admin/incidents/incident/$"
    )

    row = page.locator("#result_list tbody tr").filter(has_text=incident.reference)
    mark = row.locator("td.field-response_due strong")
    expect(mark).to_have_text("OVERDUE")
    error_colour = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--error-fg')")
    assert error_colour.strip(), "admin's stylesheet defines --error-fg"
    expect(mark).to_have_css("color", _rgb(error_colour.strip()))
    expect(row.locator("td.field-resolution_due strong")).to_have_count(0)  # not yet due: no mark
    browser_problems.assert_clean()


def _rgb(hex_colour):
    red, green, blue = (int(hex_colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgb({red}, {green}, {blue})"
