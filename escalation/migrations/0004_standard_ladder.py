"""SPEC's escalation ladder, with the support minutes on an incident's clock at which each severity reaches
each level automatically (none: that severity only reaches the level by hand). Only an incident that has
missed an SLA target is escalated automatically (escalation/services.py); the thresholds then say how far
up it goes. The first rung falls on the response target, the Customer Service Manager on the resolution
target (for severity 1, at half of it), and the directors only for severities 1 and 2. Contacts are left
empty: administrators name real staff in admin.
"""

from django.db import migrations

DAY = 510
LADDER = [
    # position, role, managed-service only, {severity: minutes}
    (1, "Customer Service Team Leader", False, {1: 30, 2: 60, 3: 240, 4: DAY, 5: DAY}),
    (2, "Customer Liaison Officer", True, {1: 60, 2: 240, 3: 2 * DAY, 4: 4 * DAY}),
    (3, "Customer Service Manager", False, {1: 120, 2: DAY, 3: 5 * DAY, 4: 20 * DAY, 5: 10 * DAY}),
    (4, "Head of Customer Services", False, {1: 240, 2: 2 * DAY, 3: 10 * DAY}),
    (5, "Project Director", False, {1: 480, 2: 4 * DAY}),
    (6, "Operational Services Director", False, {1: 2 * DAY}),
]


def create(apps, schema_editor):
    EscalationLevel = apps.get_model("escalation", "EscalationLevel")
    EscalationThreshold = apps.get_model("escalation", "EscalationThreshold")
    for position, role, managed_only, thresholds in LADDER:
        level, created = EscalationLevel.objects.get_or_create(
            position=position, defaults={"role_name": role, "managed_service_only": managed_only}
        )
        if created:
            EscalationThreshold.objects.bulk_create(
                EscalationThreshold(level=level, severity=severity, after_minutes=minutes)
                for severity, minutes in thresholds.items()
            )


class Migration(migrations.Migration):
    dependencies = [("escalation", "0003_ladder")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
