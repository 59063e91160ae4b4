from django.contrib.auth.management import create_permissions
from django.db import migrations, models


def grant_to_team_leaders(apps, schema_editor):
    """Where the Team leaders group already exists (accounts/roles.py creates it with `setup_roles`, which
    now lists the permission too), it gains the permission to read the reports."""
    create_permissions(apps.get_app_config("servicedesk"), apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Team leaders").first()
    if group:
        group.permissions.add(
            Permission.objects.get(content_type__app_label="servicedesk", codename="view_reports")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("servicedesk", "0001_outbox"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="Reports",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
            ],
            options={
                "permissions": [("view_reports", "Can read the service-desk reports")],
                "managed": False,
                "default_permissions": (),
            },
        ),
        migrations.RunPython(grant_to_team_leaders, migrations.RunPython.noop),
    ]
