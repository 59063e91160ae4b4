from functools import partial

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from servicedesk.lib.admin import act_on_each

from .forms import RejectionForm
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
    change_form_template = "admin/accounts/accountrequest/change_form.html"
    # What the requester typed is evidence: agents decide on it but do not edit it. The reason for a
    # rejection is asked for by Reject (the button's page, or the list's action).
    readonly_fields = [
        "practice", "full_name", "email", "phone", "job_role",
        "status", "created_at", "decided_at", "decided_by", "user", "rejection_reason",
    ]  # fmt: skip
    fields = readonly_fields
    actions = ["approve", "reject"]

    def has_add_permission(self, request):
        return False  # requests come from the registration page

    def has_delete_permission(self, request, obj=None):
        return False  # decided requests are the record of who approved whom

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("practice", "decided_by", "user")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Decided, never edited: not "Change account request".
        return super().change_view(
            request, object_id, form_url, {"title": "Account request", **(extra_context or {})}
        )

    # --- The list's actions: several requests at once --------------------------------------------------

    @admin.action(description="Approve and email a set-password link", permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, partial(self._approve, request), "approved")

    @admin.action(description="Reject and tell the requester why", permissions=["change"])
    def reject(self, request, queryset):
        """Asks for one reason for all the selected requests (a page like admin's delete confirmation),
        then rejects each with it."""
        form = RejectionForm(request.POST if request.POST.get("post") == "yes" else None)
        if form.is_bound and form.is_valid():
            refuse = partial(self._reject, request, reason=form.cleaned_data["reason"])
            self._decide(request, queryset, refuse, "rejected")
            return None  # back to the list
        selected = list(queryset)
        title = ngettext(
            "Reject %(count)d account request", "Reject %(count)d account requests", len(selected)
        )
        return self._rejection_page(request, form, title % {"count": len(selected)}, selected=selected)

    def _decide(self, request, queryset, decide, verb):
        refused = AccountRequestError
        act_on_each(self, request, queryset, decide, refused=refused, done=verb, noun="request")

    def _approve(self, request, req):
        """Through the service; then a line in admin's history of the request (and its recent actions)."""
        user = account_request_approve(req, actor=request.user)
        self.log_change(request, req, "Approved: a set-password link was emailed.")
        return user

    def _reject(self, request, req, *, reason):
        account_request_reject(req, actor=request.user, reason=reason)
        self.log_change(request, req, "Rejected: the reason was emailed.")

    # --- Approve and Reject on the request's own page ----------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:object_id>/approve/", view(self.approve_view), name="accounts_accountrequest_approve"),
            path("<int:object_id>/reject/", view(self.reject_view), name="accounts_accountrequest_reject"),
            *super().get_urls(),
        ]

    @method_decorator(require_POST)
    def approve_view(self, request, object_id):
        req = self._request_to_decide(request, object_id)
        try:
            user = self._approve(request, req)
        except AccountRequestError as exc:
            self.message_user(request, str(exc), messages.WARNING)
            return redirect("admin:accounts_accountrequest_change", req.pk)
        self.message_user(
            request,
            f"Account request from {req.full_name} approved: {user.email} has been emailed a link to set a "
            "password, and can then sign in.",
            messages.SUCCESS,
        )
        return redirect(_waiting_requests_url())

    def reject_view(self, request, object_id):
        """Asks for the reason (a page of its own), then rejects the request and emails the reason."""
        req = self._request_to_decide(request, object_id)
        if req.status != AccountRequest.Status.PENDING:
            self.message_user(
                request,
                f"The request from {req.email} was already {req.get_status_display().lower()}: there is "
                "nothing to reject.",
                messages.WARNING,
            )
            return redirect("admin:accounts_accountrequest_change", req.pk)
        form = RejectionForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                self._reject(request, req, reason=form.cleaned_data["reason"])
            except AccountRequestError as exc:  # decided by someone else meanwhile
                self.message_user(request, str(exc), messages.WARNING)
                return redirect("admin:accounts_accountrequest_change", req.pk)
            self.message_user(
                request,
                f"Account request from {req.full_name} rejected: {req.email} has been emailed the reason.",
                messages.SUCCESS,
            )
            return redirect(_waiting_requests_url())
        return self._rejection_page(request, form, f"Reject the account request from {req.full_name}", req)

    def _request_to_decide(self, request, object_id):
        req = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_change_permission(request, req):
            raise PermissionDenied
        return req

    def _rejection_page(self, request, form, title, original=None, selected=()):
        """The reason asked for: for one request (`original`, from its page) or for those selected in the
        list. Shown again with its errors (400) when the reason is missing or refused."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "original": original,
            "selected": selected,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        status = 400 if form.is_bound else 200
        return TemplateResponse(request, "admin/accounts/accountrequest/reject.html", context, status=status)


def _waiting_requests_url():
    """After a decision, the agent goes on with the requests still waiting."""
    return (
        reverse("admin:accounts_accountrequest_changelist")
        + f"?status__exact={AccountRequest.Status.PENDING}"
    )
