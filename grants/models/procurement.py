"""Government purchase of public services (政府购买服务, DESIGN.md §4.3; 《政府购买服务管理办法》财政部令第102号).

A purchaser (a government department or a community service centre) buys a service of the guiding catalogue
through a procurement project: announced with a budget and a bid window, bid on by eligible organizations with
sealed bids, scored by 综合评分法 (a price score plus reviewers' technical scores), awarded, then contracted. The
contract carries every term Art. 23 requires, deliverables with numeric targets, a milestone payment schedule,
amendments, delivery logs, payments, social money leveraged and, at the end, a performance evaluation whose
grade sets the last payment and feeds the provider's eligibility in later projects. Each event appends an OCDS
release (:class:`OcdsRelease`), never edited.

Money rules live in CHECK constraints as well as in the services: a contract's payments never exceed its value.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from core.models import Region, StatusChangeBase
from core.money import MoneyField
from orgs.models import Organization

from .funding import PrivateFile, Review, default_kinds


class ServiceCategory(models.Model):
    """An item of the guiding catalogue (政府购买服务指导性目录). It exists because Art. 9–11 of 财政部令第102号 only
    allow buying services listed in the catalogue; administrators keep it, every project names one item."""

    code = models.CharField(_("目录编码"), max_length=16, unique=True, help_text=_("如 A01、B0203。"))
    name = models.CharField(_("名称"), max_length=60)
    description = models.TextField(_("说明"), blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("可用"), default=True, help_text=_("停用的目录项不能用于新的采购项目。"))

    class Meta:
        verbose_name = _("购买服务目录")
        verbose_name_plural = _("购买服务目录")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Purchaser(models.Model):
    """A government department or community service centre that buys services (购买主体). It sits in the region
    tree so that the officers of that jurisdiction run its projects and contracts."""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("政府部门")
        CENTRE = "centre", _("社区服务中心")
        INSTITUTION = "institution", _("事业单位")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="purchasers", verbose_name=_("所在区划"))
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=40)
    contact_phone = models.CharField(_("联系电话"), max_length=20)

    class Meta:
        verbose_name = _("购买主体")
        verbose_name_plural = _("购买主体")
        ordering = ["region__path", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="one_purchaser_name_per_region")]

    def __str__(self):
        return self.name


class ProcurementMethod(models.TextChoices):
    OPEN = "open", _("公开招标")
    INVITED = "invited", _("邀请招标")
    NEGOTIATION = "negotiation", _("竞争性谈判")
    CONSULTATION = "consultation", _("竞争性磋商")
    SINGLE = "single", _("单一来源")
    INQUIRY = "inquiry", _("询价")


# The fewest valid bids with which each method may go on to evaluation; fewer means 流标. 3 is the rule of the
# 招标投标法/政府采购法 family; 竞争性磋商 for purchased services may go on with 2 (财库〔2015〕124号), 单一来源 needs 1.
MINIMUM_BIDS = {
    ProcurementMethod.OPEN: 3, ProcurementMethod.INVITED: 3, ProcurementMethod.NEGOTIATION: 3,
    ProcurementMethod.CONSULTATION: 2, ProcurementMethod.SINGLE: 1, ProcurementMethod.INQUIRY: 3,
}


class ProviderGrade(models.TextChoices):
    """The lowest grade a provider needs: its latest published 五比五看 grade and its latest contract performance
    grade must both reach it (where it has one)."""

    NONE = "", _("不限")
    PASS = "pass", _("合格")
    GOOD = "good", _("良好")
    EXCELLENT = "excellent", _("优秀")


GRADE_RANK = {"fail": 0, "pass": 1, "good": 2, "excellent": 3}  # nosec B105 - "pass" is the grade 合格, not a password


class ProcurementProject(ClusterableModel):
    """One purchase of a service: who buys, what (a catalogue item), with which budget line, how (the method),
    from whom (eligibility), when (the bid window) and how bids are scored (price weight and the technical rubric).

    It exists because every bid, award and contract hangs from it and the public announcement is its page. The
    window is enforced on the server: a bid is accepted only while ``now < bids_close_at``, and no officer sees a
    bid's price before that moment (grants.permissions.unsealed_bids)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("计划")
        ANNOUNCED = "announced", _("已公告")
        CLOSED = "closed", _("投标截止")
        EVALUATING = "evaluating", _("评审")
        AWARDED = "awarded", _("已中标")
        CONTRACTED = "contracted", _("已签约")
        FAILED = "failed", _("流标")
        CANCELLED = "cancelled", _("已取消")

    TRANSITIONS = {
        Status.PLANNED: {Status.ANNOUNCED, Status.CANCELLED},
        Status.ANNOUNCED: {Status.CLOSED, Status.CANCELLED},
        Status.CLOSED: {Status.EVALUATING, Status.FAILED, Status.CANCELLED},
        Status.EVALUATING: {Status.AWARDED, Status.FAILED, Status.CANCELLED},
        Status.AWARDED: {Status.CONTRACTED, Status.CANCELLED},
        Status.CONTRACTED: set(),
        Status.FAILED: set(),
        Status.CANCELLED: set(),
    }
    PUBLIC = [Status.ANNOUNCED, Status.CLOSED, Status.EVALUATING, Status.AWARDED, Status.CONTRACTED, Status.FAILED,
              Status.CANCELLED]
    Method = ProcurementMethod

    number = models.CharField(_("项目编号"), max_length=24, unique=True, editable=False)
    title = models.CharField(_("项目名称"), max_length=120)
    purchaser = models.ForeignKey(Purchaser, on_delete=models.PROTECT, related_name="projects", verbose_name=_("购买主体"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("辖区"),
                               editable=False, help_text=_("购买主体所在区划，用于权限范围。"))
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="projects",
                                 verbose_name=_("目录项"))
    budget = MoneyField(_("预算金额（元）"))
    budget_line = models.CharField(
        _("预算科目及资金来源"), max_length=200,
        help_text=_("财政部令第102号第十二条：购买服务须先有预算，如“2026年民政局部门预算·社会福利·养老服务”。"),
    )
    method = models.CharField(_("采购方式"), max_length=16, choices=ProcurementMethod.choices)
    description = models.TextField(_("服务需求"))
    service_period = models.CharField(_("服务期限"), max_length=60, help_text=_("如“合同签订之日起 12 个月”。"))
    eligible_kinds = models.JSONField(_("可投标的组织类型"), default=default_kinds, blank=True,
                                      help_text=_("不选则所有类型均可投标。"))
    exclude_credit_listed = models.BooleanField(_("列入信用名录的组织不得投标"), default=True)
    min_grade = models.CharField(_("最低评价等级"), max_length=16, choices=ProviderGrade.choices, blank=True, default="",
                                 help_text=_("组织最近一次五比五看等级和最近一次合同绩效评价等级均须达到。"))
    bids_open_at = models.DateTimeField(_("投标开始时间"), null=True, blank=True)
    bids_close_at = models.DateTimeField(_("投标截止时间"), null=True, blank=True)
    price_weight = models.PositiveSmallIntegerField(
        _("价格分权重（%）"), default=30, validators=[MinValueValidator(10), MaxValueValidator(90)],
        help_text=_("综合评分法：价格分与技术分权重合计 100；服务项目价格分权重一般为 10%–30%。"),
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PLANNED, db_index=True)
    winning_bid = models.OneToOneField("Bid", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                       verbose_name=_("中标投标"))
    announced_at = models.DateTimeField(_("公告时间"), null=True, blank=True)
    awarded_at = models.DateTimeField(_("中标公告时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("采购项目")
        verbose_name_plural = _("采购项目")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gt=0), name="procurement_budget_positive"),
            models.CheckConstraint(
                condition=Q(bids_open_at__isnull=True) | Q(bids_close_at__isnull=True)
                | Q(bids_close_at__gt=F("bids_open_at")), name="procurement_closes_after_opening"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def technical_weight(self) -> int:
        return 100 - (self.price_weight or 0)

    @property
    def minimum_bids(self) -> int:
        return MINIMUM_BIDS[self.method]

    def accepting_bids(self, now=None) -> bool:
        now = now or timezone.now()
        return (self.status == self.Status.ANNOUNCED and self.bids_open_at is not None
                and self.bids_open_at <= now < self.bids_close_at)

    def is_sealed(self, now=None) -> bool:
        """Bids stay sealed until the window closes (whatever the status says)."""
        now = now or timezone.now()
        return self.bids_close_at is None or now < self.bids_close_at

    def kind_labels(self) -> list[str]:
        labels = dict(Organization.Kind.choices)
        return [str(labels.get(kind, kind)) for kind in self.eligible_kinds or []]


class ProjectStatusChange(StatusChangeBase):
    """One move of a procurement project. Written only by core.workflow.move."""

    project = models.ForeignKey(ProcurementProject, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(_("原状态"), max_length=16, choices=ProcurementProject.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=ProcurementProject.Status.choices)

    class Meta(StatusChangeBase.Meta):
        verbose_name = _("采购项目状态变更")
        verbose_name_plural = _("采购项目状态变更")


class TechnicalCriterion(models.Model):
    """One item of a project's technical rubric; the weights total 100 (the technical score out of 100, which the
    project's technical weight then scales)."""

    sort_order_field = "sort_order"  # the admin's InlinePanel keeps the order the officer drags

    project = ParentalKey(ProcurementProject, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("评分项"), max_length=60)
    description = models.CharField(_("评分标准"), max_length=300, blank=True)
    weight = models.PositiveSmallIntegerField(_("分值"), validators=[MinValueValidator(1), MaxValueValidator(100)])
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("技术评分项")
        verbose_name_plural = _("技术评分项")
        ordering = ["sort_order", "pk"]

    def __str__(self):
        return f"{self.name}（{self.weight} 分）"


class ProjectDocument(PrivateFile):
    """A public document of the project (采购文件, 需求说明) with its SHA-256, so a bidder can prove which text
    they bid on. Stored privately and served by the announcement page once the project is announced."""

    project = models.ForeignKey(ProcurementProject, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("标题"), max_length=120)

    class Meta(PrivateFile.Meta):
        verbose_name = _("采购文件")
        verbose_name_plural = _("采购文件")


class Bid(models.Model):
    """An organization's offer: a price and a proposal. One per organization per project, revisable until the
    deadline (the service checks the clock at the moment of saving). Sealed until the window closes.

    ``valid`` is decided at bid opening (开标): a price above the budget, or an organization no longer eligible,
    makes the bid invalid with the reason kept. The scores are filled in by the ranking."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已投标")
        WITHDRAWN = "withdrawn", _("已撤回")

    project = models.ForeignKey(ProcurementProject, on_delete=models.PROTECT, related_name="bids")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="bids",
                                     verbose_name=_("投标组织"))
    price = MoneyField(_("投标报价（元）"))
    proposal = models.TextField(_("服务方案"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("首次投标时间"), default=timezone.now)
    revised_at = models.DateTimeField(_("最后修改时间"), default=timezone.now)
    revisions = models.PositiveIntegerField(_("修改次数"), default=0)
    valid = models.BooleanField(_("有效投标"), null=True, blank=True)
    invalid_reason = models.CharField(_("无效原因"), max_length=200, blank=True)
    price_score = models.DecimalField(_("价格分"), max_digits=6, decimal_places=2, null=True, blank=True)
    technical_score = models.DecimalField(_("技术分（百分制）"), max_digits=6, decimal_places=2, null=True, blank=True)
    total_score = models.DecimalField(_("综合得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    rank = models.PositiveIntegerField(_("排名"), null=True, blank=True)

    class Meta:
        verbose_name = _("投标")
        verbose_name_plural = _("投标")
        ordering = ["rank", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "organization"], name="one_bid_per_organization"),
            models.CheckConstraint(condition=Q(price__gt=0), name="bid_price_positive"),
        ]

    def __str__(self):
        return f"{self.project.number} / {self.organization}"


class BidDocument(PrivateFile):
    """A file of a bid's proposal, stored privately with its SHA-256; sealed with the bid."""

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="documents")

    class Meta(PrivateFile.Meta):
        verbose_name = _("投标文件")
        verbose_name_plural = _("投标文件")


class BidReview(models.Model):
    """A reviewer's assignment to one bid: first a conflict declaration (the bidder is named, nothing else), then
    a score on each technical criterion with a rationale. Same workflow as a grant review (grants.models.Review)."""

    # The same workflow as a grant review: one set of states and moves for both.
    Status = Review.Status
    TRANSITIONS = Review.TRANSITIONS

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bid_reviews",
                                 verbose_name=_("评审专家"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.ASSIGNED)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(_("分配时间"), default=timezone.now)
    has_conflict = models.BooleanField(_("存在利益冲突"), null=True, blank=True)
    conflict_statement = models.TextField(_("利益冲突说明"), blank=True)
    declared_at = models.DateTimeField(_("声明时间"), null=True, blank=True)
    total = models.DecimalField(_("技术得分（百分制）"), max_digits=6, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("总体意见"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("投标评审")
        verbose_name_plural = _("投标评审")
        ordering = ["assigned_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["bid", "reviewer"], name="one_bid_review_per_reviewer")]

    def __str__(self):
        return f"{self.reviewer} / {self.bid}"


class BidReviewStatusChange(StatusChangeBase):
    """One move of a bid review. Written only by core.workflow.move."""

    review = models.ForeignKey(BidReview, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(_("原状态"), max_length=16, choices=BidReview.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=BidReview.Status.choices)

    class Meta(StatusChangeBase.Meta):
        verbose_name = _("投标评审状态变更")
        verbose_name_plural = _("投标评审状态变更")


class BidScore(models.Model):
    """A reviewer's score on one technical criterion (0 to the criterion's points) with its rationale."""

    review = models.ForeignKey(BidReview, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(TechnicalCriterion, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=1)
    rationale = models.TextField(_("评分理由"))

    class Meta:
        verbose_name = _("技术评分")
        verbose_name_plural = _("技术评分")
        ordering = ["criterion__sort_order", "criterion_id"]
        constraints = [models.UniqueConstraint(fields=["review", "criterion"], name="one_bid_score_per_criterion")]

    def __str__(self):
        return f"{self.criterion.name} {self.score}"


class Contract(models.Model):
    """The purchase contract (政府购买服务合同) between the purchaser and the winning organization.

    Art. 23 of 财政部令第102号 requires 服务内容, 期限, 数量, 质量, 价格, 资金结算方式, 双方权利义务 and 违约责任: each is a
    field here and signing refuses a contract missing any of them, naming it. The term is at most one year, or three
    for a continuing service (Art. 24). ``paid_total`` is the sum of payments, kept under the contract's row lock,
    and the CHECK keeps it within the value."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("待签订")
        ACTIVE = "active", _("履行中")
        COMPLETED = "completed", _("已完成")
        TERMINATED = "terminated", _("已终止")

    TRANSITIONS = {
        Status.DRAFT: {Status.ACTIVE},
        Status.ACTIVE: {Status.COMPLETED, Status.TERMINATED},
        Status.COMPLETED: set(),
        Status.TERMINATED: set(),
    }
    # (field, label) of the terms Art. 23 requires, in the order the article names them.
    ARTICLE_23 = [
        ("service_content", "服务内容"), ("ends_on", "服务期限"), ("quantity", "服务数量"), ("quality", "服务质量"),
        ("value", "合同价格"), ("settlement", "资金结算方式"), ("rights_obligations", "双方权利义务"),
        ("liability", "违约责任"),
    ]

    project = models.OneToOneField(ProcurementProject, on_delete=models.PROTECT, related_name="contract")
    bid = models.OneToOneField(Bid, on_delete=models.PROTECT, related_name="contract")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="contracts",
                                     verbose_name=_("承接主体"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", editable=False)
    number = models.CharField(_("合同编号"), max_length=24, unique=True, editable=False)
    title = models.CharField(_("合同名称"), max_length=120)
    service_content = models.TextField(_("服务内容"), blank=True)
    starts_on = models.DateField(_("服务开始日期"), null=True, blank=True)
    ends_on = models.DateField(_("服务结束日期"), null=True, blank=True)
    continuing = models.BooleanField(_("跨年度连续服务"), default=False,
                                     help_text=_("财政部令第102号第二十四条：连续性服务合同期限可超过一年，但不超过三年。"))
    quantity = models.TextField(_("服务数量"), blank=True)
    quality = models.TextField(_("服务质量"), blank=True)
    value = MoneyField(_("合同价格（元）"), null=True, blank=True)
    settlement = models.TextField(_("资金结算方式"), blank=True)
    rights_obligations = models.TextField(_("双方权利义务"), blank=True)
    liability = models.TextField(_("违约责任"), blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    signed_on = models.DateField(_("签订日期"), null=True, blank=True)
    paid_total = MoneyField(_("已支付（元）"), default=Decimal("0"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("购买服务合同")
        verbose_name_plural = _("购买服务合同")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(value__isnull=True) | Q(value__gt=0), name="contract_value_positive"),
            models.CheckConstraint(condition=Q(paid_total__gte=0) & (Q(value__isnull=True) | Q(paid_total__lte=F("value"))),
                                   name="contract_paid_within_value"),
            models.CheckConstraint(condition=Q(starts_on__isnull=True) | Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                                   name="contract_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def unpaid(self) -> Decimal:
        return (self.value or Decimal("0")) - self.paid_total

    # Derived, not stored: a page that shows them prefetches ``deliverables`` and ``matching_funds``.
    @property
    def people_reached(self) -> int:
        """服务对象人数: what the 服务人数 targets have delivered."""
        return sum(d.delivered for d in self.deliverables.all() if d.kind == Deliverable.Kind.PEOPLE)

    @property
    def matching_total(self) -> Decimal:
        """撬动社会资金: the sum of the social money recorded for the contract."""
        return sum((fund.amount for fund in self.matching_funds.all()), Decimal("0"))


class ContractStatusChange(StatusChangeBase):
    """One move of a contract. Written only by core.workflow.move."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(_("原状态"), max_length=16, choices=Contract.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=Contract.Status.choices)

    class Meta(StatusChangeBase.Meta):
        verbose_name = _("合同状态变更")
        verbose_name_plural = _("合同状态变更")


class Deliverable(models.Model):
    """A numeric target of the contract (people served, visits, hours …) and what has been delivered against
    it, the sum of its delivery logs kept by the logging service."""

    class Kind(models.TextChoices):
        PEOPLE = "people", _("服务人数")
        VISITS = "visits", _("服务人次")
        HOURS = "hours", _("服务时长")
        SESSIONS = "sessions", _("活动场次")
        OTHER = "other", _("其他")

    UNITS = {"people": "人", "visits": "人次", "hours": "小时", "sessions": "场"}

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="deliverables")
    kind = models.CharField(_("指标类型"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("指标名称"), max_length=80)
    unit = models.CharField(_("单位"), max_length=12)
    target = models.PositiveIntegerField(_("目标值"), validators=[MinValueValidator(1), MaxValueValidator(10_000_000)])
    delivered = models.PositiveIntegerField(_("已完成"), default=0)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("服务指标")
        verbose_name_plural = _("服务指标")
        ordering = ["sort_order", "pk"]

    def __str__(self):
        return f"{self.name} {self.target}{self.unit}"

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.delivered / self.target)) if self.target else 0


class DeliveryLog(PrivateFile):
    """What the organization delivered against one target on a date, with evidence (sign-in sheets, photos)
    stored privately with its SHA-256. Entries are never edited: a wrong entry is corrected by a negative one."""

    deliverable = models.ForeignKey(Deliverable, on_delete=models.CASCADE, related_name="logs")
    quantity = models.IntegerField(_("完成数量"))
    delivered_on = models.DateField(_("服务日期"))
    description = models.TextField(_("服务记录"))

    class Meta(PrivateFile.Meta):
        verbose_name = _("履约记录")
        verbose_name_plural = _("履约记录")


class Milestone(models.Model):
    """One instalment of the payment schedule: the amounts add up to the contract value (checked at signing and
    at each amendment). The organization reports it delivered, the purchaser confirms it, then it is paid. The final
    milestone's payable amount follows the performance evaluation's grade."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待交付")
        SUBMITTED = "submitted", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        PAID = "paid", _("已支付")

    TRANSITIONS = {
        Status.PENDING: {Status.SUBMITTED, Status.CONFIRMED},
        Status.SUBMITTED: {Status.CONFIRMED, Status.PENDING},
        Status.CONFIRMED: {Status.PAID},
        Status.PAID: set(),
    }

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="milestones")
    sequence = models.PositiveSmallIntegerField(_("期次"))
    title = models.CharField(_("节点"), max_length=80)
    due_on = models.DateField(_("计划日期"))
    amount = MoneyField(_("支付金额（元）"))
    final = models.BooleanField(_("尾款（与绩效评价挂钩）"), default=False)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    report = models.TextField(_("交付说明"), blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("付款节点")
        verbose_name_plural = _("付款节点")
        ordering = ["sequence", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "sequence"], name="one_milestone_per_sequence"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="milestone_amount_not_negative"),
        ]

    def __str__(self):
        return f"第 {self.sequence} 期 {self.title}"


class MilestoneStatusChange(StatusChangeBase):
    """One move of a milestone. Written only by core.workflow.move."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(_("原状态"), max_length=16, choices=Milestone.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=Milestone.Status.choices)

    class Meta(StatusChangeBase.Meta):
        verbose_name = _("付款节点状态变更")
        verbose_name_plural = _("付款节点状态变更")


class ContractPayment(models.Model):
    """Money paid to the provider against a confirmed milestone (recorded from the treasury's voucher)."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="payments")
    milestone = models.OneToOneField(Milestone, on_delete=models.PROTECT, related_name="payment")
    amount = MoneyField(_("支付金额（元）"))
    paid_on = models.DateField(_("支付日期"))
    voucher = models.CharField(_("凭证号"), max_length=40, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("合同支付")
        verbose_name_plural = _("合同支付")
        ordering = ["paid_on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="contract_payment_not_negative")]

    def __str__(self):
        return f"{self.contract.number} ¥{self.amount}"


class ContractAmendment(models.Model):
    """A change to a signed contract with its reason: which terms changed from what to what. The contract row
    holds the current terms; this is the record of how they got there (OCDS ``contract.amendments``)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="amendments")
    sequence = models.PositiveSmallIntegerField(_("序号"))
    reason = models.TextField(_("变更理由"))
    changes = models.JSONField(_("变更内容"), default=dict)
    amended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amended_at = models.DateTimeField(_("变更时间"), default=timezone.now)

    class Meta:
        verbose_name = _("合同变更")
        verbose_name_plural = _("合同变更")
        ordering = ["sequence"]
        constraints = [models.UniqueConstraint(fields=["contract", "sequence"], name="one_amendment_per_sequence")]

    def __str__(self):
        return f"{self.contract.number} 变更 {self.sequence}"


class MatchingFund(models.Model):
    """Social money the provider raised for the contracted service (撬动社会资金): donations, its own funds,
    in-kind support valued in 元. ``Contract.matching_total`` is their sum."""

    class Source(models.TextChoices):
        DONATION = "donation", _("社会捐赠")
        OWN = "own", _("自有资金")
        ENTERPRISE = "enterprise", _("企业配套")
        IN_KIND = "in_kind", _("物资折价")

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="matching_funds")
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    funder = models.CharField(_("出资方"), max_length=100)
    amount = MoneyField(_("金额（元）"))
    received_on = models.DateField(_("到位日期"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("撬动社会资金")
        verbose_name_plural = _("撬动社会资金")
        ordering = ["received_on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="matching_fund_positive")]

    def __str__(self):
        return f"{self.funder} ¥{self.amount}"


class PerformanceEvaluation(models.Model):
    """The performance evaluation (绩效评价) at the end of a contract: indicators under 决策, 过程, 产出, 效益 and
    满意度 with weights totalling 100, scored by the purchaser and optionally a third party; the satisfaction
    indicators come from the survey of the people served. The final score's grade sets the final milestone's
    payment (PAYMENT_PERCENT) and is the provider's latest performance grade for later projects' eligibility."""

    class Status(models.TextChoices):
        OPEN = "open", _("评价中")
        FINISHED = "finished", _("已完成")

    class Grade(models.TextChoices):
        EXCELLENT = "excellent", _("优秀")
        GOOD = "good", _("良好")
        PASS = "pass", _("合格")
        FAIL = "fail", _("不合格")

    TRANSITIONS = {Status.OPEN: {Status.FINISHED}, Status.FINISHED: set()}

    # Score floors of each grade and the share of the final milestone each grade releases. The floors are those
    # of 财预〔2020〕10号 (优秀 ≥ 90, 良好 80–89, 合格 60–79); the shares are this portal's default policy, recorded
    # in the README: 合格 keeps back 20 % of the last instalment, 不合格 all of it.
    FLOORS = [(90, Grade.EXCELLENT), (80, Grade.GOOD), (60, Grade.PASS)]
    PAYMENT_PERCENT = {Grade.EXCELLENT: 100, Grade.GOOD: 100, Grade.PASS: 80, Grade.FAIL: 0}

    contract = models.OneToOneField(Contract, on_delete=models.CASCADE, related_name="evaluation")
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    third_party = models.CharField(_("第三方评价机构"), max_length=100, blank=True)
    survey_token = models.CharField(_("满意度调查口令"), max_length=32, unique=True)
    survey_closes_at = models.DateTimeField(_("满意度调查截止"))
    satisfaction = models.DecimalField(_("满意度（百分制）"), max_digits=5, decimal_places=2, null=True, blank=True)
    final_score = models.DecimalField(_("综合得分"), max_digits=5, decimal_places=2, null=True, blank=True)
    grade = models.CharField(_("等级"), max_length=16, choices=Grade.choices, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("绩效评价")
        verbose_name_plural = _("绩效评价")
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"{self.contract.number} 绩效评价"

    @classmethod
    def grade_for(cls, score) -> str:
        for floor, grade in cls.FLOORS:
            if score >= floor:
                return grade
        return cls.Grade.FAIL

    @property
    def responses(self) -> int:
        """How many served people have answered the survey."""
        return self.survey_responses.count()

    def survey_open(self, now=None) -> bool:
        return self.status == self.Status.OPEN and (now or timezone.now()) < self.survey_closes_at


class EvaluationStatusChange(StatusChangeBase):
    """The finishing of a performance evaluation (评价中 → 已完成). Written only by core.workflow.move."""

    evaluation = models.ForeignKey(PerformanceEvaluation, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(_("原状态"), max_length=16, choices=PerformanceEvaluation.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=PerformanceEvaluation.Status.choices)

    class Meta(StatusChangeBase.Meta):
        verbose_name = _("绩效评价状态变更")
        verbose_name_plural = _("绩效评价状态变更")


class Indicator(models.Model):
    """One indicator of an evaluation with its dimension and weight (the weights total 100)."""

    class Dimension(models.TextChoices):
        DECISION = "decision", _("决策")
        PROCESS = "process", _("过程")
        OUTPUT = "output", _("产出")
        EFFECT = "effect", _("效益")
        SATISFACTION = "satisfaction", _("满意度")

    evaluation = models.ForeignKey(PerformanceEvaluation, on_delete=models.CASCADE, related_name="indicators")
    dimension = models.CharField(_("一级指标"), max_length=16, choices=Dimension.choices)
    name = models.CharField(_("指标"), max_length=80)
    weight = models.PositiveSmallIntegerField(_("分值"), validators=[MinValueValidator(1), MaxValueValidator(100)])
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("绩效指标")
        verbose_name_plural = _("绩效指标")
        ordering = ["sort_order", "pk"]

    def __str__(self):
        return f"{self.get_dimension_display()}·{self.name}（{self.weight} 分）"


class IndicatorScore(models.Model):
    """A score (0 to the indicator's points) given by the purchaser or the third party, with a note."""

    class Assessor(models.TextChoices):
        PURCHASER = "purchaser", _("购买主体")
        THIRD_PARTY = "third_party", _("第三方")

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="scores")
    assessor = models.CharField(_("评价方"), max_length=16, choices=Assessor.choices)
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=1)
    note = models.CharField(_("评分说明"), max_length=300, blank=True)
    scored_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scored_at = models.DateTimeField(_("评分时间"), default=timezone.now)

    class Meta:
        verbose_name = _("绩效评分")
        verbose_name_plural = _("绩效评分")
        constraints = [models.UniqueConstraint(fields=["indicator", "assessor"], name="one_score_per_assessor")]

    def __str__(self):
        return f"{self.indicator.name} {self.score}"


class SatisfactionResponse(models.Model):
    """One served person's answer to the satisfaction survey. The phone number is kept only as a keyed digest
    (HMAC with the secret key) so that the unique constraint allows one answer per number without storing it."""

    evaluation = models.ForeignKey(PerformanceEvaluation, on_delete=models.CASCADE, related_name="survey_responses")
    phone_digest = models.CharField(max_length=64)
    rating = models.PositiveSmallIntegerField(_("满意度"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.CharField(_("意见建议"), max_length=300, blank=True)
    answered_at = models.DateTimeField(_("答卷时间"), default=timezone.now)

    class Meta:
        verbose_name = _("满意度答卷")
        verbose_name_plural = _("满意度答卷")
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "phone_digest"], name="one_survey_answer_per_phone"),
            models.CheckConstraint(condition=Q(rating__gte=1) & Q(rating__lte=5), name="survey_rating_range"),
        ]

    def __str__(self):
        return f"{self.evaluation} {self.rating}"


class SurveyCode(models.Model):
    """A text-message code sent to a phone to answer one survey (keyed digests only; expires in 10 minutes)."""

    evaluation = models.ForeignKey(PerformanceEvaluation, on_delete=models.CASCADE, related_name="+")
    phone_digest = models.CharField(max_length=64)
    code_digest = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(default=timezone.now)
    used = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("满意度调查验证码")
        verbose_name_plural = _("满意度调查验证码")
        indexes = [models.Index(fields=["evaluation", "phone_digest", "sent_at"], name="survey_code_idx")]

    def __str__(self):
        return f"{self.evaluation} {self.sent_at:%Y-%m-%d %H:%M}"


class OcdsRelease(models.Model):
    """One Open Contracting Data Standard 1.1 release, appended at each event of a project or its contract and
    never edited (the append-only triggers of migrations 0007 and 0009 refuse UPDATE and DELETE). ``data`` is the complete
    release as published; ``date`` is what ``?since=`` filters on."""

    project = models.ForeignKey(ProcurementProject, on_delete=models.PROTECT, related_name="releases")
    ocid = models.CharField(max_length=80, db_index=True)
    release_id = models.CharField(max_length=120, unique=True)
    date = models.DateTimeField(db_index=True)
    tags = models.JSONField()
    data = models.JSONField()

    class Meta:
        verbose_name = _("OCDS 发布")
        verbose_name_plural = _("OCDS 发布")
        ordering = ["date", "pk"]

    def __str__(self):
        return self.release_id
