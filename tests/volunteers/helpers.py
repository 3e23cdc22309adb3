"""Builders for the 爱心银行 tests: valid ID numbers, volunteers, activities and shifts, merchants and rewards,
and points credited the way the application credits them (an approved service record)."""

import contextlib
import datetime
import itertools

from django.utils import timezone

from orgs.codes import make_id_number
from tests.factories import UserFactory, district
from volunteers import ledger, services
from volunteers.models import Merchant, ServiceCategory, ServiceRecord, Shift, Transfer

_serial = itertools.count(1)


def id_number(area: str = "520102") -> str:
    """A valid, never-repeating 18-digit 公民身份号码 (GB 11643 check character)."""
    n = next(_serial)
    born = datetime.date(1960, 1, 1) + datetime.timedelta(days=n // 900)
    return make_id_number(area, born, n % 900 + 100)


def register(user=None, *, region=None, real_name: str = "孙志愿", **kwargs):
    """Register ``user`` (a new user when None) as a volunteer through the service."""
    user = user or UserFactory()
    return services.register_volunteer(
        user, real_name=real_name, id_number=id_number(), phone=user.phone,
        region=region or district("520102"), **kwargs,
    )


def category(code: str = "general") -> ServiceCategory:
    return ServiceCategory.objects.get(code=code)


def make_activity(organizer, organization, *, title: str = "花果园社区助老服务", category_code: str = "general", **kwargs):
    """An activity of ``organization`` published by ``organizer`` (a member of it)."""
    return services.create_activity(
        acting_user=organizer, organization=organization, region=organization.region, category=category(category_code),
        title=title, summary="陪伴老人聊天、协助助餐", contact_name="吴经办", contact_phone="13800000008", **kwargs,
    )


def make_shift(activity, organizer, *, starts_at=None, starts_in=datetime.timedelta(days=3), hours: float = 2,
               capacity: int = 10):
    starts_at = starts_at or timezone.now() + starts_in
    return services.add_shift(
        activity, acting_user=organizer, starts_at=starts_at, ends_at=starts_at + datetime.timedelta(hours=hours),
        place="南明区花果园社区服务站", capacity=capacity,
    )


def move_shift(shift, starts_at) -> Shift:
    """Move a shift in time keeping its length, as if the clock had moved (e.g. it has now started)."""
    length = shift.ends_at - shift.starts_at
    Shift.objects.filter(pk=shift.pk).update(starts_at=starts_at, ends_at=starts_at + length)
    shift.refresh_from_db()
    return shift


_merchants = itertools.count(1)


def make_merchant(member, *, region=None, name: str | None = None) -> Merchant:
    merchant = Merchant.objects.create(
        name=name or f"爱心便利店{next(_merchants)}号", region=region or district("520102"),
        address="南明区花果园大街 1 号", contact_phone="0851-85550000",
    )
    merchant.members.add(member)
    return merchant


def make_reward(merchant, member, *, points_price: int = 10, stock: int = 5, per_person_limit: int = 1,
                valid_from=None, valid_until=None, voucher_days: int = 30, title: str = "爱心理发一次"):
    today = timezone.localdate()
    return services.save_reward(
        merchant, acting_user=member, title=title, points_price=points_price, stock=stock,
        per_person_limit=per_person_limit, valid_from=valid_from or today - datetime.timedelta(days=1),
        valid_until=valid_until or today + datetime.timedelta(days=60), voucher_days=voucher_days,
    )


def pending_record(volunteer, activity, minutes: int, *, shift=None, served_on=None) -> ServiceRecord:
    """A pending service record as check-out makes it (for tests that start at approval)."""
    started = timezone.now() - datetime.timedelta(days=1)
    return ServiceRecord.objects.create(
        volunteer=volunteer, activity=activity, shift=shift, region=activity.region,
        served_on=served_on or timezone.localdate(started), started_at=started,
        ended_at=started + datetime.timedelta(minutes=minutes), minutes=minutes, original_minutes=minutes,
        points_per_hour=activity.points_per_hour, points=services.points_for(minutes, activity.points_per_hour),
        content="陪伴老人聊天",
    )


def credit(volunteer, points: int, *, organizer, activity) -> ServiceRecord:
    """Give the volunteer ``points`` points as the application does: a record of that many hours' worth of
    service, approved by the organizer."""
    minutes = points * 60 // activity.points_per_hour
    assert services.points_for(minutes, activity.points_per_hour) == points
    record = pending_record(volunteer, activity, minutes)
    return services.approve_record(record, acting_user=organizer)


def balance(volunteer) -> int:
    return services.volunteer_balance(volunteer)


def recomputed(volunteer) -> int:
    return ledger.balance_from_transfers(ledger.account_for(volunteer))


@contextlib.contextmanager
def transfers_dated(when):
    """Transfers written inside the block carry ``created_at = when`` (the ledger refuses edits afterwards, so
    an old transfer for the points-expiry tests can only be written old)."""
    field = Transfer._meta.get_field("created_at")
    had = "_get_default" in field.__dict__
    saved = field.__dict__.get("_get_default")
    field.__dict__["_get_default"] = lambda: when
    try:
        yield
    finally:
        if had:
            field.__dict__["_get_default"] = saved
        else:
            field.__dict__.pop("_get_default", None)
