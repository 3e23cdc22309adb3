import re

import pytest
from django.core import mail
from django.urls import reverse

from core.models import User

SIGNUP = {
    "phone": "+86 138-0013-8000",
    "name": "李明",
    "email": "liming@example.cn",
    "password1": "Qianling#2026",
    "password2": "Qianling#2026",
}


def test_sign_up_normalises_the_phone_and_signs_the_user_in(client, db):
    response = client.post(reverse("accounts:signup"), SIGNUP)
    assert response.status_code == 302 and response.url == reverse("accounts:profile")
    user = User.objects.get()
    assert user.phone == "13800138000" and user.name == "李明"
    assert client.get(reverse("accounts:profile")).context["user"] == user


def test_malformed_phone_shows_a_chinese_error_next_to_the_field_and_keeps_the_input(client, db):
    response = client.post(reverse("accounts:signup"), {**SIGNUP, "phone": "12345"})
    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == ["请输入有效的中国大陆手机号码（11 位数字，以 13–19 开头）。"]
    html = response.content.decode()
    assert 'id="id_phone_error"' in html and "请输入有效的中国大陆手机号码" in html
    assert 'value="李明"' in html and 'value="liming@example.cn"' in html and 'value="12345"' in html
    assert not User.objects.exists()


def test_mismatched_passwords_show_a_chinese_error_and_keep_the_other_fields(client, db):
    response = client.post(reverse("accounts:signup"), {**SIGNUP, "password2": "Different#2026"})
    assert response.context["form"].errors["password2"] == ["两次输入的密码不一致。"]
    html = response.content.decode()
    assert 'value="李明"' in html and 'value="+86 138-0013-8000"' in html
    assert not User.objects.exists()


def test_a_phone_number_can_register_only_once_in_any_spelling(client, outsider):
    spelled_differently = f"+86 {outsider.phone[:3]} {outsider.phone[3:7]} {outsider.phone[7:]}"
    response = client.post(reverse("accounts:signup"), {**SIGNUP, "phone": spelled_differently})
    assert response.context["form"].errors["phone"] == ["该手机号码已注册，请直接登录或找回密码。"]
    assert User.objects.count() == 1


def test_weak_passwords_are_refused_in_chinese(client, db):
    response = client.post(reverse("accounts:signup"), {**SIGNUP, "password1": "12345678", "password2": "12345678"})
    errors = " ".join(response.context["form"].errors["password1"])
    assert "密码" in errors
    assert not User.objects.exists()


def test_sign_in_with_the_phone_number_in_any_spelling(client, outsider, password):
    spelled = f"{outsider.phone[:3]}-{outsider.phone[3:7]}-{outsider.phone[7:]}"
    response = client.post(reverse("accounts:login"), {"username": spelled, "password": password})
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_wrong_password_gives_a_chinese_error_and_keeps_the_phone(client, outsider):
    response = client.post(reverse("accounts:login"), {"username": outsider.phone, "password": "nope-nope"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "手机号码或密码不正确" in html and f'value="{outsider.phone}"' in html


def test_sign_out_needs_a_post_and_ends_the_session(client, outsider):
    client.force_login(outsider)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_account_page_requires_sign_in(client, db):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_password_change_takes_the_old_password_and_sets_the_new_one(client, outsider, password):
    client.force_login(outsider)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": password, "new_password1": "Huaxi@Lake2026", "new_password2": "Huaxi@Lake2026"},
    )
    assert response.status_code == 302
    outsider.refresh_from_db()
    assert outsider.check_password("Huaxi@Lake2026")


def test_password_reset_mails_a_link_that_sets_a_new_password(client, outsider):
    outsider.email = "zheng@example.cn"
    outsider.save()
    client.post(reverse("accounts:password_reset"), {"email": "zheng@example.cn"})
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "社会组织管理门户：重设密码"
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)
    form_url = client.get(link).url  # Django swaps the token for a session marker
    response = client.post(form_url, {"new_password1": "Guanshan#Lake9", "new_password2": "Guanshan#Lake9"})
    assert response.status_code == 302
    outsider.refresh_from_db()
    assert outsider.check_password("Guanshan#Lake9")


@pytest.mark.parametrize("url_name", ["accounts:signup", "accounts:login", "accounts:password_reset"])
def test_account_pages_are_in_chinese(client, db, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert '<html lang="zh-Hans">' in response.content.decode()


def test_creating_an_api_token_shows_it_once_and_stores_only_a_digest(client, outsider):
    from wagtail.models import APIToken

    client.force_login(outsider)
    client.post(reverse("accounts:token_create"), {"name": "数据同步"})
    first = client.get(reverse("accounts:profile")).content.decode()
    token = re.search(r'<code class="token">(\S+)</code>', first).group(1)
    stored = APIToken.objects.get(user=outsider)
    assert token not in (stored.key_hash, stored.prefix)
    assert '<code class="token">' not in client.get(reverse("accounts:profile")).content.decode()


def test_nobody_can_revoke_another_users_token(client, outsider, applicant):
    from wagtail.models import APIToken

    from core.services import create_api_token

    create_api_token(applicant, name="组织脚本")
    token = APIToken.objects.get(user=applicant)
    client.force_login(outsider)
    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_number_taken_between_the_form_check_and_the_insert_is_a_field_error_not_a_500(client, db, monkeypatch):
    from core.forms import SignUpForm
    from tests.factories import UserFactory

    UserFactory(phone="13800138000")
    # The form's own uniqueness check ran before the other sign-up committed.
    monkeypatch.setattr(SignUpForm, "clean_phone", lambda self: self.cleaned_data["phone"])
    response = client.post(reverse("accounts:signup"), SIGNUP)
    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == ["该手机号码已注册，请直接登录或找回密码。"]
    assert 'value="李明"' in response.content.decode()
    assert User.objects.count() == 1
