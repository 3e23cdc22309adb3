"""爱心银行 endpoints for the mini-program: public activities and rewards; for a signed-in volunteer, sign-up
and cancel, balance and statement, vouchers, and redemption with an ``Idempotency-Key`` header (the same key
returns the same voucher; the same key with a different body is a 409). No response carries an ID number or
a full phone number."""

import datetime

from django.db.models import Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Header, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from core import ratelimit
from core.api import Pagination
from core.api_auth import session_or_token
from core.models import Region
from orgs.models import ServiceField

from . import services
from .exceptions import IdempotencyConflict
from .models import Activity, ServiceRecord, Shift, SignUp, Voucher
from .permissions import public_rewards, volunteer_of
from .queries import public_activities

router = Router(tags=["爱心银行"])


class Error(Schema):
    detail: str


class ShiftOut(Schema):
    id: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    place: str
    capacity: int
    confirmed: int
    open_places: int
    skills: str


class ActivityOut(Schema):
    id: int
    title: str
    summary: str
    organizer: str
    region_code: str
    region_name: str
    category: str
    service_field: str | None
    points_per_hour: int
    cancel_cutoff_hours: int
    starts_on: datetime.date | None

    @staticmethod
    def resolve_organizer(obj):
        return obj.organizer_name

    @staticmethod
    def resolve_region_code(obj):
        return obj.region.code

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.name

    @staticmethod
    def resolve_category(obj):
        return obj.category.name

    @staticmethod
    def resolve_service_field(obj):
        return obj.service_field.name if obj.service_field_id else None


class ActivityDetailOut(ActivityOut):
    description: str
    contact_name: str
    shifts: list[ShiftOut]

    @staticmethod
    def resolve_shifts(obj):
        return list(obj.shifts.filter(ends_at__gt=timezone.now()).order_by("starts_at"))


class ActivityFilterIn(Schema):
    q: str | None = None
    district: str | None = None
    field: str | None = None
    date: datetime.date | None = None
    open_only: bool = False


class SignUpOut(Schema):
    id: int
    shift_id: int
    status: str
    status_label: str
    position: int

    @staticmethod
    def resolve_status_label(obj):
        return str(obj.get_status_display())


class VolunteerMeOut(Schema):
    """Named apart from portal.api's MeOut: two schemas of one name collided in the OpenAPI document, so /api/v1/me
    was documented with the volunteer's fields (found by fuzzing)."""

    number: str
    name: str
    balance: int
    approved_hours: float
    pending_records: int


class TransferOut(Schema):
    id: int
    at: datetime.datetime
    source: str
    source_label: str
    amount: int
    memo: str

    @staticmethod
    def resolve_at(obj):
        return obj.created_at

    @staticmethod
    def resolve_source_label(obj):
        return str(obj.get_source_display())

    @staticmethod
    def resolve_amount(obj):
        return obj.change


class RewardOut(Schema):
    id: int
    title: str
    merchant: str
    points_price: int
    stock: int
    per_person_limit: int
    valid_until: datetime.date

    @staticmethod
    def resolve_merchant(obj):
        return obj.merchant.name


class VoucherOut(Schema):
    id: int
    code: str
    reward_id: int
    reward: str
    points: int
    status: str
    expires_at: datetime.datetime

    @staticmethod
    def resolve_reward(obj):
        return obj.reward.title


class RedeemIn(Schema):
    reward_id: int


def _volunteer(request):
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        raise HttpError(403, "请先完成志愿者实名注册。")
    return volunteer


@router.get("/activities", response=list[ActivityOut], summary="志愿服务活动", auth=None)
@paginate(Pagination, page_size=20)
def list_volunteer_activities(request, filters: Query[ActivityFilterIn]):
    """Published activities with shifts to come: ``q`` words, ``district`` (code), ``field`` (service field
    code), ``date`` (a day with a shift), ``open_only`` (shifts with places left)."""
    district = None
    if filters.district:
        district = Region.objects.filter(code=filters.district, level=Region.Level.DISTRICT).first()
        if district is None:
            raise HttpError(422, "筛选条件有误：district 不是本市的区县代码。")
    field = None
    if filters.field:
        field = ServiceField.objects.filter(code=filters.field).first()
        if field is None:
            raise HttpError(422, "筛选条件有误：field 不是有效的服务领域代码。")
    return public_activities(q=(filters.q or "").strip()[:40], district=district, field=field, date=filters.date,
                             open_only=filters.open_only)


@router.get("/activities/{int:activity_id}", response={200: ActivityDetailOut, 404: Error}, summary="活动详情", auth=None)
def get_volunteer_activity(request, activity_id: int):
    return get_object_or_404(Activity.objects.select_related("organization", "region", "category", "service_field"),
                             pk=activity_id)


@router.post("/shifts/{int:shift_id}/signup", response={201: SignUpOut, 400: Error, 401: Error, 403: Error, 404: Error},
             summary="报名班次", auth=session_or_token)
def sign_up_shift(request, shift_id: int):
    """A confirmed place while there is one, else the waitlist in arrival order."""
    shift = get_object_or_404(Shift, pk=shift_id)
    return Status(201, services.sign_up(shift, volunteer=_volunteer(request), acting_user=request.user))


@router.post("/signups/{int:signup_id}/cancel", response={200: SignUpOut, 400: Error, 401: Error, 403: Error, 404: Error},
             summary="取消报名", auth=session_or_token)
def cancel_volunteer_signup(request, signup_id: int):
    signup = get_object_or_404(SignUp, pk=signup_id, volunteer=_volunteer(request))
    return services.cancel_signup(signup, acting_user=request.user)


@router.get("/me", response={200: VolunteerMeOut, 401: Error, 403: Error}, summary="我的积分余额", auth=session_or_token)
def volunteer_me(request):
    volunteer = _volunteer(request)
    records = ServiceRecord.objects.filter(volunteer=volunteer)
    minutes = records.filter(status=ServiceRecord.Status.APPROVED).aggregate(total=Sum("minutes"))["total"] or 0
    return VolunteerMeOut(number=volunteer.number, name=volunteer.masked_name, balance=services.volunteer_balance(volunteer),
                 approved_hours=round(minutes / 60, 2), pending_records=records.filter(status=ServiceRecord.Status.PENDING).count())


@router.get("/me/statement", response={200: list[TransferOut], 401: Error, 403: Error}, summary="积分明细",
            auth=session_or_token)
@paginate(Pagination, page_size=50)
def volunteer_statement(request):
    """Every transfer into (positive ``amount``) or out of (negative) the volunteer's account, newest first."""
    return services.statement(_volunteer(request))


@router.get("/me/vouchers", response={200: list[VoucherOut], 401: Error, 403: Error}, summary="我的兑换券",
            auth=session_or_token)
@paginate(Pagination, page_size=50)
def volunteer_vouchers(request):
    return Voucher.objects.filter(volunteer=_volunteer(request)).select_related("reward").order_by("-created_at", "-pk")


@router.get("/rewards", response=list[RewardOut], summary="可兑换的爱心回馈", auth=None)
@paginate(Pagination, page_size=50)
def list_volunteer_rewards(request):
    return public_rewards(timezone.localdate()).filter(stock__gt=0).order_by("points_price", "pk")


@router.post("/redemptions", response={201: VoucherOut, 400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error},
             summary="兑换回馈", auth=session_or_token)
def redeem_reward(request, payload: RedeemIn, idempotency_key: str = Header(..., alias="Idempotency-Key")):
    """Reserve the points and one unit of stock and issue a voucher. Send a fresh ``Idempotency-Key`` (for
    example a UUID) with each redemption and the same key when retrying: a retry returns the same voucher and
    moves nothing twice; the same key with a different body answers 409."""
    key = idempotency_key.strip()
    if not key or len(key) > 64:
        raise HttpError(422, "Idempotency-Key 请求头必须为 1–64 个字符。")
    volunteer = _volunteer(request)
    reward = get_object_or_404(public_rewards(timezone.localdate()), pk=payload.reward_id)
    ratelimit.check("volunteers.redeem", request.user.pk, limit=60, window=3600)
    try:
        voucher = services.redeem(reward, volunteer=volunteer, acting_user=request.user, idempotency_key=key,
                                  fingerprint=services.request_fingerprint(payload.dict()))
    except IdempotencyConflict as exc:
        raise HttpError(409, exc.message) from exc
    return Status(201, voucher)
