"""The intake must never read the portal's own notifications: the desk's address differs from the intake's."""

from django.conf import settings
from django.core import checks


@checks.register()
def separate_addresses(app_configs, **kwargs):
    if settings.SERVICE_DESK_NOTIFY_EMAIL.strip().lower() != settings.INBOUND_EMAIL_ADDRESS.strip().lower():
        return []
    return [
        checks.Error(
            f"SERVICE_DESK_NOTIFY_EMAIL is the intake address ({settings.INBOUND_EMAIL_ADDRESS}): the desk's "
            "notifications would come back in as incidents.",
            hint="Set SERVICE_DESK_NOTIFY_EMAIL to an internal address that the intake does not read.",
            id="inbound.E001",
        )
    ]
