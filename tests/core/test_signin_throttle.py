"""Sign-in throttling (django-axes, issue 11): five wrong passwords for one phone number from one address lock that
pair out for 15 minutes on every sign-in form, with a Chinese message and status 429; a successful sign-in resets
the count; an officer can lift a lock. Axes is on here, as in production."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
ADMIN_LOGIN = "/admin/login/"
LOCKED = "登录失败次数过多，该手机号码已暂时锁定，请 15 分钟后再试。"


def sign_in(client, phone, password, url=LOGIN, **extra):
    return client.post(url, {"username": phone, "password": password}, **extra)


def fail(client, phone, times, url=LOGIN, **extra):
    return [sign_in(client, phone, "Wrong#Guess1", url, **extra) for _ in range(times)]


def signed_in(client) -> bool:
    return client.get(reverse("accounts:profile")).status_code == 200


def test_four_wrong_passwords_only_say_wrong_password(client, outsider):
    responses = fail(client, outsider.phone, 4)
    assert [r.status_code for r in responses] == [200] * 4
    assert "手机号码或密码不正确" in responses[-1].content.decode()
    assert LOCKED not in responses[-1].content.decode()


def test_the_fifth_wrong_password_locks_the_number_with_a_chinese_message_on_the_form(client, outsider):
    fifth = fail(client, outsider.phone, 5)[-1]
    assert fifth.status_code == 429
    html = fifth.content.decode()
    assert LOCKED in html and "联系所在地民政部门的系统管理员" in html
    assert "手机号码或密码不正确" not in html  # the password was not the reason any more
    assert f'value="{outsider.phone}"' in html and 'name="password"' in html
    assert fifth.templates[0].name == "accounts/login.html"


def test_while_locked_even_the_right_password_is_refused(client, outsider, password):
    fail(client, outsider.phone, 5)
    response = sign_in(client, outsider.phone, password)
    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert not signed_in(client)


def test_the_lock_holds_for_the_number_however_it_is_spelled(client, outsider, password):
    fail(client, outsider.phone, 5)
    spelled = f"+86 {outsider.phone[:3]} {outsider.phone[3:7]} {outsider.phone[7:]}"
    assert sign_in(client, spelled, password).status_code == 429
    assert not signed_in(client)


def test_the_lock_is_per_number_and_address(client, outsider, applicant, password):
    fail(client, outsider.phone, 5)
    assert sign_in(client, applicant.phone, password).status_code == 302  # another number, same address
    client.logout()
    assert sign_in(client, outsider.phone, password, REMOTE_ADDR="10.20.30.40").status_code == 302  # same number elsewhere


def test_the_lock_ends_after_fifteen_minutes(client, outsider, password):
    fail(client, outsider.phone, 5)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16))
    assert sign_in(client, outsider.phone, password).status_code == 302
    assert signed_in(client)


def test_a_successful_sign_in_resets_the_count(client, outsider, password):
    fail(client, outsider.phone, 4)
    assert sign_in(client, outsider.phone, password).status_code == 302
    assert not AccessAttempt.objects.exists()
    client.logout()
    responses = fail(client, outsider.phone, 4)
    assert [r.status_code for r in responses] == [200] * 4
    assert sign_in(client, outsider.phone, password).status_code == 302


def test_failed_attempts_are_recorded_without_the_password(client, outsider):
    fail(client, outsider.phone, 2)
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == (outsider.phone, "127.0.0.1", 2)
    assert "Wrong#Guess1" not in attempt.post_data


def test_the_wagtail_admin_sign_in_is_locked_too_with_the_message_on_its_form(client, city_officer, password):
    responses = fail(client, city_officer.phone, 5, url=ADMIN_LOGIN)
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    html = responses[-1].content.decode()
    assert LOCKED in html
    assert responses[-1].templates[0].name == "wagtailadmin/login.html"
    assert sign_in(client, city_officer.phone, password, url=ADMIN_LOGIN).status_code == 429
    assert client.get("/admin/").status_code == 302  # still sent to the sign-in page


def test_failures_on_the_public_form_lock_the_admin_sign_in_as_well(client, city_officer, password):
    fail(client, city_officer.phone, 5)
    assert sign_in(client, city_officer.phone, password, url=ADMIN_LOGIN).status_code == 429


def test_an_officer_unlocks_a_number_with_the_management_command(client, outsider, password):
    fail(client, outsider.phone, 5)
    call_command("axes_reset_username", outsider.phone)
    assert not AccessAttempt.objects.exists()
    assert sign_in(client, outsider.phone, password).status_code == 302


def test_one_address_failing_for_many_numbers_is_stopped_after_thirty_failures(client, outsider, password):
    for number in range(30):
        assert sign_in(client, f"1390000{number:04d}", "Wrong#Guess1").status_code == 200
    response = sign_in(client, outsider.phone, password)
    assert response.status_code == 429
    assert "本网络登录失败次数过多，请 15 分钟后再试。" in response.content.decode()
    assert f'value="{outsider.phone}"' in response.content.decode()
    assert not signed_in(client)
    elsewhere = sign_in(client, outsider.phone, password, REMOTE_ADDR="10.20.30.40")
    assert elsewhere.status_code == 302
