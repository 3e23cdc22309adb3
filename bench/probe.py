"""Run inside the bench database (dev settings): pick the URLs to load, count each page's SQL queries with
Django's test client, time the services directly, and make a signed-in session for the signed-in pages.
Prints JSON for bench/run.py."""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from core.models import User  # noqa: E402
from orgs import exports  # noqa: E402
from orgs.models import Certificate, Organization  # noqa: E402
from orgs.pdf import render_certificate  # noqa: E402
from orgs.queries import public_organizations  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]


def timed(function):
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main():
    organization = Organization.objects.filter(status=Organization.Status.REGISTERED).order_by("pk").first()
    certificate = Certificate.objects.filter(voided_at__isnull=True).first()
    pages = [
        ("首页", "cached", "/"),
        ("名录（无筛选）", "dynamic", "/orgs/"),
        ("名录（区县+领域）", "dynamic", "/orgs/?district=520102&field=elderly"),
        ("名录搜索“养老”", "dynamic", "/orgs/?q=%E5%85%BB%E8%80%81"),
        ("组织主页", "dynamic", f"/orgs/{organization.pk}/"),
        ("机构工作台", "signed_in", "/orgs/workspace/"),
        ("API 组织列表", "api", "/api/v1/orgs/"),
        ("API 行政区划", "api", "/api/v1/regions"),
    ]
    if certificate:
        pages.append(("证书核验页", "dynamic", f"/orgs/verify/{certificate.verification_code}/"))
    member = User.objects.get(phone="13800000008")
    client = Client()
    client.get("/")  # settings rows and caches are made on first use
    measured = []
    for name, category, path in pages:
        if category == "signed_in":
            client.force_login(member)
        with CaptureQueriesContext(connection) as queries:
            status = client.get(path).status_code
        client.logout()
        if status != 200:
            raise SystemExit(f"{path} answered {status}, not 200")
        measured.append({"name": name, "category": category, "path": path, "queries": len(queries)})

    session = SessionStore()
    session[SESSION_KEY] = str(member.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = member.get_session_auth_hash()
    session.create()

    registry = public_organizations().filter(status__in=["registered", "filed"])
    certificates = list(Certificate.objects.select_related("organization", "organization__region")[:20])
    pdf_seconds = timed(lambda: [render_certificate(certificates[i % len(certificates)]) for i in range(1000)]) if certificates else 0
    services = [
        {"name": f"名录 XLSX（{registry.count():,} 家）", "seconds": timed(lambda: exports.registry_xlsx(registry)), "budget_s": 3},
        {"name": f"名录 CSV（{registry.count():,} 家）", "seconds": timed(lambda: exports.registry_csv(registry)), "budget_s": 1},
        {"name": "1,000 份证书 PDF", "seconds": pdf_seconds, "budget_s": 30},
    ]
    for service in services:
        service["pass"] = service["seconds"] <= service["budget_s"]
    data = {"organizations": Organization.objects.count(), "certificates": Certificate.objects.count()}
    print(json.dumps({"pages": measured, "session": session.session_key, "services": services, "data": data}))


if __name__ == "__main__":
    main()
