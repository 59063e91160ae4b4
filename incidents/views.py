import json
from itertools import groupby
from operator import attrgetter

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, Subquery, TextField, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.list_visits import last_list_visit, note_list_visit
from servicedesk.lib.pagination import newest_page, page_number
from servicedesk.lib.ratelimit import over_limit

from . import held_uploads, services
from .attachments import IMAGE_SIZES, IMAGE_TYPES, attachment_response, image_response, upright_size
from .exceptions import StorageFull
from .forms import (
    ConfirmNoPatientDataForm,
    IncidentDetailsForm,
    IncidentFilterForm,
    IncidentForm,
    NoteForm,
    ReasonForm,
    RedactedCopyForm,
    RemoteAccessForm,
)
from .models import Attachment, Channel, Incident, Status, TimelineEvent
from .presentation import by_day, incident_details, incident_links
from .search import excerpt, highlight, search, words
from .services import CUSTOMER, allowed_actions, incident_log
from .wording import severity_wordings

PAGE_SIZE = 25
TIMELINE_PAGE_SIZE = 50  # entries of an incident's timeline on one page, the latest first
REASONS = {
    "reject": "Why did it not work?",
    "close": "Why is it no longer relevant?",
    "escalate": "Why does this need escalating?",
    "reopen": "Why are you reopening it?",
}


def get_incident_for_user(request, reference):
    """The one place that decides whether this user may see this incident.

    Practice staff see every incident of their own practice; anyone else gets a 404, never a 403, so
    that a reference reveals nothing about another practice.
    """
    # Only the joins the page needs on most incidents: a release or an escalation level, when there is
    # one, costs a query of its own, cheaper than PostgreSQL planning two more joins on every request.
    incidents = Incident.objects.select_related("product", "site", "reporter")
    return get_object_or_404(
        incidents, reference=reference.upper(), practice_id=request.user.practice_id or -1
    )


def _staff_elsewhere(request):
    return render(request, "incidents/staff_elsewhere.html", status=403)


# The practice's attention first: the desk waits for its answer, or for its confirmation of a solution.
WAITING_FOR_YOU = (Status.AWAITING_CUSTOMER, Status.RESOLVED)
GROUPS = {0: "Waiting for you", 1: "With the Service Desk", 2: "Closed"}
# The allow-list of orders within a group (forms.LIST_SORTS says them in words); ties newest first.
ORDERINGS = {
    "-updated": ["-last_update", "-id"],
    "updated": ["last_update", "id"],
    "severity": ["severity", "-last_update", "-id"],
    "-severity": ["-severity", "-last_update", "-id"],
    "-reference": ["-reference"],
    "reference": ["reference"],
}
DEFAULT_SORT = "-updated"


def _public_events():
    return TimelineEvent.objects.filter(public=True)


def _practice_incidents(practice_id, filters):
    """The practice's incidents for its list, each with its group and last public update: the one place
    this queryset is built. Not yet split by tab, nor ordered.

    `filters` come from a validated form, so only its allow-listed keys and values reach the database.
    """
    latest = _public_events().filter(incident=OuterRef("pk")).order_by("-created_at", "-id")
    # As the incident's page finds it (_latest_question): the status change to awaiting-customer.
    questions = latest.filter(kind=TimelineEvent.Kind.STATUS, new_value=Status.AWAITING_CUSTOMER)
    incidents = (
        Incident.objects.filter(practice_id=practice_id)
        .select_related("product", "reporter")
        .annotate(
            last_update=Coalesce(Subquery(latest.values("created_at")[:1]), F("created_at")),
            question=Case(
                When(status=Status.AWAITING_CUSTOMER, then=Subquery(questions.values("text")[:1])),
                default=Value(""),
                output_field=TextField(),
            ),
            group=Case(
                When(status__in=WAITING_FOR_YOU, then=Value(0)),
                When(status=Status.CLOSED, then=Value(2)),
                default=Value(1),
            ),
        )
    )
    if "q" in filters:
        incidents = search(incidents, filters["q"])
    for name in ("status", "severity", "product"):
        if name in filters:
            incidents = incidents.filter(**{name: filters[name]})
    return incidents


def _group_counts(incidents, user, since):
    """How many incidents are in each group and, with `since`, how many others have updated since then."""
    counts = {
        "waiting": Count("pk", filter=Q(status__in=WAITING_FOR_YOU)),
        "with_desk": Count("pk", filter=~Q(status__in=[*WAITING_FOR_YOU, Status.CLOSED])),
        "closed": Count("pk", filter=Q(status=Status.CLOSED)),
    }
    if since:
        by_others = _public_events().filter(incident=OuterRef("pk"), created_at__gt=since)
        by_others = by_others.exclude(actor=user)
        counts["updated"] = Count("pk", filter=Q(Exists(by_others)))
    return incidents.order_by().aggregate(**counts)


class _CountedPaginator(Paginator):
    """A paginator told its count, which the group counts have already read."""

    def __init__(self, object_list, per_page, count):
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # Paginator.count is a cached_property


def _tab(filters):
    """The tab to show: the one holding the status filtered for, else the one chosen, else Open."""
    if "status" in filters:
        return "closed" if filters["status"] == Status.CLOSED else "open"
    return filters.get("show", "open")


@login_required
def incident_list(request):
    """The practice's incidents: those waiting for it first, then those with the desk, newest update
    first; closed ones on their own tab. Filtered, searched, sorted on an allow-list, paginated."""
    if not request.user.practice_id:
        return _staff_elsewhere(request)
    wordings = severity_wordings(request.user.practice.contract_id)  # the contract's severity words
    form = IncidentFilterForm(request.GET or None, wordings=wordings)
    filters = form.valid_filters
    incidents = _practice_incidents(request.user.practice_id, filters)
    # The greeting says what changed since the last visit, on the list as it opens; it is then seen.
    greeting = (
        not {"q", "status", "severity", "product", "show"} & filters.keys() and "page" not in request.GET
    )
    since = last_list_visit(request) if greeting else None
    counts = _group_counts(incidents, request.user, since)
    tab = _tab(filters)
    sort = filters.get("sort", DEFAULT_SORT)
    if tab == "closed":
        shown = incidents.filter(status=Status.CLOSED)
        total = counts["closed"]
    else:
        shown = incidents.exclude(status=Status.CLOSED)
        total = counts["waiting"] + counts["with_desk"]
    shown = shown.order_by("group", *ORDERINGS[sort])
    page = _CountedPaginator(shown, PAGE_SIZE, total).get_page(request.GET.get("page"))
    found = words(filters.get("q", ""))
    if found:
        _add_excerpts(page.object_list, found)
    sections = [
        (group, GROUPS[group], counts[GROUP_COUNTS[group]], list(rows))
        for group, rows in groupby(page.object_list, key=attrgetter("group"))
    ]
    if greeting:
        note_list_visit(request)
    # The pages' links carry the filters the form knows, and nothing else from the address.
    kept = [(name, form.data[name]) for name in form.fields if form.data.get(name)]
    context = {
        "form": form,
        "page": page,
        "tab": tab,
        "sort": sort,
        "counts": counts,
        "greeting": greeting,
        "since": since,
        "found": found,
        "query": urlencode(kept),
        "sections": sections,
        # The filters' panel stays open while any of them applies.
        "filtered": bool({"status", "severity", "product"} & filters.keys()) or sort != DEFAULT_SORT,
        "tab_query": {
            t: urlencode([*[(n, v) for n, v in kept if n not in ("show", "status")], ("show", t)])
            for t in TABS
        },
        "headings": _sortable_headings(kept, sort),
        "detail_prefix": reverse("incidents:list"),  # rows link to PREFIX + reference: one reverse()
        "wordings": wordings,
    }
    return render(request, "incidents/list.html", context)


TABS = ("open", "closed")
GROUP_COUNTS = {0: "waiting", 1: "with_desk", 2: "closed"}
# The list's columns: heading, and the sort keys its link offers (first: when it is not the sort already).
COLUMNS = [
    ("Reference", ("-reference", "reference")),
    ("Summary", ()),
    ("Status", ()),
    ("Severity", ("severity", "-severity")),
    ("Last update", ("-updated", "updated")),
]


def _sortable_headings(kept, sort):
    """Each column's heading with, for a sortable one, the link that sorts by it (or reverses it) and its
    aria-sort ("ascending", "descending") when the list is sorted by it."""
    others = [(name, value) for name, value in kept if name not in ("sort", "page")]
    headings = []
    for label, keys in COLUMNS:
        heading = {"label": label, "href": "", "aria_sort": ""}
        if keys:
            current = sort in keys
            target = keys[1] if sort == keys[0] else keys[0]
            heading["href"] = "?" + urlencode([*others, ("sort", target)])
            if current:
                heading["aria_sort"] = "descending" if sort.startswith("-") else "ascending"
        headings.append(heading)
    return headings


def _add_excerpts(incidents, found):
    """Each listed incident's summary highlighted and, when a word was found elsewhere, where: from the
    incident's own texts, else from its visible timeline (one query for the page)."""
    incidents = list(incidents)
    timeline = {}
    for incident_id, text in (
        _public_events()
        .filter(incident__in=incidents, purged_at__isnull=True)
        .exclude(text="")
        .order_by("-created_at", "-id")
        .values_list("incident_id", "text")
    ):
        timeline.setdefault(incident_id, []).append(text)
    for incident in incidents:
        incident.summary_marked = highlight(incident.summary, found)
        texts = [incident.description, incident.onscreen_messages, *timeline.get(incident.pk, [])]
        incident.excerpt = next((marked for text in texts if (marked := excerpt(text, found))), "")
        incident.machine_marked = highlight(incident.machine_name, found) if incident.machine_name else ""
        whole = incident.reference.lower() in found  # a reference is found only whole
        incident.reference_marked = mark_safe(f"<mark>{incident.reference}</mark>") if whole else None  # noqa: S308


def _rate_refusal(request, *limits):
    """Count this change against each (what, rate setting, uses) of `limits` for the signed-in user; a
    message saying what was reached and when to try again once any is over its limit, else None."""
    for what, rate, uses in limits:  # once one refuses, the rest are not counted (nothing was done)
        if uses and (refusal := over_limit(request, f"portal:{what}", rate, count=uses)):
            return (
                f"You have sent as many {what} as we take from one person in a short time ({refusal.limit}), "
                f"so this was not sent. What you typed is kept below (attach any files again). Please try "
                f"again in {refusal.minutes_left} minute{'s' if refusal.minutes_left != 1 else ''}, or "
                f"telephone the Service Desk on {settings.SERVICE_DESK['phone']} if it is urgent."
            )
    return None


def _action_limit(request, *more):
    return _rate_refusal(request, ("changes", settings.PORTAL_ACTION_RATE_LIMIT, 1), *more)


def _files_limit(request):
    return ("files", settings.UPLOAD_RATE_LIMIT, len(request.FILES.getlist("files")))


def _held_files(request):
    """The files kept from this form's refused submission that come back with it (signed handles in
    `held_files`), less those the user chose to remove; and how many handles found nothing."""
    if request.method != "POST":
        return {"held": [], "held_lost": 0}
    removed = set(request.POST.getlist("held_remove"))
    held, lost = [], 0
    handles = list(dict.fromkeys(request.POST.getlist("held_files")))[: settings.ATTACHMENT_MAX_PER_NOTE]
    for handle in handles:
        found = held_uploads.find(request, handle)
        if found is None:
            lost += handle not in removed
        elif handle in removed:
            held_uploads.release([found])
        else:
            held.append(found)
    return {"held": held, "held_lost": lost}


def _hold_passed_files(request, form):
    """A refused submission: keep its new files that passed their checks, so that the form comes back with
    them attached."""
    form.held += [held_uploads.hold(request, checked) for checked in form.passed_uploads]


@login_required
@sensitive_post_parameters("remote_access_details")
def incident_new(request):
    """The handbook's checklist. On success the incident's reference is shown at once and emailed."""
    if not request.user.practice_id:
        return _staff_elsewhere(request)
    practice = request.user.practice
    if request.method == "POST" and (refused := _action_limit(request, _files_limit(request))):
        messages.error(request, refused)
        # Unchecked: nothing was sent. Files kept from before stay attached; new ones were not read.
        form = IncidentForm(initial=request.POST.dict(), practice=practice, **_held_files(request))
        return render(request, "incidents/new.html", {"form": form}, status=429)
    # A submitted form shows what was typed, so its initial values are needed (and queried) on GET only.
    initial = _initial_for(request) if request.method != "POST" else None
    form = IncidentForm(
        request.POST or None,
        request.FILES or None,
        practice=practice,
        initial=initial,
        **_held_files(request),
    )
    if request.method == "POST" and form.is_valid():
        incident = form.save(commit=False)
        incident.reporter = request.user
        incident.channel = Channel.PORTAL
        try:
            incident = incident_log(
                incident,
                actor=request.user,
                nhs_override_fields=form.nhs_override_fields,
                uploads=form.cleaned_data["files"],
            )
        except StorageFull as exc:
            form.add_error("files", str(exc))
            _hold_passed_files(request, form)
            return render(request, "incidents/new.html", {"form": form}, status=413)
        held_uploads.release(form.held)
        messages.success(
            request,
            f"Your incident has been logged. Its reference is {incident.reference}: please keep it for "
            "progress checks. We have emailed it to you as well.",
            extra_tags=_draft_sent(f"incident-new:{request.user.pk}"),  # as templates/incidents/new.html
        )
        return redirect(incident)
    if form.is_bound:
        _hold_passed_files(request, form)
    return render(request, "incidents/new.html", {"form": form}, status=400 if form.is_bound else 200)


@login_required
@sensitive_post_parameters("remote_access_details")
def complete_details(request, reference):
    """The practice completes the checklist of an incident it emailed in (the intake's reply links here),
    or corrects it while the incident is open."""
    incident = get_incident_for_user(request, reference)
    if refusal := services.details_refusal(incident, request.user):
        messages.error(request, refusal)
        return _detail(request, incident, status=409)
    posted = request.method == "POST"
    if posted and (refused := _action_limit(request)):
        messages.error(request, refused)
        form = IncidentDetailsForm(
            instance=incident, initial=request.POST.dict(), practice=request.user.practice
        )
        return _details_page(request, incident, form, status=429)
    form = IncidentDetailsForm(
        request.POST if posted else None, instance=incident, practice=request.user.practice
    )
    if not (posted and form.is_valid()):
        return _details_page(request, incident, form, status=400 if posted else 200)
    changed = [name for name in form.changed_data if name in IncidentDetailsForm.Meta.fields]
    try:
        services.incident_correct_details(
            incident, actor=request.user, changed_fields=changed, nhs_override_fields=form.nhs_override_fields
        )
    except services.InvalidTransition as exc:  # closed while the form was open
        return _refused(request, incident, exc)
    if changed:
        messages.success(request, f"Thank you: the details of {incident.reference} are saved.")
    else:
        messages.info(request, f"Nothing was changed in the details of {incident.reference}.")
    return redirect(incident)


def _details_page(request, incident, form, status):
    severity = severity_wordings(request.user.practice.contract_id)[incident.severity]
    context = {"incident": incident, "severity": severity, "form": form}
    return render(request, "incidents/details.html", context, status=status)


def _initial_for(request):
    user = request.user
    main_site = user.practice.sites.filter(is_main=True).first()
    initial = {"contact_name": user.full_name, "contact_number": user.phone, "site": main_site}
    if follows := _followed_incident(request):
        link = request.build_absolute_uri(follows.get_absolute_url())
        initial["description"] = f"This follows on from {follows.reference} ({link}), which was closed.\n\n"
    return initial


def _followed_incident(request):
    """The practice's own closed incident named by ?follows=, which a new incident refers to; else None."""
    reference = request.GET.get("follows", "")
    if not reference.isalnum() or len(reference) > 20:
        return None
    incident = Incident.objects.filter(
        reference=reference.upper(), practice_id=request.user.practice_id, status=Status.CLOSED
    ).first()
    return incident


def _latest_question(incident):
    """The desk's question that put the incident in awaiting-customer: the last such status event."""
    questions = incident.events.filter(kind=TimelineEvent.Kind.STATUS, new_value=Status.AWAITING_CUSTOMER)
    return questions.filter(public=True).last()  # by the events' ordering: created_at, id


def _timeline(incident, page):
    """One page of the practice's view of the timeline, newest first, grouped by (local) day."""
    newest_first = (
        incident.events.filter(public=True)
        .order_by("-created_at", "-id")
        .select_related("actor")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
    )
    entries, has_earlier = newest_page(newest_first, page, TIMELINE_PAGE_SIZE)
    days = by_day(entries)
    return {"days": days, "page": page, "has_earlier": has_earlier}


def _closing_event(incident):
    """The entry that closed the incident (a confirmation or the practice's reason): its summary."""
    return incident.events.filter(public=True, new_value=Status.CLOSED).order_by("-created_at", "-id").first()


def _unbound_forms(typed=None):
    """The incident page's forms, unbound; with `typed` (a POST), each holding what was typed into it."""
    typed = typed or {}
    return {
        "note_form": NoteForm(initial={"text": typed.get("text", "")}),
        **{
            f"{prefix}_form": ReasonForm(
                prefix=prefix, label=label, initial={"reason": typed.get(f"{prefix}-reason", "")}
            )
            for prefix, label in REASONS.items()
        },
        "remote_form": None,  # made in _detail from the incident's current values
    }


def _detail(request, incident, status=200, timeline=1, **forms):
    """The incident page, with the forms for what the practice may do now (bound ones keep their input)."""
    awaiting = incident.status == Status.AWAITING_CUSTOMER
    closed = incident.status == Status.CLOSED
    # The incident is the user's practice's (get_incident_for_user), so its contract is the user's.
    severity = severity_wordings(request.user.practice.contract_id)[incident.severity]
    context = {
        "incident": incident,
        "severity": severity,
        "timeline": _timeline(incident, timeline),
        "actions": allowed_actions(incident, CUSTOMER),
        "awaiting_question": _latest_question(incident) if awaiting else None,
        "closing_event": _closing_event(incident) if closed else None,
        "can_reopen": services.can_reopen(incident),
        "reopen_until": services.reopen_deadline(incident),
        "details": incident_details(incident, severity),
        "links": incident_links(incident),
        "image_types": IMAGE_TYPES,
        "following": incident.followers.filter(user=request.user).exists(),
        "note_draft_key": _note_draft_key(request, incident),
        **_unbound_forms(),
        **forms,
    }
    if context["remote_form"] is None and incident.is_open:
        context["remote_form"] = _remote_form(incident)
    return render(request, "incidents/detail.html", context, status=status)


def _note_draft_key(request, incident):
    """Where the browser keeps the user's draft of a note on this incident (static/js/form_draft.js)."""
    return f"incident-note:{request.user.pk}:{incident.reference}"


def _draft_sent(key):
    """The extra tags of the message confirming that a form was sent: the browser then drops the form's
    draft, kept under `key` (static/js/portal.js)."""
    return f"draft-sent {key}"


def _remote_form(incident, data=None):
    initial = {"allowed": incident.remote_access_allowed, "constraints": incident.remote_access_constraints}
    return RemoteAccessForm(data, prefix="remote", initial=initial)


@login_required
@require_POST
def follow_incident(request, reference):
    """Follow, or stop following, an incident: its updates are emailed as the user's profile chooses."""
    incident = get_incident_for_user(request, reference)
    follow = request.POST.get("follow") == "1"
    services.incident_follow(incident, actor=request.user, follow=follow)
    if follow:
        messages.success(request, f"You are following {incident.reference}: we will email you its updates.")
    else:
        messages.success(request, f"You have stopped following {incident.reference}.")
    return redirect(incident)


@login_required
@require_POST
@sensitive_post_parameters("remote-details")
def change_remote_access(request, reference):
    """The practice changes how and when the desk may connect for this incident; the desk is told."""
    incident = get_incident_for_user(request, reference)
    if refused := _action_limit(request):
        return _too_many(request, incident, refused)
    form = _remote_form(incident, request.POST)
    if not form.is_valid():
        return _detail(request, incident, status=400, remote_form=form)
    try:
        with transaction.atomic():
            _, event = services.incident_update_remote_access(
                incident,
                actor=request.user,
                allowed=form.cleaned_data["allowed"],
                constraints=form.cleaned_data["constraints"],
                details=form.new_details,
            )
            services.incident_record_nhs_override(
                incident, actor=request.user, field_labels=form.nhs_override_fields
            )
    except services.InvalidTransition as exc:
        return _refused(request, incident, exc)
    if event:
        messages.success(request, "Remote access updated, and the Service Desk told.")
    else:
        messages.info(request, "Nothing was changed in the remote access.")
    return redirect(incident)


@login_required
@sensitive_post_parameters("details")
def practice_remote_access(request):
    """The practice's own remote-access details, used by the desk for all its incidents."""
    if not request.user.practice_id:
        return _staff_elsewhere(request)
    practice = request.user.practice
    form = RemoteAccessForm(request.POST or None, for_practice=True)
    if request.method == "POST" and (refused := _action_limit(request)):
        messages.error(request, refused)
        return redirect("incidents:practice_remote_access")
    if request.method == "POST" and form.is_valid():
        new = form.new_details
        if new is not None and services.practice_update_remote_access(
            practice, actor=request.user, details=new
        ):
            messages.success(
                request, "Your practice's remote-access details are saved and the Service Desk told."
            )
        else:
            messages.info(request, "Nothing was changed: type new details, or tick the box to remove them.")
        return redirect("incidents:practice_remote_access")
    context = {"form": form, "has_details": bool(practice.remote_access_details)}
    return render(
        request, "incidents/practice_remote_access.html", context, status=400 if form.is_bound else 200
    )


@login_required
def incident_detail(request, reference):
    incident = get_incident_for_user(request, reference)
    return _detail(request, incident, timeline=page_number(request.GET.get("timeline")))  # 1: the latest


def _refused(request, incident, exc):
    """An action the incident's state does not allow: say why, on the page, with 409 Conflict."""
    messages.error(request, str(exc))
    incident.refresh_from_db()  # show the state that made it impossible, not the one first loaded
    return _detail(request, incident, status=409)


def _too_many(request, incident, message, **forms):
    """Over a rate limit: say so on the incident's page (429), with what the user typed kept in its form."""
    messages.error(request, message)
    return _detail(request, incident, status=429, **{**_unbound_forms(request.POST), **forms})


@login_required
@require_POST
def add_note(request, reference):
    incident = get_incident_for_user(request, reference)
    if refused := _rate_refusal(request, ("notes", settings.NOTE_RATE_LIMIT, 1), _files_limit(request)):
        # Files kept from before stay attached; new ones were not read.
        note_form = NoteForm(initial={"text": request.POST.get("text", "")}, **_held_files(request))
        return _too_many(request, incident, refused, note_form=note_form)
    form = NoteForm(request.POST, request.FILES, **_held_files(request))
    if not form.is_valid():
        _hold_passed_files(request, form)
        return _detail(request, incident, status=400, note_form=form)
    try:
        services.incident_add_note(
            incident,
            actor=request.user,
            text=form.cleaned_data["text"],
            uploads=form.cleaned_data["files"],
            nhs_override_fields=form.nhs_override_fields,
        )
    except StorageFull as exc:
        form.add_error("files", str(exc))
        _hold_passed_files(request, form)
        return _detail(request, incident, status=413, note_form=form)
    held_uploads.release(form.held)
    messages.success(
        request,
        "Your note has been added and the Service Desk told.",
        extra_tags=_draft_sent(_note_draft_key(request, incident)),
    )
    return redirect(incident)


@login_required
@require_POST
def request_progress(request, reference):
    incident = get_incident_for_user(request, reference)
    if refused := _action_limit(request):
        return _too_many(request, incident, refused)
    try:
        notified, when = services.incident_request_progress(incident, actor=request.user)
    except services.InvalidTransition as exc:
        return _refused(request, incident, exc)
    if notified:
        messages.success(request, "We have asked the Service Desk for a progress update.")
    else:
        messages.info(
            request,
            f"A progress update was already requested at {timezone.localtime(when):%H:%M on %-d %B}; "
            "the Service Desk has been told.",
        )
    return redirect(incident)


@login_required
@require_POST
def confirm_resolution(request, reference):
    incident = get_incident_for_user(request, reference)
    if refused := _action_limit(request):
        return _too_many(request, incident, refused)
    try:
        services.incident_confirm(incident, actor=request.user)
    except services.InvalidTransition as exc:
        return _refused(request, incident, exc)
    messages.success(request, f"Thank you. {incident.reference} is closed.")
    return redirect(incident)


def reason_view(prefix, service, done):
    """The view that rejects, closes or asks for escalation: a required reason (NHS-guarded), the service,
    and the user's confirmation, `done` (formatted with the reference)."""

    @login_required
    @require_POST
    def view(request, reference):
        incident = get_incident_for_user(request, reference)
        if refused := _action_limit(request):
            return _too_many(request, incident, refused)
        form = ReasonForm(request.POST, prefix=prefix, label=REASONS[prefix])
        if not form.is_valid():
            return _detail(request, incident, status=400, **{f"{prefix}_form": form})
        try:
            with transaction.atomic():
                service(incident, actor=request.user, reason=form.cleaned_data["reason"])
                services.incident_record_nhs_override(
                    incident, actor=request.user, field_labels=form.nhs_override_fields
                )
        except services.InvalidTransition as exc:
            return _refused(request, incident, exc)
        messages.success(request, done.format(reference=incident.reference))
        return redirect(incident)

    return view


reject_resolution = reason_view(
    "reject", services.incident_reject, "{reference} is reopened and the Service Desk will investigate again."
)
close_incident = reason_view("close", services.incident_close_not_relevant, "{reference} is closed.")
reopen_incident = reason_view(
    "reopen", services.incident_reopen, "{reference} is reopened and the Service Desk will investigate again."
)


def _get_attachment(request, reference, pk):
    """A file the practice may see: of its incident, on a public entry, not purged."""
    incident = get_incident_for_user(request, reference)
    attachment = get_object_or_404(
        Attachment.objects.select_related("uploaded_by"),
        pk=pk,
        incident=incident,
        event__public=True,
        purged_at__isnull=True,
    )
    attachment.incident = incident
    return attachment


@login_required
def download_attachment(request, reference, pk):
    """A file of one of the practice's incidents, always as a download, never shown inline."""
    return attachment_response(_get_attachment(request, reference, pk))


@login_required
def attachment_image(request, reference, pk, size):
    """An attached screenshot re-encoded at thumbnail or large size, under the same check as its download."""
    if size not in IMAGE_SIZES:
        raise Http404
    return image_response(_get_attachment(request, reference, pk), size)


def _get_held_attachment(request, reference, pk):
    """A screenshot the practice uploaded that the check holds, for the practice to redact or confirm.
    Raises InvalidTransition for one no longer held (a colleague dealt with it)."""
    incident = get_incident_for_user(request, reference)
    # Replaced or deleted files too (purged), so that a colleague a moment late is told what became of it.
    attachment = get_object_or_404(
        Attachment.objects.select_related("uploaded_by"), pk=pk, incident=incident, event__public=True
    )
    attachment.incident = incident
    if attachment.uploaded_by.is_staff or not attachment.awaiting_practice:
        raise services.InvalidTransition(
            f"{attachment.original_name} is not held: {attachment.get_check_status_display().lower()}."
        )
    return attachment


def held_file_view(template):
    """A page about one held screenshot (`template`), for the practice; the view below it gets the held
    attachment, or the user goes back to the incident with why when it is no longer held."""

    def decorator(view):
        @login_required
        def wrapped(request, reference, pk):
            try:
                attachment = _get_held_attachment(request, reference, pk)
            except services.InvalidTransition as exc:
                messages.info(request, str(exc))
                return redirect("incidents:detail", reference=reference.upper())

            def page(form, status=200):
                context = {"incident": attachment.incident, "attachment": attachment, "form": form}
                return render(request, f"incidents/{template}", context, status=status)

            try:
                return view(request, attachment, page)
            except services.InvalidTransition as exc:  # dealt with by a colleague a moment ago
                messages.info(request, str(exc))
                return redirect(attachment.incident)

        return wrapped

    return decorator


@held_file_view("file_confirm.html")
def attachment_confirm(request, attachment, page):
    """The practice confirms that a held screenshot shows no patient data: then the desk may open it."""
    if request.method != "POST":
        return page(ConfirmNoPatientDataForm())
    form = ConfirmNoPatientDataForm(request.POST)
    if refused := _action_limit(request):
        messages.error(request, refused)
        return page(form, status=429)
    if not form.is_valid():
        return page(form, status=400)
    services.attachment_confirm_no_patient_data(attachment, actor=request.user)
    messages.success(
        request,
        f"Thank you. The Service Desk can now open {attachment.original_name}. Your confirmation is on "
        "the incident's timeline.",
    )
    return redirect(attachment.incident)


def _redacting(attachment, *args):
    """The form for a redacted copy; its field opens the editor on the held image, with the boxes the check
    suggests over what it read."""
    attrs = {
        "data-redact-name": attachment.original_name,
        "data-redact-suggest": json.dumps(attachment.check_boxes),
    }
    if size := upright_size(attachment):  # else too large to open safely in a browser: the no-script way
        attrs |= {"data-redact-src": attachment.get_absolute_url(), "data-redact-size": json.dumps(size)}
    return RedactedCopyForm(*args, redact_attrs=attrs)


@held_file_view("file_redact.html")
def attachment_redact(request, attachment, page):
    """The practice replaces a held screenshot with a redacted copy, which is checked again."""
    if request.method != "POST":
        return page(_redacting(attachment))
    if refused := _rate_refusal(
        request, ("changes", settings.PORTAL_ACTION_RATE_LIMIT, 1), _files_limit(request)
    ):
        messages.error(request, refused)
        return page(_redacting(attachment), status=429)
    form = _redacting(attachment, request.POST, request.FILES)
    if not form.is_valid():
        return page(form, status=400)
    try:
        copy = services.attachment_replace_with_redacted(
            attachment, actor=request.user, upload=form.cleaned_data["files"]
        )
    except StorageFull as exc:
        form.add_error("files", str(exc))
        return page(form, status=413)
    messages.success(
        request,
        f"Thank you. The redacted copy {copy.original_name} replaces {attachment.original_name}, which has "
        "been deleted. The copy is checked for patient data, as every screenshot is, before the Service Desk "
        "can open it.",
    )
    return redirect(attachment.incident)
