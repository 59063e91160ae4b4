"""The intake must never read the portal's own notifications (the desk's address differs from the intake's),
and a mailbox to poll must come with a way to log in."""

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


@checks.register()
def imap_settings(app_configs, **kwargs):
    """A mailbox to poll must say how to log in: a user, and a password or the XOAUTH2 settings."""
    if not settings.INBOUND_IMAP_HOST:
        return []
    needed = ["INBOUND_IMAP_USER"]
    if settings.INBOUND_IMAP_AUTH == "xoauth2":
        needed += [
            "INBOUND_IMAP_OAUTH_TOKEN_URL",
            "INBOUND_IMAP_OAUTH_CLIENT_ID",
            "INBOUND_IMAP_OAUTH_REFRESH_TOKEN",
        ]
    else:
        needed.append("INBOUND_IMAP_PASSWORD")
    missing = [name for name in needed if not getattr(settings, name)]
    if not missing:
        return []
    return [
        checks.Error(
            f"INBOUND_IMAP_HOST is set but {', '.join(missing)} is not: the poller could not log in.",
            hint="README.md ('Email intake: the IMAP mailbox') lists the settings for each way to log in.",
            id="inbound.E002",
        )
    ]
