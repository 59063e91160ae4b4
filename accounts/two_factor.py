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
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

BACKUP_CODES = 10


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
        return "".join(self.cleaned_data["code"].split())


def _next_url(request):
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index")


def _verified_device(user, totp, code):
    """The device that accepts `code`: the app's (6 digits), else a backup code (used up)."""
    if code.isdigit() and len(code) == 6 and totp.verify_token(code):
        return totp
    if totp.confirmed:
        for backup in StaticDevice.objects.filter(user=user, confirmed=True):
            if backup.verify_token(code):
                return backup
    return None


def _new_backup_codes(user):
    StaticDevice.objects.filter(user=user).delete()
    backup = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in codes)
    return codes


@never_cache
@sensitive_post_parameters("code")
@login_required
def two_factor(request):
    user = request.user
    next_url = _next_url(request)
    if not user.is_staff or user.is_verified():
        return redirect(next_url if user.is_staff else "home")
    totp = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = totp is None
    if enrolling:  # the same secret until it is confirmed, so a reload does not break a half-done setup
        totp = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
            user=user, name="Authenticator app", confirmed=False
        )
    form = OneTimeCodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            allowed, _ = totp.verify_is_allowed()
            device = _verified_device(user, totp, form.cleaned_data["code"]) if allowed else None
            if device is not None:
                backup_codes = None
                if enrolling:
                    with transaction.atomic():
                        totp.confirmed = True
                        totp.save(update_fields=["confirmed"])
                        backup_codes = _new_backup_codes(user)
                otp_login(request, device)
                if backup_codes:
                    context = {"codes": backup_codes, "next": next_url}
                    return render(request, "accounts/two_factor_backup_codes.html", context)
                return redirect(next_url)
            if not allowed:
                form.add_error("code", "Too many wrong codes. Wait a minute, then try the newest code.")
            else:
                form.add_error(
                    "code",
                    "That code is not right. Enter the code your app shows now (they change every 30 "
                    "seconds), and check that your phone's clock is set automatically.",
                )
    context = {"form": form, "enrolling": enrolling, "next": next_url}
    if enrolling:
        context["qr_code"] = segno.make(totp.config_url, error="m").svg_data_uri(scale=5)
        context["secret"] = b32encode(unhexlify(totp.key)).decode()
    return render(request, "accounts/two_factor.html", context, status=status)
