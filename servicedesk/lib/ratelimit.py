"""Rate limits per person or per address, counted in the cache (django-ratelimit's fixed windows)."""

import logging
import math
from dataclasses import dataclass

from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    """Over a limit: how many uses the rate allows, and the minutes until its window starts again."""

    limit: int
    seconds_left: int

    @property
    def minutes_left(self):
        return max(1, math.ceil(self.seconds_left / 60))


def over_limit(request, group, rate, *, key="user", count=1):
    """Count `count` uses of `group` by `key` (as django-ratelimit reads it) against `rate` ("30/h"); a
    Refusal once over the limit. With the cache down the use is let through: better than nobody working."""
    usage = None
    try:
        for _ in range(count):
            usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
    except Exception:
        logger.exception("Rate limit %s not checked: the cache is unavailable", group)
        return None
    if usage and usage["should_limit"] and usage["time_left"] >= 0:
        return Refusal(limit=usage["limit"], seconds_left=usage["time_left"])
    return None
