"""Open redirect: a link to the portal carrying `next=` (or a path) that points elsewhere must not send a
user who signs in, signs out or confirms a second factor to another site, where a look-alike page could
ask for their password again. Every redirect after such a step goes to a path on the portal itself.
"""

import re
from binascii import unhexlify
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from incidents.models import Incident
from tests.conftest import login
from tests.factories import PASSWORD

# Each one, followed by a browser, leaves the portal (or runs script).
OFF_SITE = [
    "//evil.example",
    "///evil.example",
    "////evil.example/incidents/",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "https://evil.example",
    "http://evil.example/incidents/",
    "HTTPS://evil.example",
    "https:evil.example",
    "http:/evil.example",
    "http:\\\\evil.example",
    "//testserver@evil.example",
    "https://testserver.evil.example/",
    "https://evil.example\\@testserver",
    " //evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "//evil%2Eexample",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://evil.example",
]


def _as_a_browser_reads_it(location):
    """Browsers drop tabs and newlines, strip leading spaces and control characters, and read a backslash
    as a slash."""
    location = re.sub(r"[\t\n\r]", "", location).lstrip("".join(map(chr, range(0x21))))
    return location.replace("\\", "/")


def assert_stays_on_the_portal(response):
    """A path on the portal, or an absolute address of the portal itself (the host the test asked)."""
    assert response.status_code == 302
    seen = _as_a_browser_reads_it(response["Location"])
    parts = urlsplit(seen)
    if parts.netloc or parts.scheme:
        assert (parts.scheme, parts.netloc) in {("http", "testserver"), ("https", "testserver")}, seen
    else:
        assert seen.startswith("/") and not seen.startswith("//"), f"redirects off the portal: {seen!r}"


def _sign_in(client, user, next_url, path="/accounts/login/"):
    return client.post(path, {"username": user.email, "password": PASSWORD, "next": next_url})


@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_in_never_leaves_the_portal(client, practice_user, target):
    response = _sign_in(client, practice_user, target)

    assert_stays_on_the_portal(response)
    assert response["Location"] == "/incidents/"
    assert client.session.get("_auth_user_id") == str(practice_user.pk)  # signed in all the same


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_sign_in_page_of_a_signed_in_user_never_leaves_the_portal(client, practice_user, target):
    login(client, practice_user)

    response = client.get("/accounts/login/", {"next": target})

    assert_stays_on_the_portal(response)
    assert response["Location"] == "/incidents/"


def test_a_next_encoded_once_more_is_read_as_the_same_off_site_address(client, practice_user):
    """?next=%2F%2Fevil.example arrives as //evil.example, and is refused like it."""
    response = client.post(
        "/accounts/login/?next=%2F%2Fevil.example", {"username": practice_user.email, "password": PASSWORD}
    )

    assert_stays_on_the_portal(response)
    assert response["Location"] == "/incidents/"


def test_percent_encoded_slashes_stay_a_path_on_the_portal(client, practice_user):
    """/%2F%2Fevil.example is a (missing) page of the portal: a browser does not decode %2F into a slash
    that would start a host name."""
    response = _sign_in(client, practice_user, "/%2F%2Fevil.example")

    assert_stays_on_the_portal(response)


def test_a_next_on_the_portal_is_followed(client, practice_user):
    """The control: a local next works, so the refusals above are not a next that is always ignored."""
    response = _sign_in(client, practice_user, "/incidents/new/?severity=2")

    assert response["Location"] == "/incidents/new/?severity=2"


@pytest.mark.parametrize("target", OFF_SITE)
def test_admin_sign_in_never_leaves_the_portal(client, agent, target):
    response = _sign_in(client, agent, target, path="/admin/login/")

    assert_stays_on_the_portal(response)
    # Django's LOGIN_REDIRECT_URL: a page that points staff on to admin (admin's own default would be
    # kinder, but this is on the portal, which is what matters here).
    assert response["Location"] == "/incidents/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_out_never_leaves_the_portal(client, practice_user, target):
    login(client, practice_user)

    response = client.post("/accounts/logout/", {"next": target})

    assert_stays_on_the_portal(response)
    assert response["Location"] == "/accounts/signed-out/"
    assert "_auth_user_id" not in client.session


def test_signing_out_with_a_next_in_the_query_string_never_leaves_the_portal(client, practice_user):
    login(client, practice_user)

    response = client.post("/accounts/logout/?next=//evil.example")

    assert response["Location"] == "/accounts/signed-out/"


@pytest.fixture
def enrolled_agent(agent):
    device = TOTPDevice.objects.create(user=agent, name="Phone", confirmed=True)
    return agent, device


def _code(device):
    return f"{totp(unhexlify(device.key), step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https://evil.example"])
def test_confirming_the_second_factor_never_leaves_the_portal(client, enrolled_agent, target):
    agent, device = enrolled_agent
    login(client, agent)

    response = client.post("/accounts/two-factor/", {"code": _code(device), "next": target})

    assert_stays_on_the_portal(response)
    assert response["Location"] == "/"  # home, which sends an agent to admin


def test_confirming_the_second_factor_returns_to_the_page_that_asked(client, enrolled_agent):
    """The control for the above."""
    agent, device = enrolled_agent
    login(client, agent)

    response = client.post(
        "/accounts/two-factor/", {"code": _code(device), "next": "/admin/incidents/incident/"}
    )

    assert response["Location"] == "/admin/incidents/incident/"


def test_a_practice_user_on_the_second_factor_page_goes_home_whatever_next_says(client, practice_user):
    login(client, practice_user)

    response = client.get("/accounts/two-factor/", {"next": "//evil.example"})

    assert_stays_on_the_portal(response)
    assert response["Location"] == "/"


def test_asking_for_a_reset_link_goes_to_the_check_your_email_page_whatever_next_says(client, practice_user):
    response = client.post(
        "/accounts/password_reset/", {"email": practice_user.email, "next": "//evil.example"}
    )

    assert response["Location"] == "/accounts/password_reset/done/"


@pytest.mark.parametrize("link", ["set-password", "reset"])
def test_setting_a_password_from_the_emailed_link_ends_on_the_portal(client, practice_user, link):
    uid = urlsafe_base64_encode(force_bytes(practice_user.pk))
    token = default_token_generator.make_token(practice_user)
    form = client.get(f"/accounts/{link}/{uid}/{token}/?next=//evil.example")

    response = client.post(
        f"{form.url}?next=//evil.example",
        {"new_password1": "Brand-new-9!pass", "new_password2": "Brand-new-9!pass", "next": "//evil.example"},
    )

    assert_stays_on_the_portal(response)
    assert response["Location"] in ("/accounts/login/", "/accounts/reset/done/")


def test_changing_ones_password_ends_on_the_portal(client, practice_user):
    login(client, practice_user)

    response = client.post(
        "/accounts/password_change/?next=//evil.example",
        {"old_password": PASSWORD, "new_password1": "Brand-new-9!pass", "new_password2": "Brand-new-9!pass"},
    )

    assert response["Location"] == "/accounts/password_change/done/"


def test_admins_view_on_site_link_opens_the_incident_on_the_portal(client, agent, incident):
    login(client, agent)
    content_type = ContentType.objects.get_for_model(Incident)

    response = client.get(f"/admin/r/{content_type.pk}/{incident.pk}/")

    assert_stays_on_the_portal(response)
    assert urlsplit(response["Location"]).path == incident.get_absolute_url()


@pytest.mark.parametrize("path", ["//evil.example", "//evil.example/", "/\\evil.example", "//incidents"])
def test_a_path_starting_with_two_slashes_is_not_redirected_off_the_portal(client, practice_user, path):
    """Adding a missing slash (APPEND_SLASH) to //evil.example must not produce the address
    //evil.example/, which a browser reads as another host."""
    login(client, practice_user)

    response = client.get("/", PATH_INFO=path)

    if response.status_code in (301, 302):
        seen = _as_a_browser_reads_it(response["Location"])
        assert not urlsplit(seen).netloc and not seen.startswith("//")
    else:
        assert response.status_code == 404
