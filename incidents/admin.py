from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Count, ExpressionWrapper, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import smart_split, unescape_string_literal
from django.views.decorators.debug import sensitive_post_parameters

from accounts.models import Practice
from servicedesk.lib.admin import act_on_each
from servicedesk.lib.forms import NHSNumberGuardMixin, NoNHSNumbersMixin
from servicedesk.lib.pagination import EstimatedCountPaginator, newest_page, page_number

from . import admin_actions, known_issues, queues, services
from .attachments import attachment_response, checked_image_response, is_image
from .forms import CHECKLIST_FIELDS, IncidentAdminForm
from .models import (
    OPEN,
    Attachment,
    CannedReply,
    Incident,
    KnownIssue,
    Product,
    Release,
    Severity,
    SeverityWording,
    SlaTarget,
    Status,
    TimelineEvent,
)
from .presentation import by_day
from .services import InvalidTransition, incident_correct_details, incident_log
from .tasks import practice_recipients
from .wording import severity_wordings

PRACTICE_WORDS = "severity_as_the_practice_reads_it"  # IncidentAdmin's field beside the severity


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "current_version", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]


class PracticeIdFilter(admin.SimpleListFilter):
    """Filter by a practice's ID typed in a box: a list of every practice would be thousands long."""

    title = "practice ID"
    parameter_name = "practice_id"
    template = "admin/input_filter.html"

    def lookups(self, request, model_admin):
        return [("", "")]  # the box replaces the list, but Django shows a filter only if it has lookups

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(practice__practice_id=self.value().strip().upper())
        return queryset

    def choices(self, changelist):
        # Keep the other filters, the search and the sort order; start again at the first page.
        others = {name: values for name, values in changelist.filter_params.items() if name not in ("p", "e")}
        others.pop(self.parameter_name, None)
        yield {
            "value": self.value() or "",
            "preserved": [(name, value) for name, values in others.items() for value in values],
            "clear_query": changelist.get_query_string(remove=[self.parameter_name]),
        }


class ProductFilter(admin.RelatedFieldListFilter):
    """Products, and the emailed incidents still waiting for theirs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.empty_value_display = "Not yet given"


class StatusGroupFilter(admin.SimpleListFilter):
    """Open incidents unless asked otherwise: the list is the desk's work queue. A status chosen in the
    status filter decides the group (closed: Closed, any other: Open), so it is never hidden by the group."""

    title = "open or closed"
    parameter_name = "state"
    OPTIONS = {"open": "Open", "closed": "Closed", "all": "All"}

    def __init__(self, request, params, model, model_admin):
        # Read before the status filter (later in list_filter) takes its parameter.
        self.status_chosen = (params.get("status__exact") or [None])[-1]
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return list(self.OPTIONS.items())

    def chosen(self):
        if self.value() in self.OPTIONS:
            return self.value()
        return "closed" if self.status_chosen == Status.CLOSED else "open"

    def queryset(self, request, queryset):
        if self.chosen() == "open":
            return queryset.filter(OPEN)
        if self.chosen() == "closed":
            return queryset.filter(status=Status.CLOSED)
        return queryset

    def choices(self, changelist):
        # No "All" link that clears the parameter: without it, the list shows the open incidents.
        for value, label in self.OPTIONS.items():
            yield {
                "selected": self.chosen() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


class AssigneeFilter(admin.SimpleListFilter):
    title = "assignee"
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        return [("me", "Me"), ("none", "Unassigned")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assignee=request.user)
        if self.value() == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset

    def choices(self, changelist):
        for choice in super().choices(changelist):
            yield {**choice, "display": "Anyone"} if choice["display"] == "All" else choice


class PracticeRepliedFilter(admin.SimpleListFilter):
    title = "practice replied"
    parameter_name = "replied"

    def lookups(self, request, model_admin):
        return [("yes", "Since the desk's last entry")]

    def queryset(self, request, queryset):
        return queryset.filter(queues.PRACTICE_REPLIED) if self.value() == "yes" else queryset


class EscalatedFilter(admin.SimpleListFilter):
    title = "escalated"
    parameter_name = "escalated"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(escalation_level__isnull=self.value() == "no")
        return queryset


class SlaFilter(admin.SimpleListFilter):
    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [
            ("response_breached", "Response overdue"),
            ("resolution_breached", "Resolution overdue"),
            ("due_soon", f"Due within {queues.DUE_SOON_HOURS} hours"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "response_breached":
            return queryset.filter(queues.response_overdue(now))
        if self.value() == "resolution_breached":
            return queryset.filter(queues.resolution_overdue(now))
        if self.value() == "due_soon":
            return queryset.filter(queues.due_soon(now))
        return queryset


ADMIN_TIMELINE_PAGE_SIZE = 50  # the change page shows this many timeline entries, the latest first


def _timeline_page(request, incident):
    """The page of the incident's timeline the change page shows (`?timeline=N`; 1, the latest entries):
    the entries' keys, and whether there are earlier ones."""
    number = page_number(request.GET.get("timeline"))
    newest_first = TimelineEvent.objects.filter(incident=incident).order_by("-created_at", "-id")
    keys, has_earlier = newest_page(
        newest_first.values_list("pk", flat=True), number, ADMIN_TIMELINE_PAGE_SIZE
    )
    return {"number": number, "keys": keys, "has_earlier": has_earlier, "size": ADMIN_TIMELINE_PAGE_SIZE}


def _timeline_days(page):
    """The page's entries as the portal shows a timeline: newest first, grouped by day (Europe/London),
    each day a (date, entries) pair; with their actors and files (admin/incidents/incident/timeline.html)."""
    entries = (
        TimelineEvent.objects.filter(pk__in=page["keys"])
        .select_related("actor")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        .order_by("-created_at", "-id")
    )
    days = by_day(entries)
    return days


class PurgeForm(NoNHSNumbersMixin):
    """The reason is kept in the purge's audit entry: it must not repeat the patient data."""

    nhs_field_names = {"reason": "the reason"}

    reason = forms.CharField(
        label="Why is it being purged?",
        help_text="Do not repeat the patient data here.",
        widget=forms.Textarea,
    )


def _due(when):
    if when is None:
        return "—"
    text = timezone.localtime(when).strftime("%-d %b %H:%M")  # as date_format "j M H:i", a tenth of the cost
    if when < timezone.now():
        return format_html('<strong class="overdue">OVERDUE</strong> {}', text)  # static/css/admin.css
    return text


class IncidentChangeList(ChangeList):
    # The list shows a few short columns: the free text and the remote-access details (decrypted per row)
    # are not read for it. Actions still receive whole incidents.
    NOT_LISTED = [field.name for field in Incident._meta.fields if isinstance(field, models.TextField)]

    def get_results(self, request):
        replied = ExpressionWrapper(queues.PRACTICE_REPLIED, output_field=models.BooleanField())
        self.queryset = self.queryset.defer(*self.NOT_LISTED).annotate(practice_replied=replied)
        super().get_results(request)


class ReporterContactsView(AutocompleteJsonView):
    """Admin's autocomplete for the reporter, each user with their name and number, which
    static/js/admin_log_on_behalf.js copies into the incident contact when the agent chooses them."""

    def process_request(self, request):
        """Only the incident's reporter field is looked up here (admin's own view serves the others)."""
        found = super().process_request(request)
        source_field = found[2]
        if (source_field.model, source_field.name) != (Incident, "reporter"):
            raise PermissionDenied
        return found

    def get_queryset(self):
        """The people an incident can be logged for: active practice staff, not the desk's own."""
        return super().get_queryset().filter(practice__isnull=False, is_active=True)

    def serialize_result(self, obj, to_field_name):
        return {**super().serialize_result(obj, to_field_name), "name": obj.full_name, "phone": obj.phone}


class ReporterSelect(AutocompleteSelect):
    url_name = "%s:incidents_incident_reporters"

    @property
    def media(self):
        return super().media + forms.Media(js=["js/admin_log_on_behalf.js"])


# The incident search that IncidentAdmin.get_search_results answers from indexes (change both together).
INDEXED_SEARCH_FIELDS = ("=reference", "practice__name", "=practice__practice_id", "summary")
SEARCH_PRACTICES_LISTED = 100


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    form = IncidentAdminForm
    list_display = [
        "reference", "summary", "practice", "severity_shown", "status_shown", "channel", "assignee",
        "response_due", "resolution_due",
    ]  # fmt: skip
    list_display_links = ["reference", "summary"]
    # StatusGroupFilter first: it reads whether the status filter is used before that filter takes its value.
    list_filter = [
        StatusGroupFilter, AssigneeFilter, PracticeRepliedFilter, SlaFilter, EscalatedFilter, "status",
        "severity", "channel", ("product", ProductFilter), PracticeIdFilter,
    ]  # fmt: skip
    # What is due first (the most overdue at the top), paused clocks last; then the newest. The open list's
    # first page is read from the index incident_open_queue, in this order.
    ordering = [queues.DUE_FIRST, "-id"]
    list_select_related = ["practice", "assignee"]
    search_fields = list(INDEXED_SEARCH_FIELDS)
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    autocomplete_fields = ["reporter", "site", "product"]
    list_per_page = 25  # a screenful; rendering a row (with its action checkbox) is most of the page's cost
    actions = ["verify_selected", "start_investigation_selected", "assign_to_me"]
    change_form_template = "admin/incidents/incident/change_form.html"
    # Status, severity and assignee change only through the services.
    readonly_fields = ["reference", "status", "practice", "logged_by", "created_at", "updated_at"]

    def get_changelist(self, request, **kwargs):
        return IncidentChangeList

    def get_search_results(self, request, queryset, search_term):
        """Django's search over INDEXED_SEARCH_FIELDS, answered from indexes. Django's own query ORs across
        the joined practices, which only reading every incident can answer; here a word's practices (a small
        table) are looked up first and named by their keys (by a subquery past SEARCH_PRACTICES_LISTED), so
        that each part has its index (migration 0006)."""
        if tuple(self.get_search_fields(request)) != INDEXED_SEARCH_FIELDS:
            return super().get_search_results(request, queryset, search_term)
        words = [
            unescape_string_literal(word) if word[0] in "\"'" and word[-1] == word[0] else word
            for word in smart_split(search_term)
        ]
        for word in dict.fromkeys(words):  # a word given twice narrows nothing more
            practices = Practice.objects.filter(
                Q(name__icontains=word) | Q(practice_id__iexact=word)
            ).values_list("pk", flat=True)
            listed = list(practices[: SEARCH_PRACTICES_LISTED + 1])
            queryset = queryset.filter(
                Q(reference=word.upper())
                | Q(practice_id__in=listed if len(listed) <= SEARCH_PRACTICES_LISTED else practices)
                | Q(summary__icontains=word)
            )
        return queryset, False

    def has_delete_permission(self, request, obj=None):
        return False  # incidents are closed, never deleted: their references and history must remain

    @admin.display(description="Severity", ordering="severity")
    def severity_shown(self, incident):
        label = incident.get_severity_display()
        if incident.severity == Severity.SYSTEM_UNAVAILABLE:
            return format_html('<strong class="severity-one">{}</strong>', label)  # static/css/admin.css
        return label

    @admin.display(description="Status", ordering="status")
    def status_shown(self, incident):
        """The status, and whether the practice has added something the desk has yet to answer."""
        label = incident.get_status_display()
        if getattr(incident, "practice_replied", False):  # IncidentChangeList.get_results
            return format_html('{} <span class="queue-tag">Practice replied</span>', label)
        return label

    @admin.display(description="Response due", ordering="response_due_at")
    def response_due(self, incident):
        if incident.responded_at:
            return "answered"
        return _due(incident.response_due_at)

    @admin.display(description="Resolution due", ordering="resolution_due_at")
    def resolution_due(self, incident):
        if incident.resolution_due_at is None:
            return "closed" if incident.status == Status.CLOSED else "paused"
        return _due(incident.resolution_due_at)

    @admin.display(description="Severity in the practice's words")
    def severity_as_the_practice_reads_it(self, incident):
        """The contract's own wording beside the standard one: what the practice was shown and chose."""
        wording = severity_wordings(incident.practice.contract_id)[incident.severity]
        return f"{wording.label}: {wording.description}" if wording.own else "The standard wording (above)."

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*self.readonly_fields, "reporter", "channel", "severity", PRACTICE_WORDS, "assignee"]

    def get_fields(self, request, obj=None):
        fields = [*self.form.Meta.fields, "confirm_not_nhs_number", "nhs_numbers_shown"]
        if obj is None:  # the practice's own form takes the connection details too; only logging them here
            after = fields.index("remote_access_constraints") + 1
            return [*fields[:after], "remote_access_details", *fields[after:]]
        fields = [*self.readonly_fields, *(f for f in fields if f not in self.readonly_fields)]
        after_severity = fields.index("severity") + 1
        return [*fields[:after_severity], PRACTICE_WORDS, *fields[after_severity:]]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "reporter":
            kwargs["widget"] = ReporterSelect(db_field, self.admin_site)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @method_decorator(sensitive_post_parameters("remote_access_details"))
    def add_view(self, request, form_url="", extra_context=None):
        return super().add_view(request, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if change:
            changed = [name for name in form.changed_data if name in CHECKLIST_FIELDS]
            incident_correct_details(
                obj, actor=request.user, changed_fields=changed, nhs_override_fields=form.nhs_override_fields
            )
        else:
            # Logged on the practice's behalf: the same path, and the same references, as the portal.
            incident_log(obj, actor=request.user, nhs_override_fields=form.nhs_override_fields)
            if obj.reporter_id is None and not practice_recipients(obj, "incident_logged"):
                self.message_user(
                    request,
                    f"Nobody at {obj.practice.name} has a portal account to email: give the caller the "
                    f"reference {obj.reference}.",
                    messages.WARNING,
                )

    # --- Lifecycle actions: each a small form that calls one service ---------------------------------

    def get_urls(self):
        reporters = path(
            "reporters/",
            self.admin_site.admin_view(ReporterContactsView.as_view(admin_site=self.admin_site)),
            name="incidents_incident_reporters",
        )
        custom = [
            ("purge-event/<int:event_id>/", self.purge_event_view, "purge_event"),
            ("purge-attachment/<int:attachment_id>/", self.purge_attachment_view, "purge_attachment"),
            ("attachment/<int:attachment_id>/", self.attachment_view, "attachment"),
            ("remote-access/", self.remote_access_view, "remote_access"),
            ("act/<str:action>/", self.action_view, "action"),
        ]
        return [
            path(
                f"<int:object_id>/{route}",
                self.admin_site.admin_view(view),
                name=f"incidents_incident_{name}",
            )
            for route, view, name in custom
        ] + [reporters, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        incident = self.get_object(request, object_id)
        if incident is not None:
            timeline_page = _timeline_page(request, incident)
            extra_context = {
                **(extra_context or {}),
                "timeline_page": timeline_page,
                "timeline_days": _timeline_days(timeline_page),
                "triage_form": admin_actions.triage_form(incident, request.user),
                "insert_name": admin_actions.INSERT,
                "can_read_remote_access": bool(incident.remote_access_details)
                and request.user.has_perm("incidents.view_remote_access"),
                "lifecycle_actions": admin_actions.offered_actions(incident),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def action_view(self, request, object_id, action):
        if action not in admin_actions.ACTIONS:
            raise Http404("No such action.")
        incident = get_object_or_404(Incident.objects.select_related("product", "practice"), pk=object_id)
        if not self.has_change_permission(request, incident):
            raise PermissionDenied
        title, form_class, call = admin_actions.ACTIONS[action]
        kwargs = {"incident": incident} if getattr(form_class, "takes_incident", False) else {}
        if issubclass(form_class, admin_actions.CannedReplyMixin):
            kwargs = {"incident": incident, "agent": request.user}
        posted = request.method == "POST"
        form = form_class(request.POST if posted else None, request.FILES if posted else None, **kwargs)
        inserting = admin_actions.INSERT in request.POST and isinstance(form, admin_actions.CannedReplyMixin)
        if posted and inserting:  # "Insert" a canned reply: nothing is saved
            form, chosen = form.with_canned_reply()
            if not chosen:
                self.message_user(request, "Choose a canned reply to insert.", messages.WARNING)
            return self._page(request, "action.html", incident, title, form=form, action_title=title)

        def act(form):
            with transaction.atomic():  # the change and the user's NHS-number confirmation together
                call(incident, request.user, form)
                services.incident_record_nhs_override(
                    incident, actor=request.user, field_labels=getattr(form, "nhs_override_fields", [])
                )

        def done():
            return admin_actions.done_in_words(action, title, incident, form, request.user)

        return self._form_page(request, incident, title, form, act, done)

    def remote_access_view(self, request, object_id):
        """The remote-access details, for staff allowed to read them; each reading is recorded. Reading is
        a POST (a button), so that no prefetch, link preview or reload reveals them unrecorded."""
        if not request.user.has_perm("incidents.view_remote_access"):
            raise PermissionDenied
        incident = get_object_or_404(Incident, pk=object_id)
        details = None
        if request.method == "POST":
            details = services.incident_read_remote_access(incident, actor=request.user)
        return self._page(request, "remote_access.html", incident, "Remote-access details", details=details)

    def attachment_view(self, request, object_id, attachment_id):
        """Staff download any file of the incident, public or internal, always as a download; except a
        practice's screenshot that is being checked for patient data, or held (403, with why)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        attachment = get_object_or_404(
            Attachment.objects.select_related("incident", "uploaded_by"),
            pk=attachment_id,
            incident_id=object_id,
            purged_at__isnull=True,
        )
        if not attachment.openable_by_desk:
            title = f"The file {attachment.original_name} cannot be opened"
            return self._page(
                request,
                "file_held.html",
                attachment.incident,
                title,
                status=403,
                attachment=attachment,
                held_days=settings.SCREENSHOT_HELD_DAYS,
            )
        if is_image(attachment) and not attachment.uploaded_by.is_staff:
            return checked_image_response(attachment)  # exactly what the check read
        return attachment_response(attachment)

    def purge_event_view(self, request, object_id, event_id):
        event = get_object_or_404(TimelineEvent, pk=event_id, incident_id=object_id)
        return self._purge(request, event, services.incident_purge_event, "Purge a note and its files")

    def purge_attachment_view(self, request, object_id, attachment_id):
        attachment = get_object_or_404(Attachment, pk=attachment_id, incident_id=object_id)
        title = f"Purge the file {attachment.original_name}"
        return self._purge(request, attachment, services.incident_purge_attachment, title)

    def _purge(self, request, purged, service, title):
        """Purge a note or a file with `service`, for the reason the agent gives."""
        if not self.has_change_permission(request, purged.incident):
            raise PermissionDenied
        form = PurgeForm(request.POST if request.method == "POST" else None)

        def act(form):
            service(purged, actor=request.user, reason=form.cleaned_data["reason"])

        def done():
            return "Purged. The timeline records who purged it and why."

        return self._form_page(request, purged.incident, title, form, act, done)

    def _form_page(self, request, incident, title, form, act, done):
        """A lifecycle action's or a purge's form: a valid POST runs `act(form)` and returns to the change
        page, saying `done()`; an invalid one shows the form again (400), as does a refusal (409)."""
        status = 400 if form.is_bound else 200
        if form.is_bound and form.is_valid():
            try:
                act(form)
            except InvalidTransition as exc:
                self.message_user(request, str(exc), messages.ERROR)
                status = 409
            else:
                self.message_user(request, done(), messages.SUCCESS)
                return redirect(reverse("admin:incidents_incident_change", args=[incident.pk]))
        return self._page(request, "action.html", incident, title, status, form=form, action_title=title)

    def _page(self, request, template, incident, title, status=200, **context):
        """One of the incident's own admin pages (an action, a purge, the remote-access details)."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": incident,
            "title": f"{title}: {incident.reference}",
            "insert_name": admin_actions.INSERT,
            **context,
        }
        return TemplateResponse(request, f"admin/incidents/incident/{template}", context, status=status)

    def _bulk(self, request, queryset, service, done, **kwargs):
        def call(incident):
            return service(incident, actor=request.user, **kwargs)

        act_on_each(self, request, queryset, call, refused=InvalidTransition, done=done, noun="incident")

    @admin.action(description="Verify the selected logged incidents", permissions=["change"])
    def verify_selected(self, request, queryset):
        self._bulk(request, queryset, services.incident_verify, "verified")

    @admin.action(description="Start investigating the selected incidents", permissions=["change"])
    def start_investigation_selected(self, request, queryset):
        self._bulk(request, queryset, services.incident_start_investigation, "under investigation")

    @admin.action(description="Assign the selected incidents to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._bulk(request, queryset, services.incident_assign, "assigned", assignee=request.user)


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["product", "version", "kind", "target_date", "shipped_on", "scheduled_incidents"]
    list_filter = ["kind", "product", ("shipped_on", admin.EmptyFieldListFilter)]
    list_select_related = ["product"]
    search_fields = ["version", "product__name"]
    readonly_fields = ["shipped_on"]
    actions = ["mark_shipped"]
    change_form_template = "admin/incidents/release/change_form.html"  # with a "Mark shipped" button

    def get_readonly_fields(self, request, obj=None):
        # Once incidents are scheduled into it (or it has shipped), its product and version are history.
        if obj is not None and (obj.shipped_on or obj.incidents.exists()):
            return ["product", "version", "shipped_on"]
        return self.readonly_fields

    def get_queryset(self, request):
        waiting = Count("incidents", filter=Q(incidents__status=Status.FIX_SCHEDULED))
        return super().get_queryset(request).annotate(scheduled=waiting)

    @admin.display(description="Incidents waiting", ordering="scheduled")
    def scheduled_incidents(self, release):
        return release.scheduled

    @admin.action(
        description="Mark shipped: resolve its incidents and ask the practices to confirm",
        permissions=["change"],
    )
    def mark_shipped(self, request, queryset):
        """Nothing yet: the confirmation page first says what shipping the releases will do."""
        ids = ",".join(str(pk) for pk in queryset.order_by("pk").values_list("pk", flat=True))
        return redirect(f"{reverse('admin:incidents_release_mark_shipped')}?{urlencode({'ids': ids})}")

    def get_urls(self):
        view = self.admin_site.admin_view(self.mark_shipped_view)
        return [path("mark-shipped/", view, name="incidents_release_mark_shipped"), *super().get_urls()]

    def mark_shipped_view(self, request):
        """Which incidents shipping the releases (`ids`) will resolve and which practices it will email, as
        a question (GET); the answer "Yes, mark shipped" (POST) ships them."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        releases = _releases_named(request.POST if request.method == "POST" else request.GET)
        if request.method == "POST":
            for release in releases:
                self._ship(request, release)
            return redirect("admin:incidents_release_changelist")
        back = reverse("admin:incidents_release_changelist")
        if len(releases) == 1:
            back = reverse("admin:incidents_release_change", args=[releases[0].pk])
        shipment = dict(known_issues.release_shipment([r for r in releases if not r.shipped_on]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Mark shipped: are you sure?",
            "releases": [(release, _shipped(shipment.get(release))) for release in releases],
            "ids": ",".join(str(release.pk) for release in releases),
            "back": back,
        }
        return TemplateResponse(request, "admin/incidents/release/mark_shipped.html", context)

    def _ship(self, request, release):
        name = f"Release {release.product.name} {release.version}"
        if release.shipped_on:
            self.message_user(request, f"{name} had already shipped.", messages.WARNING)
            return
        resolved = known_issues.release_ship(release, actor=request.user)
        practices = len({incident.practice_id for incident in resolved})
        self.message_user(
            request,
            f"{name} marked shipped: {_count(len(resolved), 'incident')} resolved, "
            f"{_count(practices, 'practice')} emailed",
            messages.SUCCESS,
        )


def _count(number, noun):
    return f"{number} {noun}{pluralize(number)}"


def _releases_named(data):
    """The releases whose keys `data` gives as ids=1,2,3, each with its product; 404 if none."""
    keys = [int(key) for key in data.get("ids", "").split(",") if key.strip().isdigit()][:100]
    named = Release.objects.filter(pk__in=keys).select_related("product")
    releases = list(named.order_by("target_date", "pk"))
    if not releases:
        raise Http404("No such release.")
    return releases


def _shipped(incidents):
    """What shipping a release does, for its confirmation: the incidents resolved, the practices emailed
    (each once, by name); None for a release that has shipped already."""
    if incidents is None:
        return None
    practices = {incident.practice_id: incident.practice for incident in incidents}
    return {"incidents": incidents, "practices": sorted(practices.values(), key=lambda p: p.name)}


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    """Replies the desk starts notes, resolutions and first replies from; kept by whoever holds the canned
    reply permissions (administrators). The text is checked for NHS numbers like every admin form."""

    list_display = ["title", "text"]
    search_fields = ["title", "text"]


@admin.register(SeverityWording)
class SeverityWordingAdmin(admin.ModelAdmin):
    """A contract's own name and description for a severity; practices of that contract see these words."""

    list_display = ["contract", "severity", "name"]
    list_filter = ["severity"]
    list_select_related = ["contract"]
    autocomplete_fields = ["contract"]
    search_fields = ["contract__name", "name"]


@admin.register(SlaTarget)
class SlaTargetAdmin(admin.ModelAdmin):
    list_display = ["__str__", "severity", "response_minutes", "resolution_minutes"]
    list_filter = ["severity", ("contract", admin.EmptyFieldListFilter)]
    list_select_related = ["contract"]
    autocomplete_fields = ["contract"]


class KnownIssueForm(NHSNumberGuardMixin, forms.ModelForm):
    """What the known issue says; its status, release and updates change through its actions. Its text is
    checked for NHS numbers, as the symptoms are in the practices' words."""

    class Meta:
        model = KnownIssue
        fields = ["product", "versions_affected", "title", "symptoms", "severity", "workaround"]

    def clean_product(self):
        product = self.cleaned_data["product"]
        known_issue = self.instance
        if known_issue.pk and product != known_issue.product:
            if known_issue.incidents.exists():
                raise forms.ValidationError("Incidents are linked to it: its product can no longer change.")
            if known_issue.release_id:
                raise forms.ValidationError(
                    "Its fix is scheduled into a release of the current product: the product cannot change."
                )
        return product


class FixedFilter(admin.SimpleListFilter):
    title = "fixed"
    parameter_name = "fixed"

    def lookups(self, request, model_admin):
        return [("no", "Not yet fixed"), ("yes", "Fixed")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.exclude(status=KnownIssue.Status.FIXED)
        if self.value() == "yes":
            return queryset.filter(status=KnownIssue.Status.FIXED)
        return queryset


@admin.register(KnownIssue)
class KnownIssueAdmin(admin.ModelAdmin):
    """Known issues (issue 19): declared here or from an incident's page; its page lists the practices and
    their incidents' states, its updates, how many practices confirmed the fix, and its actions."""

    form = KnownIssueForm
    list_display = ["title", "product", "status", "severity", "linked_incidents", "updated_at"]
    list_filter = [FixedFilter, "status", "severity", "product"]
    list_select_related = ["product"]
    search_fields = ["title", "symptoms"]
    readonly_fields = ["status", "release", "fixed_at", "created_by", "created_at"]
    change_form_template = "admin/incidents/knownissue/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(linked=Count("incidents"))

    @admin.display(description="Linked incidents", ordering="linked")
    def linked_incidents(self, known_issue):
        return known_issue.linked

    def get_fields(self, request, obj=None):
        # With the NHS-number guard's confirmation, so that a number which only looks like one can be saved.
        fields = [*KnownIssueForm.Meta.fields, "confirm_not_nhs_number", "nhs_numbers_shown"]
        return fields if obj is None else [*fields, *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # linked incidents' timelines name it; a known issue is fixed, never deleted

    def save_model(self, request, obj, form, change):
        if change:
            known_issues.known_issue_edit(obj, actor=request.user, changed_fields=form.changed_data)
            return
        declared = known_issues.known_issue_declare(
            actor=request.user, **{name: form.cleaned_data[name] for name in KnownIssueForm.Meta.fields}
        )
        obj.pk, obj.status, obj.created_by, obj.created_at = (
            declared.pk, declared.status, declared.created_by, declared.created_at
        )  # fmt: skip

    def change_view(self, request, object_id, form_url="", extra_context=None):
        known_issue = self.get_object(request, object_id)
        if known_issue is not None:
            linked = list(known_issues.practices_of(known_issue))
            by_practice = {}
            for incident in linked:
                by_practice.setdefault(incident.practice, []).append(incident)
            confirmed, asked = known_issues.confirmed_count(known_issue)
            extra_context = {
                **(extra_context or {}),
                "practices": list(by_practice.items()),
                "linked_count": len(linked),
                "updates": known_issue.updates.select_related("created_by").order_by("-created_at", "-id"),
                "confirmed": confirmed,
                "asked": asked,
                "known_issue_actions": [
                    (name, action[0])
                    for name, action in admin_actions.KNOWN_ISSUE_ACTIONS.items()
                    if not known_issue.is_fixed or name == "update"
                ],
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view(self.action_view)
        name = "incidents_knownissue_action"
        return [path("<path:object_id>/act/<str:action>/", view, name=name), *super().get_urls()]

    def action_view(self, request, object_id, action):
        if action not in admin_actions.KNOWN_ISSUE_ACTIONS:
            raise Http404("No such action.")
        known_issue = get_object_or_404(KnownIssue.objects.select_related("product"), pk=object_id)
        if not self.has_change_permission(request, known_issue):
            raise PermissionDenied
        title, form_class, call, done = admin_actions.KNOWN_ISSUE_ACTIONS[action]
        kwargs = {"known_issue": known_issue} if getattr(form_class, "takes_known_issue", False) else {}
        form = form_class(request.POST if request.method == "POST" else None, **kwargs)
        status = 400 if form.is_bound else 200
        back = reverse("admin:incidents_knownissue_change", args=[known_issue.pk])
        if form.is_bound and form.is_valid():
            try:
                call(known_issue, request.user, form)
            except InvalidTransition as exc:
                self.message_user(request, str(exc), messages.ERROR)
                status = 409
            else:
                self.message_user(request, f"{done}.", messages.SUCCESS)
                return redirect(back)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": known_issue,
            "title": f"{title}: {known_issue.title}",
            "form": form,
            "action_title": title,
            "back": back,
        }
        return TemplateResponse(request, "admin/incidents/knownissue/action.html", context, status=status)
