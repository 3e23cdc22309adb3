"""Account pages: sign-up, sign-in and out, password change and reset, the account page and API tokens.
Thin: forms validate, services change state."""

import hashlib

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.forms.utils import ErrorDict
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from wagtail.models import APIToken

from . import ratelimit, services, verification
from .exceptions import DomainError
from .forms import ApiTokenForm, PhoneCodeForm, SignInForm, SignUpForm
from .middleware import client_ip
from .permissions import get_visible_or_404

# Rate limits of the account pages (limit, window in seconds); anonymous callers are keyed by client address.
# Generous enough for a community centre signing up its residents from one office address, far below a script's pace.
SIGNUP_PER_ADDRESS = (20, 600)
SIGNIN_FAILURES_PER_ADDRESS = (30, 900)  # wrong passwords for any numbers: a spray that django-axes' per-number lock misses
PASSWORD_RESET_PER_ADDRESS = (10, 3600)
PASSWORD_RESET_PER_EMAIL = (3, 3600)  # nobody's inbox is flooded with reset mails
TOKENS_PER_USER = (10, 3600)
TOO_MANY = 429


def _only_error(form, message):
    """Show ``message`` above a bound form instead of its own errors (a refusal that is not about what was typed;
    the typed values stay in the form)."""
    form.full_clean()
    form._errors = ErrorDict()
    form.add_error(None, message)
    return form


@never_cache
def signup(request):
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        limit, window = SIGNUP_PER_ADDRESS
        try:
            ratelimit.check("signup.address", ratelimit.client_key(request), limit=limit, window=window,
                            message=_("注册过于频繁，请 10 分钟后再试。"))
        except ratelimit.RateLimited as error:
            _only_error(form, error.message)
            return render(request, "accounts/signup.html", {"form": form}, status=TOO_MANY)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.register_user(
                phone=form.cleaned_data["phone"],
                password=form.cleaned_data["password1"],
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
            )
        except services.DuplicatePhone as error:
            form.add_error("phone", error.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("注册成功，欢迎使用社会组织管理门户。"))
            return redirect("accounts:profile")
    return render(request, "accounts/signup.html", {"form": form})


class SignInView(auth_views.LoginView):
    """Sign-in by phone number. django-axes locks a number after five wrong passwords from one address
    (settings AXES_*, :func:`signin_locked_out`); this view also stops one address that fails for many numbers."""

    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        limit, window = SIGNIN_FAILURES_PER_ADDRESS
        if ratelimit.exceeded("signin.address", ratelimit.client_key(request), limit=limit, window=window):
            form = _only_error(self.get_form(), _("本网络登录失败次数过多，请 15 分钟后再试。"))
            return self.render_to_response(self.get_context_data(form=form), status=TOO_MANY)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if form.has_error("__all__", "invalid_login"):
            limit, window = SIGNIN_FAILURES_PER_ADDRESS
            ratelimit.hit("signin.address", ratelimit.client_key(self.request), limit=limit, window=window)
        return super().form_invalid(form)


def signin_locked_out(request, original_response=None, credentials=None):
    """The page django-axes answers with while a phone number is locked out on this address (AXES_LOCKOUT_CALLABLE):
    the sign-in form the visitor used (ours, Wagtail's /admin/login/ or Django's) again, the number kept, the reason
    above it, status 429. An officer can lift the lock (docs/security.md)."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else 15
    message = _("登录失败次数过多，该手机号码已暂时锁定，请 %(minutes)s 分钟后再试。"
                "如需立即解锁，请联系所在地民政部门的系统管理员。") % {"minutes": minutes}
    context = dict(getattr(original_response, "context_data", None) or {})
    form = context.get("form")
    template = getattr(original_response, "template_name", None)
    if form is None or not template:
        form = SignInForm(request, data=request.POST or None)
        context = {"form": form}
        template = "accounts/login.html"
    # Replaces the form's own "wrong password" error, which would mislead: the password was not even checked.
    _only_error(form, message)
    response = TemplateResponse(request, template, context, status=TOO_MANY)
    return response.render()


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        from .audit import record

        record("account.password_change", actor=self.request.user, obj=self.request.user)
        messages.success(self.request, _("密码已修改。"))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        email = hashlib.sha256(form.cleaned_data["email"].strip().lower().encode()).hexdigest()[:32]
        try:
            limit, window = PASSWORD_RESET_PER_ADDRESS
            ratelimit.check("password_reset.address", ratelimit.client_key(self.request), limit=limit, window=window,
                            message=_("找回密码请求过于频繁，请 1 小时后再试。"))
            limit, window = PASSWORD_RESET_PER_EMAIL
            ratelimit.check("password_reset.email", email, limit=limit, window=window,
                            message=_("该邮箱的重设邮件已发送多次，请查收邮件或 1 小时后再试。"))
        except ratelimit.RateLimited as error:
            form.add_error("email", error.message)
            return self.render_to_response(self.get_context_data(form=form), status=TOO_MANY)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@login_required
def profile(request):
    user = request.user
    tokens = APIToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created")
    return render(
        request,
        "accounts/profile.html",
        {
            "roles": user.active_roles,
            "tokens": tokens,
            "token_form": ApiTokenForm(),
            "new_token": request.session.pop("new_api_token", None),
        },
    )


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


@never_cache
@login_required
def phone_verify(request):
    """Prove the account's phone number with a text-message code: one button sends, one form checks."""
    form = PhoneCodeForm()
    next_url = _safe_next(request)
    if request.method == "POST" and request.user.phone_verified_at is None:
        if request.POST.get("action") == "send":
            try:
                verification.send_code(request.user, client_address=client_ip(request) or "")
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("验证码已发送至 %(phone)s，10 分钟内有效。") % {"phone": request.user.masked_phone})
        else:
            form = PhoneCodeForm(request.POST)
            if form.is_valid():
                try:
                    verification.verify_code(request.user, form.cleaned_data["code"])
                except DomainError as error:
                    form.add_error("code", error.message)
                else:
                    messages.success(request, _("手机号码验证成功。"))
                    return redirect(next_url or "accounts:profile")
    return render(request, "accounts/phone_verify.html", {"form": form, "next": next_url})


@login_required
@require_POST
def token_create(request):
    form = ApiTokenForm(request.POST)
    status = 400
    if form.is_valid():
        limit, window = TOKENS_PER_USER
        try:
            ratelimit.check("token.user", request.user.pk, limit=limit, window=window,
                            message=_("创建令牌过于频繁，请 1 小时后再试。"))
        except ratelimit.RateLimited as error:
            form.add_error("name", error.message)
            status = TOO_MANY
    if not form.is_valid():
        tokens = APIToken.objects.filter(user=request.user, revoked_at__isnull=True).order_by("-created")
        return render(
            request,
            "accounts/profile.html",
            {"roles": request.user.active_roles, "tokens": tokens, "token_form": form},
            status=status,
        )
    plaintext = services.create_api_token(request.user, name=form.cleaned_data["name"])
    # Shown once on the next page, then gone: only its digest is stored.
    request.session["new_api_token"] = plaintext
    messages.success(request, _("已创建 API 令牌，请立即复制保存，离开本页后将无法再次查看。"))
    return redirect("accounts:profile")


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_visible_or_404(request.user, APIToken.objects.all(), pk=pk, region=None, owner="user")
    services.revoke_api_token(token, acting_user=request.user)
    messages.success(request, _("令牌已吊销。"))
    return redirect("accounts:profile")


@never_cache
def healthz(request):
    """200 when the database answers, 503 when it does not: for load balancers and monitors."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any database failure means "unhealthy"
        return JsonResponse({"status": "error", "database": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
