"""Unauthenticated access (missing authentication on a page or an action): a visitor who has not signed in
must be sent to sign in, or refused, on every URL except an allow-list of public pages, must not change
anything by GET or POST, and must not read any practice's data on the way.

Built from the URL configuration (tests/security/url_sweep.py), so a new URL is checked as soon as it
exists; the public allow-list is url_sweep.PORTAL's PUBLIC entries, each with the reason it is public.
"""

from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model

from surveys.models import Response
from tests.factories import PASSWORD

from .url_sweep import (
    LADDER_OBJECT,
    PRACTICE_OBJECT,
    PUBLIC,
    ROUTES,
    SIGNED_IN,
    STAFF,
    TOKEN,
    admin_routes,
    build_world,
    changes_between,
    database_state,
    of_access,
    page_text,
    path_for,
    post_data,
    spec,
)

# What the public pages answer a visitor (GET): the sign-in page itself, and where the home page sends them.
PUBLIC_GET = {"home": 200, "logout": 405}


@pytest.fixture
def world(practice_user, agent):
    return build_world(practice_user, agent, "Riverside")


def _assert_reveals_nothing(response, world):
    text = page_text(response)
    for secret in world.secrets:
        assert secret not in text
    assert world.user.email not in text
    assert world.invitation.token not in text


def _assert_sent_to_sign_in(response, path, login_path="/accounts/login/"):
    assert response.status_code == 302
    assert response.url == f"{login_path}?next={quote(path)}"


def test_every_url_pattern_is_swept():
    """Each pattern falls in exactly one of the groups below; an unknown one fails url_sweep.spec."""
    grouped = (
        of_access(PUBLIC)
        + of_access(SIGNED_IN, STAFF, PRACTICE_OBJECT, LADDER_OBJECT)
        + of_access(TOKEN)
        + admin_routes()
    )

    assert sorted(map(str, grouped)) == sorted(map(str, ROUTES))
    for route in ROUTES:
        spec(route)  # fails for a pattern the sweep does not know


@pytest.mark.parametrize("route", of_access(SIGNED_IN, STAFF, PRACTICE_OBJECT, LADDER_OBJECT), ids=str)
def test_pages_behind_sign_in_send_a_visitor_to_sign_in(client, world, route):
    path = path_for(route, world)
    before = database_state()

    got = client.get(path)
    posted = client.post(path, post_data(route, world))

    _assert_sent_to_sign_in(got, path)
    _assert_sent_to_sign_in(posted, path)
    _assert_reveals_nothing(got, world)
    _assert_reveals_nothing(posted, world)
    assert changes_between(before, database_state()) == []


@pytest.mark.parametrize("route", admin_routes(), ids=str)
def test_admin_sends_a_visitor_to_its_sign_in_page(client, world, route):
    path = path_for(route, world)
    before = database_state()

    got = client.get(path)
    posted = client.post(path, post_data(route, world))

    if route.name == "admin:login":
        assert got.status_code == 200
        assert posted.status_code == 200  # the form again, with its errors
    elif route.name == "admin:logout":  # nobody to sign out: back to admin, which asks to sign in
        for response in (got, posted):
            assert response.status_code == 302
            assert response.url == "/admin/"
    else:
        _assert_sent_to_sign_in(got, path, "/admin/login/")
        _assert_sent_to_sign_in(posted, path, "/admin/login/")
    _assert_reveals_nothing(got, world)
    _assert_reveals_nothing(posted, world)
    assert changes_between(before, database_state()) == []


@pytest.mark.parametrize("route", of_access(PUBLIC), ids=str)
def test_public_pages_answer_a_visitor_without_revealing_anything(client, world, route):
    path = path_for(route, world)

    response = client.get(path)

    assert response.status_code == PUBLIC_GET.get(route.name, 200)
    if response.status_code == 302:
        assert response.url == "/accounts/login/"
    _assert_reveals_nothing(response, world)


@pytest.mark.parametrize("route", of_access(PUBLIC), ids=str)
def test_an_empty_post_to_a_public_page_changes_nothing(client, world, route):
    """A visitor's empty or half-filled form changes nothing (what a valid one does is tested with each
    feature; its CSRF protection in test_csrf_and_get_changes)."""
    before = database_state()

    response = client.post(path_for(route, world))

    assert response.status_code < 500
    _assert_reveals_nothing(response, world)
    assert changes_between(before, database_state()) == []


@pytest.mark.parametrize("route", of_access(TOKEN), ids=str)
def test_a_wrong_token_opens_nothing_and_changes_nothing(client, world, route):
    path = path_for(route, world, valid_tokens=False)
    before = database_state()

    got = client.get(path)
    posted = client.post(path, {"new_password1": "Brand-new-9!pass", "new_password2": "Brand-new-9!pass"})

    if route.name == "surveys:answer":
        assert got.status_code == posted.status_code == 404
    else:  # Django's "this link is not valid" page, with no form
        assert got.status_code == posted.status_code == 200
        assert "new_password1" not in page_text(got)
    _assert_reveals_nothing(got, world)
    _assert_reveals_nothing(posted, world)
    assert changes_between(before, database_state()) == []
    assert get_user_model().objects.get(pk=world.user.pk).check_password(PASSWORD)


@pytest.mark.parametrize("route", of_access(TOKEN), ids=str)
def test_the_right_token_opens_its_page_to_whoever_holds_it(client, world, route):
    """The control for the above: tokens are the credential, so the same URL with the emailed token opens
    (a set-password link redirects once to hide the token from the address bar, as Django does)."""
    response = client.get(path_for(route, world), follow=True)

    assert response.status_code == 200
    if route.name == "surveys:answer":
        assert "question_" in page_text(response)
    else:
        assert "new_password1" in page_text(response)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("%25", id="like-wildcard"),
        pytest.param("%27%20OR%20%271%27%3D%271", id="sql-quote"),
        pytest.param("x" * 500, id="very-long"),
    ],
)
def test_a_survey_token_that_is_not_one_is_not_found(client, world, token):
    response = client.get(f"/surveys/{token}/")

    assert response.status_code == 404
    _assert_reveals_nothing(response, world)


def test_a_used_survey_link_is_gone_and_shows_no_answers(client, world):
    Response.objects.create(invitation=world.invitation)

    response = client.get(f"/surveys/{world.invitation.token}/")

    assert response.status_code == 410
    assert world.incident.summary not in page_text(response)


def test_the_health_check_says_only_ok(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_signing_out_when_not_signed_in_just_shows_the_signed_out_page(client, db):
    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response.url == "/accounts/signed-out/"
