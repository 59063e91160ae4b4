"""Throttling of guessing and flooding.

The flaws guarded against: guessing a password by trying many (a sign-in page, portal or admin, that
answers every attempt), dodging the lockout by clearing cookies, by rotating an X-Forwarded-For header
or by retyping the address in another form; and using the pages that send email to whoever is named
(account requests, password resets) to flood the desk's queue or bomb someone's inbox.

The lockout itself (five failures for one email from one address, 429 with a page that says what to do,
the right password refused until the cool-off ends, then accepted; an unknown email answered exactly
like a wrong password) is proved in tests/accounts/test_throttling.py and tests/accounts/test_login.py;
this file extends it to the admin sign-in page and to the ways around it.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.models import AccountRequest
from tests.accounts.helpers import page_text, sign_in, signed_in_email
from tests.factories import PASSWORD

WRONG = "Wrong-Password-1!"
LOCKED_OUT = "Too many failed sign-in attempts"
TOO_MANY = "Too many requests"
LIMIT = settings.AXES_FAILURE_LIMIT


def admin_sign_in(client, email, password, **extra):
    return client.post("/admin/login/", {"username": email, "password": password, "next": "/admin/"}, **extra)


def rate(setting):
    """(count, seconds) of a rate setting such as "10/h"."""
    count, unit = re.fullmatch(r"(\d+)/([smhd])", getattr(settings, setting)).groups()
    return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]


@pytest.fixture
def frozen():
    """All requests of a burst at one moment, so they fall in one counting window (a burst in real time
    may straddle the end of a window and be counted in two)."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


# --- Sign-in --------------------------------------------------------------------------------------------


def test_the_admin_sign_in_page_locks_out_after_the_same_number_of_failures(client, agent):
    for _ in range(LIMIT):
        admin_sign_in(client, agent.email, WRONG)

    response = admin_sign_in(client, agent.email, PASSWORD)

    assert response.status_code == 429
    assert LOCKED_OUT in response.content.decode()
    assert signed_in_email(client) is None
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_failures_on_the_portal_and_admin_pages_count_together(client, agent):
    """An attacker cannot get twice the guesses by splitting them between the two sign-in pages."""
    for attempt in range(LIMIT):
        (sign_in if attempt % 2 else admin_sign_in)(client, agent.email, WRONG)

    assert sign_in(client, agent.email, PASSWORD).status_code == 429
    assert admin_sign_in(client, agent.email, PASSWORD).status_code == 429
    assert signed_in_email(client) is None


def test_clearing_cookies_does_not_lift_the_lockout(practice_user):
    for _ in range(LIMIT):
        sign_in(Client(), practice_user.email, WRONG)  # a fresh browser, no cookies, for every guess

    fresh = Client()
    response = sign_in(fresh, practice_user.email, PASSWORD)

    assert response.status_code == 429
    assert signed_in_email(fresh) is None


def test_a_forged_forwarded_for_header_does_not_dodge_the_lockout(client, practice_user):
    """The client's address is the connection's: a header the client writes itself is not believed."""
    for n in range(LIMIT):
        sign_in(client, practice_user.email, WRONG, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    response = sign_in(client, practice_user.email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99")

    assert response.status_code == 429
    assert signed_in_email(client) is None


@pytest.mark.parametrize("typed", ["  alex@riverside.example  ", "ALEX@RIVERSIDE.EXAMPLE\t"])
def test_retyping_the_address_with_spaces_or_capitals_does_not_dodge_the_lockout(
    client, practice_user, typed
):
    for _ in range(LIMIT - 1):
        sign_in(client, practice_user.email, WRONG)
    sign_in(client, typed, WRONG)

    assert sign_in(client, practice_user.email, PASSWORD).status_code == 429


def test_an_unknown_email_is_answered_like_a_known_one_at_every_attempt(client, practice_user):
    """Attempt by attempt, up to and past the lockout, the pages for a known and an unknown address
    are the same, so the throttling reveals nothing about who has an account."""
    unknown = "nobody@riverside.example"
    for _ in range(LIMIT + 1):
        known_page = sign_in(client, practice_user.email, WRONG)
        unknown_page = sign_in(client, unknown, WRONG)
        assert known_page.status_code == unknown_page.status_code
        assert page_text(known_page, practice_user.email) == page_text(unknown_page, unknown)


# --- Account requests ---------------------------------------------------------------------------------


def request_account(client, practice, n, **extra):
    data = {
        "practice_id": practice.practice_id,
        "full_name": f"Person {n}",
        "email": f"person{n}@riverside.example",
        "phone": "01632 960777",
        "job_role": "Receptionist",
    }
    return client.post("/accounts/register/", data, **extra)


def test_a_flood_of_account_requests_from_one_address_is_stopped(client, practice, frozen):
    allowed, _ = rate("REGISTRATION_RATE_LIMIT")

    answers = [request_account(client, practice, n).status_code for n in range(20)]

    assert answers == [302] * allowed + [429] * (20 - allowed)
    assert AccountRequest.objects.count() == allowed
    refused = request_account(client, practice, 99)
    assert TOO_MANY in refused.content.decode()
    assert settings.SERVICE_DESK["phone"] in refused.content.decode()


def test_the_account_request_limit_cannot_be_dodged_with_new_browsers_or_forged_addresses(practice, frozen):
    allowed, _ = rate("REGISTRATION_RATE_LIMIT")

    answers = [
        request_account(Client(), practice, n, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(20)
    ]

    assert answers.count(302) == allowed
    assert AccountRequest.objects.count() == allowed


def test_account_requests_are_accepted_again_once_the_period_has_passed(client, practice):
    allowed, period = rate("REGISTRATION_RATE_LIMIT")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(allowed + 1):
            request_account(client, practice, n)

    with time_machine.travel(start + timedelta(seconds=period + 1), tick=False):
        response = request_account(client, practice, 100)

    assert response.status_code == 302
    assert AccountRequest.objects.filter(email="person100@riverside.example").exists()


def test_the_account_request_limit_is_per_address(client, practice, frozen):
    allowed, _ = rate("REGISTRATION_RATE_LIMIT")
    for n in range(allowed + 1):
        request_account(client, practice, n)

    elsewhere = request_account(Client(REMOTE_ADDR="198.51.100.7"), practice, 100)

    assert elsewhere.status_code == 302


# --- Password resets ----------------------------------------------------------------------------------


def reset(client, email, **extra):
    return client.post("/accounts/password_reset/", {"email": email}, **extra)


def test_twenty_resets_for_one_address_in_a_minute_send_only_a_few_emails(
    practice_user, mailoutbox, django_capture_on_commit_callbacks, frozen
):
    """Mail bombing: even from many addresses, one inbox gets only the per-email allowance."""
    allowed, _ = rate("PASSWORD_RESET_EMAIL_RATE_LIMIT")

    with django_capture_on_commit_callbacks(execute=True):
        answers = [reset(Client(REMOTE_ADDR=f"203.0.113.{n}"), practice_user.email) for n in range(20)]

    assert [a.status_code for a in answers] == [302] * 20  # the same page, whether sent or not
    assert {a["Location"] for a in answers} == {"/accounts/password_reset/done/"}
    assert len(mailoutbox) == allowed
    assert {m.to[0] for m in mailoutbox} == {practice_user.email}


def test_the_reset_allowance_returns_once_the_period_has_passed(
    practice_user, mailoutbox, django_capture_on_commit_callbacks
):
    allowed, period = rate("PASSWORD_RESET_EMAIL_RATE_LIMIT")
    start = timezone.now()
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        for _ in range(allowed + 2):
            reset(Client(), practice_user.email)
    assert len(mailoutbox) == allowed

    later = start + timedelta(seconds=period + 1)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        reset(Client(), practice_user.email)

    assert len(mailoutbox) == allowed + 1


def test_a_flood_of_reset_requests_from_one_address_is_stopped(client, practice_user, frozen):
    allowed, _ = rate("PASSWORD_RESET_RATE_LIMIT")

    answers = [reset(client, f"guess{n}@riverside.example").status_code for n in range(allowed + 5)]

    assert answers == [302] * allowed + [429] * 5
    refused = reset(client, practice_user.email)
    assert refused.status_code == 429
    assert TOO_MANY in refused.content.decode()


def test_the_reset_limit_cannot_be_dodged_with_a_forged_forwarded_for_header(client, db, frozen):
    allowed, _ = rate("PASSWORD_RESET_RATE_LIMIT")

    answers = [
        reset(client, f"guess{n}@riverside.example", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(allowed + 1)
    ]

    assert answers[-1] == 429
