from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import two_factor, views
from .forms import PasswordChangeForm, SetPasswordForm

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("signed-out/", views.signed_out, name="signed_out"),
    path("two-factor/", two_factor.two_factor, name="two_factor"),
    path("register/", views.register, name="register"),
    path("register/done/", views.register_done, name="register_done"),
    path("set-password/<uidb64>/<token>/", views.SetPasswordView.as_view(), name="set_password"),
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("email-settings/", views.email_settings, name="email_settings"),
    # Errors of a new password under the new password, not its confirmation (accounts.forms).
    path(
        "password_change/",
        auth_views.PasswordChangeView.as_view(form_class=PasswordChangeForm),
        name="password_change",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=SetPasswordForm),
        name="password_reset_confirm",
    ),
    # The rest of password change and reset, with the templates under templates/registration/.
    path("", include("django.contrib.auth.urls")),
]
