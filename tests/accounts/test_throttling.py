"""Repeated failed logins are throttled by django-axes: five failures for one email from one address lock
that pair out for 15 minutes, and the lockout looks the same whether or not the email has an account.

The Django test client sends REMOTE_ADDR 127.0.0.1, which axes counts as the client's address.
"""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.accounts.helpers import page_text, sign_in, signed_in_email
from tests.factories import PASSWORD

WRONG = "Wrong-Password-1!"
LOCKED_OUT = "Too many failed sign-in attempts"


def fail(client, email, times, **extra):
    """Sign in with a wrong password `times` times; return the responses."""
    return [sign_in(client, email, WRONG, **extra) for _ in range(times)]


def test_the_configured_limit_is_five_failures_for_fifteen_minutes():
    """The tests below rely on the handbook's numbers; a changed setting should fail loudly here."""
    assert settings.AXES_FAILURE_LIMIT == 5
    cool_off = settings.AXES_COOLOFF_TIME
    assert cool_off == timedelta(minutes=15)


def test_failures_below_the_limit_get_the_ordinary_login_error(client, practice_user):
    for response in fail(client, practice_user.email, settings.AXES_FAILURE_LIMIT - 1):
        assert response.status_code == 200
        assert LOCKED_OUT not in response.content.decode()


def test_after_five_failures_even_the_right_password_gets_the_lockout_page(client, practice_user):
    fail(client, practice_user.email, settings.AXES_FAILURE_LIMIT)

    response = sign_in(client, practice_user.email, PASSWORD)

    assert response.status_code == 429
    page = response.content.decode()
    assert LOCKED_OUT in page
    assert settings.SERVICE_DESK["phone"] in page  # who to call instead
    assert signed_in_email(client) is None
    assert client.get("/incidents/")["Location"].startswith("/accounts/login/")


def test_changing_the_case_of_the_email_does_not_dodge_the_lockout(client, practice_user):
    for typed in ["alex@riverside.example", "ALEX@riverside.example", "Alex@Riverside.example"]:
        sign_in(client, typed, WRONG)
    fail(client, "alex@RIVERSIDE.EXAMPLE", 2)

    response = sign_in(client, practice_user.email, PASSWORD)

    assert response.status_code == 429
    assert signed_in_email(client) is None


def test_an_unknown_email_is_locked_out_the_same_way(client, practice_user):
    """The lockout must not reveal which addresses have accounts either."""
    fail(client, practice_user.email, settings.AXES_FAILURE_LIMIT)
    fail(client, "nobody@riverside.example", settings.AXES_FAILURE_LIMIT)

    known = sign_in(client, practice_user.email, PASSWORD)
    unknown = sign_in(client, "nobody@riverside.example", PASSWORD)

    assert unknown.status_code == known.status_code == 429
    assert page_text(unknown, "nobody@riverside.example") == page_text(known, practice_user.email)


def test_the_lockout_does_not_stop_a_colleague_signing_in_from_the_same_surgery(
    client, practice_user, colleague
):
    """The lock is for one email from one address: a practice shares one public address."""
    fail(client, practice_user.email, settings.AXES_FAILURE_LIMIT)

    response = sign_in(Client(), colleague.email, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/incidents/"


def test_a_colleagues_typo_after_someone_elses_lockout_gets_the_ordinary_error(
    client, practice_user, colleague
):
    """Failures for one email must not count against another email from the same address."""
    fail(client, practice_user.email, settings.AXES_FAILURE_LIMIT)

    response = sign_in(Client(), colleague.email, WRONG)

    assert response.status_code == 200
    assert LOCKED_OUT not in response.content.decode()


def test_the_lockout_is_for_one_address_only(client, practice_user):
    fail(client, practice_user.email, settings.AXES_FAILURE_LIMIT)

    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    response = sign_in(elsewhere, practice_user.email, PASSWORD)

    assert response.status_code == 302
    assert signed_in_email(elsewhere) == practice_user.email


def test_a_successful_sign_in_clears_earlier_failures(client, practice_user):
    fail(client, practice_user.email, settings.AXES_FAILURE_LIMIT - 1)
    sign_in(client, practice_user.email, PASSWORD)
    client.post("/accounts/logout/")
    fail(client, practice_user.email, settings.AXES_FAILURE_LIMIT - 1)

    response = sign_in(client, practice_user.email, PASSWORD)

    assert response.status_code == 302
    assert signed_in_email(client) == practice_user.email


@pytest.fixture
def locked_out_at(client, practice_user):
    """Lock the user out at a fixed moment (proved by the right password being refused); the test travels
    on from there."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail(client, practice_user.email, settings.AXES_FAILURE_LIMIT)
        assert sign_in(client, practice_user.email, PASSWORD).status_code == 429
    return start


def test_still_locked_out_just_before_the_cool_off_ends(client, practice_user, locked_out_at):
    with time_machine.travel(locked_out_at + timedelta(minutes=14), tick=False):
        response = sign_in(client, practice_user.email, PASSWORD)

    assert response.status_code == 429
    assert signed_in_email(client) is None


def test_the_right_password_works_again_after_the_cool_off(client, practice_user, locked_out_at):
    with time_machine.travel(locked_out_at + timedelta(minutes=16), tick=False):
        response = sign_in(client, practice_user.email, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/incidents/"
    assert signed_in_email(client) == practice_user.email
