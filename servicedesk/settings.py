"""Settings for the Primary Care Service Desk, read from the environment (README.md: Configuration).

The defaults give the embedded set-up: SQLite, Celery tasks run eagerly, email printed to the console. A
value that cannot be understood stops start-up with a message naming the variable.
"""

import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from cryptography.fernet import Fernet
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name, default=""):
    return os.environ.get(name, "").strip() or default


def env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}.")


def env_int(name, default, minimum=0):
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}.")
    return value


def env_list(name, default=()):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_emails(name, default=()):
    values = env_list(name, default)
    for value in values:
        try:
            validate_email(value)
        except ValidationError:
            raise ImproperlyConfigured(
                f"{name} must be a comma-separated list of email addresses; got {value!r}."
            ) from None
    return values


def env_url(name, default="", schemes=()):
    value = env_str(name, default)
    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme not in schemes or not (parts.netloc or parts.path):
        raise ImproperlyConfigured(f"{name} must be a URL starting {' or '.join(schemes)}; got {value!r}.")
    return value


def required(name, value, what):
    """`value`, which must not be empty: with DEBUG off these settings have no default."""
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DEBUG is off: {what}.")
    return value


def env_matching(name, default, pattern, expected):
    value = env_str(name, default)
    if not re.fullmatch(pattern, value):
        raise ImproperlyConfigured(f"{name} must be {expected}; got {value!r}.")
    return value


def env_rate(name, default):
    return env_matching(name, default, r"[1-9]\d*/[smhd]", "like 10/h (a number, then /s, /m, /h or /d)")


DEBUG = env_bool("DEBUG", False)

_DEBUG_SECRET_KEY = "insecure-local-development-key-only-used-with-debug-on"  # noqa: S105
SECRET_KEY = required(
    "SECRET_KEY", env_str("SECRET_KEY", _DEBUG_SECRET_KEY if DEBUG else ""), "a long random string"
)
ALLOWED_HOSTS = required(
    "ALLOWED_HOSTS",
    env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else []),
    "the portal's host names, comma-separated",
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Absolute address of the portal, for links in emails sent by background tasks.
_site_url = env_url("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "", schemes=("http", "https"))
SITE_URL = required(
    "SITE_URL", _site_url.rstrip("/"), "the portal's address, e.g. https://servicedesk.example.org"
)

INSTALLED_APPS = [
    "servicedesk.admin_site.ServiceDeskAdminConfig",  # django.contrib.admin, with the site's names
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",  # Django's form and widget templates, for FORM_RENDERER below
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "incidents",
    "escalation",
    "surveys",
    "inbound",
    "knowledge",
    "servicedesk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, already compressed: answered here
    # Pages compressed (a third to a fifth of their size). Django's own, with its BREACH mitigation (a random
    # number of bytes in each gzip header) on top of the masked CSRF token.
    "django.middleware.gzip.GZipMiddleware",
    "servicedesk.lib.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",  # reads the body only in process_view, after the size check
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before anything reads the body: the limit depends on whether the user is signed in.
    "servicedesk.lib.middleware.RequestSizeLimitMiddleware",
    "servicedesk.lib.middleware.RefuseNulMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "servicedesk.lib.middleware.IdleSessionTimeoutMiddleware",
    "servicedesk.lib.middleware.BackToTheFormAfterSignInMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "servicedesk.lib.middleware.StaffSecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "servicedesk.urls"
WSGI_APPLICATION = "servicedesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "servicedesk.lib.context_processors.service_desk",
            ],
        },
    },
]

# Forms render through the project's template engine, so a field can use templates/snippets/field.html.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database -------------------------------------------------------------------------------------
_database_url = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
try:
    # Connections are kept between requests in production (checked before reuse), not with DEBUG's runserver.
    _default_db = dj_database_url.parse(
        _database_url,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0 if DEBUG else 600),
        conn_health_checks=True,
    )
except (ValueError, KeyError) as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL Django understands: {exc}") from None
if not _default_db.get("ENGINE"):
    raise ImproperlyConfigured(f"DATABASE_URL has an unknown scheme: {_database_url!r}.")
if not _default_db.get("NAME"):
    raise ImproperlyConfigured(f"DATABASE_URL names no database: {_database_url!r}.")
DATABASES = {"default": _default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------------
# Sessions (read through to the database) and rate-limit counts, shared through Redis in production. A Redis
# that is down or hangs reads as misses within a second: the portal works on without it, slower.
_cache_url = env_url("CACHE_URL", "", schemes=("redis", "rediss"))
if _cache_url:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": _cache_url,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1, "IGNORE_EXCEPTIONS": True},
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "servicedesk"),  # environments sharing a Redis
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Accounts and authentication ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.PracticeModelBackend",  # ModelBackend, with the practice loaded alongside
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "full_name", "phone")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.HandbookPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "incidents:list"
LOGOUT_REDIRECT_URL = "signed_out"
# A set-password link from an approval email stays valid for three days and works once.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600, minimum=600)

# Failed sign-ins per email and address (django-axes, with accounts.throttling; see the README).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The login form's field is called "username" even though it holds the email address.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.throttling.axes_username"
AXES_HANDLER = "accounts.throttling.LoginThrottleHandler"
AXES_LOCKOUT_CALLABLE = "accounts.throttling.lockout_response"
AXES_RESET_ON_SUCCESS = True
# A sign-in refused during a lockout or a pause is no failure: else every refusal would stretch the lockout.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Failures per client address across all emails (credential stuffing). A practice shares one address: twenty
# people at the edge of their lockouts stay under 100; above AXES_FAILURE_LIMIT, or one's typos pause all.
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 100, minimum=AXES_FAILURE_LIMIT + 1)
AXES_VERBOSE = False
# Behind a reverse proxy, set AXES_IPWARE_META_PRECEDENCE_ORDER, or the proxy's address is counted.

# Requests that email whoever is named: per client address (flooding) and email address (mail bombing).
REGISTRATION_RATE_LIMIT = env_rate("REGISTRATION_RATE_LIMIT", "10/h")
PASSWORD_RESET_RATE_LIMIT = env_rate("PASSWORD_RESET_RATE_LIMIT", "20/h")
PASSWORD_RESET_EMAIL_RATE_LIMIT = env_rate("PASSWORD_RESET_EMAIL_RATE_LIMIT", "3/h")

# Behind a proxy that terminates TLS and sets X-Forwarded-Proto (set BEHIND_TLS_PROXY=1 only then).
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Fernet keys for remote-access details at rest; the first encrypts, all decrypt. Generate one with
# `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
_DEBUG_FIELD_KEYS = ["bG9jYWwtZGV2ZWxvcG1lbnQta2V5LW9ubHktMzJieXQ="]
FIELD_ENCRYPTION_KEYS = required(
    "FIELD_ENCRYPTION_KEYS",
    env_list("FIELD_ENCRYPTION_KEYS", _DEBUG_FIELD_KEYS if DEBUG else []),
    "comma-separated Fernet keys",
)
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key.") from None
SALT_KEY = "unused"  # read by django-fernet-encrypted-fields' own key derivation, which is replaced
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG and env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_SAMESITE = "Lax"
# Practice PCs are shared: closing the browser ends the session.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# At most from sign-in, and without a request (both: servicedesk.lib.middleware.IdleSessionTimeoutMiddleware).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=300)
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30, minimum=1)

# Staff confirm a code from an authenticator app (django-otp) before admin, escalations and survey results.
ADMIN_REQUIRE_2FA = env_bool("ADMIN_REQUIRE_2FA", not DEBUG)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Primary Care Service Desk")
# Admin never shows anyone's authenticator secret (a lost phone is handled by deleting the device).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Uploads too large to keep in memory go to a temporary file named after the upload's extension; an
# absurdly long extension would make that file name too long for the filesystem (a 500 on any POST).
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "servicedesk.lib.uploads.TemporaryFileUploadHandler",
]

# --- Transport and browser security ---------------------------------------------------------------
# With DEBUG off, HTTPS only. SECURE_SSL_REDIRECT=0 only where TLS is enforced in front of the portal.
SECURE_SSL_REDIRECT = not DEBUG and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Everything the pages load comes from the portal itself (static/vendor, never a CDN), nothing inline.
# Bootstrap's form controls draw their icons from data: SVGs, hence img-src data:.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.NONE],
        "frame-ancestors": [csp.NONE],
        "form-action": [csp.SELF],
    }
}

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
FORMAT_MODULE_PATH = ["servicedesk.formats"]  # the 24-hour clock (servicedesk/formats/en_GB/formats.py)

# --- Static and uploaded files --------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploads live outside the static tree and are only ever served through a permission-checked view.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# A PDF is read for NHS numbers before it is kept (servicedesk/lib/file_text.py). Fifty dense pages take
# about 1.5 s; a note's five files at most 25 s, within gunicorn's 30 s.
ATTACHMENT_PDF_MAX_PAGES = env_int("ATTACHMENT_PDF_MAX_PAGES", 50, minimum=1)
ATTACHMENT_PDF_SECONDS = env_int("ATTACHMENT_PDF_SECONDS", 5, minimum=1)
# A screenshot is read for patient data with Tesseract (incidents/screenshot_check.py). Larger images are
# refused before they are decoded (a decompression bomb); a missing command means "not checked".
SCREENSHOT_MAX_PIXELS = env_int("SCREENSHOT_MAX_PIXELS", 40_000_000, minimum=1)
SCREENSHOT_TESSERACT = env_str("SCREENSHOT_TESSERACT", "tesseract")
SCREENSHOT_OCR_SECONDS = env_int("SCREENSHOT_OCR_SECONDS", 30, minimum=1)
# How long a held screenshot waits for its practice to redact or confirm it before its file is deleted.
SCREENSHOT_HELD_DAYS = env_int("SCREENSHOT_HELD_DAYS", 14, minimum=1)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email ----------------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
EMAIL_BACKEND = "django.core.mail.backends." + ("smtp" if EMAIL_HOST else "console") + ".EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Primary Care Service Desk <servicedesk@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ---------------------------------------------------------------------------------------
_broker_url = env_url("CELERY_BROKER_URL", "", schemes=("redis", "rediss", "amqp", "amqps"))
# Without a broker, tasks run in the web process as they are queued (the embedded default).
CELERY_TASK_ALWAYS_EAGER = not _broker_url
CELERY_BROKER_URL = _broker_url or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker that is down: give up queueing quickly (the task goes to the outbox), not keep the request waiting.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Redis's transport ignores the timeout above. The visibility timeout outlasts the longest email retry pause
# (an hour), so Redis does not hand a message waiting for its retry to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "visibility_timeout": 4 * 3600,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# The first pause before a failed email is retried; each retry doubles it (servicedesk.outbox.EmailTask).
EMAIL_RETRY_BACKOFF_SECONDS = env_int("EMAIL_RETRY_BACKOFF_SECONDS", 30, minimum=1)

# --- The Service Desk's own details (shown on the contact page and in every email) -----------------
SERVICE_DESK = {
    "name": env_str("SERVICE_DESK_NAME", "Primary Care Service Desk"),
    "phone": env_str("SERVICE_DESK_PHONE", "01632 960000"),
    "international_phone": env_str("SERVICE_DESK_INTERNATIONAL_PHONE", "+44 1632 960001"),
    "enquiries_email": env_str("SERVICE_DESK_ENQUIRIES_EMAIL", "enquiries@servicedesk.example.org"),
    "incidents_email": env_str("SERVICE_DESK_INCIDENTS_EMAIL", "incidents@servicedesk.example.org"),
    "hours": env_str(
        "SERVICE_DESK_HOURS",
        "Monday to Friday 09:00–17:30 and Saturday 09:00–12:00, excluding English and Irish public holidays",
    ),
}
# The desk's own notifications (a practice's note on an unassigned incident, digests) go to an internal
# address that must differ from the intake's, or the intake would read the portal's own mail (inbound.checks).
SERVICE_DESK_NOTIFY_EMAIL = env_emails("SERVICE_DESK_NOTIFY_EMAIL", ["desk@servicedesk.example.org"])[0]

# --- Incidents by email (inbound/; the README's "Email intake" says how to run it) -------------------
# The address practices write to (the handbook's); every incident email's Reply-To.
INBOUND_EMAIL_ADDRESS = SERVICE_DESK["incidents_email"]
INBOUND_MAX_BYTES = env_int("INBOUND_MAX_BYTES", 25 * 1024 * 1024, minimum=64 * 1024)
# Refuse mail whose receiving server recorded a failing DMARC check (Authentication-Results). Only the
# results added by INBOUND_AUTHSERV_ID are trusted when it is set (a sender can write the header too).
INBOUND_CHECK_DMARC = env_bool("INBOUND_CHECK_DMARC", True)
INBOUND_AUTHSERV_ID = env_str("INBOUND_AUTHSERV_ID", "")
# An unknown sender hears how to ask for an account at most once in this many hours.
INBOUND_UNKNOWN_SENDER_REPLY_HOURS = env_int("INBOUND_UNKNOWN_SENDER_REPLY_HOURS", 24, minimum=1)
# More emails than this from one address in an hour are refused without a reply: a mail loop, not a person.
INBOUND_SENDER_HOURLY_LIMIT = env_int("INBOUND_SENDER_HOURLY_LIMIT", 30, minimum=1)
# Held messages (an NHS number) are removed, from the server too, after this many days.
INBOUND_HELD_RETENTION_DAYS = env_int("INBOUND_HELD_RETENTION_DAYS", 14, minimum=1)
# Where a message that came through the mail-server pipe waits while held (encrypted; never under MEDIA_ROOT).
INBOUND_HELD_DIR = Path(env_str("INBOUND_HELD_DIR", str(BASE_DIR / "var" / "held-mail")))
# The IMAP mailbox the poller reads (Celery beat, every INBOUND_POLL_SECONDS); no host, no poller.
INBOUND_IMAP_HOST = env_str("INBOUND_IMAP_HOST", "")
INBOUND_IMAP_PORT = env_int("INBOUND_IMAP_PORT", 993, minimum=1)
INBOUND_IMAP_USER = env_str("INBOUND_IMAP_USER", "")
# "password", or "xoauth2" (Microsoft 365, Google): an access token from the OAuth refresh token below.
INBOUND_IMAP_AUTH = env_matching("INBOUND_IMAP_AUTH", "password", "password|xoauth2", "password or xoauth2")
INBOUND_IMAP_PASSWORD = env_str("INBOUND_IMAP_PASSWORD", "")
INBOUND_IMAP_OAUTH_TOKEN_URL = env_url("INBOUND_IMAP_OAUTH_TOKEN_URL", "", schemes=("https", "http"))
INBOUND_IMAP_OAUTH_CLIENT_ID = env_str("INBOUND_IMAP_OAUTH_CLIENT_ID", "")
INBOUND_IMAP_OAUTH_CLIENT_SECRET = env_str("INBOUND_IMAP_OAUTH_CLIENT_SECRET", "")
INBOUND_IMAP_OAUTH_REFRESH_TOKEN = env_str("INBOUND_IMAP_OAUTH_REFRESH_TOKEN", "")
INBOUND_IMAP_OAUTH_SCOPE = env_str("INBOUND_IMAP_OAUTH_SCOPE", "")
# A CA bundle for a server whose certificate is not in the system's store (a test or in-house server).
INBOUND_IMAP_CA_FILE = env_str("INBOUND_IMAP_CA_FILE", "")
INBOUND_IMAP_FOLDER = env_str("INBOUND_IMAP_FOLDER", "INBOX")
INBOUND_IMAP_FOLDERS = {
    "processed": env_str("INBOUND_IMAP_PROCESSED_FOLDER", "processed"),
    "refused": env_str("INBOUND_IMAP_REFUSED_FOLDER", "refused"),
    "held": env_str("INBOUND_IMAP_HELD_FOLDER", "held"),
}
INBOUND_POLL_SECONDS = env_int("INBOUND_POLL_SECONDS", 60, minimum=10)

# Where severity 1 alerts go the moment such an incident is logged.
SERVICE_DESK_ALERT_EMAILS = env_emails("SERVICE_DESK_ALERT_EMAILS", ["alerts@servicedesk.example.org"])

# Upper-case letters only: references are matched in upper case and appear in URLs.
INCIDENT_REFERENCE_PREFIX = env_matching(
    "INCIDENT_REFERENCE_PREFIX", "PC", "[A-Z]{1,6}", "1 to 6 upper-case letters"
)
INCIDENT_REFERENCE_DIGITS = 6
# Days after a resolution before the practice is reminded to confirm or reject it (then again each period).
INCIDENT_CONFIRM_REMINDER_DAYS = env_int("INCIDENT_CONFIRM_REMINDER_DAYS", 5, minimum=1)
# How long after closing an incident its practice may reopen it; after that it logs a new one.
INCIDENT_REOPEN_DAYS = env_int("INCIDENT_REOPEN_DAYS", 14, minimum=1)
SURVEY_LINK_DAYS = env_int("SURVEY_LINK_DAYS", 28, minimum=1)  # how long an invitation link stays open
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
ATTACHMENT_MAX_PER_NOTE = env_int("ATTACHMENT_MAX_PER_NOTE", 5, minimum=1)
INCIDENT_STORAGE_QUOTA_BYTES = env_int("INCIDENT_STORAGE_QUOTA_BYTES", 100 * 1024 * 1024, minimum=1024)
PRACTICE_STORAGE_QUOTA_BYTES = env_int("PRACTICE_STORAGE_QUOTA_BYTES", 2 * 1024**3, minimum=1024)
# How long files that passed their checks are kept for a form that was refused (incidents/held_uploads.py).
HELD_UPLOAD_HOURS = env_int("HELD_UPLOAD_HOURS", 4, minimum=1)
# Per portal user: well above what a person does in an hour, well below what a script does in a minute.
NOTE_RATE_LIMIT = env_rate("NOTE_RATE_LIMIT", "30/h")
UPLOAD_RATE_LIMIT = env_rate("UPLOAD_RATE_LIMIT", "60/h")
PORTAL_ACTION_RATE_LIMIT = env_rate("PORTAL_ACTION_RATE_LIMIT", "60/h")
# Practice notes that follow an emailed one within this time go in one digest (incidents.services).
DESK_NOTE_DIGEST_MINUTES = env_int("DESK_NOTE_DIGEST_MINUTES", 10, minimum=1)
# The largest request body accepted, signed in (a note's most and largest files) or not (lib/middleware.py).
REQUEST_MAX_BYTES = env_int(
    "REQUEST_MAX_BYTES", ATTACHMENT_MAX_PER_NOTE * ATTACHMENT_MAX_BYTES + 1024 * 1024, minimum=1024 * 1024
)
ANONYMOUS_REQUEST_MAX_BYTES = env_int("ANONYMOUS_REQUEST_MAX_BYTES", 1024 * 1024, minimum=64 * 1024)

CELERY_BEAT_SCHEDULE = {
    "flush-pending-tasks": {"task": "servicedesk.tasks.flush_pending_tasks", "schedule": 60.0},
    "resolution-reminders": {"task": "incidents.tasks.send_resolution_reminders_task", "schedule": 3600.0},
    "note-digests": {"task": "incidents.tasks.send_note_digests_task", "schedule": 60.0},
    "remove-orphan-files": {"task": "incidents.tasks.remove_orphan_files_task", "schedule": 24 * 3600.0},
    "sweep-held-uploads": {"task": "incidents.tasks.sweep_held_uploads_task", "schedule": 3600.0},
    "screenshots-housekeeping": {"task": "incidents.tasks.screenshots_housekeeping_task", "schedule": 3600.0},
    "escalate-overdue": {"task": "escalation.tasks.escalate_overdue_task", "schedule": 300.0},
    "remove-expired-held-mail": {"task": "inbound.tasks.remove_expired_held_task", "schedule": 3600.0},
    # CELERY_TIMEZONE is Europe/London, so this is 02:00 London time on the 1st.
    "survey-sample": {
        "task": "surveys.tasks.sample_previous_month",
        "schedule": crontab(minute=0, hour=2, day_of_month=1),
    },
}

if INBOUND_IMAP_HOST:
    CELERY_BEAT_SCHEDULE["poll-mailbox"] = {
        "task": "inbound.tasks.poll_mailbox_task",
        "schedule": float(INBOUND_POLL_SECONDS),
    }

# --- Logging --------------------------------------------------------------------------------------
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env_matching("LOG_LEVEL", "INFO", "|".join(_LOG_LEVELS), "one of " + ", ".join(_LOG_LEVELS)),
    },
    "loggers": {
        "axes": {"level": "WARNING"},
        "celery": {"level": "WARNING"},
        # At DEBUG, template errors are logged with the whole template context, which can hold decrypted
        # remote-access details (the admin page that shows them): never below INFO.
        "django.template": {"level": "INFO"},
    },
}
