"""Staff confirm a one-time code before admin, the escalation queues or survey results (production)."""

import re
from base64 import b32decode
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import login

TWO_FACTOR = "/accounts/two-factor/"


@pytest.fixture(autouse=True)
def _second_factor_on(settings):
    settings.ADMIN_REQUIRE_2FA = True


def code_for(device):
    return app_code(device.bin_key)


def app_code(key):
    """What an authenticator app holding `key` shows now."""
    return f"{TOTP(key).token():06d}"


def key_shown(page):
    """The key the set-up page shows for typing into the app."""
    return re.search(r"Key: <code[^>]*>([A-Z2-7]+)</code>", page.content.decode()).group(1)


def enrol(client, nxt="/admin/"):
    """Open the set-up page, read the key as the app would, and confirm the app's code."""
    page = client.get(TWO_FACTOR, {"next": nxt})
    assert page.status_code == 200
    secret = key_shown(page)
    done = client.post(TWO_FACTOR, {"code": app_code(b32decode(secret)), "next": nxt})
    return TOTPDevice.objects.filter(user=page.wsgi_request.user).first(), secret, done


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/incidents/incident/", "/escalations/", "/surveys/results/"]
)
def test_staff_without_a_second_factor_are_sent_to_set_one_up(client, team_leader, path):
    response = login(client, team_leader).get(path)

    assert response.status_code == 302
    assert response.url.startswith(TWO_FACTOR)
    assert "next=" + path.replace("/", "%2F") in response.url


def test_a_change_posted_to_admin_before_the_second_factor_is_not_made(client, agent, incident):
    response = login(client, agent).post(
        f"/admin/incidents/incident/{incident.pk}/action/verify/", {"note": "Checked."}
    )

    assert response.status_code == 302 and response.url.startswith(TWO_FACTOR)
    incident.refresh_from_db()
    assert incident.status == "logged"


def test_enrolling_shows_a_qr_code_and_key_then_backup_codes_and_opens_admin(
    client, agent, mailoutbox, django_capture_on_commit_callbacks
):
    login(client, agent)
    page = client.get(TWO_FACTOR, {"next": "/admin/"})
    body = page.content.decode()
    assert 'src="data:image/svg+xml' in body and "authenticator app" in body
    assert not TOTPDevice.objects.filter(user=agent).exists()  # nothing kept until a code confirms it

    with django_capture_on_commit_callbacks(execute=True):
        device, secret, done = enrol(client)

    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", done.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200
    assert len(secret) >= 32  # 160-bit key, base32
    assert [m.to for m in mailoutbox] == [[agent.email]]  # told, in case it was not them
    assert "second factor was set up" in mailoutbox[0].subject


def test_someone_else_signing_in_with_the_password_during_set_up_gets_another_key(client, agent):
    """A stolen password must not let someone copy the key the real user is about to enrol."""
    first = key_shown(login(client, agent).get(TWO_FACTOR))
    other = Client()
    second = key_shown(login(other, agent).get(TWO_FACTOR))
    client.post(TWO_FACTOR, {"code": app_code(b32decode(first))})

    response = other.post(TWO_FACTOR, {"code": app_code(b32decode(second))})

    assert first != second
    assert response.status_code == 400  # the key the other session saw was never stored
    assert TOTPDevice.objects.get(user=agent).bin_key == b32decode(first)


def test_a_reload_during_set_up_keeps_the_same_key(client, agent):
    login(client, agent)

    assert key_shown(client.get(TWO_FACTOR)) == key_shown(client.get(TWO_FACTOR))


def test_a_wrong_code_is_refused_with_advice_and_admin_stays_closed(client, agent):
    login(client, agent)
    device = TOTPDevice.objects.create(user=agent, name="Authenticator app", confirmed=True)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"

    response = client.post(TWO_FACTOR, {"code": wrong, "next": "/admin/"})

    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert client.get("/admin/").url.startswith(TWO_FACTOR)


@pytest.mark.parametrize("enrolled", [False, True])
def test_a_code_of_digits_that_are_not_0_to_9_is_refused_not_an_error(client, agent, enrolled):
    """ "²²²²²²" is six digits to str.isdigit() but no number to int(): once a 500 while setting up."""
    login(client, agent)
    if enrolled:
        TOTPDevice.objects.create(user=agent, name="Authenticator app", confirmed=True)
    else:
        client.get(TWO_FACTOR)  # the set-up page: an enrolment key for this session

    response = client.post(TWO_FACTOR, {"code": "²²²²²²", "next": "/admin/"})

    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert client.get("/admin/").url.startswith(TWO_FACTOR)


def test_repeated_wrong_codes_are_throttled_even_before_a_right_one(client, agent):
    login(client, agent)
    device = TOTPDevice.objects.create(user=agent, name="Authenticator app", confirmed=True)
    right = code_for(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(3):
        client.post(TWO_FACTOR, {"code": wrong})

    response = client.post(TWO_FACTOR, {"code": right})

    assert response.status_code == 400
    assert "Too many wrong codes" in response.content.decode()


def test_at_the_next_sign_in_the_app_code_is_asked_for_not_a_new_set_up(client, agent):
    login(client, agent)
    device, _, _ = enrol(client)
    client.post("/accounts/logout/")
    login(client, agent)

    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        page = client.get(TWO_FACTOR, {"next": "/escalations/"})
        assert "Enter your code" in page.content.decode() and "Key:" not in page.content.decode()
        response = client.post(TWO_FACTOR, {"code": code_for(device), "next": "/admin/"})

    assert response.status_code == 302 and response.url == "/admin/"


def test_a_backup_code_works_once(client, agent):
    login(client, agent)
    _, _, done = enrol(client)
    backup = re.findall(r"<li>([a-z0-9]{8})</li>", done.content.decode())[0]
    client.post("/accounts/logout/")

    login(client, agent)
    assert client.post(TWO_FACTOR, {"code": backup}).status_code == 302
    client.post("/accounts/logout/")
    login(client, agent)
    assert client.post(TWO_FACTOR, {"code": backup}).status_code == 400
    assert StaticToken.objects.filter(token=backup).count() == 0


def test_next_never_leads_off_the_site(client, agent):
    login(client, agent)
    device = TOTPDevice.objects.create(user=agent, name="Authenticator app", confirmed=True)

    response = client.post(TWO_FACTOR, {"code": code_for(device), "next": "//evil.example/admin/"})

    assert response.status_code == 302 and response.url == "/"  # home, which sends an agent to admin
    assert client.get("/").url == "/admin/"


def test_practice_staff_never_see_the_second_factor(client, practice_user, incident):
    response = login(client, practice_user).get("/incidents/")

    assert response.status_code == 200
    assert client.get(TWO_FACTOR).url == "/"


def test_without_the_setting_staff_go_straight_to_admin(client, agent, settings):
    settings.ADMIN_REQUIRE_2FA = False

    assert login(client, agent).get("/admin/").status_code == 200
