"""SLA targets move to incidents (incidents/0009 renames the table and moves the content type)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0004_standard_ladder"),
        ("incidents", "0009_sla_targets_from_escalation"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="SlaTarget")]),
    ]
