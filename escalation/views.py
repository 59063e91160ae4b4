from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from incidents.exceptions import InvalidTransition
from incidents.models import Incident, Status
from incidents.views import reason_view
from servicedesk.lib.support_hours import support_time_in_words

from .services import escalation_queue, incident_acknowledge_escalation, incident_escalate, levels_of
from .session import remember_ladder

# Why a resolution clock stands still, by status (incidents/sla.py CLOCK_RUNS: the desk has no next move).
PAUSED_BECAUSE = {
    Status.AWAITING_CUSTOMER: "waiting for the practice",
    Status.FIX_SCHEDULED: "waiting for the release with the fix",
    Status.RESOLVED: "waiting for the practice to confirm the solution",
}


def _require_ladder_staff(request, levels=None):
    """Only staff who are contacts of a ladder level work the queues (`levels`: theirs, when already read)."""
    if not remember_ladder(request, on=None if levels is None else bool(levels)):
        raise PermissionDenied("The escalation queues are for the staff on the escalation ladder.")


def _time_left(incident):
    """The resolution target's time left, in words: "3 h 10 min of support time", "Overdue by 1 day 2 h of
    support time", "Paused: waiting for the practice"."""
    minutes = incident.support_minutes_left
    if minutes is None:
        return f"Paused: {PAUSED_BECAUSE.get(incident.status, 'the clock is stopped')}"
    if minutes < 0:
        return f"Overdue by {support_time_in_words(-minutes)} of support time"
    return f"{support_time_in_words(minutes)} of support time"


@login_required
def queue(request):
    levels = list(levels_of(request.user))
    _require_ladder_staff(request, levels)
    incidents = escalation_queue(request.user, levels)
    for incident in incidents:
        incident.time_left = _time_left(incident)
    theirs = [incident for incident in incidents if incident.theirs]
    others = [incident for incident in incidents if not incident.theirs]
    context = {"incidents": incidents, "theirs": theirs, "others": others, "levels": levels}
    return render(request, "escalation/queue.html", context)


@login_required
@require_POST
def acknowledge(request, pk):
    _require_ladder_staff(request)
    incident = get_object_or_404(Incident, pk=pk, escalation_level__in=levels_of(request.user))
    try:
        incident_acknowledge_escalation(incident, actor=request.user)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"You have taken {incident.reference} on.")
    return redirect("escalation:queue")


# The practice asks for its incident to go up the ladder, with a reason (its incident's page).
ask_for_escalation = reason_view(
    "escalate", incident_escalate, "{reference} has been escalated; the person responsible has been told."
)
