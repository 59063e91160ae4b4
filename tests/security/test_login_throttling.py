"""Login throttling that cannot be sidestepped (issue 13).

The flaws guarded against: the lockout counted the address as typed while the account lookup ignored
case, so each new capitalisation of a locked address (on admin's sign-in page) got five more guesses and
the right password signed in; nothing limited one client address guessing across many addresses
(credential stuffing); and an over-long username reached django-axes' 255-character column (a 500 on
PostgreSQL). Every sign-in form, every lockout and every per-address count now goes through one identity
(accounts.identity.login_identity) and one axes handler (accounts.throttling).
"""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.accounts.helpers import admin_sign_in, page_text, sign_in, signed_in_email
from tests.factories import PASSWORD, UserFactory

WRONG = "Wrong-Password-1!"
LOCKED_OUT = "Too many failed sign-in attempts"
NETWORK_PAUSED = "signing in from your network is paused"
PORTAL_REFUSAL = "The email address or password is not right"
ADMIN_REFUSAL = "Please enter the correct email address and password for a staff account"
LIMIT = settings.AXES_FAILURE_LIMIT
FORMS = {"portal": sign_in, "admin": admin_sign_in}


def fullwidth(text):
    """The same characters in their fullwidth forms (ＡＬＥＸ＠…), which NFKC maps back to ASCII."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# Ways to type the same address: the issue's own example first.
VARIANTS = {
    "capitalised": lambda email: email[0].upper() + email[1:],
    "upper case": str.upper,
    "fullwidth": lambda email: fullwidth(email.upper()),
    "surrounding spaces": lambda email: f" \u00a0{email.upper()}\u3000\t",
}


def same_answer(first, second):
    return page_text(first) == page_text(second)


# --- One identity for every form of the address, on both sign-in pages ------------------------------


@pytest.mark.parametrize("persona", ["practice_user", "agent"])
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_a_locked_address_gets_the_lockout_however_it_is_typed_whether_the_password_is_right_or_not(
    request, db, client, persona, form, variant
):
    user = request.getfixturevalue(persona)
    sign_in_with = FORMS[form]
    for _ in range(LIMIT):
        sign_in_with(client, user.email, WRONG)
    typed = VARIANTS[variant](user.email)

    right = sign_in_with(client, typed, PASSWORD)
    wrong = sign_in_with(client, typed, WRONG)

    assert right.status_code == wrong.status_code == 429
    assert LOCKED_OUT in right.content.decode()
    assert same_answer(right, wrong)  # the lockout does not tell a right password from a wrong one
    assert signed_in_email(client) is None


@pytest.mark.parametrize("persona", ["practice_user", "agent"])
@pytest.mark.parametrize("form", FORMS)
def test_each_new_way_of_typing_the_address_gets_no_fresh_guesses(request, db, client, persona, form):
    user = request.getfixturevalue(persona)
    sign_in_with = FORMS[form]
    typings = [user.email] + [make(user.email) for make in VARIANTS.values()]
    for typed in typings[:LIMIT]:
        sign_in_with(client, typed, WRONG)

    for typed in typings:
        response = sign_in_with(client, typed, PASSWORD)
        assert response.status_code == 429, typed

    assert signed_in_email(client) is None


# --- A ceiling per client address -----------------------------------------------------------------------


@pytest.fixture
def ceiling(settings):
    """A low ceiling, so that a test reaches it in a few requests; the default is in settings.py."""
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3 * LIMIT
    return settings.LOGIN_ADDRESS_FAILURE_LIMIT


def stuff(client, sign_in_with, count, prefix="guess"):
    """One wrong password each for `count` different addresses, as credential stuffing does."""
    return [sign_in_with(client, f"{prefix}{n}@riverside.example", WRONG) for n in range(count)]


@pytest.mark.parametrize("form", FORMS)
def test_credential_stuffing_from_one_address_is_refused_past_the_ceiling(client, colleague, ceiling, form):
    sign_in_with = FORMS[form]

    answers = [response.status_code for response in stuff(client, sign_in_with, ceiling)]

    assert answers == [200] * (ceiling - 1) + [429]
    right = sign_in_with(client, colleague.email, PASSWORD)  # an address nobody has guessed at
    wrong = sign_in_with(client, colleague.email, WRONG)
    assert right.status_code == wrong.status_code == 429
    page = right.content.decode()
    assert NETWORK_PAUSED in page
    assert settings.SERVICE_DESK["phone"] in page
    assert same_answer(right, wrong)
    assert signed_in_email(client) is None


def test_the_ceiling_counts_failures_on_both_sign_in_pages_together(client, colleague, ceiling):
    stuff(client, sign_in, ceiling // 2, prefix="portal")
    stuff(client, admin_sign_in, ceiling - ceiling // 2, prefix="admin")

    assert sign_in(client, colleague.email, PASSWORD).status_code == 429
    assert signed_in_email(client) is None


def test_the_ceiling_is_per_client_address(client, colleague, ceiling):
    stuff(client, sign_in, ceiling)

    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    response = sign_in(elsewhere, colleague.email, PASSWORD)

    assert response.status_code == 302
    assert signed_in_email(elsewhere) == colleague.email


def test_successful_sign_ins_do_not_count_towards_the_ceiling(client, practice_user, ceiling):
    for _ in range(ceiling + LIMIT):
        assert sign_in(client, practice_user.email, PASSWORD).status_code == 302
        client.post("/accounts/logout/")

    wrong = sign_in(client, practice_user.email, WRONG)
    right = sign_in(client, practice_user.email, PASSWORD)

    assert wrong.status_code == 200
    assert PORTAL_REFUSAL in wrong.content.decode()
    assert right.status_code == 302


def test_one_locked_out_address_hammered_on_does_not_pause_the_whole_network(
    client, practice_user, colleague, ceiling
):
    """Someone retrying their own address past its lockout is already stopped by the lockout; each address
    counts towards the network's ceiling only up to the lockout's limit, so colleagues still sign in."""
    for _ in range(2 * ceiling):
        sign_in(client, practice_user.email, WRONG)

    response = sign_in(client, colleague.email, PASSWORD)

    assert response.status_code == 302
    assert signed_in_email(client) == colleague.email


def test_a_practice_behind_one_address_is_not_paused_by_everyday_typos(client, practice):
    """The default ceiling: twenty staff behind the practice's one public address each mistype their
    password four times (short of their own lockout), and every one of them then signs in."""
    staff = UserFactory.create_batch(20, practice=practice)
    for person in staff:
        for _ in range(LIMIT - 1):
            sign_in(Client(), person.email, WRONG)

    for person in staff:
        browser = Client()
        assert sign_in(browser, person.email, PASSWORD).status_code == 302
        assert signed_in_email(browser) == person.email


def test_the_network_may_sign_in_again_once_the_cool_off_has_passed(client, colleague, ceiling):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        stuff(client, sign_in, ceiling)
        assert sign_in(client, colleague.email, PASSWORD).status_code == 429

    with time_machine.travel(start + settings.AXES_COOLOFF_TIME + timedelta(minutes=1), tick=False):
        response = sign_in(client, colleague.email, PASSWORD)

    assert response.status_code == 302
    assert signed_in_email(client) == colleague.email


def test_sign_ins_refused_during_a_pause_count_as_nothing(client, colleague, ceiling):
    """A colleague who keeps trying the right password while the network is paused is refused, but those
    refusals are no failures of hers: once the pause is over she signs in, rather than finding her own
    address locked by them (nor do they keep the pause going)."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        stuff(client, sign_in, ceiling)
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        for _ in range(LIMIT):
            assert sign_in(client, colleague.email, PASSWORD).status_code == 429

    with time_machine.travel(start + settings.AXES_COOLOFF_TIME + timedelta(minutes=1), tick=False):
        response = sign_in(client, colleague.email, PASSWORD)

    assert response.status_code == 302
    assert signed_in_email(client) == colleague.email


# --- Over-long and malformed credentials ---------------------------------------------------------------


MALFORMED = {
    "256 characters": ("a" * 256, WRONG),
    "10,000 characters": ("b" * 10_000, WRONG),
    "an over-long address": ("c" * 250 + "@riverside.example", WRONG),
    "an over-long fullwidth address": (fullwidth("D" * 250 + "@riverside.example"), WRONG),
    "a huge password": ("alex@riverside.example", "x" * 1_000_000),
    "control characters": ("alex\x01\x1b@riverside.example", WRONG),
    "a right-to-left override": ("\u202eelpmaxe.edisrevir@xela", WRONG),
    "an emoji": ("\U0001f642@riverside.example", WRONG),
}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("credentials", MALFORMED)
def test_malformed_credentials_get_the_ordinary_refusal(client, practice_user, form, credentials):
    username, password = MALFORMED[credentials]

    response = FORMS[form](client, username, password)

    assert response.status_code == 200
    assert (PORTAL_REFUSAL if form == "portal" else ADMIN_REFUSAL) in response.content.decode()
    assert signed_in_email(client) is None
    # What django-axes recorded fits its columns (PostgreSQL refuses anything longer: the old 500).
    assert AccessAttempt.objects.exists()
    assert all(len(attempt.username) <= 255 for attempt in AccessAttempt.objects.all())


@pytest.mark.parametrize(("form", "persona"), [("portal", "practice_user"), ("admin", "agent")])
def test_over_long_usernames_are_throttled_like_any_other(request, db, client, form, persona):
    user = request.getfixturevalue(persona)
    sign_in_with = FORMS[form]
    for _ in range(LIMIT):
        sign_in_with(client, "e" * 10_000, WRONG)

    assert sign_in_with(client, "e" * 10_000, WRONG).status_code == 429
    assert sign_in_with(client, user.email, PASSWORD).status_code == 302


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_a_body_that_is_not_utf8_gets_the_ordinary_refusal(client, db, url):
    response = client.post(
        url,
        "username=%FF%FE%FD%40riverside.example&password=x",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert signed_in_email(client) is None
