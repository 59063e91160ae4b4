"""Incidents waiting in each of the desk's queues, and reading the admin lists that show them (issue 17)."""

import re
from datetime import timedelta
from html import unescape

from django.utils import timezone

from escalation.services import incident_escalate
from incidents.models import Incident, Severity
from incidents.services import (
    incident_add_note,
    incident_assign,
    incident_close_not_relevant,
    incident_resolve,
    incident_start_investigation,
    incident_verify,
)
from tests.factories import IncidentFactory, StaffFactory

CHANGELIST = "/admin/incidents/incident/"


def cells(page, column):
    """The text of each row's cell in `column` (a list_display name) of an admin list, top to bottom."""
    pattern = rf'<t[dh] class="field-{re.escape(column)}[^"]*">(.*?)</t[dh]>'
    return [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(pattern, page, re.S)]


def references(page):
    """The incidents an admin incident list shows, in its order."""
    return cells(page, "reference")


def rows(page):
    """{reference: the row's HTML} of an admin incident list."""
    return {
        reference: row for row in re.findall(r"<tr>(.*?)</tr>", page, re.S) for reference in references(row)
    }


def taken_on(incident, agent, assignee):
    """Verified and assigned by `agent` (the desk's entries are then the latest)."""
    incident_verify(incident, actor=agent)
    return incident_assign(incident, actor=agent, assignee=assignee)


def incidents_in_every_queue(practice_user, agent, product):
    """One incident (or two) per queue of the dashboard, each in as few queues as can be, and a closed one
    that would be in several if it were open. Returns (incidents by name, {queue key: names in it}).

    The SLA due times are set here, relative to now: those the service computed from the support hours
    would fall due at different times of day."""
    colleague = StaffFactory(full_name="Alex Colleague")
    made = {}

    def new(name, **fields):
        made[name] = IncidentFactory(
            reporter=practice_user, product=product, summary=f"{name} problem", **fields
        )
        return made[name]

    new("new")  # logged in the portal: new, nobody's, and the practice has written last
    taken_on(new("mine"), agent, agent)
    taken_on(new("replied"), agent, colleague)
    incident_add_note(made["replied"], actor=practice_user, text="It happened again this morning.")
    incident_start_investigation(taken_on(new("confirming"), agent, colleague), actor=agent)
    incident_resolve(made["confirming"], actor=agent, resolution="Reinstalled the printer driver.")
    taken_on(new("escalated"), agent, colleague)
    incident_escalate(made["escalated"], actor=agent, reason="No prescriptions can be printed today.")
    taken_on(new("severity_one", severity=Severity.SYSTEM_UNAVAILABLE), agent, colleague)
    new("late_response")
    taken_on(new("late_resolution"), agent, colleague)
    taken_on(new("due_soon"), agent, colleague)
    closed = new("closed", severity=Severity.SYSTEM_UNAVAILABLE)
    incident_close_not_relevant(closed, actor=practice_user, reason="It was a power cut.")

    now = timezone.now()
    later = now + timedelta(days=30)
    for incident in Incident.objects.all():
        running = incident.resolution_due_at is not None
        Incident.objects.filter(pk=incident.pk).update(
            response_due_at=later, resolution_due_at=later if running else None
        )
    due = {
        "late_response": {"response_due_at": now - timedelta(hours=1)},
        "late_resolution": {"resolution_due_at": now - timedelta(hours=1)},
        "due_soon": {"resolution_due_at": now + timedelta(hours=2)},
        "closed": {"response_due_at": now - timedelta(hours=1)},  # closed before anyone answered it
    }
    for name, times in due.items():
        Incident.objects.filter(pk=made[name].pk).update(**times)
    expected = {
        "new": {"new", "late_response"},
        "unassigned": {"new", "late_response"},
        "mine": {"mine"},
        "replied": {"new", "late_response", "replied"},
        "confirming": {"confirming"},
        "response_overdue": {"late_response"},
        "resolution_overdue": {"late_resolution"},
        "due_soon": {"due_soon"},
        "escalated": {"escalated"},
        "severity_one": {"severity_one"},
    }
    return made, expected
