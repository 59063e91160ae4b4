"""Request guards applied to every request in one place: request size, NUL characters, session lifetime,
the staff second factor, and what browsers may keep of a page."""

import time
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, resolve_url
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme


class _Middleware:
    def __init__(self, get_response):
        self.get_response = get_response


class RequestSizeLimitMiddleware(_Middleware):
    """Refuse a body larger than REQUEST_MAX_BYTES (signed in) or ANONYMOUS_REQUEST_MAX_BYTES before anything
    reads it, since Django spools uploads to disk as it parses. The limit is on the declared Content-Length:
    Django never reads more, and nothing of a body whose length is undeclared (refused: 411).
    """

    def __call__(self, request):
        declared = request.META.get("CONTENT_LENGTH") or ""
        if not declared.strip() and "HTTP_TRANSFER_ENCODING" in request.META:
            return _plain(411, "Send the request with its length (Content-Length).")
        try:
            length = int(declared or 0)
        except ValueError:
            return _plain(400, "The request's declared length (Content-Length) is not a number.")
        if length <= settings.ANONYMOUS_REQUEST_MAX_BYTES:
            return self.get_response(request)  # most requests: no need to read the session to decide
        limit = (
            settings.REQUEST_MAX_BYTES
            if request.user.is_authenticated
            else settings.ANONYMOUS_REQUEST_MAX_BYTES
        )
        if length > limit:
            return _plain(
                413,
                f"The request is {filesizeformat(length)}; at most {filesizeformat(limit)} can be sent. "
                "Attach fewer or smaller files.",
            )
        return self.get_response(request)


def _plain(status, message):
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class NoStoreMiddleware(_Middleware):
    """Practices share PCs: no page or download the portal makes may be kept by the browser or a proxy
    (Cache-Control: no-store, private), unless the view said otherwise. Static files are served before
    this, by WhiteNoise, and keep their long caching."""

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response


class RefuseNulMiddleware(_Middleware):
    """A NUL character has no place in an address or a form, and PostgreSQL refuses it in any query
    (a 500 wherever it reaches one): answer 400 before it gets that far."""

    def __call__(self, request):
        posted_nul = request.method == "POST" and _posted_nul(request)
        if "\x00" in request.path or _has_nul(request.GET) or posted_nul:
            return HttpResponseBadRequest("The request contains a NUL character.", content_type="text/plain")
        return self.get_response(request)


def _has_nul(query_dict):
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in query_dict.lists())


def _posted_nul(request):
    try:
        return _has_nul(request.POST)
    except Exception:  # an unreadable body is Django's to refuse, later
        return False


LAST_SEEN = "_last_seen"
SIGNED_IN = "_signed_in"
# The time of the last request is rewritten at most this often, so most requests write nothing.
_TOUCH_EVERY_SECONDS = 60


@receiver(user_logged_in)
def _start_session_clock(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SIGNED_IN] = now
        request.session[LAST_SEEN] = now


class IdleSessionTimeoutMiddleware(_Middleware):
    """Sign the user out after SESSION_IDLE_MINUTES without a request, or SESSION_COOKIE_AGE after
    signing in, whichever comes first; the next page says why."""

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN, now)
            signed_in = request.session.get(SIGNED_IN, now)
            if now - last_seen > settings.SESSION_IDLE_MINUTES * 60:
                logout(request)
                messages.info(
                    request,
                    f"You were signed out after {settings.SESSION_IDLE_MINUTES} minutes without activity. "
                    "Please sign in again.",
                )
            elif now - signed_in > settings.SESSION_COOKIE_AGE:
                logout(request)
                messages.info(request, "Your session has ended. Please sign in again.")
            elif LAST_SEEN not in request.session or now - last_seen >= _TOUCH_EVERY_SECONDS:
                request.session[LAST_SEEN] = now
                request.session.setdefault(SIGNED_IN, now)
        return self.get_response(request)


class BackToTheFormAfterSignInMiddleware(_Middleware):
    """A form sent after the session ended (idle, say) is answered with a redirect to sign in, whose `next`
    is the form's action: an address that only takes POST, so signing in would end on "405 Method Not
    Allowed". Send the person back instead to the page the form was on (the Referer, when it is this
    site's, as the Referrer-Policy has browsers send it), where what they typed waits as a draft. Without
    one, the redirect is left as Django made it."""

    def __call__(self, request):
        response = self.get_response(request)
        if request.method in ("GET", "HEAD") or response.status_code != 302:
            return response
        login = resolve_url(settings.LOGIN_URL)
        target = urlsplit(response.get("Location", ""))
        if target.path != login or "next" not in parse_qs(target.query):
            return response
        referer = request.headers.get("Referer", "")
        here = url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        page = urlsplit(referer) if referer and here else None
        if page and page.path != login:
            back = page.path + (f"?{page.query}" if page.query else "")
            response["Location"] = f"{login}?{urlencode({'next': back}, safe='/')}"
        return response


def needs_second_factor(user):
    """Staff and superusers: everyone who can reach admin or the staff pages."""
    return user.is_authenticated and (user.is_staff or user.is_superuser)


def _second_factor_exempt_paths():
    # Django gives a relative STATIC_URL the script prefix: it starts with "/".
    return (reverse("two_factor"), reverse("logout"), reverse("admin:logout"), settings.STATIC_URL)


class StaffSecondFactorMiddleware(_Middleware):
    """With ADMIN_REQUIRE_2FA, signed-in staff confirm a one-time code (django-otp) before any page but
    the second-factor page itself and signing out: admin, the escalation queues, survey results."""

    def __call__(self, request):
        user = request.user
        if (
            settings.ADMIN_REQUIRE_2FA
            and needs_second_factor(user)
            and not user.is_verified()
            and not request.path.startswith(_second_factor_exempt_paths())
        ):
            return redirect(f"{reverse('two_factor')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
