"""Every officers' admin list downloads exactly what it shows — its jurisdiction, filters, search and ordering, every
page — as CSV with a UTF-8 BOM and as XLSX, with Chinese headings (core.admin_exports).

The per-list tests are generated from Wagtail's viewset registry, so a list added later without ``list_export``
fails here. They run on one small demo world (seed_demo's own builders at a tiny scale), built once for the module
inside a transaction that is rolled back at the end."""

import codecs
import csv
import datetime
import io
import random
import re
from decimal import Decimal
from html import unescape as html_unescape
from io import StringIO
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import get_resolver, reverse
from django.utils import timezone
from wagtail.admin.viewsets import viewsets as viewset_registry
from wagtail.admin.viewsets.model import ModelViewSet

from core import audit
from core.admin_exports import SENSITIVE_FIELDS, AdminExportMixin
from core.models import Region, Role
from core.services import grant_role

from .factories import UserFactory

PROJECT_APPS = {"core", "orgs", "grants", "volunteers", "evaluations", "portal", "dashboards"}
CJK = re.compile(r"[\u4e00-\u9fff]")
TINY = {"organizations": 60, "raters": 20, "ratings": 150, "volunteers": 40, "activities": 8, "records": 80,
        "merchants": 3, "vouchers": 12}


def admin_lists() -> dict[str, ModelViewSet]:
    """The project's admin lists: every registered ModelViewSet of a project app that routes an index page.
    Wagtail's own user admin (superusers only, phone numbers) is not an officers' list."""
    get_resolver().url_patterns  # loading the admin URLconf registers the viewsets  # noqa: B018
    found = {}
    for viewset in viewset_registry.viewsets:
        if not isinstance(viewset, ModelViewSet) or viewset.model is get_user_model():
            continue
        if viewset.model._meta.app_label not in PROJECT_APPS:
            continue
        if any(pattern.name == "index" for pattern in viewset.get_urlpatterns()):
            found[viewset.url_namespace] = viewset
    return found


ADMIN_LISTS = admin_lists()
pytestmark = pytest.mark.django_db


# --- the world ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """seed_demo's builders at a tiny scale (every list gets rows in several districts), once for the module."""
    from portal.management.commands.seed_demo import Command

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            command = Command(stdout=StringIO())
            command.scale = TINY
            command.progress = False
            rng = random.Random(2026)
            for step in (command.seed_regions, command.seed_accounts, command.seed_organizations, command.seed_registry,
                         command.seed_applications, command.seed_evaluations, command.seed_volunteers,
                         command.seed_grants):
                step(rng)
            top_up()
            User = get_user_model()
            yield SimpleNamespace(
                admin=User.objects.get(phone="13800000001"),
                city_officer=User.objects.get(phone="13800000002"),
                nanming_officer=User.objects.get(phone="13800000003"),
            )
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def top_up():
    """What the demo does not build: annual reports, in every district that has organizations."""
    from orgs.models import AnnualReport, Organization

    statuses = [AnnualReport.Status.SUBMITTED, AnnualReport.Status.PASSED, AnnualReport.Status.FAILED]
    for index, organization in enumerate(Organization.objects.order_by("pk")[:24]):
        AnnualReport.objects.create(
            organization=organization, year=2025, status=statuses[index % 3], activities="开展社区服务。",
            income=Decimal("120000.50") + index, government_income=Decimal("30000"), expenditure=Decimal("98000.25"),
            net_assets=Decimal("45000"), staff_count=3, submitted_at=timezone.now() - datetime.timedelta(days=index),
        )


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(codecs.BOM_UTF8), "CSV must start with a UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(body[len(codecs.BOM_UTF8):].decode("utf-8"))))


def xlsx_rows(response) -> tuple[list[tuple], object]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [tuple("" if v is None else v for v in row) for row in sheet.iter_rows(values_only=True)], sheet


def listed_count(client, url, params=None) -> int:
    response = client.get(url, params or {})
    assert response.status_code == 200
    return response.context["items_count"]


# --- every list ---------------------------------------------------------------------------------------------------
def test_the_registry_holds_every_officers_list_named_in_the_design():
    expected = {"audit", "org_applications", "annual_reports", "grant_calls", "grant_applications", "incubation_bases",
                "procurement_categories", "procurement_purchasers", "procurement_projects", "procurement_contracts",
                "campaigns", "rating_review", "volunteer_categories", "volunteer_merchants", "volunteer_admin",
                "volunteer_awards"}
    assert expected <= set(ADMIN_LISTS)


@pytest.mark.parametrize("namespace", sorted(ADMIN_LISTS))
def test_each_admin_list_declares_an_export_through_the_portal_mixin(namespace):
    viewset = ADMIN_LISTS[namespace]
    assert viewset.list_export, f"{namespace} has no list_export"
    assert issubclass(viewset.index_view_class, AdminExportMixin), f"{namespace} does not use core.admin_exports"
    assert not SENSITIVE_FIELDS & {name.replace("__", ".").split(".")[-1] for name in viewset.list_export}


@pytest.mark.parametrize("namespace", sorted(ADMIN_LISTS))
def test_each_admin_list_downloads_every_row_it_lists_as_csv_and_xlsx_with_chinese_headings(world, client, namespace):
    client.force_login(world.admin)
    url = reverse(f"{namespace}:index")

    page = client.get(url)
    assert page.status_code == 200
    assert "export=xlsx" in page.content.decode() and "export=csv" in page.content.decode(), "no download buttons"

    response = client.get(url, {"export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    today = timezone.localdate().isoformat()
    assert "attachment" in response["Content-Disposition"] and today in response["Content-Disposition"]
    rows = csv_rows(response)
    headings = rows[0]
    assert all(CJK.search(heading) for heading in headings), headings
    count = listed_count(client, url)  # after the export: the audit list also lists the export's own audit row
    assert count > 0, f"the demo world has no rows for {namespace}"
    assert len(rows) - 1 == count

    response = client.get(url, {"export": "xlsx"})
    assert response.status_code == 200
    sheet_rows, sheet = xlsx_rows(response)
    assert list(sheet_rows[0]) == headings
    assert len(sheet_rows) - 1 == listed_count(client, url)
    assert sheet.freeze_panes == "A2"


@pytest.mark.parametrize("namespace", sorted(ADMIN_LISTS))
def test_each_admin_list_exports_for_a_district_officer_only_what_their_list_shows(world, client, namespace):
    client.force_login(world.nanming_officer)
    url = reverse(f"{namespace}:index")
    rows = csv_rows(client.get(url, {"export": "csv"}))
    assert len(rows) - 1 == listed_count(client, url)
    sheet_rows, _ = xlsx_rows(client.get(url, {"export": "xlsx"}))
    assert len(sheet_rows) - 1 == listed_count(client, url)


@pytest.mark.parametrize("namespace", sorted(ADMIN_LISTS))
def test_each_admin_list_export_refuses_anonymous_visitors_and_people_without_a_role(world, client, namespace):
    url = reverse(f"{namespace}:index") + "?export=csv"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]

    client.force_login(UserFactory(name="无角色用户"))
    response = client.get(url)
    assert response.status_code in (302, 403)
    assert not response.get("Content-Disposition")


# --- jurisdiction -------------------------------------------------------------------------------------------------
# Lists whose rows lie in a district, and the export column that names the row's region.
REGION_COLUMNS = {
    "audit": "所属区划", "org_applications": "区划", "annual_reports": "所在区划", "incubation_bases": "所在区划",
    "procurement_purchasers": "所在区划", "procurement_projects": "辖区", "procurement_contracts": "辖区",
    "volunteer_merchants": "所在区划", "volunteer_admin": "所在区划",
}


def subtree_names(code: str) -> set[str]:
    region = Region.objects.get(code=code)
    return set(Region.objects.filter(path__startswith=region.path).values_list("name", flat=True))


def region_values(client, url, heading) -> list[str]:
    rows = csv_rows(client.get(url, {"export": "csv"}))
    column = rows[0].index(heading)
    return [row[column] for row in rows[1:]]


@pytest.mark.parametrize("namespace", sorted(REGION_COLUMNS))
def test_a_nanming_officer_exports_only_nanming_rows_while_a_city_officer_exports_both_districts(world, client,
                                                                                                 namespace):
    nanming, yunyan = subtree_names("520102"), subtree_names("520103")
    only_yunyan = yunyan - nanming
    url = reverse(f"{namespace}:index")

    client.force_login(world.city_officer)
    city_rows = region_values(client, url, REGION_COLUMNS[namespace])
    assert set(city_rows) & nanming and set(city_rows) & only_yunyan, "the world needs rows in both districts"

    client.force_login(world.nanming_officer)
    for export_format in ("csv", "xlsx"):
        if export_format == "csv":
            values = region_values(client, url, REGION_COLUMNS[namespace])
        else:
            sheet_rows, _ = xlsx_rows(client.get(url, {"export": "xlsx"}))
            column = sheet_rows[0].index(REGION_COLUMNS[namespace])
            values = [row[column] for row in sheet_rows[1:]]
        assert values, f"{namespace}: the Nanming officer's {export_format} is empty"
        assert set(values) <= nanming, set(values) - nanming
        assert not set(values) & only_yunyan
        assert len(values) < len(city_rows)


def test_a_volunteer_export_lists_id_numbers_masked_as_the_list_shows_them(world, client):
    from volunteers.models import Volunteer

    client.force_login(world.admin)
    url = reverse("volunteer_admin:index")
    body = b"".join(client.get(url, {"export": "csv"}).streaming_content).decode("utf-8-sig")
    sheet_rows, _ = xlsx_rows(client.get(url, {"export": "xlsx"}))
    cells = {str(value) for row in sheet_rows for value in row}
    numbers = list(Volunteer.objects.exclude(id_number="").values_list("id_number", flat=True))
    assert numbers
    for number in numbers:
        assert number not in body and number not in cells
    masked = [row[sheet_rows[0].index("证件号码（脱敏）")] for row in sheet_rows[1:]]
    assert all("*" in value for value in masked if value != "—")


# --- filters, search and ordering ---------------------------------------------------------------------------------
def test_a_filtered_and_searched_grant_application_list_exports_exactly_its_rows(world, client):
    from django.db.models import Count, Q

    from grants.models import GrantApplication

    submitted = GrantApplication.objects.exclude(status=GrantApplication.Status.DRAFT)
    status = submitted.values("status").annotate(n=Count("pk")).order_by("-n")[0]["status"]
    word = submitted.filter(status=status).values_list("project_title", flat=True).first()[:2]
    expected = set(submitted.filter(status=status).filter(Q(number__icontains=word) | Q(project_title__icontains=word))
                   .values_list("number", flat=True))
    assert expected and len(expected) < submitted.count(), "the filter must leave some rows out"

    client.force_login(world.admin)
    url = reverse("grant_applications:index")
    params = {"status": status, "q": word}
    rows = csv_rows(client.get(url, {**params, "export": "csv"}))
    assert {row[0] for row in rows[1:]} == expected and len(rows) - 1 == len(expected)
    sheet_rows, _ = xlsx_rows(client.get(url, {**params, "export": "xlsx"}))
    assert {row[0] for row in sheet_rows[1:]} == expected
    assert listed_count(client, url, params) == len(expected)


def test_a_filtered_and_searched_procurement_project_list_exports_exactly_its_rows(world, client):
    from grants.models import ProcurementProject

    client.force_login(world.city_officer)
    projects = ProcurementProject.objects.filter(region__path__startswith=Region.objects.get(code="520100").path)
    method = projects.values_list("method", flat=True).first()
    word = "服务"
    expected = set(projects.filter(method=method, title__icontains=word).values_list("number", flat=True))
    assert expected and len(expected) < projects.count()

    url = reverse("procurement_projects:index")
    params = {"method": method, "q": word}
    rows = csv_rows(client.get(url, {**params, "export": "csv"}))
    assert {row[0] for row in rows[1:]} == expected
    assert all(row[rows[0].index("采购方式")] == ProcurementProject.Method(method).label for row in rows[1:])
    sheet_rows, _ = xlsx_rows(client.get(url, {**params, "export": "xlsx"}))
    assert {row[0] for row in sheet_rows[1:]} == expected
    assert listed_count(client, url, params) == len(expected)


def test_a_filtered_audit_log_exports_every_page_of_matching_entries_only(world, client):
    from core.models import AuditEntry

    client.force_login(world.admin)
    for index in range(53):  # more than the 50 a page the list shows
        audit.record("test.bulk_review", reason=f"第 {index} 条")
    audit.record("test.bulk_review_other", reason="不应导出")
    assert AuditEntry.objects.count() > 60
    params = {"action": "bulk_review", "reason": "条", "export": "csv"}
    rows = csv_rows(client.get(reverse("audit:index"), {"action": "bulk_review", "export": "csv"}))
    assert len(rows) - 1 == 54
    # "action" contains bulk_review (both kinds); with the date range of today only, and ordered oldest first:
    today = timezone.localdate().isoformat()
    params = {"action": "bulk_review", "created_at_from": today, "created_at_to": today, "ordering": "created_at"}
    rows = csv_rows(client.get(reverse("audit:index"), {**params, "export": "csv"}))
    assert len(rows) - 1 == 54 == listed_count(client, reverse("audit:index"), params)
    assert {row[rows[0].index("操作")] for row in rows[1:]} == {"test.bulk_review", "test.bulk_review_other"}
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    params.update(created_at_from=yesterday, created_at_to=yesterday)
    assert len(csv_rows(client.get(reverse("audit:index"), {**params, "export": "csv"}))) == 1  # headings only


@pytest.mark.parametrize("ordering", ["registered_at", "-registered_at"])
def test_an_export_keeps_the_order_the_list_is_sorted_by(world, client, ordering):
    client.force_login(world.admin)
    rows = csv_rows(client.get(reverse("volunteer_admin:index"), {"ordering": ordering, "export": "csv"}))
    times = [row[rows[0].index("注册时间")] for row in rows[1:]]
    assert len(times) > 10
    assert times == sorted(times, reverse=ordering.startswith("-"))


def test_the_download_buttons_carry_the_current_filters_search_and_ordering(world, client):
    client.force_login(world.admin)
    params = {"status": "reviewing", "q": "社区", "ordering": "-score"}
    page = client.get(reverse("grant_applications:index"), {**params, "p": "1"}).content.decode()
    # What Wagtail fetches when a filter changes: the results, with the header buttons re-rendered for the new state.
    fragment = client.get(reverse("grant_applications:index_results"),
                          {**params, "p": "1", "_w_filter_fragment": "1"}).content.decode()
    for html in (page, fragment):
        links = [html_unescape(link) for link in re.findall(r'href="([^"]*export=(?:csv|xlsx)[^"]*)"', html)]
        assert {parse_qs(urlsplit(link).query)["export"][0] for link in links} == {"csv", "xlsx"}
        for link in links:
            assert urlsplit(link).path == reverse("grant_applications:index")
            query = parse_qs(urlsplit(link).query)
            assert query["status"] == ["reviewing"] and query["q"] == ["社区"] and query["ordering"] == ["-score"]
            assert "p" not in query and "_w_filter_fragment" not in query  # every page, and a file, not a fragment


# --- values -------------------------------------------------------------------------------------------------------
def test_money_dates_and_choices_are_typed_cells_in_xlsx_and_plain_text_in_csv(world, client):
    from orgs.models import AnnualReport

    report = AnnualReport.objects.exclude(status=AnnualReport.Status.DRAFT).select_related("organization").first()
    client.force_login(world.admin)
    url = reverse("annual_reports:index")
    params = {"year": report.year, "status": report.status}

    response = client.get(url, {**params, "export": "xlsx"})
    content = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    headings = [cell.value for cell in sheet[1]]
    assert all(cell.font.bold for cell in sheet[1])
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == report.organization.name)
    income = row[headings.index("本年收入（元）")]
    assert income.data_type == "n" and Decimal(str(income.value)) == report.income
    assert income.number_format == "#,##0.00"
    submitted = row[headings.index("报送时间")]
    assert submitted.is_date
    assert submitted.value == timezone.localtime(report.submitted_at).replace(tzinfo=None, microsecond=0)
    assert row[headings.index("状态")].value == report.get_status_display()
    assert sheet.column_dimensions["A"].width >= 8

    rows = csv_rows(client.get(url, {**params, "export": "csv"}))
    line = next(r for r in rows[1:] if r[0] == report.organization.name)
    assert line[rows[0].index("本年收入（元）")] == f"{report.income:.2f}"
    assert line[rows[0].index("报送时间")] == timezone.localtime(report.submitted_at).strftime("%Y-%m-%d %H:%M:%S")
    assert line[rows[0].index("状态")] == report.get_status_display()


def test_a_name_that_excel_would_run_as_a_formula_is_exported_as_text(world, client):
    from volunteers.models import Merchant

    Merchant.objects.create(name="=HYPERLINK(\"http://x\",\"点我\")", region=Region.objects.get(code="520102"),
                            address="南明区", contact_phone="0851-85550001")
    client.force_login(world.admin)
    url = reverse("volunteer_merchants:index")
    rows = csv_rows(client.get(url, {"q": "HYPERLINK", "export": "csv"}))
    assert rows[1][0] == "'=HYPERLINK(\"http://x\",\"点我\")"
    content = b"".join(client.get(url, {"q": "HYPERLINK", "export": "xlsx"}).streaming_content)
    cell = openpyxl.load_workbook(io.BytesIO(content)).active["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_every_export_is_recorded_in_the_audit_log_with_its_list_and_filters(world, client):
    from core.models import AuditEntry

    client.force_login(world.nanming_officer)
    before = AuditEntry.objects.filter(action="admin.export").count()
    response = client.get(reverse("volunteer_admin:index"), {"q": "ZY", "export": "xlsx"})
    assert response.status_code == 200
    entry = AuditEntry.objects.filter(action="admin.export").latest("pk")
    assert AuditEntry.objects.filter(action="admin.export").count() == before + 1
    assert entry.actor == world.nanming_officer and entry.region.code == "520102"
    assert entry.after == {"list": "志愿者", "format": "xlsx", "query": {"q": "ZY"}}


# --- query budget -------------------------------------------------------------------------------------------------
def _export_queries(client, url, export_format) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"export": export_format})
        assert response.status_code == 200
        b"".join(response.streaming_content)
    return len(captured)


def _more_volunteers(count):
    from tests.volunteers.helpers import register

    for _ in range(count):
        register(region=Region.objects.get(code="520102"), real_name="钱多多")


def _more_annual_reports(count):
    from orgs.models import AnnualReport

    from .factories import OrganizationFactory

    for index in range(count):
        AnnualReport.objects.create(
            organization=OrganizationFactory(region=Region.objects.get(code="520102")), year=2024,
            status=AnnualReport.Status.SUBMITTED, activities="助老。", income=Decimal("1000") + index,
            expenditure=Decimal("500"), net_assets=Decimal("500"), submitted_at=timezone.now())


def _more_awards(count):
    from volunteers import services as volunteer_services

    from .volunteers.helpers import register

    officer = UserFactory(name="表彰干部")
    grant_role(officer, Role.OFFICER, acting_user=None, region=Region.objects.get(code="520102"))
    for _ in range(count):
        volunteer = register(region=Region.objects.get(code="520102"), real_name="李好人")
        volunteer_services.confer_award(acting_user=officer, volunteer=volunteer, year=2024,
                                        region=Region.objects.get(code="520102"), title="好市民", citation="热心助人",
                                        bonus_points=10)


@pytest.mark.parametrize(("namespace", "grow"), [("volunteer_admin", _more_volunteers),
                                                 ("annual_reports", _more_annual_reports),
                                                 ("volunteer_awards", _more_awards)])
@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_an_export_takes_the_same_few_queries_for_a_few_rows_as_for_many(world, client,
                                                                        django_assert_max_num_queries, namespace, grow,
                                                                        export_format):
    client.force_login(world.nanming_officer)
    url = reverse(f"{namespace}:index")
    grow(2)
    small = _export_queries(client, url, export_format)
    grow(20)
    # session, user, permissions, roles, the audit row (with Wagtail's reference index) and one SELECT of the rows
    with django_assert_max_num_queries(15):
        large = _export_queries(client, url, export_format)
    assert large == small


# --- lists that are not Wagtail IndexViews ------------------------------------------------------------------------
@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_a_custom_admin_list_gets_the_same_files_from_spreadsheet_response(rf, officer_nanming, export_format):
    from core.admin_exports import spreadsheet_response
    from core.models import AuditEntry

    request = rf.get("/admin/dashboard/rows/contracts/", {"year": "2026", "export": export_format})
    request.user = officer_nanming
    rows = [[Decimal("12345.6"), datetime.date(2026, 5, 1), True, "+86 共建"],
            [Decimal("0"), None, False, "南明区"]]
    response = spreadsheet_response(request, title="购买服务合同", headings=["合同价格（元）", "签订日期", "已签订", "备注"],
                                    rows=iter(rows), export_format=export_format)
    assert f"{timezone.localdate():%Y-%m-%d}.{export_format}" in response["Content-Disposition"]
    if export_format == "csv":
        lines = csv_rows(response)
        assert lines == [["合同价格（元）", "签订日期", "已签订", "备注"], ["12345.60", "2026-05-01", "是", "'+86 共建"],
                         ["0.00", "", "否", "南明区"]]
    else:
        sheet_rows, sheet = xlsx_rows(response)
        assert sheet_rows[0] == ("合同价格（元）", "签订日期", "已签订", "备注")
        assert sheet["A2"].value == 12345.6 and sheet["A2"].number_format == "#,##0.00"
        assert sheet["B2"].is_date and sheet["B2"].value.date() == datetime.date(2026, 5, 1)
        assert sheet["D2"].value == "+86 共建" and sheet["D2"].data_type == "s"
        assert sheet.title == "购买服务合同" and sheet.freeze_panes == "A2"
    entry = AuditEntry.objects.get(action="admin.export")
    assert entry.after == {"list": "购买服务合同", "format": export_format, "query": {"year": "2026"}}
    assert entry.region.code == "520102"
