"""Times read the same everywhere: the 24-hour clock, with the date, in London time."""

from datetime import UTC, datetime

import time_machine
from django.template import Context, Template
from django.utils import timezone


@time_machine.travel(datetime(2026, 12, 7, 10, 0, tzinfo=UTC), tick=False)
def test_a_time_is_written_with_the_24_hour_clock_in_london_time():
    summer = datetime(2026, 7, 1, 13, 5, tzinfo=UTC)  # 14:05 in London (BST)
    winter = datetime(2026, 12, 7, 16, 45, tzinfo=UTC)  # 16:45 in London (GMT)
    template = Template("{{ when }}|{{ when|date:'SHORT_DATETIME_FORMAT' }}|{{ when|time }}")

    with timezone.override("Europe/London"):
        assert template.render(Context({"when": summer})) == "1 Jul 2026, 14:05|01/07/2026 14:05|14:05"
        assert template.render(Context({"when": winter})) == "7 Dec 2026, 16:45|07/12/2026 16:45|16:45"
