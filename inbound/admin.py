from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from servicedesk.lib.admin import BoundedQueries

from . import held
from .models import InboundMessage, IntakeHealth, Outcome

_ACTIONS = {
    "release": (
        "Release",
        "The number is not an NHS number: act on the email (log the incident or add the note), and record "
        "your judgement on the incident's timeline.",
    ),
    "discard": (
        "Discard",
        "Delete the email from the held folder. The sender has already been asked to send it again.",
    ),
}


@admin.register(InboundMessage)
class InboundMessageAdmin(BoundedQueries, admin.ModelAdmin):
    list_display = ["received_at", "sender", "subject", "outcome", "incident_link", "source"]
    list_filter = ["outcome", "source"]
    list_select_related = ["incident"]
    search_fields = ["=sender", "=message_id"]
    date_hierarchy = "received_at"
    change_form_template = "admin/inbound/inboundmessage/change_form.html"
    fields = [
        "received_at", "sender", "subject", "message_id", "size", "source", "outcome", "reason", "held_match",
        "incident_link", "replied", "refused_files", "decided_by", "decided_at",
    ]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="incident", ordering="incident")
    def incident_link(self, row):
        if row.incident_id is None:
            return "—"
        url = reverse("admin:incidents_incident_change", args=[row.incident_id])
        return format_html('<a href="{}">{}</a>', url, row.incident.reference)

    def changelist_view(self, request, extra_context=None):
        # Nothing here is edited (each message is a record of what the intake did), so not "to change".
        context = {
            "health": IntakeHealth.objects.first(),
            "title": "Inbound messages",
            "held_count": InboundMessage.objects.filter(outcome=Outcome.HELD).count(),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/decide/<str:action>/", view(self.decide_view), name="inbound_inboundmessage_decide"
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request, pk, action):
        """Release or discard a held email: a page that says what will happen, then a POST that does it."""
        if action not in _ACTIONS:
            raise Http404("No such decision.")
        row = get_object_or_404(InboundMessage.objects.select_related("sender_user"), pk=pk)
        if not self.has_change_permission(request, row):
            raise PermissionDenied
        if row.outcome != Outcome.HELD:
            self.message_user(request, f"This email is no longer held ({row.get_outcome_display().lower()}).")
            return redirect("admin:inbound_inboundmessage_change", pk)
        if request.method == "POST":
            return self._decide(request, row, action)
        title, explanation = _ACTIONS[action]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": row,
            "title": f"{title} the held email from {row.sender}",
            "action_title": title,
            "explanation": explanation,
        }
        return TemplateResponse(request, "admin/inbound/inboundmessage/decide.html", context)

    def _decide(self, request, row, action):
        try:
            if action == "release":
                row = held.release(row, request.user)
                done = f"Released: {row.reason}"
            else:
                held.discard(row, request.user)
                done = "Discarded: the email was removed from the held folder."
        except held.HeldMailGone:
            self.message_user(
                request,
                "The held copy of this email is no longer on the server, so it cannot be released. Ask the "
                "practice to send it again.",
                messages.ERROR,
            )
            return redirect("admin:inbound_inboundmessage_change", row.pk)
        except held.HeldMailUnreachable as exc:
            self.message_user(
                request,
                f"The mail server could not be reached, so nothing was done and the email is still held. Try "
                f"again later. ({exc})",
                messages.ERROR,
            )
            return redirect("admin:inbound_inboundmessage_change", row.pk)
        self.message_user(request, done, messages.SUCCESS)
        return redirect("admin:inbound_inboundmessage_change", row.pk)


@admin.register(IntakeHealth)
class IntakeHealthAdmin(admin.ModelAdmin):
    list_display = ["__str__", "last_poll_finished_at", "last_poll_messages", "last_error_at", "polling_now"]
    readonly_fields = [field.name for field in IntakeHealth._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(boolean=True, description="polling now")
    def polling_now(self, health):
        return bool(health.lease_until and health.lease_until > timezone.now())
