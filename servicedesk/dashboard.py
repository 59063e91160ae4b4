"""The desk's dashboard, the admin home page (ServiceDeskAdminSite.index): how many incidents wait in each
of the desk's queues (incidents/queues.py), the account requests waiting for a decision and the held
inbound emails, each count a link to the admin list that shows exactly what it counted.

Three queries whatever the number of incidents: one pass over the open incidents (the index
incident_open_queue) counting every queue at once, and one count each from the partial indexes
one_pending_request_per_email and inbound_held.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountRequest
from inbound.models import InboundMessage, Outcome
from incidents import queues
from incidents.models import OPEN, Incident, KnownIssue


@dataclass(frozen=True)
class QueueCount:
    key: str
    label: str
    count: int
    url: str


@dataclass(frozen=True)
class Group:
    title: str
    counts: list


def _link(model, params):
    return (
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        + "?"
        + urlencode(params)
    )


def _incident_groups(request):
    now = timezone.now()
    counted = Incident.objects.filter(OPEN).aggregate(
        **{queue.key: Count("pk", filter=queue.condition(now, request.user)) for queue in queues.QUEUES}
    )
    return [
        Group(title, [QueueCount(q.key, q.label, counted[q.key], _link(Incident, q.params)) for q in group])
        for title, group in (("Incidents to work", queues.WORK), ("Targets and escalations", queues.CLOCKS))
    ]


def _other_counts(request):
    """The queues outside the incident list, for those who may open their lists."""
    user = request.user
    counts = []
    if user.has_perm("accounts.view_accountrequest"):
        waiting = AccountRequest.objects.filter(status=AccountRequest.Status.PENDING).count()
        params = {"status__exact": AccountRequest.Status.PENDING}
        counts.append(
            QueueCount("account_requests", "Account requests waiting", waiting, _link(AccountRequest, params))
        )
    if user.has_perm("inbound.view_inboundmessage"):
        held = InboundMessage.objects.filter(outcome=Outcome.HELD).count()
        params = {"outcome__exact": Outcome.HELD}
        counts.append(QueueCount("held_emails", "Inbound emails held", held, _link(InboundMessage, params)))
    return [Group("Waiting elsewhere", counts)] if counts else []


def _known_issue_counts(request):
    """Known issues not yet fixed, and the open incidents linked to them (issue 19): one query."""
    if not request.user.has_perm("incidents.view_knownissue"):
        return []
    current = KnownIssue.objects.exclude(status=KnownIssue.Status.FIXED)
    counted = current.aggregate(
        issues=Count("pk", distinct=True), linked=Count("incidents", filter=OPEN_LINKED, distinct=True)
    )
    not_fixed = {"fixed": "no"}  # KnownIssueAdmin's filter
    counts = [
        QueueCount(
            "known_issues", "Known issues not yet fixed", counted["issues"], _link(KnownIssue, not_fixed)
        ),
        QueueCount(
            "known_issue_incidents",
            "Open incidents linked to them",
            counted["linked"],
            _link(KnownIssue, not_fixed),
        ),
    ]
    return [Group("Known issues", counts)]


OPEN_LINKED = ~Q(incidents__status="closed")


def desk_dashboard(request):
    """The dashboard's groups of counts for the signed-in staff member (none they may not open)."""
    groups = _incident_groups(request) if request.user.has_perm("incidents.view_incident") else []
    return groups + _known_issue_counts(request) + _other_counts(request)
