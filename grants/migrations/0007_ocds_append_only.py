"""OCDS releases are append-only: triggers refuse UPDATE and DELETE on SQLite and PostgreSQL (grants.ocds)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from grants.ocds import install_triggers

    install_triggers(schema_editor.connection)


def backwards(apps, schema_editor):
    from grants.ocds import drop_triggers

    drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("grants", "0006_procurement")]

    operations = [migrations.RunPython(forwards, backwards)]
