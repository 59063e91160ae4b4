"""SLA targets move from escalation to incidents, with the clock that reads them (incidents/sla.py): the
model's state moves, its table is renamed, and its content type (with the permissions on it) follows."""

import django.db.models.deletion
from django.db import migrations, models


def _move_content_type(apps, from_label, to_label):
    """Keep the content type's row (and so the permissions granted on it), unless the other app already has
    one (a migrate in between made it): then the old one goes."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    if ContentType.objects.filter(app_label=to_label, model="slatarget").exists():
        ContentType.objects.filter(app_label=from_label, model="slatarget").delete()
    else:
        ContentType.objects.filter(app_label=from_label, model="slatarget").update(app_label=to_label)


def move_content_type(apps, schema_editor):
    _move_content_type(apps, "escalation", "incidents")


def move_content_type_back(apps, schema_editor):
    _move_content_type(apps, "incidents", "escalation")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_login_identity"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("escalation", "0004_standard_ladder"),
        ("incidents", "0008_desk_note_digest"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SlaTarget",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "severity",
                            models.PositiveSmallIntegerField(
                                choices=[
                                    (1, "1 – System unavailable"),
                                    (2, "2 – Major fault"),
                                    (3, "3 – Minor fault"),
                                    (4, "4 – Residual fault"),
                                    (5, "5 – Other faults (general queries)"),
                                ]
                            ),
                        ),
                        (
                            "response_minutes",
                            models.PositiveIntegerField(help_text="Support minutes to the first response."),
                        ),
                        (
                            "resolution_minutes",
                            models.PositiveIntegerField(
                                help_text="Support minutes to a resolution or workaround."
                            ),
                        ),
                        (
                            "contract",
                            models.ForeignKey(
                                blank=True,
                                help_text="Empty for the standard target.",
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="sla_targets",
                                to="accounts.contract",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "escalation_slatarget",
                        "ordering": ["contract__name", "severity"],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("contract__isnull", True)),
                                fields=("severity",),
                                name="one_standard_target_per_severity",
                            ),
                            models.UniqueConstraint(
                                fields=("contract", "severity"), name="one_target_per_contract_and_severity"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("severity__gte", 1), ("severity__lte", 5)),
                                name="sla_severity_valid",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("resolution_minutes__gte", models.F("response_minutes"))),
                                name="sla_resolution_not_before_response",
                                violation_error_message="The resolution target cannot be shorter than the response target.",
                            ),
                        ],
                    },
                )
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="slatarget", table=None),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
