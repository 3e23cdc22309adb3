"""Demo evaluations for seed_demo (issue 7 §6): a finished 2025 五比五看 with published results, an open 2026
campaign with ratings coming in (and a burst from one address waiting in the review queue), a finalized 2025
等级评估 that graded some organizations, and an open 2026 等级评估 organizations can apply for.

Workflow moves go through the services so the history and audit rows are real; the bulk of the ratings and
scores is inserted in bulk (hundreds of thousands at city scale), marked as demo data by the site notice.
"""

import datetime
import random
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone

from core.models import Region, Role, RoleAssignment, User
from orgs.demo import Rows
from orgs.models import Organization

from . import services
from .models import Campaign, ConflictDeclaration, Rating, Result, Score

TZ = ZoneInfo("Asia/Shanghai")
COMMENTS = [
    "服务很用心，老人们都很满意。", "志愿者耐心细致，帮了我家大忙。", "活动组织得很好，希望多办。", "工作人员专业又热情。",
    "社区里有了他们，邻里关系更和睦了。", "账目公开透明，值得信任。", "孩子很喜欢他们的课程。",
]


def _at(year, month, day, hour=9) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, tzinfo=TZ)


def _raters(count: int) -> list[int]:
    """Verified public accounts that rate in the demo (phones 137…); created in bulk, no usable password."""
    existing = User.objects.filter(phone__startswith="137").count()
    if existing < count:
        joined = timezone.now() - datetime.timedelta(days=400)
        unusable = make_password(None)
        User.objects.bulk_create([
            User(phone=f"137{n:08d}", name=f"评价群众{n}", password=unusable, phone_verified_at=joined, date_joined=joined)
            for n in range(existing, count)
        ], batch_size=2000)
    return list(User.objects.filter(phone__startswith="137").order_by("phone").values_list("pk", flat=True)[:count])


def _people():
    officer = RoleAssignment.objects.filter(role=Role.OFFICER, region__code="520100").select_related("user").first().user
    expert = RoleAssignment.objects.filter(role=Role.REVIEWER).select_related("user").first().user
    return officer, expert


def _bulk_ratings(rng, campaign, organization_ids, raters, per_org, when, comment_share=0.08) -> int:
    """Ratings by plain-tuple INSERTs (orgs.demo.Rows): a city's 200,000 through the ORM's bulk_create spend most
    of their time building model instances and SQL; only the values and moments need the fields' preparation."""
    dimension_ids = [str(pk) for pk in campaign.dimensions.values_list("pk", flat=True)]
    rows = Rows(Rating, ["campaign", "organization", "user", "values", "comment", "comment_status", "client_address",
                         "created_at", "updated_at"], prepare={"values", "created_at", "updated_at"})
    approved = str(Rating.CommentStatus.APPROVED)
    for organization_id in organization_ids:
        quality = rng.uniform(3.0, 4.9)
        count = per_org(rng)
        for user_id in rng.sample(raters, min(count, len(raters))):
            values = {d: max(1, min(5, round(rng.gauss(quality, 0.7)))) for d in dimension_ids}
            comment = rng.choice(COMMENTS) if rng.random() < comment_share else ""
            at = when + datetime.timedelta(minutes=rng.randrange(60 * 24 * 40))
            rows.add(campaign.pk, organization_id, user_id, values, comment, approved if comment else "",
                     f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}", at, at)
    rows.flush()
    with connection.cursor() as cursor:  # PostgreSQL: move the id sequence past the ids written here
        for sql in connection.ops.sequence_reset_sql(no_style(), [Rating]):
            cursor.execute(sql)
    return Rating.objects.filter(campaign=campaign).count()


def _bulk_scores(rng, campaign, scorer, organization_ids, grading=False):
    dimensions = list(campaign.dimensions.all())
    now = campaign.closes_at
    ConflictDeclaration.objects.bulk_create([
        ConflictDeclaration(campaign=campaign, organization_id=o, scorer=scorer, has_conflict=False, declared_at=now)
        for o in organization_ids
    ], batch_size=2000, ignore_conflicts=True)
    rows = []
    for o in organization_ids:
        level = rng.uniform(0.78, 0.99) if grading else rng.uniform(0.6, 0.98)
        rows.append(Score(
            campaign=campaign, organization_id=o, scorer=scorer, created_at=now, updated_at=now,
            values={str(d.pk): round(d.max_points * min(1.0, rng.gauss(level, 0.03))) for d in dimensions},
            notes={str(d.pk): "查阅台账、实地走访" for d in dimensions},
        ))
    Score.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)


def _compute(campaign, officer):
    services.close_campaign(campaign, acting_user=officer, reason="演示：评价期结束")
    services.compute_now(campaign, acting_user=officer)
    return services.publish_results(campaign, acting_user=officer)


def build(rng: random.Random, *, raters: int, ratings: int) -> None:
    if Campaign.objects.filter(kind=Campaign.Kind.PUBLIC, year=2025).exists():
        return
    officer, expert = _people()
    city = Region.objects.get(code="520100")
    pool = _raters(raters)

    # 2025 五比五看: finished and published. About ``ratings`` ratings over the organizations in scope.
    past = services.create_campaign(
        acting_user=officer, kind=Campaign.Kind.PUBLIC, year=2025, title="2025年度社会组织“五比五看”群众评价",
        region=city, opens_at=_at(2025, 9, 1), closes_at=_at(2025, 10, 31, 18),
        description="请为您身边的社会组织打分：每个维度 1–5 分。",
    )
    services.open_campaign(past, acting_user=officer)
    in_scope = list(past.results.values_list("organization_id", flat=True))
    per_org_mean = max(5, ratings // max(1, len(in_scope)))
    _bulk_ratings(rng, past, in_scope, pool, lambda r: max(0, int(r.gauss(per_org_mean, per_org_mean / 3))), _at(2025, 9, 1))
    _bulk_scores(rng, past, officer, in_scope)
    _compute(past, officer)

    # 2026 五比五看: open, ratings coming in; one address's burst waits in the review queue.
    now = timezone.now()
    current = services.create_campaign(
        acting_user=officer, kind=Campaign.Kind.PUBLIC, year=2026, title="2026年度社会组织“五比五看”群众评价",
        region=city, opens_at=now - datetime.timedelta(days=10), closes_at=now + datetime.timedelta(days=40),
        description="评价期内可修改评价。留言经审核后公开。",
    )
    current = services.open_campaign(current, acting_user=officer)
    ids = list(current.results.values_list("organization_id", flat=True))
    rated = rng.sample(ids, max(1, len(ids) // 5))
    _bulk_ratings(rng, current, rated, pool, lambda r: r.randint(1, 25), now - datetime.timedelta(days=9), comment_share=0)
    target = Organization.objects.get(name="阳光助残服务社")
    burst = [u for u in User.objects.filter(pk__in=pool).exclude(ratings__campaign=current, ratings__organization=target)[:6]]
    for user in burst:
        services.submit_rating(current, target, acting_user=user, client_address="10.66.66.66",
                               values={str(d.pk): 5 for d in current.dimensions.all()},
                               comment="阳光助残服务社非常好，强烈推荐！")

    # 2025 等级评估: finalized; the eligible applicants now hold grades valid five years.
    grading = services.create_campaign(
        acting_user=officer, kind=Campaign.Kind.GRADING, year=2025, title="2025年度社会组织等级评估",
        region=city, opens_at=_at(2025, 4, 1), closes_at=_at(2025, 6, 30, 18),
    )
    grading.experts.add(expert)
    services.open_campaign(grading, acting_user=officer)
    candidates = Organization.objects.filter(status=Organization.Status.REGISTERED,
                                             established_on__lt=datetime.date(2023, 1, 1)).order_by("pk")
    applicants = [o for o in candidates[:400] if not services.grading_problems(o, grading)][:max(12, len(in_scope) // 25)]
    districts = {r.path: r for r in Region.objects.filter(level=Region.Level.DISTRICT)}
    Result.objects.bulk_create([
        Result(campaign=grading, organization=o, org_kind=o.kind, district=districts.get(o.region.path[:8]),
               applied_at=grading.opens_at + datetime.timedelta(days=3))
        for o in applicants
    ])
    _bulk_scores(rng, grading, expert, [o.pk for o in applicants], grading=True)
    grading = _compute(grading, officer)
    Campaign.objects.filter(pk=grading.pk).update(posting_ends_on=timezone.localdate() - datetime.timedelta(days=1))
    grading.refresh_from_db()
    services.finalize_grading(grading, acting_user=officer)

    # 2026 等级评估: open for applications.
    upcoming = services.create_campaign(
        acting_user=officer, kind=Campaign.Kind.GRADING, year=2026, title="2026年度社会组织等级评估",
        region=city, opens_at=now - datetime.timedelta(days=5), closes_at=now + datetime.timedelta(days=60),
        description="符合条件的社会组织可在“我的评估”中申请参加。",
    )
    upcoming.experts.add(expert)
    services.open_campaign(upcoming, acting_user=officer)
