"""The 爱心银行 pages end to end through HTTP: the public list, registration, sign-up, the organizer's roster,
scanning and approval, redemption and 核销, certificates; other people's objects answer 404; public pages stay
within a fixed number of queries."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry, Notification
from tests.factories import UserFactory
from volunteers import services
from volunteers.models import ServiceRecord, SignUp, Voucher

from .helpers import (
    balance,
    credit,
    id_number,
    make_activity,
    make_merchant,
    make_reward,
    make_shift,
    move_shift,
    pending_record,
    register,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shift(activity, applicant):
    return make_shift(activity, applicant, capacity=1)


@pytest.fixture
def registered(volunteer):
    return register(volunteer, real_name="孙志愿")


def test_the_public_activity_list_filters_by_open_places(client, activity, shift, applicant, org_a):
    full = make_activity(applicant, org_a, title="满员的环保活动")
    full_shift = make_shift(full, applicant, capacity=1)
    services.sign_up(full_shift, volunteer=register(), acting_user=full_shift_user(full_shift))
    response = client.get(reverse("volunteers:activities"))
    assert "花果园社区助老服务" in response.text and "满员的环保活动" in response.text
    response = client.get(reverse("volunteers:activities"), {"open_only": "on"})
    assert "花果园社区助老服务" in response.text and "满员的环保活动" not in response.text


def full_shift_user(shift):
    """The user of the last volunteer registered (helper for signing someone up in a test)."""
    from volunteers.models import Volunteer

    return Volunteer.objects.order_by("-pk").first().user


def test_registration_with_a_wrong_check_digit_shows_a_chinese_error_and_keeps_the_input(client, outsider, nanming):
    client.force_login(outsider)
    good = id_number()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = client.post(reverse("volunteers:register"), {
        "real_name": "郑公众", "id_number": bad, "phone": outsider.phone, "region": nanming.pk, "agree": "on",
    })
    assert response.status_code == 400
    assert "校验位不正确" in response.text
    assert 'value="郑公众"' in response.text


def test_a_person_registers_and_the_centre_shows_the_masked_id_number(client, outsider, nanming):
    client.force_login(outsider)
    number = id_number()
    response = client.post(reverse("volunteers:register"), {
        "real_name": "郑公众", "id_number": number, "phone": outsider.phone, "region": nanming.pk, "agree": "on",
    })
    assert response.status_code == 302
    page = client.get(reverse("volunteers:centre")).text
    assert number not in page and f"{number[:4]}**********{number[-4:]}" in page
    assert number in client.get(reverse("volunteers:profile")).text  # the owner sees their own number


def test_a_volunteer_signs_up_then_a_second_is_waitlisted_and_promoted_on_cancel(client, registered, shift, volunteer):
    client.force_login(volunteer)
    client.post(reverse("volunteers:sign_up", args=[shift.pk]))
    other = register()
    services.sign_up(shift, volunteer=other, acting_user=other.user)
    assert SignUp.objects.get(volunteer=other).status == SignUp.Status.WAITLISTED
    mine = SignUp.objects.get(volunteer=registered)
    client.post(reverse("volunteers:cancel_signup", args=[mine.pk]))
    assert SignUp.objects.get(volunteer=other).status == SignUp.Status.CONFIRMED
    assert Notification.objects.filter(user=other.user, title__startswith="候补成功").exists()


def test_another_persons_signup_cannot_be_cancelled(client, registered, shift, outsider):
    signup = services.sign_up(shift, volunteer=registered, acting_user=registered.user)
    register(outsider)
    client.force_login(outsider)
    assert client.post(reverse("volunteers:cancel_signup", args=[signup.pk])).status_code == 404
    assert SignUp.objects.get(pk=signup.pk).status == SignUp.Status.CONFIRMED


def test_the_organizer_scans_the_volunteers_code_checks_in_and_out_and_approves(client, registered, shift, applicant):
    services.sign_up(shift, volunteer=registered, acting_user=registered.user)
    move_shift(shift, timezone.now() - datetime.timedelta(minutes=90))
    token = services.volunteer_token(registered)
    client.force_login(applicant)
    page = client.get(reverse("volunteers:scan"), {"t": token})
    assert "孙志愿" in page.text
    signup = SignUp.objects.get(volunteer=registered)
    client.post(reverse("volunteers:scan") + f"?t={token}", {"token": token, "signup": signup.pk})
    SignUp.objects.filter(pk=signup.pk).update(checked_in_at=timezone.now() - datetime.timedelta(minutes=80))
    client.post(reverse("volunteers:scan") + f"?t={token}", {"token": token, "signup": signup.pk})
    record = ServiceRecord.objects.get(volunteer=registered)
    assert record.status == ServiceRecord.Status.PENDING and 78 <= record.minutes <= 80
    client.post(reverse("volunteers:decide_record", args=[record.pk]), {"decision": "approve"})
    assert balance(registered) == record.points == 1


def test_a_volunteer_checks_in_with_the_rotating_shift_code(client, registered, shift, volunteer):
    services.sign_up(shift, volunteer=registered, acting_user=volunteer)
    move_shift(shift, timezone.now() - datetime.timedelta(minutes=10))
    client.force_login(volunteer)
    wrong = client.post(reverse("volunteers:shift_here", args=[shift.pk]), {"code": "000000" if services.shift_code(shift) != "000000" else "111111"})
    assert wrong.status_code == 400 and "不正确" in wrong.text
    client.post(reverse("volunteers:shift_here", args=[shift.pk]), {"code": services.shift_code(shift)})
    assert SignUp.objects.get(volunteer=registered).checkin_method == SignUp.Method.SHIFT_CODE


def test_an_officer_of_another_district_cannot_open_the_organizers_pages(client, activity, shift, officer_yunyan, other_member):
    for user in (officer_yunyan, other_member):
        client.force_login(user)
        assert client.get(reverse("volunteers:manage_activity", args=[activity.pk])).status_code == 404
        assert client.get(reverse("volunteers:roster", args=[shift.pk])).status_code == 404


def test_bulk_approval_credits_each_selected_record_once(client, registered, activity, applicant):
    records = [
        ServiceRecord.objects.create(
            volunteer=registered, activity=activity, region=activity.region, served_on=timezone.localdate(),
            started_at=timezone.now() - datetime.timedelta(hours=3), ended_at=timezone.now() - datetime.timedelta(hours=1),
            minutes=120, original_minutes=120, points_per_hour=1, points=2, content="助餐",
        )
        for _ in range(3)
    ]
    client.force_login(applicant)
    ids = [r.pk for r in records[:2]]
    client.post(reverse("volunteers:approve_records", args=[activity.pk]), {"records": ids})
    client.post(reverse("volunteers:approve_records", args=[activity.pk]), {"records": ids})
    assert balance(registered) == 4
    assert ServiceRecord.objects.get(pk=records[2].pk).status == ServiceRecord.Status.PENDING


def test_a_volunteer_redeems_and_the_merchant_completes_the_voucher(client, registered, activity, applicant, merchant, volunteer):
    credit(registered, 12, organizer=applicant, activity=activity)
    shop = make_merchant(merchant)
    reward = make_reward(shop, merchant, points_price=10, stock=2)
    client.force_login(volunteer)
    response = client.post(reverse("volunteers:redeem", args=[reward.pk]), {"idempotency_key": "k1"})
    voucher = Voucher.objects.get(volunteer=registered)
    assert response.url == reverse("volunteers:voucher", args=[voucher.pk])
    client.post(reverse("volunteers:redeem", args=[reward.pk]), {"idempotency_key": "k1"})  # a double click
    assert Voucher.objects.filter(volunteer=registered).count() == 1 and balance(registered) == 2
    statement = client.get(reverse("volunteers:statement")).text
    assert "+12" in statement and "−10" in statement
    client.force_login(merchant)
    assert voucher.code in client.get(reverse("volunteers:merchant")).text
    client.post(reverse("volunteers:merchant_complete"), {"code": voucher.code.lower()})
    assert Voucher.objects.get(pk=voucher.pk).status == Voucher.Status.REDEEMED


def test_a_merchant_cannot_complete_another_merchants_voucher(client, registered, activity, applicant, merchant):
    credit(registered, 10, organizer=applicant, activity=activity)
    shop = make_merchant(merchant)
    voucher = services.redeem(make_reward(shop, merchant), volunteer=registered, acting_user=registered.user, idempotency_key="a")
    rival = UserFactory(name="另一商家")
    make_merchant(rival, name="另一家爱心店")
    client.force_login(rival)
    response = client.post(reverse("volunteers:merchant_complete"), {"code": voucher.code})
    assert response.status_code == 400 and "未找到该兑换码" in response.text
    assert Voucher.objects.get(pk=voucher.pk).status == Voucher.Status.ISSUED
    assert client.get(reverse("volunteers:merchant")).status_code == 200
    assert voucher.code not in client.get(reverse("volunteers:merchant")).text


def test_another_volunteers_voucher_answers_404(client, registered, activity, applicant, merchant, outsider):
    credit(registered, 10, organizer=applicant, activity=activity)
    voucher = services.redeem(make_reward(make_merchant(merchant), merchant), volunteer=registered,
                              acting_user=registered.user, idempotency_key="a")
    register(outsider)
    client.force_login(outsider)
    assert client.get(reverse("volunteers:voucher", args=[voucher.pk])).status_code == 404
    assert client.post(reverse("volunteers:cancel_voucher", args=[voucher.pk])).status_code == 404


def test_a_volunteer_downloads_a_certificate_and_the_public_page_verifies_it_masked(client, registered, activity, applicant, volunteer):
    credit(registered, 3, organizer=applicant, activity=activity)
    client.force_login(volunteer)
    client.post(reverse("volunteers:issue_certificate"))
    certificate = registered.certificates.get()
    response = client.get(reverse("volunteers:certificate_pdf", args=[certificate.pk]))
    assert response["Content-Type"] == "application/pdf" and response["Content-Disposition"].startswith("attachment")
    client.logout()
    page = client.get(reverse("volunteers:verify", args=[certificate.token])).text
    assert certificate.number in page and registered.id_number not in page and "孙*" in page
    assert AuditEntry.objects.filter(action="volunteers.certificate.issue").count() == 1


def test_the_ranking_masks_names_without_consent(client, activity, applicant):
    shy = register(real_name="李不公开")
    proud = register(real_name="王愿公开", public_name_consent=True)
    credit(shy, 4, organizer=applicant, activity=activity)
    credit(proud, 2, organizer=applicant, activity=activity)
    page = client.get(reverse("volunteers:rankings")).text
    assert "李**" in page and "李不公开" not in page and "王愿公开" in page
    assert page.index("李**") < page.index("王愿公开")


def test_a_volunteer_asks_for_a_correction_and_the_organizer_applies_it(client, registered, activity, applicant, volunteer):
    record = credit(registered, 2, organizer=applicant, activity=activity)
    client.force_login(volunteer)
    bad = client.post(reverse("volunteers:request_correction", args=[record.pk]), {"new_minutes": 180, "reason": ""})
    assert bad.status_code == 400 and 'value="180"' in bad.text
    client.post(reverse("volunteers:request_correction", args=[record.pk]), {"new_minutes": 180, "reason": "漏记一小时"})
    correction = record.corrections.get()
    client.force_login(applicant)
    client.post(reverse("volunteers:decide_correction", args=[correction.pk]), {"apply": "1", "note": "核实属实"})
    record.refresh_from_db()
    assert (record.minutes, record.original_minutes, balance(registered)) == (180, 120, 3)


@pytest.mark.parametrize("size", [2, 12])
def test_public_pages_stay_within_a_fixed_number_of_queries(client, applicant, org_a, size, django_assert_max_num_queries):
    for i in range(size):
        activity = make_activity(applicant, org_a, title=f"活动{i}")
        make_shift(activity, applicant)
        credit(register(), 2, organizer=applicant, activity=activity)
    merchant_user = UserFactory()
    shop = make_merchant(merchant_user)
    for i in range(size):
        make_reward(shop, merchant_user, title=f"回馈{i}")
    for name in ("volunteers:activities", "volunteers:rewards", "volunteers:rankings"):
        with django_assert_max_num_queries(12):
            assert client.get(reverse(name)).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("volunteers:activity", args=[activity.pk])).status_code == 200


def test_a_paper_sheet_entry_with_check_out_before_check_in_shows_the_error_by_the_field(client, registered, shift, applicant):
    signup = services.sign_up(shift, volunteer=registered, acting_user=registered.user)
    move_shift(shift, timezone.now() - datetime.timedelta(hours=3))
    client.force_login(applicant)
    response = client.post(reverse("volunteers:attendance", args=[signup.pk]), {
        "action": "manual", "checked_in_at": "2026-01-05T10:00", "checked_out_at": "2026-01-05T09:00",
    })
    assert response.status_code == 400
    assert "签退时间必须晚于签到时间" in response.text and f'id="id_checked_out_at_{signup.pk}_error"' in response.text
    assert 'value="2026-01-05T09:00"' in response.text
    assert not ServiceRecord.objects.filter(volunteer=registered).exists()


def test_the_centre_shows_balance_hours_and_pending_in_twelve_queries_however_long_the_history(
        client, registered, volunteer, applicant, activity, django_assert_max_num_queries):
    credit(registered, 6, organizer=applicant, activity=activity)
    pending_record(registered, activity, 90)
    client.force_login(volunteer)
    client.get(reverse("volunteers:centre"))  # the session's first request

    with django_assert_max_num_queries(12):
        page = client.get(reverse("volunteers:centre"))
    assert (page.context["balance"], page.context["record_count"], page.context["pending"]) == (6, 1, 1)
    for _ in range(12):
        credit(registered, 2, organizer=applicant, activity=activity)
        pending_record(registered, activity, 30)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("volunteers:centre"))
    assert (page.context["balance"], page.context["record_count"], page.context["pending"]) == (30, 13, 13)
    assert balance(registered) == 30
