"""Known issues: one fault many practices meet, declared by the desk (issue 19). Every change to a known
issue, and to an incident on its account, goes through a function here; incidents change only through
incidents.services, so their timelines, clocks and emails behave as for one incident.

Which practices see a known issue: those that use its product, meaning that the practice has logged an
incident for that product in the last USE_MONTHS months, or has an incident linked to the known issue
(a practice that said "this affects us too" keeps following it). A known issue is current while it is not
fixed, and for FIXED_SHOWN after it was fixed (shown as fixed). A current known issue of severity 1 or 2
shows as a banner on every portal page of the practices that use its product.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone

from servicedesk.outbox import queue_on_commit

from . import services
from .exceptions import InvalidTransition
from .models import (
    Channel,
    Incident,
    KnownIssue,
    KnownIssueStatus,
    KnownIssueUpdate,
    Release,
    Status,
    TimelineEvent,
)
from .search import words as search_words
from .tasks import send_incident_email, send_incident_logged_email

USE_MONTHS = 12
FIXED_SHOWN = timedelta(days=1)
BANNER_SEVERITIES = (1, 2)

UPDATE_TEXT = "Update on the known issue “{title}”: {text}"


# --- Reading ---------------------------------------------------------------------------------------


def _current(now):
    return ~Q(status=KnownIssueStatus.FIXED) | Q(fixed_at__gte=now - FIXED_SHOWN)


def _used_by(practice_id, now):
    """True for a known issue whose product the practice uses (see the module's docstring)."""
    logged = Incident.objects.filter(
        practice_id=practice_id,
        product_id=OuterRef("product_id"),
        created_at__gte=now - timedelta(days=365 * USE_MONTHS // 12),
    )
    linked = Incident.objects.filter(practice_id=practice_id, known_issue_id=OuterRef("pk"))
    return Exists(logged) | Exists(linked)


def _ours(practice_id):
    """The reference of the practice's newest open incident linked to the known issue, if any."""
    linked = Incident.objects.filter(practice_id=practice_id, known_issue_id=OuterRef("pk")).exclude(
        status=Status.CLOSED
    )
    return Subquery(linked.order_by("-created_at", "-id").values("reference")[:1])


def visible_to(practice_id, now=None):
    """The known issues the practice may see: of products it uses, with `ours`, the reference of the
    practice's own open incident following it (or None). Not limited to current ones."""
    now = now or timezone.now()
    if not practice_id:
        return KnownIssue.objects.none()
    return (
        KnownIssue.objects.filter(_used_by(practice_id, now))
        .annotate(ours=_ours(practice_id))
        .select_related("product", "release")
    )


def current_for(practice_id, now=None):
    """The current known issues of the practice's products, the most severe first: one query."""
    now = now or timezone.now()
    return visible_to(practice_id, now).filter(_current(now))


def banner_for(practice_id, now=None):
    """The known issues to show as a banner on every portal page of the practice: current, severity 1 or
    2, of a product it uses, at most three. One query (on the indexes incident_practice_newest and
    known_issue_product_status); not cached, since a cache that knows when a known issue changes would
    need a query of its own."""
    now = now or timezone.now()
    if not practice_id:
        return []
    return list(current_for(practice_id, now).filter(severity__in=BANNER_SEVERITIES)[:3])


def matching_known_issues(words, *, practice, limit=5):
    """The current known issues of the practice's products whose title or symptoms contain every one of
    `words` (a string, split by incidents.search.words, or a list of words), most severe first: for the
    log form's "Is it one of these?"."""
    found = search_words(words) if isinstance(words, str) else [w.lower() for w in words if w]
    if not found or practice is None:
        return []
    issues = current_for(getattr(practice, "pk", practice))
    for word in found:
        issues = issues.filter(Q(title__icontains=word) | Q(symptoms__icontains=word))
    return list(issues[:limit])


def practices_of(known_issue):
    """The linked incidents, each with its practice, for the desk: grouped by practice in admin."""
    return known_issue.incidents.select_related("practice").order_by("practice__name", "pk")


def confirmed_count(known_issue):
    """How many practices confirmed that the fix worked, of how many were asked: (confirmed, asked)."""
    if known_issue.fixed_at is None:
        return 0, 0
    linked = known_issue.incidents.filter(resolved_at__gte=known_issue.fixed_at - timedelta(minutes=5))
    confirmed = TimelineEvent.objects.filter(
        incident=OuterRef("pk"), kind=TimelineEvent.Kind.CONFIRMED, created_at__gte=known_issue.fixed_at
    )
    counts = linked.aggregate(
        asked=Count("practice_id", distinct=True),
        confirmed=Count("practice_id", distinct=True, filter=Q(Exists(confirmed))),
    )
    return counts["confirmed"], counts["asked"]


# --- Writing ---------------------------------------------------------------------------------------


def _require_staff(actor):
    if not actor.is_staff:
        raise InvalidTransition("Only the Service Desk can do that.")


def _locked(known_issue):
    return KnownIssue.objects.select_for_update().select_related("product").get(pk=known_issue.pk)


@transaction.atomic
def known_issue_declare(
    *, actor, product, title, symptoms, severity, versions_affected="", workaround="", incident=None
):
    """Declare a known issue, from scratch or from `incident` (which is then linked to it). With a
    workaround it starts as "workaround available", else as "investigating"."""
    _require_staff(actor)
    title = services.require_text(title, "a title")
    symptoms = services.require_text(symptoms, "the symptoms, in the practice's words")
    if incident is not None and incident.product_id not in (None, product.pk):
        raise InvalidTransition(f"{incident.reference} is about {incident.product.name}, not {product.name}.")
    workaround = (workaround or "").strip()
    known_issue = KnownIssue.objects.create(
        product=product,
        versions_affected=(versions_affected or "").strip(),
        title=title,
        symptoms=symptoms,
        severity=severity,
        workaround=workaround,
        status=KnownIssueStatus.WORKAROUND if workaround else KnownIssueStatus.INVESTIGATING,
        created_by=actor,
    )
    if incident is not None:
        known_issue_link_incident(known_issue, incident, actor=actor)
    return known_issue


def _open_linked(known_issue):
    return (
        Incident.objects.filter(known_issue=known_issue)
        .exclude(status=Status.CLOSED)
        .select_related("practice")
        .order_by("pk")
    )


def _reach_linked(known_issue, actor, text):
    """A public entry on each open linked incident's timeline; each practice emailed once (for its oldest
    linked incident), as for a note on one incident."""
    emailed = set()
    for incident in _open_linked(known_issue):
        event = services.record_event(
            incident, kind=TimelineEvent.Kind.KNOWN_ISSUE, actor=actor, public=True, text=text
        )
        if incident.practice_id not in emailed:
            emailed.add(incident.practice_id)
            queue_on_commit(send_incident_email, incident.pk, "incident_note", "practice", event.pk)
    return len(emailed)


@transaction.atomic
def known_issue_post_update(known_issue, *, actor, text, public=True):
    """An update on the known issue; a public one reaches every open linked incident (_reach_linked)."""
    _require_staff(actor)
    text = services.require_text(text, "the update")
    known_issue = _locked(known_issue)
    update = KnownIssueUpdate.objects.create(
        known_issue=known_issue, text=text, public=public, created_by=actor
    )
    KnownIssue.objects.filter(pk=known_issue.pk).update(updated_at=timezone.now())
    if public:
        _reach_linked(known_issue, actor, UPDATE_TEXT.format(title=known_issue.title, text=text))
    return update


@transaction.atomic
def known_issue_change_status(known_issue, *, actor, status, note=""):
    """Investigating, or a workaround available (with the known issue's workaround). "Fix scheduled" goes
    through known_issue_schedule_fix and "fixed" through known_issue_fix, which do more."""
    _require_staff(actor)
    if status not in (KnownIssueStatus.INVESTIGATING, KnownIssueStatus.WORKAROUND):
        raise InvalidTransition("Schedule the fix into a release, or mark it fixed, with their own actions.")
    known_issue = _locked(known_issue)
    if known_issue.is_fixed:
        raise InvalidTransition("This known issue is fixed: declare a new one if the fault is back.")
    if status == KnownIssueStatus.WORKAROUND and not known_issue.workaround.strip():
        raise InvalidTransition("Give the workaround first: the practices read it.")
    unscheduled = known_issue.release_id is not None  # taken back from its release: shipping it fixes nothing
    known_issue.status, known_issue.release = status, None
    known_issue.save(update_fields=["status", "release", "updated_at"])
    label = KnownIssueStatus(status).label
    text = f"Now: {label.lower()}."
    text += " The fix is no longer scheduled into a release." if unscheduled else ""
    text += f" {note.strip()}" if note.strip() else ""
    if status == KnownIssueStatus.WORKAROUND:
        text += f" Until it is fixed: {known_issue.workaround}"
    known_issue_post_update(known_issue, actor=actor, text=text)
    return known_issue


@transaction.atomic
def known_issue_schedule_fix(known_issue, *, actor, release):
    """The fix is scheduled into a release of the known issue's product still to come: shipping it
    resolves every linked incident (release_ship below)."""
    _require_staff(actor)
    known_issue = _locked(known_issue)
    release = Release.objects.select_related("product").get(pk=release.pk)
    if known_issue.is_fixed:
        raise InvalidTransition("This known issue is fixed already.")
    if release.product_id != known_issue.product_id:
        raise InvalidTransition(f"{release} is not a release of {known_issue.product.name}.")
    if release.shipped_on:
        raise InvalidTransition(f"{release} has already shipped; choose a release still to come.")
    known_issue.release, known_issue.status = release, KnownIssueStatus.FIX_SCHEDULED
    known_issue.save(update_fields=["release", "status", "updated_at"])
    due = f"{release.target_date:%-d %B %Y}"
    text = f"A fix is scheduled for {release.product.name} {release.version}, due {due}."
    if known_issue.workaround:
        text += f" Until then: {known_issue.workaround}"
    known_issue_post_update(known_issue, actor=actor, text=text)
    return known_issue


def _refuse_link(known_issue, incident):
    if incident.status == Status.CLOSED:
        return f"{incident.reference} is closed: reopen it first, or leave it."
    if incident.known_issue_id == known_issue.pk:
        return f"{incident.reference} is already linked to this known issue."
    if incident.known_issue_id is not None:
        return f"{incident.reference} is linked to another known issue: unlink it there first."
    if incident.product_id not in (None, known_issue.product_id):
        return f"{incident.reference} is about another product than {known_issue.product.name}."
    if known_issue.is_fixed:
        return "This known issue is fixed: resolve the incident on its own."
    return None


@transaction.atomic
def known_issue_link_incident(known_issue, incident, *, actor, tell_practice=True):
    """Link an incident to the known issue: from now on its public updates reach the incident and its
    release resolves it. The incident's timeline says so, and its practice is told (once)."""
    _require_staff(actor)
    known_issue = _locked(known_issue)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if refusal := _refuse_link(known_issue, incident):
        raise InvalidTransition(refusal)
    Incident.objects.filter(pk=incident.pk).update(known_issue=known_issue, updated_at=timezone.now())
    incident.known_issue = known_issue
    event = services.record_event(
        incident,
        kind=TimelineEvent.Kind.KNOWN_ISSUE,
        actor=actor,
        new_value=str(known_issue.pk),
        text=f"Linked to the known issue “{known_issue.title}”: its updates will appear here, and its fix "
        "will resolve this incident.",
    )
    if tell_practice:
        queue_on_commit(send_incident_email, incident.pk, "incident_note", "practice", event.pk)
    return incident


@transaction.atomic
def known_issue_unlink_incident(incident, *, actor):
    """The incident turns out to be another fault: it no longer follows the known issue."""
    _require_staff(actor)
    incident = (
        Incident.objects.select_for_update(of=("self",)).select_related("known_issue").get(pk=incident.pk)
    )
    if incident.known_issue_id is None:
        raise InvalidTransition(f"{incident.reference} is not linked to a known issue.")
    title = incident.known_issue.title
    Incident.objects.filter(pk=incident.pk).update(known_issue=None, updated_at=timezone.now())
    incident.known_issue = None
    services.record_event(
        incident,
        kind=TimelineEvent.Kind.KNOWN_ISSUE,
        actor=actor,
        text=f"No longer linked to the known issue “{title}”: the Service Desk is looking at it on its own.",
    )
    return incident


@transaction.atomic
def known_issue_affects_us(known_issue, *, actor):
    """ "This affects us too", from a practice user: an incident of the user's practice is logged through
    incidents.services.incident_log with the checklist filled from the known issue, and linked to it.
    Returns (incident, created); a practice already following it gets its open linked incident back."""
    if actor.is_staff or not actor.practice_id:
        raise InvalidTransition("Only a practice's own staff can say that it affects them.")
    known_issue = _locked(known_issue)  # a second click waits here, then finds the first click's incident
    if not visible_to(actor.practice_id).filter(pk=known_issue.pk).exists():
        raise InvalidTransition("That known issue is not about a product your practice uses.")
    existing = _open_linked(known_issue).filter(practice_id=actor.practice_id).first()
    if existing is not None:
        return existing, False
    if known_issue.is_fixed:
        raise InvalidTransition("This known issue is fixed: if you still see the fault, log an incident.")
    incident = Incident(
        reporter=actor,
        site=actor.practice.sites.filter(is_main=True).first(),
        channel=Channel.PORTAL,
        severity=known_issue.severity,
        contact_name=actor.full_name,
        contact_number=getattr(actor, "phone", "") or "",
        product=known_issue.product,
        version=known_issue.versions_affected[:50],
        summary=known_issue.title[:200],
        description=known_issue.symptoms,
        known_issue=known_issue,
    )
    # The logged email as for any incident; not the desk's severity 1 alert: the desk declared the fault, and
    # three hundred practices saying so must not page it three hundred times.
    incident = services.incident_log(incident, actor=actor, notify=False)
    queue_on_commit(send_incident_logged_email, incident.pk)
    services.record_event(
        incident,
        kind=TimelineEvent.Kind.KNOWN_ISSUE,
        actor=None,
        text=f"Logged as affected by the known issue “{known_issue.title}”: its updates will appear here, "
        "and its fix will resolve this incident. There is no need to ask for progress.",
    )
    return incident, True


def _resolve_linked(incident, actor, resolution):
    """Bring an open linked incident to resolved through the services: taken up first where the table
    allows a resolution only from investigating; its practice hears of the resolution alone."""
    if incident.status == Status.LOGGED:
        incident = services.incident_verify(incident, actor=actor, tell_practice=False)
    if incident.status in services.TRANSITIONS["start_investigation"].sources:
        incident = services.incident_start_investigation(
            incident, actor=actor, note="Resolved together with its known issue.", tell_practice=False
        )
    return services.incident_resolve(incident, actor=actor, resolution=resolution)


@transaction.atomic
def known_issue_fix(known_issue, *, actor, resolution):
    """The known issue is fixed: each open linked incident not yet resolved is resolved with `resolution`,
    its practice asked to confirm (one email each). Returns the incidents resolved."""
    _require_staff(actor)
    resolution = services.require_text(resolution, "what fixed it")
    known_issue = _locked(known_issue)
    if known_issue.is_fixed:
        return []
    known_issue.status, known_issue.fixed_at = KnownIssueStatus.FIXED, timezone.now()
    known_issue.save(update_fields=["status", "fixed_at", "updated_at"])
    KnownIssueUpdate.objects.create(known_issue=known_issue, text=resolution, public=True, created_by=actor)
    resolved = []
    waiting = _open_linked(known_issue).exclude(status=Status.RESOLVED).select_for_update(of=("self",))
    for incident in waiting:
        try:
            with transaction.atomic():
                resolved.append(_resolve_linked(incident, actor, resolution))
        except InvalidTransition:  # closed by its practice meanwhile
            continue
    return resolved


def release_ship(release, *, actor, shipped_on=None):
    """Mark a release shipped (incidents.services.release_ship) and fix each known issue scheduled into
    it: the incidents scheduled into the release and those linked to its known issues are resolved, each
    practice asked to confirm. Returns every incident resolved."""
    with transaction.atomic():
        resolved = services.release_ship(release, actor=actor, shipped_on=shipped_on)
        release = Release.objects.select_related("product").get(pk=release.pk)
        text = f"Fixed in {release.product.name} {release.version}, released {release.shipped_on:%-d %B %Y}."
        issues = KnownIssue.objects.filter(release=release).exclude(status=KnownIssueStatus.FIXED)
        for known_issue in issues.order_by("pk"):
            resolved += known_issue_fix(known_issue, actor=actor, resolution=text)
    return resolved


def release_shipment(releases):
    """What shipping each of `releases` would do (incidents.services.release_shipment), with the open
    incidents linked to its known issues that are not already counted."""
    shipment = services.release_shipment(releases)
    counted = {incident.pk for _, incidents in shipment for incident in incidents}
    linked = (
        Incident.objects.filter(known_issue__release__in=[release for release, _ in shipment])
        .exclude(known_issue__status=KnownIssueStatus.FIXED)
        .exclude(status__in=[Status.RESOLVED, Status.CLOSED])
        .select_related("practice", "known_issue")
        .order_by("pk")
    )
    extra = {}
    for incident in linked:
        if incident.pk not in counted:
            extra.setdefault(incident.known_issue.release_id, []).append(incident)
    return [(release, incidents + extra.get(release.pk, [])) for release, incidents in shipment]


@transaction.atomic
def known_issue_edit(known_issue, *, actor, changed_fields):
    """The desk corrects what the known issue says (its form in admin, already saved on `known_issue`'s
    attributes): saved, and a new or changed workaround told to the practices following it."""
    _require_staff(actor)
    editable = {"product", "versions_affected", "title", "symptoms", "severity", "workaround"}
    fields = [name for name in changed_fields if name in editable]
    if "product" in fields and known_issue.incidents.exists():
        raise InvalidTransition("Incidents are linked to it: its product can no longer change.")
    if fields:
        known_issue.save(update_fields=[*fields, "updated_at"])
    if "workaround" in fields and known_issue.workaround.strip() and not known_issue.is_fixed:
        if known_issue.status == KnownIssueStatus.INVESTIGATING:
            known_issue.status = KnownIssueStatus.WORKAROUND
            known_issue.save(update_fields=["status", "updated_at"])
        known_issue_post_update(
            known_issue, actor=actor, text=f"A workaround is available: {known_issue.workaround}"
        )
    return known_issue
