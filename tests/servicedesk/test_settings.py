"""A bad value in the environment stops start-up with a message that names the variable.

Settings are read once per process, so each configuration starts Django in a fresh interpreter.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.subprocess  # each test starts a fresh interpreter

# Variables the settings read; they are cleared so that the test's own environment cannot leak in.
SETTINGS_VARIABLES = (
    "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "SITE_URL",
    "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS", "STATIC_ROOT", "MEDIA_ROOT", "LOG_LEVEL",
    "SERVICE_DESK_ALERT_EMAILS", "INCIDENT_REFERENCE_PREFIX", "FIELD_ENCRYPTION_KEYS",
)  # fmt: skip


def start_django(**overrides):
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="servicedesk.settings",
        SECRET_KEY="settings-test-key",
        ALLOWED_HOSTS="servicedesk.example.org",
        SITE_URL="https://servicedesk.example.org",
        FIELD_ENCRYPTION_KEYS="c2V0dGluZ3MtdGVzdC1maWVsZC1lbmNyeXB0aW9uLWs=",
    )
    env.update(overrides)
    env = {key: value for key, value in env.items() if value is not None}
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("variable", "environment"),
    [
        ("DEBUG", {"DEBUG": "maybe"}),
        ("DATABASE_URL", {"DATABASE_URL": "nonsense://x"}),
        ("CELERY_BROKER_URL", {"CELERY_BROKER_URL": "http://x"}),
        ("EMAIL_PORT", {"EMAIL_HOST": "smtp.example.org", "EMAIL_PORT": "abc"}),
        ("EMAIL_PORT", {"EMAIL_PORT": "abc"}),
        ("EMAIL_USE_TLS", {"EMAIL_USE_TLS": "maybe"}),
        ("DATABASE_URL", {"DATABASE_URL": "postgres://127.0.0.1:5432"}),
        ("SITE_URL", {"SITE_URL": "ftp://x"}),
        ("SECRET_KEY", {"SECRET_KEY": None, "DEBUG": "0"}),
        ("ALLOWED_HOSTS", {"ALLOWED_HOSTS": None, "DEBUG": "0"}),
        ("SITE_URL", {"SITE_URL": None, "DEBUG": "0"}),
        ("FIELD_ENCRYPTION_KEYS", {"FIELD_ENCRYPTION_KEYS": None, "DEBUG": "0"}),
        ("FIELD_ENCRYPTION_KEYS", {"FIELD_ENCRYPTION_KEYS": "not-a-key"}),
        ("LOG_LEVEL", {"LOG_LEVEL": "loud"}),
        ("SERVICE_DESK_ALERT_EMAILS", {"SERVICE_DESK_ALERT_EMAILS": "desk@example.org,not-an-address"}),
        ("INCIDENT_REFERENCE_PREFIX", {"INCIDENT_REFERENCE_PREFIX": "pc"}),
        ("INCIDENT_REFERENCE_PREFIX", {"INCIDENT_REFERENCE_PREFIX": "P/C"}),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(variable, environment):
    result = start_django(**environment)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("variable", "says"),
    [("SITE_URL", "https://servicedesk.example.org"), ("FIELD_ENCRYPTION_KEYS", "Fernet keys")],
)
def test_a_missing_production_value_says_what_to_set(variable, says):
    result = start_django(**{variable: None, "DEBUG": "0"})

    assert says in result.stderr.strip().splitlines()[-1]


def test_a_good_production_configuration_starts_cleanly():
    result = start_django(
        DEBUG="0",
        SECRET_KEY="a-long-production-secret",
        ALLOWED_HOSTS="servicedesk.example.org",
        DATABASE_URL="postgres://portal@db.example.org:5432/servicedesk",
        CELERY_BROKER_URL="redis://redis.example.org:6379/0",
        EMAIL_HOST="smtp.example.org",
        EMAIL_PORT="587",
        SITE_URL="https://servicedesk.example.org",
        FIELD_ENCRYPTION_KEYS="c2V0dGluZ3MtdGVzdC1maWVsZC1lbmNyeXB0aW9uLWs=",
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_a_blank_variable_means_its_default_not_the_current_directory():
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.STATIC_ROOT, settings.MEDIA_ROOT)",
        ],
        cwd=PROJECT_ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "servicedesk.settings",
            "SECRET_KEY": "k",
            "STATIC_ROOT": "",
            "MEDIA_ROOT": " ",
        },  # fmt: skip
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.split() == [str(PROJECT_ROOT / "staticfiles"), str(PROJECT_ROOT / "media")]
