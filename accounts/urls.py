from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import two_factor, views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", two_factor.two_factor, name="two_factor"),
    path("register/", views.register, name="register"),
    path("register/done/", views.register_done, name="register_done"),
    path("set-password/<uidb64>/<token>/", views.SetPasswordView.as_view(), name="set_password"),
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("email-settings/", views.email_settings, name="email_settings"),
    # Password change and reset, with the templates under templates/registration/.
    path("", include("django.contrib.auth.urls")),
]
