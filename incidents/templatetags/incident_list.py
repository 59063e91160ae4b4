"""Small filters of the practice's incident list: status and severity tags, relative times."""

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from incidents.models import Status

register = template.Library()

# Each status's colour, in words a person can also read (the tag always carries the status's text).
STATUS_COLOURS = {
    Status.LOGGED: "grey",
    Status.UNDER_REVIEW: "blue",
    Status.INVESTIGATING: "blue",
    Status.AWAITING_CUSTOMER: "orange",
    Status.FIX_SCHEDULED: "purple",
    Status.RESOLVED: "green",
    Status.CLOSED: "grey",
}
SEVERITY_COLOURS = {1: "red", 2: "orange", 3: "yellow", 4: "blue", 5: "grey"}


@register.filter
def status_colour(status):
    return STATUS_COLOURS.get(status, "grey")


@register.filter
def severity_colour(severity):
    return SEVERITY_COLOURS.get(severity, "grey")


@register.filter
def ago(value):
    """'2 hours ago' (the largest unit only); 'just now' within the minute."""
    if not value:
        return ""
    if (timezone.now() - value).total_seconds() < 60:
        return "just now"
    return f"{timesince(value, depth=1)} ago"
