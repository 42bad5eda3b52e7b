"""Default French decision e-mails, editable afterwards by the coordination."""

from django.db import migrations

from maillage.review.email_defaults import DEFAULT_TEMPLATES


def create_defaults(apps, schema_editor):
    Template = apps.get_model("review", "DecisionEmailTemplate")
    for outcome, (subject, body) in DEFAULT_TEMPLATES.items():
        Template.objects.get_or_create(outcome=outcome, defaults={"subject": subject, "body": body})


class Migration(migrations.Migration):
    dependencies = [("review", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
