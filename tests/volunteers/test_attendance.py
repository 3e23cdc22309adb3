"""Check-in and check-out, the hours and points they make, the organizer's approval and corrections
(DESIGN.md §4.4: a verified record is final and corrected only by a correcting record)."""

import datetime
import time

import pytest
from django.core import signing
from django.utils import timezone

from core.exceptions import InvalidTransition
from core.models import Notification
from tests.factories import UserFactory
from tests.volunteers.helpers import (
    balance,
    make_merchant,
    make_reward,
    make_shift,
    move_shift,
    register,
)
from volunteers import services
from volunteers.exceptions import AttendanceError, PermissionDenied
from volunteers.models import Account, Correction, ServiceRecord, SignUp, Transfer

pytestmark = pytest.mark.django_db

SCAN = SignUp.Method.ORGANIZER_SCAN
HOUR = datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def shift(activity, applicant, member):
    """A three-hour shift the member signed up for, which started four hours ago (it ended an hour ago)."""
    shift = make_shift(activity, applicant, hours=3, capacity=5)
    services.sign_up(shift, volunteer=member, acting_user=member.user)
    start = (timezone.now() - 4 * HOUR).replace(second=0, microsecond=0)
    return move_shift(shift, start)


def attend(shift, member, organizer, arrive, leave):
    services.check_in(shift, volunteer=member, acting_user=organizer, method=SCAN, at=shift.starts_at + arrive)
    return services.check_out(shift, volunteer=member, acting_user=organizer, method=SCAN, at=shift.ends_at + leave)


@pytest.fixture
def record(shift, member, applicant):
    """A pending record of two hours (2 points at 1 point an hour)."""
    return attend(shift, member, applicant, datetime.timedelta(0), -HOUR)


@pytest.fixture
def approved(record, applicant):
    return services.approve_record(record, acting_user=applicant)


# --- check-in codes ---------------------------------------------------------------------------------------
def test_a_volunteers_check_in_code_names_that_volunteer(member):
    other = register(UserFactory())
    assert services.volunteer_from_token(services.volunteer_token(member)) == member
    assert services.volunteer_from_token(services.volunteer_token(other)) == other


def signed_seconds_ago(member, seconds, monkeypatch):
    stamp = signing.b62_encode(int(time.time()) - seconds)
    with monkeypatch.context() as patch:
        patch.setattr(signing.TimestampSigner, "timestamp", lambda self: stamp)
        return services.volunteer_token(member)


def test_a_check_in_code_older_than_five_minutes_is_refused_as_expired(member, monkeypatch):
    assert services.volunteer_from_token(signed_seconds_ago(member, 240, monkeypatch)) == member
    with pytest.raises(AttendanceError, match="过期"):
        services.volunteer_from_token(signed_seconds_ago(member, services.QR_TOKEN_MAX_AGE + 5, monkeypatch))


def test_a_tampered_or_made_up_check_in_code_is_refused(member):
    token = services.volunteer_token(member)
    _number, rest = token.split(":", 1)
    for bad in (f"ZY20269999999:{rest}", token[:-2] + "xx", "ZY20260000001", ""):
        with pytest.raises(AttendanceError, match="无效"):
            services.volunteer_from_token(bad)


def test_the_on_site_code_is_accepted_for_this_minute_and_the_last_and_nothing_else(shift, activity, applicant,
                                                                                    monkeypatch):
    moment = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: moment)
    current = services.shift_code(shift, moment)
    previous = services.shift_code(shift, moment - MINUTE)
    older = services.shift_code(shift, moment - 2 * MINUTE)
    other_shift = services.shift_code(make_shift(activity, applicant), moment)
    wrong = next(c for c in (f"{(int(current) + i) % 1_000_000:06d}" for i in range(1, 4)) if c not in (current, previous))

    assert len(current) == 6 and current.isdigit()
    assert services.shift_code_valid(shift, current)
    assert services.shift_code_valid(shift, f" {previous} ")
    assert services.shift_code_valid(shift, older) == (older in (current, previous))
    assert services.shift_code_valid(shift, other_shift) == (other_shift in (current, previous))
    assert not services.shift_code_valid(shift, wrong)
    assert not services.shift_code_valid(shift, "")


# --- check-in and check-out ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("arrive", "leave", "minutes", "points"),
    [
        (-20 * MINUTE, 30 * MINUTE, 180, 3),  # early and late: only the shift's three hours count
        (30 * MINUTE, -HOUR, 90, 2),  # 1.5 points round half up
        (31 * MINUTE, -HOUR, 89, 1),
        (0 * MINUTE, -150 * MINUTE, 30, 1),  # 0.5 rounds up
        (0 * MINUTE, -151 * MINUTE, 29, 0),
    ],
)
def test_check_out_makes_a_pending_record_of_the_minutes_served_within_the_shift(shift, member, applicant, arrive,
                                                                                 leave, minutes, points):
    record = attend(shift, member, applicant, arrive, leave)

    assert (record.minutes, record.original_minutes, record.points) == (minutes, minutes, points)
    assert record.status == ServiceRecord.Status.PENDING
    assert record.started_at == max(shift.starts_at, shift.starts_at + arrive)
    assert record.ended_at - record.started_at == datetime.timedelta(minutes=minutes)
    signup = SignUp.objects.get(shift=shift, volunteer=member)
    assert (signup.status, signup.checkin_method) == (SignUp.Status.ATTENDED, SCAN)
    assert balance(member) == 0 and not Transfer.objects.exists()


@pytest.mark.parametrize(("minutes", "rate", "points"), [(90, 1, 2), (89, 1, 1), (60, 3, 3), (10, 3, 1), (9, 3, 0),
                                                          (45, 2, 2), (14, 2, 0), (15, 2, 1)])
def test_points_are_whole_and_round_half_up(minutes, rate, points):
    assert services.points_for(minutes, rate) == points


def test_served_minutes_never_count_time_outside_the_shift(shift):
    before, after = shift.starts_at - 3 * HOUR, shift.ends_at + 3 * HOUR
    assert services.served_minutes(shift, before, after) == 180
    assert services.served_minutes(shift, before, shift.starts_at - HOUR) == 0
    assert services.served_minutes(shift, shift.starts_at, shift.starts_at + datetime.timedelta(seconds=119)) == 1


def test_a_volunteer_checks_in_with_the_on_site_code_only_for_themself(shift, member):
    other = register(UserFactory())
    with pytest.raises(PermissionDenied):
        services.check_in(shift, volunteer=member, acting_user=other.user, method=SignUp.Method.SHIFT_CODE,
                          at=shift.starts_at)
    with pytest.raises(PermissionDenied):  # scanning someone's code is for organizers
        services.check_in(shift, volunteer=member, acting_user=member.user, method=SCAN, at=shift.starts_at)

    signup = services.check_in(shift, volunteer=member, acting_user=member.user, method=SignUp.Method.SHIFT_CODE,
                               at=shift.starts_at)
    assert signup.checkin_method == SignUp.Method.SHIFT_CODE


def test_check_in_is_refused_outside_its_window_twice_or_without_a_confirmed_place(shift, member, applicant, activity):
    with pytest.raises(AttendanceError):
        services.check_in(shift, volunteer=member, acting_user=applicant, method=SCAN, at=shift.starts_at - 61 * MINUTE)
    with pytest.raises(AttendanceError):
        services.check_in(shift, volunteer=member, acting_user=applicant, method=SCAN, at=shift.ends_at + MINUTE)
    stranger = register(UserFactory())
    with pytest.raises(AttendanceError):
        services.check_in(shift, volunteer=stranger, acting_user=applicant, method=SCAN, at=shift.starts_at)

    services.check_in(shift, volunteer=member, acting_user=applicant, method=SCAN, at=shift.starts_at - 60 * MINUTE)
    with pytest.raises(AttendanceError):
        services.check_in(shift, volunteer=member, acting_user=applicant, method=SCAN, at=shift.starts_at)


def test_check_out_is_refused_before_check_in_and_a_second_time(shift, member, applicant):
    with pytest.raises(AttendanceError):
        services.check_out(shift, volunteer=member, acting_user=applicant, method=SCAN, at=shift.ends_at)
    attend(shift, member, applicant, datetime.timedelta(0), datetime.timedelta(0))
    with pytest.raises(AttendanceError):
        services.check_out(shift, volunteer=member, acting_user=applicant, method=SCAN, at=shift.ends_at)
    assert ServiceRecord.objects.filter(volunteer=member).count() == 1


def test_the_organizer_enters_times_from_a_paper_sheet(shift, member, applicant):
    record = services.record_attendance(shift, volunteer=member, acting_user=applicant,
                                        checked_in_at=shift.starts_at + 15 * MINUTE, checked_out_at=shift.ends_at)

    assert (record.minutes, record.points, record.status) == (165, 3, ServiceRecord.Status.PENDING)
    signup = SignUp.objects.get(shift=shift, volunteer=member)
    assert (signup.checkin_method, signup.status) == (SignUp.Method.MANUAL, SignUp.Status.ATTENDED)
    with pytest.raises(AttendanceError):  # entered once; a mistake is corrected, not entered again
        services.record_attendance(shift, volunteer=member, acting_user=applicant,
                                   checked_in_at=shift.starts_at, checked_out_at=shift.ends_at)


def test_manual_attendance_refuses_impossible_times_and_strangers(shift, member, applicant, other_member):
    with pytest.raises(AttendanceError):
        services.record_attendance(shift, volunteer=member, acting_user=applicant, checked_in_at=shift.ends_at,
                                   checked_out_at=shift.starts_at)
    with pytest.raises(AttendanceError):
        services.record_attendance(shift, volunteer=member, acting_user=applicant, checked_in_at=shift.starts_at,
                                   checked_out_at=timezone.now() + HOUR)
    with pytest.raises(PermissionDenied):
        services.record_attendance(shift, volunteer=member, acting_user=other_member, checked_in_at=shift.starts_at,
                                   checked_out_at=shift.ends_at)
    assert not ServiceRecord.objects.exists()
    assert SignUp.objects.get(shift=shift, volunteer=member).checked_in_at is None


# --- approval -----------------------------------------------------------------------------------------------
def test_approving_a_record_credits_its_points_once(record, applicant, member):
    approved = services.approve_record(record, acting_user=applicant)

    assert (approved.status, approved.decided_by) == (ServiceRecord.Status.APPROVED, applicant)
    transfer = Transfer.objects.get()
    assert (transfer.source, transfer.source_ref, transfer.amount) == ("service", str(record.pk), 2)
    assert transfer.credit.volunteer == member and transfer.debit.kind == Account.Kind.ISSUER
    assert balance(member) == 2
    assert Notification.objects.filter(user=member.user, title="志愿服务时长已确认").count() == 1

    with pytest.raises(InvalidTransition):
        services.approve_record(record, acting_user=applicant)
    assert Transfer.objects.count() == 1
    assert balance(member) == 2


def test_approving_a_record_worth_no_points_moves_nothing(shift, member, applicant):
    record = attend(shift, member, applicant, datetime.timedelta(0), -151 * MINUTE)
    services.approve_record(record, acting_user=applicant)
    assert ServiceRecord.objects.get(pk=record.pk).status == ServiceRecord.Status.APPROVED
    assert not Transfer.objects.exists()


def test_declining_a_record_needs_a_reason_keeps_the_record_and_credits_nothing(record, applicant, member):
    with pytest.raises(AttendanceError):
        services.decline_record(record, acting_user=applicant, reason="  ")
    assert ServiceRecord.objects.get(pk=record.pk).status == ServiceRecord.Status.PENDING

    services.decline_record(record, acting_user=applicant, reason="未在现场")

    record.refresh_from_db()
    assert (record.status, record.decline_reason, record.minutes) == (ServiceRecord.Status.DECLINED, "未在现场", 120)
    assert not Transfer.objects.exists() and balance(member) == 0
    assert Notification.objects.filter(user=member.user, title="志愿服务记录未通过审核").exists()
    with pytest.raises(InvalidTransition):
        services.approve_record(record, acting_user=applicant)
    assert not Transfer.objects.exists()


@pytest.mark.parametrize("stranger", ["other_member", "officer_yunyan", "volunteer", "reviewer"])
def test_only_the_organizer_may_approve_or_decline_a_record(record, request, stranger):
    user = request.getfixturevalue(stranger)
    with pytest.raises(PermissionDenied):
        services.approve_record(record, acting_user=user)
    with pytest.raises(PermissionDenied):
        services.decline_record(record, acting_user=user, reason="不认可")
    assert ServiceRecord.objects.get(pk=record.pk).status == ServiceRecord.Status.PENDING
    assert not Transfer.objects.exists()


@pytest.mark.parametrize("officer", ["officer_nanming", "city_officer"])
def test_an_officer_whose_jurisdiction_covers_the_activity_may_approve(record, request, officer, member):
    services.approve_record(record, acting_user=request.getfixturevalue(officer))
    assert balance(member) == 2


def test_approving_in_bulk_skips_records_already_decided(shift, record, applicant, member, activity):
    other = register(UserFactory())
    shift2 = make_shift(activity, applicant)
    services.sign_up(shift2, volunteer=other, acting_user=other.user)
    move_shift(shift2, shift.starts_at)
    second = attend(shift2, other, applicant, datetime.timedelta(0), datetime.timedelta(0))
    services.approve_record(record, acting_user=applicant)

    assert services.approve_records([record, second], acting_user=applicant) == 1
    assert Transfer.objects.count() == 2


# --- corrections ----------------------------------------------------------------------------------------------
def test_a_volunteer_asks_for_a_correction_and_the_organizer_applies_it_by_a_transfer(approved, member, applicant):
    correction = services.request_correction(approved, acting_user=member.user, new_minutes=150, reason="实际服务到 11:30")
    assert (correction.status, correction.old_minutes, correction.new_minutes) == (Correction.Status.REQUESTED, 120, 150)
    assert ServiceRecord.objects.get(pk=approved.pk).minutes == 120  # nothing changes until the organizer decides

    services.decide_correction(correction, acting_user=applicant, apply=True, note="核实无误")

    record = ServiceRecord.objects.get(pk=approved.pk)
    assert (record.minutes, record.original_minutes, record.points) == (150, 120, 3)
    correction.refresh_from_db()
    assert (correction.status, correction.old_minutes, correction.new_minutes) == (Correction.Status.APPLIED, 120, 150)
    assert (correction.old_points, correction.new_points, correction.decided_by) == (2, 3, applicant)
    moved = Transfer.objects.get(source=Transfer.Source.CORRECTION)
    assert (moved.source_ref, moved.amount, moved.credit.volunteer) == (str(correction.pk), 1, member)
    assert balance(member) == 3
    assert Transfer.objects.filter(source=Transfer.Source.SERVICE).get().amount == 2  # the original stays as it was


def test_a_correction_is_asked_for_by_the_volunteer_only_once_at_a_time_and_only_of_an_approved_record(
    record, member, applicant, outsider
):
    with pytest.raises(AttendanceError):
        services.request_correction(record, acting_user=member.user, new_minutes=150, reason="多算")
    services.approve_record(record, acting_user=applicant)
    for stranger in (applicant, outsider):
        with pytest.raises(PermissionDenied):
            services.request_correction(record, acting_user=stranger, new_minutes=150, reason="多算")
    with pytest.raises(AttendanceError):
        services.request_correction(record, acting_user=member.user, new_minutes=120, reason="相同")
    services.request_correction(record, acting_user=member.user, new_minutes=150, reason="少算了半小时")
    with pytest.raises(AttendanceError):
        services.request_correction(record, acting_user=member.user, new_minutes=160, reason="再改")
    assert Correction.objects.count() == 1


def test_only_the_organizer_decides_a_correction_and_declining_needs_a_note(approved, member, other_member, applicant):
    correction = services.request_correction(approved, acting_user=member.user, new_minutes=180, reason="少算")
    with pytest.raises(PermissionDenied):
        services.decide_correction(correction, acting_user=other_member, apply=True)
    with pytest.raises(AttendanceError):
        services.decide_correction(correction, acting_user=applicant, apply=False, note="")

    services.decide_correction(correction, acting_user=applicant, apply=False, note="签到表显示 11:00 离开")

    correction.refresh_from_db()
    assert correction.status == Correction.Status.DECLINED
    assert ServiceRecord.objects.get(pk=approved.pk).minutes == 120
    assert balance(member) == 2 and not Transfer.objects.filter(source=Transfer.Source.CORRECTION).exists()
    with pytest.raises(InvalidTransition):
        services.decide_correction(correction, acting_user=applicant, apply=True)


def test_a_downward_correction_takes_the_points_back_to_the_issuer(approved, member, applicant):
    correction = services.correct_record(approved, acting_user=applicant, new_minutes=60, reason="提前离开未登记")

    moved = Transfer.objects.get(source=Transfer.Source.CORRECTION)
    assert (moved.debit.volunteer, moved.credit.kind, moved.amount) == (member, Account.Kind.ISSUER, 1)
    assert (correction.old_minutes, correction.new_minutes, correction.status) == (120, 60, Correction.Status.APPLIED)
    record = ServiceRecord.objects.get(pk=approved.pk)
    assert (record.minutes, record.original_minutes, record.points) == (60, 120, 1)
    assert balance(member) == 1


def test_a_downward_correction_of_points_already_spent_is_refused_and_nothing_changes(approved, member, applicant,
                                                                                      merchant):
    reward = make_reward(make_merchant(merchant), merchant, points_price=2)
    services.redeem(reward, volunteer=member, acting_user=member.user, idempotency_key="spend-all")
    correction = services.request_correction(approved, acting_user=member.user, new_minutes=60, reason="我记错了")

    with pytest.raises(AttendanceError):
        services.decide_correction(correction, acting_user=applicant, apply=True)
    with pytest.raises(AttendanceError):
        services.correct_record(approved, acting_user=applicant, new_minutes=30, reason="提前离开")

    correction.refresh_from_db()
    assert correction.status == Correction.Status.REQUESTED
    assert Correction.objects.count() == 1
    record = ServiceRecord.objects.get(pk=approved.pk)
    assert (record.minutes, record.points) == (120, 2)
    assert balance(member) == 0
    assert not Transfer.objects.filter(source=Transfer.Source.CORRECTION).exists()


def test_only_the_organizer_corrects_a_record_and_only_an_approved_one(record, other_member, officer_yunyan, applicant):
    for stranger in (other_member, officer_yunyan):
        with pytest.raises(PermissionDenied):
            services.correct_record(record, acting_user=stranger, new_minutes=60, reason="x")
    with pytest.raises(AttendanceError):
        services.correct_record(record, acting_user=applicant, new_minutes=60, reason="待审核的记录")
    assert not Correction.objects.exists()


@pytest.mark.parametrize("new_minutes", [0, -30])
def test_a_correction_to_no_time_or_negative_time_is_refused_as_a_domain_error(approved, member, applicant, new_minutes):
    with pytest.raises(AttendanceError):
        services.correct_record(approved, acting_user=applicant, new_minutes=new_minutes, reason="未实际服务")
    with pytest.raises(AttendanceError):
        services.request_correction(approved, acting_user=member.user, new_minutes=new_minutes, reason="未实际服务")
    assert ServiceRecord.objects.get(pk=approved.pk).minutes == 120
    assert balance(member) == 2
