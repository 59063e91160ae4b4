from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from incidents.exceptions import InvalidTransition
from incidents.models import Incident
from incidents.views import reason_view

from .services import escalation_queue, incident_acknowledge_escalation, incident_escalate


def _require_ladder_staff(request):
    """Only staff who are contacts of a ladder level work the queues."""
    if not (request.user.is_staff and request.user.escalation_levels.exists()):
        raise PermissionDenied("The escalation queues are for the staff on the escalation ladder.")


@login_required
def queue(request):
    _require_ladder_staff(request)
    levels = list(request.user.escalation_levels.order_by("position"))
    context = {"incidents": escalation_queue(request.user), "levels": levels}
    return render(request, "escalation/queue.html", context)


@login_required
@require_POST
def acknowledge(request, pk):
    _require_ladder_staff(request)
    incident = get_object_or_404(Incident, pk=pk, escalation_level__contacts=request.user)
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
