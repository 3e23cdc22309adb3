"""The yearly statistical report (年度统计报表): what the workbook and the PDF hold for a district and for the city,
how the task reports progress and survives failures and reruns, and who may request it."""

import datetime
import hashlib
import io
import shutil
import subprocess  # nosec B404 - runs a fixed local tool on test data
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.db.models import Q, Sum
from django.utils import timezone

from core.exceptions import PermissionDenied
from core.models import AuditEntry
from dashboards import report_sheets, reports
from dashboards.models import YearlyReport
from dashboards.report_xlsx import MONEY_FORMAT, display_width
from dashboards.tasks import build_yearly_report
from evaluations.models import Campaign, Result
from grants.models import Award, Contract, Deliverable, Disbursement, GrantApplication, MatchingFund
from orgs.models import AnnualReport, Application, Organization
from tests.dashboards.factories import build, organization
from tests.factories import UserFactory, community
from tests.pdftext import pdf_text
from volunteers.models import Account, ServiceRecord, Transfer

YEAR = timezone.localdate().year
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MONEY_HEADERS = {
    "社会组织": ["注册资金（元）"],
    "年度报告": ["本年收入（元）", "其中：政府购买服务收入（元）", "本年支出（元）", "年末净资产（元）"],
    "孵化补贴": ["申请金额（元）", "资助金额（元）", "已拨付（元）"],
    "资助拨付": ["金额（元）"],
    "政府购买服务": ["合同金额（元）", "已支付（元）", "撬动社会资金（元）"],
}


@pytest.fixture(autouse=True)
def _remove_report_files(db):
    """The reports' files go to the private storage on disk; take away what each test wrote."""
    yield
    for report in YearlyReport.objects.all():
        for stored in (report.xlsx_file, report.pdf_file):
            if stored and stored.storage.exists(stored.name):
                stored.storage.delete(stored.name)


def make_world(region, *, income: str):
    """The dashboards' small world in ``region``, plus what the report reads that it leaves out: an annual report
    about the report's year, a refused application, and an organization in a community under the district."""
    build(region, YEAR)
    org = organization(region, established_on=datetime.date(YEAR - 3, 1, 1))
    AnnualReport.objects.create(organization=org, year=YEAR, status=AnnualReport.Status.PASSED, activities="助老",
                                income=Decimal(income), government_income=Decimal("1000.25"),
                                expenditure=Decimal("500"), net_assets=Decimal("800"), submitted_at=timezone.now())
    Application.objects.create(kind=Application.Kind.ESTABLISH, status=Application.Status.DENIED,
                               applicant=UserFactory(),
                               region=region, name=f"{region.name}不予登记的组织", org_kind=org.kind,
                               decided_at=datetime.datetime(YEAR, 4, 1, 9, tzinfo=timezone.get_default_timezone()),
                               due_on=datetime.date(YEAR, 3, 1))
    street = community(region, f"{region.code}001000", f"{region.name}测试街道")
    organization(street, kind=Organization.Kind.COMMUNITY)


@pytest.fixture
def world(nanming, yunyan):
    make_world(nanming, income="12345.67")
    make_world(yunyan, income="7654.32")


def names_in(region) -> set[str]:
    """Names and numbers that can only come from rows of ``region``'s subtree."""
    under = Q(region__path__startswith=region.path)
    return {
        *Organization.objects.filter(under).values_list("name", flat=True),
        *Application.objects.filter(under).values_list("name", flat=True),
        *GrantApplication.objects.filter(call__region__path__startswith=region.path).values_list("number", flat=True),
        *Contract.objects.filter(under).values_list("number", flat=True),
        *Campaign.objects.filter(under).values_list("title", flat=True),
    }


def run(report: YearlyReport) -> YearlyReport:
    build_yearly_report.enqueue(report.pk)
    report.refresh_from_db()
    return report


def make_report(region, officer, django_capture_on_commit_callbacks) -> YearlyReport:
    with django_capture_on_commit_callbacks(execute=True):
        report = reports.request_report(region, YEAR, acting_user=officer)
    report.refresh_from_db()
    return report


def workbook(report: YearlyReport):
    with report.xlsx_file.open("rb") as handle:
        return openpyxl.load_workbook(io.BytesIO(handle.read()))


def rows_of(sheet) -> list[dict]:
    values = list(sheet.iter_rows(values_only=True))
    header = values[0]
    return [dict(zip(header, row, strict=True)) for row in values[1:]]


def all_text(book) -> set[str]:
    return {str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row
            if cell is not None}


# --- content --------------------------------------------------------------------------------------------------
def test_a_district_officers_report_holds_only_the_districts_rows_on_every_sheet(
        world, nanming, yunyan, officer_nanming, django_capture_on_commit_callbacks):
    report = make_report(nanming, officer_nanming, django_capture_on_commit_callbacks)
    assert report.status == YearlyReport.Status.DONE
    book = workbook(report)
    text = all_text(book)

    assert names_in(yunyan).isdisjoint(text)
    assert names_in(nanming) & text  # and the district's own rows are there
    for sheet in book.worksheets:
        rows = rows_of(sheet)
        if "所在区县" in [cell.value for cell in sheet[1]]:
            assert {row["所在区县"] for row in rows} <= {"南明区"}, sheet.title
    sheets = {s.title: rows_of(s) for s in book.worksheets}
    for title in ("社会组织", "登记备案", "年度报告", "孵化补贴", "资助拨付", "政府购买服务", "五比五看"):
        assert sheets[title], f"{title} is empty"
    # The community's organization (two levels down) counts as 南明区's.
    assert "南明区测试街道" in {row["所在区划"] for row in sheets["社会组织"]}
    # 爱心银行 has no names: its hours are 南明区's only (90 + 125 minutes approved this year).
    total = next(row for row in sheets["爱心银行"] if row["月份"] == "合计")
    assert Decimal(str(total["服务时长（小时）"])) == Decimal("3.58")
    assert total["发放积分"] == 55 and total["兑换积分"] == 12


def test_a_city_officers_report_covers_both_districts(world, city, city_officer, django_capture_on_commit_callbacks):
    report = make_report(city, city_officer, django_capture_on_commit_callbacks)
    sheets = {s.title: rows_of(s) for s in workbook(report).worksheets}
    for title in ("社会组织", "登记备案", "年度报告", "孵化补贴", "政府购买服务"):
        assert {row["所在区县"] for row in sheets[title]} >= {"南明区", "云岩区"}, title
    total = next(row for row in sheets["爱心银行"] if row["月份"] == "合计")
    assert total["发放积分"] == 110


def test_the_workbook_has_the_sheets_chinese_headers_money_formats_and_frozen_headers(
        world, nanming, officer_nanming, django_capture_on_commit_callbacks):
    book = workbook(make_report(nanming, officer_nanming, django_capture_on_commit_callbacks))

    assert book.sheetnames == ["概览", "社会组织", "登记备案", "年度报告", "孵化补贴", "资助拨付", "政府购买服务", "爱心银行",
                               "五比五看"]
    assert [c.value for c in book["概览"][1]] == ["类别", "指标", "数值", "单位"]
    assert [c.value for c in book["社会组织"][1]][:4] == ["名称", "统一社会信用代码（备案编号）", "类型", "性质"]
    assert [c.value for c in book["政府购买服务"][1]][:3] == ["合同编号", "合同名称", "购买主体"]
    assert [c.value for c in book["爱心银行"][1]] == ["月份", "服务记录（条）", "参与志愿者（人）", "服务时长（小时）", "发放积分",
                                                   "兑换积分"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        for cell in sheet[1]:  # every header is Chinese and its column is wide enough to show it
            assert any("\u4e00" <= ch <= "\u9fff" for ch in cell.value), (sheet.title, cell.value)
            assert sheet.column_dimensions[cell.column_letter].width >= display_width(cell.value), cell.value
    for title, headers in MONEY_HEADERS.items():
        sheet = book[title]
        columns = {cell.value: cell.column for cell in sheet[1]}
        for header in headers:
            cells = [row[columns[header] - 1] for row in sheet.iter_rows(min_row=2) if row[columns[header] - 1].value
                     is not None]
            assert cells or title == "社会组织", (title, header)
            for cell in cells:
                assert cell.number_format == MONEY_FORMAT, (title, header)
                assert isinstance(cell.value, int | float | Decimal), (title, header)
    dates = [row[7] for row in book["社会组织"].iter_rows(min_row=2) if row[7].value is not None]
    assert dates and all(cell.number_format == "yyyy-mm-dd" and cell.is_date for cell in dates)
    overview = {row[1].value: row[2] for row in book["概览"].iter_rows(min_row=2)}
    assert overview["合同金额合计"].number_format == MONEY_FORMAT
    assert overview["本年签订合同"].number_format != MONEY_FORMAT


def expected_overview(region) -> dict:
    """The 概览 numbers recomputed from the rows, written independently of dashboards.report_sheets."""
    tz = timezone.get_default_timezone()
    start, end = datetime.datetime(YEAR, 1, 1, tzinfo=tz), datetime.datetime(YEAR + 1, 1, 1, tzinfo=tz)
    path = region.path
    orgs = Organization.objects.filter(region__path__startswith=path).filter(
        Q(established_on__isnull=True) | Q(established_on__lte=datetime.date(YEAR, 12, 31)))
    decided = Application.objects.filter(region__path__startswith=path, decided_at__gte=start, decided_at__lt=end,
                                         status__in=["approved", "denied", "rejected"])
    annual = AnnualReport.objects.filter(organization__region__path__startswith=path, year=YEAR).exclude(status="draft")
    awards = Award.objects.filter(application__call__region__path__startswith=path, awarded_at__gte=start,
                                  awarded_at__lt=end)
    contracts = Contract.objects.filter(region__path__startswith=path, signed_on__year=YEAR).exclude(status="draft")
    records = ServiceRecord.objects.filter(region__path__startswith=path, status="approved", served_on__year=YEAR)
    issued = Transfer.objects.filter(credit__volunteer__region__path__startswith=path, debit__kind=Account.Kind.ISSUER,
                                     created_at__gte=start, created_at__lt=end)
    redeemed = Transfer.objects.filter(debit__volunteer__region__path__startswith=path, source="redemption",
                                       created_at__gte=start, created_at__lt=end)
    campaign = (Campaign.objects.filter(results__organization__region__path__startswith=path, year__lte=YEAR,
                                        status__in=["computed", "published", "finalized"])
                .order_by("-year", "-closes_at", "-pk").first())
    results = Result.objects.filter(campaign=campaign, organization__region__path__startswith=path)
    value = contracts.aggregate(s=Sum("value"))["s"] or 0
    matching = MatchingFund.objects.filter(contract__in=contracts).aggregate(s=Sum("amount"))["s"] or 0

    def total(qs, field):
        return qs.aggregate(s=Sum(field))["s"] or 0

    return {
        "社会组织（存续）": orgs.filter(status__in=["registered", "filed"]).count(),
        "其中：已登记": orgs.filter(status="registered").count(),
        "其中：已备案": orgs.filter(status="filed").count(),
        "本年成立": orgs.filter(established_on__year=YEAR).count(),
        "本年办结申请": decided.count(),
        "其中：准予": decided.filter(status="approved").count(),
        "其中：不予或不予受理": decided.exclude(status="approved").count(),
        "已报送年度报告": annual.count(),
        "其中：合格或基本合格": annual.filter(status__in=["passed", "basic"]).count(),
        "年度收入合计": total(annual, "income"),
        "其中：政府购买服务收入": total(annual, "government_income"),
        "本年申报项目": GrantApplication.objects.filter(call__region__path__startswith=path, submitted_at__gte=start,
                                                  submitted_at__lt=end).exclude(status="draft").count(),
        "本年决定资助项目": awards.count(),
        "本年资助金额": total(awards, "amount"),
        "本年拨付净额（拨付减追回）": total(Disbursement.objects.filter(
            award__application__call__region__path__startswith=path, paid_on__year=YEAR), "amount"),
        "本年签订合同": contracts.count(),
        "合同金额合计": value,
        "已支付合计": total(contracts, "paid_total"),
        "撬动社会资金": matching,
        "社会资金与合同金额之比": (Decimal(matching) / value).quantize(Decimal("0.01")),
        "服务人数": total(Deliverable.objects.filter(contract__in=contracts, kind="people"), "delivered"),
        "志愿服务记录": records.count(),
        "参与志愿者": records.values("volunteer").distinct().count(),
        "志愿服务时长": (Decimal(total(records, "minutes")) / 60).quantize(Decimal("0.01")),
        "发放积分": total(issued, "amount"),
        "兑换积分": total(redeemed, "amount"),
        "评价活动": campaign.title,
        "参评组织": results.count(),
        "评为优秀": results.filter(valid=True, grade="excellent").count(),
        "评为良好": results.filter(valid=True, grade="good").count(),
    }


@pytest.mark.parametrize("who", ["district", "city"])
def test_the_overview_equals_an_independent_recomputation_from_the_rows(
        who, world, city, nanming, city_officer, officer_nanming, django_capture_on_commit_callbacks):
    region, officer = (nanming, officer_nanming) if who == "district" else (city, city_officer)
    book = workbook(make_report(region, officer, django_capture_on_commit_callbacks))
    overview = {row["指标"]: row["数值"] for row in rows_of(book["概览"])}
    expected = expected_overview(region)

    for label, value in expected.items():
        got = overview[label]
        if isinstance(value, Decimal | float) or isinstance(got, float):
            assert Decimal(str(got)).quantize(Decimal("0.01")) == Decimal(value).quantize(Decimal("0.01")), label
        else:
            assert got == value, label
    # The numbers are not trivially zero: the world has rows of each kind in the year.
    assert expected["本年签订合同"] > 0 and expected["本年资助金额"] > 0 and expected["志愿服务记录"] > 0


def test_the_pdf_holds_the_title_and_the_chinese_headings_and_renders(
        world, nanming, officer_nanming, tmp_path, django_capture_on_commit_callbacks):
    report = make_report(nanming, officer_nanming, django_capture_on_commit_callbacks)
    with report.pdf_file.open("rb") as handle:
        content = handle.read()
    text = pdf_text(content)

    assert f"南明区 {YEAR} 年度统计报表" in text
    assert "生成时间" in text
    for heading in ("一、概览", "二、社会组织", "三、登记与备案", "四、年度报告", "五、孵化与资助", "六、政府购买服务",
                    "七、爱心银行", "八、五比五看"):
        assert heading in text, heading
    assert "第1页/共" in text.replace(" ", "")
    assert "云岩区" not in text
    if shutil.which("pdftoppm"):  # page 1 as a picture, kept as a test artifact for a person to look at
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", "-",  # noqa: S603, S607
                        str(tmp_path / "page")], input=content, check=True)  # nosec B603 B607
        page = (tmp_path / "page.png").read_bytes()
        assert page.startswith(b"\x89PNG")
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "yearly-report-pdf-page1.png").write_bytes(page)
        (ARTIFACTS / "yearly-report.pdf").write_bytes(content)


# --- the task -------------------------------------------------------------------------------------------------
def test_the_task_reaches_100_percent_and_keeps_both_files_with_their_digests(
        world, nanming, officer_nanming, django_capture_on_commit_callbacks, monkeypatch):
    seen = []
    original = reports._reporter

    def spy(report_id, attempt):
        inner = original(report_id, attempt)

        def report(percent, message):
            inner(percent, message)
            seen.append(YearlyReport.objects.values_list("progress", "progress_message").get(pk=report_id))

        return report

    monkeypatch.setattr(reports, "_reporter", spy)
    report = make_report(nanming, officer_nanming, django_capture_on_commit_callbacks)

    assert report.status == YearlyReport.Status.DONE and report.progress == 100
    assert report.finished_at is not None and report.error == ""
    progress = [p for p, _m in seen]
    assert progress == sorted(progress) and 0 < progress[0] < 20 and progress[-1] < 100
    assert any("爱心银行" in m for _p, m in seen) and any("PDF" in m for _p, m in seen)
    for kind in ("xlsx", "pdf"):
        with getattr(report, f"{kind}_file").open("rb") as handle:
            data = handle.read()
        assert hashlib.sha256(data).hexdigest() == getattr(report, f"{kind}_sha256")
        assert len(data) == getattr(report, f"{kind}_size")
    assert AuditEntry.objects.filter(action="dashboards.yearly_report.request", object_id=str(report.pk)).exists()
    assert AuditEntry.objects.filter(action="dashboards.yearly_report.done", object_id=str(report.pk)).exists()


def test_a_failure_midway_leaves_the_report_failed_with_the_error_and_no_files(
        world, nanming, officer_nanming, django_capture_on_commit_callbacks, monkeypatch):
    def broken(scope, year, districts):
        raise RuntimeError("合同数据读取失败")

    builders = [(name, broken if name == "政府购买服务" else builder) for name, builder in report_sheets.BUILDERS]
    monkeypatch.setattr(report_sheets, "BUILDERS", builders)
    report = make_report(nanming, officer_nanming, django_capture_on_commit_callbacks)

    assert report.status == YearlyReport.Status.FAILED
    assert "合同数据读取失败" in report.error
    assert 0 < report.progress < 100
    assert not report.xlsx_file and not report.pdf_file and report.xlsx_sha256 == ""
    assert AuditEntry.objects.filter(action="dashboards.yearly_report.failed", object_id=str(report.pk)).exists()

    # Retrying after the cause is gone builds it.
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        reports.retry_report(report, acting_user=officer_nanming)
    report.refresh_from_db()
    assert report.status == YearlyReport.Status.DONE and report.error == "" and report.attempt == 2


def test_a_rerun_of_a_done_report_does_nothing(world, nanming, officer_nanming, django_capture_on_commit_callbacks,
                                               monkeypatch):
    report = make_report(nanming, officer_nanming, django_capture_on_commit_callbacks)
    before = (report.attempt, report.xlsx_file.name, report.pdf_sha256, report.finished_at)
    monkeypatch.setattr(reports, "build_files", lambda *a, **k: pytest.fail("a done report was built again"))

    report = run(report)

    assert (report.attempt, report.xlsx_file.name, report.pdf_sha256, report.finished_at) == before


def test_a_crashed_running_report_restarts_from_scratch_and_replaces_its_files(
        world, nanming, officer_nanming, django_capture_on_commit_callbacks):
    report = make_report(nanming, officer_nanming, django_capture_on_commit_callbacks)
    old_name = report.xlsx_file.name
    storage = report.xlsx_file.storage
    # The worker died half-way through a second run: the row says running at 40 %.
    YearlyReport.objects.filter(pk=report.pk).update(status=YearlyReport.Status.RUNNING, progress=40)

    with django_capture_on_commit_callbacks(execute=True):
        report = run(report)

    assert report.status == YearlyReport.Status.DONE and report.progress == 100 and report.attempt == 2
    assert report.xlsx_file.name != old_name and storage.exists(report.xlsx_file.name)
    assert not storage.exists(old_name)


def test_an_overtaken_run_keeps_nothing(world, nanming, officer_nanming):
    report = YearlyReport.objects.create(region=nanming, year=YEAR, requested_by=officer_nanming)
    claimed = reports._claim(report.pk)
    YearlyReport.objects.filter(pk=report.pk).update(attempt=claimed.attempt + 1)  # a newer run took it over

    status = reports._finish(report.pk, claimed.attempt, b"xlsx", b"%PDF-")

    report.refresh_from_db()
    assert status == YearlyReport.Status.RUNNING and not report.xlsx_file and not report.pdf_file


# --- the service's rules --------------------------------------------------------------------------------------
def test_an_officer_cannot_request_another_districts_report(nanming, yunyan, officer_nanming, outsider):
    with pytest.raises(PermissionDenied):
        reports.request_report(yunyan, YEAR, acting_user=officer_nanming)
    with pytest.raises(PermissionDenied):
        reports.request_report(nanming, YEAR, acting_user=outsider)
    assert not YearlyReport.objects.exists()


def test_the_same_report_is_not_queued_twice_while_it_is_being_built(nanming, officer_nanming):
    reports.request_report(nanming, YEAR, acting_user=officer_nanming)  # on_commit never runs: it stays queued
    with pytest.raises(reports.ReportRefused, match="正在生成"):
        reports.request_report(nanming, YEAR, acting_user=officer_nanming)
    with pytest.raises(reports.ReportRefused, match="统计年度"):
        reports.request_report(nanming, 1990, acting_user=officer_nanming)
    assert YearlyReport.objects.count() == 1


def test_the_region_choices_are_the_jurisdictions_and_their_districts(city, nanming, yunyan, city_officer,
                                                                      officer_nanming, outsider):
    assert [r.code for r in reports.regions_for(officer_nanming)] == ["520102"]
    city_choices = [r.code for r in reports.regions_for(city_officer)]
    assert city_choices[0] == "520100" and {"520102", "520103"} <= set(city_choices)
    assert all(len(code) == 6 for code in city_choices)
    assert reports.regions_for(outsider) == []


def test_a_stuck_report_may_be_retried_but_not_while_another_copy_is_being_built(nanming, officer_nanming):
    old = timezone.now() - reports.STALE_AFTER - datetime.timedelta(minutes=1)
    stuck = YearlyReport.objects.create(region=nanming, year=YEAR, requested_by=officer_nanming, requested_at=old,
                                        started_at=old, status=YearlyReport.Status.RUNNING, progress=40)
    fresh = YearlyReport.objects.create(region=nanming, year=YEAR - 1, requested_by=officer_nanming,
                                        started_at=timezone.now(), status=YearlyReport.Status.RUNNING, progress=40)
    assert reports.can_retry(stuck) and not reports.can_retry(fresh)
    with pytest.raises(reports.ReportRefused, match="长时间无进展"):
        reports.retry_report(fresh, acting_user=officer_nanming)

    reports.retry_report(stuck, acting_user=officer_nanming)  # on_commit never runs here: it stays queued
    stuck.refresh_from_db()
    assert stuck.status == YearlyReport.Status.QUEUED and stuck.progress == 0

    failed = YearlyReport.objects.create(region=nanming, year=YEAR, requested_by=officer_nanming,
                                         status=YearlyReport.Status.FAILED, error="RuntimeError")
    with pytest.raises(reports.ReportRefused, match="正在生成"):
        reports.retry_report(failed, acting_user=officer_nanming)
    failed.refresh_from_db()
    assert failed.status == YearlyReport.Status.FAILED
