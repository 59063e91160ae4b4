"""Journeys of each kind of user in headless Chromium (issue 6, item 4), each with the mouse and by
keyboard alone, with axe-core on every page visited.

- A practice user asks for an account, an agent approves it in admin, the user sets a password from
  the email, logs an incident with a screenshot, a colleague sees it, the agent resolves it in admin
  and the user confirms it.
- A team leader signs in (password, then the second factor) to the escalation queue, reads the time left
  and why the practice escalated, and acknowledges it; on a desktop and a phone, light and dark.
- A survey link is answered; the link then says it has been answered; a team leader reads the results.
- A practice user resets a forgotten password, reads the contact page and meets the 404 page.

Portal pages must have no serious or critical axe violation; admin pages (Django's own) are checked and
only reported. The browser must report no Content-Security-Policy violation, script error or failed
resource on any page (`browser_problems`).
"""

import importlib
import re
import struct
import time
import zlib
from datetime import date, datetime, timedelta
from datetime import time as clock_time

import django.apps
import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.models import AccountRequest
from escalation.models import EscalationLevel
from escalation.services import incident_escalate
from incidents.models import Incident, Status, TimelineEvent
from servicedesk.lib.support_hours import LONDON, STANDARD, open_spans
from surveys.models import Invitation, Response, SurveyRound
from surveys.services import send_invitation
from tests.browser.axe import Audit, check_accessibility
from tests.browser.conftest import needs_chromium, sign_in
from tests.browser.hands import focused, hands_for, is_focused
from tests.factories import PASSWORD, IncidentFactory

pytestmark = [
    needs_chromium,
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.django_db(transaction=True),
]

NEW_PASSWORD = "Lantern-Quay-47%"
SKIP_LINK = "Skip to main content"

SUMMARY_FOCUS = "error-summary-focus"


def modes():
    """The journey with the mouse, and by keyboard alone."""
    return pytest.mark.parametrize("mode", ["mouse", "keyboard"])


def tiny_png():
    """A valid 2×2 PNG, built here so that no binary file sits in the repository."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)  # 2×2, 8 bits, RGB
    pixels = b"".join(b"\x00" + b"\xd0\x20\x20" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


SCREENSHOT = {"name": "frozen-screen.png", "mimeType": "image/png", "buffer": tiny_png()}


def emailed_path(to, path_prefix):
    """The path of the portal link in the latest email to `to` (the live server sends from its own
    thread, into the same django.core.mail.outbox); links are built on SITE_URL, so only the path."""
    pattern = re.compile(re.escape(settings.SITE_URL) + rf"({re.escape(path_prefix)}\S+)")
    for _ in range(50):
        for message in reversed(mail.outbox):
            if to in message.to and (found := pattern.search(message.body)):
                return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no email to {to} with a link to {path_prefix}: {[m.subject for m in mail.outbox]}")


class Journey:
    """One person's browser page, how they use it (mouse or keyboard), and the journey's axe audit."""

    def __init__(self, page, mode, audit):
        self.page = page
        self.hands = hands_for(mode, page)
        self.audit = audit
        self.keyboard = self.hands.keyboard

    def arrive(self, label, *, admin=False, skip_link=True):
        """A page has just loaded: check it with axe and, by keyboard, take the skip link, which must be
        the first Tab stop, to the main content (where the next Tab starts)."""
        self.page.wait_for_load_state()
        self.audit.check(self.page, label, admin=admin)
        if not (self.keyboard and skip_link and not admin):
            return
        if self.page.url.endswith("#main"):
            # Reached from a page where the skip link was used: a form posted to that address (and a
            # redirect keeps the fragment), so the browser starts focus at the main content itself.
            expect(self.page.locator("main")).to_be_focused()
        else:
            self.page.keyboard.press("Tab")
            link = self.page.get_by_role("link", name=SKIP_LINK)
            expect(link).to_be_focused()
            expect(link).to_be_visible()  # shown when focused, hidden otherwise
            self.page.keyboard.press("Enter")
            expect(self.page.locator("main")).to_be_focused()

    def refused(self, label):
        """A form came back with errors: the summary of problems must have focus (static/js/portal.js),
        so that keyboard and screen-reader users start there; then check the page."""
        page = self.page
        summary = page.locator("#error-summary")
        expect(summary).to_be_visible()
        if not is_focused(summary):
            self.audit.problem(
                SUMMARY_FOCUS, page, label, f"the error summary does not have focus; {focused(page)} has"
            )
        self.arrive(label, skip_link=False)

    def goto(self, path, label, **kwargs):
        """Open an address (typed, or a link from an email)."""
        self.page.goto(path)
        self.arrive(label, **kwargs)

    def sign_in(self, email, password, *, lands_on):
        page = self.page
        response = page.goto("/accounts/login/")
        # axe runs under the portal's own policy: it is loaded as a script from the portal itself.
        assert "script-src 'self'" in response.headers.get("content-security-policy", "")
        self.arrive("sign in", skip_link=False)
        field = page.get_by_label("Email address")
        expect(field).to_be_focused()  # autofocus: the keyboard starts there, skip link not needed
        self.hands.fill(field, email)
        self.hands.fill(page.get_by_label("Password"), password)
        self.press(page.get_by_role("button", name="Sign in"))
        expect(page).to_have_url(re.compile(lands_on))

    def fill(self, label, text):
        self.hands.fill(self.page.get_by_label(label, exact=True), text)

    def press(self, locator, *, backwards=False):
        """Follow a link or press a button, and wait for the next page (by keyboard: Shift+Tab to it if
        `backwards`). A key press returns before the navigation it starts."""
        with self.page.expect_navigation():
            self.hands.press(locator, backwards=backwards)

    def menu(self, name, item, *, backwards=False):
        """Follow a link of one of the header's drop-down menus (Help, the account menu)."""
        with self.page.expect_navigation():
            self.hands.menu(name, item, backwards=backwards)

    def button(self, name):
        self.press(self.page.get_by_role("button", name=name, exact=True))

    def link(self, name):
        """A link in the main content."""
        self.press(self.page.locator("main").get_by_role("link", name=name, exact=True))


@pytest.fixture
def audit():
    return Audit()


@pytest.fixture
def journey(new_page, audit):
    """journey(mode) opens a page for one more person."""
    return lambda mode: Journey(new_page(), mode, audit)


def finish(audit, browser_problems):
    browser_problems.assert_clean()
    audit.assert_clean()


# --- a. A practice user, from asking for an account to confirming a resolution -----------------------


def _request_an_account(user, practice):
    page = user.page
    page.goto("/accounts/login/")
    user.arrive("sign in", skip_link=False)
    user.link("Request one")
    user.arrive("register")
    user.button("Send request")  # empty: every field refused
    user.refused("register, with errors")
    user.fill("Practice ID*", practice.practice_id)
    user.fill("Your name*", "Jamie Fletcher")
    user.fill("Email address*", "jamie@riverside.example")
    user.fill("Telephone number*", "01632 960123")
    user.fill("Job role*", "Practice manager")
    user.button("Send request")
    expect(page.get_by_role("heading", level=1)).to_have_text("Request received")
    user.arrive("register done")


def _approve_in_admin(agent_journey, agent):
    page = agent_journey.page
    agent_journey.sign_in(agent.email, PASSWORD, lands_on=r"/admin/$")
    agent_journey.arrive("admin index", admin=True)
    agent_journey.press(page.locator("tr.model-accountrequest").get_by_role("link", name="Account requests"))
    agent_journey.arrive("admin: account requests", admin=True)
    agent_journey.hands.select(page.locator("select[name=action]"), "Approve and email a set-password link")
    agent_journey.hands.check(page.locator("#result_list tbody input.action-select"))
    agent_journey.press(page.get_by_role("button", name="Go"), backwards=True)
    expect(page.locator("ul.messagelist")).to_contain_text("approved")
    agent_journey.arrive("admin: account requests, approved", admin=True)


def _set_password_from_email(user):
    page = user.page
    user.goto(emailed_path("jamie@riverside.example", "/accounts/set-password/"), "set password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set your password")
    user.fill("New password*", NEW_PASSWORD)
    user.fill("New password confirmation*", NEW_PASSWORD)
    user.button("Set password")
    expect(page.get_by_role("status")).to_contain_text("Your password is set")


def _log_an_incident(user):
    page = user.page
    expect(page.get_by_role("heading", level=1)).to_contain_text("Incidents for Riverside Medical Centre")
    user.arrive("incident list, empty")
    user.link("Log an incident")
    user.arrive("new incident")
    user.button("Log incident")  # nothing filled in: refused, with a summary of the problems
    user.refused("new incident, with errors")
    hands = user.hands
    user.fill("Summary*", "Appointments screen freezes")
    hands.check(page.get_by_label("3 – Minor fault"))
    user.fill("Description*", "The appointments screen stops responding after a minute.")
    hands.select(page.get_by_label("Product*"), "Synergy Clinical (current version 5.4.2)")
    hands.upload(page.get_by_label("Screenshots or logs"), [SCREENSHOT])
    user.button("Log incident")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Appointments screen freezes")
    reference = re.search(r"[A-Z]+\d{6}", heading.inner_text()).group()
    expect(page.get_by_role("status")).to_contain_text(f"Its reference is {reference}")
    expect(page.get_by_role("link", name="Download frozen-screen.png")).to_be_visible()
    expect(page.get_by_role("img", name="Screenshot frozen-screen.png")).to_be_visible()
    user.arrive("incident detail, logged")
    return reference


def _colleague_sees_it(colleague_journey, colleague, reference):
    page = colleague_journey.page
    colleague_journey.sign_in(colleague.email, PASSWORD, lands_on=r"/incidents/$")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=reference))
    expect(row).to_contain_text("Appointments screen freezes")
    expect(row).to_contain_text("Jamie Fletcher")
    colleague_journey.arrive("incident list")
    colleague_journey.link(reference)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Appointments screen freezes")


def _resolve_in_admin(agent_journey, reference):
    page = agent_journey.page
    agent_journey.goto("/admin/", "admin index", admin=True)
    agent_journey.press(page.locator("tr.model-incident").get_by_role("link", name="Incidents"))
    agent_journey.arrive("admin: incidents", admin=True)
    agent_journey.press(page.get_by_role("link", name=reference, exact=True))
    agent_journey.arrive("admin: incident", admin=True)
    steps = [
        ("Verify", None, "verified."),
        ("Start investigating", None, "is being investigated."),
        ("Resolve", "Solution supplied:", "resolved; the practice has been asked to confirm."),
    ]
    for action, label, done in steps:
        agent_journey.press(page.locator(".object-tools").get_by_role("link", name=action, exact=True))
        agent_journey.arrive(f"admin: {action.lower()}", admin=True)
        if label:
            agent_journey.fill(label, "Cleared the appointments cache on RECEPTION-PC-01.")
        agent_journey.press(page.get_by_role("button", name=action, exact=True))
        expect(page.locator("ul.messagelist")).to_contain_text(f"{reference} {done}")
    agent_journey.arrive("admin: incident, resolved", admin=True)


def _confirm(user, reference):
    page = user.page
    user.goto("/incidents/", "incident list")
    user.link(reference)
    expect(page.locator(".status-tag")).to_contain_text("Status: Resolved")
    resolution = page.get_by_role("region", name="Resolved: does the solution work?")
    expect(resolution).to_contain_text("Cleared the appointments cache")
    user.arrive("incident detail, resolved")
    user.button("Confirm: it is resolved")
    expect(page.locator(".status-tag")).to_contain_text("Status: Closed")
    expect(page.get_by_role("status")).to_contain_text(f"Thank you. {reference} is closed.")
    user.arrive("incident detail, closed")


@modes()
def test_a_practice_user_from_account_request_to_confirmed_resolution(
    mode, journey, audit, browser_problems, practice, colleague, agent, product
):
    user = journey(mode)
    _request_an_account(user, practice)
    request = AccountRequest.objects.get(email="jamie@riverside.example")
    assert request.status == AccountRequest.Status.PENDING

    agent_journey = journey(mode)
    _approve_in_admin(agent_journey, agent)
    request.refresh_from_db()
    assert request.status == AccountRequest.Status.APPROVED and request.decided_by == agent

    _set_password_from_email(user)
    user.sign_in("jamie@riverside.example", NEW_PASSWORD, lands_on=r"/incidents/$")
    reference = _log_an_incident(user)
    incident = Incident.objects.get(reference=reference)
    assert incident.reporter == request.user and incident.practice == practice
    assert (incident.severity, incident.product) == (3, product)
    assert [a.original_name for a in incident.attachments.all()] == ["frozen-screen.png"]

    _colleague_sees_it(journey(mode), colleague, reference)
    _resolve_in_admin(agent_journey, reference)
    assert Incident.objects.get(pk=incident.pk).status == Status.RESOLVED

    _confirm(user, reference)
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED
    assert incident.events.get(kind=TimelineEvent.Kind.CONFIRMED).actor == request.user
    finish(audit, browser_problems)


# --- b. A team leader works the escalation queue -------------------------------------------------------


@pytest.fixture
def ladder(transactional_db):
    """The seeded ladder (a transactional test before this one may have emptied the table)."""
    importlib.import_module("escalation.migrations.0004_standard_ladder").create(django.apps.apps, None)


def _a_working_wednesday():
    """A Wednesday ahead, open 09:00 to 17:30 (no holiday). Ahead of the real clock, since the browser
    keeps cookies by it: a stopped clock in the past could have them expire at once."""
    day = date.today() + timedelta(days=7)
    while day.weekday() != 2 or not open_spans(day, STANDARD):
        day += timedelta(days=1)
    return day


# The incident is logged and escalated at 09:05, due a day of support time later (severity 2), at 09:05 the
# next morning; the team leader signs in at 14:25, with 3 h 10 min of support time left (3 h 5 min that
# day, 5 min the next). The clock stands still meanwhile.
WEDNESDAY = _a_working_wednesday()
ESCALATED_AT = datetime.combine(WEDNESDAY, clock_time(9, 5), tzinfo=LONDON)
SIGNS_IN_AT = datetime.combine(WEDNESDAY, clock_time(14, 25), tzinfo=LONDON)
ON_THE_DAY = f"{WEDNESDAY:%a} {WEDNESDAY.day} {WEDNESDAY:%b %Y}"  # as the page writes it: "Wed 25 Nov 2026"
WIDTHS = {"desktop": 1366, "phone": 390}
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def escalated(ladder, team_leader, practice_user, product):
    EscalationLevel.objects.get(position=1).contacts.add(team_leader)
    with time_machine.travel(ESCALATED_AT, tick=False):
        incident = IncidentFactory(
            reporter=practice_user, product=product, severity=2, summary="Prescriptions will not print"
        )
        return incident_escalate(
            incident, actor=practice_user, reason="The practice is chasing: no prescriptions today."
        )


def _in_both_schemes(journey, label, *, admin=False):
    """axe in the dark colour scheme too (arrive() checked the light one), then back to light."""
    journey.page.emulate_media(color_scheme="dark")
    journey.audit.check(journey.page, f"{label} (dark)", admin=admin)
    journey.page.emulate_media(color_scheme="light")


def _second_factor(leader, device):
    page = leader.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    leader.arrive("second factor", skip_link=False)
    leader.fill("Code*", f"{TOTP(device.bin_key).token():06d}")
    leader.button("Continue")


@pytest.mark.parametrize(
    ("mode", "device"), [pytest.param(m, d, id=f"{m}-{d}") for m in ("mouse", "keyboard") for d in WIDTHS]
)
def test_a_team_leader_signs_in_to_the_queue_and_acknowledges_an_escalation(
    mode, device, journey, audit, browser_problems, team_leader, escalated, settings
):
    settings.ADMIN_REQUIRE_2FA = True  # as in production: staff confirm a code after the password
    totp = TOTPDevice.objects.create(user=team_leader, name="Authenticator app", confirmed=True)
    with time_machine.travel(SIGNS_IN_AT, tick=False):
        leader = journey(mode)
        page = leader.page
        page.set_viewport_size({"width": WIDTHS[device], "height": 900})
        leader.sign_in(team_leader.email, PASSWORD, lands_on=r"/accounts/two-factor/")
        _second_factor(leader, totp)
        expect(page).to_have_url(re.compile(r"/escalations/$"))  # their queue, not admin
        leader.arrive("escalations")
        _in_both_schemes(leader, "escalations")
        assert page.evaluate(SIDEWAYS) <= 0, "the queue scrolls sideways"

        card = page.get_by_role("article", name=re.compile(escalated.reference))
        expect(card).to_contain_text("Prescriptions will not print")
        expect(card).to_contain_text("Customer Service Team Leader")
        expect(card).to_contain_text("3 h 10 min of support time")
        expect(card).to_contain_text(f"By Alex Morgan of Riverside Medical Centre, {ON_THE_DAY}, 09:05")
        expect(card).to_contain_text("“The practice is chasing: no prescriptions today.”")
        expect(card).to_contain_text("Not yet")
        leader.press(card.get_by_role("button", name="Acknowledge"))
        expect(page.get_by_role("status")).to_contain_text(f"You have taken {escalated.reference} on.")
        expect(card).to_contain_text(f"By you, {ON_THE_DAY}, 14:25")
        expect(card.get_by_role("button", name="Acknowledge")).to_have_count(0)
        leader.arrive("escalations, acknowledged")
        _in_both_schemes(leader, "escalations, acknowledged")

        # Admin is a link away, and admin links back to the queue.
        leader.press(card.get_by_role("link", name=escalated.reference, exact=True))
        leader.arrive("admin: incident", admin=True)
        leader.press(page.locator("#user-tools").get_by_role("link", name="Escalations"))
        expect(page).to_have_url(re.compile(r"/escalations/$"))

        # The reports are a link away in admin's tools, for team leaders (servicedesk.view_reports).
        leader.goto("/admin/", "admin index", admin=True)
        leader.press(page.locator("#user-tools").get_by_role("link", name="Reports"))
        expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
        logged = page.get_by_role("table", name="Incidents logged and closed, by month")
        expect(
            logged.get_by_role("row", name=f"{WEDNESDAY:%B %Y}")
        ).to_be_visible()  # the escalated one's month
        leader.arrive("reports")
        _in_both_schemes(leader, "reports")

    escalated.refresh_from_db()
    assert escalated.escalation_acknowledged_at is not None
    assert escalated.events.get(kind=TimelineEvent.Kind.ACKNOWLEDGED).actor == team_leader
    finish(audit, browser_problems)


def test_the_queue_does_not_scroll_sideways_at_320_px(new_page, browser_problems, team_leader, escalated):
    page = new_page()
    page.set_viewport_size({"width": 320, "height": 700})
    with time_machine.travel(SIGNS_IN_AT, tick=False):
        sign_in(page, team_leader.email, PASSWORD, lands_on=r"/escalations/$")
        expect(page.get_by_role("article")).to_contain_text("3 h 10 min of support time")
        assert page.evaluate(SIDEWAYS) <= 0, "the queue scrolls sideways at 320 px"
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            check_accessibility(page, f"escalations at 320 px ({scheme})")
    browser_problems.assert_clean()


# --- c. A survey link is answered ----------------------------------------------------------------------

OVERALL = "Overall, how satisfied are you with the Service Desk's handling of this incident?"
RESOLVED = "Was the incident resolved to your satisfaction?"
EASE = "How easy was it to log the incident?"
COMMENTS = "Any comments?"


@pytest.fixture
def invitation(transactional_db, practice_user, product):
    """The default questions, and an invitation about an incident closed last month, emailed now."""
    importlib.import_module("surveys.migrations.0003_default_questions").create(django.apps.apps, None)
    survey_round = SurveyRound.objects.create(
        month=date(2026, 10, 1), round_date=date(2026, 11, 1), seed=1, population=1, eligible_count=1
    )
    incident = IncidentFactory(reporter=practice_user, product=product, summary="Scanner drops pages")
    Incident.objects.filter(pk=incident.pk).update(  # setup, not a transition
        status=Status.CLOSED, closed_at=datetime(2026, 10, 14, 11, 0, tzinfo=LONDON)
    )
    invitation = Invitation.objects.create(round=survey_round, customer=practice_user, incident=incident)
    assert send_invitation(invitation.pk)
    return invitation


@modes()
def test_a_survey_link_is_answered_once(
    mode, journey, audit, browser_problems, practice_user, invitation, team_leader
):
    customer = journey(mode)
    page = customer.page
    link = emailed_path(practice_user.email, "/surveys/")
    assert link == f"/surveys/{invitation.token}/"
    customer.goto(link, "survey")
    expect(page.get_by_role("heading", level=1)).to_have_text("How did we do?")
    customer.button("Send my answers")  # nothing chosen: refused
    customer.refused("survey, with errors")
    for question, answer in [(OVERALL, "4 – good"), (RESOLVED, "Yes"), (EASE, "5 – excellent")]:
        customer.hands.check(page.get_by_role("group", name=question).get_by_label(answer, exact=True))
    customer.fill(COMMENTS, "Quick and friendly, thank you.")
    customer.button("Send my answers")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    customer.arrive("survey thank-you")

    customer.goto(link, "survey, already answered")
    expect(page.get_by_role("heading", level=1)).to_have_text("This survey has already been answered")
    answers = {a.question_text: (a.score, a.yes, a.text) for a in Response.objects.get().answers.all()}
    assert answers == {
        OVERALL: (4, None, ""),
        RESOLVED: (None, True, ""),
        EASE: (5, None, ""),
        COMMENTS: (None, None, "Quick and friendly, thank you."),
    }

    leader = journey(mode)
    leader.sign_in(team_leader.email, PASSWORD, lands_on=r"/admin/$")
    leader.goto("/surveys/results/", "survey results")
    expect(leader.page.locator("main")).to_contain_text("Quick and friendly, thank you.")
    finish(audit, browser_problems)


# --- d. Password reset, contact page, change-password page, 404 -------------------------------------------


@modes()
def test_a_practice_user_resets_a_forgotten_password(mode, journey, audit, browser_problems, practice_user):
    user = journey(mode)
    page = user.page
    page.goto("/accounts/login/")
    user.arrive("sign in", skip_link=False)
    user.link("Forgotten your password?")
    user.arrive("password reset")
    user.fill("Email*", practice_user.email)
    user.button("Email me a link")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    user.arrive("password reset, sent")

    user.goto(emailed_path(practice_user.email, "/accounts/reset/"), "password reset, new password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    user.fill("New password*", NEW_PASSWORD)
    user.fill("New password confirmation*", "not-the-same-1A!")
    user.button("Set password")  # the two differ: refused
    user.refused("password reset, new password, with errors")
    user.fill("New password*", NEW_PASSWORD)
    user.fill("New password confirmation*", NEW_PASSWORD)
    user.button("Set password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Password set")
    user.arrive("password reset, done")
    user.link("Sign in")

    user.sign_in(practice_user.email, NEW_PASSWORD, lands_on=r"/incidents/$")
    user.arrive("incident list, empty")
    # The header's links come before the skip link's target: Shift+Tab back to them from the main content.
    user.menu("Help", "Contact us", backwards=True)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Contact the")
    user.arrive("contact")
    user.menu(f"Your account: {practice_user.full_name}", "Change password", backwards=True)
    expect(page.get_by_role("heading", level=1)).to_contain_text("password")
    user.arrive("change password", skip_link=False)
    expect(page.get_by_label("Old password")).to_be_focused()  # autofocus: the keyboard starts there

    user.goto("/incidents/PC999999/", "404")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    finish(audit, browser_problems)
