from django.contrib import admin

from servicedesk.lib.pagination import EstimatedCountPaginator

from .forms import CHECKLIST_FIELDS, IncidentAdminForm
from .models import Incident, Product, TimelineEvent
from .services import incident_correct_details, incident_log


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


class TimelineEventInline(admin.TabularInline):
    """The incident's history, newest last. Read-only: events are only ever added."""

    model = TimelineEvent
    fields = ["created_at", "kind", "actor", "old_value", "new_value", "text", "public"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    form = IncidentAdminForm
    list_display = [
        "reference",
        "summary",
        "practice",
        "severity",
        "status",
        "channel",
        "assignee",
        "created_at",
    ]
    list_display_links = ["reference", "summary"]
    list_filter = ["status", "severity", "product", "channel", PracticeIdFilter]
    list_select_related = ["practice", "assignee"]
    search_fields = ["=reference", "practice__name", "=practice__practice_id", "summary"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    autocomplete_fields = ["reporter", "site", "product"]
    list_per_page = 50
    inlines = [TimelineEventInline]
    # Status, severity and assignee change only through the services (the lifecycle issue adds actions).
    readonly_fields = ["reference", "status", "practice", "logged_by", "created_at", "updated_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # incidents are closed, never deleted: their references and history must remain

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*self.readonly_fields, "reporter", "channel", "severity", "assignee"]

    def get_fields(self, request, obj=None):
        fields = [*self.form.Meta.fields, "confirm_not_nhs_number", "nhs_numbers_shown"]
        if obj is None:
            return fields
        return [*self.readonly_fields, *(f for f in fields if f not in self.readonly_fields)]

    def save_model(self, request, obj, form, change):
        if change:
            changed = [name for name in form.changed_data if name in CHECKLIST_FIELDS]
            incident_correct_details(
                obj, actor=request.user, changed_fields=changed, nhs_override_fields=form.nhs_override_fields
            )
        else:
            # Logged on the practice's behalf: the same path, and the same references, as the portal.
            incident_log(obj, actor=request.user, nhs_override_fields=form.nhs_override_fields)
