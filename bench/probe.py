"""Run inside the bench database (dev settings): pick the URLs to load, count each page's SQL queries with
Django's test client, time the services directly, and make a signed-in session for the signed-in pages.
Prints JSON for bench/run.py."""

import json
import os
import sys
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.services import measure as measure_services  # noqa: E402
from bench.sessions import signed_session  # noqa: E402
from core.models import Region, User  # noqa: E402
from evaluations.models import Rating  # noqa: E402
from grants.models import Contract, GrantApplication  # noqa: E402
from orgs.models import Certificate, Organization, ServiceField  # noqa: E402
from orgs.queries import ACTIVE, public_organizations  # noqa: E402
from portal.models import CampaignResultsPage, ShowcaseIndexPage, ShowcaseProjectPage  # noqa: E402
from volunteers.models import Activity, ServiceRecord, Transfer, Volunteer  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]


def live_url(model) -> str | None:
    page = model.objects.live().public().order_by("pk").first()
    return page.url if page else None


SEARCH_WORDS = ["养老", "助残", "服务", "社区", "协会", "中心", "基金", "青少年", "志愿", "文化", "禁毒", "儿童"]


def every_nth(values: list, count: int) -> list:
    """``count`` values spread evenly over ``values`` (deterministic, so runs compare)."""
    step = max(1, len(values) // count)
    return values[::step][:count]


def variants() -> dict[str, list[str]]:
    """For each dynamic page, the URLs wrk rotates through (bench/run.py writes them into a Lua script).

    A dynamic page is measured over many distinct URLs — districts × fields, page numbers, hundreds of profiles and
    activities, a dozen search words — so what is measured is the page being computed, not one URL's fragments
    sitting in a cache."""
    districts = list(Region.objects.filter(level=Region.Level.DISTRICT).order_by("code").values_list("code", flat=True))
    fields = list(ServiceField.objects.order_by("code").values_list("code", flat=True))
    organizations = list(public_organizations().filter(ACTIVE).order_by("pk").values_list("pk", flat=True))
    activities = list(Activity.objects.filter(status=Activity.Status.PUBLISHED).order_by("pk").values_list("pk", flat=True))
    codes = list(Certificate.objects.filter(voided_at__isnull=True).order_by("pk").values_list("verification_code", flat=True))
    words = [quote(word) for word in SEARCH_WORDS]
    return {
        "registry": [f"/orgs/?page={n}" for n in range(1, 51)],
        "registry_filtered": [f"/orgs/?district={d}&field={f}" for d in districts for f in fields],
        "registry_search": [f"/orgs/?q={w}&page={n}" for w in words for n in (1, 2)],
        "profile": [f"/orgs/{pk}/" for pk in every_nth(organizations, 300)],
        "activities": [f"/volunteers/?page={n}" for n in range(1, 21)] + [f"/volunteers/?district={d}" for d in districts],
        "activity": [f"/volunteers/activities/{pk}/" for pk in every_nth(activities, 200)],
        "search": [f"/search/?q={w}" for w in words],
        "verify": [f"/orgs/verify/{code}/" for code in every_nth(codes, 50)],
    }


def main():
    urls = variants()
    pages = [
        ("首页", "cached", ["/"]),
        ("公益项目展示", "cached", [live_url(ShowcaseIndexPage)]),
        ("公益项目详情", "cached", [live_url(ShowcaseProjectPage)]),
        ("五比五看评价结果", "cached", [live_url(CampaignResultsPage)]),
        ("名录（无筛选，50 页轮换）", "dynamic", urls["registry"]),
        ("名录（区县×领域轮换）", "dynamic", urls["registry_filtered"]),
        ("名录搜索（12 个词轮换）", "dynamic", urls["registry_search"]),
        ("组织主页（300 家轮换）", "dynamic", urls["profile"]),
        ("志愿活动列表（轮换）", "dynamic", urls["activities"]),
        ("志愿活动详情（200 个轮换）", "dynamic", urls["activity"]),
        ("全站搜索（12 个词轮换）", "dynamic", urls["search"]),
        ("证书核验页", "dynamic", urls["verify"]),
        ("机构工作台", "signed_in", ["/orgs/workspace/"]),
        ("志愿者中心", "signed_in", ["/volunteers/me/"]),
        ("API 组织列表", "api", ["/api/v1/orgs/"]),
        ("API 行政区划", "api", ["/api/v1/regions"]),
    ]
    pages = [page for page in pages if page[2] and page[2][0]]
    member = User.objects.get(phone="13800000008")
    volunteer = User.objects.get(phone="13800000006")
    signed_in_as = {"/orgs/workspace/": member, "/volunteers/me/": volunteer}
    client = Client()
    # Count what a page costs when the anonymous page cache misses (a cache hit costs none), after one warm-up
    # request: the first view of a page makes its image renditions and the home figures, once for all visitors
    # (tests/test_query_budgets.py counts the same way).
    settings.PORTAL_PAGE_CACHE_SECONDS = 0
    measured = []
    for name, category, paths in pages:
        counts = []
        for path in paths[:3]:  # the SQL count of the first few URLs: the budget is per page, whatever the URL
            if category == "signed_in":
                client.force_login(signed_in_as[path])
            client.get(path)
            with CaptureQueriesContext(connection) as queries:
                status = client.get(path).status_code
            client.logout()
            if status != 200:
                raise SystemExit(f"{path} answered {status}, not 200")
            counts.append(len(queries))
        page = {"name": name, "category": category, "path": paths[0], "paths": paths, "queries": max(counts)}
        if category == "signed_in":
            page["session"] = signed_session(signed_in_as[paths[0]])
        measured.append(page)

    # The services are timed as production runs them: with DEBUG off, Django does not log every statement (the
    # page counts above capture their queries whatever DEBUG says).
    settings.DEBUG = False
    services = measure_services()
    data = {
        "organizations": Organization.objects.count(), "certificates": Certificate.objects.count(),
        "volunteers": Volunteer.objects.count(), "service records": ServiceRecord.objects.count(),
        "transfers": Transfer.objects.count(), "activities": Activity.objects.count(),
        "contracts": Contract.objects.count(), "grant applications": GrantApplication.objects.count(),
        "ratings": Rating.objects.count(),
    }
    print(json.dumps({"pages": measured, "services": services, "data": data}))


if __name__ == "__main__":
    main()
