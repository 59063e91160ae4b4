"""Standard SLA targets, in support minutes (one support day of standard cover = 8.5 h = 510 minutes).

Severity 1 (system unavailable): respond in 30 minutes, resolve or work round in 4 hours.
Severity 2 (major fault): 1 hour, 1 support day.   Severity 3 (minor fault): 4 hours, 5 support days.
Severity 4 (residual fault): 1 support day, 20 support days.   Severity 5 (general queries): 1 support
day, 10 support days. Administrators change them, or set a contract's own, in admin.
"""

from django.db import migrations

DAY = 510
TARGETS = {1: (30, 240), 2: (60, DAY), 3: (240, 5 * DAY), 4: (DAY, 20 * DAY), 5: (DAY, 10 * DAY)}


def create(apps, schema_editor):
    SlaTarget = apps.get_model("escalation", "SlaTarget")
    for severity, (response, resolution) in TARGETS.items():
        SlaTarget.objects.get_or_create(
            contract=None,
            severity=severity,
            defaults={"response_minutes": response, "resolution_minutes": resolution},
        )


class Migration(migrations.Migration):
    dependencies = [("escalation", "0001_sla_targets")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
