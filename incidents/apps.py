from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "incidents"

    def ready(self):
        from . import pagecache  # noqa: F401  (connects the signals that keep cached pages current)
