"""Helpers for the lifecycle tests: drive an incident to any status through the services, as the portal
and admin would, and check the emails that every lifecycle change sends."""

import itertools
from datetime import date

from django.conf import settings

from incidents.models import Incident, Release, Status, TimelineEvent
from incidents.services import (
    AGENT,
    TRANSITIONS,
    incident_await_customer,
    incident_close_not_relevant,
    incident_confirm,
    incident_confirm_by_phone,
    incident_reject,
    incident_reopen,
    incident_resolve,
    incident_schedule_fix,
    incident_start_investigation,
    incident_verify,
)

# The service for each row of TRANSITIONS, with the reason or detail a real caller would give.
SERVICES = {
    "verify": (incident_verify, {"note": "Checked the details with the practice."}),
    "start_investigation": (incident_start_investigation, {"note": "Looking at the print server."}),
    "await_customer": (incident_await_customer, {"question": "Which printer model do you use?"}),
    "schedule_fix": (incident_schedule_fix, {"workaround": "Print from the PDF preview meanwhile."}),
    "resolve": (incident_resolve, {"resolution": "Reinstalled the printer driver.", "is_workaround": False}),
    "confirm": (incident_confirm, {}),
    "confirm_by_phone": (incident_confirm_by_phone, {"confirmed_by": "Dr Lee, practice manager"}),
    "reject": (incident_reject, {"reason": "Still cannot print prescriptions."}),
    "close_not_relevant": (incident_close_not_relevant, {"reason": "We replaced the printer."}),
    "reopen": (incident_reopen, {"reason": "The printer jams again."}),
}

# A shortest walk of legal steps from "logged" to each status.
PATHS = {
    Status.LOGGED: [],
    Status.UNDER_REVIEW: ["verify"],
    Status.INVESTIGATING: ["verify", "start_investigation"],
    Status.AWAITING_CUSTOMER: ["verify", "start_investigation", "await_customer"],
    Status.FIX_SCHEDULED: ["verify", "start_investigation", "schedule_fix"],
    Status.RESOLVED: ["verify", "start_investigation", "resolve"],
    Status.CLOSED: ["verify", "start_investigation", "resolve", "confirm"],
}

_versions = itertools.count(1)


def make_release(
    product, *, version=None, kind=Release.Kind.PLANNED, shipped_on=None, target_date=date(2031, 3, 14)
):
    """A release of `product` still to come (unless `shipped_on` is given)."""
    return Release.objects.create(
        product=product,
        version=version or f"9.{next(_versions)}.0",
        kind=kind,
        target_date=target_date,
        shipped_on=shipped_on,
    )


def perform(action, incident, *, actor, **kwargs):
    """Call the service for `action` with a realistic reason; `kwargs` override the defaults."""
    service, defaults = SERVICES[action]
    kwargs = {**defaults, **kwargs}
    if action == "schedule_fix" and "release" not in kwargs:
        kwargs["release"] = make_release(incident.product)
    return service(incident, actor=actor, **kwargs)


def drive_to(incident, status, *, agent, customer=None):
    """Walk `incident` from logged to `status` through the services; return it fresh from the database."""
    customer = customer or incident.reporter
    for action in PATHS[status]:
        actor = agent if TRANSITIONS[action].who == AGENT else customer
        incident = perform(action, incident, actor=actor)
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.status == status
    return incident


def snapshot(incident):
    """Every stored field of the incident and its timeline, to show that a refusal changed nothing."""
    row = Incident.objects.filter(pk=incident.pk).values().get()
    events = list(TimelineEvent.objects.filter(incident_id=incident.pk).values_list("pk", "kind", "text"))
    return row, events


def assert_carries_reference_and_desk_contact(message, incident):
    """Every incident email names the incident and tells the reader how to reach the desk."""
    html = message.alternatives[0][0]
    assert incident.reference in message.subject
    for body in (message.body, html):
        assert incident.reference in body
        assert settings.SERVICE_DESK["phone"] in body
