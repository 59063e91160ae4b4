from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.contrib.auth.forms import SetPasswordForm as DjangoSetPasswordForm

from servicedesk.lib.forms import NoNHSNumbersMixin
from servicedesk.lib.nhs import find_nhs_numbers
from servicedesk.outbox import queue_on_commit

from .identity import login_identity
from .models import Practice, User, phone_validator


class SignInIdentityMixin(NoNHSNumbersMixin):
    """Both sign-in forms: the email address read as one identity (accounts.identity), and refused before
    any sign-in is tried if it holds an NHS number, since django-axes keeps the identity of every failed
    sign-in."""

    def clean_username(self):
        identity = login_identity(self.cleaned_data["username"])
        if found := find_nhs_numbers(identity):
            raise forms.ValidationError(self._nhs_message("username", found))
        return identity


class LoginForm(SignInIdentityMixin, AuthenticationForm):
    """Email and password. An unknown email and a wrong password get the same message."""

    _SAME_ANSWER = (
        "The email address or password is not right, or the account has not been approved yet. "
        "Passwords are case-sensitive."
    )
    error_messages = {"invalid_login": _SAME_ANSWER, "inactive": _SAME_ANSWER}

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "Email address"
        self.fields["username"].widget = forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})


class StaffLoginForm(SignInIdentityMixin, AdminAuthenticationForm):
    """Admin's sign-in form (servicedesk.admin_site), reading the email address as the portal's does."""


class PasswordResetForm(DjangoPasswordResetForm):
    """Also reaches approved users who have not set a password yet (their first link expired or was lost):
    Django's skips users without a usable password, but here every account signs in with a password."""

    def get_users(self, email):
        # The account whose stored address is the typed one's identity, exactly (as at sign-in): a
        # look-alike address (a dotless ı for an i) names nobody and cannot receive another person's link.
        return User._default_manager.filter(email=login_identity(email), is_active=True)

    def save(self, **kwargs):
        """Queue the emails rather than send them in the request: a mail server that is down loses
        nothing (the outbox), and the answer takes as long whether or not the address has an account."""
        from .tasks import send_password_reset_email

        for user in self.get_users(self.cleaned_data["email"]):
            queue_on_commit(send_password_reset_email, user.pk)


class RegistrationForm(NoNHSNumbersMixin):
    """Refuses an NHS number in any field, without the "not an NHS number" confirmation: the requester is
    not signed in, so there is nobody to hold to it and no incident timeline to record it on."""

    practice_id = forms.CharField(
        label="Practice ID",
        max_length=10,
        help_text="Your practice's ODS site code, for example A81001.",
    )
    full_name = forms.CharField(
        label="Your name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(label="Email address", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(
        label="Telephone number",
        max_length=30,
        validators=[phone_validator],
        help_text="A number the Service Desk can call you on.",
        widget=forms.TextInput(attrs={"autocomplete": "tel"}),
    )
    job_role = forms.CharField(
        label="Job role", max_length=100, help_text="For example practice manager or GP."
    )

    @property
    def nhs_advice(self):
        return (
            "Patient-identifiable data must not be sent to the Service Desk: remove it. If it is not an NHS "
            f"number, telephone the Service Desk on {settings.SERVICE_DESK['phone']} to ask for an account."
        )

    def clean_practice_id(self):
        code = self.cleaned_data["practice_id"].strip().upper()
        try:
            self.practice = Practice.objects.get(practice_id=code)
        except Practice.DoesNotExist:
            raise forms.ValidationError(
                f"We do not recognise the practice ID {code}. Check it, or telephone the Service Desk "
                f"on {settings.SERVICE_DESK['phone']}."
            ) from None
        return code

    def clean_full_name(self):
        return " ".join(self.cleaned_data["full_name"].split())


class RejectionForm(NoNHSNumbersMixin):
    """An agent's reason for refusing a request for an account. It is emailed to the requester, so it is
    required, and refused if it holds an NHS number."""

    nhs_field_names = {"reason": "the reason"}

    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        help_text="Emailed to the requester, for example: “We could not confirm that you work at this "
        "practice. Please ask your practice manager to telephone us.”",
        error_messages={"required": "Give the reason for rejecting: it is emailed to the requester."},
        widget=forms.Textarea(attrs={"rows": 4, "class": "vLargeTextField"}),
    )


class NewPasswordErrorsMixin:
    """Django reports a password that breaks the policy under its confirmation; people look for it under
    the new password they chose, so it goes there. A mismatch still shows under the confirmation."""

    def validate_password_for_user(self, user, password_field_name=None):
        super().validate_password_for_user(user, "new_password1")


class SetPasswordForm(NewPasswordErrorsMixin, DjangoSetPasswordForm):
    """The first password (the approval email's one-time link) and a reset password."""


class PasswordChangeForm(NewPasswordErrorsMixin, DjangoPasswordChangeForm):
    """A signed-in user's change of password."""


class EmailSettingsForm(forms.ModelForm):
    """Which emails about incidents the user receives."""

    class Meta:
        model = User
        fields = ["email_updates"]
        widgets = {"email_updates": forms.RadioSelect}
        labels = {"email_updates": "Which updates about incidents should we email you?"}
        help_texts = {
            "email_updates": "For the incidents you report, those where you are the incident contact, and "
            "those you follow. We always email you the reference of an incident you log."
        }
