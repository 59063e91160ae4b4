"""Rendered parts of the practice's incident pages, kept in the cache until something they show changes.

A fragment's key holds two tokens (servicedesk.lib.cache_tokens): one per practice (its incidents, their
timelines and files) and one shared by every practice (products, releases, sites, practices, people's
names, escalation levels). The signals below forget the token concerned whenever such a row is saved
or deleted, so the next request renders afresh; fragments under an old token are never read again and
expire after PAGE_CACHE_SECONDS (0 turns the cache off). A view reads the tokens before the rows a
fragment shows, so that a change committed in between leaves the fragment under a forgotten token.

A fragment with forms holds a placeholder where each form's CSRF token goes; the view replaces it with
the request's own token, so no one's token is ever stored.

The desk's incident list in admin is cached whole, per agent, the same way (CachedChangeList): under a
token forgotten whenever any practice's incidents or any practice change, the shared token, and the
permissions' token; and never past the moment a row it shows falls overdue.
"""

import contextlib
import hashlib
import math
import time
from functools import partial
from typing import NamedTuple

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache, caches
from django.core.cache.utils import make_template_fragment_key
from django.core.exceptions import PermissionDenied
from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.crypto import salted_hmac

from accounts.backends import PERMISSIONS_NAME
from accounts.models import Practice, Site, User
from escalation.models import EscalationLevel
from servicedesk.lib.cache_tokens import CacheUnavailable, cached, call, forget, forget_after_outage, tokens

from .models import Attachment, Incident, Product, Release, TimelineEvent

_PRACTICE = "pages:practice:{}"
_SHARED = "pages:shared"
_TRIAGE = "pages:triage"  # every practice's incidents, and the practices themselves: the desk's list
forget_after_outage(_SHARED)  # in every fragment's key: forgetting it starts every page afresh
forget_after_outage(_TRIAGE)
# Saving only these fields changes nothing a page shows (signing in saves last_login).
_UNSHOWN_USER_FIELDS = frozenset({"last_login", "password"})


def fragment_cache():
    """The cache the {% cache %} tag keeps fragments in."""
    return caches["template_fragments" if "template_fragments" in settings.CACHES else "default"]


def fragment_key(practice_id, *parts):
    """The key for a fragment of this practice's pages (with `parts` naming which), or None when the
    cache cannot be reached or is turned off (PAGE_CACHE_SECONDS = 0): the page renders without it."""
    if not settings.PAGE_CACHE_SECONDS:
        return None
    current = tokens(_PRACTICE.format(practice_id), _SHARED)
    return None if current is None else _key(practice_id, current, parts)


def _key(practice_id, current_tokens, parts):
    # With the placeholder's start: fragments made under another SECRET_KEY are never read.
    return ":".join([str(practice_id), *current_tokens, csrf_placeholder()[:8], *map(str, parts)])


def csrf_placeholder():
    """What a cached fragment holds in place of the CSRF token: the same in every process, and derived
    from SECRET_KEY, so no one can type it into an incident to have it replaced."""
    return salted_hmac("incidents.pagecache.csrf", "placeholder").hexdigest()


def fill_csrf_placeholder(request, response):
    """Put this request's own CSRF token where a cached fragment holds the placeholder."""
    response.content = response.content.replace(csrf_placeholder().encode(), get_token(request).encode())


MAX_CACHED_PAGE = 20  # page numbers past this render afresh: no one fills the cache with one key per page


def cached_page_number(number):
    """Whether a list's `page` parameter (None for the first page) names a page that may be cached."""
    # isascii(): "²" is a digit to isdigit() but not to int().
    return number is None or (number.isascii() and number.isdigit() and 1 <= int(number) <= MAX_CACHED_PAGE)


class LogFormChoices(NamedTuple):
    products: dict  # the active products by pk
    sites: dict  # the practice's sites by pk


CHOICES_SECONDS = 600  # at most this long out of date if a change could not be forgotten


def log_form_choices(practice_id):
    """What the log form offers the practice, from the cache until a product or site changes (the
    shared token): the log form checks a submitted product and site with these instead of two queries."""

    def read():
        return LogFormChoices(
            {product.pk: product for product in Product.objects.filter(is_active=True)},
            {site.pk: site for site in Site.objects.filter(practice_id=practice_id)},
        )

    return cached([_SHARED], f"log-form-choices:{practice_id}", read, CHOICES_SECONDS)


def drop_incident_page(incident):
    """Delete the incident page's cached content itself, not only make it unreachable: for purges and
    corrections, whose old text must not stay in the cache until it expires."""
    practice, names = incident.practice_id, [_PRACTICE.format(incident.practice_id), _SHARED]
    # If the cache is failing, nothing is read from it either; the tokens are forgotten when it answers.
    with contextlib.suppress(CacheUnavailable):
        found = call(cache.get_many, names)  # the tokens, as fragment_key read them
        if len(found) == len(names):
            key = _key(practice, [found[name] for name in names], ["incident", incident.reference])
            call(fragment_cache().delete, make_template_fragment_key("incident_detail", [key]))


def practice_changed(practice_id):
    """Something the practice's incident pages show has changed."""
    if practice_id is not None:
        forget(_PRACTICE.format(practice_id), _TRIAGE)  # one round trip


def shared_changed():
    """Something every practice's pages may show has changed: a product, release, site or name."""
    forget(_SHARED)


@receiver([post_save, post_delete], sender=Incident)
def _incident_written(sender, instance, **kwargs):
    practice_changed(instance.practice_id)


@receiver([post_save, post_delete], sender=TimelineEvent)
def _event_written(sender, instance, created=False, **kwargs):
    # The practice's pages show public events only. A new incident's "logged" event is written in the
    # transaction that saved the incident (incident_log), whose signal has forgotten the same tokens, at
    # once and at the commit.
    if instance.public and not (created and instance.kind == TimelineEvent.Kind.LOGGED):
        practice_changed(instance.incident.practice_id)


@receiver([post_save, post_delete], sender=Attachment)
def _attachment_written(sender, instance, **kwargs):
    practice_changed(instance.incident.practice_id)


@receiver([post_save, post_delete], sender=Practice)
def _practice_written(sender, instance, **kwargs):
    forget(_TRIAGE)  # its name and ID in the desk's list


@receiver([post_save, post_delete], sender=EscalationLevel)
@receiver([post_save, post_delete], sender=Product)
@receiver([post_save, post_delete], sender=Release)
@receiver([post_save, post_delete], sender=Site)
@receiver(post_migrate)  # data migrations send no model signals; a deploy starts every page afresh
def _shared_written(sender, **kwargs):
    shared_changed()


@receiver([post_save, post_delete], sender=User)
def _user_written(sender, update_fields=None, **kwargs):
    if update_fields is None or not set(update_fields) <= _UNSHOWN_USER_FIELDS:
        shared_changed()


# --- The desk's incident list in admin ----------------------------------------------------------------


class CachedChangeList:
    """A ModelAdmin mixin: the changelist page kept whole in the cache, per staff member and address.

    Only for visits whose page nothing but a write can change: not searches, not the filters in
    `changelist_uncached_params` (say, ones that compare with the clock), not pages past MAX_CACHED_PAGE,
    and not while messages wait to be shown. A kept page expires at the first instant from
    `changelist_changes_at(rows)` (when a row it shows would look different, as an SLA falling overdue),
    or after PAGE_CACHE_SECONDS. The permission check runs on every visit, cached or not.
    """

    changelist_uncached_params = ()

    def changelist_changes_at(self, rows):
        """The instants (datetimes, any order) at which one of these rows would be shown differently."""
        return []

    def changelist_view(self, request, extra_context=None):
        key = self._changelist_key(request)
        if key is None:
            return super().changelist_view(request, extra_context)
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        with contextlib.suppress(CacheUnavailable):
            kept = call(fragment_cache().get, key)
            if kept is not None and kept[0] > time.time():  # (expires, page): expiry is checked here too
                response = HttpResponse(kept[1])
                fill_csrf_placeholder(request, response)
                return response
        started = time.time()
        context = {**(extra_context or {}), "csrf_token": csrf_placeholder()}  # over the request's own
        response = super().changelist_view(request, context)
        if hasattr(response, "add_post_render_callback"):
            response.add_post_render_callback(partial(self._keep_changelist, request, key, started))
        return response

    def _changelist_key(self, request):
        """The page's key, or None when this visit is not cached (see the class's docstring)."""
        params = request.GET
        if (
            not settings.PAGE_CACHE_SECONDS
            or request.method != "GET"
            or params.get("q")
            or any(name in params for name in self.changelist_uncached_params)
            or not cached_page_number(params.get("p"))
            or len(messages.get_messages(request))  # shown (and used up) by this visit only
        ):
            return None
        current = tokens(_TRIAGE, _SHARED, PERMISSIONS_NAME)
        if current is None:
            return None
        address = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
        model, user = self.model._meta.label_lower, str(request.user.pk)
        return ":".join(["changelist", model, user, *current, csrf_placeholder()[:8], address])

    def _keep_changelist(self, request, key, started, response):
        changelist = (response.context_data or {}).get("cl")
        if response.status_code == 200 and changelist is not None:
            changes = [when.timestamp() for when in self.changelist_changes_at(changelist.result_list)]
            expires = min([started + settings.PAGE_CACHE_SECONDS, *(t for t in changes if t > started)])
            seconds = math.floor(expires - time.time())
            if seconds >= 1:  # not when a row changed while the page was rendered
                with contextlib.suppress(CacheUnavailable):
                    call(fragment_cache().set, key, (expires, response.content), seconds)
        fill_csrf_placeholder(request, response)
