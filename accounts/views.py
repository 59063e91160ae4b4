from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy

from servicedesk.lib.ratelimit import over_limit

from .forms import EmailSettingsForm, LoginForm, PasswordResetForm, RegistrationForm, SetPasswordForm
from .identity import login_identity
from .list_visits import keep_list_visit
from .services import account_request_submit


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        # Practice staff work in the portal; the desk's staff where the home page sends them (admin, or
        # their escalation queue if they are on the ladder): this app knows nothing of the ladder.
        if self.request.user.is_staff:
            return resolve_url("home")
        return super().get_default_redirect_url()


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        keep_list_visit(request)  # before the session, which holds it, ends
        return super().post(request, *args, **kwargs)


class SetPasswordView(SuccessMessageMixin, auth_views.PasswordResetConfirmView):
    """The one-time link from the approval email: the new user chooses their first password."""

    template_name = "accounts/set_password.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("login")
    post_reset_login = False
    success_message = "Your password is set. Sign in with your email address and new password."


def _too_many_requests(request, reason):
    return render(request, "429.html", {"reason": reason}, status=429)


def _limited(request, group, rate, key="ip"):
    """Count this request against `rate` for its address (or `key`); True once over the limit."""
    return over_limit(request, group, rate, key=key) is not None


def register(request):
    """Ask for a portal account; a desk agent approves it before it can be used."""
    if request.user.is_authenticated:
        return redirect("incidents:list")
    if request.method == "POST" and _limited(request, "register", settings.REGISTRATION_RATE_LIMIT):
        return _too_many_requests(request, "There have been too many account requests from your network.")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        account_request_submit(
            practice=form.practice,
            full_name=form.cleaned_data["full_name"],
            email=form.cleaned_data["email"],
            phone=form.cleaned_data["phone"],
            job_role=form.cleaned_data["job_role"],
        )
        return redirect("register_done")
    return render(request, "accounts/register.html", {"form": form}, status=400 if form.is_bound else 200)


def signed_out(request):
    """Where signing out lands: says it is done (on a shared practice PC, that matters)."""
    if request.user.is_authenticated:
        return redirect("home")
    return render(request, "registration/signed_out.html")


def register_done(request):
    return render(request, "accounts/register_done.html")


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, limited per address (flooding) and per email address (mail bombing). Over
    the per-email limit the page says what it always says and sends nothing, revealing no accounts."""

    form_class = PasswordResetForm  # queues the emails; their links are built from SITE_URL

    def post(self, request, *args, **kwargs):
        if _limited(request, "password_reset", settings.PASSWORD_RESET_RATE_LIMIT):
            return _too_many_requests(
                request, "There have been too many password-reset requests from your network."
            )
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        email = login_identity(form.cleaned_data["email"])  # one allowance however the address is typed
        if _limited(
            self.request, "password_reset_email", settings.PASSWORD_RESET_EMAIL_RATE_LIMIT, lambda *_: email
        ):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


@login_required
def email_settings(request):
    """The user chooses which updates about incidents they are emailed."""
    form = EmailSettingsForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your email settings are saved.")
        return redirect("email_settings")
    return render(
        request, "accounts/email_settings.html", {"form": form}, status=400 if form.is_bound else 200
    )
