"""The printed 志愿服务证明: the volunteer, the masked ID number, the records and totals, the issuer, the QR code;
a long certificate continues over pages."""

import datetime

import pytest
from django.utils import timezone

from tests.pdftext import pdf_text
from volunteers import services
from volunteers.pdf import certificate_pdf

from .helpers import make_activity, make_shift, move_shift, register

VERIFY_URL = "https://portal.example.cn/volunteers/certificates/verify/abc123/"


def served(volunteer, organizer, activity, *, days_ago: int, hours: float, content: str = "陪伴老人聊天、协助助餐"):
    """One approved service record made as the application makes it: sign up for a shift, the shift happens,
    the organizer enters the sign-in sheet's times and approves the hours."""
    shift = make_shift(activity, organizer, hours=hours)
    services.sign_up(shift, volunteer=volunteer, acting_user=volunteer.user)
    start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0) - datetime.timedelta(days=days_ago)
    shift = move_shift(shift, start)
    record = services.record_attendance(
        shift, volunteer=volunteer, acting_user=organizer, checked_in_at=start,
        checked_out_at=start + datetime.timedelta(hours=hours), content=content,
    )
    return services.approve_record(record, acting_user=organizer)


@pytest.fixture
def sun(db):
    return register(real_name="孙志愿")


def test_the_certificate_shows_the_volunteer_masked_id_records_totals_and_issuer(sun, applicant, org_a):
    activity = make_activity(applicant, org_a, title="花果园社区助老服务")
    served(sun, applicant, activity, days_ago=10, hours=2)
    served(sun, applicant, activity, days_ago=5, hours=1.5, content="为独居老人整理房间、测量血压")
    certificate = services.issue_certificate(sun, acting_user=sun.user)

    text = pdf_text(certificate_pdf(certificate, verify_url=VERIFY_URL))

    assert "志愿服务证明" in text
    assert "孙志愿" in text
    assert sun.masked_id_number in text
    assert sun.id_number not in text.replace(" ", "")
    assert sun.number in text
    assert "居民身份证" in text
    assert certificate.number in text
    assert "累计服务时长 3.5 小时" in text
    assert "记录 2 条" in text
    assert "花果园社区助老服务" in text and org_a.name in text
    assert "出具单位" in text and certificate.issuer_name in text
    assert certificate.issuer_head in text and certificate.issuer_contact in text
    assert "扫码核验" in text
    assert "本证明免费出具" in text
    assert f"{timezone.localdate(certificate.issued_at):%Y年%m月%d日}" in text


def test_forty_records_continue_over_pages_with_the_header_repeated(sun, applicant, org_a):
    activity = make_activity(applicant, org_a, title="南明河河道保洁志愿服务行动")
    for day in range(40):
        served(sun, applicant, activity, days_ago=60 - day, hours=1,
               content="沿河捡拾垃圾、劝导游客文明出行、向沿岸商户宣传垃圾分类知识并发放宣传资料")
    certificate = services.issue_certificate(sun, acting_user=sun.user)

    content = certificate_pdf(certificate, verify_url=VERIFY_URL)
    text = pdf_text(content)

    pages = text.split("\f")
    assert len([p for p in pages if p.strip()]) > 1
    assert "记录 40 条" in text and "累计服务时长 40 小时" in text
    assert sum("服务日期" in page for page in pages) >= 2  # the header row is repeated on the next page
    assert sun.id_number not in text.replace(" ", "")
