"""Reference data that migrations create (regions, service fields, Wagtail's root and home page, the site).

Transactional tests (live server, real threads) empty every table when they end, so the next one would start
without it. This puts it back using the migrations' own functions, and costs two queries when it is there.
"""

import importlib

from django.apps import apps
from wagtail.models import Locale, Page

regions_migration = importlib.import_module("core.migrations.0002_reference_regions")
homepage_migration = importlib.import_module("portal.migrations.0002_create_homepage")
service_fields_migration = importlib.import_module("orgs.migrations.0003_service_fields")
ledger_migration = importlib.import_module("volunteers.migrations.0002_ledger_triggers_and_reference_rows")


def ensure_reference_data() -> None:
    regions_migration.load(apps, None)
    service_fields_migration.load(apps, None)
    if not Page.objects.filter(depth=1).exists():
        Locale.objects.get_or_create(language_code="zh-hans")
        Page.add_root(instance=Page(title="Root", slug="root", locale=Locale.objects.get(language_code="zh-hans")))
    from wagtail.models import Collection

    if Collection.get_first_root_node() is None:  # images and documents need the root collection
        Collection.add_root(name="Root")
    homepage_migration.create_homepage(apps, None)
    from django.db import connection

    from volunteers.ledger import install_triggers

    ledger_migration.forwards(apps, type("Editor", (), {"connection": connection, "execute": staticmethod(_execute)})())
    install_triggers()
    from grants import ocds

    ocds.install_triggers()


def _execute(sql):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
