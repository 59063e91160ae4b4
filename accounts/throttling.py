"""Login throttling: django-axes' lockout of one identity from one address (AXES_FAILURE_LIMIT failures
within the cool-off, refused before the password is checked), and a ceiling per client address: once the
failures from one address, across all identities, reach LOGIN_ADDRESS_FAILURE_LIMIT, every sign-in from it
is refused, the right password included (credential stuffing). Successful sign-ins never count.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import IntegerField, Sum, Value
from django.db.models.functions import Least
from django.shortcuts import render

from servicedesk.lib.nhs import find_nhs_numbers

from .identity import login_identity

# axes' username column. No account's address is longer (an email address has at most 254 characters),
# so a longer identity, cut to fit, still names no account, and still counts towards its lockout.
_USERNAME_LENGTH = AccessAttempt._meta.get_field("username").max_length
NHS_NUMBER_STAND_IN = "(an address holding an NHS number)"  # kept instead of such an identity


def axes_username(request, credentials):
    """AXES_USERNAME_CALLABLE: the identity as the user lookup reads it, so no way of typing an address gets
    fresh guesses."""
    field = settings.AXES_USERNAME_FORM_FIELD
    typed = credentials.get(field) if credentials else request.POST.get(field)
    if typed is None:
        return None
    identity = login_identity(str(typed))
    if find_nhs_numbers(identity):  # the sign-in forms refuse these; axes must not keep one either way
        return NHS_NUMBER_STAND_IN
    return identity[:_USERNAME_LENGTH]


class LoginThrottleHandler(AxesDatabaseHandler):
    """django-axes' database handler, also refusing a client address past the per-address ceiling."""

    def is_locked(self, request, credentials=None):
        return super().is_locked(request, credentials) or _address_paused(request)

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or self.is_whitelisted(request, credentials):
            return
        if _address_paused(request):
            # As axes does for its own lockout: AxesMiddleware turns these into the lockout page.
            request.axes_locked_out = True
            request.axes_credentials = credentials
            request.login_address_paused = True


def _address_paused(request):
    """Whether the request's client address has reached LOGIN_ADDRESS_FAILURE_LIMIT failures within the
    cool-off. Each attempt row (one identity from one browser) counts at most AXES_FAILURE_LIMIT: past that
    its own lockout already stops it, and one person retrying a forgotten password over and over must not
    pause everyone else behind the same address."""
    if request.axes_ip_address is None:
        return False
    per_row = Least(
        "failures_since_start", Value(get_failure_limit(request, None)), output_field=IntegerField()
    )
    failures = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
    ).aggregate(total=Sum(per_row))["total"]
    return (failures or 0) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the page for a refused sign-in, saying whether the email address or the whole
    network is paused. The same page whether or not the password was right."""
    context = {"network_paused": getattr(request, "login_address_paused", False)}
    return render(request, "registration/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
