import re

import pytest
from django.urls import reverse
from django.utils import timezone

from core import sms, verification
from core.models import AuditEntry, PhoneVerification


@pytest.fixture(autouse=True)
def _empty_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def sent_code() -> str:
    return re.search(r"\d{6}", sms.outbox[-1][1]).group(0)


def test_a_public_user_verifies_their_phone_with_the_texted_code(client, outsider, django_capture_on_commit_callbacks):
    client.force_login(outsider)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:phone_verify"), {"action": "send"}, follow=True)
    assert "验证码已发送" in response.content.decode()
    assert sms.outbox[-1][0] == outsider.phone
    response = client.post(reverse("accounts:phone_verify"), {"action": "verify", "code": sent_code(), "next": "/orgs/"})
    assert response.status_code == 302 and response["Location"] == "/orgs/"
    outsider.refresh_from_db()
    assert outsider.phone_verified_at is not None
    assert AuditEntry.objects.filter(action="account.phone_verified", object_id=str(outsider.pk)).exists()
    # Only a digest is stored, never the code itself.
    assert sent_code() not in PhoneVerification.objects.get(user=outsider).code_digest


def test_a_wrong_code_is_a_field_error_and_counts_as_an_attempt(client, outsider, django_capture_on_commit_callbacks):
    client.force_login(outsider)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:phone_verify"), {"action": "send"})
    wrong = "000000" if sent_code() != "000000" else "111111"
    response = client.post(reverse("accounts:phone_verify"), {"action": "verify", "code": wrong})
    assert response.status_code == 200
    assert "验证码不正确，还可尝试 4 次" in response.content.decode()
    assert PhoneVerification.objects.get(user=outsider).attempts == 1
    outsider.refresh_from_db()
    assert outsider.phone_verified_at is None


def test_a_code_stops_working_after_five_wrong_guesses(outsider, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        verification.send_code(outsider)
    code = sent_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(verification.VerificationFailed):
            verification.verify_code(outsider, wrong)
    with pytest.raises(verification.VerificationFailed, match="错误次数过多"):
        verification.verify_code(outsider, code)


def test_an_expired_code_is_refused(outsider, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        verification.send_code(outsider)
    PhoneVerification.objects.filter(user=outsider).update(expires_at=timezone.now() - timezone.timedelta(seconds=1))
    with pytest.raises(verification.VerificationFailed, match="已过期"):
        verification.verify_code(outsider, sent_code())


def test_a_second_code_within_a_minute_is_refused(client, outsider, django_capture_on_commit_callbacks):
    client.force_login(outsider)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:phone_verify"), {"action": "send"})
        response = client.post(reverse("accounts:phone_verify"), {"action": "send"}, follow=True)
    assert "1 分钟后再试" in response.content.decode()
    assert len(sms.outbox) == 1


def test_a_non_numeric_code_is_a_chinese_field_error(client, outsider):
    client.force_login(outsider)
    response = client.post(reverse("accounts:phone_verify"), {"action": "verify", "code": "12ab56"})
    assert "验证码为 6 位数字" in response.content.decode()


def test_a_verified_account_is_not_sent_another_code(client, outsider, django_capture_on_commit_callbacks):
    outsider.phone_verified_at = timezone.now()
    outsider.save(update_fields=["phone_verified_at"])
    client.force_login(outsider)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:phone_verify"), {"action": "send"})
    assert "已于" in response.content.decode()
    assert sms.outbox == [] and not PhoneVerification.objects.exists()
