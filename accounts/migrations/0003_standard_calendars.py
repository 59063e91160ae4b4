"""The handbook's standard cover, and a round-the-clock calendar that contracts may choose."""

import datetime

from django.db import migrations

STANDARD_HOURS = [(day, datetime.time(9, 0), datetime.time(17, 30)) for day in range(5)] + [
    (5, datetime.time(9, 0), datetime.time(12, 0))
]
ALWAYS_HOURS = [(day, datetime.time(0, 0), datetime.time(0, 0)) for day in range(7)]


def create(apps, schema_editor):
    SupportCalendar = apps.get_model("accounts", "SupportCalendar")
    SupportHours = apps.get_model("accounts", "SupportHours")
    for name, is_standard, holidays_closed, hours in [
        ("Standard cover", True, True, STANDARD_HOURS),
        ("Round the clock (24x7)", False, False, ALWAYS_HOURS),
    ]:
        calendar, created = SupportCalendar.objects.get_or_create(
            name=name,
            defaults={
                "is_standard": is_standard,
                "closed_on_english_holidays": holidays_closed,
                "closed_on_irish_holidays": holidays_closed,
            },
        )
        if created:
            SupportHours.objects.bulk_create(
                SupportHours(calendar=calendar, weekday=day, opens=opens, closes=closes)
                for day, opens, closes in hours
            )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_support_calendars")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
