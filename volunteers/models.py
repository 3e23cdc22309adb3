"""爱心银行 (DESIGN.md §4.4): volunteers, activities and shifts, sign-ups, service records and their corrections,
the points ledger (accounts and append-only transfers), merchants, rewards and vouchers, 好市民 awards and
志愿服务证明 certificates.

Points are whole numbers. A service record earns ``round(minutes × points per hour ÷ 60)`` points, half up
(decided here: whole points keep the ledger exact on every database and are what volunteers and merchants
count in; minutes keep the hours exact).
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Region, StatusChangeBase
from orgs.codes import mask_id_number, validate_id_number
from orgs.models import Organization, ServiceField


def _code(length: int = 10) -> str:
    """A random code without look-alike characters (no 0/O, 1/I/L), for vouchers and check-in secrets."""
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def hours_of(minutes: int):
    """Minutes as hours for people: 2 rather than 2.0, 1.5, 1.33."""
    hours = round(minutes / 60, 2)
    return int(hours) if hours == int(hours) else hours


def _token() -> str:
    """32 URL-safe characters for a certificate's verification link."""
    return secrets.token_urlsafe(24)


class ServiceCategory(models.Model):
    """A kind of volunteer service with its points rule (points per verified hour).

    A table so that the bureau sets the rule per category without a release: 一般志愿服务 earns 1 point an
    hour, 专业志愿服务 (doctors, lawyers, social workers) 3. An activity copies the rate when it is created,
    so changing the rule later never changes points already promised.
    """

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=40, unique=True)
    points_per_hour = models.PositiveSmallIntegerField(_("每小时积分"), default=1)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=100)

    class Meta:
        verbose_name = _("志愿服务类别")
        verbose_name_plural = _("志愿服务类别")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class Volunteer(models.Model):
    """A registered volunteer (实名注册, 《志愿服务条例》第七条): real name, ID number, phone, region, skills.

    The ID number is stored once, here, and shown masked everywhere except to the volunteer and to officers
    of the volunteer's region, each of whose unmasked views is audited. The name appears in public rankings
    only with the volunteer's consent. ``pseudonymized_at`` marks an erasure request: the personal fields are
    replaced while the records and the ledger, which refer to this row, keep balancing.
    """

    class IdType(models.TextChoices):
        RESIDENT = "resident", _("居民身份证")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="volunteer", verbose_name=_("用户")
    )
    number = models.CharField(_("志愿者编号"), max_length=20, unique=True)
    real_name = models.CharField(_("真实姓名"), max_length=40)
    id_type = models.CharField(_("证件类型"), max_length=16, choices=IdType.choices, default=IdType.RESIDENT)
    id_number = models.CharField(
        _("公民身份号码"), max_length=18, unique=True, null=True, blank=True, validators=[validate_id_number]
    )
    phone = models.CharField(_("联系电话"), max_length=11)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在区划"))
    skills = models.CharField(_("技能特长"), max_length=200, blank=True, help_text=_("如：医疗、法律、心理咨询、驾驶，用顿号分隔。"))
    public_name_consent = models.BooleanField(_("同意在排行榜等公开场合显示姓名"), default=False)
    registered_at = models.DateTimeField(_("注册时间"), default=timezone.now)
    pseudonymized_at = models.DateTimeField(_("匿名化时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")
        ordering = ["number"]

    def __str__(self):
        return f"{self.masked_name}（{self.number}）"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number) if self.id_number else "—"

    @property
    def masked_name(self) -> str:
        """张** — how a name appears where the volunteer has not consented to showing it."""
        name = self.real_name or ""
        return (name[:1] + "*" * max(1, len(name) - 1)) if name else "志愿者"

    @property
    def public_name(self) -> str:
        return self.real_name if self.public_name_consent and not self.pseudonymized_at else self.masked_name


class Activity(models.Model):
    """A volunteer activity (志愿服务活动) organized by an organization or by a community, held in shifts.

    Who organizes it records and certifies its service (《志愿服务记录与证明出具办法》): members of the
    organization, or officers whose jurisdiction covers the community. ``points_per_hour`` is copied from
    the category when the activity is created.
    """

    class Status(models.TextChoices):
        PUBLISHED = "published", _("招募中")
        CANCELLED = "cancelled", _("已取消")

    title = models.CharField(_("活动名称"), max_length=120)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="activities",
        verbose_name=_("组织单位"), help_text=_("由社区组织的活动可不填。"),
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("活动区划"))
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="activities", verbose_name=_("服务类别"))
    service_field = models.ForeignKey(
        ServiceField, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("服务领域")
    )
    summary = models.CharField(_("简介"), max_length=200)
    description = models.TextField(_("活动内容"), blank=True)
    points_per_hour = models.PositiveSmallIntegerField(_("每小时积分"))
    cancel_cutoff_hours = models.PositiveSmallIntegerField(
        _("取消截止（开始前小时数）"), default=24, help_text=_("开始前这么多小时内不能再自行取消报名。")
    )
    contact_name = models.CharField(_("联系人"), max_length=40)
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PUBLISHED)
    starts_on = models.DateField(_("首个班次日期"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("创建人")
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("志愿服务活动")
        verbose_name_plural = _("志愿服务活动")
        ordering = ["-starts_on", "-pk"]
        indexes = [models.Index(fields=["status", "starts_on"], name="activity_status_start_idx")]

    def __str__(self):
        return self.title

    @property
    def organizer_name(self) -> str:
        return self.organization.name if self.organization_id else f"{self.region.name}（社区）"


class Shift(models.Model):
    """One session of an activity (班次): time, place, capacity and the skills it asks for.

    ``confirmed`` counts confirmed sign-ups and a CHECK keeps it within ``capacity``, so even a bug in a
    service cannot overbook; ``next_position`` hands out arrival numbers, so the waitlist promotes in the order
    people came. ``checkin_secret`` seeds the rotating on-site code the volunteers scan.
    """

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("活动"))
    starts_at = models.DateTimeField(_("开始时间"), db_index=True)
    ends_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("地点"), max_length=120)
    capacity = models.PositiveIntegerField(_("名额"))
    skills = models.CharField(_("技能要求"), max_length=120, blank=True)
    confirmed = models.PositiveIntegerField(_("已确认人数"), default=0)
    next_position = models.PositiveIntegerField(default=1)
    checkin_secret = models.CharField(max_length=32, default=_code, editable=False)

    class Meta:
        verbose_name = _("班次")
        verbose_name_plural = _("班次")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(confirmed__lte=F("capacity")), name="shift_never_overbooked"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.activity} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def open_places(self) -> int:
        return max(0, self.capacity - self.confirmed)


class SignUp(models.Model):
    """A volunteer's place on a shift: confirmed or on the waitlist, in arrival order; then attendance.

    One row per volunteer and shift. Cancelling keeps the row (status 已取消); signing up again later takes a
    new arrival number. Check-in and check-out times are recorded here; check-out produces the service record.
    """

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("已确认")
        WAITLISTED = "waitlisted", _("候补中")
        CANCELLED = "cancelled", _("已取消")
        NO_SHOW = "no_show", _("缺席")
        ATTENDED = "attended", _("已签退")

    class Method(models.TextChoices):
        ORGANIZER_SCAN = "organizer_scan", _("组织者扫志愿者码")
        SHIFT_CODE = "shift_code", _("志愿者扫现场码")
        MANUAL = "manual", _("组织者手工登记")

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="signups", verbose_name=_("班次"))
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="signups", verbose_name=_("志愿者"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices)
    position = models.PositiveIntegerField(_("报名顺序"))
    created_at = models.DateTimeField(_("报名时间"), default=timezone.now)
    promoted_at = models.DateTimeField(_("候补转正时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    checkin_method = models.CharField(_("签到方式"), max_length=16, choices=Method.choices, blank=True)

    class Meta:
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        ordering = ["shift", "position"]
        constraints = [models.UniqueConstraint(fields=["shift", "volunteer"], name="one_signup_per_shift")]
        indexes = [models.Index(fields=["shift", "status", "position"], name="signup_queue_idx")]

    def __str__(self):
        return f"{self.volunteer} @ {self.shift}"


class ServiceRecord(models.Model):
    """A 志愿服务记录: who served, in which activity, when, for how long, doing what; made at check-out.

    The organizer approves it (it is then final and earns points once, by a transfer whose source is this
    record) or declines it with a reason; it is never deleted. A mistake in an approved record is put right by
    a :class:`Correction`, which keeps the old and new values, who and why; ``minutes`` and ``points`` here
    always hold the values in force, ``original_minutes`` what was first approved.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已确认")
        DECLINED = "declined", _("未通过")

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="records", verbose_name=_("志愿者"))
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="records", verbose_name=_("活动"))
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, null=True, blank=True, related_name="records", verbose_name=_("班次"))
    signup = models.OneToOneField(
        SignUp, on_delete=models.PROTECT, null=True, blank=True, related_name="record", verbose_name=_("报名")
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("服务区划"))
    served_on = models.DateField(_("服务日期"), db_index=True)
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"))
    minutes = models.PositiveIntegerField(_("服务时长（分钟）"))
    original_minutes = models.PositiveIntegerField(_("初始时长（分钟）"))
    points_per_hour = models.PositiveSmallIntegerField(_("每小时积分"))
    points = models.PositiveIntegerField(_("积分"))
    content = models.CharField(_("服务内容"), max_length=200)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("审核人")
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decline_reason = models.CharField(_("未通过原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("志愿服务记录")
        verbose_name_plural = _("志愿服务记录")
        ordering = ["-served_on", "-pk"]
        indexes = [
            models.Index(fields=["volunteer", "status"], name="record_volunteer_idx"),
            models.Index(fields=["status", "served_on"], name="record_status_day_idx"),
        ]
        constraints = [models.CheckConstraint(condition=Q(ended_at__gt=F("started_at")), name="record_ends_after_start")]

    def __str__(self):
        return f"{self.served_on} {self.activity} {self.hours} 小时"

    @property
    def hours(self):
        return hours_of(self.minutes)


class Correction(models.Model):
    """A correction of an approved service record: old value, new value, who asked, who decided, and why.

    A volunteer may ask for one from their page (《志愿服务记录与证明出具办法》: a volunteer may ask for an error
    to be corrected); the organizer or an officer applies or declines it. Applying moves points only by a
    transfer from or to the volunteer's account whose source is this correction.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待处理")
        APPLIED = "applied", _("已更正")
        DECLINED = "declined", _("不予更正")

    record = models.ForeignKey(ServiceRecord, on_delete=models.PROTECT, related_name="corrections", verbose_name=_("服务记录"))
    old_minutes = models.PositiveIntegerField(_("原时长（分钟）"))
    new_minutes = models.PositiveIntegerField(_("更正后时长（分钟）"))
    old_points = models.PositiveIntegerField(_("原积分"), default=0)
    new_points = models.PositiveIntegerField(_("更正后积分"), default=0)
    reason = models.TextField(_("更正理由"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人")
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("处理人")
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision_note = models.CharField(_("处理意见"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("记录更正")
        verbose_name_plural = _("记录更正")
        ordering = ["-requested_at", "-pk"]

    def __str__(self):
        return f"{self.record}: {self.old_minutes} → {self.new_minutes} 分钟"


# --- the ledger -------------------------------------------------------------------------------------------
class Account(models.Model):
    """A points account: the issuer (where points come from, so it runs negative), one per volunteer, the
    reward pool (points spent on rewards) and the expiry account.

    ``balance`` caches the sum of the account's transfers so a balance reads in O(1); only
    :func:`volunteers.ledger.transfer` changes it, in the same transaction as the transfer row. A CHECK keeps a
    volunteer's balance from going below zero: a spend that would overdraw fails in the database itself.
    """

    class Kind(models.TextChoices):
        ISSUER = "issuer", _("积分发行")
        VOLUNTEER = "volunteer", _("志愿者")
        REWARD_POOL = "reward_pool", _("回馈兑换池")
        EXPIRY = "expiry", _("过期积分")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    volunteer = models.OneToOneField(
        Volunteer, on_delete=models.PROTECT, null=True, blank=True, related_name="account", verbose_name=_("志愿者")
    )
    balance = models.BigIntegerField(_("余额"), default=0)

    class Meta:
        verbose_name = _("积分账户")
        verbose_name_plural = _("积分账户")
        constraints = [
            models.CheckConstraint(condition=~Q(kind="volunteer") | Q(balance__gte=0), name="volunteer_balance_never_negative"),
            models.CheckConstraint(
                condition=Q(kind="volunteer", volunteer__isnull=False) | Q(~Q(kind="volunteer"), volunteer__isnull=True),
                name="volunteer_account_has_volunteer",
            ),
            models.UniqueConstraint(fields=["kind"], condition=~Q(kind="volunteer"), name="one_system_account_per_kind"),
        ]

    def __str__(self):
        if self.volunteer_id:
            return f"{self.volunteer.number}"
        return str(self.get_kind_display())


class Transfer(models.Model):
    """One movement of points from one account to another (double entry: the debit of one is the credit of the
    other, so all balances always sum to zero).

    Append-only: a trigger on SQLite and on PostgreSQL refuses UPDATE and DELETE. ``idempotency_key`` is
    unique, so retrying a movement makes it once; ``source`` names what caused it (a service record, a voucher,
    a correction, an award, an expiry run) and (source, source_ref) is unique, so a source moves points at most
    once in each direction. A mistake is undone by a reversing transfer (``reverses``), never by an edit.
    """

    class Source(models.TextChoices):
        SERVICE = "service", _("志愿服务")
        REDEMPTION = "redemption", _("兑换回馈")
        REDEMPTION_RETURN = "redemption_return", _("兑换退回")
        CORRECTION = "correction", _("记录更正")
        AWARD = "award", _("好市民奖励")
        EXPIRY = "expiry", _("积分过期")
        REVERSAL = "reversal", _("冲正")

    debit = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="debits", verbose_name=_("转出账户"))
    credit = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="credits", verbose_name=_("转入账户"))
    amount = models.PositiveBigIntegerField(_("积分"))
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    source_ref = models.CharField(_("来源编号"), max_length=64)
    idempotency_key = models.CharField(_("幂等键"), max_length=100, unique=True)
    memo = models.CharField(_("摘要"), max_length=200, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by", verbose_name=_("冲正对象")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("操作人")
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("积分流水")
        verbose_name_plural = _("积分流水")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transfer_amount_positive"),
            models.CheckConstraint(condition=~Q(debit=F("credit")), name="transfer_between_two_accounts"),
            models.UniqueConstraint(fields=["source", "source_ref"], name="one_transfer_per_source"),
        ]
        indexes = [
            models.Index(fields=["debit", "created_at"], name="transfer_debit_idx"),
            models.Index(fields=["credit", "created_at"], name="transfer_credit_idx"),
        ]

    def __str__(self):
        return f"{self.get_source_display()} {self.amount} 分 ({self.debit_id} → {self.credit_id})"


# --- rewards ----------------------------------------------------------------------------------------------
class Merchant(models.Model):
    """An 爱心商家: a business that donates rewards to volunteers and completes vouchers (核销) at its counter.

    ``members`` are the people who act for it; a merchant sees only its own rewards and vouchers.
    """

    name = models.CharField(_("商家名称"), max_length=80, unique=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在区划"))
    address = models.CharField(_("地址"), max_length=200)
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    introduction = models.CharField(_("简介"), max_length=200, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="merchants", blank=True, verbose_name=_("经办人"))
    active = models.BooleanField(_("合作中"), default=True)
    joined_at = models.DateTimeField(_("加入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("爱心商家")
        verbose_name_plural = _("爱心商家")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Reward(models.Model):
    """A donated reward (爱心回馈) with a points price, stock, a per-person limit and a validity period.

    ``stock`` counts what is left; a CHECK keeps it at zero or above, and a redemption takes one in the same
    transaction that moves the points.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="rewards", verbose_name=_("商家"))
    title = models.CharField(_("回馈名称"), max_length=80)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    points_price = models.PositiveIntegerField(_("所需积分"))
    stock = models.PositiveIntegerField(_("剩余数量"))
    per_person_limit = models.PositiveSmallIntegerField(_("每人限兑"), default=1)
    valid_from = models.DateField(_("兑换开始日期"))
    valid_until = models.DateField(_("兑换截止日期"))
    voucher_days = models.PositiveSmallIntegerField(_("兑换券有效天数"), default=30)
    active = models.BooleanField(_("上架"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("爱心回馈")
        verbose_name_plural = _("爱心回馈")
        ordering = ["points_price", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(points_price__gt=0), name="reward_price_positive"),
            models.CheckConstraint(condition=Q(valid_until__gte=F("valid_from")), name="reward_valid_period"),
        ]

    def __str__(self):
        return f"{self.title}（{self.merchant}）"


class Voucher(models.Model):
    """A redemption: the points and one unit of stock reserved at once, and a code (QR) the merchant completes
    (核销). An expired or cancelled voucher returns both. ``idempotency_key`` (from the API's header or the
    form) makes a retried redemption return the same voucher; ``request_fingerprint`` tells a replay from a
    different request that reuses the key.
    """

    class Status(models.TextChoices):
        ISSUED = "issued", _("待使用")
        REDEEMED = "redeemed", _("已核销")
        CANCELLED = "cancelled", _("已取消")
        EXPIRED = "expired", _("已过期")

    TRANSITIONS = {
        Status.ISSUED: {Status.REDEEMED, Status.CANCELLED, Status.EXPIRED},
    }

    code = models.CharField(_("兑换码"), max_length=12, unique=True, default=_code)
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="vouchers", verbose_name=_("回馈"))
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="vouchers", verbose_name=_("志愿者"))
    points = models.PositiveIntegerField(_("积分"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.ISSUED, db_index=True)
    idempotency_key = models.CharField(_("幂等键"), max_length=100, unique=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("兑换时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("有效期至"))
    redeemed_at = models.DateTimeField(_("核销时间"), null=True, blank=True)
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("核销人")
    )
    closed_at = models.DateTimeField(_("取消/过期时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("兑换券")
        verbose_name_plural = _("兑换券")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["volunteer", "reward", "status"], name="voucher_limit_idx")]

    def __str__(self):
        return f"{self.code} {self.reward.title}"


class VoucherStatusChange(StatusChangeBase):
    """The history of a voucher: issued, completed (核销), cancelled or expired, by whom and why."""

    voucher = models.ForeignKey(Voucher, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=16, choices=Voucher.Status.choices)
    to_status = models.CharField(max_length=16, choices=Voucher.Status.choices)

    class Meta(StatusChangeBase.Meta):
        verbose_name = _("兑换券状态变更")
        verbose_name_plural = _("兑换券状态变更")


# --- recognition ------------------------------------------------------------------------------------------
class Award(models.Model):
    """An annual 好市民 award an officer confers on a volunteer of their jurisdiction, with optional bonus
    points (credited once, source = this award)."""

    year = models.PositiveSmallIntegerField(_("年度"))
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="awards", verbose_name=_("志愿者"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("授予区划"))
    title = models.CharField(_("称号"), max_length=40, default="好市民")
    citation = models.CharField(_("事迹简介"), max_length=300, blank=True)
    bonus_points = models.PositiveIntegerField(_("奖励积分"), default=0)
    conferred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("授予人"))
    conferred_at = models.DateTimeField(_("授予时间"), default=timezone.now)

    class Meta:
        verbose_name = _("好市民表彰")
        verbose_name_plural = _("好市民表彰")
        ordering = ["-year", "-conferred_at"]
        constraints = [models.UniqueConstraint(fields=["year", "volunteer", "title"], name="one_award_per_title_year")]

    def __str__(self):
        return f"{self.year} 年度{self.title}：{self.volunteer.public_name}"


class Certificate(models.Model):
    """A 志愿服务证明 (《志愿服务记录与证明出具办法》): free, numbered, logged, verifiable by its QR code.

    What it certified is frozen in ``records`` and the totals at issue time, so the public verification page
    and the PDF always show what was issued, even after later records or corrections.
    """

    number = models.CharField(_("证明编号"), max_length=32, unique=True)
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("志愿者"))
    issuer_name = models.CharField(_("出具单位"), max_length=120)
    issuer_head = models.CharField(_("负责人"), max_length=40)
    issuer_handler = models.CharField(_("经办人"), max_length=40)
    issuer_contact = models.CharField(_("联系方式"), max_length=40)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("出具组织")
    )
    records = models.JSONField(_("记录"), default=list)
    total_minutes = models.PositiveIntegerField(_("累计时长（分钟）"))
    record_count = models.PositiveIntegerField(_("记录条数"))
    token = models.CharField(max_length=32, unique=True, default=_token, editable=False)
    issued_at = models.DateTimeField(_("出具时间"), default=timezone.now)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("出具人"))

    class Meta:
        verbose_name = _("志愿服务证明")
        verbose_name_plural = _("志愿服务证明")
        ordering = ["-issued_at", "-pk"]

    def __str__(self):
        return self.number

    @property
    def total_hours(self):
        return hours_of(self.total_minutes)
