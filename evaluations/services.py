"""Every state change of evaluations: campaigns through their workflow, ratings, flags, declarations,
scores, grading applications, publication, review requests and grading. Atomic, audited, permission-checked,
raising the domain errors of :mod:`evaluations.exceptions` (DESIGN.md §3)."""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_tasks import task

from core import audit, notify, ratelimit
from core.dates import add_years
from core.models import Region, User
from core.permissions import can_administer_region
from core.workflow import move
from grants.models import Award, Contract
from orgs.models import AnnualReport, CreditListing, Membership, Organization
from orgs.queries import ACTIVE

from . import results
from .exceptions import (
    CampaignError,
    NotEligible,
    PermissionDenied,
    RatingRefused,
    ReviewRefused,
    ScoringRefused,
)
from .models import (
    GRADING_DIMENSIONS,
    PUBLIC_DIMENSIONS,
    Campaign,
    CampaignStatusChange,
    ConflictDeclaration,
    Dimension,
    Flag,
    Rating,
    Result,
    ReviewRequest,
    Score,
)
from .permissions import may_manage, may_score

logger = logging.getLogger(__name__)

# Rate limits on public ratings (issue 7): per person and per client address.
RATINGS_PER_USER_PER_HOUR = 30
RATINGS_PER_ADDRESS_PER_HOUR = 60
# Anomaly rules: what makes a rating worth an officer's look.
ADDRESS_BURST = (5, datetime.timedelta(minutes=10))  # this many ratings from one address within this time
DUPLICATE_COMMENTS = 3  # this many ratings in a campaign carrying the same comment
NEW_ACCOUNT_AGE = datetime.timedelta(days=7)
NEW_ACCOUNT_BURST = (5, datetime.timedelta(hours=1))  # new accounts rating one organization within this time
GRADE_VALID_YEARS = 5
# A computation queued or running that has shown no sign of life (its progress writes bump ``updated_at``) for this
# long is taken to have died with its worker: it may be requested again (django-tasks-db never re-runs a task whose
# worker was killed, so without this the campaign would stay "计算中" for ever).
COMPUTE_STALE_AFTER = datetime.timedelta(minutes=30)


def _lock(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


def _move(campaign: Campaign, to: str, *, actor, reason: str = "", **extra) -> Campaign:
    return move(
        campaign, to, transitions=Campaign.TRANSITIONS, history=CampaignStatusChange, history_fk="campaign",
        actor=actor, reason=reason, action_prefix="evaluations.campaign", extra_fields=extra,
    )


def _require_manager(user, campaign: Campaign) -> None:
    if not may_manage(user, campaign):
        raise PermissionDenied("只有该评价活动所在区划的民政干部可以进行此操作。")


# --- campaigns ------------------------------------------------------------------------------------------
def add_default_dimensions(campaign: Campaign) -> None:
    """The five 五比五看 dimensions, or the four 39号令 indicators, for a campaign created without any."""
    if campaign.dimensions.exists():
        return
    if campaign.is_grading:
        rows = [Dimension(campaign=campaign, name=n, description=d, max_points=p, sort_order=i)
                for i, (n, d, p) in enumerate(GRADING_DIMENSIONS)]
    else:
        rows = [Dimension(campaign=campaign, name=n, description=d, max_points=100, sort_order=i)
                for i, (n, d) in enumerate(PUBLIC_DIMENSIONS)]
    Dimension.objects.bulk_create(rows)


def campaign_created(campaign: Campaign, *, acting_user) -> Campaign:
    """What follows saving a new draft campaign, here or from the admin's form: who created it, the default
    dimensions when none were entered, no public weight in a 等级评估, and the audit row."""
    if not can_administer_region(acting_user, campaign.region):
        raise PermissionDenied("只能在本人管辖的区划内创建评价活动。")
    Campaign.objects.filter(pk=campaign.pk).update(
        created_by=acting_user, public_weight=0 if campaign.is_grading else campaign.public_weight
    )
    add_default_dimensions(campaign)
    audit.record("evaluations.campaign.create", actor=acting_user, obj=campaign, region=campaign.region,
                 after={"title": campaign.title, "year": campaign.year, "kind": campaign.kind})
    campaign.refresh_from_db()
    return campaign


@transaction.atomic
def create_campaign(*, acting_user, **fields) -> Campaign:
    """Create a draft campaign (for code and the demo; officers use the admin's form, which ends the same way)."""
    campaign = Campaign(**fields)
    campaign.full_clean()
    campaign.save()
    return campaign_created(campaign, acting_user=acting_user)


def scope_queryset(campaign: Campaign):
    """Organizations a 五比五看 campaign covers: existing ones in its region, of the chosen kinds, and — when the
    campaign is limited to funded organizations — those holding a grant (an award of a funding call) or a
    purchased-service contract that has been signed (any status but 待签订: active, completed or terminated —
    the organization was paid public money to deliver a service either way). A bid, an award without a signed
    contract or a draft contract does not count."""
    queryset = Organization.objects.filter(ACTIVE, region__path__startswith=campaign.region.path)
    if campaign.scope_kinds:
        queryset = queryset.filter(kind__in=campaign.scope_kinds)
    if campaign.scope_funded:
        granted = Exists(Award.objects.filter(application__organization=OuterRef("pk")))
        contracted = Exists(Contract.objects.filter(organization=OuterRef("pk")).exclude(status=Contract.Status.DRAFT))
        queryset = queryset.filter(granted | contracted)
    return queryset


def _district_of(region: Region, districts: dict[str, Region]) -> Region | None:
    return districts.get(region.path[: Region.steplen * 2])


def fill_scope(campaign: Campaign) -> int:
    """One result row per organization in scope (五比五看); returns how many were added."""
    districts = {r.path: r for r in Region.objects.filter(level=Region.Level.DISTRICT)}
    existing = set(campaign.results.values_list("organization_id", flat=True))
    rows = [
        Result(campaign=campaign, organization=org, org_kind=org.kind, district=_district_of(org.region, districts))
        for org in scope_queryset(campaign).select_related("region").iterator(chunk_size=2000)
        if org.pk not in existing
    ]
    Result.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


@transaction.atomic
def open_campaign(campaign: Campaign, *, acting_user) -> Campaign:
    campaign = _lock(campaign)  # row lock: two officers pressing "open" make one move
    _require_manager(acting_user, campaign)
    if not campaign.dimensions.exists():
        raise CampaignError("请至少设置一个评价维度。")
    _move(campaign, Campaign.Status.OPEN, actor=acting_user)
    added = 0 if campaign.is_grading else fill_scope(campaign)
    audit.record("evaluations.campaign.scope", actor=acting_user, obj=campaign, region=campaign.region,
                 after={"organizations": added})
    return campaign


@transaction.atomic
def close_campaign(campaign: Campaign, *, acting_user, reason: str = "") -> Campaign:
    campaign = _lock(campaign)
    _require_manager(acting_user, campaign)
    return _move(campaign, Campaign.Status.CLOSED, actor=acting_user, reason=reason)


def request_computation(campaign: Campaign, *, acting_user) -> Campaign:
    """Queue the results computation as a background task; its state shows on the campaign page."""
    with transaction.atomic():
        campaign = _lock(campaign)
        _require_manager(acting_user, campaign)
        if campaign.status == Campaign.Status.OPEN and campaign.closes_at <= timezone.now():
            _move(campaign, Campaign.Status.CLOSED, actor=acting_user, reason="评价期已结束，计算结果前截止")
        if campaign.status not in (Campaign.Status.CLOSED, Campaign.Status.COMPUTED):
            raise CampaignError("评价截止后才能计算结果。")
        if (campaign.compute_state in (Campaign.ComputeState.QUEUED, Campaign.ComputeState.RUNNING)
                and campaign.updated_at > timezone.now() - COMPUTE_STALE_AFTER):
            raise CampaignError("结果正在计算中，请稍候。")
        campaign.compute_state = Campaign.ComputeState.QUEUED
        campaign.compute_progress = 0
        campaign.compute_message = ""
        campaign.save(update_fields=["compute_state", "compute_progress", "compute_message", "updated_at"])
        audit.record("evaluations.campaign.compute_requested", actor=acting_user, obj=campaign, region=campaign.region)
        # Enqueued after commit, so the worker always finds the queued state it is to move on from.
        transaction.on_commit(lambda: compute_campaign_results.enqueue(campaign.pk, acting_user.pk))
    return campaign


@transaction.atomic
def publish_results(campaign: Campaign, *, acting_user) -> Campaign:
    campaign = _lock(campaign)
    _require_manager(acting_user, campaign)
    if campaign.status != Campaign.Status.COMPUTED or campaign.compute_state != Campaign.ComputeState.DONE:
        raise CampaignError("结果计算完成并经审核后才能发布。")
    today = timezone.localdate()
    extra = {"published_at": timezone.now()}
    if campaign.is_grading:
        extra["posting_ends_on"] = today + datetime.timedelta(days=campaign.posting_days)
    _move(campaign, Campaign.Status.PUBLISHED, actor=acting_user, **extra)
    if campaign.is_grading:
        members = Membership.objects.filter(organization__evaluation_results__campaign=campaign).select_related("user")
        for membership in members:
            notify.notify(
                membership.user, f"{campaign.title}结果已公示",
                f"公示期至 {campaign.posting_ends_on:%Y年%m月%d日}，对结果有异议的，可在公示期内申请复核。",
                link=f"/evaluations/{campaign.pk}/",
            )
    return campaign


@transaction.atomic
def finalize_grading(campaign: Campaign, *, acting_user) -> Campaign:
    """After the posting period and every review decided: confer the grades on the organizations, valid five
    years. The organization's grade is what the registry, the profile and eligibility rules read."""
    campaign = _lock(campaign)
    _require_manager(acting_user, campaign)
    if not campaign.is_grading:
        raise CampaignError("只有等级评估需要定级。")
    if campaign.status != Campaign.Status.PUBLISHED:
        raise CampaignError("结果发布并公示期满后才能定级。")
    today = timezone.localdate()
    if today <= campaign.posting_ends_on:
        raise CampaignError(f"公示期至 {campaign.posting_ends_on:%Y年%m月%d日}，公示期满后才能定级。")
    if ReviewRequest.objects.filter(result__campaign=campaign, status=ReviewRequest.Status.PENDING).exists():
        raise CampaignError("尚有复核申请未处理，处理完毕后才能定级。")
    _move(campaign, Campaign.Status.FINALIZED, actor=acting_user, finalized_at=timezone.now())
    valid_until = add_years(today, GRADE_VALID_YEARS) - datetime.timedelta(days=1)
    for result in campaign.results.filter(valid=True).exclude(grade="").select_related("organization"):
        org = Organization.objects.select_for_update().get(pk=result.organization_id)
        before = {"grade": org.grade, "grade_valid_until": org.grade_valid_until}
        org.grade, org.grade_valid_until = result.grade, valid_until
        org.save(update_fields=["grade", "grade_valid_until", "updated_at"])
        audit.record("orgs.organization.grade", actor=acting_user, obj=org, region=org.region, before=before,
                     after={"grade": org.grade, "grade_valid_until": valid_until}, reason=campaign.title)
    return campaign


def _progress(campaign_id: int):
    def report(percent: int, message: str) -> None:
        # Outside any transaction, so the officers' page sees the progress while the task runs.
        Campaign.objects.filter(pk=campaign_id).update(compute_progress=percent, compute_message=message,
                                                       updated_at=timezone.now())  # the sign of life

    return report


def compute_now(campaign: Campaign, *, acting_user) -> int:
    """Compute a closed campaign's results in this process and move it to 结果待发布; returns the number of
    valid results. The background task runs this; so does the demo seed. Progress shows on the campaign page."""
    _require_manager(acting_user, campaign)
    Campaign.objects.filter(pk=campaign.pk).update(compute_state=Campaign.ComputeState.RUNNING, compute_progress=1,
                                                   updated_at=timezone.now())
    try:
        valid = results.calculate(campaign, progress=_progress(campaign.pk))
    except Exception as exc:
        logger.exception("computing results of campaign %s failed", campaign.pk)
        Campaign.objects.filter(pk=campaign.pk).update(
            compute_state=Campaign.ComputeState.FAILED, compute_message=f"计算失败：{type(exc).__name__}"
        )
        raise
    with transaction.atomic():
        campaign = _lock(campaign)  # the workflow move holds the row
        summary = f"有效结果 {valid} 个，共 {campaign.results.count()} 个"
        _move(campaign, Campaign.Status.COMPUTED, actor=acting_user, reason=summary,
              compute_state=Campaign.ComputeState.DONE, compute_progress=100, compute_message=summary,
              computed_at=timezone.now())
    return valid


@task(backend="background")
def compute_campaign_results(campaign_id: int, actor_id: int) -> int:
    """The background task that :func:`request_computation` queues. Safe to deliver twice: a computation that is
    already done (a second copy of the task, or one re-queued after its worker died and then finished anyway) is
    left as it is, so the campaign's history gets one "结果待发布" per request."""
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.compute_state == Campaign.ComputeState.DONE:
        return campaign.results.filter(valid=True).count()
    return compute_now(campaign, acting_user=User.objects.get(pk=actor_id))


# --- public ratings -------------------------------------------------------------------------------------
def _check_values(values: dict, dimensions, low: int, top, error) -> dict[str, int]:
    """Each dimension's value as an integer from ``low`` to ``top(dimension)``; ``error(message, dimension)``
    makes the exception to raise."""
    cleaned = {}
    for dimension in dimensions:
        high = top(dimension)
        raw = values.get(str(dimension.pk), values.get(dimension.pk))
        if raw in (None, ""):
            raise error(f"请为“{dimension.name}”评分。", dimension)
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise error(f"“{dimension.name}”的评分须为 {low}–{high} 的整数。", dimension) from None
        if not low <= value <= high:
            raise error(f"“{dimension.name}”的评分须在 {low}–{high} 之间，收到 {value}。", dimension)
        cleaned[str(dimension.pk)] = value
    return cleaned


def submit_rating(
    campaign: Campaign, organization: Organization, *, acting_user, values: dict, comment: str = "",
    client_address: str | None = None,
) -> Rating:
    """Take or revise one person's rating of one organization. Refused, with the reason, outside the window,
    for an organization out of scope, for an account without a verified phone, or for a value out of range."""
    now = timezone.now()
    if not acting_user.is_authenticated:
        raise RatingRefused("请先登录。")
    if campaign.kind != Campaign.Kind.PUBLIC:
        raise RatingRefused("该活动不接受群众评价。")
    not_started = campaign.status == Campaign.Status.DRAFT or now < campaign.opens_at
    if not_started:
        raise RatingRefused(f"评价尚未开始，开始时间为 {timezone.localtime(campaign.opens_at):%Y年%m月%d日 %H:%M}。")
    if campaign.status != Campaign.Status.OPEN:
        raise RatingRefused("评价已截止，不再接受评价。")
    if now > campaign.closes_at:
        raise RatingRefused(f"评价已于 {timezone.localtime(campaign.closes_at):%Y年%m月%d日 %H:%M} 截止，不再接受评价。")
    if acting_user.phone_verified_at is None:
        raise RatingRefused("参与群众评价须先验证手机号码。")
    if not Result.objects.filter(campaign=campaign, organization=organization).exists():
        raise RatingRefused("该组织不在本次评价范围内。")
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise RatingRefused("留言不超过 500 字。", field="comment")

    def value_error(message, dimension):
        return RatingRefused(message, field=f"d{dimension.pk}")

    cleaned = _check_values(values, list(campaign.dimensions.all()), 1, lambda dimension: 5, value_error)
    ratelimit.check("rating.user", acting_user.pk, limit=RATINGS_PER_USER_PER_HOUR, window=3600,
                    message="您评价得太频繁了，请一小时后再试。")
    if client_address:
        ratelimit.check("rating.address", client_address, limit=RATINGS_PER_ADDRESS_PER_HOUR, window=3600,
                        message="该网络地址提交的评价过多，请稍后再试。")
    comment_status = Rating.CommentStatus.PENDING if comment else Rating.CommentStatus.NONE
    with transaction.atomic():
        # The unique constraint (campaign, organization, user) decides between two parallel first
        # submissions: the loser's insert fails inside its savepoint and it revises the winner's row instead.
        try:
            with transaction.atomic():
                rating = Rating.objects.create(
                    campaign=campaign, organization=organization, user=acting_user, values=cleaned, comment=comment,
                    comment_status=comment_status, client_address=client_address, created_at=now, updated_at=now,
                )
            action, before = "evaluations.rating.submit", None
        except IntegrityError:
            rating = Rating.objects.select_for_update().get(campaign=campaign, organization=organization, user=acting_user)
            before = {"values": rating.values, "comment": rating.comment}
            if rating.comment != comment:
                rating.comment, rating.comment_status = comment, comment_status
            rating.values, rating.updated_at, rating.revisions = cleaned, now, rating.revisions + 1
            rating.save(update_fields=["values", "comment", "comment_status", "updated_at", "revisions"])
            action = "evaluations.rating.revise"
        audit.record(action, actor=acting_user, obj=rating, region=organization.region, before=before,
                     after={"values": cleaned, "comment": comment})
        detect_anomalies(rating)
    return rating


def _flag(ratings, kind: str, detail: str) -> None:
    # ignore_conflicts: a rating already flagged for this reason keeps its one flag.
    Flag.objects.bulk_create([Flag(rating_id=pk, kind=kind, detail=detail) for pk in ratings], ignore_conflicts=True)


def detect_anomalies(rating: Rating) -> None:
    """Flag the rating (and its look-alikes) when it matches a rule; officers decide in the review queue."""
    campaign_ratings = Rating.objects.filter(campaign_id=rating.campaign_id)
    now = rating.updated_at
    if rating.client_address:
        count, window = ADDRESS_BURST
        burst = campaign_ratings.filter(client_address=rating.client_address, created_at__gte=now - window)
        ids = list(burst.values_list("pk", flat=True)[: count * 10])
        if len(ids) >= count:
            _flag(ids, Flag.Kind.ADDRESS_BURST,
                  f"同一地址 {rating.client_address} 在 {int(window.total_seconds() // 60)} 分钟内提交 {len(ids)} 条评价")
    if rating.comment:
        same = list(campaign_ratings.filter(comment=rating.comment).values_list("pk", flat=True)[:200])
        if len(same) >= DUPLICATE_COMMENTS:
            _flag(same, Flag.Kind.DUPLICATE_COMMENT, f"{len(same)} 条评价留言完全相同")
    joined = rating.user.date_joined
    if joined and now - joined < NEW_ACCOUNT_AGE:
        count, window = NEW_ACCOUNT_BURST
        young = campaign_ratings.filter(
            organization_id=rating.organization_id, created_at__gte=now - window,
            user__date_joined__gte=now - NEW_ACCOUNT_AGE,
        )
        ids = list(young.values_list("pk", flat=True)[: count * 10])
        if len(ids) >= count:
            _flag(ids, Flag.Kind.NEW_ACCOUNT_BURST, f"{len(ids)} 个注册不满 7 天的账号在 1 小时内评价同一组织")


@transaction.atomic
def resolve_flags(rating: Rating, *, acting_user, exclude: bool, reason: str) -> Rating:
    """An officer keeps or excludes a flagged rating; the reason is required and logged either way."""
    rating = Rating.objects.select_for_update().select_related("organization__region", "campaign").get(pk=rating.pk)
    if not can_administer_region(acting_user, rating.organization.region):
        raise PermissionDenied("只有该组织所在区划的民政干部可以处理。")
    reason = (reason or "").strip()
    if not reason:
        raise CampaignError("请填写处理理由。")
    if rating.campaign.results_public:
        raise CampaignError("结果已发布，不能再处理评价。")
    now = timezone.now()
    resolution = Flag.Resolution.EXCLUDED if exclude else Flag.Resolution.KEPT
    rating.flags.filter(resolution="").update(resolution=resolution, resolved_by=acting_user, resolved_at=now, reason=reason)
    before = {"excluded": rating.excluded}
    rating.excluded = exclude
    rating.exclusion_reason = reason if exclude else ""
    rating.excluded_by = acting_user if exclude else None
    rating.save(update_fields=["excluded", "exclusion_reason", "excluded_by"])
    audit.record("evaluations.rating.exclude" if exclude else "evaluations.rating.keep", actor=acting_user,
                 obj=rating, region=rating.organization.region, before=before, after={"excluded": exclude}, reason=reason)
    return rating


@transaction.atomic
def moderate_comment(rating: Rating, *, acting_user, approve: bool, reason: str = "") -> Rating:
    rating = Rating.objects.select_for_update().select_related("organization__region", "campaign").get(pk=rating.pk)
    if not can_administer_region(acting_user, rating.organization.region):
        raise PermissionDenied("只有该组织所在区划的民政干部可以审核留言。")
    if not rating.comment:
        raise CampaignError("该评价没有留言。")
    before = {"comment_status": rating.comment_status}
    rating.comment_status = Rating.CommentStatus.APPROVED if approve else Rating.CommentStatus.REJECTED
    rating.save(update_fields=["comment_status"])
    audit.record("evaluations.comment.moderate", actor=acting_user, obj=rating, region=rating.organization.region,
                 before=before, after={"comment_status": rating.comment_status}, reason=reason)
    return rating


# --- officers' and experts' scores ----------------------------------------------------------------------
@transaction.atomic
def declare_conflict(campaign: Campaign, organization: Organization, *, acting_user, has_conflict: bool,
                     statement: str = "") -> ConflictDeclaration:
    if not may_score(acting_user, campaign, organization):
        raise PermissionDenied("您不是本次评价的评分人。")
    if has_conflict and not (statement or "").strip():
        raise ScoringRefused("请说明利益冲突的情况。")
    try:
        with transaction.atomic():
            declaration = ConflictDeclaration.objects.create(
                campaign=campaign, organization=organization, scorer=acting_user, has_conflict=has_conflict,
                statement=(statement or "").strip(),
            )
    except IntegrityError:
        raise ScoringRefused("您已对该组织作出声明，声明不能更改。") from None
    audit.record("evaluations.conflict.declare", actor=acting_user, obj=declaration, region=organization.region,
                 after={"has_conflict": has_conflict, "organization": organization.pk, "statement": declaration.statement})
    return declaration


@transaction.atomic
def submit_score(campaign: Campaign, organization: Organization, *, acting_user, values: dict, notes: dict) -> Score:
    if not may_score(acting_user, campaign, organization):
        raise PermissionDenied("您不是本次评价的评分人。")
    declaration = ConflictDeclaration.objects.filter(campaign=campaign, organization=organization, scorer=acting_user).first()
    if declaration is None:
        raise ScoringRefused("评分前请先声明与该组织是否存在利益冲突。")
    if declaration.has_conflict:
        raise ScoringRefused("您已声明与该组织存在利益冲突，不能为其评分。")
    if campaign.status not in (Campaign.Status.OPEN, Campaign.Status.CLOSED, Campaign.Status.COMPUTED):
        raise ScoringRefused("该评价活动当前不接受评分。")
    if not Result.objects.filter(campaign=campaign, organization=organization).exists():
        raise ScoringRefused("该组织不在本次评价范围内。")
    dimensions = list(campaign.dimensions.all())
    cleaned = _check_values(values, dimensions, 0, lambda dimension: dimension.max_points,
                            lambda message, dimension: ScoringRefused(message))
    cleaned_notes = {}
    for dimension in dimensions:
        note = str(notes.get(str(dimension.pk), "")).strip()
        if not note:
            raise ScoringRefused(f"请填写“{dimension.name}”的评分依据。")
        cleaned_notes[str(dimension.pk)] = note[:1000]
    now = timezone.now()
    score, created = Score.objects.select_for_update().get_or_create(
        campaign=campaign, organization=organization, scorer=acting_user,
        defaults={"values": cleaned, "notes": cleaned_notes, "created_at": now, "updated_at": now},
    )
    before = None
    if not created:
        before = {"values": score.values}
        score.values, score.notes, score.updated_at = cleaned, cleaned_notes, now
        score.save(update_fields=["values", "notes", "updated_at"])
    audit.record("evaluations.score.submit", actor=acting_user, obj=score, region=organization.region,
                 before=before, after={"values": cleaned})
    return score


# --- 等级评估 -----------------------------------------------------------------------------------------------
def grading_problems(organization: Organization, campaign: Campaign) -> list[str]:
    """What keeps an organization out of a 等级评估 (民政部令第39号), each reason in a sentence; [] when eligible.

    "Registered two full years" is read as: established before 1 January of the year two years before the
    campaign's year, so that two whole accounting years (and their annual reports) lie behind it.
    """
    problems = []
    if organization.status != Organization.Status.REGISTERED:
        problems.append(f"组织状态为“{organization.get_status_display()}”，须为已登记的社会组织")
    cutoff = datetime.date(campaign.year - 2, 1, 1)
    if organization.established_on is None or organization.established_on >= cutoff:
        since = f"{organization.established_on:%Y年%m月%d日}" if organization.established_on else "未记载"
        problems.append(f"取得登记证书未满两个年度（成立日期 {since}，须早于 {cutoff:%Y年%m月%d日}）")
    listing = CreditListing.objects.filter(organization=organization, removed_on__isnull=True).first()
    if listing:
        problems.append(f"已被列入{listing.get_kind_display()}（{listing.listed_on:%Y年%m月%d日}）")
    failed = AnnualReport.objects.filter(
        organization=organization, year=campaign.year - 1, status=AnnualReport.Status.FAILED
    ).exists()
    if failed:
        problems.append(f"{campaign.year - 1} 年度报告结论为不合格")
    return problems


@transaction.atomic
def apply_for_grading(campaign: Campaign, organization: Organization, *, acting_user) -> Result:
    if not Membership.objects.filter(user=acting_user, organization=organization).exists():
        raise PermissionDenied("只有本组织的成员可以申请评估。")
    if not campaign.is_grading or not campaign.window_open():
        raise NotEligible(["该等级评估不在申报期内"])
    problems = grading_problems(organization, campaign)
    if problems:
        raise NotEligible(problems)
    districts = {r.path: r for r in Region.objects.filter(level=Region.Level.DISTRICT)}
    try:
        with transaction.atomic():
            result = Result.objects.create(
                campaign=campaign, organization=organization, org_kind=organization.kind,
                district=_district_of(organization.region, districts), applied_by=acting_user, applied_at=timezone.now(),
            )
    except IntegrityError:
        raise NotEligible(["本组织已申请参加本次评估"]) from None
    audit.record("evaluations.grading.apply", actor=acting_user, obj=result, region=organization.region,
                 after={"campaign": campaign.pk, "organization": organization.pk})
    return result


@transaction.atomic
def request_review(result: Result, *, acting_user, reason: str) -> ReviewRequest:
    result = Result.objects.select_for_update().select_related("campaign", "organization__region").get(pk=result.pk)
    if not Membership.objects.filter(user=acting_user, organization_id=result.organization_id).exists():
        raise PermissionDenied("只有本组织的成员可以申请复核。")
    campaign = result.campaign
    if not campaign.in_posting_period():
        raise ReviewRefused("只能在结果公示期内申请复核。" + (f"公示期已于 {campaign.posting_ends_on:%Y年%m月%d日} 结束。" if campaign.posting_ends_on else ""))
    if not (reason or "").strip():
        raise ReviewRefused("请填写复核理由。")
    if result.review_requests.filter(status=ReviewRequest.Status.PENDING).exists():
        raise ReviewRefused("已有一项复核申请在处理中。")
    review = ReviewRequest.objects.create(result=result, requested_by=acting_user, reason=reason.strip())
    audit.record("evaluations.review.request", actor=acting_user, obj=review, region=result.organization.region,
                 after={"reason": review.reason})
    return review


@transaction.atomic
def decide_review(review: ReviewRequest, *, acting_user, change: bool, response: str, new_total=None) -> ReviewRequest:
    review = ReviewRequest.objects.select_for_update().select_related("result__campaign", "result__organization__region").get(pk=review.pk)
    result = review.result
    _require_manager(acting_user, result.campaign)
    if review.status != ReviewRequest.Status.PENDING:
        raise ReviewRefused("该复核申请已处理。")
    if not (response or "").strip():
        raise ReviewRefused("请填写复核意见。")
    before = {"total": str(result.total), "grade": result.grade}
    if change:
        if new_total is None or not 0 <= new_total <= 1000:
            raise ReviewRefused("变更结果须填写 0–1000 的复核后得分。")
        result.total = new_total
        result.grade = result.campaign.grade_for(new_total)
        result.save(update_fields=["total", "grade"])
    review.status = ReviewRequest.Status.CHANGED if change else ReviewRequest.Status.UPHELD
    review.response, review.decided_by, review.decided_at = response.strip(), acting_user, timezone.now()
    review.save(update_fields=["status", "response", "decided_by", "decided_at"])
    audit.record("evaluations.review.decide", actor=acting_user, obj=review, region=result.organization.region,
                 before=before, after={"total": str(result.total), "grade": result.grade, "status": review.status},
                 reason=review.response)
    for membership in Membership.objects.filter(organization_id=result.organization_id).select_related("user"):
        notify.notify(membership.user, "复核申请已处理", f"{review.get_status_display()}：{review.response}",
                      link=f"/evaluations/{result.campaign_id}/")
    return review
