from django.apps import AppConfig


class InboundConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "inbound"
    verbose_name = "Email intake"

    def ready(self):
        from . import checks  # noqa: F401
