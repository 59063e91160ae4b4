from django.db import migrations

DEFAULT_QUESTIONS = [
    ("Overall, how satisfied are you with the Service Desk's handling of this incident?", "", "score", True),
    ("Was the incident resolved to your satisfaction?", "", "yes_no", True),
    ("How easy was it to log the incident?", "", "score", True),
    (
        "Any comments?",
        "Optional. Please do not include patient-identifiable data such as NHS numbers.",
        "text",
        False,
    ),
]


def create(apps, schema_editor):
    Question = apps.get_model("surveys", "Question")
    if Question.objects.exists():
        return
    for position, (text, help_text, kind, required) in enumerate(DEFAULT_QUESTIONS, start=1):
        Question.objects.create(
            text=text, help_text=help_text, kind=kind, required=required, position=position * 10
        )


class Migration(migrations.Migration):
    dependencies = [("surveys", "0002_questions_responses_and_sending")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
