"""A campaign's published results as open data (issue 8): the CSV (UTF-8 with BOM) and XLSX at
/evaluations/<pk>/results.<fmt> hold exactly the published ranking — valid results in rank order with credit code,
district, per-dimension means, scores, grade and ranks — and answer 404 until the results are published."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from evaluations import services
from orgs.models import Organization
from tests.evaluations.helpers import end_window, grading_campaign, public_campaign, values, verified_user
from tests.factories import OrganizationFactory, district
from tests.grants.helpers import workbook_rows


def published_campaign(officer, region, rated, *, year=2026, publish=True, score=90):
    """A 五比五看 campaign over every organization of ``region``, taken through the real services: each organization
    in ``rated`` gets one public rating of 4 and one officer score (``score`` for the first, one less for each next),
    which is valid with ``min_raters=1``; the others stay invalid. The window ends, results are computed and, unless
    ``publish=False``, published."""
    campaign = public_campaign(officer, region, year=year, min_raters=1)
    notes = {key: "查阅服务台账与活动记录" for key in values(campaign, 0)}
    for index, organization in enumerate(rated):
        services.submit_rating(campaign, organization, acting_user=verified_user(), values=values(campaign, 4))
        services.declare_conflict(campaign, organization, acting_user=officer, has_conflict=False)
        services.submit_score(campaign, organization, acting_user=officer, values=values(campaign, score - index),
                              notes=notes)
    end_window(campaign)
    services.close_campaign(campaign, acting_user=officer)
    services.compute_now(campaign, acting_user=officer)
    campaign.refresh_from_db()
    if publish:
        services.publish_results(campaign, acting_user=officer)
        campaign.refresh_from_db()
    return campaign


def export_url(campaign, fmt):
    return reverse("evaluations:results_export", kwargs={"pk": campaign.pk, "fmt": fmt})


def csv_rows(response) -> list[dict]:
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
def published(city_officer, city, org_a, org_b):
    OrganizationFactory(name="未获评价的志愿服务站", region=district("520111"))  # in scope, no rating: invalid
    return published_campaign(city_officer, city, [org_a, org_b])


def test_the_csv_holds_exactly_the_published_ranking_with_credit_codes_scores_and_grades(client, published, org_a, org_b):
    response = client.get(export_url(published, "csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="evaluation-results-2026-{published.pk}-')
    rows = csv_rows(response)
    assert [row["组织名称"] for row in rows] == ["阳光助残服务社", "云岩区社区养老服务中心"]
    first, second = rows
    assert first["统一社会信用代码（备案编号）"] == org_a.credit_code and first["所在区县"] == "南明区"
    assert first["组织类型"] == "社会服务机构（民办非企业单位）"
    # One rating of 4 → 80 on 100; officers 90 → 40 % × 80 + 60 % × 90 = 86.00.
    assert (first["群众评价人数"], first["群众评价得分（百分制）"], first["干部专家得分（百分制）"]) == ("1", "80.00", "90.00")
    assert (first["综合得分"], first["等级"], first["同类排名"], first["区县内排名"]) == ("86.00", "良好", "1", "1")
    assert first["比敬业奉献看谁更爱民·群众评价均分（1–5）"] == "4.0"
    assert first["比敬业奉献看谁更爱民·干部专家均分（满分 100）"] == "90.0"
    assert second["统一社会信用代码（备案编号）"] == org_b.credit_code and second["所在区县"] == "云岩区"
    assert (second["综合得分"], second["同类排名"], second["区县内排名"]) == ("85.40", "2", "1")


def test_the_xlsx_holds_the_same_rows_with_scores_as_numbers(client, published):
    response = client.get(export_url(published, "xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet, header, rows = workbook_rows(response)
    assert sheet.title == "评价结果" and sheet.freeze_panes == "A2"
    assert [row[header.index("组织名称")] for row in rows] == ["阳光助残服务社", "云岩区社区养老服务中心"]
    total = header.index("综合得分")
    assert [row[total] for row in rows] == [86, 85.4]
    assert sheet.cell(row=2, column=total + 1).number_format == "0.00"
    assert rows[0][header.index("等级")] == "良好"


def test_results_are_not_downloadable_before_they_are_published(client, city_officer, city, org_a):
    computed = published_campaign(city_officer, city, [org_a], publish=False)
    still_open = public_campaign(city_officer, city, year=2025)
    for campaign in (computed, still_open):
        for fmt in ("csv", "xlsx"):
            assert client.get(export_url(campaign, fmt)).status_code == 404
    assert client.get("/evaluations/999999/results.csv").status_code == 404
    assert client.get(f"/evaluations/{computed.pk}/results.pdf").status_code == 404
    services.publish_results(computed, acting_user=city_officer)
    assert client.get(export_url(computed, "csv")).status_code == 200


def test_a_name_that_looks_like_a_formula_is_plain_text_in_the_export(client, city_officer, city):
    sly = OrganizationFactory(name="=HYPERLINK(\"http://example.com\",\"点我\")", region=district("520102"))
    campaign = published_campaign(city_officer, city, [sly])
    rows = csv_rows(client.get(export_url(campaign, "csv")))
    assert rows[0]["组织名称"] == "'=HYPERLINK(\"http://example.com\",\"点我\")"
    _, header, xlsx_rows = workbook_rows(client.get(export_url(campaign, "xlsx")))
    assert xlsx_rows[0][header.index("组织名称")].startswith("'=")


def test_the_export_query_count_does_not_grow_with_the_results(client, city_officer, city, django_assert_max_num_queries):
    small = published_campaign(city_officer, city, OrganizationFactory.create_batch(1), year=2025)
    large = published_campaign(city_officer, city, OrganizationFactory.create_batch(6), year=2026)
    for campaign, expected in ((small, 1), (large, 6)):  # the first's organization is in the second, unrated
        with django_assert_max_num_queries(4):
            response = client.get(export_url(campaign, "csv"))
        assert len(csv_rows(response)) == expected


def test_a_grading_export_has_each_indicator_on_its_own_points_and_the_total_on_1000(client, city_officer, city, org_a,
                                                                                    applicant, reviewer):
    Organization.objects.filter(pk=org_a.pk).update(established_on=datetime.date(2019, 5, 1))
    org_a.refresh_from_db()
    campaign = grading_campaign(city_officer, city)
    campaign.experts.add(reviewer)
    services.apply_for_grading(campaign, org_a, acting_user=applicant)
    services.declare_conflict(campaign, org_a, acting_user=reviewer, has_conflict=False)
    points = dict(zip([str(d.pk) for d in campaign.dimensions.all()], [60, 380, 400, 120], strict=True))
    services.submit_score(campaign, org_a, acting_user=reviewer, values=points,
                          notes={key: "现场评估、查阅档案" for key in points})
    end_window(campaign)
    services.close_campaign(campaign, acting_user=city_officer)
    services.compute_now(campaign, acting_user=city_officer)
    campaign.refresh_from_db()
    assert client.get(export_url(campaign, "csv")).status_code == 404  # computed, not yet published
    services.publish_results(campaign, acting_user=city_officer)
    [row] = csv_rows(client.get(export_url(campaign, "csv")))
    assert (row["组织名称"], row["评审专家人数"], row["基础条件（满分 60）"], row["内部治理（满分 380）"]) == (
        "阳光助残服务社", "1", "60.0", "380.0")
    assert (row["总分（千分制）"], row["等级"], row["同类排名"]) == ("960.00", "5A", "1")
    assert "群众评价人数" not in row
