"""Helpers for admin pages and actions."""

from django.contrib import admin, messages
from django.db.models.constants import LOOKUP_SEP

from .forms import with_nhs_guard


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the system makes and keeps (rounds, invitations, the outbox): staff look, never edit."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SecretFieldsAdminMixin:
    """Admin lets a query string filter a list by any field of its own model (`?password__startswith=`),
    which would let staff read a secret one character at a time from which rows remain. Lookups on the
    fields named in `secret_fields` are refused (Django answers 400)."""

    secret_fields = ()

    def lookup_allowed(self, lookup, value, request=None):
        if lookup.split(LOOKUP_SEP, 1)[0] in self.secret_fields:
            return False
        return super().lookup_allowed(lookup, value, request)


class NHSNumberAdminMixin:
    """Every form of the model admin refuses NHS numbers in its text fields: the change form, each inline's
    forms and the list's editable columns. A form that already guards (with the "not an NHS number"
    confirmation, as the incident's does) is kept as it is. ServiceDeskAdminSite gives every registered
    model admin this, third-party ones included."""

    def get_form(self, request, obj=None, **kwargs):
        return with_nhs_guard(super().get_form(request, obj, **kwargs))

    def get_changelist_form(self, request, **kwargs):
        return with_nhs_guard(super().get_changelist_form(request, **kwargs))

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            guarded = with_nhs_guard(formset.form)
            if guarded is not formset.form:
                formset = type(formset.__name__, (formset,), {"form": guarded})
            yield formset, inline


def act_on_each(modeladmin, request, objects, act, *, refused, done, noun):
    """Run `act` on each object; report each refusal (an exception of the `refused` class) as a warning,
    then how many succeeded. Each object stands alone: one refusal does not undo the others."""
    succeeded = 0
    for obj in objects:
        try:
            act(obj)
            succeeded += 1
        except refused as exc:
            modeladmin.message_user(request, str(exc), messages.WARNING)
    if succeeded:
        modeladmin.message_user(request, f"{succeeded} {noun}(s) {done}.", messages.SUCCESS)
