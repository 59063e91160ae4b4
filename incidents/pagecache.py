"""Rendered parts of the practice's incident pages, kept in the cache until something they show changes.

A fragment's key holds two tokens (servicedesk.lib.cache_tokens): one per practice (its incidents, their
timelines and files) and one shared by every practice (products, releases, sites, practices, people's
names, escalation levels). The signals below forget the token concerned whenever such a row is saved
or deleted, so the next request renders afresh; fragments under an old token are never read again and
expire after PAGE_CACHE_SECONDS (0 turns the cache off). A view reads the tokens before the rows a
fragment shows, so that a change committed in between leaves the fragment under a forgotten token.

A fragment with forms holds a placeholder where each form's CSRF token goes; the view replaces it with
the request's own token, so no one's token is ever stored.
"""

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.middleware.csrf import get_token
from django.utils.crypto import salted_hmac

from accounts.models import Practice, Site, User
from escalation.models import EscalationLevel
from servicedesk.lib.cache_tokens import forget, tokens

from .models import Attachment, Incident, Product, Release, TimelineEvent

_PRACTICE = "pages:practice:{}"
_SHARED = "pages:shared"
# Saving only these fields changes nothing a page shows (signing in saves last_login).
_UNSHOWN_USER_FIELDS = frozenset({"last_login", "password"})


def fragment_key(practice_id, *parts):
    """The key for a fragment of this practice's pages (with `parts` naming which), or None when the
    cache cannot be reached or is turned off (PAGE_CACHE_SECONDS = 0): the page renders without it."""
    if not settings.PAGE_CACHE_SECONDS:
        return None
    current = tokens(_PRACTICE.format(practice_id), _SHARED)
    return None if current is None else ":".join([str(practice_id), *current, *map(str, parts)])


def csrf_placeholder():
    """What a cached fragment holds in place of the CSRF token: the same in every process, and derived
    from SECRET_KEY, so no one can type it into an incident to have it replaced."""
    return salted_hmac("incidents.pagecache.csrf", "placeholder").hexdigest()


def fill_csrf_placeholder(request, response):
    """Put this request's own CSRF token where a cached fragment holds the placeholder."""
    response.content = response.content.replace(csrf_placeholder().encode(), get_token(request).encode())


def practice_changed(practice_id):
    """Something the practice's incident pages show has changed."""
    if practice_id is not None:
        forget(_PRACTICE.format(practice_id))


def shared_changed():
    """Something every practice's pages may show has changed: a product, release, site or name."""
    forget(_SHARED)


@receiver([post_save, post_delete], sender=Incident)
def _incident_written(sender, instance, **kwargs):
    practice_changed(instance.practice_id)


@receiver([post_save, post_delete], sender=TimelineEvent)
@receiver([post_save, post_delete], sender=Attachment)
def _incident_part_written(sender, instance, **kwargs):
    practice_changed(instance.incident.practice_id)


@receiver([post_save, post_delete], sender=EscalationLevel)
@receiver([post_save, post_delete], sender=Product)
@receiver([post_save, post_delete], sender=Release)
@receiver([post_save, post_delete], sender=Site)
@receiver([post_save, post_delete], sender=Practice)
def _shared_written(sender, **kwargs):
    shared_changed()


@receiver([post_save, post_delete], sender=User)
def _user_written(sender, update_fields=None, **kwargs):
    if update_fields is None or not set(update_fields) <= _UNSHOWN_USER_FIELDS:
        shared_changed()
