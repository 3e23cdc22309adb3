"""五比五看 public evaluations and the formal 等级评估 (民政部令第39号), on one set of tables (DESIGN.md §4.5).

A :class:`Campaign` has dimensions, a window and a scope. The public rate organizations in scope
(:class:`Rating`, 1–5 per dimension); officers and experts score them (:class:`Score`, 0–100, or the
dimension's points for a 等级评估) after declaring any conflict (:class:`ConflictDeclaration`). Suspicious
ratings are flagged (:class:`Flag`) for an officer to keep or exclude. Results (:class:`Result`, one row per
organization in scope) are computed as a background task, reviewed and published; a 等级评估 then has a
public posting period in which an organization may ask for a review (:class:`ReviewRequest`, 复核), and
finally confers grades that are written onto the organization for five years.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from core.models import Region, StatusChangeBase
from orgs.models import Organization

PUBLIC_DIMENSIONS = [
    ("比政治立场看谁更爱党", "坚持党的领导，党组织建设和党建活动开展情况。"),
    ("比核心价值观看谁更爱国", "践行社会主义核心价值观，弘扬正能量，遵纪守法。"),
    ("比敬业奉献看谁更爱民", "服务群众的态度、频次与成效，群众满意程度。"),
    ("比助推发展看谁更爱贵阳", "参与基层治理、助力经济社会发展的贡献。"),
    ("比专业规范看谁更爱公益", "内部治理规范、财务透明、专业服务能力。"),
]
# 民政部令第39号 indicators on a 1000-point scale (the weights used for 社会团体 and 社会服务机构 in Guizhou's
# rubric); for 社会服务机构 the third is called 业务活动和诚信建设.
GRADING_DIMENSIONS = [
    ("基础条件", "法人资格、章程、登记事项、年度报告等。", 60),
    ("内部治理", "组织机构、人力资源、财务资产、档案证章、党建等。", 380),
    ("工作绩效", "业务活动、服务成效、诚信建设（社会服务机构为“业务活动和诚信建设”）。", 420),
    ("社会评价", "内部评价、公众评价、管理部门评价及表彰奖励。", 140),
]


class Campaign(ClusterableModel):
    """One 五比五看 campaign or one round of 等级评估: the rules every rating, score and result hangs off.

    It exists because the rules change from year to year (dimensions, weights, the minimum number of raters,
    grade bands), and each year's results must be read against the rules they were computed with.
    """

    class Kind(models.TextChoices):
        PUBLIC = "public", _("五比五看")
        GRADING = "grading", _("等级评估")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已截止")
        COMPUTED = "computed", _("结果待发布")
        PUBLISHED = "published", _("已发布")
        FINALIZED = "finalized", _("已定级")

    TRANSITIONS = {
        Status.DRAFT: {Status.OPEN},
        Status.OPEN: {Status.CLOSED},
        Status.CLOSED: {Status.COMPUTED},
        Status.COMPUTED: {Status.COMPUTED, Status.PUBLISHED},
        Status.PUBLISHED: {Status.FINALIZED},
    }

    class ComputeState(models.TextChoices):
        NONE = "", _("未计算")
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("计算中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.PUBLIC)
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("名称"), max_length=120)
    description = models.TextField(_("说明"), blank=True)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("范围（区划）"),
        help_text=_("本区划及其下级区划的社会组织在范围内。"),
    )
    scope_kinds = models.JSONField(
        _("组织类型"), default=list, blank=True, help_text=_("留空为全部类型。")
    )
    scope_funded = models.BooleanField(
        _("仅限获得资助的组织"), default=False,
        help_text=_("勾选后只评价获得孵化资助（资助计划已作出资助决定）的组织。"),
    )
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("截止时间"))
    public_weight = models.PositiveSmallIntegerField(
        _("群众评价权重（%）"), default=40, validators=[MaxValueValidator(100)],
        help_text=_("其余为干部、专家评分权重。等级评估不采用群众评价，填 0。"),
    )
    min_raters = models.PositiveIntegerField(_("有效结果最少评价人数"), default=30)
    band_excellent = models.PositiveSmallIntegerField(_("优秀分数线"), default=90, validators=[MaxValueValidator(100)])
    band_good = models.PositiveSmallIntegerField(_("良好分数线"), default=80, validators=[MaxValueValidator(100)])
    band_pass = models.PositiveSmallIntegerField(_("合格分数线"), default=60, validators=[MaxValueValidator(100)])
    posting_days = models.PositiveSmallIntegerField(_("公示天数"), default=7, help_text=_("等级评估结果公示期，公示期内可申请复核。"))
    experts = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="expert_campaigns", verbose_name=_("评审专家"),
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    compute_state = models.CharField(_("计算状态"), max_length=16, choices=ComputeState.choices, blank=True, default="")
    compute_progress = models.PositiveSmallIntegerField(_("计算进度（%）"), default=0)
    compute_message = models.CharField(_("计算说明"), max_length=300, blank=True)
    computed_at = models.DateTimeField(_("计算完成时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    posting_ends_on = models.DateField(_("公示截止日期"), null=True, blank=True)
    finalized_at = models.DateTimeField(_("定级时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("评价活动")
        verbose_name_plural = _("评价活动")
        ordering = ["-year", "-opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(closes_at__gt=models.F("opens_at")), name="campaign_window_order"),
            models.UniqueConstraint(fields=["kind", "year", "region"], name="one_campaign_per_kind_year_region"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_grading(self) -> bool:
        return self.kind == self.Kind.GRADING

    def window_open(self, at=None) -> bool:
        at = at or timezone.now()
        return self.status == self.Status.OPEN and self.opens_at <= at <= self.closes_at

    @property
    def official_weight(self) -> int:
        return 100 - self.public_weight

    @property
    def results_public(self) -> bool:
        return self.status in RESULTS_PUBLIC

    def grade_for(self, total) -> str:
        """The grade a total earns: 优秀/良好/合格/不合格 by this campaign's bands, or for a 等级评估 the 39号令
        bands on 1000 points: 5A ≥ 950, 4A 901–950, 3A 851–900, 2A 801–850, 1A below."""
        if total is None:
            return ""
        if self.is_grading:
            if total >= 950:
                return Result.Grade.A5
            for floor, grade in ((900, Result.Grade.A4), (850, Result.Grade.A3), (800, Result.Grade.A2)):
                if total > floor:
                    return grade
            return Result.Grade.A1
        if total >= self.band_excellent:
            return Result.Grade.EXCELLENT
        if total >= self.band_good:
            return Result.Grade.GOOD
        if total >= self.band_pass:
            return Result.Grade.PASS
        return Result.Grade.FAIL

    def in_posting_period(self, day=None) -> bool:
        day = day or timezone.localdate()
        return (
            self.is_grading and self.status == self.Status.PUBLISHED
            and self.posting_ends_on is not None and day <= self.posting_ends_on
        )


# The states in which a campaign's results are public (the ranking, the reports, the open data download).
RESULTS_PUBLIC = (Campaign.Status.PUBLISHED, Campaign.Status.FINALIZED)


class CampaignStatusChange(StatusChangeBase):
    """One move of a campaign through its workflow (who, when, from, to, why)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="history", verbose_name=_("评价活动"))
    from_status = models.CharField(_("原状态"), max_length=16, choices=Campaign.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=Campaign.Status.choices)

    class Meta(StatusChangeBase.Meta):
        verbose_name = _("评价活动状态变更")
        verbose_name_plural = _("评价活动状态变更")


class Dimension(Orderable):
    """One thing a campaign judges (比敬业奉献看谁更爱民; 内部治理 …), with the description raters read.

    Editable per campaign; ``max_points`` is the officers' and experts' scale for it (100 in 五比五看, the
    indicator's share of 1000 in 等级评估). The public always rates 1–5.
    """

    campaign = ParentalKey(Campaign, on_delete=models.CASCADE, related_name="dimensions", verbose_name=_("评价活动"))
    name = models.CharField(_("维度"), max_length=60)
    description = models.TextField(_("说明"), blank=True)
    max_points = models.PositiveSmallIntegerField(_("满分"), default=100, validators=[MinValueValidator(1)])

    class Meta(Orderable.Meta):
        verbose_name = _("评价维度")
        verbose_name_plural = _("评价维度")

    def __str__(self):
        return self.name


class Rating(models.Model):
    """One member of the public's rating of one organization in one campaign: 1–5 on each dimension.

    One per person per organization per campaign (a database constraint), revisable while the window is open.
    It is never deleted: a suspicious rating is excluded with a reason and stays on record.
    """

    class CommentStatus(models.TextChoices):
        NONE = "", _("无留言")
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已公开")
        REJECTED = "rejected", _("不予公开")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("评价活动"))
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("社会组织")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("评价人")
    )
    values = models.JSONField(_("各维度评分"), default=dict, help_text=_("维度编号 → 1–5 分"))
    comment = models.TextField(_("留言"), blank=True, max_length=500)
    comment_status = models.CharField(
        _("留言状态"), max_length=16, choices=CommentStatus.choices, blank=True, default=CommentStatus.NONE
    )
    client_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    created_at = models.DateTimeField(_("评价时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)
    revisions = models.PositiveSmallIntegerField(_("修改次数"), default=0)
    excluded = models.BooleanField(_("已剔除"), default=False)
    exclusion_reason = models.TextField(_("剔除理由"), blank=True)
    excluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("剔除人"),
    )

    class Meta:
        verbose_name = _("群众评价")
        verbose_name_plural = _("群众评价")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "organization", "user"], name="one_rating_per_person"),
        ]
        indexes = [
            models.Index(fields=["campaign", "organization"], name="rating_campaign_org_idx"),
            models.Index(fields=["campaign", "client_address", "created_at"], name="rating_address_idx"),
        ]

    def __str__(self):
        return f"{self.user} → {self.organization}（{self.campaign.year}）"


class Flag(models.Model):
    """A rating that looks dishonest, waiting for an officer: keep it, or exclude it with a reason.

    It exists so that anomalies are reviewed by a person and recorded, never dropped silently by a rule.
    """

    class Kind(models.TextChoices):
        ADDRESS_BURST = "address_burst", _("同一地址短时间内大量评价")
        DUPLICATE_COMMENT = "duplicate_comment", _("留言内容雷同")
        NEW_ACCOUNT_BURST = "new_account_burst", _("新注册账号集中评价")

    class Resolution(models.TextChoices):
        OPEN = "", _("待处理")
        KEPT = "kept", _("保留")
        EXCLUDED = "excluded", _("剔除")

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="flags", verbose_name=_("评价"))
    kind = models.CharField(_("异常类型"), max_length=24, choices=Kind.choices)
    detail = models.CharField(_("说明"), max_length=300)
    created_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    resolution = models.CharField(_("处理结果"), max_length=16, choices=Resolution.choices, blank=True, default="")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("处理人"),
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    reason = models.TextField(_("处理理由"), blank=True)

    class Meta:
        verbose_name = _("异常评价标记")
        verbose_name_plural = _("异常评价标记")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["rating", "kind"], name="one_flag_per_rating_and_kind")]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.rating}"


class ConflictDeclaration(models.Model):
    """An officer's or expert's statement, before scoring an organization, that they have or have not a
    conflict of interest with it. A declared conflict bars them from scoring it; either way it is recorded."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="declarations", verbose_name=_("评价活动"))
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("社会组织"))
    scorer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("评分人"))
    has_conflict = models.BooleanField(_("存在利益冲突"))
    statement = models.TextField(_("说明"), blank=True)
    declared_at = models.DateTimeField(_("声明时间"), default=timezone.now)

    class Meta:
        verbose_name = _("利益冲突声明")
        verbose_name_plural = _("利益冲突声明")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "organization", "scorer"], name="one_declaration_per_scorer"),
        ]

    def __str__(self):
        return f"{self.scorer} / {self.organization}：{'存在利益冲突' if self.has_conflict else '无利益冲突'}"


class Score(models.Model):
    """An officer's or expert's score of one organization on each dimension, with the evidence for each."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="scores", verbose_name=_("评价活动"))
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("社会组织"))
    scorer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("评分人"))
    values = models.JSONField(_("各维度得分"), default=dict)
    notes = models.JSONField(_("评分依据"), default=dict)
    created_at = models.DateTimeField(_("评分时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    class Meta:
        verbose_name = _("干部专家评分")
        verbose_name_plural = _("干部专家评分")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "organization", "scorer"], name="one_score_per_scorer"),
        ]

    def __str__(self):
        return f"{self.scorer} → {self.organization}"


class Result(models.Model):
    """One organization's place in one campaign: in scope from the start (五比五看) or from its application
    (等级评估); the figures fill in when results are computed and become public when the campaign publishes.

    It exists so that a year's result stays as it was computed and published, for the profile's history.
    """

    class Grade(models.TextChoices):
        EXCELLENT = "excellent", _("优秀")
        GOOD = "good", _("良好")
        PASS = "pass", _("合格")
        FAIL = "fail", _("不合格")
        A5 = "5A", _("5A")
        A4 = "4A", _("4A")
        A3 = "3A", _("3A")
        A2 = "2A", _("2A")
        A1 = "1A", _("1A")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="results", verbose_name=_("评价活动"))
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="evaluation_results", verbose_name=_("社会组织")
    )
    org_kind = models.CharField(_("组织类型"), max_length=24, choices=Organization.Kind.choices)
    district = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("所在区县")
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("申请人"),
    )
    applied_at = models.DateTimeField(_("申请时间"), null=True, blank=True)
    public_raters = models.PositiveIntegerField(_("群众评价人数"), default=0)
    excluded_ratings = models.PositiveIntegerField(_("剔除评价数"), default=0)
    public_means = models.JSONField(_("群众评价各维度均分"), default=dict)
    public_score = models.DecimalField(_("群众评价得分"), max_digits=7, decimal_places=2, null=True, blank=True)
    scorers = models.PositiveIntegerField(_("干部专家评分人数"), default=0)
    official_means = models.JSONField(_("干部专家各维度均分"), default=dict)
    official_score = models.DecimalField(_("干部专家得分"), max_digits=7, decimal_places=2, null=True, blank=True)
    total = models.DecimalField(_("综合得分"), max_digits=7, decimal_places=2, null=True, blank=True)
    valid = models.BooleanField(_("结果有效"), default=False)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    rank_in_kind = models.PositiveIntegerField(_("同类排名"), null=True, blank=True)
    rank_in_district = models.PositiveIntegerField(_("区县内排名"), null=True, blank=True)
    grade = models.CharField(_("等级"), max_length=16, choices=Grade.choices, blank=True)
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评价结果")
        verbose_name_plural = _("评价结果")
        ordering = ["rank_in_kind", "organization__name"]
        constraints = [models.UniqueConstraint(fields=["campaign", "organization"], name="one_result_per_organization")]
        indexes = [models.Index(fields=["campaign", "valid", "total"], name="result_ranking_idx")]

    def __str__(self):
        return f"{self.organization} · {self.campaign}"


class ReviewRequest(models.Model):
    """An organization's request for review (复核) of its 等级评估 result, allowed only in the posting period.
    The officer upholds the result or changes the total; the grade follows the total."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待处理")
        UPHELD = "upheld", _("维持原结果")
        CHANGED = "changed", _("变更结果")

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="review_requests", verbose_name=_("评价结果"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人"))
    reason = models.TextField(_("复核理由"))
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    response = models.TextField(_("复核意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("处理人")
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("复核申请")
        verbose_name_plural = _("复核申请")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["result"], condition=models.Q(status="pending"), name="one_pending_review_per_result"
            ),
        ]

    def __str__(self):
        return f"复核：{self.result}（{self.get_status_display()}）"

