"""An agent triages a new incident in one form on its change page, by keyboard only: a canned reply inserted
(no JavaScript needed), the severity chosen, assigned to themself by default; axe finds nothing serious on
the change page or the triage form, light or dark (issue 17)."""

import re

import pytest
from playwright.sync_api import expect

from incidents.models import CannedReply, Status
from tests.browser.axe import check_both_schemes
from tests.browser.conftest import needs_chromium, sign_in
from tests.browser.hands import hands_for
from tests.factories import PASSWORD, IncidentFactory

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]


def test_an_agent_triages_a_new_incident_by_keyboard(
    browser_page, browser_problems, agent, practice_user, product
):
    incident = IncidentFactory(reporter=practice_user, product=product, summary="Appointments screen freezes")
    CannedReply.objects.create(
        title="Looking into it", text="Thank you, {practice}. {agent} is looking into {reference} now."
    )
    page = browser_page
    keys = hands_for("keyboard", page)
    sign_in(page, agent.email, PASSWORD, lands_on=r"/admin/$")
    page.goto(f"{page.url.split('/admin/')[0]}/admin/incidents/incident/{incident.pk}/change/")

    triage = page.get_by_role("region", name=re.compile(r"^Triage "))
    expect(triage.get_by_role("radio", name=re.compile(r"^3 – Minor fault"))).to_be_checked()
    expect(triage.get_by_label("Assignee")).to_have_value(str(agent.pk))
    check_both_schemes(page, "admin incident change page, logged")

    keys.check(triage.get_by_role("radio", name=re.compile(r"^2 – Major fault")))
    keys.select(triage.get_by_label("Canned reply"), "Looking into it")
    keys.press(triage.get_by_role("button", name="Insert"))

    # static/js/canned_reply.js fills the box in place (without it the server does: test_canned_replies.py)
    reply = triage.get_by_label("First reply to the practice (optional)")
    expect(reply).to_have_value(
        f"Thank you, {practice_user.practice.name}. Casey Agent is looking into {incident.reference} now."
    )
    expect(reply).to_be_focused()
    expect(page).to_have_url(re.compile(rf"/incident/{incident.pk}/change/$"))
    keys.press(triage.get_by_role("button", name="Triage", exact=True))

    expect(page).to_have_url(re.compile(rf"/incident/{incident.pk}/change/$"))
    expect(page.locator("ul.messagelist")).to_contain_text(
        f"{incident.reference} verified and assigned to you; the practice was emailed your reply."
    )
    timeline = page.locator("#timeline")
    expect(timeline.locator(".timeline-entry").first).to_contain_text("is looking into")
    expect(timeline).to_contain_text("Internal — not shown to the practice")  # the assignment
    incident.refresh_from_db()
    assert (incident.status, incident.severity, incident.assignee) == (Status.UNDER_REVIEW, 2, agent)
    check_both_schemes(page, "admin incident change page, triaged")
    page.goto(page.url.replace("/change/", "/act/note/"))
    expect(page.get_by_label("Canned reply")).to_be_visible()
    check_both_schemes(page, "admin note form with canned replies")
    browser_problems.assert_clean()


def test_enter_on_a_severity_sends_the_triage_not_the_canned_reply_insert(
    browser_page, browser_problems, agent, practice_user, product
):
    """With JavaScript, Insert is an ordinary button: Enter in the form sends the triage itself."""
    incident = IncidentFactory(reporter=practice_user, product=product, summary="Docman will not open")
    CannedReply.objects.create(title="Looking into it", text="{agent} is looking into {reference} now.")
    page = browser_page
    sign_in(page, agent.email, PASSWORD, lands_on=r"/admin/$")
    page.goto(f"/admin/incidents/incident/{incident.pk}/change/")
    triage = page.get_by_role("region", name=re.compile(r"^Triage "))
    major = triage.get_by_role("radio", name=re.compile(r"^2 – Major fault"))
    major.focus()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")

    said = page.locator("ul.messagelist")
    expect(said).to_contain_text(f"{incident.reference} verified and assigned to you")
    incident.refresh_from_db()
    assert (incident.status, incident.severity) == (Status.UNDER_REVIEW, 2)
    browser_problems.assert_clean()
