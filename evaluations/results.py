"""Computing a campaign's results from its ratings and scores (issue 7 §4), with pandas: per-dimension means,
the public and official scores, the weighted total, validity, ranks within kind and district, and the grade.

Scales: the public rates 1–5, shown on 100 as mean × 20; officers and experts score 0–100 per dimension
(五比五看) and the total is public_weight % of the public score plus the rest of the official score. A result
is valid with at least ``min_raters`` public raters (excluded ratings do not count) and one official score.
A 等级评估 has no public part: its total is the sum of the dimension means on 1000 points.
"""

import json
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from .models import Campaign, Rating, Result, Score

TWO_PLACES = Decimal("0.01")


def _decimal(value) -> Decimal | None:
    if value is None or pd.isna(value):
        return None
    return Decimal(str(value)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _means(rows: list[tuple[int, dict]], dimension_ids: list[str]) -> pd.DataFrame:
    """One row per organization: the count of rows and the mean of each dimension."""
    if not rows:
        return pd.DataFrame(columns=["count", *dimension_ids], dtype="float64").rename_axis("organization_id")
    organization_ids = [org for org, _ in rows]
    values = pd.DataFrame.from_records([v for _, v in rows], columns=dimension_ids).astype("float64")
    values.insert(0, "organization_id", organization_ids)
    grouped = values.groupby("organization_id")
    frame = grouped[dimension_ids].mean()
    frame.insert(0, "count", grouped.size())
    return frame


def calculate(campaign: Campaign, progress: Callable[[int, str], None] | None = None) -> int:
    """Recompute every result of the campaign; returns the number of valid results."""
    report = progress or (lambda percent, message: None)
    dimensions = list(campaign.dimensions.all())
    dimension_ids = [str(d.pk) for d in dimensions]
    max_points = {str(d.pk): d.max_points for d in dimensions}

    report(5, "读取群众评价")
    rating_rows = list(
        Rating.objects.filter(campaign=campaign, excluded=False).values_list("organization_id", "values").iterator(chunk_size=20000)
    )
    excluded = dict(
        Rating.objects.filter(campaign=campaign, excluded=True)
        .values("organization_id").annotate(n=Count("pk")).values_list("organization_id", "n")
    )
    public = _means(rating_rows, dimension_ids) if not campaign.is_grading else _means([], dimension_ids)
    report(35, "读取干部专家评分")
    official = _means(list(Score.objects.filter(campaign=campaign).values_list("organization_id", "values")), dimension_ids)

    report(50, "计算综合得分")
    results = list(Result.objects.filter(campaign=campaign).only("pk", "organization_id", "org_kind", "district_id"))
    frame = pd.DataFrame(
        [(r.pk, r.organization_id, r.org_kind, r.district_id or 0) for r in results],
        columns=["pk", "organization_id", "kind", "district"],
    ).set_index("organization_id")
    frame["raters"] = public["count"].reindex(frame.index).fillna(0).astype(int)
    frame["scorers"] = official["count"].reindex(frame.index).fillna(0).astype(int)
    if dimension_ids:
        frame["public_score"] = public[dimension_ids].mean(axis=1).reindex(frame.index) * 20
        if campaign.is_grading:
            frame["official_score"] = official[dimension_ids].sum(axis=1, min_count=1).reindex(frame.index)
        else:
            # Each dimension on 100 points; the official score is their mean.
            scaled = official[dimension_ids].div(pd.Series(max_points)) * 100
            frame["official_score"] = scaled.mean(axis=1).reindex(frame.index)
    else:
        frame["public_score"] = frame["official_score"] = float("nan")
    if campaign.is_grading:
        frame["valid"] = frame["scorers"] >= 1
        frame["total"] = frame["official_score"].where(frame["valid"])
    else:
        frame["valid"] = (frame["raters"] >= campaign.min_raters) & (frame["scorers"] >= 1)
        weight = campaign.public_weight / 100
        frame["total"] = (frame["public_score"] * weight + frame["official_score"] * (1 - weight)).where(frame["valid"])
    ranked = frame[frame["valid"]]
    frame["rank_in_kind"] = ranked.groupby("kind")["total"].rank(method="min", ascending=False)
    frame["rank_in_district"] = ranked.groupby("district")["total"].rank(method="min", ascending=False)

    report(70, "保存结果")
    now = timezone.now()
    by_pk = {}
    for organization_id, row in frame.iterrows():
        public_means = public.loc[organization_id, dimension_ids].round(2).to_dict() if organization_id in public.index else {}
        official_means = official.loc[organization_id, dimension_ids].round(2).to_dict() if organization_id in official.index else {}
        total = _decimal(row["total"])
        if row["valid"]:
            note = ""
        elif campaign.is_grading:
            note = "尚无评审专家评分"
        elif row["raters"] < campaign.min_raters:
            note = f"群众评价人数 {row['raters']} 人，不足 {campaign.min_raters} 人"
        else:
            note = "尚无干部、专家评分"
        by_pk[int(row["pk"])] = {
            "public_raters": int(row["raters"]), "excluded_ratings": int(excluded.get(organization_id, 0)),
            "public_means": {k: float(v) for k, v in public_means.items() if not pd.isna(v)},
            "public_score": _decimal(row["public_score"]) if row["raters"] else None,
            "scorers": int(row["scorers"]),
            "official_means": {k: float(v) for k, v in official_means.items() if not pd.isna(v)},
            "official_score": _decimal(row["official_score"]) if row["scorers"] else None,
            "total": total, "valid": bool(row["valid"]), "note": note,
            "rank_in_kind": None if pd.isna(row["rank_in_kind"]) else int(row["rank_in_kind"]),
            "rank_in_district": None if pd.isna(row["rank_in_district"]) else int(row["rank_in_district"]),
            "grade": campaign.grade_for(total) if row["valid"] else "", "computed_at": now,
        }
    # One transaction for the whole write: readers see the old results or the new ones, never a mix.
    with transaction.atomic():
        _write(by_pk, lambda done: report(70 + int(28 * done), "保存结果"))
    return int(frame["valid"].sum())


FIELDS = [
    "public_raters", "excluded_ratings", "public_means", "public_score", "scorers", "official_means",
    "official_score", "total", "valid", "note", "rank_in_kind", "rank_in_district", "grade", "computed_at",
]
JSON_FIELDS = {"public_means", "official_means"}
BATCH = 2000


def _write(by_pk: dict[int, dict], progress: Callable[[float], None]) -> None:
    """Write every result with one parameterised UPDATE run over all rows (executemany).

    Django's bulk_update builds a CASE expression per field per row, which for 5,000 results took most of
    the 30 s budget; this writes the same values through the database adapter in under a second.
    """
    ops = connection.ops
    table = ops.quote_name(Result._meta.db_table)
    json_cast = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    assignments = ", ".join(
        f"{ops.quote_name(name)} = {json_cast if name in JSON_FIELDS else '%s'}" for name in FIELDS
    )
    sql = f"UPDATE {table} SET {assignments} WHERE id = %s"  # noqa: S608 - identifiers from the model  # nosec B608

    def params(pk: int, values: dict) -> list:
        row = []
        for name in FIELDS:
            value = values[name]
            if name in JSON_FIELDS:
                value = json.dumps(value)
            elif name in ("public_score", "official_score", "total"):
                value = ops.adapt_decimalfield_value(value, 7, 2)
            elif name == "computed_at":
                value = ops.adapt_datetimefield_value(value)
            row.append(value)
        return [*row, pk]

    items = list(by_pk.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), BATCH):
            cursor.executemany(sql, [params(pk, values) for pk, values in items[start:start + BATCH]])
            progress(min(1.0, (start + BATCH) / max(1, len(items))))

