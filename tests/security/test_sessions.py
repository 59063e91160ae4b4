"""Session handling.

The flaws guarded against: session fixation (a session id planted in the victim's browser before they
sign in still being theirs afterwards); a session that outlives signing out, the deactivation of the
account or a change of password (so a stolen cookie keeps working); a session that never expires while
its owner has walked away from the surgery PC; and session or CSRF cookies that scripts can read or
that travel over plain HTTP or on cross-site requests in production.

Signing in is done through the real login pages, so the sessions are the ones a browser would hold.
"""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.forms import MultiWidget
from django.test import Client
from django.utils import timezone

from tests.accounts.helpers import link_path, sign_in, signed_in_email
from tests.factories import PASSWORD

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NEW_PASSWORD = "Kestrel7!Moor"
SESSION_COOKIE = settings.SESSION_COOKIE_NAME


def admin_sign_in(client, email, password):
    return client.post("/admin/login/", {"username": email, "password": password, "next": "/admin/"})


def signed_in(client, path="/incidents/"):
    """Whether the client's next request to `path` is answered as a signed-in user."""
    response = client.get(path)
    if response.status_code == 302 and "/login/" in response["Location"]:
        return False
    assert response.status_code == 200, f"{path}: {response.status_code}"
    return True


def browser_signed_in_as(user, login=sign_in):
    client = Client()
    response = login(client, user.email, PASSWORD)
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def replay(session_key):
    """A fresh browser carrying nothing but this session cookie, as an attacker with a stolen cookie."""
    client = Client()
    client.cookies[SESSION_COOKIE] = session_key
    return client


# --- Fixation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("login", "who", "home"),
    [(sign_in, "practice_user", "/incidents/"), (admin_sign_in, "agent", "/admin/")],
    ids=["portal login", "admin login"],
)
def test_a_session_planted_before_sign_in_does_not_survive_it(request, db, login, who, home):
    user = request.getfixturevalue(who)
    planted = SessionStore()
    planted["planted_by"] = "attacker"
    planted.create()
    victim = Client()
    victim.cookies[SESSION_COOKIE] = planted.session_key

    response = login(victim, user.email, PASSWORD)

    assert response.status_code == 302
    issued = response.cookies[SESSION_COOKIE].value
    assert issued and issued != planted.session_key
    assert not SessionStore().exists(planted.session_key)
    assert not signed_in(replay(planted.session_key), home)
    assert signed_in(victim, home)


def test_an_invented_session_id_is_replaced_on_sign_in(practice_user):
    victim = Client()
    victim.cookies[SESSION_COOKIE] = "attackerchosen0000000000000000000"

    response = sign_in(victim, practice_user.email, PASSWORD)

    assert response.cookies[SESSION_COOKIE].value != "attackerchosen0000000000000000000"
    assert not signed_in(replay("attackerchosen0000000000000000000"))


# --- Signing out, deactivation, password changes ------------------------------------------------------


def test_signing_out_ends_the_session_on_the_server(practice_user):
    browser = browser_signed_in_as(practice_user)
    stolen = browser.cookies[SESSION_COOKIE].value
    assert signed_in(replay(stolen))

    response = browser.post("/accounts/logout/")

    assert response.status_code == 302
    assert not SessionStore().exists(stolen)
    assert not signed_in(replay(stolen))
    assert not signed_in(browser)


def _admin_form_data(form):
    """What the admin change form posts back unchanged, built from the form Django rendered."""
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if isinstance(field.widget, MultiWidget):
            for index, (widget, part) in enumerate(
                zip(field.widget.widgets, field.widget.decompress(value), strict=True)
            ):
                data[f"{name}_{index}"] = widget.format_value(part) or ""
        elif value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = value
    return data


def test_deactivating_a_user_in_admin_ends_their_sessions(admin_client, practice_user):
    browser = browser_signed_in_as(practice_user)
    assert signed_in(browser)
    url = f"/admin/accounts/user/{practice_user.pk}/change/"
    data = _admin_form_data(admin_client.get(url).context["adminform"].form)
    del data["is_active"]

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    practice_user.refresh_from_db()
    assert not practice_user.is_active
    assert not signed_in(browser)


def test_deactivating_an_agent_ends_their_admin_session(admin_client, agent):
    browser = browser_signed_in_as(agent, login=admin_sign_in)
    assert signed_in(browser, "/admin/incidents/incident/")
    url = f"/admin/accounts/user/{agent.pk}/change/"
    data = _admin_form_data(admin_client.get(url).context["adminform"].form)
    del data["is_active"]

    assert admin_client.post(url, data).status_code == 302

    assert not signed_in(browser, "/admin/incidents/incident/")


def test_changing_the_password_signs_out_the_other_sessions_but_not_this_one(practice_user):
    here, elsewhere = browser_signed_in_as(practice_user), browser_signed_in_as(practice_user)

    response = here.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert signed_in(here)
    assert not signed_in(elsewhere)


def test_resetting_the_password_by_email_signs_out_every_session(
    practice_user, mailoutbox, django_capture_on_commit_callbacks
):
    """Someone who fears their password is known resets it: the other person's session ends."""
    intruder = browser_signed_in_as(practice_user)
    owner = Client()
    with django_capture_on_commit_callbacks(execute=True):
        owner.post("/accounts/password_reset/", {"email": practice_user.email})
    link = link_path(mailoutbox[-1].body, "/accounts/reset/")
    form_page = owner.get(link, follow=True)

    response = owner.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response.status_code == 302
    practice_user.refresh_from_db()
    assert practice_user.check_password(NEW_PASSWORD)
    assert not signed_in(intruder)


def test_an_administrator_setting_a_password_signs_out_the_users_sessions(admin_client, practice_user):
    browser = browser_signed_in_as(practice_user)

    response = admin_client.post(
        f"/admin/accounts/user/{practice_user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    assert not signed_in(browser)


# --- Idle and absolute timeout -----------------------------------------------------------------------

IDLE = timedelta(minutes=settings.SESSION_IDLE_MINUTES)
PEOPLE = [("practice_user", sign_in, "/incidents/"), ("agent", admin_sign_in, "/admin/incidents/incident/")]


def test_the_idle_timeout_is_thirty_minutes_unless_configured():
    assert settings.SESSION_IDLE_MINUTES == 30


@pytest.mark.parametrize(("who", "login", "page"), PEOPLE, ids=["portal", "admin"])
def test_a_session_left_idle_past_the_timeout_is_sent_to_sign_in(request, db, who, login, page):
    user = request.getfixturevalue(who)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        browser = browser_signed_in_as(user, login=login)
        assert signed_in(browser, page)
        stolen = browser.cookies[SESSION_COOKIE].value

    with time_machine.travel(start + IDLE + timedelta(minutes=1), tick=False):
        response = browser.get(page)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/" if login is sign_in else "/admin/login/")
        assert signed_in_email(browser) is None
        assert not signed_in(replay(stolen), page)


@pytest.mark.parametrize(("who", "login", "page"), PEOPLE, ids=["portal", "admin"])
def test_a_request_every_twenty_minutes_keeps_the_session_alive(request, db, who, login, page):
    user = request.getfixturevalue(who)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        browser = browser_signed_in_as(user, login=login)
    step = IDLE * 2 / 3

    for n in range(1, 7):  # two hours with a 30-minute timeout: four times the timeout
        with time_machine.travel(start + n * step, tick=False):
            assert signed_in(browser, page), f"signed out after {n} requests, {n * step} in"


def test_even_a_busy_session_ends_a_working_day_after_sign_in(practice_user):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        browser = browser_signed_in_as(practice_user)
    lifetime = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    step = IDLE / 2
    moment = start + step

    while moment <= start + lifetime:
        with time_machine.travel(moment, tick=False):
            assert signed_in(browser), f"signed out {moment - start} after signing in"
        moment += step
    with time_machine.travel(moment, tick=False):
        assert not signed_in(browser)


# --- Cookie attributes ------------------------------------------------------------------------------

COOKIE_SETTINGS = [
    "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY", "CSRF_COOKIE_SAMESITE",
]  # fmt: skip


@pytest.fixture(scope="module")
def production_cookie_settings():
    """The cookie settings as production computes them: a fresh interpreter with DEBUG off and only the
    variables production must set (not the test run's plain-HTTP overrides)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "servicedesk.settings",
        "SECRET_KEY": "a-long-production-secret-for-the-cookie-test",
        "ALLOWED_HOSTS": "servicedesk.example.org",
        "SITE_URL": "https://servicedesk.example.org",
        "FIELD_ENCRYPTION_KEYS": "c2V0dGluZ3MtdGVzdC1maWVsZC1lbmNyeXB0aW9uLWs=",
    }
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {COOKIE_SETTINGS!r}}}))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.subprocess
def test_production_cookies_are_secure_http_only_and_same_site(production_cookie_settings):
    values = production_cookie_settings

    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SAMESITE"] in ("Lax", "Strict")


def _set_cookies(response):
    """Each Set-Cookie header as the browser receives it (without the name), by cookie name."""
    return {name: morsel.OutputString() for name, morsel in response.cookies.items()}


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("login", "who"), [(sign_in, "practice_user"), (admin_sign_in, "agent")], ids=["portal", "admin"]
)
def test_sign_in_sets_cookies_with_the_production_attributes(
    request, db, settings, production_cookie_settings, login, who
):
    for name, value in production_cookie_settings.items():
        setattr(settings, name, value)
    user = request.getfixturevalue(who)
    client = Client()
    client.get("/accounts/login/" if login is sign_in else "/admin/login/")

    response = login(client, user.email, PASSWORD)

    assert response.status_code == 302
    headers = _set_cookies(response)
    session = headers[SESSION_COOKIE]
    assert "HttpOnly" in session
    assert "Secure" in session
    assert f"SameSite={production_cookie_settings['SESSION_COOKIE_SAMESITE']}" in session
    csrf = headers[settings.CSRF_COOKIE_NAME]  # rotated on sign-in
    assert "Secure" in csrf
    assert f"SameSite={production_cookie_settings['CSRF_COOKIE_SAMESITE']}" in csrf
    assert ("HttpOnly" in csrf) is production_cookie_settings["CSRF_COOKIE_HTTPONLY"]


# --- A form sent after the session ended ----------------------------------------------------------


def _after_the_idle_timeout(user, send):
    """Sign in, leave the session idle past the timeout, then `send(browser)`: its response."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        browser = browser_signed_in_as(user)
    with time_machine.travel(start + IDLE + timedelta(minutes=1), tick=False):
        return browser, send(browser)


def test_a_note_sent_after_the_timeout_leads_back_to_its_incident_after_signing_in(practice_user, incident):
    page = incident.get_absolute_url()
    browser, response = _after_the_idle_timeout(
        practice_user,
        lambda browser: browser.post(
            f"{page}notes/", {"text": "The printer works again."}, HTTP_REFERER=f"http://testserver{page}"
        ),
    )

    # Not to the note's address, which only takes POST: back to the incident, where the draft waits.
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={page}"
    assert not incident.events.filter(text__contains="works again").exists(), "nothing sent signed out"
    signed = sign_in(browser, practice_user.email, PASSWORD, QUERY_STRING=f"next={page}")
    assert signed.status_code == 302 and signed["Location"] == page


def test_a_form_sent_from_another_site_after_the_timeout_is_not_sent_back_there(practice_user, incident):
    notes = f"{incident.get_absolute_url()}notes/"
    _, response = _after_the_idle_timeout(
        practice_user,
        lambda browser: browser.post(notes, {"text": "x"}, HTTP_REFERER="https://evil.example/incidents/"),
    )

    assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={notes}"


def test_a_page_opened_after_the_timeout_is_where_signing_in_leads(practice_user, incident):
    page = incident.get_absolute_url()
    _, response = _after_the_idle_timeout(practice_user, lambda browser: browser.get(page))

    assert response["Location"] == f"/accounts/login/?next={page}"
