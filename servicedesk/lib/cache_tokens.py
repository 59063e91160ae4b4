"""Tokens that name the current version of something cached, for caches that must never serve data
older than the last committed change.

A cached value's key includes the token of everything it was built from. A write forgets the token
(`forget`), so the next reader makes a new one and builds afresh; values under the old token are never
read again and expire. The token is forgotten at once and again when the transaction commits: at once,
so the writer's own next read (and a test's) sees the change; after the commit, so that a request
that read the old rows while the write was still open cannot have stored them under a token that
outlives the write.

When the cache fails, callers read the database, and for OUTAGE_SECONDS this process does not try the
cache again (a Redis that hangs would otherwise cost every request, and every write holding row locks,
its socket timeout). A token it could not forget meanwhile is covered when the cache answers again:
the first success forgets every token named with `forget_after_outage`, so no value built before the
outage is read after it.
"""

import contextlib
import logging
import secrets
import time

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

OUTAGE_SECONDS = 10
_state = {"down_until": 0.0, "outage": False}
_AFTER_OUTAGE = set()


class CacheUnavailable(Exception):
    pass


def reset_outage():
    """Try the cache again at once (tests, whose cache settings change between tests, start with this)."""
    _state.update(down_until=0.0, outage=False)


def forget_after_outage(name):
    """Forget this token whenever the cache answers again after failing (see the module's docstring)."""
    _AFTER_OUTAGE.add(name)


def call(operation, *args, **kwargs):
    """The cache operation's result; raises CacheUnavailable while the cache is failing. The first call
    after a failure forgets the tokens named with forget_after_outage before anything else."""
    if time.monotonic() < _state["down_until"]:
        raise CacheUnavailable
    try:
        if _state["outage"]:
            cache.delete_many(sorted(_AFTER_OUTAGE))
            _state["outage"] = False
        return operation(*args, **kwargs)
    except Exception as exc:
        logger.warning("Cache unavailable; going without it for %s s.", OUTAGE_SECONDS, exc_info=True)
        _state.update(down_until=time.monotonic() + OUTAGE_SECONDS, outage=True)
        raise CacheUnavailable from exc


def tokens(*names):
    """The current token of each name, made if missing; None when the cache cannot be reached."""
    try:
        found = call(cache.get_many, names)
        for name in names:
            if name not in found:
                call(cache.add, name, secrets.token_hex(8), timeout=None)
                found[name] = call(cache.get, name)  # another process may have added its own first
    except CacheUnavailable:
        return None
    if any(found[name] is None for name in names):  # evicted at once: read afresh this time
        return None
    return [found[name] for name in names]


def _forget(names):
    # If the cache is failing, this is covered when it answers again (forget_after_outage), or by the
    # values' timeouts.
    with contextlib.suppress(CacheUnavailable):
        call(cache.delete_many, names)


def forget(*names):
    """What values under these tokens were built from has changed (or will, when the transaction
    commits). Several names cost one round trip to the cache."""
    _forget(names)
    transaction.on_commit(lambda: _forget(names), robust=True)


def cached(names, suffix, build, timeout):
    """`build()`'s value, cached for `timeout` seconds until any token of `names` is forgotten (`suffix`
    says which value); built afresh, and not kept, when the cache cannot be reached.

    The value is kept with the tokens current when it was built, and is used only while they still are:
    a hit reads the tokens and the value in one round trip. A value built from rows read before a write
    but kept after it carries a forgotten token, so it is never used.
    """
    key = f"cached:{suffix}"
    try:
        found = call(cache.get_many, [*names, key])
    except CacheUnavailable:
        return build()
    kept = found.get(key)
    if kept is not None and kept[0] == [found.get(name) for name in names]:
        return kept[1]
    current = tokens(*names)  # read (and made if missing) before the rows that build() reads
    if current is None:
        return build()
    value = build()
    with contextlib.suppress(CacheUnavailable):
        call(cache.set, key, (current, value), timeout)
    return value
