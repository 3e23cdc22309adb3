"""The ledger's append-only triggers (SQLite and PostgreSQL), its three system accounts, and the default
service categories with their points rules."""

from django.db import migrations

CATEGORIES = [
    ("general", "一般志愿服务", 1, "社区服务、环境保护、文明劝导、关爱走访等", 10),
    ("elderly", "为老助残服务", 1, "陪伴、助餐、助浴、代办等", 20),
    ("professional", "专业志愿服务", 3, "医疗、法律、心理、社会工作等需专业资质的服务", 30),
    ("emergency", "应急救援服务", 2, "防汛、救灾、疫情防控等应急任务", 40),
]


def forwards(apps, schema_editor):
    from volunteers.ledger import POSTGRES_TRIGGERS, SQLITE_TRIGGERS

    statements = {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)
    Account = apps.get_model("volunteers", "Account")
    for kind in ("issuer", "reward_pool", "expiry"):
        Account.objects.get_or_create(kind=kind, volunteer=None)
    ServiceCategory = apps.get_model("volunteers", "ServiceCategory")
    for code, name, rate, description, order in CATEGORIES:
        ServiceCategory.objects.get_or_create(
            code=code, defaults={"name": name, "points_per_hour": rate, "description": description, "order": order}
        )


def backwards(apps, schema_editor):
    from volunteers.ledger import POSTGRES_DROP, SQLITE_DROP

    statements = {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
