"""The grants spreadsheets: XLSX that openpyxl opens with Chinese headers, money as numbers in a 元 format, dates as
dates and a frozen header row; CSV with a UTF-8 BOM; and every file scoped to the officer's jurisdiction."""

import datetime
from decimal import Decimal
from functools import partial

import pytest
from django.urls import reverse
from django.utils import timezone

from grants import exports, services
from tests.factories import OrganizationFactory

from .helpers import export, funded, make_call, submitted, workbook_rows

pytestmark = pytest.mark.django_db
MONEY = '#,##0.00"元"'


download = partial(export, "grant_calls:export")


@pytest.fixture
def paid_award(city_officer):
    call = make_call(created_by=city_officer, budget="100000", title="2026 年公益创投")
    award = funded(call, city_officer, amount=Decimal("20000"))
    today = timezone.localdate()
    services.pay_tranche(award.tranches.get(sequence=1), acting_user=city_officer, paid_on=today, reference="BK001")
    services.claw_back(award, acting_user=city_officer, amount="500.50", reason="票据不合规", paid_on=today)
    award.refresh_from_db()
    return award


def test_the_payments_sheet_has_one_row_per_payment_and_clawback_as_typed_cells(client, city_officer, paid_award):
    client.force_login(city_officer)
    response = download(client, "payments", call=paid_award.application.call_id)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet, header, rows = workbook_rows(response)
    assert sheet.title == "拨付记录" and sheet.freeze_panes == "A2"
    assert header[:8] == ("申报编号", "资助计划", "项目名称", "申报组织", "类型", "期次", "拨付条件", "金额（元）")
    amounts = [row[header.index("金额（元）")] for row in rows]
    assert amounts == [10000, -500.5]
    assert [row[header.index("类型")] for row in rows] == ["拨付", "追回"]
    amount_cell = sheet.cell(row=2, column=header.index("金额（元）") + 1)
    assert amount_cell.number_format == MONEY and amount_cell.data_type == "n"
    day = rows[0][header.index("日期")]
    assert isinstance(day, datetime.datetime) and day.date() == timezone.localdate()
    assert sheet.cell(row=2, column=header.index("日期") + 1).number_format == "yyyy-mm-dd"


def test_the_calls_applications_and_awards_sheets_carry_their_chinese_headers_and_figures(client, city_officer, paid_award):
    client.force_login(city_officer)
    sheet, header, rows = workbook_rows(download(client, "calls"))
    assert sheet.title == "资助计划" and header[:5] == ("资助计划", "资助类型", "年度", "发布辖区", "状态")
    [call_row] = rows
    assert call_row[header.index("已资助（元）")] == 20000 and call_row[header.index("剩余预算（元）")] == 80000
    assert call_row[header.index("申报数")] == 1
    assert isinstance(call_row[header.index("申报截止时间")], datetime.datetime)

    sheet, header, rows = workbook_rows(download(client, "applications"))
    assert sheet.title == "资助申报" and header[0] == "申报编号" and "评审得分" in header
    [row] = rows
    assert row[0] == paid_award.application.number
    assert row[header.index("申请金额（元）")] == 20000 and row[header.index("已拨付（元）")] == 9499.5
    assert sheet.cell(row=2, column=header.index("申请金额（元）") + 1).number_format == MONEY

    sheet, header, rows = workbook_rows(download(client, "awards"))
    assert sheet.title == "资助" and header[:3] == ("申报编号", "资助计划", "项目名称")
    [row] = rows
    assert row[header.index("未拨付（元）")] == 10500.5
    assert row[header.index("协议编号")] == f"XY-{paid_award.application.number}"


def test_a_district_officers_export_holds_only_their_jurisdictions_rows(
        client, officer_nanming, officer_yunyan, city_officer, nanming, yunyan):
    mine = submitted(make_call(region=nanming, created_by=officer_nanming, title="南明区公益创投"))
    theirs = submitted(make_call(region=yunyan, created_by=officer_yunyan, title="云岩区公益创投"),
                       organization=OrganizationFactory(region=yunyan))
    client.force_login(officer_nanming)
    _sheet, _header, rows = workbook_rows(download(client, "applications"))
    assert [row[0] for row in rows] == [mine.number]
    _sheet, _header, rows = workbook_rows(download(client, "calls"))
    assert [row[0] for row in rows] == ["南明区公益创投"]
    client.force_login(city_officer)
    _sheet, _header, rows = workbook_rows(download(client, "applications"))
    assert sorted(row[0] for row in rows) == sorted([mine.number, theirs.number])


def test_the_csv_export_starts_with_a_utf8_bom_and_keeps_money_exact(client, city_officer, paid_award):
    client.force_login(city_officer)
    response = download(client, "payments", "csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("申报编号,资助计划,项目名称,申报组织,类型")
    assert ",-500.50," in text and ",10000.00," in text
    assert "filename*=UTF-8''" in response["Content-Disposition"]


def test_an_unknown_export_is_not_found(client, city_officer):
    client.force_login(city_officer)
    assert client.get(reverse("grant_calls:export") + "?what=passwords").status_code == 404
    assert client.get(reverse("grant_calls:export") + "?what=calls&call=abc").status_code == 404


def test_the_sheets_are_built_from_the_officers_scope_whatever_call_is_asked_for(officer_yunyan, nanming, officer_nanming):
    call = make_call(region=nanming, created_by=officer_nanming)
    submitted(call)
    assert exports.sheet_for("applications", officer_yunyan, call=call).frame.empty
    assert len(exports.sheet_for("applications", officer_nanming, call=call).frame) == 1
