"""OCDS releases are append-only: a trigger refuses UPDATE on SQLite and PostgreSQL (grants.ocds)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from grants.ocds import POSTGRES_TRIGGERS, SQLITE_TRIGGERS

    for sql in {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    from grants.ocds import POSTGRES_DROP, SQLITE_DROP

    for sql in {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("grants", "0006_procurement")]

    operations = [migrations.RunPython(forwards, backwards)]
