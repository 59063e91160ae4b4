"""An agent schedules a fault into a release created on the spot, then ships it from the release's own page
after confirming (issue 17), by mouse and by keyboard; axe finds nothing serious on the form or the
confirmation, light or dark."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import Release, Status
from incidents.services import incident_mark_duplicate
from tests.browser.axe import check_accessibility, check_both_schemes
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


def fill_date(hands, page, locator, iso):
    """A date box: typed as its segments by keyboard (Chromium's en-US order, month first), else filled."""
    if hands.keyboard:
        year, month, day = iso.split("-")
        hands.focus(locator)
        page.keyboard.type(f"{month}{day}{year}")
    else:
        locator.fill(iso)
    expect(locator).to_have_value(iso)


@pytest.mark.parametrize("mode", ["mouse", "keyboard"])
def test_an_agent_schedules_into_a_new_release_and_ships_it_after_confirming(
    mode, browser_page, browser_problems, agent, practice_user, product
):
    incident = drive_to(
        IncidentFactory(reporter=practice_user, product=product, summary="Prescriptions print blank"),
        Status.INVESTIGATING,
        agent=agent,
    )
    page = browser_page
    hands = hands_for(mode, page)
    sign_in(page, agent.email, PASSWORD, lands_on=r"/admin/$")

    page.goto(f"/admin/incidents/incident/{incident.pk}/act/schedule_fix/")
    check_both_schemes(page, "schedule a fix")
    hands.fill(page.get_by_label("New release: version"), "5.5.0")
    hands.check(page.get_by_label("Emergency"))
    target = (timezone.localdate() + timedelta(days=30)).isoformat()  # a new release's date is still to come
    fill_date(hands, page, page.get_by_label("New release: target date"), target)
    hands.fill(
        page.get_by_label("Temporary workaround (shown to the practice)"), "Print from the PDF preview."
    )
    check_accessibility(page, "schedule a fix, filled in")
    hands.press(page.get_by_role("button", name="Schedule a fix into a release"))

    expect(page).to_have_url(re.compile(rf"/admin/incidents/incident/{incident.pk}/change/$"))
    release = Release.objects.get(version="5.5.0")
    assert (release.kind, str(release.target_date)) == (Release.Kind.EMERGENCY, target)

    page.goto(f"/admin/incidents/release/{release.pk}/change/")
    hands.press(page.get_by_role("link", name="Mark shipped", exact=True))
    expect(page).to_have_url(re.compile(rf"/admin/incidents/release/mark-shipped/\?ids={release.pk}$"))
    expect(page.get_by_role("heading", name="1 incident will be resolved")).to_be_visible()
    expect(page.get_by_text(f"{incident.reference}: Prescriptions print blank")).to_be_visible()
    check_both_schemes(page, "mark shipped confirmation")
    assert Release.objects.get(pk=release.pk).shipped_on is None

    hands.press(page.get_by_role("button", name="Yes, mark shipped"))

    expect(
        page.get_by_text(
            "Release Synergy Clinical 5.5.0 marked shipped: 1 incident resolved, 1 practice emailed"
        )
    ).to_be_visible()
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
    browser_problems.assert_clean()


def test_the_practice_sees_its_incident_linked_without_the_other_practices_reference(
    browser_page, browser_problems, agent, practice_user, outsider, product
):
    main = drive_to(
        IncidentFactory(reporter=outsider, product=product, summary="Hillview's own words"),
        Status.INVESTIGATING,
        agent=agent,
    )
    duplicate = drive_to(
        IncidentFactory(reporter=practice_user, product=product), Status.INVESTIGATING, agent=agent
    )
    incident_mark_duplicate(duplicate, actor=agent, main=main)
    page = browser_page

    sign_in(
        page, practice_user.email, PASSWORD, to=duplicate.get_absolute_url(), lands_on=duplicate.reference
    )

    links = page.get_by_role("region", name="Linked incidents")
    expect(links).to_contain_text("This incident is linked to an incident the Service Desk is working on")
    expect(page.locator("body")).not_to_contain_text(main.reference)
    expect(page.locator("body")).not_to_contain_text("Hillview's own words")
    check_both_schemes(page, "incident page, linked")
    browser_problems.assert_clean()
