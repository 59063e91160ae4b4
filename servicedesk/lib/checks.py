"""Deployment checks of our own, run by `manage.py check --deploy` beside Django's."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.caches, deploy=True)
def shared_cache(app_configs, **kwargs):
    """Rate limits on registration and password resets count in the cache: it must be shared."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(("LocMemCache", "DummyCache", "FileBasedCache")):
        return [
            checks.Warning(
                "The cache is local to each process, so registration and password-reset rate limits are "
                "counted per worker.",
                hint="Set CACHE_URL to the Redis server, e.g. redis://127.0.0.1:6379/1.",
                id="servicedesk.W001",
            )
        ]
    return []


@checks.register(deploy=True)
def production_services(app_configs, **kwargs):
    """What `check --deploy` must also refuse: staff without a second factor, tasks run in the request."""
    warnings = []
    if not settings.ADMIN_REQUIRE_2FA:
        warnings.append(
            checks.Warning(
                "ADMIN_REQUIRE_2FA is off: staff reach admin with a password alone.",
                hint="Leave ADMIN_REQUIRE_2FA unset (on by default with DEBUG off).",
                id="servicedesk.W002",
            )
        )
    if settings.CELERY_TASK_ALWAYS_EAGER:
        warnings.append(
            checks.Warning(
                "No CELERY_BROKER_URL: emails are sent inside web requests and nothing flushes the outbox.",
                hint="Set CELERY_BROKER_URL to Redis and run a Celery worker and beat.",
                id="servicedesk.W003",
            )
        )
    return warnings
