"""servicedesk.lib.cache_tokens: the versions that keep cached pages, SLA terms and permissions current.

Guards against a cached value outliving the change it depends on: one stored by a request that read
the old rows while the change was still being committed, or one whose token could not be forgotten
because the cache was failing at the time.
"""

from django.conf import settings as django_settings
from django.db import transaction

from servicedesk.lib import cache_tokens
from servicedesk.lib.cache_tokens import forget, forget_after_outage, tokens

UNREACHABLE_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


def test_a_token_made_while_the_change_is_open_is_forgotten_when_it_commits(
    db, django_capture_on_commit_callbacks
):
    (before,) = tokens("test:thing")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        forget("test:thing")
        (during,) = tokens("test:thing")  # a reader while the write is open: it sees the old rows
        assert during != before

    (after,) = tokens("test:thing")
    assert after not in (before, during)


def test_while_the_cache_fails_it_is_left_alone_and_values_are_read_afresh(settings, db):
    original = django_settings.CACHES
    settings.CACHES = UNREACHABLE_CACHE
    assert tokens("test:thing") is None

    settings.CACHES = original  # back at once, but this process waits OUTAGE_SECONDS before trying
    assert tokens("test:thing") is None
    assert (
        cache_tokens.cached(["test:thing"], "value", lambda: "from the database", 60) == "from the database"
    )


def test_after_an_outage_the_first_success_forgets_the_tokens_it_may_have_missed(settings, monkeypatch, db):
    monkeypatch.setattr(cache_tokens, "OUTAGE_SECONDS", 0)
    monkeypatch.setattr(cache_tokens, "_AFTER_OUTAGE", set())
    forget_after_outage("test:shared")
    (before,) = tokens("test:shared")
    original = django_settings.CACHES

    settings.CACHES = UNREACHABLE_CACHE
    forget("test:shared")  # lost: the cache is down
    settings.CACHES = original

    (after,) = tokens("test:shared")
    assert after != before


def test_a_value_built_from_rows_read_before_a_change_is_never_used_after_it(db):
    """A reader builds its value while a write forgets the token (the write committed between the
    reader's token and its rows): the value it keeps must not be served once the change is made."""

    def read_while_a_change_commits():
        forget("test:thing")
        return "the old rows"

    assert cache_tokens.cached(["test:thing"], "value", read_while_a_change_commits, 60) == "the old rows"
    assert cache_tokens.cached(["test:thing"], "value", lambda: "the new rows", 60) == "the new rows"
    assert cache_tokens.cached(["test:thing"], "value", lambda: "not read again", 60) == "the new rows"
