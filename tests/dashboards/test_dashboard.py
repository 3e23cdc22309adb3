"""The officers' dashboard: every figure and chart recomputed in plain Python from the rows, for the city and for a
district; drill-down lists holding exactly the counted rows; scoping; who sees it; fixed query counts."""

import datetime
import io
import re
from collections import Counter
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import openpyxl
import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from core.models import Role
from core.money import format_wan
from core.services import grant_role
from dashboards.charts import render_png, render_svg
from dashboards.figures import charts_for, figures_for
from dashboards.panels import dashboard_panels
from dashboards.scope import Scope
from evaluations.models import Result
from grants.models import Award, Contract, Deliverable, Disbursement, MatchingFund
from orgs.models import Application, Organization
from tests.factories import community
from volunteers.models import Account, ServiceRecord, Transfer

from .factories import build

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


@pytest.fixture
def world(nanming, yunyan):
    huaguoyuan = community(nanming, "520102010000", "花果园街道")
    build(nanming, YEAR)
    build(huaguoyuan, YEAR)
    build(yunyan, YEAR)
    return {"nanming": nanming, "yunyan": yunyan, "huaguoyuan": huaguoyuan}


def _in(region, paths):
    return region is not None and any(region.path.startswith(p) for p in paths)


def expected(paths, year):
    """Every dashboard number, from the rows, in plain Python (no aggregation in the database)."""
    orgs = [o for o in Organization.objects.select_related("region") if _in(o.region, paths)
            and o.status in ("registered", "filed")]
    apps = [a for a in Application.objects.select_related("region") if _in(a.region, paths)
            and a.status == "approved" and a.kind in ("establish", "filing")
            and timezone.localtime(a.decided_at).year == year]
    awards = [a for a in Award.objects.select_related("application__call__region")
              if _in(a.application.call.region, paths)]
    payments = [d for d in Disbursement.objects.select_related("award__application__call__region")
                if _in(d.award.application.call.region, paths)]
    contracts = [c for c in Contract.objects.select_related("region", "project__category") if _in(c.region, paths)
                 and c.status != "draft" and c.signed_on and c.signed_on.year == year]
    contract_ids = {c.pk for c in contracts}
    records = [r for r in ServiceRecord.objects.select_related("region") if _in(r.region, paths)
               and r.status == "approved" and r.served_on.year == year]
    transfers = list(Transfer.objects.select_related("debit__volunteer__region", "credit__volunteer__region"))
    issued = [t for t in transfers if t.debit.kind == Account.Kind.ISSUER and t.credit.kind == Account.Kind.VOLUNTEER
              and _in(t.credit.volunteer.region, paths) and timezone.localtime(t.created_at).year == year]
    redeemed = [t for t in transfers if t.source == "redemption" and _in(t.debit.volunteer.region, paths)
                and timezone.localtime(t.created_at).year == year]
    by_category = {}
    for c in contracts:
        entry = by_category.setdefault(c.project.category.name, {"value": Decimal(0), "social": Decimal(0), "people": 0})
        entry["value"] += c.value
    for fund in MatchingFund.objects.select_related("contract__project__category"):
        if fund.contract_id in contract_ids:
            by_category[fund.contract.project.category.name]["social"] += fund.amount
    for d in Deliverable.objects.select_related("contract__project__category"):
        if d.contract_id in contract_ids and d.kind == "people":
            by_category[d.contract.project.category.name]["people"] += d.delivered
    results = [r for r in Result.objects.select_related("organization__region", "campaign")
               if _in(r.organization.region, paths) and r.campaign.status in ("computed", "published", "finalized")]
    latest = max((r.campaign for r in results), key=lambda c: (c.year, c.closes_at, c.pk), default=None)
    return {
        "orgs": orgs, "apps": apps, "contracts": contracts, "records": records,
        "org_kind": Counter(o.get_kind_display() for o in orgs),
        "registered": sum(o.status == "registered" for o in orgs), "filed": sum(o.status == "filed" for o in orgs),
        "org_year": Counter((o.established_on.year, o.status) for o in orgs if o.established_on),
        "registrations": Counter((timezone.localtime(a.decided_at).month, a.kind) for a in apps),
        "awarded": {y: sum((a.amount for a in awards if timezone.localtime(a.awarded_at).year == y), Decimal(0))
                    for y in range(year - 4, year + 1)},
        "paid": {y: sum((d.amount for d in payments if d.paid_on.year == y), Decimal(0)) for y in range(year - 4, year + 1)},
        "by_category": by_category,
        "hours": {m: round(sum(r.minutes for r in records if r.served_on.month == m) / 60, 1) for m in range(1, 13)},
        "minutes": sum(r.minutes for r in records),
        "issued": {m: sum(t.amount for t in issued if timezone.localtime(t.created_at).month == m) for m in range(1, 13)},
        "redeemed": {m: sum(t.amount for t in redeemed if timezone.localtime(t.created_at).month == m)
                     for m in range(1, 13)},
        "grades": Counter(r.get_grade_display() for r in results if latest and r.campaign_id == latest.pk
                          and r.valid and r.grade),
    }


def _series(chart, name=None):
    return dict(zip(chart.labels, chart.series[0][1] if name is None else dict(chart.series)[name], strict=True))


@pytest.mark.parametrize("persona", ["city_officer", "officer_nanming"])
def test_every_figure_and_chart_equals_the_rows_recounted_in_python(request, world, persona):
    officer = request.getfixturevalue(persona)
    scope = Scope.for_user(officer)
    want = expected(scope.paths, YEAR)
    assert want["orgs"] and want["contracts"] and want["records"]  # the world is not empty

    figures = {f.key: f.value for f in figures_for(scope, year=YEAR)}
    social = sum((v["social"] for v in want["by_category"].values()), Decimal(0))
    public = sum((v["value"] for v in want["by_category"].values()), Decimal(0))
    assert figures["orgs"] == f"{want['registered'] + want['filed']:,}"
    assert figures["orgs_registered"] == f"{want['registered']:,}"
    assert figures["orgs_filed"] == f"{want['filed']:,}"
    assert figures["registrations"] == f"{len(want['apps']):,}"
    assert figures["grant_awarded"] == format_wan(want["awarded"][YEAR])
    assert figures["grant_paid"] == format_wan(want["paid"][YEAR])
    assert figures["contract_value"] == format_wan(public)
    assert figures["social_money"] == format_wan(social)
    assert figures["social_ratio"] == f"1 : {(social / public).quantize(Decimal('0.01'))}"
    assert figures["people_reached"] == f"{sum(v['people'] for v in want['by_category'].values()):,}"
    assert figures["volunteer_hours"] == f"{round(want['minutes'] / 60, 1):,}"
    assert figures["points_issued"] == f"{sum(want['issued'].values()):,}"
    assert figures["points_redeemed"] == f"{sum(want['redeemed'].values()):,}"

    charts = {c.key: c for c in charts_for(scope, year=YEAR)}
    assert {k: v for k, v in _series(charts["org_kind"]).items() if v} == dict(want["org_kind"])
    assert sum(_series(charts["org_region"]).values()) == len(want["orgs"])
    years = [int(label) for label in charts["org_year"].labels]
    assert dict(zip(years, dict(charts["org_year"].series)["登记"], strict=True)) == {
        y: want["org_year"][(y, "registered")] for y in years}
    assert dict(zip(years, dict(charts["org_year"].series)["备案"], strict=True)) == {
        y: want["org_year"][(y, "filed")] for y in years}
    assert dict(charts["registrations"].series)["成立登记"] == [want["registrations"][(m, "establish")] for m in range(1, 13)]
    assert dict(charts["registrations"].series)["备案"] == [want["registrations"][(m, "filing")] for m in range(1, 13)]
    assert dict(zip(years, dict(charts["grants"].series)["资助金额"], strict=True)) == want["awarded"]
    assert dict(zip(years, dict(charts["grants"].series)["已拨付"], strict=True)) == want["paid"]
    assert _series(charts["contracts"]) == {k: v["value"] for k, v in want["by_category"].items()}
    assert _series(charts["social"], "撬动社会资金") == {k: v["social"] for k, v in want["by_category"].items()}
    assert _series(charts["people"]) == {k: v["people"] for k, v in want["by_category"].items()}
    assert charts["hours"].series[0][1] == [want["hours"][m] for m in range(1, 13)]
    assert dict(charts["points"].series)["发放"] == [want["issued"][m] for m in range(1, 13)]
    assert dict(charts["points"].series)["兑换"] == [want["redeemed"][m] for m in range(1, 13)]
    assert {k: v for k, v in _series(charts["grades"]).items() if v} == dict(want["grades"])


def test_the_city_sees_every_district_and_a_district_officer_sees_only_their_own(world, city_officer, officer_nanming,
                                                                                  officer_yunyan):
    city = {f.key: f.value for f in figures_for(Scope.for_user(city_officer), year=YEAR)}
    nanming = {f.key: f.value for f in figures_for(Scope.for_user(officer_nanming), year=YEAR)}
    yunyan = {f.key: f.value for f in figures_for(Scope.for_user(officer_yunyan), year=YEAR)}
    # Each world has 3 living organizations: 南明区 holds two worlds (the district and its community), 云岩区 one.
    assert (city["orgs"], nanming["orgs"], yunyan["orgs"]) == ("9", "6", "3")
    region_chart = next(c for c in charts_for(Scope.for_user(officer_nanming), year=YEAR) if c.key == "org_region")
    assert "云岩区" not in "".join(region_chart.labels)
    assert set(region_chart.labels) == {"南明区（本级）", "花果园街道"}


def _links(chart):
    links = list(chart.links)
    for per_series in chart.series_links:
        links.extend(per_series)
    return [link for link in links if link]


def test_every_drill_down_link_lists_exactly_the_rows_the_chart_counted(client, world, officer_nanming):
    client.force_login(officer_nanming)
    scope = Scope.for_user(officer_nanming)
    charts = charts_for(scope, year=YEAR)
    count_charts = {"org_kind", "org_region", "org_year", "registrations", "grades"}
    checked = 0
    for chart in charts:
        for s, (_name, values) in enumerate(chart.series):
            for i, value in enumerate(values):
                link = chart.series_links[s][i] if chart.series_links else chart.links[i]
                response = client.get(link)
                assert response.status_code == 200, link
                html = response.content.decode()
                shown = int(re.search(r"共 (\d+) 条", html).group(1))
                rows = html.count('class="dashboard-rows__row"')
                assert rows == min(shown, 50)
                if chart.key in count_charts:
                    assert shown == value, (chart.key, chart.labels[i])
                elif value:
                    assert shown > 0
                checked += 1
    assert checked > 50


def test_drill_down_money_totals_equal_the_bars(client, world, city_officer):
    client.force_login(city_officer)
    charts = {c.key: c for c in charts_for(Scope.for_user(city_officer), year=YEAR)}
    grants = charts["grants"]
    for s, series_name in enumerate(["资助金额", "已拨付"]):
        for i, value in enumerate(dict(grants.series)[series_name]):
            html = client.get(grants.series_links[s][i]).content.decode()
            assert f"¥{value:,.2f}" in html
    hours = charts["hours"]
    for i, value in enumerate(hours.series[0][1]):
        html = client.get(hours.links[i]).content.decode()
        assert re.search(r'dashboard-rows__total">([\d.,]+)<', html).group(1) == f"{value:,}"


def test_a_district_officer_following_a_link_sees_only_their_district(client, world, officer_nanming, city_officer):
    city_kind = next(c for c in charts_for(Scope.for_user(city_officer), year=YEAR) if c.key == "org_kind")
    link = city_kind.links[list(city_kind.labels).index("社区社会组织")]
    client.force_login(officer_nanming)
    html = client.get(link).content.decode()
    assert "共 2 条" in html  # the city counts 3; 南明区 holds 2 of them
    yunyan_names = [o.name for o in Organization.objects.filter(region=world["yunyan"])]
    assert not any(name in html for name in yunyan_names)
    # A bucket naming another district answers 404, like any other id outside the jurisdiction.
    response = client.get(reverse("dashboard_rows:rows", args=["org_region"]) + f"?bucket={world['yunyan'].path}")
    assert response.status_code == 404
    assert client.get(reverse("dashboard_rows:rows", args=["nonsense"])).status_code == 404
    assert client.get(reverse("dashboard_rows:rows", args=["hours"]) + "?bucket=13").status_code == 404
    assert client.get(reverse("dashboard_rows:rows", args=["grades"]) + "?bucket=good&series=x").status_code == 404


def test_the_admin_home_shows_the_officers_dashboard_with_queue_figures_and_charts(client, world, officer_nanming):
    client.force_login(officer_nanming)
    response = client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "南明区 · 工作台" in html
    assert html.count('class="dashboard-chart"') == 11
    assert html.count("<svg") >= 11 and "viewBox" in html
    assert "dashboard__queue-row--overdue" in html and "dashboard__queue-row--near" in html
    # Queue: soonest deadline first; overdue, then due in 1 and 2 days, before items without a deadline.
    dues = re.findall(r"<td>\s*(\d{4}-\d{2}-\d{2})", html)
    assert dues == sorted(dues)
    today = timezone.localdate()
    assert dues[0] == (today - datetime.timedelta(days=2)).isoformat()
    # Open applications: 3 per world, two worlds in 南明区.
    assert "登记备案申请：6" in html
    yunyan_names = [o.name for o in Organization.objects.filter(region=world["yunyan"])]
    assert not any(name in html for name in yunyan_names)


@pytest.mark.parametrize("year", ["1999", "abc", "", "2026x", "99999999999999999999"])
def test_a_bad_year_falls_back_to_the_current_year(client, officer_nanming, year):
    client.force_login(officer_nanming)
    response = client.get("/admin/", {"year": year})
    assert response.status_code == 200
    assert f'<option value="{YEAR}" selected>' in response.content.decode()


def test_another_year_can_be_chosen(client, world, officer_nanming):
    client.force_login(officer_nanming)
    html = client.get("/admin/", {"year": YEAR - 1}).content.decode()
    assert f'<option value="{YEAR - 1}" selected>' in html
    assert f"{YEAR - 1} 年每月志愿服务时长" in html


@pytest.mark.parametrize("persona", ["applicant", "volunteer", "merchant", "reviewer", "outsider"])
def test_non_officers_get_no_dashboard_and_no_admin(client, request, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code in (302, 403)
    assert "工作台" not in response.content.decode()
    assert client.get(reverse("dashboard_rows:rows", args=["org_kind"]) + "?bucket=community").status_code in (302, 403, 404)
    fake = RequestFactory().get("/admin/")
    fake.user = user
    assert dashboard_panels(fake) == []


def test_an_admin_user_who_is_not_an_officer_sees_no_dashboard(client, db):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    editor = UserFactory(name="编辑")
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "工作台" not in response.content.decode()


def test_a_superuser_sees_the_whole_tree(client, world, admin_user):
    client.force_login(admin_user)
    html = client.get("/admin/").content.decode()
    assert "工作台" in html
    assert any(f.key == "orgs" and f.value == "9" for f in figures_for(Scope.for_user(admin_user), year=YEAR))


def test_the_admin_home_costs_the_same_queries_at_two_data_sizes(client, nanming, officer_nanming,
                                                                  django_assert_max_num_queries):
    client.force_login(officer_nanming)
    build(nanming, YEAR, size=1)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/admin/")  # warm Wagtail's own per-process caches
    with CaptureQueriesContext(connection) as small:
        assert client.get("/admin/").status_code == 200
    build(nanming, YEAR, size=4)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/admin/").status_code == 200
    assert len(small.captured_queries) < 80


def test_the_svg_scales_is_labelled_links_each_bar_and_draws_chinese_from_the_bundled_font(world, city_officer):
    from matplotlib import font_manager

    charts = {c.key: c for c in charts_for(Scope.for_user(city_officer), year=YEAR)}
    svg = render_svg(charts["org_region"])
    assert svg.startswith("<svg") and 'viewBox="' in svg
    assert not re.search(r'<svg[^>]* width="', svg)  # no fixed size: it scales to its box
    assert '<title>社会组织区划分布（家）</title>' in svg and 'aria-label="社会组织区划分布（家）"' in svg
    hrefs = set(re.findall(r'xlink:href="([^"]+)"', svg))
    assert {link.replace("&", "&amp;") for link in charts["org_region"].links} <= hrefs
    # Glyphs are paths drawn from WenQuanYi (no font needed in the browser), none of them the "missing" box.
    assert "<text" not in svg and 'id="WenQuanYiMicroHei-' in svg
    path = font_manager.findfont(font_manager.FontProperties(family="WenQuanYi Micro Hei"), fallback_to_default=False)
    assert path.endswith("wqy-microhei.ttc")
    png = render_png(charts["org_kind"])
    assert png.startswith(b"\x89PNG") and len(png) > 5000


def test_links_carry_the_selected_year(world, officer_nanming):
    chart = next(c for c in charts_for(Scope.for_user(officer_nanming), year=YEAR - 1) if c.key == "hours")
    assert all(parse_qs(urlparse(link).query)["year"] == [str(YEAR - 1)] for link in chart.links)


def test_an_officer_with_two_jurisdictions_sees_both(world, db):
    from tests.factories import UserFactory

    officer = UserFactory(name="双辖区")
    grant_role(officer, Role.OFFICER, acting_user=None, region=world["nanming"])
    grant_role(officer, Role.OFFICER, acting_user=None, region=world["yunyan"])
    assert next(f.value for f in figures_for(Scope.for_user(officer), year=YEAR) if f.key == "orgs") == "9"


def test_a_drill_down_list_exports_all_its_rows_as_csv_and_xlsx_for_the_officers_district_only(
        client, world, officer_nanming, city_officer):
    city_kind = next(c for c in charts_for(Scope.for_user(city_officer), year=YEAR) if c.key == "org_kind")
    link = city_kind.links[list(city_kind.labels).index("社区社会组织")]
    client.force_login(officer_nanming)
    csv_text = b"".join(client.get(link + "&export=csv").streaming_content).decode("utf-8")
    assert csv_text.startswith("\ufeff名称,类型,状态,所在区划,成立日期")
    lines = csv_text.strip().splitlines()[1:]
    assert len(lines) == 2  # 南明区's two community organizations, none of 云岩区's
    yunyan_names = {o.name for o in Organization.objects.filter(region=world["yunyan"])}
    assert not any(line.split(",")[0] in yunyan_names for line in lines)

    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(client.get(link + "&export=xlsx").streaming_content)))
    sheet = workbook.active
    assert [cell.value for cell in sheet[1]] == ["名称", "类型", "状态", "所在区划", "成立日期"]
    assert sheet.max_row == 3


def test_a_contract_drill_down_export_keeps_money_as_numbers(client, world, city_officer):
    contracts = next(c for c in charts_for(Scope.for_user(city_officer), year=YEAR) if c.key == "contracts")
    index = next(i for i, value in enumerate(contracts.series[0][1]) if value)
    client.force_login(city_officer)
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(
        client.get(contracts.links[index] + "&export=xlsx").streaming_content))).active
    headings = [cell.value for cell in sheet[1]]
    amounts = [row[headings.index("合同金额")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(amount, int | float) for amount in amounts)
    assert sum(amounts) == pytest.approx(float(contracts.series[0][1][index]))


@pytest.mark.parametrize("bucket", ["", "abc", "-1", "１２", "1e3", "99999999999999999999", "\x00"])
def test_a_drill_down_bucket_that_names_no_bar_is_a_404_never_a_500(client, world, city_officer, bucket):
    """Months are 1–12, years 1900–2100 (year 1 overflowed the database's dates), ids fit the database."""
    client.force_login(city_officer)
    for key in ("org_year", "registrations", "grant_awarded", "grant_paid", "contracts", "matching", "hours",
                "points_issued", "points_redeemed"):
        response = client.get(reverse("dashboard_rows:rows", args=[key]), {"bucket": bucket, "year": YEAR})
        assert response.status_code == 404, (key, bucket)
    response = client.get(reverse("dashboard_rows:rows", args=["grades"]), {"bucket": "A", "series": bucket})
    assert response.status_code == 404


def test_a_drill_down_month_outside_1_to_12_or_a_year_outside_1900_to_2100_is_a_404(client, world, city_officer):
    client.force_login(city_officer)
    for key, bucket in (("hours", "0"), ("hours", "13"), ("registrations", "13"), ("grant_paid", "1"),
                        ("grant_awarded", "1"), ("org_year", "2101")):
        response = client.get(reverse("dashboard_rows:rows", args=[key]), {"bucket": bucket, "year": YEAR})
        assert response.status_code == 404, (key, bucket)
