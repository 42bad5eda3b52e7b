from django.db import migrations


def load(apps, schema_editor):
    from maillage.geography.loaders import load_geography

    load_geography(
        apps.get_model("geography", "Departement"),
        apps.get_model("geography", "Commune"),
        apps.get_model("geography", "PostalCode"),
    )


class Migration(migrations.Migration):
    dependencies = [("geography", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop, elidable=False)]
