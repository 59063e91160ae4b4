"""Helpers for admin pages and actions."""

from functools import cache

from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import BadRequest
from django.utils.text import smart_split
from django.utils.translation import ngettext

from .forms import with_nhs_guard

# A search is a few words: a reference, a practice, words of a summary. Each word is one more condition
# across the whole table, so a search of hundreds of words ties up a worker for seconds.
SEARCH_MAX_WORDS = 10
SEARCH_MAX_CHARACTERS = 200


class BoundedQueries:
    """Every admin list takes only what it offers: a lookup its filters do not read, or a value they cannot
    take, is refused with 400 (`?password__startswith=` would let staff read a secret one character at a
    time; `?summary__regex=(` would fail in the database); an overlong search finds nothing and says why.
    """

    def get_changelist(self, request, **kwargs):
        return _offered_filters_only(super().get_changelist(request, **kwargs))

    def get_search_results(self, request, queryset, search_term):
        words = list(smart_split(search_term))
        if len(words) > SEARCH_MAX_WORDS or len(search_term) > SEARCH_MAX_CHARACTERS:
            if getattr(request.resolver_match, "url_name", None) == "autocomplete":
                return queryset.none(), False  # a widget's lookup: no page to say it on
            self.message_user(
                request,
                f"Search with at most {SEARCH_MAX_WORDS} words and {SEARCH_MAX_CHARACTERS} characters "
                f"(this search had {len(words)} words and {len(search_term)} characters).",
                messages.ERROR,
            )
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)


@cache
def _offered_filters_only(changelist_class):
    names = {"__module__": changelist_class.__module__, "__qualname__": changelist_class.__qualname__}
    return type(changelist_class.__name__, (_OfferedFiltersChangeList, changelist_class), names)


class _OfferedFiltersChangeList:
    def get_filters(self, request):
        specs, has_filters, remaining, duplicates, active = super().get_filters(request)
        hierarchy = (
            {f"{self.date_hierarchy}__gte", f"{self.date_hierarchy}__lt"} if self.date_hierarchy else ()
        )
        unoffered = [
            key
            for key, values in remaining.items()
            if key not in hierarchy and not self._popup_lookup(key, values)
        ]
        if unoffered:
            raise DisallowedModelAdminLookup(f"This list offers no filter by {', '.join(sorted(unoffered))}.")
        return specs, has_filters, remaining, duplicates, active

    def _popup_lookup(self, key, values):
        """Django's related-object pop-ups filter by a foreign key's limit_choices_to: those are offered."""
        for fk_lookup in self.model._meta.related_fkey_lookups:
            offered = widgets.url_params_from_lookup_dict(fk_lookup() if callable(fk_lookup) else fk_lookup)
            if all((key, value) in offered.items() for value in values):
                return True
        return False

    def get_queryset(self, request, exclude_parameters=None):
        try:
            return super().get_queryset(request, exclude_parameters)
        # Django's date hierarchy turns a year past any calendar into OverflowError, or ValueError for 9999.
        except (IncorrectLookupParameters, OverflowError, ValueError) as exc:
            raise BadRequest(f"A filter of this list cannot take that value: {exc}") from exc


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the system makes and keeps (rounds, invitations, the outbox): staff look, never edit."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class NHSNumberAdminMixin:
    """Every form of the model admin refuses NHS numbers in its text fields: the change form, the inlines'
    and the list's editable columns. A form that already guards is kept as it is."""

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


class SiteWideAdmin(NHSNumberAdminMixin, BoundedQueries):
    """What ServiceDeskAdminSite adds to every model admin registered on it."""


def act_on_each(modeladmin, request, objects, act, *, refused, done, noun, plural=None):
    """Run `act` on each object; report each refusal (an exception of the `refused` class) as a warning,
    then how many succeeded, in words: "1 incident verified", "2 incidents verified" (`plural` when the noun
    takes more than an s). Each object stands alone: one refusal does not undo the others."""
    succeeded = 0
    for obj in objects:
        try:
            act(obj)
            succeeded += 1
        except refused as exc:
            modeladmin.message_user(request, str(exc), messages.WARNING)
    if succeeded:
        nouns = ngettext(noun, plural or f"{noun}s", succeeded)
        modeladmin.message_user(request, f"{succeeded} {nouns} {done}.", messages.SUCCESS)
