from django.contrib import admin, messages
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import ngettext

from servicedesk.lib.admin import ReadOnlyAdmin

from .models import Invitation, Question, SurveyRound
from .services import resend_interrupted


def _annotation_column(name, description):
    """A list column showing the queryset's annotation `name`, sortable by it."""
    return admin.display(description=description, ordering=name)(lambda self, obj: getattr(obj, name))


@admin.register(SurveyRound)
class SurveyRoundAdmin(ReadOnlyAdmin):
    list_display = [
        "round_date",
        "month_sampled",
        "population",
        "eligible_count",
        "invited",
        "sent",
        "responses",
    ]
    fields = ["month", "round_date", "seed", "population", "eligible_count", "created_at", "invitations_link"]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                invited=Count("invitations"),
                sent=Count("invitations", filter=Q(invitations__sent_at__isnull=False)),
                responses=Count("invitations__response"),
            )
        )

    @admin.display(description="Closures in", ordering="month")
    def month_sampled(self, obj):
        return f"{obj.month:%B %Y}"

    invited = _annotation_column("invited", "Invited")
    sent = _annotation_column("sent", "Emails sent")
    responses = _annotation_column("responses", "Responses")

    @admin.display(description="Invitations")
    def invitations_link(self, obj):
        url = reverse("admin:surveys_invitation_changelist") + f"?round__id__exact={obj.pk}"
        return format_html('<a href="{}">See the {} invitations</a>', url, obj.invited)


class SendStatusFilter(admin.SimpleListFilter):
    title = "email"
    parameter_name = "email"
    statuses = {
        "waiting": ("Not sent yet", Q(claimed_at__isnull=True)),
        "interrupted": ("Send interrupted", Q(claimed_at__isnull=False, sent_at__isnull=True)),
        "sent": ("Sent", Q(sent_at__isnull=False)),
        "answered": ("Answered", Q(response__isnull=False)),
    }

    def lookups(self, request, model_admin):
        return [(value, label) for value, (label, _) in self.statuses.items()]

    def queryset(self, request, queryset):
        if self.value() in self.statuses:
            return queryset.filter(self.statuses[self.value()][1])
        return queryset


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["customer", "round", "incident", "email_status", "expires_at", "answered"]
    list_filter = [SendStatusFilter, "round"]
    list_select_related = ["customer", "round", "incident", "response"]
    search_fields = ["=customer__email", "=incident__reference"]
    fields = ["round", "customer", "incident", "claimed_at", "sent_at", "expires_at", "answered"]
    readonly_fields = fields
    actions = ["send_again"]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        # The list's "Send again" action needs the change permission; no invitation is ever edited.
        return obj is None and admin.ModelAdmin.has_change_permission(self, request, obj)

    @admin.display(description="Email")
    def email_status(self, obj):
        if obj.sent_at:
            return f"Sent {timezone.localtime(obj.sent_at):%-d %b %Y %H:%M}"
        if obj.claimed_at:
            started = timezone.localtime(obj.claimed_at)
            return f"Send begun {started:%-d %b %Y %H:%M}, not confirmed: check before sending again"
        return "Not sent yet"

    @admin.display(description="Answered", boolean=True)
    def answered(self, obj):
        return hasattr(obj, "response")

    @admin.action(
        description="Send again: the customer never received it (interrupted sends only)",
        permissions=["change"],
    )
    def send_again(self, request, queryset):
        count = resend_interrupted(queryset)
        skipped = queryset.count() - count
        emails = ngettext("invitation email", "invitation emails", count)
        self.message_user(request, f"{count} {emails} queued again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} left alone: only an interrupted send can be repeated, so nobody gets two emails.",
                messages.WARNING,
            )


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "short_label", "kind", "position", "required", "active", "answer_count"]
    list_editable = ["position", "active"]
    list_filter = ["active", "kind"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(answer_count=Count("answers"))

    answer_count = _annotation_column("answer_count", "Answers")

    def get_readonly_fields(self, request, obj=None):
        # Once answered, a question's kind is fixed: the answers already given would no longer fit it.
        if obj and obj.answers.exists():
            return ["kind"]
        return []

    def has_delete_permission(self, request, obj=None):
        # Answered questions are kept for the results; untick "active" to stop asking one.
        if obj and obj.answers.exists():
            return False
        return super().has_delete_permission(request, obj)
