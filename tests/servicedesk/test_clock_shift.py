"""The suite's shifted clock (TEST_CLOCK_SHIFT_DAYS, tests/conftest.py): CI runs one suite with it."""

import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

SHIFT_DAYS = int(os.environ.get("TEST_CLOCK_SHIFT_DAYS") or 0)
pytestmark = pytest.mark.skipif(
    not SHIFT_DAYS, reason="runs when the session's clock is moved (TEST_CLOCK_SHIFT_DAYS)"
)


def test_the_whole_session_runs_that_many_days_ahead_of_the_real_clock(tmp_path):
    marker = tmp_path / "now"
    marker.touch()  # the filesystem stamps it with the real time, which no travel moves
    ahead = timezone.now() - datetime.fromtimestamp(marker.stat().st_mtime, UTC)

    assert abs(ahead - timedelta(days=SHIFT_DAYS)) < timedelta(minutes=5)


def test_a_test_that_travels_itself_still_gets_its_own_date_and_a_ticking_clock():
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), tick=True):
        first = timezone.now()
        assert first - datetime(2026, 11, 2, 9, 0, tzinfo=UTC) < timedelta(minutes=1)
        assert timezone.now() > first
