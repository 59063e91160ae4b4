"""Deployment checks of our own, run by `manage.py check --deploy` beside Django's."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.caches, deploy=True)
def shared_cache(app_configs, **kwargs):
    """Rate limits on registration and password resets count in the cache: it must be shared."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(("LocMemCache", "DummyCache")):
        return [
            checks.Warning(
                "The cache is local to each process, so registration and password-reset rate limits are "
                "counted per worker.",
                hint="Set CACHE_URL to the Redis server, e.g. redis://127.0.0.1:6379/1.",
                id="servicedesk.W001",
            )
        ]
    return []
