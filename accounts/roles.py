"""The staff roles and the admin permissions each needs. Applied by `manage.py setup_roles`."""

from django.contrib.auth.models import Group, Permission

AGENTS = "Service desk agents"
TEAM_LEADERS = "Team leaders"

_AGENT_PERMISSIONS = [
    "accounts.view_practice",
    "accounts.view_site",
    "accounts.view_contract",
    "accounts.view_user",
    "accounts.view_accountrequest",
    "accounts.change_accountrequest",
    "incidents.view_product",
    "incidents.view_incident",
    "incidents.add_incident",
    "incidents.change_incident",
    "incidents.view_timelineevent",
    "incidents.view_release",
    "incidents.add_release",
    "incidents.change_release",
    "incidents.view_attachment",
    "incidents.view_knownissue",  # known issues (issue 19): declared, updated and fixed by the desk
    "incidents.add_knownissue",
    "incidents.change_knownissue",
    "incidents.view_severitywording",  # a contract's own severity words, shown with the standard ones
    "inbound.view_inboundmessage",
    "inbound.change_inboundmessage",  # release or discard a held email
    "inbound.view_intakehealth",
    "knowledge.view_article",  # the desk writes the help articles (revisions are kept by the service)
    "knowledge.add_article",
    "knowledge.change_article",
]

ROLES = {
    AGENTS: _AGENT_PERMISSIONS,
    # Reading remote-access details is a dedicated permission; here team leaders hold it. Give it to
    # individual agents in admin (user permissions) when they need to connect to a practice.
    # Team leaders and managers also read the survey results and the reports, and may resend an interrupted
    # invitation.
    TEAM_LEADERS: [
        *_AGENT_PERMISSIONS,
        "incidents.view_remote_access",
        "surveys.view_surveyround",
        "surveys.view_invitation",
        "surveys.change_invitation",
        "surveys.view_question",
        "surveys.view_response",
        "servicedesk.view_reports",  # /reports/
    ],
}


def setup_roles():
    """Create or update the role groups so they hold exactly their listed permissions."""
    for name, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = []
        for code in codes:
            app_label, codename = code.split(".")
            permissions.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(permissions)
