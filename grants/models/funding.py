"""Funding calls (资助计划), grant applications (申报), their review and the awards, tranches, disbursements and
reports that follow (DESIGN.md §4.2). The money rules live in CHECK constraints as well as in the services:
a call's awards never exceed its budget, an award's payments never exceed the award."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from core.files import private_storage, private_upload_path
from core.models import Region, StatusChangeBase
from core.money import MoneyField
from orgs.models import Organization


def default_kinds() -> list[str]:
    return []


class FundingCall(ClusterableModel):
    """A call for applications with a budget, a window, eligibility rules, required documents and a scoring rubric.

    It exists because every grant is given under a call: the call says who may apply, how applications are scored
    and how much money there is. ``awarded_total`` is the sum of the call's awards, kept by the award service
    under the call's row lock; the CHECK makes overspending impossible even for a writer that forgot the lock.
    """

    class Kind(models.TextChoices):
        STARTUP = "startup", _("初创补贴")
        LAUNCH = "launch", _("开办扶持")
        SPECIAL = "special", _("专项扶持")
        REWARD = "reward", _("以奖代补")
        VENTURE = "venture", _("公益创投")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        FINISHED = "finished", _("已结束")

    TRANSITIONS = {
        Status.DRAFT: {Status.PUBLISHED},
        Status.PUBLISHED: {Status.FINISHED},
        Status.FINISHED: set(),
    }

    title = models.CharField(_("计划名称"), max_length=120)
    kind = models.CharField(_("资助类型"), max_length=16, choices=Kind.choices)
    year = models.PositiveIntegerField(_("年度"))
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="funding_calls", verbose_name=_("发布辖区"),
        help_text=_("只有该区划内的组织可以申报；本辖区的民政干部管理该计划。"),
    )
    description = models.TextField(_("计划说明"))
    budget = MoneyField(_("资金总额（元）"))
    max_amount = MoneyField(_("单项资助上限（元）"), null=True, blank=True)
    opens_at = models.DateTimeField(_("申报开始时间"))
    closes_at = models.DateTimeField(_("申报截止时间"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    # Eligibility rules, checked when an application is submitted (grants.eligibility).
    eligible_kinds = models.JSONField(
        _("可申报的组织类型"), default=default_kinds, blank=True, help_text=_("不选则所有类型均可申报。")
    )
    max_months_established = models.PositiveIntegerField(
        _("成立时间不超过（月）"), null=True, blank=True, help_text=_("初创补贴通常为 24 个月；留空则不限。")
    )
    min_months_established = models.PositiveIntegerField(_("成立时间不少于（月）"), null=True, blank=True)
    exclude_credit_listed = models.BooleanField(_("列入信用名录的组织不得申报"), default=True)
    require_residency = models.BooleanField(_("须为孵化基地在孵组织"), default=False)
    # Rules of money after the award.
    tranche_agreement_percent = models.PositiveSmallIntegerField(_("协议签订后拨付（%）"), default=50)
    tranche_midterm_percent = models.PositiveSmallIntegerField(_("中期报告合格后拨付（%）"), default=30)
    tranche_final_percent = models.PositiveSmallIntegerField(_("结项报告合格后拨付（%）"), default=20)
    band_a = models.PositiveSmallIntegerField(_("A 档最低分"), default=85)
    band_b = models.PositiveSmallIntegerField(_("B 档（合格）最低分"), default=60)
    awarded_total = MoneyField(_("已资助金额（元）"), default=Decimal("0"), editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("资助计划")
        verbose_name_plural = _("资助计划")
        ordering = ["-opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gt=0), name="call_budget_positive"),
            models.CheckConstraint(condition=Q(awarded_total__gte=0) & Q(awarded_total__lte=F("budget")),
                                   name="call_awards_within_budget"),
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="call_closes_after_opening"),
            models.CheckConstraint(
                condition=Q(tranche_agreement_percent__lte=100) & Q(tranche_midterm_percent__lte=100)
                & Q(tranche_final_percent__lte=100), name="call_tranche_percents_in_range",
            ),
        ]

    def __str__(self):
        return self.title

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.PUBLISHED and self.opens_at <= now < self.closes_at

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.awarded_total

    def kind_labels(self) -> list[str]:
        labels = dict(Organization.Kind.choices)
        return [str(labels.get(kind, kind)) for kind in self.eligible_kinds or []]

    def tranche_plan(self) -> list[tuple[str, int]]:
        """(condition, percent) of each tranche an award of this call gets, in order; a 0 % stage is left out."""
        plan = [("agreement", self.tranche_agreement_percent), ("midterm", self.tranche_midterm_percent),
                ("final", self.tranche_final_percent)]
        return [(condition, percent) for condition, percent in plan if percent]

    def band_for(self, score) -> str:
        """The report grade for a score out of 100: A, B (both 合格) or C."""
        if score >= self.band_a:
            return "A"
        return "B" if score >= self.band_b else "C"


class CallStatusChange(StatusChangeBase):
    """One move of a call (published, finished). Written only by core.workflow.move."""

    call = models.ForeignKey(FundingCall, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(_("原状态"), max_length=16, choices=FundingCall.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=FundingCall.Status.choices)

    class Meta(StatusChangeBase.Meta):
        verbose_name = _("资助计划状态变更")
        verbose_name_plural = _("资助计划状态变更")


class RequiredDocument(models.Model):
    """One item of a call's document checklist; a required item must be uploaded before an application is
    submitted."""

    sort_order_field = "sort_order"  # the admin's InlinePanel keeps the order the officer drags

    call = ParentalKey(FundingCall, on_delete=models.CASCADE, related_name="required_documents")
    name = models.CharField(_("材料名称"), max_length=80)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    required = models.BooleanField(_("必须提交"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("申报材料要求")
        verbose_name_plural = _("申报材料要求")
        ordering = ["sort_order", "pk"]

    def __str__(self):
        return self.name


class Criterion(models.Model):
    """One line of a call's scoring rubric. Reviewers score it from 0 to ``max_score``; it counts for ``weight``
    of the 100 points, and the weights of a call's criteria must total 100 before the call is published."""

    sort_order_field = "sort_order"  # the admin's InlinePanel keeps the order the officer drags

    call = ParentalKey(FundingCall, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("评分项"), max_length=80)
    description = models.CharField(_("评分要点"), max_length=300, blank=True)
    weight = models.PositiveSmallIntegerField(_("权重（分）"))
    max_score = models.PositiveSmallIntegerField(_("满分"), default=10)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("评分细则")
        verbose_name_plural = _("评分细则")
        ordering = ["sort_order", "pk"]
        constraints = [models.CheckConstraint(condition=Q(max_score__gt=0), name="criterion_max_score_positive")]

    def __str__(self):
        return f"{self.name}（{self.weight} 分）"


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    SCREENING = "screening", _("资格审查")
    REVIEWING = "reviewing", _("评审中")
    SCORED = "scored", _("已评分")
    AWARDED = "awarded", _("获资助")
    DECLINED = "declined", _("未获资助")
    AGREEMENT = "agreement", _("协议签订")
    IN_PROGRESS = "in_progress", _("执行中")
    COMPLETED = "completed", _("结项")
    TERMINATED = "terminated", _("终止")


class GrantApplication(models.Model):
    """An organization's application to a call: the project, its budget lines and targets, its documents, and
    then everything that happens to it — screening, review, the award, the agreement, delivery and closing.

    One per organization per call (a database constraint). ``score``, ``score_min`` and ``score_max`` cache the
    aggregate of the submitted non-conflicted reviews, recomputed by the review service, so the ranking sorts in
    the database. A failed mid-term or final report terminates it (终止) and stops the tranches still due.
    """

    Status = ApplicationStatus
    TRANSITIONS = {
        Status.DRAFT: {Status.SUBMITTED},
        Status.SUBMITTED: {Status.SCREENING, Status.DECLINED},
        Status.SCREENING: {Status.REVIEWING, Status.DECLINED},
        Status.REVIEWING: {Status.SCORED, Status.DECLINED},
        Status.SCORED: {Status.AWARDED, Status.DECLINED, Status.REVIEWING},
        Status.AWARDED: {Status.AGREEMENT},
        Status.AGREEMENT: {Status.IN_PROGRESS},
        Status.IN_PROGRESS: {Status.COMPLETED, Status.TERMINATED},
        Status.DECLINED: set(),
        Status.COMPLETED: set(),
        Status.TERMINATED: set(),
    }
    EDITABLE = {Status.DRAFT}

    call = models.ForeignKey(FundingCall, on_delete=models.PROTECT, related_name="applications", verbose_name=_("资助计划"))
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="grant_applications", verbose_name=_("申报组织")
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("组织所在区划"))
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("经办人"))
    number = models.CharField(_("申报编号"), max_length=24, unique=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    project_title = models.CharField(_("项目名称"), max_length=120)
    summary = models.TextField(_("项目概述"))
    requested_amount = MoneyField(_("申请金额（元）"))
    beneficiaries_target = models.PositiveIntegerField(_("计划服务人数"), default=0)
    activities_target = models.PositiveIntegerField(_("计划开展活动（场次）"), default=0)
    other_targets = models.TextField(_("其他目标"), blank=True)
    starts_on = models.DateField(_("项目开始日期"), null=True, blank=True)
    ends_on = models.DateField(_("项目结束日期"), null=True, blank=True)
    contact_name = models.CharField(_("项目联系人"), max_length=40, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    eligibility = models.JSONField(_("资格审查结果"), default=list, blank=True)
    screening_note = models.TextField(_("资格审查意见"), blank=True)
    score = models.DecimalField(_("评审得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    score_min = models.DecimalField(_("最低分"), max_digits=6, decimal_places=2, null=True, blank=True)
    score_max = models.DecimalField(_("最高分"), max_digits=6, decimal_places=2, null=True, blank=True)
    score_count = models.PositiveSmallIntegerField(_("有效评审数"), default=0)
    decision_note = models.TextField(_("评审结论说明"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("资助申报")
        verbose_name_plural = _("资助申报")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["call", "status"], name="grantapp_call_status_idx")]
        constraints = [
            models.UniqueConstraint(fields=["call", "organization"], name="one_application_per_call"),
            models.CheckConstraint(condition=Q(requested_amount__gt=0), name="grantapp_requested_positive"),
        ]

    def __str__(self):
        return f"{self.number} {self.project_title}"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def spread(self):
        if self.score_min is None or self.score_max is None:
            return None
        return self.score_max - self.score_min


class ApplicationStatusChange(StatusChangeBase):
    """One move of a grant application: who, when, from, to, why."""

    application = models.ForeignKey(GrantApplication, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(_("原状态"), max_length=16, choices=ApplicationStatus.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=ApplicationStatus.choices)

    class Meta(StatusChangeBase.Meta):
        verbose_name = _("申报状态变更")
        verbose_name_plural = _("申报状态变更")


class BudgetLine(models.Model):
    """One line of an application's budget; the lines must add up to the requested amount at submission."""

    application = models.ForeignKey(GrantApplication, on_delete=models.CASCADE, related_name="budget_lines")
    item = models.CharField(_("支出科目"), max_length=80)
    amount = MoneyField(_("金额（元）"))
    note = models.CharField(_("测算依据"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("预算明细")
        verbose_name_plural = _("预算明细")
        ordering = ["sort_order", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="budget_line_positive")]

    def __str__(self):
        return f"{self.item} {self.amount}"


class PrivateFile(models.Model):
    """What every uploaded file of this app keeps: stored privately under a random name, its original name,
    type by content, size and SHA-256 (DESIGN.md §5)."""

    file = models.FileField(_("文件"), storage=private_storage, upload_to=private_upload_path)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return self.original_name


class ApplicationDocument(PrivateFile):
    """A file attached to an application against an item of the call's checklist."""

    application = models.ForeignKey(GrantApplication, on_delete=models.CASCADE, related_name="documents")
    requirement = models.ForeignKey(RequiredDocument, on_delete=models.PROTECT, related_name="+", verbose_name=_("材料"))

    class Meta(PrivateFile.Meta):
        verbose_name = _("申报材料")
        verbose_name_plural = _("申报材料")


class Review(models.Model):
    """A reviewer's assignment to one application and, once declared and scored, their review of it.

    The reviewer first declares a conflict of interest or its absence (ConflictDeclaration); a declared conflict
    closes the review (``conflicted``), hides the application from them and leaves their scores out of the
    aggregate. ``total`` is their weighted score out of 100."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("待声明")
        CONFLICTED = "conflicted", _("已回避")
        DECLARED = "declared", _("待评分")
        SUBMITTED = "submitted", _("已提交")
        WITHDRAWN = "withdrawn", _("已撤回")

    TRANSITIONS = {
        Status.ASSIGNED: {Status.CONFLICTED, Status.DECLARED, Status.WITHDRAWN},
        Status.DECLARED: {Status.SUBMITTED, Status.WITHDRAWN},
        Status.CONFLICTED: set(),
        Status.SUBMITTED: set(),
        Status.WITHDRAWN: set(),
    }

    application = models.ForeignKey(GrantApplication, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grant_reviews",
                                 verbose_name=_("评审专家"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.ASSIGNED)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(_("分配时间"), default=timezone.now)
    total = models.DecimalField(_("加权得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("总体意见"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评审")
        verbose_name_plural = _("评审")
        ordering = ["assigned_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["application", "reviewer"], name="one_review_per_reviewer")]

    def __str__(self):
        return f"{self.reviewer} / {self.application}"


class ReviewStatusChange(StatusChangeBase):
    """One move of a review (declared, conflicted, submitted, withdrawn). Written only by core.workflow.move."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(_("原状态"), max_length=16, choices=Review.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=Review.Status.choices)

    class Meta(StatusChangeBase.Meta):
        verbose_name = _("评审状态变更")
        verbose_name_plural = _("评审状态变更")


class ConflictDeclaration(models.Model):
    """A reviewer's statement, before the application opens to them, that they have or have not a conflict of
    interest with the applicant. Never changed once made; the audit log records it too."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="declaration")
    has_conflict = models.BooleanField(_("存在利益冲突"))
    statement = models.TextField(_("说明"), blank=True)
    declared_at = models.DateTimeField(_("声明时间"), default=timezone.now)

    class Meta:
        verbose_name = _("利益冲突声明")
        verbose_name_plural = _("利益冲突声明")

    def __str__(self):
        return "存在利益冲突" if self.has_conflict else "无利益冲突"


class ReviewScore(models.Model):
    """A reviewer's score on one criterion with the written rationale for it."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=1)
    rationale = models.TextField(_("评分理由"))

    class Meta:
        verbose_name = _("评分")
        verbose_name_plural = _("评分")
        ordering = ["criterion__sort_order", "criterion_id"]
        constraints = [models.UniqueConstraint(fields=["review", "criterion"], name="one_score_per_criterion")]

    def __str__(self):
        return f"{self.criterion.name} {self.score}"


class Award(models.Model):
    """The money a call gives one application, the agreement that follows and the running total paid.

    ``paid_total`` is the sum of the award's disbursements (payments positive, clawbacks negative), kept by the
    payment service under the award's row lock; the CHECK keeps it between zero and the amount."""

    application = models.OneToOneField(GrantApplication, on_delete=models.PROTECT, related_name="award")
    amount = MoneyField(_("资助金额（元）"))
    paid_total = MoneyField(_("已拨付（元）"), default=Decimal("0"))
    awarded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    awarded_at = models.DateTimeField(_("资助决定时间"), default=timezone.now)
    agreement_number = models.CharField(_("协议编号"), max_length=40, blank=True)
    agreement_signed_on = models.DateField(_("协议签订日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("资助")
        verbose_name_plural = _("资助")
        ordering = ["-awarded_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="award_amount_positive"),
            models.CheckConstraint(condition=Q(paid_total__gte=0) & Q(paid_total__lte=F("amount")),
                                   name="award_paid_within_amount"),
        ]

    def __str__(self):
        return f"{self.application.number} ¥{self.amount}"


class Tranche(models.Model):
    """One instalment of an award and the condition that releases it: the agreement, a 合格 mid-term report, a
    合格 final report. A failed report stops the tranches after it."""

    class Condition(models.TextChoices):
        AGREEMENT = "agreement", _("协议签订后")
        MIDTERM = "midterm", _("中期报告合格后")
        FINAL = "final", _("结项报告合格后")

    class Status(models.TextChoices):
        PENDING = "pending", _("待拨付")
        PAID = "paid", _("已拨付")
        STOPPED = "stopped", _("已停止")

    TRANSITIONS = {Status.PENDING: {Status.PAID, Status.STOPPED}, Status.PAID: set(), Status.STOPPED: set()}

    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="tranches")
    sequence = models.PositiveSmallIntegerField(_("期次"))
    condition = models.CharField(_("拨付条件"), max_length=16, choices=Condition.choices)
    percent = models.PositiveSmallIntegerField(_("比例（%）"))
    amount = MoneyField(_("金额（元）"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    stopped_reason = models.CharField(_("停止原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("分期拨付")
        verbose_name_plural = _("分期拨付")
        ordering = ["award_id", "sequence"]
        constraints = [models.UniqueConstraint(fields=["award", "sequence"], name="one_tranche_per_sequence")]

    def __str__(self):
        return f"第 {self.sequence} 期 {self.amount}"


class TrancheStatusChange(StatusChangeBase):
    """One move of a tranche (paid, or stopped by a failed report). Written only by core.workflow.move."""

    tranche = models.ForeignKey(Tranche, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(_("原状态"), max_length=16, choices=Tranche.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=Tranche.Status.choices)

    class Meta(StatusChangeBase.Meta):
        verbose_name = _("拨付状态变更")
        verbose_name_plural = _("拨付状态变更")


class Disbursement(models.Model):
    """Money that moved under an award: a tranche paid (positive) or a clawback (negative, with a reason). Rows
    are only added, never edited; the award's ``paid_total`` is their sum."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("拨付")
        CLAWBACK = "clawback", _("追回")

    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="disbursements")
    tranche = models.OneToOneField(Tranche, on_delete=models.PROTECT, null=True, blank=True, related_name="disbursement")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    amount = MoneyField(_("金额（元）"))
    paid_on = models.DateField(_("拨付（追回）日期"))
    reference = models.CharField(_("凭证号"), max_length=60, blank=True)
    reason = models.CharField(_("说明"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("拨付记录")
        verbose_name_plural = _("拨付记录")
        ordering = ["paid_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="payment") & Q(amount__gt=0) & Q(tranche__isnull=False))
                | (Q(kind="clawback") & Q(amount__lt=0) & Q(tranche__isnull=True) & ~Q(reason="")),
                name="disbursement_sign_matches_kind",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


class GrantReport(models.Model):
    """A mid-term or final report of a funded project: what was achieved against the targets, with evidence, and
    the officer's assessment (score out of 100, graded by the call's bands; A and B are 合格)."""

    class Kind(models.TextChoices):
        MIDTERM = "midterm", _("中期报告")
        FINAL = "final", _("结项报告")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        ASSESSED = "assessed", _("已评定")

    TRANSITIONS = {Status.DRAFT: {Status.SUBMITTED}, Status.SUBMITTED: {Status.ASSESSED, Status.DRAFT},
                   Status.ASSESSED: set()}

    class Grade(models.TextChoices):
        A = "A", _("A（合格）")
        B = "B", _("B（合格）")
        C = "C", _("C（不合格）")

    application = models.ForeignKey(GrantApplication, on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField(_("报告类型"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    beneficiaries_reached = models.PositiveIntegerField(_("实际服务人数"), default=0)
    activities_held = models.PositiveIntegerField(_("实际开展活动（场次）"), default=0)
    spent_amount = MoneyField(_("已使用资金（元）"), default=Decimal("0"))
    outcomes = models.TextField(_("项目成效"))
    problems = models.TextField(_("存在问题及改进"), blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("评定分数"), null=True, blank=True)
    grade = models.CharField(_("评定等级"), max_length=1, choices=Grade.choices, blank=True)
    assessment = models.TextField(_("评定意见"), blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    assessed_at = models.DateTimeField(_("评定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("项目报告")
        verbose_name_plural = _("项目报告")
        ordering = ["application_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["application", "kind"], name="one_report_per_kind"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__lte=100), name="report_score_at_most_100"),
        ]

    def __str__(self):
        return f"{self.application.number} {self.get_kind_display()}"

    @property
    def passed(self) -> bool:
        return self.status == self.Status.ASSESSED and self.grade in (self.Grade.A, self.Grade.B)


class ReportStatusChange(StatusChangeBase):
    """One move of a report (submitted, returned, assessed). Written only by core.workflow.move."""

    report = models.ForeignKey(GrantReport, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(_("原状态"), max_length=16, choices=GrantReport.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=GrantReport.Status.choices)

    class Meta(StatusChangeBase.Meta):
        verbose_name = _("报告状态变更")
        verbose_name_plural = _("报告状态变更")


class ReportDocument(PrivateFile):
    """Evidence attached to a report: photos, sign-in sheets, receipts."""

    report = models.ForeignKey(GrantReport, on_delete=models.CASCADE, related_name="documents")

    class Meta(PrivateFile.Meta):
        verbose_name = _("报告佐证材料")
        verbose_name_plural = _("报告佐证材料")
