"""What the practice's incident page shows of an incident's checklist: the items given, and the labels of
those left empty (folded away on the page), in the handbook's order; of its links to other incidents; and
its timeline by day (as the desk's change page shows it too)."""

from django.db.models import Q
from django.utils import timezone

from .models import IncidentLink, YesNoUnknown


def _text(value):
    return (value or "").strip() if isinstance(value, str) else value


def _known(incident, field):
    value = getattr(incident, field)
    return "" if value == YesNoUnknown.UNKNOWN else getattr(incident, f"get_{field}_display")()


def _product(incident):
    if not incident.product_id:
        return "Not yet given"  # the desk's first need: said, not folded away
    current = _known(incident, "on_current_version")
    current = f" (on the current version: {current})" if current else ""
    return f"{incident.product.name} {incident.version}".strip() + current


def _worked_before(incident):
    answer = _known(incident, "worked_before")
    when = _text(incident.worked_before_when)
    return ", ".join(part for part in (answer, when) if part)


def _remote_access(incident):
    text = "Allowed" if incident.remote_access_allowed else "Not allowed"
    if incident.remote_access_constraints:
        text += f": {incident.remote_access_constraints}"
    if incident.remote_access_details:
        text += "; connection details given (only authorised Service Desk staff can read them)"
    return text


def incident_details(incident, severity):
    """{"given": [(label, value, multiline)], "missing": [label]} of the incident's checklist; `severity` is
    its Wording in the practice's contract's words (incidents.wording)."""
    contact = ", ".join(part for part in (incident.contact_name, incident.contact_number) if part)
    items = [
        ("Reported by", f"{incident.reported_by} ({incident.logged_how.lower()})", False),
        ("Incident contact", contact, False),
        ("Site", incident.site.name if incident.site_id else "Not site-specific", False),
        ("Product", _product(incident), False),
        ("Server or workstation", _text(incident.machine_name), False),
        ("Severity meaning", severity.description, False),
        ("Urgency", incident.get_urgency_display(), False),
        ("Impact", _text(incident.impact), True),
        ("Messages on screen", _text(incident.onscreen_messages), True),
        ("What was running", _text(incident.what_was_running), True),
        ("Process", _text(incident.process), True),
        ("Worked before", _worked_before(incident), False),
        ("What changed", _text(incident.what_changed), True),
        ("Recent upgrades", _text(incident.recent_upgrades), True),
        ("More than one PC", _known(incident, "more_than_one_pc"), False),
        ("Can be repeated", _known(incident, "repeatable"), False),
        ("Users affected", incident.users_affected, False),
        ("Sites affected", _known(incident, "sites_affected"), False),
        ("Remote access", _remote_access(incident), False),
    ]
    return {
        "given": [(label, value, multiline) for label, value, multiline in items if value not in ("", None)],
        "missing": [label for label, value, _ in items if value in ("", None)],
    }


# What the page reads of a linked incident (one query for both ends of every link): its summary is loaded
# whichever practice it belongs to, and shown only for the practice's own (incident_links returns None for
# another practice's, so a template cannot show it).
_LINKED_FIELDS = ["reference", "summary", "practice", "status"]


def incident_links(incident):
    """The incident's links as its practice may read them, oldest first: [(role, other)], role one of
    "duplicate_of" (this incident is a duplicate of the other), "duplicate" (the other is a duplicate of
    this one) and "related"; `other` is None when it is another practice's incident, which the page must not
    name. Another practice's duplicates of this incident are not the practice's business: left out."""
    fields = [f"{end}__{name}" for end in ("from_incident", "to_incident") for name in _LINKED_FIELDS]
    links = (
        IncidentLink.objects.filter(Q(from_incident=incident) | Q(to_incident=incident))
        .select_related("from_incident", "to_incident")
        .only("kind", "from_incident", "to_incident", *fields)
        .order_by("pk")
    )
    shown = []
    for link in links:
        outgoing = link.from_incident_id == incident.pk
        other = link.to_incident if outgoing else link.from_incident
        ours = other if other.practice_id == incident.practice_id else None
        if link.kind == IncidentLink.Kind.RELATED:
            shown.append(("related", ours))
        elif outgoing:
            shown.append(("duplicate_of", ours))
        elif ours is not None:
            shown.append(("duplicate", ours))
    return shown


def by_day(events):
    """Timeline entries, in the order given, grouped by their day in London: [(date, [event, ...])]."""
    days = []
    for event in events:
        day = timezone.localdate(event.created_at)
        if not days or days[-1][0] != day:
            days.append((day, []))
        days[-1][1].append(event)
    return days
