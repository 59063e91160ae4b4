"""Production settings: guards against a deployment that serves pages over plain HTTP, lets other sites
frame or script the portal, leaks addresses in referrers, or hands out cookies scripts or HTTP can read.
"""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def production_env(**extra):
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "SECURE_SSL_REDIRECT"}}
    env.update(
        DJANGO_SETTINGS_MODULE="servicedesk.settings",
        SECRET_KEY="p" + Fernet.generate_key().decode() * 2,
        ALLOWED_HOSTS="servicedesk.example.org",
        SITE_URL="https://servicedesk.example.org",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        CACHE_URL="redis://127.0.0.1:6379/1",
        ADMIN_REQUIRE_2FA="",
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


def test_production_settings_pass_the_deployment_checks_at_warning_level():
    result = deploy_check(production_env())

    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_the_deployment_check_flags_a_cache_that_workers_do_not_share():
    result = deploy_check(production_env(CACHE_URL=""))

    assert result.returncode != 0
    assert "servicedesk.W001" in result.stderr + result.stdout


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
    assert int(session["max-age"]) <= 8 * 3600
