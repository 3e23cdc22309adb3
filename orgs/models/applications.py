"""Applications to register, file, change or deregister an organization, their status history, documents and
the certificates that approvals issue."""

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.files import private_storage, private_upload_path
from core.models import Region, StatusChangeBase
from core.money import MoneyField

from ..codes import validate_id_number
from .organizations import Organization, ServiceField


class Application(models.Model):
    """One request from an organization (or its founders) to the registration authority, moved through one
    state machine: 草稿 → 已提交 → 已受理 / 不予受理 → 审查中 ⇄ 需补正 → 准予 / 不予.

    It exists so that every registration act has a record of what was asked, what was attached, who decided
    what and when, and how long the statutory review has left. For 成立登记 and 备案 it carries the proposed
    organization's particulars; approval creates the Organization from them. For 变更 it carries the new
    particulars; for 注销 the statement of reasons.
    """

    class Kind(models.TextChoices):
        ESTABLISH = "establish", _("成立登记")
        FILING = "filing", _("备案")
        CHANGE = "change", _("变更登记")
        DEREGISTER = "deregister", _("注销登记")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        ACCEPTED = "accepted", _("已受理")
        REJECTED = "rejected", _("不予受理")
        REVIEWING = "reviewing", _("审查中")
        CORRECTION = "correction", _("需补正")
        APPROVED = "approved", _("准予")
        DENIED = "denied", _("不予")

    # The map every move is checked against (core.workflow.move).
    TRANSITIONS = {
        Status.DRAFT: {Status.SUBMITTED},
        Status.SUBMITTED: {Status.ACCEPTED, Status.REJECTED},
        Status.ACCEPTED: {Status.REVIEWING},
        Status.REVIEWING: {Status.CORRECTION, Status.APPROVED, Status.DENIED},
        Status.CORRECTION: {Status.REVIEWING},
    }
    OPEN = [Status.SUBMITTED, Status.ACCEPTED, Status.REVIEWING, Status.CORRECTION]
    EDITABLE = [Status.DRAFT, Status.CORRECTION]

    class FoundationType(models.TextChoices):
        NONE = "", _("不适用")
        NON_PUBLIC = "non_public", _("非公募基金会")
        LOCAL_PUBLIC = "local_public", _("地方性公募基金会")

    kind = models.CharField(_("申请事项"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="org_applications", verbose_name=_("申请人")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="applications",
        verbose_name=_("组织"),
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("住所所在区划"),
        help_text=_("决定由哪一级民政部门（或社区服务中心）办理。"),
    )
    # The proposed particulars (成立、备案、变更).
    name = models.CharField(_("拟定名称"), max_length=120)
    org_kind = models.CharField(_("组织类型"), max_length=24, choices=Organization.Kind.choices)
    nature = models.CharField(
        _("性质"), max_length=16, choices=Organization.Nature.choices, default=Organization.Nature.PUBLIC_BENEFIT
    )
    foundation_type = models.CharField(
        _("基金会类型"), max_length=16, choices=FoundationType.choices, blank=True, default=FoundationType.NONE
    )
    direct_category = models.CharField(
        _("直接登记类别"), max_length=24, choices=Organization.DirectCategory.choices, blank=True, default=""
    )
    business_supervisor = models.CharField(_("业务主管单位"), max_length=80, blank=True)
    legal_representative = models.CharField(_("法定代表人（负责人）姓名"), max_length=40, blank=True)
    legal_representative_id_number = models.CharField(
        _("法定代表人（负责人）公民身份号码"), max_length=18, blank=True, validators=[validate_id_number]
    )
    domicile = models.CharField(_("住所"), max_length=200, blank=True)
    purpose = models.TextField(_("宗旨"), blank=True)
    business_scope = models.TextField(_("业务范围"), blank=True)
    activity_area = models.CharField(_("活动地域"), max_length=80, blank=True)
    funds = MoneyField(_("注册资金（元）"), null=True, blank=True)
    individual_members = models.PositiveIntegerField(_("个人会员数"), default=0)
    unit_members = models.PositiveIntegerField(_("单位会员数"), default=0)
    is_charity = models.BooleanField(_("申请认定为慈善组织"), default=False)
    contact_phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    service_fields = models.ManyToManyField(ServiceField, blank=True, related_name="+", verbose_name=_("服务领域"))
    statement = models.TextField(_("申请事项说明"), blank=True, help_text=_("变更的事项和理由，或注销的原因。"))
    committee_opinion = models.TextField(
        _("居（村）委会意见"), blank=True, help_text=_("备案前由社区服务中心听取并记录。")
    )
    # The decision trail.
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    due_on = models.DateField(_("法定办结期限"), null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decision_reason = models.TextField(_("决定理由"), blank=True)
    correction_items = models.TextField(_("需补正的内容"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("登记备案申请")
        verbose_name_plural = _("登记备案申请")
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["status", "due_on"], name="application_queue_idx")]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.name}"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def statutory_days(self) -> int:
        """60 days from acceptance; 30 for a charity (慈善法 第十条)."""
        return 30 if self.is_charity else 60

    def days_left(self, today: datetime.date | None = None) -> int | None:
        if self.due_on is None or self.status not in self.OPEN:
            return None
        return (self.due_on - (today or timezone.localdate())).days

    def required_documents(self) -> list[tuple[str, str]]:
        from ..requirements import required_documents

        return required_documents(self)


class StatusChange(StatusChangeBase):
    """One move of an application: who, when, from, to, why. Written only by core.workflow.move."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(_("原状态"), max_length=16, choices=Application.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=Application.Status.choices)

    class Meta(StatusChangeBase.Meta):
        verbose_name = _("申请状态变更")
        verbose_name_plural = _("申请状态变更")


class ApplicationDocument(models.Model):
    """A file attached to an application against one item of its checklist, stored privately with its SHA-256."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    requirement = models.CharField(_("材料"), max_length=32)
    file = models.FileField(_("文件"), storage=private_storage, upload_to=private_upload_path)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["requirement", "-uploaded_at"]

    def __str__(self):
        return self.original_name

    @property
    def requirement_label(self) -> str:
        from ..requirements import DOCUMENTS

        return DOCUMENTS.get(self.requirement, self.requirement)


def new_verification_code() -> str:
    return secrets.token_urlsafe(12)


class Certificate(models.Model):
    """A 登记证书 or 备案回执 issued on approval. Its public verification page (via the QR code) says whether it
    is valid today; a change voids it and issues a new one, a deregistration voids it."""

    class Kind(models.TextChoices):
        REGISTRATION = "registration", _("登记证书")
        FILING = "filing", _("备案回执")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="certificates")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="certificates")
    kind = models.CharField(_("种类"), max_length=16, choices=Kind.choices)
    number = models.CharField(_("编号"), max_length=40, unique=True)
    verification_code = models.CharField(max_length=24, unique=True, default=new_verification_code, editable=False)
    issued_on = models.DateField(_("发证日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    issuer = models.CharField(_("发证机关"), max_length=80)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    void_reason = models.CharField(_("作废原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("证书")
        verbose_name_plural = _("证书")
        ordering = ["-issued_on", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"

    def is_valid_on(self, day: datetime.date) -> bool:
        if self.voided_at is not None:
            return False
        return self.valid_until is None or day <= self.valid_until
