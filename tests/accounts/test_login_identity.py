"""One sign-in identity: the email address as the user lookup, both sign-in forms, the lockout and the
password-reset limit all read it (accounts.identity.login_identity: NFKC, surrounding space, lower case,
the form addresses are stored in)."""

import sys
from importlib import import_module

import pytest
from axes.models import AccessAttempt
from django.apps import apps

from accounts.identity import login_identity
from accounts.models import User
from tests.accounts.helpers import admin_sign_in, sign_in, signed_in_email
from tests.factories import PASSWORD, UserFactory
from tests.security.test_login_throttling import FORMS, VARIANTS, WRONG, fullwidth


@pytest.mark.parametrize(
    "typed",
    [
        "alex@riverside.example",
        "  Alex@Riverside.Example\t",
        "\u00a0ALEX@RIVERSIDE.EXAMPLE\u3000",
        fullwidth("ALEX@RIVERSIDE.EXAMPLE"),
        fullwidth("alex") + "@riverside.example",
    ],
)
def test_every_form_of_an_address_names_one_identity(typed):
    assert login_identity(typed) == "alex@riverside.example"


def test_the_identity_of_an_identity_is_itself_for_every_character():
    """The forms, the lookup and the lockout each normalise what they are given: normalising twice
    must change nothing, or two of them could name one address differently."""
    for code_point in range(sys.maxunicode + 1):
        if 0xD800 <= code_point <= 0xDFFF:
            continue
        typed = f"a{chr(code_point)}b"
        once = login_identity(typed)
        assert login_identity(once) == once, hex(code_point)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(
    ("form", "persona", "lands_on"),
    [("portal", "practice_user", "/incidents/"), ("admin", "agent", "/admin/")],
)
def test_a_person_signs_in_with_their_address_typed_in_any_form(
    request, db, client, form, persona, lands_on, variant
):
    user = request.getfixturevalue(persona)

    response = FORMS[form](client, VARIANTS[variant](user.email), PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == lands_on
    assert signed_in_email(client) == user.email


@pytest.mark.parametrize(("form", "persona"), [("portal", "practice_user"), ("admin", "agent")])
def test_an_address_that_only_looks_alike_signs_nobody_in(request, db, client, form, persona):
    """A dotless ı is not an i: PostgreSQL's case-insensitive match (UPPER) took one for the other, so the
    look-alike signed in to the account while its failures were counted under another name."""
    user = request.getfixturevalue(persona)
    look_alike = user.email.replace("i", "\u0131", 1)

    response = FORMS[form](client, look_alike, PASSWORD)

    assert response.status_code == 200
    assert signed_in_email(client) is None


def test_failures_are_recorded_under_the_identity_whatever_was_typed(client, agent):
    for make in VARIANTS.values():
        admin_sign_in(client, make(agent.email), WRONG)
        sign_in(client, make(agent.email), WRONG)

    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {agent.email}


def test_a_new_account_is_stored_under_its_identity(db):
    user = User.objects.create_user(fullwidth("NEW.PERSON") + "@Riverside.example ", "Kestrel7!x")

    user.refresh_from_db()
    assert user.email == "new.person@riverside.example"


def test_resets_for_one_address_in_any_form_share_one_allowance(
    client, practice_user, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.PASSWORD_RESET_EMAIL_RATE_LIMIT = "2/h"
    typings = [
        "alex@riverside.example",
        "ALEX@riverside.example",
        "alex@" + fullwidth("riverside") + ".example",
    ]

    with django_capture_on_commit_callbacks(execute=True):
        for typed in typings:
            client.post("/accounts/password_reset/", {"email": typed})

    assert [message.to for message in mailoutbox] == [[practice_user.email]] * 2


def test_addresses_stored_before_are_rewritten_as_their_identities(client, practice_user, practice):
    """Migration 0004: an address stored in another form could no longer sign in once the lookup is exact."""
    store_identities = import_module("accounts.migrations.0004_login_identity").store_identities
    sam = UserFactory(practice=practice)
    User.objects.filter(pk=sam.pk).update(email=fullwidth("sam") + "@Riverside.example")
    clash = UserFactory(practice=practice)
    User.objects.filter(pk=clash.pk).update(email=fullwidth("ALEX") + "@riverside.example")

    store_identities(apps, None)

    sam.refresh_from_db()
    clash.refresh_from_db()
    assert sam.email == "sam@riverside.example"
    assert clash.email == fullwidth("ALEX") + "@riverside.example"  # Alex's account keeps the identity
    assert sign_in(client, "sam@riverside.example", PASSWORD).status_code == 302
