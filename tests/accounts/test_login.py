"""Signing in with an email address, signing out, changing and resetting a password."""

import pytest

from tests.accounts.helpers import LOGIN_URL, link_path, page_text, sign_in, signed_in_email
from tests.factories import PASSWORD

SAME_ANSWER = (
    "The email address or password is not right, or the account has not been approved yet. "
    "Passwords are case-sensitive."
)
NEW_PASSWORD = "Kestrel7!"


def test_login_page_asks_for_email_and_password(client, db):
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'type="email"' in page
    assert 'name="password"' in page


@pytest.mark.parametrize(
    "typed", ["alex@riverside.example", "ALEX@Riverside.Example", "  Alex@riverside.example "]
)
def test_practice_user_signs_in_with_their_email_in_any_case(client, practice_user, typed):
    response = sign_in(client, typed, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/incidents/"
    assert signed_in_email(client) == "alex@riverside.example"
    assert client.get("/incidents/").status_code == 200


def test_sign_in_returns_to_the_page_that_asked_for_it(client, practice_user):
    response = client.post(
        LOGIN_URL, {"username": practice_user.email, "password": PASSWORD, "next": "/incidents/new/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/incidents/new/"


def test_staff_are_sent_to_admin_after_signing_in(client, agent):
    response = sign_in(client, agent.email, PASSWORD, follow=True)

    assert response.redirect_chain == [("/", 302), ("/admin/", 302)]  # home sends each where they work
    assert response.status_code == 200


def test_a_wrong_password_is_refused(client, practice_user):
    response = sign_in(client, practice_user.email, "Wrong-Password-1!")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [SAME_ANSWER]
    assert signed_in_email(client) is None


def test_a_password_in_the_wrong_case_is_refused(client, practice_user):
    response = sign_in(client, practice_user.email, PASSWORD.swapcase())

    assert response.status_code == 200
    assert signed_in_email(client) is None


def test_wrong_password_and_unknown_email_get_exactly_the_same_page(client, practice_user):
    """Nobody can learn from the login page whether an address has an account."""
    wrong_password = sign_in(client, practice_user.email, "Wrong-Password-1!")
    unknown_email = sign_in(client, "nobody@riverside.example", "Wrong-Password-1!")

    assert wrong_password.status_code == unknown_email.status_code == 200
    assert SAME_ANSWER in wrong_password.content.decode()
    assert page_text(wrong_password, practice_user.email) == page_text(
        unknown_email, "nobody@riverside.example"
    )


def test_an_inactive_user_cannot_sign_in_even_with_the_right_password(client, practice_user):
    practice_user.is_active = False
    practice_user.save()

    response = sign_in(client, practice_user.email, PASSWORD)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [SAME_ANSWER]
    assert signed_in_email(client) is None
    assert client.get("/incidents/")["Location"].startswith("/accounts/login/")


def test_an_approved_user_who_has_not_set_a_password_cannot_sign_in(client, practice_user):
    practice_user.set_unusable_password()
    practice_user.save()

    response = sign_in(client, practice_user.email, NEW_PASSWORD)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [SAME_ANSWER]
    assert signed_in_email(client) is None


def test_logout_by_get_is_refused_and_keeps_the_session(user_client):
    response = user_client.get("/accounts/logout/")

    assert response.status_code == 405
    assert user_client.get("/incidents/").status_code == 200


def test_logout_by_post_ends_the_session(user_client):
    response = user_client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/signed-out/"
    assert signed_in_email(user_client) is None
    after = user_client.get("/incidents/")
    assert after.status_code == 302
    assert after["Location"].startswith("/accounts/login/")


# --- Password change --------------------------------------------------------------------------------


def test_password_change_needs_a_signed_in_user(client, db):
    response = client.get("/accounts/password_change/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_signed_in_user_changes_their_password_and_stays_signed_in(client, practice_user):
    client.force_login(practice_user)
    assert client.get("/accounts/password_change/").status_code == 200

    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_change/done/"
    practice_user.refresh_from_db()
    assert practice_user.check_password(NEW_PASSWORD)
    assert client.get("/incidents/").status_code == 200
    client.post("/accounts/logout/")
    assert sign_in(client, practice_user.email, PASSWORD).status_code == 200  # the old one no longer works
    assert sign_in(client, practice_user.email, NEW_PASSWORD)["Location"] == "/incidents/"


def test_password_change_needs_the_current_password(client, practice_user):
    client.force_login(practice_user)

    response = client.post(
        "/accounts/password_change/",
        {"old_password": "Not-My-Password-1!", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    practice_user.refresh_from_db()
    assert practice_user.check_password(PASSWORD)


def test_password_change_applies_the_handbook_policy(client, practice_user):
    client.force_login(practice_user)

    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "Kestrel77", "new_password2": "Kestrel77"},
    )

    assert response.status_code == 200
    assert "at least one special character" in response.content.decode()
    practice_user.refresh_from_db()
    assert practice_user.check_password(PASSWORD)


# --- Password reset ---------------------------------------------------------------------------------


@pytest.fixture
def request_reset(django_capture_on_commit_callbacks):
    """Ask for a reset link; the email is queued once the request's work commits, as in production."""

    def request(client, email, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/accounts/password_reset/", {"email": email}, follow=True, **extra)

    return request


def test_password_reset_emails_a_one_time_link_to_a_known_active_user(
    client, practice_user, mailoutbox, request_reset
):
    response = request_reset(client, "Alex@Riverside.example")

    assert response.redirect_chain == [("/accounts/password_reset/done/", 302)]
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["alex@riverside.example"]
    assert PASSWORD not in mailoutbox[0].body
    link = link_path(mailoutbox[0].body, "/accounts/reset/")

    form_url = client.get(link)["Location"]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    practice_user.refresh_from_db()
    assert practice_user.check_password(NEW_PASSWORD)
    assert sign_in(client, practice_user.email, NEW_PASSWORD)["Location"] == "/incidents/"


def test_password_reset_for_an_unknown_email_shows_the_same_page_and_sends_nothing(
    client, practice_user, mailoutbox, request_reset
):
    known = request_reset(client, practice_user.email)
    unknown = request_reset(client, "nobody@riverside.example")

    assert unknown.redirect_chain == known.redirect_chain == [("/accounts/password_reset/done/", 302)]
    assert page_text(unknown) == page_text(known)
    assert [message.to for message in mailoutbox] == [[practice_user.email]]


def test_password_reset_sends_nothing_to_an_inactive_user(client, practice_user, mailoutbox, request_reset):
    practice_user.is_active = False
    practice_user.save()

    response = request_reset(client, practice_user.email)

    assert response.redirect_chain == [("/accounts/password_reset/done/", 302)]
    assert mailoutbox == []


def test_the_reset_link_is_built_from_site_url_whatever_host_was_asked(
    client, practice_user, mailoutbox, settings, request_reset
):
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]

    request_reset(client, practice_user.email, HTTP_HOST="evil.example")

    body = mailoutbox[0].body
    assert f"{settings.SITE_URL}/accounts/reset/" in body
    assert "evil.example" not in body
    assert settings.SERVICE_DESK["phone"] in body
