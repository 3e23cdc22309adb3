"""Account pages: sign-up, sign-in and out, password change and reset, the account page and API tokens.
Thin: forms validate, services change state."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from wagtail.models import APIToken

from . import services, verification
from .exceptions import DomainError
from .forms import ApiTokenForm, PhoneCodeForm, SignInForm, SignUpForm
from .middleware import client_ip
from .permissions import get_visible_or_404


@never_cache
def signup(request):
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = SignUpForm(request.POST or None)
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
    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


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
    if not form.is_valid():
        tokens = APIToken.objects.filter(user=request.user, revoked_at__isnull=True).order_by("-created")
        return render(
            request,
            "accounts/profile.html",
            {"roles": request.user.active_roles, "tokens": tokens, "token_form": form},
            status=400,
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
