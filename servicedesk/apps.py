from django.apps import AppConfig


class ServiceDeskConfig(AppConfig):
    name = "servicedesk"
    verbose_name = "Service desk"

    def ready(self):
        # The sign-in receiver that starts the session clocks, and the deployment checks.
        from .lib import checks, middleware  # noqa: F401
