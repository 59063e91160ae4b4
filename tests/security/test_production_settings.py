"""Production settings: guards against a deployment that serves pages over plain HTTP, lets other sites
frame or script the portal, leaks addresses in referrers, or hands out cookies scripts or HTTP can read.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def production_env(**extra):
    test_only = {"DEBUG", "SECURE_SSL_REDIRECT", "ADMIN_REQUIRE_2FA"}  # pytest-env's plain-HTTP overrides
    env = {key: value for key, value in os.environ.items() if key not in test_only}
    env.update(
        DJANGO_SETTINGS_MODULE="servicedesk.settings",
        SECRET_KEY="p" + Fernet.generate_key().decode() * 2,
        ALLOWED_HOSTS="servicedesk.example.org",
        SITE_URL="https://servicedesk.example.org",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        CACHE_URL="redis://127.0.0.1:6379/1",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    env.update(extra)
    return env


def deploy_check(env):
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.subprocess
def test_production_settings_pass_the_deployment_checks_at_warning_level():
    result = deploy_check(production_env())

    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("change", "warning"),
    [
        ({"CACHE_URL": ""}, "servicedesk.W001"),  # rate limits counted per worker
        ({"ADMIN_REQUIRE_2FA": "0"}, "servicedesk.W002"),  # staff without a second factor
        ({"CELERY_BROKER_URL": ""}, "servicedesk.W003"),  # emails sent in requests, outbox never flushed
    ],
    ids=["cache-not-shared", "no-second-factor", "no-broker"],
)
def test_the_deployment_check_flags_a_production_set_up_that_falls_short(change, warning):
    result = deploy_check(production_env(**change))

    assert result.returncode != 0
    assert warning in result.stderr + result.stdout


def test_health_probes_over_plain_http_are_not_redirected(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200


def test_plain_http_is_redirected_to_https(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/accounts/login/")

    assert response.status_code == 301
    assert response.url == "https://testserver/accounts/login/"


def test_pages_carry_hsts_csp_referrer_and_framing_headers(client, db):
    response = client.get("/accounts/login/", secure=True)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_portal_pages_have_no_inline_script_or_style_the_policy_would_block(user_client, incident):
    for path in ["/incidents/", "/incidents/new/", f"/incidents/{incident.reference}/", "/contact/"]:
        body = user_client.get(path, secure=True).content.decode()
        assert "<script>" not in body and '<script type="text/javascript">' not in body, path
        assert " style=" not in body, path
        assert " onclick=" not in body and " onload=" not in body, path


def test_session_and_csrf_cookies_are_secure_and_the_session_cookie_is_not_for_scripts(
    client, practice_user, password
):
    secure = True
    form = client.get("/accounts/login/", secure=secure)
    csrf = form.cookies["csrftoken"]
    assert csrf["secure"]

    response = client.post(
        "/accounts/login/", {"username": practice_user.email, "password": password}, secure=secure
    )

    session = response.cookies["sessionid"]
    assert response.status_code == 302
    assert session["secure"] and session["httponly"]
    assert session["samesite"] == "Lax"
    assert not session["max-age"] and not session["expires"]  # ends when the browser closes (shared PCs)
