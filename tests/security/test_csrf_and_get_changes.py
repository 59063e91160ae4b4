"""Cross-site request forgery and changes by GET: a page on another site must not be able to make a
signed-in user's browser log, note, confirm, close or escalate an incident, sign them out, answer a
survey, acknowledge an escalation or run an admin action. Every POST needs the CSRF token, and nothing
changes on GET (a link, an image tag or a prefetch sends GETs).

Built from the URL configuration (tests/security/url_sweep.py): every pattern is POSTed without a token
by the user who may use it, and fetched by GET with the POST's fields in the query string; neither may
change a row or send an email. A control for each state-changing endpoint shows the same POST with the
token does change something, so the refusals above come from the CSRF check and nothing else.
"""

from binascii import unhexlify
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AccountRequest
from incidents.models import Incident, Product, TimelineEvent
from surveys.models import Question, Response
from tests.factories import PASSWORD, ProductFactory, StaffFactory

from .url_sweep import (
    ADMIN,
    LADDER_OBJECT,
    PORTAL,
    PRACTICE_OBJECT,
    PUBLIC,
    ROUTES,
    SIGNED_IN,
    STAFF,
    TOKEN,
    build_world,
    changes_between,
    database_state,
    page_text,
    path_for,
    post_data,
    spec,
)

NEW_PASSWORD = "Another-Horse-7?"


@pytest.fixture
def world(practice_user, agent):
    return build_world(practice_user, agent, "Riverside")


@pytest.fixture
def superuser(db):
    return StaffFactory(full_name="Ada Admin", is_superuser=True)


@pytest.fixture
def leader(team_leader, world):
    """A team leader on the ladder level the world's incident is escalated to."""
    world.incident.escalation_level.contacts.add(team_leader)
    return team_leader


@pytest.fixture
def csrf_client(db):
    return Client(enforce_csrf_checks=True)


def _actor(route, world, request):
    """Who may use the pattern: the request is refused for want of a token, not for want of a right."""
    access = spec(route).access
    if route.name == "logout":
        return world.user  # signing out is the change a forged request would make
    if access in (PUBLIC, TOKEN):
        return None
    if access in (SIGNED_IN, PRACTICE_OBJECT):
        return world.user
    if access in (STAFF, LADDER_OBJECT):
        return request.getfixturevalue("leader")
    assert access == ADMIN
    return request.getfixturevalue("superuser")


def _signed_in(client, user):
    if user is not None:
        client.force_login(user)
    return client


def csrf_token(client, page="/contact/"):
    """The token a form of the portal carries (what another site cannot read)."""
    client.get(page)
    if "csrftoken" not in client.cookies:
        client.get("/accounts/login/")
    return client.cookies["csrftoken"].value


def _signed_in_user_id(client):
    return client.session.get("_auth_user_id")


# --- Every POST without a token is refused and changes nothing ---------------------------------------


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(csrf_client, world, request, route):
    client = _signed_in(csrf_client, _actor(route, world, request))
    path = path_for(route, world)
    signed_in_as = _signed_in_user_id(client)
    before = database_state()

    response = client.post(path, post_data(route, world))

    assert response.status_code == 403
    assert "This form has expired" in page_text(response)  # the CSRF refusal, not some other 403
    assert changes_between(before, database_state()) == []
    assert _signed_in_user_id(client) == signed_in_as  # signing out is a change too


# --- The controls: the same POST with the token changes something ------------------------------------


def _survey_answers():
    answers = {}
    for question in Question.objects.filter(active=True):
        kind = {Question.Kind.SCORE: "4", Question.Kind.YES_NO: "yes"}.get(question.kind, "Helpful")
        answers[f"question_{question.pk}"] = kind
    return answers


def _set_password_steps(client, world, name):
    """Open the emailed link (Django moves the token into the session), then post the new password."""
    route = next(route for route in ROUTES if route.name == name)
    opened = client.get(path_for(route, world))
    assert opened.status_code == 302
    return opened.url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}


def _two_factor(client, world, staff):
    client.get("/accounts/two-factor/")
    device = TOTPDevice.objects.get(user=staff)
    code = totp(unhexlify(device.key), step=device.step, t0=device.t0, digits=device.digits)
    return "/accounts/two-factor/", {"code": f"{code:0{device.digits}d}"}


# name: (who posts, how to build (path, data) from the client and the world)
CONTROLS = {
    "login": (None, lambda c, w: ("/accounts/login/", {"username": w.user.email, "password": PASSWORD})),
    "logout": ("user", lambda c, w: ("/accounts/logout/", {})),
    "register": (
        None,
        lambda c, w: (
            "/accounts/register/",
            {
                "practice_id": w.practice.practice_id,
                "full_name": "Jamie Fox",
                "email": "jamie.fox@riverside.example",
                "phone": "01632 960777",
                "job_role": "Receptionist",
            },
        ),
    ),
    "password_reset": (None, lambda c, w: ("/accounts/password_reset/", {"email": w.user.email})),
    "password_change": (
        "user",
        lambda c, w: (
            "/accounts/password_change/",
            {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        ),
    ),
    "two_factor": ("agent", lambda c, w: _two_factor(c, w, w.agent)),
    "set_password": (None, lambda c, w: _set_password_steps(c, w, "set_password")),
    "password_reset_confirm": (None, lambda c, w: _set_password_steps(c, w, "password_reset_confirm")),
    "surveys:answer": (None, lambda c, w: (f"/surveys/{w.invitation.token}/", _survey_answers())),
    "escalation:acknowledge": ("leader", lambda c, w: (f"/escalations/{w.incident.pk}/acknowledge/", {})),
}


def _portal_control(name):
    route = next(route for route in ROUTES if route.name == name)
    return ("user", lambda c, w: (path_for(route, w), post_data(route, w)))


# The incident actions: the sweep's own paths and forms, posted by the incident's practice.
for _name, _spec in PORTAL.items():
    if (
        _spec.access == PRACTICE_OBJECT
        and _spec.changes
        or _name
        in (
            "incidents:new",
            "incidents:practice_remote_access",
            "email_settings",
            "knowledge:suggestion_open",
        )
    ):
        CONTROLS[_name] = _portal_control(_name)


def _reopen_closed(c, w):
    """Reopening needs a closed incident: the world's resolved one, confirmed first."""
    from incidents.services import incident_confirm

    incident_confirm(w.incident, actor=w.user)
    path, data = _portal_control("incidents:reopen")[1](c, w)
    return path, data


CONTROLS["incidents:reopen"] = ("user", _reopen_closed)


def _product_change(c, w):
    product = w.incident.product
    return f"/admin/incidents/product/{product.pk}/change/", {
        "name": "Renamed by the desk",
        "current_version": product.current_version,
        "is_active": "on",
    }


def _unused_product():
    return ProductFactory(name="Never used")


def _waiting_request(w):
    return AccountRequest.objects.create(
        practice=w.practice,
        full_name="Jamie Fox",
        email="jamie.fox@riverside.example",
        phone="01632 960777",
        job_role="Receptionist",
    )


# Admin: one control for each kind of change admin offers (add, change, delete, a changelist action, a
# lifecycle action, purges, reading remote-access details, deciding an account request, passwords).
ADMIN_CONTROLS = {
    "admin:incidents_product_add": lambda c, w: (
        "/admin/incidents/product/add/",
        {"name": "Brand new product", "current_version": "1.0", "is_active": "on"},
    ),
    "admin:incidents_product_change": _product_change,
    "admin:incidents_product_delete": lambda c, w: (
        f"/admin/incidents/product/{_unused_product().pk}/delete/",
        {"post": "yes"},
    ),
    "admin:incidents_incident_changelist": lambda c, w: (
        "/admin/incidents/incident/",
        {"action": "assign_to_me", "_selected_action": [w.incident.pk]},
    ),
    "admin:incidents_incident_action": lambda c, w: (
        f"/admin/incidents/incident/{w.incident.pk}/act/note/",
        {"text": "Desk note", "public": "on"},
    ),
    "admin:incidents_incident_purge_event": lambda c, w: (
        f"/admin/incidents/incident/{w.incident.pk}/purge-event/{w.note.pk}/",
        {"reason": "Named a patient"},
    ),
    "admin:incidents_incident_purge_attachment": lambda c, w: (
        f"/admin/incidents/incident/{w.incident.pk}/purge-attachment/{w.attachment.pk}/",
        {"reason": "Named a patient"},
    ),
    "admin:incidents_incident_remote_access": lambda c, w: (
        f"/admin/incidents/incident/{w.incident.pk}/remote-access/",
        {},
    ),
    "admin:accounts_accountrequest_changelist": lambda c, w: (
        "/admin/accounts/accountrequest/",
        {"action": "approve", "_selected_action": [_waiting_request(w).pk]},
    ),
    "admin:accounts_accountrequest_approve": lambda c, w: (
        f"/admin/accounts/accountrequest/{_waiting_request(w).pk}/approve/",
        {},
    ),
    "admin:accounts_accountrequest_reject": lambda c, w: (
        f"/admin/accounts/accountrequest/{_waiting_request(w).pk}/reject/",
        {"reason": "Not on the practice's staff list"},
    ),
    "admin:auth_user_password_change": lambda c, w: (
        f"/admin/accounts/user/{w.user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    ),
    "admin:password_change": lambda c, w: (
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    ),
}


def test_every_state_changing_portal_endpoint_has_a_control():
    changing = {route.name for route in ROUTES if not route.admin and spec(route).changes}

    assert changing <= set(CONTROLS)
    assert {route.name for route in ROUTES} >= set(ADMIN_CONTROLS)
    admin_post_only = {route.name for route in ROUTES if route.admin and spec(route).post_only}
    assert admin_post_only <= set(ADMIN_CONTROLS)


def _who(name, world, request):
    if name == "leader":
        return request.getfixturevalue("leader")
    return {None: None, "user": world.user, "agent": world.agent}[name]


def _changed(before, client, signed_in_as):
    return changes_between(before, database_state()) or _signed_in_user_id(client) != signed_in_as


@pytest.mark.parametrize("name", sorted(CONTROLS), ids=str)
def test_a_portal_post_changes_something_only_with_the_csrf_token(
    csrf_client, world, request, name, django_capture_on_commit_callbacks
):
    who, build = CONTROLS[name]
    client = _signed_in(csrf_client, _who(who, world, request))
    path, data = build(client, world)
    token = csrf_token(client)
    signed_in_as = _signed_in_user_id(client)
    before = database_state()

    with django_capture_on_commit_callbacks(execute=True):  # emails go once the work commits
        refused = client.post(path, data)
    unchanged = not _changed(before, client, signed_in_as)
    for value in data.values():  # a file posted once is read to its end: send it whole again
        if hasattr(value, "seek"):
            value.seek(0)
    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post(path, {**data, "csrfmiddlewaretoken": token})

    assert refused.status_code == 403
    assert "This form has expired" in page_text(refused)
    assert unchanged
    assert accepted.status_code in (200, 302, 303)  # 303 See Other: knowledge:suggestion_open
    assert _changed(before, client, signed_in_as)


@pytest.mark.parametrize("name", sorted(ADMIN_CONTROLS), ids=str)
def test_an_admin_post_changes_something_only_with_the_csrf_token(
    csrf_client, world, superuser, request, name
):
    client = _signed_in(csrf_client, superuser)
    path, data = ADMIN_CONTROLS[name](client, world)
    token = csrf_token(client, "/admin/")
    before = database_state()

    refused = client.post(path, data)
    after_refusal = database_state()
    accepted = client.post(path, {**data, "csrfmiddlewaretoken": token})

    assert refused.status_code == 403
    assert "This form has expired" in page_text(refused)
    assert changes_between(before, after_refusal) == []
    assert accepted.status_code in (200, 302)
    assert changes_between(before, database_state()) != []


def test_a_token_from_another_session_is_refused(csrf_client, world):
    attacker = Client(enforce_csrf_checks=True)
    attackers_token = csrf_token(attacker, "/accounts/login/")
    csrf_token(_signed_in(csrf_client, world.user))  # the victim's own cookie
    before = database_state()

    response = csrf_client.post(
        f"{world.incident.get_absolute_url()}close/",
        {"close-reason": "Forged", "csrfmiddlewaretoken": attackers_token},
    )

    assert response.status_code == 403
    assert changes_between(before, database_state()) == []


def test_a_post_from_another_origin_is_refused_even_with_a_token(csrf_client, world):
    """A browser sends Origin with a cross-site POST; Django refuses one that is not the portal's."""
    _signed_in(csrf_client, world.user)
    token = csrf_token(csrf_client)
    before = database_state()

    response = csrf_client.post(
        f"{world.incident.get_absolute_url()}close/",
        {"close-reason": "Forged", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://evil.example",
    )

    assert response.status_code == 403
    assert changes_between(before, database_state()) == []


def test_a_post_from_the_portals_own_origin_is_accepted(csrf_client, world):
    """The control for the above."""
    _signed_in(csrf_client, world.user)
    token = csrf_token(csrf_client)

    response = csrf_client.post(
        f"{world.incident.get_absolute_url()}close/",
        {"close-reason": "No longer needed", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="http://testserver",
    )

    assert response.status_code == 302
    world.incident.refresh_from_db()
    assert world.incident.status == "closed"


# --- GET changes nothing --------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_a_get_changes_nothing_even_with_the_posts_fields_in_the_query_string(world, request, route):
    client = _signed_in(Client(), _actor(route, world, request))
    if route.name == "two_factor":
        client.force_login(world.agent)  # the page is for staff (enrolled); a practice user is sent home
    path = path_for(route, world)
    query = urlencode(post_data(route, world), doseq=True)
    signed_in_as = _signed_in_user_id(client)
    before = database_state()

    response = client.get(f"{path}?{query}" if query else path)

    if spec(route).post_only:
        assert response.status_code == 405
    assert response.status_code < 500
    page_text(response)  # read a streamed answer to the end: its queries run as it is read
    assert changes_between(before, database_state()) == []
    assert _signed_in_user_id(client) == signed_in_as


def test_the_two_factor_page_by_get_stores_no_device(client, agent):
    """The secret offered for enrolment lives in the session until a posted code confirms it: however often
    the page is fetched, no device is stored."""
    client.force_login(agent)

    client.get("/accounts/two-factor/")
    client.get("/accounts/two-factor/")

    assert not TOTPDevice.objects.filter(user=agent).exists()


def test_a_valid_one_time_code_in_a_get_does_not_pass_the_second_factor(client, world):
    client.force_login(world.agent)
    device = TOTPDevice.objects.get(user=world.agent)
    code = totp(unhexlify(device.key), step=device.step, t0=device.t0, digits=device.digits)
    before = database_state()

    response = client.get("/accounts/two-factor/", {"code": f"{code:06d}"})

    assert response.status_code == 200  # the form, asking for the code
    assert changes_between(before, database_state()) == []
    assert "otp_device_id" not in client.session  # django-otp's mark of a passed second factor


def test_admin_changelist_actions_do_not_run_by_get(client, world, agent):
    client.force_login(agent)
    before = database_state()

    response = client.get(
        "/admin/incidents/incident/", {"action": "assign_to_me", "_selected_action": world.incident.pk}
    )

    assert response.status_code in (200, 302, 400)  # 400: the list offers no filter by these
    assert changes_between(before, database_state()) == []


def test_reading_remote_access_details_by_get_shows_and_records_nothing(client, world, team_leader):
    client.force_login(team_leader)

    response = client.get(f"/admin/incidents/incident/{world.incident.pk}/remote-access/")

    assert response.status_code == 200
    assert world.secrets[4] not in page_text(response)
    assert not TimelineEvent.objects.filter(kind=TimelineEvent.Kind.REMOTE_ACCESS_VIEWED).exists()


def test_nothing_is_logged_deleted_or_answered_by_get(client, world, superuser):
    """Spot checks of the sweep in words: the common forgeries by link or image tag."""
    client.force_login(world.user)
    client.get("/incidents/new/", {"summary": "Forged by a link", "product": world.incident.product_id})
    client.get(f"{world.incident.get_absolute_url()}confirm/")
    client.get("/accounts/logout/")
    still_signed_in = client.get("/incidents/").status_code
    Client().get(f"/surveys/{world.invitation.token}/", {"question_1": "1"})
    client.force_login(superuser)
    client.get(f"/admin/incidents/product/{world.incident.product_id}/delete/", {"post": "yes"})

    assert still_signed_in == 200
    assert not Incident.objects.filter(summary="Forged by a link").exists()
    assert Incident.objects.get(pk=world.incident.pk).status == "resolved"
    assert not Response.objects.exists()
    assert Product.objects.filter(pk=world.incident.product_id).exists()
    assert get_user_model().objects.get(pk=world.user.pk).check_password(PASSWORD)
