from django.db import migrations


def load(apps, schema_editor):
    from maillage.competences.loaders import load_taxonomy

    load_taxonomy(apps.get_model("competences", "Domain"), apps.get_model("competences", "Competence"))


class Migration(migrations.Migration):
    dependencies = [("competences", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop, elidable=False)]
