from django.conf import settings
from django.db import migrations, models
from django.db.models import Max, OuterRef, Subquery

# As incidents.services.NOT_AN_ENTRY when this was written: entries that move neither time.
NOT_AN_ENTRY = ["assigned", "remote_viewed", "nhs_override", "purged", "reminder"]


def fill_last_entries(apps, schema_editor):
    """Each incident's practice_last_entry_at and desk_last_entry_at from its timeline: the latest entry by
    a practice user, and by staff (as the accounts are now), leaving out the system's own entries and those
    that answer nobody. One UPDATE, each time read from the event_incident_time index."""
    Incident = apps.get_model("incidents", "Incident")
    TimelineEvent = apps.get_model("incidents", "TimelineEvent")
    entries = TimelineEvent.objects.filter(incident=OuterRef("pk"), actor__isnull=False).exclude(
        kind__in=NOT_AN_ENTRY
    )

    def latest(by_staff):
        by = entries.filter(actor__is_staff=by_staff).order_by().values("incident")
        return Subquery(by.annotate(latest=Max("created_at")).values("latest"))

    Incident.objects.update(practice_last_entry_at=latest(False), desk_last_entry_at=latest(True))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_email_preferences"),
        ("escalation", "0005_sla_targets_to_incidents"),
        ("incidents", "0012_severity_wording"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="desk_last_entry_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="incident",
            name="practice_last_entry_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill_last_entries, migrations.RunPython.noop, elidable=True),
        # Built after the fill, which would otherwise update it row by row.
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                models.Case(
                    models.When(
                        responded_at__isnull=True,
                        response_due_at__isnull=False,
                        then=models.F("response_due_at"),
                    ),
                    default=models.F("resolution_due_at"),
                ),
                models.OrderBy(models.F("id"), descending=True),
                condition=models.Q(("status", "closed"), _negated=True),
                include=(
                    "status",
                    "severity",
                    "assignee",
                    "escalation_level",
                    "responded_at",
                    "response_due_at",
                    "resolution_due_at",
                    "practice_last_entry_at",
                    "desk_last_entry_at",
                ),
                name="incident_open_queue",
            ),
        ),
    ]
