from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        # Connects the sign-in receiver that starts the session clocks (idle and absolute expiry) and
        # the receivers that keep cached permissions current, and registers the deployment checks.
        from servicedesk.lib import checks, middleware  # noqa: F401

        from . import backends  # noqa: F401
