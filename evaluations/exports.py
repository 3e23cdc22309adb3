"""A campaign's published results as open data (DESIGN.md §4.5, §5): the ranking the campaign page and the PDF
report show (valid results, by total), one row per organization with its credit code, district, the mean of each
dimension, the public and official scores, the total, grade and ranks. XLSX with Chinese headers and scores as
numbers; CSV with a UTF-8 BOM. The files are written by grants.exports (same layout, formula neutralization).

Only a campaign whose results are public (published or finalized) has a file; callers check
:attr:`Campaign.results_public` first. Three queries whatever the number of results: the campaign, its
dimensions, the ranking with organizations and districts.
"""

import pandas as pd
from django.utils import timezone

from grants.exports import Sheet

from .models import Campaign
from .queries import ranking

SHEET_NAME = "评价结果"


def _identifier(organization) -> str:
    return organization.credit_code or organization.filing_number or ""


def _mean(means: dict, dimension) -> float | None:
    value = (means or {}).get(str(dimension.pk))
    return None if value is None else round(float(value), 2)


def _columns(campaign: Campaign, dimensions: list) -> tuple[list[str], list[str]]:
    """(every column in order, the score columns among them)."""
    head = ["同类排名", "区县内排名", "组织名称", "统一社会信用代码（备案编号）", "组织类型", "所在区县"]
    if campaign.is_grading:
        per_dimension = [f"{d.name}（满分 {d.max_points}）" for d in dimensions]
        scores = [*per_dimension, "总分（千分制）"]
        return [*head, "评审专家人数", *scores, "等级"], scores
    per_dimension = []
    for d in dimensions:
        per_dimension += [f"{d.name}·群众评价均分（1–5）", f"{d.name}·干部专家均分（满分 {d.max_points}）"]
    scores = [*per_dimension, "群众评价得分（百分制）", "干部专家得分（百分制）", "综合得分"]
    return [*head, "群众评价人数", "干部专家评分人数", *scores, "等级"], scores


def _row(campaign: Campaign, dimensions: list, result) -> dict:
    organization = result.organization
    row = {
        "同类排名": result.rank_in_kind, "区县内排名": result.rank_in_district, "组织名称": organization.name,
        "统一社会信用代码（备案编号）": _identifier(organization), "组织类型": str(result.get_org_kind_display()),
        "所在区县": result.district.name if result.district else "",
    }
    if campaign.is_grading:
        row["评审专家人数"] = result.scorers
        for d in dimensions:
            row[f"{d.name}（满分 {d.max_points}）"] = _mean(result.official_means, d)
        row["总分（千分制）"] = result.total
    else:
        row["群众评价人数"] = result.public_raters
        row["干部专家评分人数"] = result.scorers
        for d in dimensions:
            row[f"{d.name}·群众评价均分（1–5）"] = _mean(result.public_means, d)
            row[f"{d.name}·干部专家均分（满分 {d.max_points}）"] = _mean(result.official_means, d)
        row["群众评价得分（百分制）"] = result.public_score
        row["干部专家得分（百分制）"] = result.official_score
        row["综合得分"] = result.total
    row["等级"] = str(result.get_grade_display()) if result.grade else ""
    return row


def results_sheet(campaign: Campaign) -> Sheet:
    """The published ranking of ``campaign`` as a sheet (the caller has checked that it is public)."""
    dimensions = list(campaign.dimensions.all())
    columns, scores = _columns(campaign, dimensions)
    rows = [_row(campaign, dimensions, result) for result in ranking(campaign)]
    return Sheet(SHEET_NAME, "evaluation-results", pd.DataFrame(rows, columns=columns), scores=tuple(scores))


def filenames(campaign: Campaign, fmt: str) -> tuple[str, str]:
    """(ASCII name, Chinese name) of the download."""
    stamp = timezone.localdate().strftime("%Y%m%d")
    return (f"evaluation-results-{campaign.year}-{campaign.pk}-{stamp}.{fmt}",
            f"{campaign.title}-评价结果-{stamp}.{fmt}")
