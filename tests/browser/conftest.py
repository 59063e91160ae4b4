import os
import re
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Carry what axe found on Django's admin pages so far (tests/browser/axe.py) with the report to the
    process that lists it at the end (tests/conftest.py): under xdist, that is the controller."""
    from tests.browser.axe import ADMIN_FINDINGS

    if call.when == "teardown" and ADMIN_FINDINGS:
        findings = [
            [*key, {label: sorted(targets) for label, targets in pages.items()}]
            for key, pages in ADMIN_FINDINGS.items()
        ]
        item.user_properties.append(("axe_admin_findings", findings))
    return (yield)


def _no_static_handler(wsgi_app):
    return wsgi_app


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, but serving static files the way production does.

    pytest-django wraps the server in Django's StaticFilesHandler, which looks files up in the
    source folders and so answers 404 for the hashed names that the manifest storage puts in pages.
    Without that wrapper, WhiteNoise (in MIDDLEWARE) serves them from the collected STATIC_ROOT
    (tests/conftest.py `_collected_static`), exactly as in production.
    """
    from pytest_django.live_server_helper import LiveServer

    addr = (
        request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    )
    server = LiveServer(addr, start=False)
    server.thread.static_handler = _no_static_handler
    server.start()
    yield server
    server.stop()


# Reports each Content-Security-Policy violation with the element or script that caused it (the
# console line says only which directive). Instrumentation of the test, run by the browser outside the
# page's policy; it changes nothing the policy applies to.
_REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const element = event.target && event.target.outerHTML ? event.target.outerHTML.slice(0, 200) : "";
  console.warn("CSP violation: " + JSON.stringify({
    directive: event.effectiveDirective, blocked: event.blockedURI, sample: event.sample,
    source: event.sourceFile, line: event.lineNumber, element: element,
  }));
}, true);
"""


class BrowserProblems:
    """What the browser complained about on the watched pages: Content-Security-Policy violations,
    uncaught script errors, and page resources (scripts, styles, images) that failed to load.

    A page answering 400 or 404 on purpose (a refused form, the 404 page) is not a problem; Chromium's
    "Failed to load resource" console line for it is left to the response check, which only looks at
    resources that are not the page itself.
    """

    def __init__(self):
        self.csp = []  # from the securitypolicyviolation event: directive, sample, source, element
        self.csp_console = []  # Chromium's own console lines for the same violations
        self.by_axe = []  # violations caused by axe itself (see _console)
        self.errors = []

    def watch(self, page):
        page.add_init_script(_REPORT_CSP_VIOLATIONS)
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: uncaught {error}"))
        page.on("response", lambda response: self._response(page, response))
        return page

    def _console(self, page, message):
        text = message.text
        if text.startswith("CSP violation: "):
            # axe (the test's own script) copies @import-ed style sheets into a scratch document with a
            # <style> element to read them, which the portal's style-src refuses: not the page's doing.
            if "/static/vendor/axe-core/" in text:
                self.by_axe.append(f"{page.url}: {text}")
            else:
                self.csp.append(f"{page.url}: {text}")
        elif "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.csp_console.append(f"{page.url}: {text}")
        elif message.type == "error" and not text.startswith("Failed to load resource"):
            self.errors.append(f"{page.url}: console error: {text}")

    def _response(self, page, response):
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(
                f"{page.url}: {response.request.resource_type} {response.url} {response.status}"
            )

    def assert_clean(self):
        found = self.csp or (self.csp_console if len(self.csp_console) > len(self.by_axe) else [])
        assert not found, "Content-Security-Policy violations:\n" + "\n".join(found)
        assert not self.errors, "Browser errors:\n" + "\n".join(self.errors)


@pytest.fixture
def browser_problems():
    return BrowserProblems()


@pytest.fixture
def chromium(live_server, monkeypatch):
    """Headless Chromium (Debian's, not one Playwright downloads)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread, and Django refuses ORM calls
    # from a thread with a running loop. The test's ORM calls are ordinary blocking code, so allow them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            # While the loop runs, Django keeps this thread's connections apart from its usual ones,
            # and pytest-django would never close them: on PostgreSQL an open one stops the test
            # database from being dropped at the end of the run.
            connections.close_all()


@pytest.fixture
def new_page(chromium, live_server, browser_problems):
    """Opens a page in a browser context of its own (its own cookies: one person each), 10 s timeouts,
    watched by `browser_problems`."""
    contexts = []

    def open_page():
        # Reduced motion: Bootstrap then has no colour transitions, so that axe, run just after a change of
        # colour scheme, measures the colours the page settles on, not those 150 ms before.
        context = chromium.new_context(base_url=live_server.url, reduced_motion="reduce")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return browser_problems.watch(context.new_page())

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def browser_page(new_page):
    """A page in headless Chromium, 10 s timeouts."""
    return new_page()


# Every portal page (not Django's admin) that a visitor, and a signed-in practice user, opens; the practice
# user's incident pages are filled in from `incidents_in_every_state`. Visited by test_every_page and
# test_touch_targets.
VISITOR_PAGES = [
    "/",
    "/accounts/login/",
    "/accounts/register/",
    "/accounts/password_reset/",
    "/contact/",
    "/help/",
]
PRACTICE_PAGES = [
    "/incidents/",
    "/incidents/new/",
    "/incidents/{open}/",
    "/incidents/{asked}/",
    "/incidents/{resolved}/",
    "/incidents/{closed}/",
    "/incidents/{emailed}/details/",
    "/incidents/remote-access/",
    "/accounts/email-settings/",
    "/help/",
    "/help/your-service/",
    "/contact/",
    "/accounts/password_change/",
]


# What each of `incidents_in_every_state` is about: realistic, since the guide's pictures show them.
SUMMARIES = {
    "open": "Letters will not merge into the document template",
    "asked": "Scanned documents open blank in Docman",
    "resolved": "Label printer prints blank labels",
    "closed": "Appointment reminders were sent twice",
}


@pytest.fixture
def incidents_in_every_state(practice_user, product):
    """The practice user's incidents in every state the list groups them by: an open one with a note from
    the desk, one where the desk asked a question, one resolved, one closed (it can be reopened), and one
    reported by email whose checklist is still to be completed. Their references by name, for
    PRACTICE_PAGES."""
    from incidents.models import Channel
    from incidents.services import (
        incident_add_note,
        incident_await_customer,
        incident_confirm,
        incident_log,
        incident_resolve,
        incident_start_investigation,
        incident_verify,
    )
    from tests.factories import IncidentFactory, StaffFactory

    agent = StaffFactory(full_name="Casey Agent")
    made = {}
    for name, summary in SUMMARIES.items():
        incident = IncidentFactory.build(reporter=practice_user, product=product, summary=summary)
        incident_log(incident, actor=practice_user, notify=False)
        incident_verify(incident, actor=agent)
        incident_start_investigation(incident, actor=agent)
        made[name] = incident
    incident_add_note(
        made["open"], actor=agent, text="Thank you: we are checking the template paths on the server."
    )
    incident_await_customer(
        made["asked"], actor=agent, question="Which scanner model does the practice use, and on which PC?"
    )
    incident_resolve(
        made["resolved"], actor=agent, resolution="The printer driver was updated; please try again."
    )
    incident_resolve(made["closed"], actor=agent, resolution="The reminder job ran twice; it now runs once.")
    incident_confirm(made["closed"], actor=practice_user)
    made["emailed"] = IncidentFactory(
        reporter=practice_user,
        product=None,
        channel=Channel.EMAIL,
        summary="Cannot sign in to the clinical system",
        description="Since this morning every user is told their smartcard is not recognised.",
    )
    return {name: incident.reference for name, incident in made.items()}


def sign_in(page, email, password, *, to="", lands_on):
    """Sign in through the login form with the mouse, as a person would; then at `lands_on` (a regex)."""
    from playwright.sync_api import expect

    page.goto(f"/accounts/login/{to and '?next=' + to}")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(lands_on))
