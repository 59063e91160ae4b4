from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .forms import PasswordResetForm

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("register/done/", views.register_done, name="register_done"),
    path("set-password/<uidb64>/<token>/", views.SetPasswordView.as_view(), name="set_password"),
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(
            form_class=PasswordResetForm,
            # Links are built from SITE_URL, not from the Host header of whoever asked.
            extra_email_context={"site_url": settings.SITE_URL, "service_desk": settings.SERVICE_DESK},
        ),
        name="password_reset",
    ),
    # Password change and reset, with the templates under templates/registration/.
    path("", include("django.contrib.auth.urls")),
]
