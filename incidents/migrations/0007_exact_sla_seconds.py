"""The time the resolution clock has used is kept exactly (a duration), no longer in whole minutes, which
dropped the seconds at every pause. Existing values are converted: N minutes become N minutes."""

from datetime import timedelta

from django.db import migrations, models


def _convert(apps, schema_editor, assignment, where="TRUE"):
    table = schema_editor.quote_name(apps.get_model("incidents", "Incident")._meta.db_table)
    # One UPDATE, not a loop in Python over a table of a million incidents. Every piece is a constant of
    # this file: nothing from outside reaches the SQL.
    schema_editor.execute(f"UPDATE {table} SET {assignment} WHERE {where}")  # noqa: S608


def minutes_to_time(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        exact = "sla_minutes_used * INTERVAL '1 minute'"
    else:  # SQLite: Django keeps a duration as a whole number of microseconds
        exact = "sla_minutes_used * 60000000"
    _convert(apps, schema_editor, f"sla_time_used = {exact}", "sla_minutes_used > 0")  # the rest hold zero


def time_to_minutes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        minutes = "FLOOR(EXTRACT(EPOCH FROM sla_time_used) / 60)"
    else:
        minutes = "sla_time_used / 60000000"
    _convert(apps, schema_editor, f"sla_minutes_used = {minutes}")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0006_summary_trigram_index")]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="sla_time_used",
            field=models.DurationField(default=timedelta(0), editable=False),
        ),
        migrations.RunPython(minutes_to_time, time_to_minutes),
        migrations.RemoveField(model_name="incident", name="sla_minutes_used"),
    ]
