"""The staff second factor: enrol an authenticator app once, then confirm a code at each sign-in.
django-otp keeps the devices (a TOTP device for the app, a static device for ten backup codes) and marks
the session verified (`otp_login`); servicedesk.lib.middleware.StaffSecondFactorMiddleware sends staff
here until it is. A lost phone: an administrator deletes the user's devices in admin (*TOTP devices*),
and the user enrols again at their next sign-in.
"""

from base64 import b32encode
from binascii import unhexlify

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from servicedesk.lib.middleware import needs_second_factor
from servicedesk.outbox import queue_on_commit

from .tasks import send_second_factor_enrolled_email

BACKUP_CODES = 10
_ENROLMENT_KEY = "_otp_enrolment_key"


class OneTimeCodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6-digit code your authenticator app shows now, or one of your backup codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).lower()  # backup codes are lower case


def _next_url(request):
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")  # where this person works: admin, or their escalation queue


def _verified_device(user, code):
    """The user's confirmed device that accepts `code` (the app's six digits, else a backup code, which is
    used up), or None. Each device row is locked while it checks, so one code cannot be used twice at once.
    """
    with transaction.atomic():
        totp = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if totp is not None and not totp.verify_is_allowed()[0]:
            raise _Throttled
        if totp and code.isdigit() and len(code) == 6 and totp.verify_token(code):
            return totp
        for backup in StaticDevice.objects.select_for_update().filter(user=user, confirmed=True):
            if backup.verify_token(code):
                return backup
    return None


class _Throttled(Exception):
    pass


def _enrolment_device(request):
    """An unsaved TOTP device whose secret lives in this session only: whoever else signs in with the
    password gets another secret, and nothing is stored until the user confirms a code from their app."""
    key = request.session.get(_ENROLMENT_KEY)
    if key is None:
        key = request.session[_ENROLMENT_KEY] = random_hex(20)
    return TOTPDevice(user=request.user, name="Authenticator app", key=key, confirmed=True)


def _code_matches(device, code):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    # isascii(): "²" is a digit to isdigit() but not to int().
    ok = code.isascii() and code.isdigit() and len(code) == device.digits
    return ok and totp.verify(int(code), device.tolerance)


def _enrol(request, device):
    """Save the confirmed app and fresh backup codes, and tell the user by email (in case it was not them)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=request.user).delete()
        device.save()
        StaticDevice.objects.filter(user=request.user).delete()
        backup = StaticDevice.objects.create(user=request.user, name="Backup codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in codes)
        queue_on_commit(send_second_factor_enrolled_email, request.user.pk)
    del request.session[_ENROLMENT_KEY]
    return codes


@never_cache
@sensitive_post_parameters("code")
@login_required
def two_factor(request):
    user = request.user
    next_url = _next_url(request)
    if not needs_second_factor(user) or user.is_verified():
        return redirect(next_url if needs_second_factor(user) else "home")
    enrolling = not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    pending = _enrolment_device(request) if enrolling else None
    form = OneTimeCodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        code = form.cleaned_data["code"]
        try:
            if enrolling:
                device = pending if _code_matches(pending, code) else None
            else:
                device = _verified_device(user, code)
        except _Throttled:
            form.add_error("code", "Too many wrong codes. Wait a few minutes, then try the newest code.")
        else:
            if device is not None:
                backup_codes = _enrol(request, device) if enrolling else None
                otp_login(request, device)
                if backup_codes:
                    context = {"codes": backup_codes, "next": next_url}
                    return render(request, "accounts/two_factor_backup_codes.html", context)
                return redirect(next_url)
            form.add_error(
                "code",
                "That code is not right. Enter the code your app shows now (they change every 30 "
                "seconds), and check that your phone's clock is set automatically.",
            )
    context = {"form": form, "enrolling": enrolling, "next": next_url}
    if enrolling:
        context["qr_code"] = segno.make(pending.config_url, error="m").svg_data_uri(scale=5)
        context["secret"] = b32encode(unhexlify(pending.key)).decode()
    return render(request, "accounts/two_factor.html", context, status=400 if form.is_bound else 200)
