"""Shared pieces of the management commands that run scheduled sweeps."""

from datetime import datetime

from django.core.management.base import CommandError
from django.utils import timezone


def add_at_argument(parser):
    parser.add_argument(
        "--at",
        help="Run as of this moment (YYYY-MM-DD HH:MM, Europe/London) instead of now, e.g. to catch up.",
    )


def parse_at(value):
    """The --at moment as an aware datetime, or None for now."""
    if not value:
        return None
    try:
        return timezone.make_aware(datetime.strptime(value, "%Y-%m-%d %H:%M"))
    except ValueError:
        raise CommandError(f"--at must look like 2026-11-25 09:00; got {value!r}.") from None
