"""The handbook's password policy: 8+ characters, upper, lower, digit and special (`£` counts), on top of
Django's common-password and similarity checks. Checked through Django's validate_password, which every
password form uses, and through the set-password page an approved user reaches from their email."""

from urllib.parse import urlsplit

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.tasks import one_time_link

GOOD = "Kestrel7!"


def refusals(password, user=None):
    """The (code, message) pairs validate_password refuses the password with; [] when it is accepted."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return [(error.code, error.messages[0]) for error in exc.error_list]
    return []


@pytest.fixture
def new_user(practice):
    return User.objects.create_user(
        email="alex.morgan@riverside.example", full_name="Alex Morgan", practice=practice
    )


def test_a_password_that_meets_every_rule_is_accepted(new_user):
    assert refusals(GOOD, new_user) == []


@pytest.mark.parametrize(
    ("password", "code", "message"),
    [
        (
            "Kes7!ab",
            "password_too_short",
            "This password is too short. It must contain at least 8 characters.",
        ),
        (
            "kestrel7!",
            "password_no_upper",
            "Your password must contain at least one upper-case letter (A–Z).",
        ),
        (
            "KESTREL7!",
            "password_no_lower",
            "Your password must contain at least one lower-case letter (a–z).",
        ),
        (
            "Kestrels!",
            "password_no_digit",
            "Your password must contain at least one digit (0–9).",
        ),
        (
            "Kestrel77",
            "password_no_special",
            "Your password must contain at least one special character, such as ! £ % : ?.",
        ),
    ],
    ids=["too-short", "no-upper", "no-lower", "no-digit", "no-special"],
)
def test_each_handbook_rule_is_refused_with_its_own_message(new_user, password, code, message):
    """A password that breaks exactly one rule gets exactly that rule's message, nothing else."""
    assert refusals(password, new_user) == [(code, message)]


def test_a_password_that_breaks_several_rules_lists_every_broken_rule(new_user):
    codes = {code for code, _ in refusals("kestrel", new_user)}
    assert {"password_too_short", "password_no_upper", "password_no_digit", "password_no_special"} <= codes


def test_eight_characters_is_long_enough(new_user):
    assert refusals("Kestr7!a", new_user) == []


@pytest.mark.parametrize("special", ["£", "!", "%", ":", "?", "_", "#"])
def test_each_handbook_special_character_counts_on_its_own(new_user, special):
    """The pound sign (not ASCII) counts as the special character, as do the handbook's other examples."""
    assert refusals(f"Abcdefg1{special}", new_user) == []


def test_a_space_is_not_a_special_character(new_user):
    assert [code for code, _ in refusals("Kestrel 77", new_user)] == ["password_no_special"]


def test_a_common_password_that_meets_every_other_rule_is_refused(new_user):
    """ "Password1!" has upper, lower, digit and special, but is in Django's list of common passwords."""
    assert refusals("Password1!", new_user) == [("password_too_common", "This password is too common.")]


def test_a_password_like_the_users_email_is_refused(new_user):
    assert refusals("Riverside1!", new_user) == [
        ("password_too_similar", "The password is too similar to the email address.")
    ]


def test_a_password_like_the_users_name_is_refused(new_user):
    new_user.full_name = "Priya Chaudhary"
    assert refusals("Chaudhary7!", new_user) == [
        ("password_too_similar", "The password is too similar to the name.")
    ]


# --- Through the set-password page of the approval email ------------------------------------------------


@pytest.fixture
def set_password_page(client, new_user):
    """Follow the one-time link; Django swaps the token for a session and redirects to the form."""
    new_user.set_unusable_password()
    new_user.save()
    link = urlsplit(one_time_link(new_user, "set_password")).path
    response = client.get(link)
    assert response.status_code == 302
    form_url = response["Location"]
    assert form_url.endswith("/set-password/")
    return form_url


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Kes7!ab", "This password is too short. It must contain at least 8 characters."),
        ("kestrel7!", "Your password must contain at least one upper-case letter (A–Z)."),
        ("KESTREL7!", "Your password must contain at least one lower-case letter (a–z)."),
        ("Kestrels!", "Your password must contain at least one digit (0–9)."),
        ("Kestrel77", "Your password must contain at least one special character, such as ! £ % : ?."),
        ("Password1!", "This password is too common."),
        ("Riverside1!", "The password is too similar to the email address."),
    ],
    ids=["too-short", "no-upper", "no-lower", "no-digit", "no-special", "common", "like-email"],
)
def test_set_password_page_refuses_a_weak_password_and_says_why(
    client, new_user, set_password_page, password, message
):
    response = client.post(set_password_page, {"new_password1": password, "new_password2": password})

    assert response.status_code == 200
    assert message in response.context["form"].errors["new_password1"]  # under the password chosen
    assert "new_password2" not in response.context["form"].errors
    assert message in response.content.decode()
    new_user.refresh_from_db()
    assert not new_user.has_usable_password()


def test_set_password_page_accepts_a_password_whose_only_special_character_is_a_pound_sign(
    client, new_user, set_password_page
):
    response = client.post(set_password_page, {"new_password1": "Abcdefg1£", "new_password2": "Abcdefg1£"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    new_user.refresh_from_db()
    assert new_user.check_password("Abcdefg1£")


def test_set_password_page_shows_a_mismatch_under_the_confirmation(client, set_password_page):
    response = client.post(set_password_page, {"new_password1": GOOD, "new_password2": GOOD + "x"})

    errors = response.context["form"].errors
    assert list(errors) == ["new_password2"]
    assert "The two password fields didn’t match." in errors["new_password2"]


def test_change_password_page_shows_a_weak_password_under_the_new_password(client, practice_user, password):
    client.force_login(practice_user)

    response = client.post(
        "/accounts/password_change/",
        {"old_password": password, "new_password1": "kestrel7!", "new_password2": "kestrel7!"},
    )

    errors = response.context["form"].errors
    assert list(errors) == ["new_password1"]
    assert "Your password must contain at least one upper-case letter (A–Z)." in errors["new_password1"]
    practice_user.refresh_from_db()
    assert practice_user.check_password(password)


def test_the_reset_link_uses_the_same_form(client, new_user):
    link = urlsplit(one_time_link(new_user, "password_reset_confirm")).path
    form_url = client.get(link)["Location"]

    response = client.post(form_url, {"new_password1": "kestrel7!", "new_password2": "kestrel7!"})

    assert list(response.context["form"].errors) == ["new_password1"]
