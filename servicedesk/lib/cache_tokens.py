"""Tokens that name the current version of something cached, for caches that must never serve data
older than the last committed change.

A cached value's key includes the token of everything it was built from. A write forgets the token
(`forget`), so the next reader makes a new one and builds afresh; values under the old token are never
read again and expire. The token is forgotten at once and again when the transaction commits: at once,
so the writer's own next read (and a test's) sees the change; after the commit, so that a request
that read the old rows while the write was still open cannot have stored them under a token that
outlives the write.

When the cache cannot be reached, `tokens` answers None and callers read the database; a token that
could not be forgotten leaves values at most their timeout out of date.
"""

import logging
import secrets

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)


def tokens(*names):
    """The current token of each name, made if missing; None when the cache cannot be reached."""
    try:
        found = cache.get_many(names)
        for name in names:
            if name not in found:
                cache.add(name, secrets.token_hex(8), timeout=None)
                found[name] = cache.get(name)  # another process may have added its own first: use it
    except Exception:
        logger.warning("Cache unavailable; reading without it.", exc_info=True)
        return None
    if any(found[name] is None for name in names):  # evicted at once: read afresh this time
        return None
    return [found[name] for name in names]


def _forget(name):
    try:
        cache.delete(name)
    except Exception:
        logger.warning("Could not forget cache token %s.", name, exc_info=True)


def forget(name):
    """What values under this token were built from has changed (or will, when the transaction commits)."""
    _forget(name)
    transaction.on_commit(lambda: _forget(name), robust=True)


def cached(names, suffix, build, timeout):
    """`build()`'s value, cached under the current tokens of `names` (plus `suffix`, saying which value)
    for `timeout` seconds; built afresh, and not kept, when the cache cannot be reached."""
    current = tokens(*names)
    if current is None:
        return build()
    key = ":".join([*current, suffix])
    try:
        value = cache.get(key)
    except Exception:
        logger.warning("Cache unavailable; reading without it.", exc_info=True)
        return build()
    if value is None:
        value = build()
        try:
            cache.set(key, value, timeout)
        except Exception:
            logger.warning("Could not keep %s in the cache.", suffix, exc_info=True)
    return value
