from django.db import migrations, models


def grant_to_team_leaders(apps, schema_editor):
    """Where the Team leaders group already exists (accounts/roles.py creates it with `setup_roles`, which
    now lists the permission too), it gains the permission to read the reports."""
    group = apps.get_model("auth", "Group").objects.filter(name="Team leaders").first()
    if group is None:
        return
    # Permissions are made after the migrations run (post_migrate); this one is needed now.
    content_type, _ = apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="servicedesk", model="reports"
    )
    permission, _ = apps.get_model("auth", "Permission").objects.get_or_create(
        content_type=content_type,
        codename="view_reports",
        defaults={"name": "Can read the service-desk reports"},
    )
    group.permissions.add(permission)


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
