from django.db import migrations


def forwards(apps, schema_editor):
    from market.reference.admin_units import load

    load(apps)


class Migration(migrations.Migration):
    dependencies = [("market", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
