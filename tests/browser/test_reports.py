"""A team leader reads the reports (issue 17, "Team leaders"): opens /reports/, picks "Last quarter" by
keyboard and reads the charts and their tables; axe finds nothing serious in either colour scheme at 1366
and 390 px, and the page does not scroll sideways at 320 px. Everything at fixed dates in 2026."""

import importlib
import re
from datetime import datetime

import django.apps
import pytest
import time_machine
from playwright.sync_api import expect

from escalation.services import incident_escalate
from servicedesk.lib.support_hours import LONDON
from tests.browser.axe import check_both_schemes
from tests.browser.conftest import needs_chromium, sign_in
from tests.browser.hands import hands_for
from tests.factories import PASSWORD, IncidentFactory
from tests.incidents.lifecycle_helpers import perform

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]

READS_AT = datetime(2026, 11, 20, 12, 0, tzinfo=LONDON)  # last quarter: July to September 2026
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def september(practice_user, agent, product):
    """Two incidents in September 2026: one answered, resolved and closed; one escalated and open."""
    importlib.import_module("escalation.migrations.0004_standard_ladder").create(django.apps.apps, None)
    with time_machine.travel(datetime(2026, 9, 7, 9, 0, tzinfo=LONDON), tick=False):
        closed = IncidentFactory(reporter=practice_user, product=product, summary="Letters will not merge")
        open_one = IncidentFactory(reporter=practice_user, product=product, summary="Docman scans are blank")
    for action, actor, when in [
        ("verify", agent, (7, 10)),
        ("start_investigation", agent, (7, 10)),
        ("resolve", agent, (8, 11)),
        ("confirm", practice_user, (9, 9)),
    ]:
        with time_machine.travel(datetime(2026, 9, when[0], when[1], 0, tzinfo=LONDON), tick=False):
            perform(action, closed, actor=actor)
    with time_machine.travel(datetime(2026, 9, 8, 15, 0, tzinfo=LONDON), tick=False):
        incident_escalate(open_one, actor=practice_user, reason="The practice is chasing.")


@pytest.mark.parametrize("width", [1366, 390])
def test_a_team_leader_picks_last_quarter_by_keyboard(
    new_page, browser_problems, team_leader, september, width
):
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    hands = hands_for("keyboard", page)
    with time_machine.travel(READS_AT, tick=False):
        sign_in(page, team_leader.email, PASSWORD, to="/reports/", lands_on=r"/reports/$")
        expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()

        hands.check(page.get_by_role("radio", name="Last quarter"))
        hands.press(page.get_by_role("button", name="Show", exact=True))

        expect(page).to_have_url(re.compile(r"/reports/\?period=last_quarter"))
        logged = page.get_by_role("table", name="Incidents logged and closed, by month")
        expect(logged.get_by_role("row")).to_have_count(4)  # the header and July, August, September
        expect(logged.get_by_role("row", name="September 2026")).to_contain_text("2 1 0 0%".replace(" ", ""))
        expect(
            page.get_by_role("img", name=re.compile("Incidents logged and closed per month"))
        ).to_be_visible()
        escalations = page.get_by_role("table", name="Escalations per ladder level, by month")
        expect(escalations.get_by_role("row", name="September 2026").get_by_role("cell").first).to_have_text(
            "1"
        )
        expect(page.get_by_role("link", name="Download “SLA targets met” (CSV)")).to_be_visible()
        check_both_schemes(page, f"reports at {width} px")
        assert page.evaluate(SIDEWAYS) <= 0, "the reports scroll sideways"
    browser_problems.assert_clean()


def test_the_reports_do_not_scroll_sideways_at_320_px(new_page, browser_problems, team_leader, september):
    page = new_page()
    page.set_viewport_size({"width": 320, "height": 700})
    with time_machine.travel(READS_AT, tick=False):
        sign_in(page, team_leader.email, PASSWORD, to="/reports/?period=last_quarter", lands_on=r"/reports/")
        expect(page.get_by_role("table", name="SLA targets met, by month")).to_be_visible()
        assert page.evaluate(SIDEWAYS) <= 0, "the reports scroll sideways at 320 px"
    browser_problems.assert_clean()


@pytest.fixture
def answered(product):
    """Survey rounds for September and October 2026 with three responses, and the default questions."""
    from surveys.models import Invitation
    from tests.surveys.test_results import OCTOBER, SEPTEMBER, answer, invite, make_round

    for name, function in [("0003_default_questions", "create"), ("0005_question_short_label", "label")]:
        getattr(importlib.import_module(f"surveys.migrations.{name}"), function)(django.apps.apps, None)
    with time_machine.travel(READS_AT, tick=False):
        september, october = make_round(SEPTEMBER), make_round(OCTOBER)
        answer(invite(september, product, 2), 5, True, 4)
        answer(invite(september, product, 3), 4, False, 2)
        answer(invite(october, product, 2), 2, True, 5)
        invite(october, product, 2)
    return Invitation.objects.count()


@pytest.mark.parametrize("width", [1366, 390])
def test_the_survey_results_charts_read_in_both_schemes(
    new_page, browser_problems, team_leader, answered, width
):
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    with time_machine.travel(READS_AT, tick=False):
        sign_in(page, team_leader.email, PASSWORD, to="/surveys/results/", lands_on=r"/surveys/results/")
        expect(page.get_by_role("img", name=re.compile("Average score by question"))).to_be_visible()
        header = page.get_by_role("table", name="Survey results by month").get_by_role("columnheader").nth(4)
        expect(header.locator("abbr")).to_have_attribute("title", re.compile("^Overall, how satisfied"))
        check_both_schemes(page, f"survey results at {width} px")
        page.set_viewport_size({"width": 320, "height": 700})
        assert page.evaluate(SIDEWAYS) <= 0, "the survey results scroll sideways at 320 px"
    browser_problems.assert_clean()
