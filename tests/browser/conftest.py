import os
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


@pytest.fixture
def browser_page(live_server, monkeypatch):
    """A page in headless Chromium (Debian's, not one Playwright downloads), 10 s timeouts."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread, and Django refuses ORM calls
    # from a thread with a running loop. The test's ORM calls are ordinary blocking code, so allow them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()
            # While the loop runs, Django keeps this thread's connections apart from its usual ones,
            # and pytest-django would never close them: on PostgreSQL an open one stops the test
            # database from being dropped at the end of the run.
            connections.close_all()
