from django.db import migrations, models

# The default questions' labels (0003_default_questions), for the results' charts and columns.
SHORT_LABELS = {
    "Overall, how satisfied are you with the Service Desk's handling of this incident?": "Satisfaction",
    "Was the incident resolved to your satisfaction?": "Resolved well",
    "How easy was it to log the incident?": "Ease of logging",
    "Any comments?": "Comments",
}


def label(apps, schema_editor):
    Question = apps.get_model("surveys", "Question")
    for text, short_label in SHORT_LABELS.items():
        Question.objects.filter(text=text, short_label="").update(short_label=short_label)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0004_eligible_count_help_behaviour")]

    operations = [
        migrations.AddField(
            model_name="question",
            name="short_label",
            field=models.CharField(
                blank=True,
                help_text="A few words for the results' charts and columns; the full question shows on hover.",
                max_length=40,
            ),
        ),
        migrations.RunPython(label, migrations.RunPython.noop),
    ]
