from functools import partial

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from servicedesk.lib.admin import act_on_each

from .models import AccountRequest, Contract, Practice, Site, SupportCalendar, SupportHours, User
from .services import AccountRequestError, account_request_approve, account_request_reject


class SupportHoursInline(admin.TabularInline):
    model = SupportHours
    extra = 0


@admin.register(SupportCalendar)
class SupportCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "is_standard", "closed_on_english_holidays", "closed_on_irish_holidays"]
    search_fields = ["name"]
    inlines = [SupportHoursInline]


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["name", "managed_service", "support_calendar"]
    list_filter = ["managed_service", "support_calendar"]
    list_select_related = ["support_calendar"]
    search_fields = ["name"]
    autocomplete_fields = ["support_calendar"]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    """Registered so that agents can search sites by practice when logging an incident."""

    list_display = ["name", "practice", "is_main"]
    search_fields = ["name", "practice__name", "=practice__practice_id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("practice")


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = ["name", "practice_id", "country", "contract"]
    list_filter = ["country", "contract"]
    list_select_related = ["contract"]
    search_fields = ["name", "practice_id"]
    inlines = [SiteInline]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["full_name"]
    list_display = ["email", "full_name", "practice", "is_active", "is_staff", "last_login"]
    list_filter = ["is_staff", "is_active", "groups"]
    list_select_related = ["practice"]
    search_fields = ["email", "full_name", "practice__name", "practice__practice_id"]
    autocomplete_fields = ["practice"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["full_name", "phone", "job_role", "practice"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "full_name", "practice", "password1", "password2"]}),
    ]


@admin.register(AccountRequest)
class AccountRequestAdmin(admin.ModelAdmin):
    list_display = ["full_name", "email", "practice", "job_role", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["practice"]
    search_fields = ["full_name", "email", "practice__name", "practice__practice_id"]
    # What the requester typed is evidence: agents decide on it but do not edit it.
    readonly_fields = [
        "practice", "full_name", "email", "phone", "job_role",
        "status", "created_at", "decided_at", "decided_by", "user",
    ]  # fmt: skip
    fields = [*readonly_fields, "rejection_reason"]
    actions = ["approve", "reject"]

    def has_add_permission(self, request):
        return False  # requests come from the registration page

    @admin.action(description="Approve and email a set-password link", permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, partial(account_request_approve, actor=request.user), "approved")

    @admin.action(description="Reject and tell the requester", permissions=["change"])
    def reject(self, request, queryset):
        refuse = partial(account_request_reject, actor=request.user)
        self._decide(request, queryset, lambda req: refuse(req, reason=req.rejection_reason), "rejected")

    def has_delete_permission(self, request, obj=None):
        return False  # decided requests are the record of who approved whom

    def _decide(self, request, queryset, decide, verb):
        act_on_each(self, request, queryset, decide, refused=AccountRequestError, done=verb, noun="request")
