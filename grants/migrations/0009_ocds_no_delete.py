"""OCDS releases refuse DELETE as well as UPDATE (grants.ocds): the triggers are installed again in their new form."""

from django.db import migrations


def forwards(apps, schema_editor):
    from grants.ocds import install_triggers

    install_triggers(schema_editor.connection)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS grants_ocdsrelease_no_delete")


class Migration(migrations.Migration):
    dependencies = [("grants", "0008_service_catalogue")]

    operations = [migrations.RunPython(forwards, backwards)]
