"""Registration, sign-up and the waitlist (DESIGN.md §4.4): never overbooked, promoted in arrival order."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import Notification, Role
from tests.factories import UserFactory
from tests.volunteers.helpers import id_number, make_shift, move_shift, register
from volunteers import services
from volunteers.exceptions import AttendanceError, PermissionDenied, SignUpRefused, VolunteerError
from volunteers.models import Account, Shift, SignUp, Volunteer

pytestmark = pytest.mark.django_db


@pytest.fixture
def shift(activity, applicant):
    return make_shift(activity, applicant, capacity=2)


def people(n):
    return [register(UserFactory(), real_name=f"志愿者{i}") for i in range(n)]


def join(shift, volunteer):
    return services.sign_up(shift, volunteer=volunteer, acting_user=volunteer.user)


def statuses(shift):
    return list(SignUp.objects.filter(shift=shift).order_by("position").values_list("volunteer__real_name", "status", "position"))


# --- registration -------------------------------------------------------------------------------------------
def test_registering_makes_a_numbered_volunteer_with_an_empty_account_and_the_volunteer_role(outsider, nanming):
    volunteer = register(outsider, region=nanming, real_name="郑公众")

    assert volunteer.number.startswith(f"ZY{timezone.localdate().year}")
    assert Account.objects.get(volunteer=volunteer).balance == 0
    outsider.refresh_from_db()
    outsider._active_roles = None
    assert outsider.has_role(Role.VOLUNTEER)
    assert volunteer.masked_id_number.count("*") == 10


def test_one_id_number_registers_one_volunteer(outsider, volunteer, nanming):
    number = id_number()
    services.register_volunteer(outsider, real_name="郑公众", id_number=number, phone=outsider.phone, region=nanming)

    with pytest.raises(VolunteerError) as refused:
        services.register_volunteer(volunteer, real_name="孙志愿", id_number=number.lower(), phone=volunteer.phone,
                                    region=nanming)
    assert refused.value.field == "id_number"
    assert not Volunteer.objects.filter(user=volunteer).exists()


def test_a_person_registers_as_a_volunteer_once(volunteer):
    register(volunteer)
    with pytest.raises(VolunteerError):
        register(volunteer)


# --- sign-up and the waitlist -------------------------------------------------------------------------------
def test_sign_ups_are_confirmed_until_the_shift_is_full_and_then_waitlisted_in_arrival_order(shift):
    a, b, c, d = people(4)
    for person in (a, b, c, d):
        join(shift, person)

    assert statuses(shift) == [
        ("志愿者0", "confirmed", 1), ("志愿者1", "confirmed", 2), ("志愿者2", "waitlisted", 3), ("志愿者3", "waitlisted", 4),
    ]
    shift.refresh_from_db()
    assert (shift.confirmed, shift.open_places) == (2, 0)


def test_a_shift_never_holds_more_confirmed_volunteers_than_its_capacity(shift):
    for person in people(5):
        join(shift, person)
    shift.refresh_from_db()
    assert SignUp.objects.filter(shift=shift, status=SignUp.Status.CONFIRMED).count() == shift.confirmed == 2

    with pytest.raises(IntegrityError), transaction.atomic():
        Shift.objects.filter(pk=shift.pk).update(confirmed=3)


def test_cancelling_a_confirmed_place_promotes_the_first_on_the_waitlist_and_tells_them(shift):
    a, b, c, d = people(4)
    for person in (a, b, c, d):
        join(shift, person)

    services.cancel_signup(SignUp.objects.get(shift=shift, volunteer=a), acting_user=a.user)

    assert statuses(shift) == [
        ("志愿者0", "cancelled", 1), ("志愿者1", "confirmed", 2), ("志愿者2", "confirmed", 3), ("志愿者3", "waitlisted", 4),
    ]
    promoted = SignUp.objects.get(shift=shift, volunteer=c)
    assert promoted.promoted_at is not None
    shift.refresh_from_db()
    assert shift.confirmed == 2
    notices = Notification.objects.filter(user=c.user)
    assert notices.count() == 1
    assert notices.get().title.startswith("候补成功")
    assert not Notification.objects.filter(user=d.user).exists()


def test_cancelling_a_confirmed_place_with_nobody_waiting_frees_it_for_the_next_person(shift):
    a, b, c = people(3)
    first = join(shift, a)
    join(shift, b)

    services.cancel_signup(first, acting_user=a.user)
    shift.refresh_from_db()
    assert shift.confirmed == 1
    assert join(shift, c).status == SignUp.Status.CONFIRMED


def test_a_confirmed_volunteer_cannot_cancel_after_the_cutoff(activity, applicant):
    shift = make_shift(activity, applicant, starts_in=datetime.timedelta(hours=2), capacity=1)  # cutoff: 24 hours before
    a, b = people(2)
    mine = join(shift, a)
    join(shift, b)

    with pytest.raises(SignUpRefused):
        services.cancel_signup(mine, acting_user=a.user)

    mine.refresh_from_db()
    assert mine.status == SignUp.Status.CONFIRMED
    assert SignUp.objects.get(shift=shift, volunteer=b).status == SignUp.Status.WAITLISTED


def test_a_waitlisted_volunteer_may_cancel_even_after_the_cutoff(activity, applicant):
    shift = make_shift(activity, applicant, starts_in=datetime.timedelta(hours=2), capacity=1)
    a, b = people(2)
    join(shift, a)
    waiting = join(shift, b)

    services.cancel_signup(waiting, acting_user=b.user)

    assert SignUp.objects.get(pk=waiting.pk).status == SignUp.Status.CANCELLED
    shift.refresh_from_db()
    assert shift.confirmed == 1


def test_a_cancelled_sign_up_cannot_be_cancelled_again(shift):
    (a,) = people(1)
    mine = join(shift, a)
    services.cancel_signup(mine, acting_user=a.user)
    with pytest.raises(SignUpRefused):
        services.cancel_signup(mine, acting_user=a.user)
    shift.refresh_from_db()
    assert shift.confirmed == 0


def test_signing_up_again_after_cancelling_goes_to_the_back_of_the_queue(activity, applicant):
    shift = make_shift(activity, applicant, capacity=1)
    a, b, c = people(3)
    join(shift, a)
    first_try = join(shift, b)
    join(shift, c)

    services.cancel_signup(first_try, acting_user=b.user)
    second_try = join(shift, b)

    assert second_try.pk == first_try.pk
    assert (second_try.status, second_try.position) == (SignUp.Status.WAITLISTED, 4)
    services.cancel_signup(SignUp.objects.get(shift=shift, volunteer=a), acting_user=a.user)
    assert SignUp.objects.get(shift=shift, volunteer=c).status == SignUp.Status.CONFIRMED
    assert SignUp.objects.get(shift=shift, volunteer=b).status == SignUp.Status.WAITLISTED


def test_signing_up_twice_for_one_shift_is_refused(shift):
    (a,) = people(1)
    join(shift, a)
    with pytest.raises(SignUpRefused):
        join(shift, a)
    assert SignUp.objects.filter(shift=shift).count() == 1
    shift.refresh_from_db()
    assert (shift.confirmed, shift.next_position) == (1, 2)


def test_nobody_can_sign_up_once_the_shift_has_started(shift):
    move_shift(shift, timezone.now() - datetime.timedelta(minutes=1))
    (a,) = people(1)
    with pytest.raises(SignUpRefused):
        join(shift, a)
    assert not SignUp.objects.filter(shift=shift).exists()


def test_nobody_can_sign_up_for_a_cancelled_activity_and_those_signed_up_are_told(activity, applicant, shift):
    a, b = people(2)
    join(shift, a)
    services.cancel_activity(activity, acting_user=applicant, reason="天气原因取消")

    with pytest.raises(SignUpRefused):
        join(shift, b)
    assert SignUp.objects.get(shift=shift, volunteer=a).status == SignUp.Status.CANCELLED
    assert Notification.objects.filter(user=a.user, body="天气原因取消").exists()
    shift.refresh_from_db()
    assert shift.confirmed == 0


def test_nobody_can_sign_up_or_cancel_for_someone_else(shift, volunteer, outsider, applicant):
    mine = register(volunteer)

    for other in (outsider, applicant):
        with pytest.raises(PermissionDenied):
            services.sign_up(shift, volunteer=mine, acting_user=other)
    signup = join(shift, mine)
    for other in (outsider, applicant):
        with pytest.raises(PermissionDenied):
            services.cancel_signup(signup, acting_user=other)

    assert SignUp.objects.get(pk=signup.pk).status == SignUp.Status.CONFIRMED


# --- no-shows -------------------------------------------------------------------------------------------------
def test_the_organizer_marks_a_confirmed_volunteer_who_did_not_come_as_a_no_show_after_the_start(shift, applicant):
    (a,) = people(1)
    signup = join(shift, a)

    with pytest.raises(AttendanceError):  # not before the shift starts
        services.mark_no_show(signup, acting_user=applicant)
    move_shift(shift, timezone.now() - datetime.timedelta(minutes=10))

    assert services.mark_no_show(signup, acting_user=applicant).status == SignUp.Status.NO_SHOW
    with pytest.raises(AttendanceError):  # only once
        services.mark_no_show(signup, acting_user=applicant)


def test_only_the_organizer_may_mark_a_no_show(shift, other_member, officer_yunyan, officer_nanming):
    (a,) = people(1)
    signup = join(shift, a)
    move_shift(shift, timezone.now() - datetime.timedelta(minutes=10))

    for stranger in (other_member, officer_yunyan, a.user):
        with pytest.raises(PermissionDenied):
            services.mark_no_show(signup, acting_user=stranger)
    assert services.mark_no_show(signup, acting_user=officer_nanming).status == SignUp.Status.NO_SHOW


def test_a_waitlisted_or_checked_in_volunteer_is_not_a_no_show(activity, applicant):
    shift = make_shift(activity, applicant, capacity=1)
    a, b = people(2)
    here = join(shift, a)
    waiting = join(shift, b)
    move_shift(shift, timezone.now() - datetime.timedelta(minutes=10))
    services.check_in(shift, volunteer=a, acting_user=applicant, method=SignUp.Method.ORGANIZER_SCAN)

    for signup in (here, waiting):
        with pytest.raises(AttendanceError):
            services.mark_no_show(signup, acting_user=applicant)
    assert SignUp.objects.get(pk=waiting.pk).status == SignUp.Status.WAITLISTED
