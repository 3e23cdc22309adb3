"""Hardened settings (issue 11): production passes `check --deploy`, the Content-Security-Policy (no inline script,
also on cached pages, relaxed only inside the Wagtail admin), cookies, HSTS, frame denial, Chinese password rules and
the rate limits of the account pages."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

from core.models import User
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def production_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="portal.example.gov.cn",
        PORTAL_VAR_DIR=str(ROOT / "var"),
    )
    env.update(extra)
    return env


def run_production(*args, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=production_env(**extra), capture_output=True, text=True, timeout=120,
    )


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


# --- production settings ------------------------------------------------------------------------------------------

def test_production_settings_pass_the_deploy_check_without_a_single_warning():
    result = run_production("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = run_production("manage.py", "check", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_cookies_are_secure_http_only_and_same_site_with_hsts_and_no_framing():
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({k: getattr(s, k)"
        " for k in ['SESSION_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SECURE',"
        " 'CSRF_COOKIE_HTTPONLY', 'CSRF_COOKIE_SAMESITE', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS',"
        " 'SECURE_SSL_REDIRECT', 'X_FRAME_OPTIONS', 'SECURE_CONTENT_TYPE_NOSNIFF', 'DEBUG', 'AXES_ENABLED']}"
        " | {'script-src': s.CONTENT_SECURITY_POLICY['DIRECTIVES']['script-src']}))"
    )
    result = run_production("-c", script)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "SESSION_COOKIE_SECURE": True, "SESSION_COOKIE_HTTPONLY": True, "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True, "CSRF_COOKIE_HTTPONLY": True, "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_HSTS_SECONDS": 31536000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_SSL_REDIRECT": True,
        "X_FRAME_OPTIONS": "DENY", "SECURE_CONTENT_TYPE_NOSNIFF": True, "DEBUG": False, "AXES_ENABLED": True,
        "script-src": ["'self'"],
    }


# --- Content-Security-Policy --------------------------------------------------------------------------------------

def test_public_pages_carry_a_policy_without_inline_script_or_framing(client):
    response = client.get("/")
    directives = policy(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]  # inline style="" only; docs/security.md
    assert "nonce" not in response.headers["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_a_page_served_from_the_anonymous_cache_carries_the_same_policy(client):
    first = client.get("/")
    second = client.get("/")
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy(second)["script-src"]


def test_a_cached_page_gets_the_policy_in_force_now_not_the_one_it_was_stored_with(client):
    client.get("/")
    stricter = {"DIRECTIVES": {"default-src": ["'none'"], "script-src": ["'self'"]}}
    with override_settings(CONTENT_SECURITY_POLICY=stricter):
        hit = client.get("/")
    assert hit["X-Cache"] == "hit"
    assert policy(hit)["default-src"] == ["'none'"]


def test_only_the_wagtail_admin_gets_inline_script_and_same_origin_framing(client, city_officer):
    client.force_login(city_officer)
    admin = policy(client.get("/admin/"))
    assert "'unsafe-inline'" in admin["script-src"] and "'unsafe-eval'" not in admin["script-src"]
    assert admin["frame-ancestors"] == ["'self'"]
    assert "blob:" in admin["img-src"]
    public = policy(client.get(reverse("accounts:profile")))
    assert public["script-src"] == ["'self'"] and public["frame-ancestors"] == ["'none'"]


def test_the_admin_sign_in_page_keeps_the_strict_policy(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert policy(response)["script-src"] == ["'self'"]


TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
EVENT_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def test_no_template_of_ours_has_an_inline_script_or_event_handler():
    offenders = []
    for folder in TEMPLATE_DIRS:
        for template in folder.rglob("*.html"):
            text = template.read_text(encoding="utf-8")
            if INLINE_SCRIPT.search(text) or EVENT_ATTRIBUTE.search(text) or "javascript:" in text:
                offenders.append(str(template.relative_to(ROOT)))
    assert offenders == []
    assert any(folder.name == "templates" and folder.parent != ROOT for folder in TEMPLATE_DIRS)


def test_the_countdown_and_the_print_buttons_are_static_scripts():
    from django.template.loader import render_to_string

    html = render_to_string("grants/_countdown_script.html")
    assert re.fullmatch(r'\s*<script src="/static/js/countdown.js" defer></script>\s*', html)
    script = (ROOT / "portal/static/js/countdown.js").read_text()
    assert "data-closes" in script and "setInterval" in script
    assert "window.print()" in (ROOT / "portal/static/js/print.js").read_text()


# --- cookies ------------------------------------------------------------------------------------------------------

def test_the_session_and_csrf_cookies_are_http_only_and_same_site(client, outsider, password):
    client.get(reverse("accounts:login"))
    csrf = client.cookies["csrftoken"]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"
    client.post(reverse("accounts:login"), {"username": outsider.phone, "password": password})
    session = client.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"


# --- password rules at sign-up ------------------------------------------------------------------------------------

SIGNUP = {"phone": "13800138000", "name": "李明", "email": "liming@example.cn"}


@pytest.mark.parametrize(
    "password,message",
    [
        ("Ab#1xyz", "密码太短，至少需要 8 个字符。"),
        ("password1", "这个密码太常见了。"),
        ("73829164105", "密码只包含数字。"),
        ("13800138000a", "密码跟 手机号码 太相似了。"),
        ("liming@example", "密码跟 电子邮箱 太相似了。"),
    ],
)
def test_every_password_rule_applies_at_sign_up_with_a_chinese_message(client, password, message):
    response = client.post(reverse("accounts:signup"), {**SIGNUP, "password1": password, "password2": password})
    assert message in response.context["form"].errors["password1"]
    assert message in response.content.decode()
    assert not User.objects.exists()


# --- rate limits of the account pages -----------------------------------------------------------------------------

def test_sign_up_from_one_address_stops_after_twenty_posts_in_ten_minutes_with_the_input_kept(client):
    for number in range(20):
        client.post(reverse("accounts:signup"), {**SIGNUP, "phone": f"1390000{number:04d}", "password1": "x"})
    response = client.post(
        reverse("accounts:signup"),
        {**SIGNUP, "phone": "13911112222", "password1": "Qianling#2026", "password2": "Qianling#2026"},
    )
    assert response.status_code == 429
    assert "注册过于频繁，请 10 分钟后再试。" in response.content.decode()
    assert 'value="13911112222"' in response.content.decode()
    assert not User.objects.filter(phone="13911112222").exists()
    other = client.post(
        reverse("accounts:signup"),
        {**SIGNUP, "phone": "13911113333", "password1": "Qianling#2026", "password2": "Qianling#2026"},
        REMOTE_ADDR="10.1.2.3",
    )
    assert other.status_code == 302 and User.objects.filter(phone="13911113333").exists()


def test_password_reset_mails_one_address_at_most_three_times_an_hour(client, outsider, mailoutbox):
    outsider.email = "zheng@example.cn"
    outsider.save()
    for _ in range(3):
        assert client.post(reverse("accounts:password_reset"), {"email": "Zheng@example.cn"}).status_code == 302
    response = client.post(reverse("accounts:password_reset"), {"email": "zheng@example.cn"})
    assert response.status_code == 429
    assert response.context["form"].errors["email"] == ["该邮箱的重设邮件已发送多次，请查收邮件或 1 小时后再试。"]
    assert len(mailoutbox) == 3


def test_password_reset_from_one_address_stops_after_ten_requests_an_hour(client, db):
    for number in range(10):
        assert client.post(reverse("accounts:password_reset"), {"email": f"u{number}@example.cn"}).status_code == 302
    response = client.post(reverse("accounts:password_reset"), {"email": "late@example.cn"})
    assert response.status_code == 429
    assert "找回密码请求过于频繁" in response.content.decode()


def test_a_user_creates_at_most_ten_api_tokens_an_hour(client, outsider):
    from wagtail.models import APIToken

    client.force_login(outsider)
    for number in range(10):
        assert client.post(reverse("accounts:token_create"), {"name": f"脚本{number}"}).status_code == 302
    response = client.post(reverse("accounts:token_create"), {"name": "第十一个"})
    assert response.status_code == 429
    assert response.context["token_form"].errors["name"] == ["创建令牌过于频繁，请 1 小时后再试。"]
    assert APIToken.objects.filter(user=outsider).count() == 10


def test_phone_codes_are_limited_per_account_and_per_address(client, db, django_capture_on_commit_callbacks):
    from core import ratelimit, verification

    user = UserFactory()
    verification.send_code(user, client_address="10.9.9.9")
    with pytest.raises(ratelimit.RateLimited, match="验证码发送过于频繁"):
        verification.send_code(user, client_address="10.9.9.9")
    for _ in range(10):
        with pytest.raises(verification.VerificationFailed):
            verification.verify_code(user, "000000")
    with pytest.raises(ratelimit.RateLimited, match="尝试次数过多"):
        verification.verify_code(user, "000000")
