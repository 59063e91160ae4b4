"""Whether the signed-in person works an escalation queue, remembered in their session: admin's pages and
the portal's header then offer the queue to the ladder's staff (and only to them) without a query on every
page. Decided at sign-in and again on each visit to the queue, so a change to the ladder shows at the next
sign-in, or at once for someone it takes off the ladder who opens the queue."""

from django.contrib.auth.signals import user_logged_in

from .services import on_the_ladder

# Read by templates/base.html and templates/admin/base_site.html as request.session.on_the_ladder.
ON_THE_LADDER = "on_the_ladder"


def remember_ladder(request, user=None, *, on=None):
    """Decide (one query, for staff, unless the caller knows: `on`) and remember whether `user`
    (request.user by default) is on the ladder; return it."""
    on = on_the_ladder(user or request.user) if on is None else on
    if on and not request.session.get(ON_THE_LADDER):
        request.session[ON_THE_LADDER] = True
    elif not on:
        request.session.pop(ON_THE_LADDER, None)  # marks the session changed only if it was there
    return on


def _on_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        remember_ladder(request, user)


def connect():
    user_logged_in.connect(_on_sign_in, dispatch_uid="escalation.session.remember_ladder")
