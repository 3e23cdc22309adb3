"""The 政府购买服务 spreadsheets: projects (filters applied), the bids of one project read only through
unsealed_bids (no bid rows before the deadline, even for a superuser), contracts with paid, social money,
people reached and grade, and payments — Chinese headers, money as numbers, formulas neutralized, and every file
scoped to the officer's jurisdiction."""

from decimal import Decimal
from functools import partial

import pytest
from django.urls import reverse
from django.utils import timezone

from grants import procurement
from grants.models import ProcurementProject

from .helpers import export, workbook_rows
from .procurement_helpers import (
    bid,
    close_window,
    first_milestone,
    make_project,
    officer_for,
    purchaser,
    signed,
)

pytestmark = pytest.mark.django_db
MONEY = '#,##0.00"元"'


download = partial(export, "procurement_projects:export")


def cells(rows):
    return [str(value) for row in rows for value in row if value is not None]


@pytest.mark.parametrize("who", ["officer", "superuser"])
def test_before_the_deadline_the_bid_export_has_no_bid_rows_and_no_price(client, admin_user, who):
    buyer = purchaser()
    officer = officer_for(buyer.region)
    project = make_project(officer=officer, buyer=buyer)
    sealed = bid(project, price="234567")
    client.force_login(officer if who == "officer" else admin_user)
    sheet, header, rows = workbook_rows(download(client, "bids", project=project.pk))
    assert sheet.title == "投标" and header[:4] == ("排名", "投标组织", "统一社会信用代码（备案编号）", "投标报价（元）")
    assert rows == []
    text = download(client, "bids", "csv", project=project.pk).content.decode("utf-8-sig")
    for form in ("234567", "234,567", "¥234,567.00", "234567.00", sealed.organization.name):
        assert form not in text
    _sheet, _header, project_rows = workbook_rows(download(client, "projects"))
    assert not any(form in value for value in cells(project_rows) for form in ("234567", "234,567"))


def test_after_the_deadline_the_bid_export_lists_each_bid_with_its_price_as_a_number(client):
    buyer = purchaser()
    officer = officer_for(buyer.region)
    project = make_project(officer=officer, buyer=buyer)
    bid(project, price="234567")
    bid(project, price="250000")
    close_window(project)
    procurement.open_bids(project, acting_user=officer)
    client.force_login(officer)
    sheet, header, rows = workbook_rows(download(client, "bids", project=project.pk))
    prices = sorted(row[header.index("投标报价（元）")] for row in rows)
    assert prices == [234567, 250000]
    assert sheet.cell(row=2, column=header.index("投标报价（元）") + 1).number_format == MONEY
    assert {row[header.index("有效投标")] for row in rows} == {"是"}


def test_the_project_export_applies_the_filters_and_neutralizes_formulas(client):
    buyer = purchaser()
    officer = officer_for(buyer.region)
    announced = make_project(officer=officer, buyer=buyer, title="=HYPERLINK(\"http://evil\")")
    make_project(officer=officer, buyer=buyer, title="计划中的项目", announce=False)
    client.force_login(officer)
    _sheet, header, rows = workbook_rows(download(client, "projects"))
    assert len(rows) == 2 and header[:3] == ("项目编号", "项目名称", "购买主体")
    _sheet, header, rows = workbook_rows(download(client, "projects", status="announced"))
    assert [row[0] for row in rows] == [announced.number]
    assert rows[0][header.index("项目名称")] == "'=HYPERLINK(\"http://evil\")"
    assert rows[0][header.index("预算金额（元）")] == 300000


def test_an_officer_exports_only_projects_and_contracts_of_their_jurisdiction(client, officer_nanming, nanming):
    contract, _officer = signed()
    own = make_project(officer=officer_nanming, buyer=purchaser(nanming, name="南明区民政局"), announce=False)
    client.force_login(officer_nanming)
    _sheet, _header, rows = workbook_rows(download(client, "projects"))
    assert [row[0] for row in rows] == [own.number]
    _sheet, _header, rows = workbook_rows(download(client, "contracts"))
    assert rows == []
    _sheet, _header, rows = workbook_rows(download(client, "payments"))
    assert rows == []
    url = reverse("procurement_projects:export")
    assert client.get(url + f"?what=bids&project={contract.project_id}").status_code == 404
    assert client.get(url + f"?what=contracts&project={contract.project_id}").status_code == 404
    assert client.get(url + "?what=bids").status_code == 404
    assert client.get(url + "?what=nothing").status_code == 404


def test_the_contract_and_payment_exports_carry_paid_matching_people_and_grade(client):
    contract, officer = signed()
    milestone = first_milestone(contract)
    procurement.confirm_milestone(milestone, acting_user=officer)
    procurement.pay_milestone(milestone, acting_user=officer, paid_on=timezone.localdate(), voucher="GK001")
    procurement.record_matching_fund(contract, acting_user=officer, source="donation", funder="爱心企业",
                                     amount="30000", received_on=timezone.localdate())
    client.force_login(officer)
    sheet, header, rows = workbook_rows(download(client, "contracts"))
    assert sheet.title == "购买服务合同" and len(rows) == 1
    row = rows[0]
    assert row[header.index("合同编号")] == contract.number
    assert row[header.index("已支付（元）")] == float(milestone.amount)
    assert row[header.index("撬动社会资金（元）")] == 30000
    assert row[header.index("服务对象人数")] == 0
    assert row[header.index("绩效评价等级")] in ("", None)
    sheet, header, rows = workbook_rows(download(client, "payments"))
    assert sheet.title == "合同支付"
    assert [(r[header.index("期次")], r[header.index("凭证号")]) for r in rows] == [(1, "GK001")]
    assert rows[0][header.index("支付金额（元）")] == float(milestone.amount)
    assert Decimal(str(rows[0][header.index("支付金额（元）")])) == milestone.amount
    assert ProcurementProject.objects.get(pk=contract.project_id).status == ProcurementProject.Status.CONTRACTED
