"""The portal's known issues (issue 19): the list of current known issues of the practice's products, one
known issue's page, and "This affects us too". A practice sees only known issues of products it uses
(incidents.known_issues.visible_to); any other is a 404, as another practice's incident is."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import known_issues
from .exceptions import InvalidTransition
from .models import Incident


def _staff_elsewhere(request):
    return render(request, "incidents/staff_elsewhere.html", status=403)


def get_known_issue_for_user(request, pk):
    """The one place that decides whether this user may see this known issue: one of a product their
    practice uses; else a 404 (for staff too, as for a practice's incident: they work in admin)."""
    known_issue = known_issues.visible_to(request.user.practice_id).filter(pk=pk).first()
    if known_issue is None:
        raise Http404("No such known issue.")
    return known_issue


@login_required
def known_issue_list(request):
    if not request.user.practice_id:
        return _staff_elsewhere(request)
    issues = list(known_issues.current_for(request.user.practice_id))
    return render(request, "incidents/known_issues/list.html", {"known_issues": issues})


@login_required
def known_issue_detail(request, pk):
    known_issue = get_known_issue_for_user(request, pk)
    ours = Incident.objects.filter(practice_id=request.user.practice_id, known_issue=known_issue).order_by(
        "-created_at", "-id"
    )
    context = {
        "known_issue": known_issue,
        "updates": known_issue.updates.filter(public=True).order_by("-created_at", "-id"),
        "our_incidents": ours.only("reference", "summary", "status", "created_at"),
    }
    return render(request, "incidents/known_issues/detail.html", context)


@login_required
@require_POST
def known_issue_affects_us(request, pk):
    """One click: log an incident linked to the known issue, its checklist filled from it; a practice
    already following it is shown its own incident."""
    known_issue = get_known_issue_for_user(request, pk)
    try:
        incident, created = known_issues.known_issue_affects_us(known_issue, actor=request.user)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
        return redirect(known_issue)
    if created:
        messages.success(
            request,
            f"Logged as {incident.reference}, linked to the known issue: its updates will appear there, and "
            "its fix will resolve it. Add anything particular to your practice as a note.",
        )
    else:
        messages.info(request, f"Your incident {incident.reference} already follows this known issue.")
    return redirect(incident)
