from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy

from .forms import LoginForm, RegistrationForm
from .services import account_request_submit


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        # Agents and team leaders work in admin; practice staff in the portal.
        if self.request.user.is_staff:
            return resolve_url("admin:index")
        return super().get_default_redirect_url()


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The one-time link from the approval email: the new user chooses their first password."""

    template_name = "accounts/set_password.html"
    success_url = reverse_lazy("login")
    post_reset_login = False

    def form_valid(self, form):
        messages.success(
            self.request, "Your password is set. Sign in with your email address and new password."
        )
        return super().form_valid(form)


def register(request):
    """Ask for a portal account; a desk agent approves it before it can be used."""
    if request.user.is_authenticated:
        return redirect("incidents:list")
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


def register_done(request):
    return render(request, "accounts/register_done.html")
