"""Every state change of 爱心银行: registration, activities and shifts, sign-ups and the waitlist, attendance,
approval and correction of service records, redemption and 核销, awards, expiry and certificates. Atomic,
audited, permission-checked with a keyword-only ``acting_user``, raising the errors of
:mod:`volunteers.exceptions` (DESIGN.md §3). Points move only through :func:`volunteers.ledger.transfer`.
"""

import datetime
import functools
import hashlib
import hmac
import json
import logging
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Sum, When
from django.urls import reverse
from django.utils import timezone

from core import audit, fastsql, notify
from core.exceptions import InvalidTransition
from core.models import Role
from core.permissions import can_administer_region
from core.sequences import next_value
from core.services import grant_role
from core.workflow import move
from orgs.codes import id_number_problem

from . import ledger
from .exceptions import (
    AttendanceError,
    IdempotencyConflict,
    InsufficientPoints,
    PermissionDenied,
    RedemptionRefused,
    SignUpRefused,
    VolunteerError,
)
from .models import (
    Account,
    Activity,
    Award,
    Certificate,
    Correction,
    Merchant,
    Reward,
    ServiceRecord,
    Shift,
    SignUp,
    Transfer,
    Volunteer,
    Voucher,
    VoucherStatusChange,
)
from .permissions import may_manage_activity, may_organize_for, may_see_id_number

logger = logging.getLogger(__name__)

QR_TOKEN_SALT = "volunteers.checkin"  # noqa: S105 - a signing namespace, not a secret  # nosec B105
QR_TOKEN_MAX_AGE = 300  # a personal check-in code is good for five minutes
SHIFT_CODE_WINDOW = 60  # the on-site code changes every minute; the previous one is still accepted
CHECKIN_EARLY = datetime.timedelta(hours=1)  # check-in opens an hour before the shift


def points_for(minutes: int, points_per_hour: int) -> int:
    """Whole points for ``minutes`` of service, half up (see the models module)."""
    return int((Decimal(minutes) * points_per_hour / 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- volunteers -------------------------------------------------------------------------------------------
def _volunteer_number() -> str:
    return f"ZY{timezone.localdate().year}{next_value('volunteer'):07d}"


@transaction.atomic
def register_volunteer(user, *, real_name: str, id_number: str, phone: str, region, skills: str = "",
                       public_name_consent: bool = False) -> Volunteer:
    """Real-name registration (实名注册): the volunteer row, their points account and the volunteer role."""
    if Volunteer.objects.filter(user=user).exists():
        raise VolunteerError("您已注册为志愿者。")
    id_number = (id_number or "").strip().upper()
    problem = id_number_problem(id_number)
    if problem:
        raise VolunteerError(str(problem), field="id_number")
    try:
        with transaction.atomic():  # savepoint: the unique index decides between two registrations with one ID
            volunteer = Volunteer.objects.create(
                user=user, number=_volunteer_number(), real_name=real_name.strip(), id_number=id_number,
                phone=phone, region=region, skills=skills.strip(), public_name_consent=public_name_consent,
            )
    except IntegrityError as exc:
        raise VolunteerError("该公民身份号码已注册志愿者，如有疑问请联系所在社区。", field="id_number") from exc
    Account.objects.create(kind=Account.Kind.VOLUNTEER, volunteer=volunteer)
    if not user.has_role(Role.VOLUNTEER):
        grant_role(user, Role.VOLUNTEER, acting_user=None)
    audit.record("volunteers.register", actor=user, obj=volunteer, region=region,
                 after={"number": volunteer.number, "id_number": volunteer.masked_id_number})
    return volunteer


@transaction.atomic
def update_volunteer(volunteer: Volunteer, *, acting_user, region, skills: str, public_name_consent: bool,
                     phone: str) -> Volunteer:
    if volunteer.user_id != acting_user.pk:
        raise PermissionDenied("只能修改本人的志愿者信息。")
    before = {"region": volunteer.region_id, "skills": volunteer.skills, "consent": volunteer.public_name_consent}
    Volunteer.objects.filter(pk=volunteer.pk).update(
        region=region, skills=skills.strip(), public_name_consent=public_name_consent, phone=phone
    )
    volunteer.refresh_from_db()
    audit.record("volunteers.update", actor=acting_user, obj=volunteer, before=before,
                 after={"region": region.pk, "skills": volunteer.skills, "consent": public_name_consent})
    return volunteer


def reveal_id_number(volunteer: Volunteer, *, acting_user) -> str:
    """The full ID number, for the volunteer or an officer of their region; each officer's view is audited."""
    if not may_see_id_number(acting_user, volunteer):
        raise PermissionDenied("无权查看该志愿者的完整证件号码。")
    if volunteer.user_id != acting_user.pk:
        audit.record("personal_data.view", actor=acting_user, obj=volunteer, region=volunteer.region,
                     after={"field": "id_number"})
    return volunteer.id_number or ""


# --- activities and shifts --------------------------------------------------------------------------------
@transaction.atomic
def create_activity(*, acting_user, organization=None, region, category, title: str, summary: str,
                    description: str = "", service_field=None, contact_name: str, contact_phone: str,
                    cancel_cutoff_hours: int = 24, points_per_hour: int | None = None) -> Activity:
    """An organization's members, or the officers of a community, publish an activity; the points rule is the
    category's unless an officer sets another."""
    if not may_organize_for(acting_user, organization=organization, region=region):
        raise PermissionDenied("只能为本人所在的组织或管辖的社区发布志愿服务活动。")
    if organization is not None and region is None:
        region = organization.region
    if points_per_hour is None or not acting_user.jurisdictions:
        points_per_hour = category.points_per_hour
    activity = Activity.objects.create(
        title=title, organization=organization, region=region, category=category, service_field=service_field,
        summary=summary, description=description, points_per_hour=points_per_hour,
        cancel_cutoff_hours=cancel_cutoff_hours, contact_name=contact_name, contact_phone=contact_phone,
        created_by=acting_user,
    )
    audit.record("volunteers.activity.create", actor=acting_user, obj=activity, region=region,
                 after={"title": title, "points_per_hour": points_per_hour})
    return activity


@transaction.atomic
def add_shift(activity: Activity, *, acting_user, starts_at, ends_at, place: str, capacity: int,
              skills: str = "") -> Shift:
    if not may_manage_activity(acting_user, activity):
        raise PermissionDenied("只有活动组织者可以添加班次。")
    if ends_at <= starts_at:
        raise VolunteerError("结束时间必须晚于开始时间。", field="ends_at")
    if capacity < 1:
        raise VolunteerError("名额至少为 1。", field="capacity")
    shift = Shift.objects.create(activity=activity, starts_at=starts_at, ends_at=ends_at, place=place,
                                 capacity=capacity, skills=skills)
    first = activity.shifts.order_by("starts_at").values_list("starts_at", flat=True).first()
    Activity.objects.filter(pk=activity.pk).update(starts_on=timezone.localdate(first))
    audit.record("volunteers.shift.create", actor=acting_user, obj=shift, region=activity.region,
                 after={"starts_at": starts_at, "capacity": capacity})
    return shift


@transaction.atomic
def cancel_activity(activity: Activity, *, acting_user, reason: str) -> Activity:
    """Cancel an activity: every confirmed or waitlisted volunteer of its future shifts is told."""
    if not may_manage_activity(acting_user, activity):
        raise PermissionDenied("只有活动组织者可以取消活动。")
    if not reason.strip():
        raise VolunteerError("请填写取消原因。", field="reason")
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.status == Activity.Status.CANCELLED:
        raise InvalidTransition("该活动已取消。")
    Activity.objects.filter(pk=activity.pk).update(status=Activity.Status.CANCELLED)
    now = timezone.now()
    waiting = SignUp.objects.filter(shift__activity=activity, shift__starts_at__gt=now,
                                    status__in=[SignUp.Status.CONFIRMED, SignUp.Status.WAITLISTED]).select_related("volunteer__user")
    for signup in waiting:
        notify.notify(signup.volunteer.user, f"活动已取消：{activity.title}", reason)
    waiting.update(status=SignUp.Status.CANCELLED, cancelled_at=now)
    Shift.objects.filter(activity=activity, starts_at__gt=now).update(confirmed=0)
    audit.record("volunteers.activity.cancel", actor=acting_user, obj=activity, region=activity.region, reason=reason)
    activity.refresh_from_db()
    return activity


# --- sign-up and the waitlist -----------------------------------------------------------------------------
def _lock_shift(shift: Shift) -> Shift:
    return Shift.objects.select_for_update().select_related("activity").get(pk=shift.pk)


@transaction.atomic
def sign_up(shift: Shift, *, volunteer: Volunteer, acting_user) -> SignUp:
    """Take a confirmed place while there is one, else a place on the waitlist, in arrival order.

    The shift row is locked (PostgreSQL: ``SELECT … FOR UPDATE``; SQLite: the IMMEDIATE transaction holds the
    write lock), so concurrent sign-ups take arrival numbers and places one at a time; the CHECK on
    ``confirmed <= capacity`` is the backstop.
    """
    if volunteer.user_id != acting_user.pk:
        raise PermissionDenied("只能为本人报名。")
    shift = _lock_shift(shift)
    if shift.activity.status != Activity.Status.PUBLISHED:
        raise SignUpRefused("该活动已取消，不能报名。")
    if shift.starts_at <= timezone.now():
        raise SignUpRefused("该班次已开始，不能报名。")
    signup = SignUp.objects.filter(shift=shift, volunteer=volunteer).first()
    if signup is not None and signup.status in (SignUp.Status.CONFIRMED, SignUp.Status.WAITLISTED):
        raise SignUpRefused("您已报名该班次。")
    if signup is not None and signup.status != SignUp.Status.CANCELLED:
        raise SignUpRefused("您在该班次已有出勤记录，不能再次报名。")
    confirmed = shift.confirmed < shift.capacity
    status = SignUp.Status.CONFIRMED if confirmed else SignUp.Status.WAITLISTED
    Shift.objects.filter(pk=shift.pk).update(
        next_position=F("next_position") + 1, confirmed=F("confirmed") + (1 if confirmed else 0)
    )
    if signup is None:
        signup = SignUp.objects.create(shift=shift, volunteer=volunteer, status=status, position=shift.next_position)
    else:  # signing up again after cancelling: a new arrival number, at the back of the queue
        signup.status, signup.position, signup.created_at = status, shift.next_position, timezone.now()
        signup.cancelled_at = signup.promoted_at = None
        signup.save(update_fields=["status", "position", "created_at", "cancelled_at", "promoted_at"])
    audit.record("volunteers.signup", actor=acting_user, obj=signup, region=shift.activity.region,
                 after={"status": status, "position": signup.position})
    return signup


def cancellation_deadline(shift: Shift) -> datetime.datetime:
    return shift.starts_at - datetime.timedelta(hours=shift.activity.cancel_cutoff_hours)


def _promote_next(shift: Shift) -> SignUp | None:
    """Give a freed place to the first volunteer on the waitlist and tell them (caller holds the shift lock)."""
    nxt = shift.signups.filter(status=SignUp.Status.WAITLISTED).order_by("position").select_related("volunteer__user").first()
    if nxt is None:
        Shift.objects.filter(pk=shift.pk).update(confirmed=F("confirmed") - 1)
        return None
    SignUp.objects.filter(pk=nxt.pk).update(status=SignUp.Status.CONFIRMED, promoted_at=timezone.now())
    activity = shift.activity
    notify.notify(
        nxt.volunteer.user, f"候补成功：{activity.title}",
        f"您候补的班次（{timezone.localtime(shift.starts_at):%Y-%m-%d %H:%M}，{shift.place}）已有空位，报名已确认。",
        reverse("volunteers:activity", args=[activity.pk]),
    )
    audit.record("volunteers.signup.promoted", obj=nxt, region=activity.region, after={"status": SignUp.Status.CONFIRMED})
    return nxt


@transaction.atomic
def cancel_signup(signup: SignUp, *, acting_user) -> SignUp:
    """The volunteer withdraws before the cancellation cutoff; a confirmed place passes to the waitlist."""
    shift = _lock_shift(signup.shift)
    signup = SignUp.objects.select_related("volunteer").get(pk=signup.pk)
    if signup.volunteer.user_id != acting_user.pk:
        raise PermissionDenied("只能取消本人的报名。")
    if signup.status not in (SignUp.Status.CONFIRMED, SignUp.Status.WAITLISTED):
        raise SignUpRefused("该报名已不能取消。")
    if signup.status == SignUp.Status.CONFIRMED and timezone.now() > cancellation_deadline(shift):
        raise SignUpRefused(
            f"已过取消截止时间（开始前 {shift.activity.cancel_cutoff_hours} 小时），如确有困难请联系组织者。"
        )
    was_confirmed = signup.status == SignUp.Status.CONFIRMED
    SignUp.objects.filter(pk=signup.pk).update(status=SignUp.Status.CANCELLED, cancelled_at=timezone.now())
    if was_confirmed:
        _promote_next(shift)
    audit.record("volunteers.signup.cancel", actor=acting_user, obj=signup, region=shift.activity.region,
                 before={"status": signup.status})
    signup.refresh_from_db()
    return signup


@transaction.atomic
def mark_no_show(signup: SignUp, *, acting_user) -> SignUp:
    """Record that a confirmed volunteer did not come (after the shift started, without a check-in)."""
    shift = _lock_shift(signup.shift)
    if not may_manage_activity(acting_user, shift.activity):
        raise PermissionDenied("只有活动组织者可以登记缺席。")
    signup = SignUp.objects.get(pk=signup.pk)
    if signup.status != SignUp.Status.CONFIRMED or signup.checked_in_at:
        raise AttendanceError("只有已确认且未签到的报名可以登记为缺席。")
    if shift.starts_at > timezone.now():
        raise AttendanceError("班次开始后才能登记缺席。")
    SignUp.objects.filter(pk=signup.pk).update(status=SignUp.Status.NO_SHOW)
    audit.record("volunteers.signup.no_show", actor=acting_user, obj=signup, region=shift.activity.region)
    signup.refresh_from_db()
    return signup


# --- check-in codes ---------------------------------------------------------------------------------------
def volunteer_token(volunteer: Volunteer) -> str:
    """The volunteer's personal check-in code: signed, and good for :data:`QR_TOKEN_MAX_AGE` seconds."""
    return signing.TimestampSigner(salt=QR_TOKEN_SALT).sign(volunteer.number)


def volunteer_from_token(token: str) -> Volunteer:
    try:
        number = signing.TimestampSigner(salt=QR_TOKEN_SALT).unsign(token.strip(), max_age=QR_TOKEN_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise AttendanceError("该签到码已过期，请志愿者刷新后重新出示。", field="token") from exc
    except signing.BadSignature as exc:
        raise AttendanceError("签到码无效。", field="token") from exc
    volunteer = Volunteer.objects.filter(number=number).select_related("user").first()
    if volunteer is None:
        raise AttendanceError("签到码无效。", field="token")
    return volunteer


def shift_code(shift: Shift, at: datetime.datetime | None = None) -> str:
    """The shift's rotating six-digit on-site code for the minute ``at`` (now by default)."""
    window = int((at or timezone.now()).timestamp() // SHIFT_CODE_WINDOW)
    message = f"{shift.pk}:{shift.checkin_secret}:{window}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:4], 'big') % 1_000_000:06d}"


def shift_code_valid(shift: Shift, code: str) -> bool:
    now = timezone.now()
    code = (code or "").strip()
    return any(hmac.compare_digest(shift_code(shift, now - datetime.timedelta(seconds=s)), code)
               for s in (0, SHIFT_CODE_WINDOW))


# --- attendance -------------------------------------------------------------------------------------------
def _attendance_signup(shift: Shift, volunteer: Volunteer) -> SignUp:
    signup = SignUp.objects.select_for_update().filter(shift=shift, volunteer=volunteer).first()
    if signup is None or signup.status not in (SignUp.Status.CONFIRMED, SignUp.Status.ATTENDED):
        raise AttendanceError("该志愿者未确认报名此班次。")
    return signup


def _may_record(acting_user, shift: Shift, volunteer: Volunteer, method: str) -> None:
    if method == SignUp.Method.SHIFT_CODE:
        if volunteer.user_id != acting_user.pk:
            raise PermissionDenied("只能为本人签到。")
    elif not may_manage_activity(acting_user, shift.activity):
        raise PermissionDenied("只有活动组织者可以为志愿者签到。")


@transaction.atomic
def check_in(shift: Shift, *, volunteer: Volunteer, acting_user, method: str, at=None) -> SignUp:
    """Record arrival: the organizer scanned the volunteer's code, or the volunteer entered the on-site code."""
    _may_record(acting_user, shift, volunteer, method)
    now = at or timezone.now()
    if now < shift.starts_at - CHECKIN_EARLY or now > shift.ends_at:
        raise AttendanceError("不在该班次的签到时间内（开始前 1 小时至结束）。")
    signup = _attendance_signup(shift, volunteer)
    if signup.checked_in_at:
        raise AttendanceError(f"已于 {timezone.localtime(signup.checked_in_at):%H:%M} 签到。")
    SignUp.objects.filter(pk=signup.pk).update(checked_in_at=now, checkin_method=method)
    audit.record("volunteers.check_in", actor=acting_user, obj=signup, region=shift.activity.region,
                 after={"at": now, "method": method})
    signup.refresh_from_db()
    return signup


def served_minutes(shift: Shift, checked_in_at, checked_out_at) -> int:
    """Minutes served: from arrival (not before the shift starts) to departure (not after it ends)."""
    start = max(checked_in_at, shift.starts_at)
    end = min(checked_out_at, shift.ends_at)
    return max(0, int((end - start).total_seconds() // 60))


@transaction.atomic
def check_out(shift: Shift, *, volunteer: Volunteer, acting_user, method: str, at=None, content: str = "") -> ServiceRecord:
    """Record departure and make the pending service record with the hours computed from the two times."""
    _may_record(acting_user, shift, volunteer, method)
    signup = _attendance_signup(shift, volunteer)
    if not signup.checked_in_at:
        raise AttendanceError("尚未签到，不能签退。")
    if signup.checked_out_at:
        raise AttendanceError(f"已于 {timezone.localtime(signup.checked_out_at):%H:%M} 签退。")
    now = at or timezone.now()
    minutes = served_minutes(shift, signup.checked_in_at, now)
    if minutes < 1:
        raise AttendanceError("签到与签退的时间在班次时段内不足 1 分钟，无法形成服务记录。")
    SignUp.objects.filter(pk=signup.pk).update(checked_out_at=now, status=SignUp.Status.ATTENDED)
    activity = shift.activity
    start = max(signup.checked_in_at, shift.starts_at)
    record = ServiceRecord.objects.create(
        volunteer=volunteer, activity=activity, shift=shift, signup=signup, region=activity.region,
        served_on=timezone.localdate(start), started_at=start, ended_at=start + datetime.timedelta(minutes=minutes),
        minutes=minutes, original_minutes=minutes, points_per_hour=activity.points_per_hour,
        points=points_for(minutes, activity.points_per_hour), content=(content or activity.summary)[:200],
    )
    audit.record("volunteers.check_out", actor=acting_user, obj=record, region=activity.region,
                 after={"minutes": minutes, "method": method})
    return record


@transaction.atomic
def record_attendance(shift: Shift, *, volunteer: Volunteer, acting_user, checked_in_at, checked_out_at,
                      content: str = "") -> ServiceRecord:
    """The organizer enters times from a paper sign-in sheet (when scanning was not possible)."""
    if not may_manage_activity(acting_user, shift.activity):
        raise PermissionDenied("只有活动组织者可以登记出勤。")
    if checked_out_at <= checked_in_at:
        raise AttendanceError("签退时间必须晚于签到时间。", field="checked_out_at")
    if checked_out_at > timezone.now():
        raise AttendanceError("签退时间不能晚于当前时间。", field="checked_out_at")
    signup = _attendance_signup(shift, volunteer)
    if signup.checked_in_at or signup.checked_out_at:
        raise AttendanceError("该志愿者已有签到记录，请使用记录更正。")
    SignUp.objects.filter(pk=signup.pk).update(checked_in_at=checked_in_at, checkin_method=SignUp.Method.MANUAL)
    return check_out(shift, volunteer=volunteer, acting_user=acting_user, method=SignUp.Method.MANUAL,
                     at=checked_out_at, content=content)


# --- approval ---------------------------------------------------------------------------------------------
def _credit_record(record: ServiceRecord, *, acting_user) -> Transfer | None:
    if record.points <= 0:
        return None
    return ledger.transfer(
        debit=ledger.system_account(Account.Kind.ISSUER), credit=ledger.account_for(record.volunteer),
        amount=record.points, source=Transfer.Source.SERVICE, source_ref=record.pk, actor=acting_user,
        memo=f"志愿服务：{record.activity.title} {record.served_on:%Y-%m-%d} {record.hours} 小时",
    )


@transaction.atomic
def approve_record(record: ServiceRecord, *, acting_user) -> ServiceRecord:
    """The organizer confirms the hours: the record becomes final and credits its points, once.

    The record row is locked, so two approvals at the same moment make one; the second is told it is done.
    """
    record = ServiceRecord.objects.select_for_update().select_related("activity__region", "volunteer").get(pk=record.pk)
    if not may_manage_activity(acting_user, record.activity):
        raise PermissionDenied("只有活动组织者可以审核服务记录。")
    if record.status != ServiceRecord.Status.PENDING:
        raise InvalidTransition(f"该记录已{record.get_status_display()}，不能重复审核。")
    ServiceRecord.objects.filter(pk=record.pk).update(
        status=ServiceRecord.Status.APPROVED, decided_by=acting_user, decided_at=timezone.now()
    )
    record.refresh_from_db()
    _credit_record(record, acting_user=acting_user)
    audit.record("volunteers.record.approve", actor=acting_user, obj=record, region=record.region,
                 after={"minutes": record.minutes, "points": record.points})
    notify.notify(record.volunteer.user, "志愿服务时长已确认",
                  f"{record.activity.title}：{record.hours} 小时，获得 {record.points} 积分。", reverse("volunteers:centre"))
    return record


def approve_records(records, *, acting_user) -> int:
    """Bulk approval from the organizer's list: each record in its own transaction; those already decided are
    skipped. Returns how many were approved."""
    approved = 0
    for record in records:
        try:
            approve_record(record, acting_user=acting_user)
            approved += 1
        except InvalidTransition:
            continue
    return approved


@transaction.atomic
def decline_record(record: ServiceRecord, *, acting_user, reason: str) -> ServiceRecord:
    """Decline with a reason (never delete): the record stays, marked 未通过, and the volunteer is told why."""
    if not reason.strip():
        raise AttendanceError("请填写不予确认的原因。", field="reason")
    record = ServiceRecord.objects.select_for_update().select_related("activity__region", "volunteer__user").get(pk=record.pk)
    if not may_manage_activity(acting_user, record.activity):
        raise PermissionDenied("只有活动组织者可以审核服务记录。")
    if record.status != ServiceRecord.Status.PENDING:
        raise InvalidTransition(f"该记录已{record.get_status_display()}，不能重复审核。")
    ServiceRecord.objects.filter(pk=record.pk).update(
        status=ServiceRecord.Status.DECLINED, decided_by=acting_user, decided_at=timezone.now(), decline_reason=reason.strip()
    )
    record.refresh_from_db()
    audit.record("volunteers.record.decline", actor=acting_user, obj=record, region=record.region, reason=reason)
    notify.notify(record.volunteer.user, "志愿服务记录未通过审核", f"{record.activity.title}：{reason}")
    return record


# --- corrections ------------------------------------------------------------------------------------------
def _new_correction(record: ServiceRecord, *, acting_user, new_minutes: int, reason: str) -> Correction:
    """The correcting row (old and new minutes and points, who, why) after checking the new value and the reason;
    the caller holds the record's lock."""
    if new_minutes < 1:
        raise AttendanceError("更正后的服务时长至少为 1 分钟。", field="new_minutes")
    if new_minutes == record.minutes:
        raise AttendanceError("更正后的时长与现有时长相同。", field="new_minutes")
    if not reason.strip():
        raise AttendanceError("请说明更正理由。", field="reason")
    correction = Correction.objects.create(
        record=record, old_minutes=record.minutes, new_minutes=new_minutes, old_points=record.points,
        new_points=points_for(new_minutes, record.points_per_hour), reason=reason.strip(), requested_by=acting_user,
    )
    return correction


@transaction.atomic
def request_correction(record: ServiceRecord, *, acting_user, new_minutes: int, reason: str) -> Correction:
    """A volunteer asks for an approved record's hours to be corrected; the organizer decides."""
    record = ServiceRecord.objects.select_for_update().select_related("volunteer", "activity").get(pk=record.pk)
    if record.volunteer.user_id != acting_user.pk:
        raise PermissionDenied("只能对本人的服务记录申请更正。")
    if record.status != ServiceRecord.Status.APPROVED:
        raise AttendanceError("只有已确认的记录可以申请更正。")
    if record.corrections.filter(status=Correction.Status.REQUESTED).exists():
        raise AttendanceError("该记录已有待处理的更正申请。")
    correction = _new_correction(record, acting_user=acting_user, new_minutes=new_minutes, reason=reason)
    audit.record("volunteers.correction.request", actor=acting_user, obj=correction, region=record.region,
                 before={"minutes": record.minutes}, after={"minutes": new_minutes}, reason=reason)
    return correction


def _apply(correction: Correction, *, acting_user, note: str) -> Correction:
    record = ServiceRecord.objects.select_for_update().select_related("volunteer", "activity").get(pk=correction.record_id)
    old_points, new_points = record.points, points_for(correction.new_minutes, record.points_per_hour)
    delta = new_points - old_points
    issuer, account = ledger.system_account(Account.Kind.ISSUER), ledger.account_for(record.volunteer)
    memo = f"记录更正：{record.activity.title} {record.served_on:%Y-%m-%d} {correction.old_minutes}→{correction.new_minutes} 分钟"
    if delta > 0:
        ledger.transfer(debit=issuer, credit=account, amount=delta, source=Transfer.Source.CORRECTION,
                        source_ref=correction.pk, actor=acting_user, memo=memo)
    elif delta < 0:
        try:
            ledger.transfer(debit=account, credit=issuer, amount=-delta, source=Transfer.Source.CORRECTION,
                            source_ref=correction.pk, actor=acting_user, memo=memo)
        except InsufficientPoints as exc:
            raise AttendanceError(
                f"更正需扣回 {-delta} 积分，但志愿者当前余额不足（积分已用于兑换）。请与志愿者沟通后再处理。"
            ) from exc
    ServiceRecord.objects.filter(pk=record.pk).update(
        minutes=correction.new_minutes, points=new_points,
        ended_at=record.started_at + datetime.timedelta(minutes=correction.new_minutes),
    )
    Correction.objects.filter(pk=correction.pk).update(
        status=Correction.Status.APPLIED, old_minutes=record.minutes, old_points=old_points, new_points=new_points,
        decided_by=acting_user, decided_at=timezone.now(), decision_note=note[:200],
    )
    correction.refresh_from_db()
    audit.record("volunteers.correction.apply", actor=acting_user, obj=correction, region=record.region,
                 before={"minutes": correction.old_minutes, "points": old_points},
                 after={"minutes": correction.new_minutes, "points": new_points}, reason=correction.reason)
    notify.notify(record.volunteer.user, "服务记录已更正",
                  f"{record.activity.title}：{correction.old_minutes} → {correction.new_minutes} 分钟。")
    return correction


@transaction.atomic
def decide_correction(correction: Correction, *, acting_user, apply: bool, note: str = "") -> Correction:
    """The organizer applies a requested correction (points follow by a transfer) or declines it with a note."""
    correction = Correction.objects.select_for_update().select_related("record__activity", "record__volunteer__user").get(pk=correction.pk)
    if not may_manage_activity(acting_user, correction.record.activity):
        raise PermissionDenied("只有活动组织者可以处理更正申请。")
    if correction.status != Correction.Status.REQUESTED:
        raise InvalidTransition("该更正申请已处理。")
    if apply:
        return _apply(correction, acting_user=acting_user, note=note)
    if not note.strip():
        raise AttendanceError("不予更正时请填写处理意见。", field="note")
    Correction.objects.filter(pk=correction.pk).update(
        status=Correction.Status.DECLINED, decided_by=acting_user, decided_at=timezone.now(), decision_note=note[:200]
    )
    correction.refresh_from_db()
    audit.record("volunteers.correction.decline", actor=acting_user, obj=correction,
                 region=correction.record.region, reason=note)
    notify.notify(correction.record.volunteer.user, "更正申请未获同意", note)
    return correction


@transaction.atomic
def correct_record(record: ServiceRecord, *, acting_user, new_minutes: int, reason: str) -> Correction:
    """The organizer corrects an approved record on their own initiative (the same correcting row and transfer)."""
    record = ServiceRecord.objects.select_for_update().select_related("activity").get(pk=record.pk)
    if not may_manage_activity(acting_user, record.activity):
        raise PermissionDenied("只有活动组织者可以更正服务记录。")
    if record.status != ServiceRecord.Status.APPROVED:
        raise AttendanceError("只有已确认的记录需要更正；待审核的记录请直接审核。")
    correction = _new_correction(record, acting_user=acting_user, new_minutes=new_minutes, reason=reason)
    return _apply(correction, acting_user=acting_user, note="组织者主动更正")


# --- rewards and vouchers ---------------------------------------------------------------------------------
@transaction.atomic
def save_reward(merchant: Merchant, *, acting_user, reward: Reward | None = None, **fields) -> Reward:
    """A merchant lists or edits a reward (only its own)."""
    if not (acting_user.is_superuser or merchant.members.filter(pk=acting_user.pk).exists()):
        raise PermissionDenied("只能管理本商家的回馈。")
    if reward is not None and reward.merchant_id != merchant.pk:
        raise PermissionDenied("只能管理本商家的回馈。")
    if fields.get("valid_until") and fields.get("valid_from") and fields["valid_until"] < fields["valid_from"]:
        raise RedemptionRefused("兑换截止日期不能早于开始日期。", field="valid_until")
    if reward is None:
        reward = Reward.objects.create(merchant=merchant, **fields)
        action = "volunteers.reward.create"
    else:
        Reward.objects.filter(pk=reward.pk).update(**fields)
        reward.refresh_from_db()
        action = "volunteers.reward.edit"
    audit.record(action, actor=acting_user, obj=reward, region=merchant.region,
                 after={k: v for k, v in fields.items() if k in ("points_price", "stock", "per_person_limit", "active")})
    return reward


def request_fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _replay(key: str, volunteer: Volunteer, fingerprint: str) -> Voucher | None:
    voucher = Voucher.objects.filter(idempotency_key=key).select_related("reward__merchant").first()
    if voucher is None:
        return None
    if voucher.volunteer_id != volunteer.pk or (fingerprint and voucher.request_fingerprint != fingerprint):
        raise IdempotencyConflict("该幂等键已用于另一笔不同的兑换请求。")
    return voucher


def redeem(reward: Reward, *, volunteer: Volunteer, acting_user, idempotency_key: str, fingerprint: str = "") -> Voucher:
    """Reserve the points and one unit of stock at once and issue a voucher; the same key returns the same voucher.

    The reward row is locked, so stock and the per-person limit are checked and taken one redemption at a time;
    the points move by a transfer from the volunteer to the reward pool whose CHECK refuses an overdraft.
    """
    if volunteer.user_id != acting_user.pk:
        raise PermissionDenied("只能为本人兑换。")
    key = f"redeem:{volunteer.pk}:{idempotency_key}"[:100]
    try:
        return _redeem(reward, volunteer=volunteer, acting_user=acting_user, key=key, fingerprint=fingerprint)
    except IntegrityError:
        # PostgreSQL: a concurrent request with the same key committed its voucher first; return that one.
        replay = _replay(key, volunteer, fingerprint)
        if replay is None:
            raise
        return replay


def _refusal(reward: Reward, today) -> RedemptionRefused:
    if not (reward.active and reward.merchant.active) or not (reward.valid_from <= today <= reward.valid_until):
        return RedemptionRefused("该回馈当前不在兑换期内。")
    return RedemptionRefused("该回馈已兑完。")


# Columns the redemption reads after taking the reward's lock (Reward.from_db / Merchant.from_db defer the rest).
_REWARD_COLUMNS = ("id", "merchant_id", "title", "points_price", "per_person_limit", "voucher_days")
_MERCHANT_COLUMNS = ("id", "name", "region_id")


@functools.cache
def _redeem_sql(vendor: str) -> tuple[str, str]:
    """The redemption's two statements of its own (identifiers from the models, values always parameters)."""
    q = fastsql.db().ops.quote_name
    rewards, merchants = q(Reward._meta.db_table), q(Merchant._meta.db_table)
    vouchers, accounts = q(Voucher._meta.db_table), q(Account._meta.db_table)
    take = f"UPDATE {rewards} SET stock = stock - 1 WHERE id = %s AND stock >= 1"  # noqa: S608 - identifiers from the models  # nosec B608
    # One SELECT after the reward's lock: the reward, its merchant, the key's voucher, the vouchers held, both accounts.
    read = " ".join([  # identifiers from the models, every value a parameter
        "SELECT r.id, r.merchant_id, r.title, r.points_price, r.per_person_limit, r.voucher_days,",
        "m.id, m.name, m.region_id, r.active AND m.active AND r.valid_from <= %s AND r.valid_until >= %s,",
        "(SELECT v.id FROM " + vouchers + " v WHERE v.idempotency_key = %s),",  # noqa: S608  # nosec B608
        "(SELECT COUNT(*) FROM " + vouchers + " v WHERE v.reward_id = r.id AND v.volunteer_id = %s",  # noqa: S608  # nosec B608
        "AND v.status IN (%s, %s)),",
        "(SELECT a.id FROM " + accounts + " a WHERE a.kind = %s AND a.volunteer_id = %s),",  # noqa: S608  # nosec B608
        "(SELECT a.balance FROM " + accounts + " a WHERE a.kind = %s AND a.volunteer_id = %s),",  # noqa: S608  # nosec B608
        "(SELECT a.id FROM " + accounts + " a WHERE a.kind = %s AND a.volunteer_id IS NULL)",  # noqa: S608  # nosec B608
        "FROM " + rewards + " r JOIN " + merchants + " m ON m.id = r.merchant_id WHERE r.id = %s",
    ])
    return take, read


@transaction.atomic
def _redeem(reward: Reward, *, volunteer: Volunteer, acting_user, key: str, fingerprint: str) -> Voucher:
    """The redemption as ten plain statements on one cursor (``core.fastsql``, ``ledger.post``): issue 10 asks for
    ≥ 1,000 per second one at a time, and through the ORM it took 24 statements and ~8 ms. Each step keeps the
    meaning of the ORM version, and a refusal still says why:

    1. ``UPDATE … SET stock = stock - 1 WHERE stock >= 1`` takes the reward's row lock and one unit of stock at
       once, so two redemptions of the last unit cannot both succeed; everything read after it is current. When
       nothing is left, the reward is read and the refusal explained (or an earlier voucher of the key returned);
    2. one SELECT reads, after that lock, the reward, its merchant, the period and both switches, a voucher
       already issued under the key (then the stock is given back by rolling back, and that voucher returned; a
       different request under the key is refused), the vouchers this volunteer holds, and both accounts;
    3. the period, the per-person limit and the balance are checked, and a refusal rolls everything back;
    4. voucher, transfer (``ledger.post``: both balances, the conditional debit), history row and both audit rows
       are inserted.

    On PostgreSQL a second request with the same key at the same moment waits on the reward's lock and then sees
    the first's voucher in step 2 (each statement reads what is committed); if it still slips through, the
    voucher's unique key refuses it and :func:`redeem` returns the first's voucher.
    """
    today = timezone.localdate()
    conn = fastsql.db()
    take_sql, read_sql = _redeem_sql(conn.vendor)
    with conn.cursor() as cursor:
        cursor.execute(take_sql, [reward.pk])
        if cursor.rowcount != 1:
            replay = _replay(key, volunteer, fingerprint)
            if replay is not None:
                return replay
            raise _refusal(Reward.objects.select_related("merchant").get(pk=reward.pk), today)
        day = conn.ops.adapt_datefield_value(today)
        cursor.execute(read_sql, [
            day, day, key, volunteer.pk, Voucher.Status.ISSUED, Voucher.Status.REDEEMED,
            Account.Kind.VOLUNTEER, volunteer.pk, Account.Kind.VOLUNTEER, volunteer.pk, Account.Kind.REWARD_POOL,
            reward.pk,
        ])
        row = cursor.fetchone()
        reward = Reward.from_db(conn.alias, _REWARD_COLUMNS, row[:6])
        reward.merchant = Merchant.from_db(conn.alias, _MERCHANT_COLUMNS, row[6:9])
        available, replayed, held, account_id, balance, pool_id = row[9:]
        if replayed is not None:
            replay = _replay(key, volunteer, fingerprint)  # raises for a different request under the key
            transaction.set_rollback(True)  # the unit of stock taken above goes back
            return replay
        if not available:
            raise RedemptionRefused("该回馈当前不在兑换期内。")
        if held >= reward.per_person_limit:
            raise RedemptionRefused(f"该回馈每人限兑 {reward.per_person_limit} 份，您已兑换 {held} 份。")
        if account_id is None:  # a volunteer made before the ledger existed
            account = ledger.account_for(volunteer)
            account_id, balance = account.pk, account.balance
        if pool_id is None:  # a test database flushed of its system accounts
            pool_id = ledger.system_account(Account.Kind.REWARD_POOL).pk
        if balance < reward.points_price:
            raise InsufficientPoints(f"积分余额不足：需要 {reward.points_price} 分，当前余额 {balance} 分。")
        voucher = Voucher(
            reward=reward, volunteer=volunteer, points=reward.points_price, idempotency_key=key,
            request_fingerprint=fingerprint, expires_at=timezone.now() + datetime.timedelta(days=reward.voucher_days),
        )
        fastsql.insert(voucher, cursor=cursor)
        fastsql.insert(VoucherStatusChange(voucher=voucher, from_status="", to_status=Voucher.Status.ISSUED,
                                           actor=acting_user), cursor=cursor)
        issue = audit.build("volunteers.voucher.issue", actor=acting_user, obj=voucher,
                            after={"reward": reward.pk, "points": reward.points_price})
        issue.region_id = reward.merchant.region_id
        ledger.post(debit_id=account_id, credit_id=pool_id, amount=reward.points_price,
                    source=Transfer.Source.REDEMPTION, source_ref=voucher.pk, actor=acting_user,
                    memo=f"兑换：{reward.title}（{reward.merchant.name}）", cursor=cursor, also_audit=[issue])
    return voucher


def _close_voucher(voucher: Voucher, to: str, *, actor, reason: str) -> Voucher:
    """Cancel or expire an issued voucher: points back by a reversing transfer, stock back (caller holds locks)."""
    move(voucher, to, transitions=Voucher.TRANSITIONS, history=VoucherStatusChange, history_fk="voucher", actor=actor,
         reason=reason, action_prefix="volunteers.voucher", extra_fields={"closed_at": timezone.now()})
    Reward.objects.filter(pk=voucher.reward_id).update(stock=F("stock") + 1)
    original = Transfer.objects.get(source=Transfer.Source.REDEMPTION, source_ref=str(voucher.pk))
    ledger.reverse(original, source=Transfer.Source.REDEMPTION_RETURN, source_ref=voucher.pk, actor=actor,
                   memo=f"{'取消' if to == Voucher.Status.CANCELLED else '过期'}退回：{voucher.reward.title}")
    return voucher


def _lock_voucher(voucher_pk) -> Voucher:
    return Voucher.objects.select_for_update().select_related("reward__merchant", "volunteer").get(pk=voucher_pk)


@transaction.atomic
def cancel_voucher(voucher: Voucher, *, acting_user, reason: str = "") -> Voucher:
    """The volunteer (or the merchant) cancels an unused voucher; points and stock return."""
    voucher = _lock_voucher(voucher.pk)
    is_owner = voucher.volunteer.user_id == acting_user.pk
    is_merchant = voucher.reward.merchant.members.filter(pk=acting_user.pk).exists()
    if not (is_owner or is_merchant):
        raise PermissionDenied("只能取消本人的兑换券。")
    if voucher.status != Voucher.Status.ISSUED:
        raise RedemptionRefused(f"该兑换券{voucher.get_status_display()}，不能取消。")
    return _close_voucher(voucher, Voucher.Status.CANCELLED, actor=acting_user, reason=reason or "志愿者取消")


def complete_voucher(code: str, *, acting_user) -> Voucher:
    """核销: a merchant's member scans or types the code; only the merchant's own vouchers are found.

    A voucher past its date is expired (points and stock returned) and the refusal raised after that
    transaction commits, so the return is not rolled back with the error."""
    code = (code or "").strip().upper().replace(" ", "")
    voucher = Voucher.objects.filter(code=code, reward__merchant__members=acting_user).values_list("pk", flat=True).first()
    if voucher is None:
        raise RedemptionRefused("未找到该兑换码，请核对后重新输入（只能核销本商家的兑换券）。", field="code")
    with transaction.atomic():
        voucher = _lock_voucher(voucher)
        if voucher.status != Voucher.Status.ISSUED:
            raise RedemptionRefused(f"该兑换券{voucher.get_status_display()}，不能核销。", field="code")
        expired = voucher.expires_at <= timezone.now()
        if expired:
            _close_voucher(voucher, Voucher.Status.EXPIRED, actor=None, reason="核销时已过有效期")
        else:
            move(voucher, Voucher.Status.REDEEMED, transitions=Voucher.TRANSITIONS, history=VoucherStatusChange,
                 history_fk="voucher", actor=acting_user, action_prefix="volunteers.voucher",
                 extra_fields={"redeemed_at": timezone.now(), "redeemed_by": acting_user})
    if expired:
        raise RedemptionRefused("该兑换券已过有效期，积分已退回志愿者。", field="code")
    return voucher


def expire_vouchers(now=None) -> int:
    """Expire every issued voucher past its date, returning points and stock; safe to run again (each voucher
    is locked and re-checked, and its return transfer is keyed on the voucher)."""
    now = now or timezone.now()
    expired = 0
    for pk in Voucher.objects.filter(status=Voucher.Status.ISSUED, expires_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            voucher = _lock_voucher(pk)
            if voucher.status == Voucher.Status.ISSUED and voucher.expires_at <= now:
                _close_voucher(voucher, Voucher.Status.EXPIRED, actor=None, reason="超过有效期未使用")
                expired += 1
    return expired


# --- points expiry (off unless PORTAL_POINTS_EXPIRE_MONTHS is set) ------------------------------------------
def expiry_months() -> int | None:
    return getattr(settings, "PORTAL_POINTS_EXPIRE_MONTHS", None)


def expire_points(*, as_of: datetime.date | None = None, months: int | None = None) -> int:
    """Move points earned before the cutoff and not spent since to the expiry account; hours stay.

    Spending uses the oldest points first, so what expires is what was earned before the cutoff minus
    everything that has left the account since it opened. Each account's expiry for a cutoff date is keyed on
    the account and the date, so running it twice for one day moves nothing more. Returns points moved.
    """
    months = months or expiry_months()
    if not months:
        return 0
    from core.dates import add_months

    as_of = as_of or timezone.localdate()
    cutoff = add_months(as_of, -months)
    cutoff_at = timezone.make_aware(datetime.datetime.combine(cutoff, datetime.time.min))
    expiry = ledger.system_account(Account.Kind.EXPIRY)
    moved = 0
    earned_before = dict(
        Transfer.objects.filter(credit__kind=Account.Kind.VOLUNTEER, created_at__lt=cutoff_at)
        .values_list("credit").annotate(s=Sum("amount")).values_list("credit", "s")
    )
    spent = dict(
        Transfer.objects.filter(debit__kind=Account.Kind.VOLUNTEER).values_list("debit")
        .annotate(s=Sum("amount")).values_list("debit", "s")
    )
    for account_pk, earned in earned_before.items():
        amount = earned - spent.get(account_pk, 0)
        if amount <= 0:
            continue
        ref = f"{account_pk}:{cutoff:%Y-%m-%d}"
        if Transfer.objects.filter(source=Transfer.Source.EXPIRY, source_ref=ref).exists():
            continue  # this cutoff's expiry already ran for the account
        with transaction.atomic():
            account = Account.objects.get(pk=account_pk)
            amount = min(amount, account.balance)
            if amount <= 0:
                continue
            row = ledger.transfer(debit=account, credit=expiry, amount=amount, source=Transfer.Source.EXPIRY,
                                  source_ref=ref, memo=f"{cutoff:%Y-%m-%d} 前获得的积分过期")
            moved += row.amount
    return moved


# --- 好市民 awards ----------------------------------------------------------------------------------------
@transaction.atomic
def confer_award(*, acting_user, volunteer: Volunteer, year: int, region, title: str = "好市民", citation: str = "",
                 bonus_points: int = 0) -> Award:
    """An officer confers an annual award on a volunteer of their jurisdiction; bonus points are credited once."""
    if not can_administer_region(acting_user, region) or not volunteer.region.path.startswith(region.path):
        raise PermissionDenied("只能在本人辖区内、为本辖区的志愿者授予表彰。")
    try:
        with transaction.atomic():  # savepoint: the unique index refuses a second award of the title that year
            award = Award.objects.create(year=year, volunteer=volunteer, region=region, title=title, citation=citation,
                                         bonus_points=bonus_points, conferred_by=acting_user)
    except IntegrityError as exc:
        raise VolunteerError(f"该志愿者已获 {year} 年度“{title}”称号。", field="volunteer") from exc
    if bonus_points:
        ledger.transfer(debit=ledger.system_account(Account.Kind.ISSUER), credit=ledger.account_for(volunteer),
                        amount=bonus_points, source=Transfer.Source.AWARD, source_ref=award.pk, actor=acting_user,
                        memo=f"{year} 年度{title}奖励积分")
    audit.record("volunteers.award", actor=acting_user, obj=award, region=region,
                 after={"year": year, "title": title, "bonus_points": bonus_points})
    notify.notify(volunteer.user, f"您获得 {year} 年度“{title}”称号", citation)
    return award


# --- certificates -----------------------------------------------------------------------------------------
@transaction.atomic
def issue_certificate(volunteer: Volunteer, *, acting_user, organization=None) -> Certificate:
    """Issue a free 志愿服务证明 of the volunteer's approved records — all of them from the platform (the volunteer
    asks from their page), or those of one organization's activities (a member of it issues it)."""
    records = ServiceRecord.objects.filter(volunteer=volunteer, status=ServiceRecord.Status.APPROVED).select_related(
        "activity__organization", "activity__region"
    ).order_by("served_on", "pk")
    if organization is None:
        if volunteer.user_id != acting_user.pk and not can_administer_region(acting_user, volunteer.region):
            raise PermissionDenied("只能为本人申请志愿服务证明。")
        issuer = settings.PORTAL_VOLUNTEER_CERTIFICATE_ISSUER  # the 爱心银行 platform
        name, head, contact = issuer["name"], issuer["head"], issuer["contact"]
        handler = issuer["handler"] if volunteer.user_id == acting_user.pk else (acting_user.name or str(acting_user))
    else:
        if not (acting_user.is_superuser or organization.members.filter(pk=acting_user.pk).exists()):
            raise PermissionDenied("只能以本人所在组织的名义出具证明。")
        records = records.filter(activity__organization=organization)
        name, head = organization.name, organization.legal_representative or "—"
        contact, handler = organization.contact_phone or "—", acting_user.name or str(acting_user)
    rows = [
        {"date": r.served_on.isoformat(), "activity": r.activity.title, "organizer": r.activity.organizer_name,
         "minutes": r.minutes, "hours": r.hours, "content": r.content}
        for r in records
    ]
    if not rows:
        raise VolunteerError("暂无已确认的志愿服务记录，无法出具证明。")
    number = f"ZYFW{timezone.localdate():%Y}{next_value('volunteer_certificate'):07d}"
    certificate = Certificate.objects.create(
        number=number, volunteer=volunteer, issuer_name=name, issuer_head=head, issuer_handler=handler,
        issuer_contact=contact, organization=organization, records=rows,
        total_minutes=sum(r["minutes"] for r in rows), record_count=len(rows), issued_by=acting_user,
    )
    audit.record("volunteers.certificate.issue", actor=acting_user, obj=certificate, region=volunteer.region,
                 after={"number": number, "records": len(rows), "minutes": certificate.total_minutes})
    return certificate


# --- merchants (officers) ---------------------------------------------------------------------------------
@transaction.atomic
def add_merchant_member(merchant: Merchant, user, *, acting_user) -> None:
    """An officer of the merchant's region lets a person act for it (and gives them the merchant role)."""
    if not can_administer_region(acting_user, merchant.region):
        raise PermissionDenied("只能管理本辖区的爱心商家。")
    merchant.members.add(user)
    if not user.has_role(Role.MERCHANT):
        grant_role(user, Role.MERCHANT, acting_user=None)
    audit.record("volunteers.merchant.member_add", actor=acting_user, obj=merchant, region=merchant.region,
                 after={"user": user.pk})


def volunteer_balance(volunteer: Volunteer) -> int:
    """O(1): the cached balance on the account row."""
    return Account.objects.filter(volunteer=volunteer).values_list("balance", flat=True).first() or 0


def statement(volunteer: Volunteer, *, account: Account | None = None):
    """Every transfer into or out of the volunteer's account, newest first, with ``change``: the amount signed
    from the volunteer's side (+ in, − out), computed in SQL so the statement paginates in the database.
    ``account``: the volunteer's account when the caller has it already."""
    account = account or ledger.account_for(volunteer)
    return (
        Transfer.objects.filter(Q(debit=account) | Q(credit=account))
        .annotate(change=Case(When(credit=account, then=F("amount")), default=-F("amount")))
        .order_by("-created_at", "-pk")
    )
