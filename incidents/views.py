from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render

from .forms import IncidentFilterForm, IncidentForm
from .models import Channel, Incident
from .services import incident_log

PAGE_SIZE = 25


def _get_incident_for_user(request, reference):
    """The one place that decides whether this user may see this incident.

    Practice staff see every incident of their own practice; anyone else gets a 404, never a 403, so
    that a reference reveals nothing about another practice.
    """
    return get_object_or_404(
        Incident.objects.select_related("product", "site", "reporter", "practice"),
        reference=reference.upper(),
        practice_id=request.user.practice_id or -1,
    )


def _staff_elsewhere(request):
    return render(request, "incidents/staff_elsewhere.html", status=403)


def _practice_incidents(practice_id, filters):
    """The practice's incidents for its list, newest first: the one place this queryset is built.

    `filters` come from a validated form, so only its allow-listed keys and values reach the database.
    """
    incidents = Incident.objects.filter(practice_id=practice_id).select_related("product", "reporter")
    if q := filters.get("q", "").strip():
        incidents = incidents.filter(Q(reference__iexact=q) | Q(summary__icontains=q))
    for name in ("status", "severity", "product"):
        if name in filters:
            incidents = incidents.filter(**{name: filters[name]})
    return incidents.order_by("-created_at", "-id")


@login_required
def incident_list(request):
    """Every incident of the user's practice, newest first, filtered and paginated."""
    if not request.user.practice_id:
        return _staff_elsewhere(request)
    form = IncidentFilterForm(request.GET or None)
    incidents = _practice_incidents(request.user.practice_id, form.valid_filters)
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "incidents/list.html", {"form": form, "page": page, "query": query.urlencode()})


@login_required
def incident_new(request):
    """The handbook's checklist. On success the incident's reference is shown at once and emailed."""
    if not request.user.practice_id:
        return _staff_elsewhere(request)
    practice = request.user.practice
    form = IncidentForm(request.POST or None, practice=practice, initial=_initial_for(request.user))
    if request.method == "POST" and form.is_valid():
        incident = form.save(commit=False)
        incident.reporter = request.user
        incident.channel = Channel.PORTAL
        incident = incident_log(incident, actor=request.user, nhs_override_fields=form.nhs_override_fields)
        messages.success(
            request,
            f"Your incident has been logged. Its reference is {incident.reference}: please keep it for "
            "progress checks. We have emailed it to you as well.",
        )
        return redirect(incident)
    return render(request, "incidents/new.html", {"form": form})


def _initial_for(user):
    main_site = user.practice.sites.filter(is_main=True).first()
    return {"contact_name": user.full_name, "contact_number": user.phone, "site": main_site}


@login_required
def incident_detail(request, reference):
    incident = _get_incident_for_user(request, reference)
    events = incident.events.filter(public=True).select_related("actor")
    return render(request, "incidents/detail.html", {"incident": incident, "events": events})
