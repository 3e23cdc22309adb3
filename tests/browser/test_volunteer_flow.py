"""爱心银行 in a real browser: a person registers as a volunteer and signs up for a shift; the organizer checks them
in and out by scanning their code and confirms the hours; the volunteer redeems a reward, the merchant completes
the voucher, and the volunteer downloads the 志愿服务证明."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.browser.pages import shoot, sign_in
from tests.factories import PASSWORD
from tests.pdftext import pdf_text
from tests.volunteers.helpers import (
    id_number,
    make_activity,
    make_merchant,
    make_reward,
    make_shift,
    move_shift,
)
from volunteers import services
from volunteers.models import ServiceRecord, SignUp, Volunteer, Voucher

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



def test_sign_up_check_in_and_out_confirm_redeem_complete_and_certify_in_the_browser(
    browser, live_server, artifacts, tmp_path, applicant, org_a, volunteer, merchant,
):
    activity = make_activity(applicant, org_a, title="花果园社区助老服务")
    shift = make_shift(activity, applicant, starts_in=datetime.timedelta(minutes=30), hours=3, capacity=5)
    shop = make_merchant(merchant, name="花果园爱心理发店")
    reward = make_reward(shop, merchant, points_price=2, stock=3, title="爱心理发一次")
    number = id_number()
    base = live_server.url

    # A member of the public registers as a volunteer and signs up for the shift.
    person = browser.new_context(viewport={"width": 375, "height": 900}, accept_downloads=True).new_page()
    sign_in(person, base, volunteer.phone, PASSWORD)
    person.goto(base + reverse("volunteers:activities"))
    assert "花果园社区助老服务" in person.content()
    shoot(person, artifacts, "volunteers-activities")
    person.goto(base + reverse("volunteers:register"))
    person.fill("input[name=real_name]", "孙志愿")
    person.fill("input[name=id_number]", number)
    person.fill("input[name=phone]", volunteer.phone)
    person.select_option("select[name=region]", label="南明区")
    person.check("input[name=agree]")
    person.click("main button[type=submit]")
    person.wait_for_url(f"**{reverse('volunteers:centre')}")
    registered = Volunteer.objects.get(user=volunteer)
    assert registered.id_number == number and number not in person.content()

    person.goto(base + reverse("volunteers:activity", args=[activity.pk]))
    shoot(person, artifacts, "volunteers-activity")
    person.click("button:text-is('报名')")
    person.wait_for_url(f"**{reverse('volunteers:activity', args=[activity.pk])}")
    assert "报名成功" in person.content()
    assert SignUp.objects.get(volunteer=registered, shift=shift).status == SignUp.Status.CONFIRMED
    shoot(person, artifacts, "volunteers-activity-signed-up")

    # The organizer opens the roster and checks the volunteer in by scanning their personal code.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(desk, base, applicant.phone, PASSWORD)
    desk.goto(base + reverse("volunteers:roster", args=[shift.pk]))
    assert "孙志愿" in desk.content()
    qr = desk.locator(".qr-box svg").first.bounding_box()
    assert qr["width"] > 100 and abs(qr["width"] - qr["height"]) < 2
    scan = base + reverse("volunteers:scan") + "?t="
    desk.goto(scan + services.volunteer_token(registered))
    desk.click("button:text-is('签到')")
    desk.wait_for_url(f"**{reverse('volunteers:roster', args=[shift.pk])}")
    assert "孙志愿 签到成功" in desk.content()

    # Two hours later (the clock is moved: the shift started two hours ago, the volunteer arrived a little early).
    started = timezone.now() - datetime.timedelta(hours=2)
    move_shift(shift, started)
    SignUp.objects.filter(volunteer=registered, shift=shift).update(checked_in_at=started - datetime.timedelta(minutes=5))
    desk.goto(scan + services.volunteer_token(registered))
    desk.click("button:text-is('签退')")
    desk.wait_for_url(f"**{reverse('volunteers:roster', args=[shift.pk])}")
    assert "孙志愿 签退成功" in desk.content()
    shoot(desk, artifacts, "volunteers-roster")
    record = ServiceRecord.objects.get(volunteer=registered)
    assert record.status == ServiceRecord.Status.PENDING and record.minutes == 120 and record.points == 2

    desk.goto(base + reverse("volunteers:manage_activity", args=[activity.pk]))
    shoot(desk, artifacts, "volunteers-manage-activity")
    desk.click("button:text-is('确认')")
    desk.wait_for_load_state()
    assert "已确认 孙志愿 的服务记录" in desk.content()
    record.refresh_from_db()
    assert record.status == ServiceRecord.Status.APPROVED

    # The volunteer sees the points and redeems a reward.
    person.goto(base + reverse("volunteers:centre"))
    assert person.locator("[data-testid=balance]").inner_text() == str(record.points)
    person.goto(base + reverse("volunteers:rewards"))
    shoot(person, artifacts, "volunteers-rewards")
    person.click(f"form[action='{reverse('volunteers:redeem', args=[reward.pk])}'] button:text-is('兑换')")
    person.wait_for_url("**/volunteers/me/vouchers/*/")
    code = person.locator("[data-testid=voucher-code]").inner_text().strip()
    assert code == Voucher.objects.get(volunteer=registered).code
    assert person.locator(".qr-box svg").first.is_visible()
    shoot(person, artifacts, "volunteers-voucher")

    # The merchant completes the voucher at the counter.
    counter = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(counter, base, merchant.phone, PASSWORD)
    counter.goto(base + reverse("volunteers:merchant"))
    counter.get_by_label("兑换码").fill(code)
    counter.click("button:text-is('核销')")
    counter.wait_for_url(f"**{reverse('volunteers:merchant')}")
    assert "核销成功" in counter.content()
    assert Voucher.objects.get(code=code).status == Voucher.Status.REDEEMED
    shoot(counter, artifacts, "volunteers-merchant")

    # The volunteer asks for the certificate and downloads it.
    person.goto(base + reverse("volunteers:centre"))
    assert person.locator("[data-testid=balance]").inner_text() == "0"
    person.click("button:text-is('出具志愿服务证明')")
    person.wait_for_url(f"**{reverse('volunteers:centre')}")
    certificate = registered.certificates.get()
    assert certificate.number in person.content()
    shoot(person, artifacts, "volunteers-centre")
    with person.expect_download() as download_info:
        person.click(f"a[href='{reverse('volunteers:certificate_pdf', args=[certificate.pk])}']")
    path = tmp_path / "certificate.pdf"
    download_info.value.save_as(path)
    content = path.read_bytes()
    assert content.startswith(b"%PDF-")
    text = pdf_text(content)
    assert "孙志愿" in text and "累计服务时长 2 小时" in text and "记录 1 条" in text
    assert registered.masked_id_number in text and number not in text.replace(" ", "")
