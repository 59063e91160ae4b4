"""One way of writing times everywhere (issue 16): the 24-hour clock with the date, as NHS staff write them
(Europe/London; TIME_ZONE). Django's own en_GB formats give the rest; its 12-hour "2:30 p.m." is replaced."""

TIME_FORMAT = "H:i"  # 14:30
DATETIME_FORMAT = "j M Y, H:i"  # 25 Oct 2026, 14:30
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # 25/10/2026 14:30
