"""The account pages of 个人信息保护法 requests: download my data, and ask for erasure (core.privacy does the work).
Thin: forms validate, services change state and write the audit rows."""

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import privacy

FORMATS = {
    "json": ("application/json; charset=utf-8", "json", privacy.as_json),
    "zip": ("application/zip", "zip", privacy.as_zip),
}


class DownloadForm(forms.Form):
    format = forms.ChoiceField(
        label=gettext_lazy("文件格式"), initial="json",
        choices=[("json", gettext_lazy("JSON（一个文件）")), ("zip", gettext_lazy("ZIP（JSON 及各部分 CSV 表格）"))],
        widget=forms.RadioSelect, error_messages={"required": gettext_lazy("请选择文件格式。"),
                                                  "invalid_choice": gettext_lazy("请选择 JSON 或 ZIP。")},
    )


class ErasureForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("当前密码"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": gettext_lazy("请输入当前密码以确认是本人操作。")},
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("我已知晓：注销后无法登录，姓名、手机号码、证件号码将被清除且不可恢复；服务记录和积分流水以匿名方式保留。"),
        error_messages={"required": gettext_lazy("请勾选确认后再提交注销申请。")},
    )


# What each section of the download is called on the page; the file keeps the English key (a JSON key, a CSV name).
SECTION_LABELS = {
    "account": "账户资料", "roles": "角色", "memberships": "所属组织", "org_applications": "登记备案申请",
    "org_application_documents": "申请材料", "grant_applications": "资助申请", "grant_reviews": "资助评审",
    "bid_reviews": "投标评审", "ratings": "我作出的评价", "evaluation_scores": "评估打分",
    "evaluation_review_requests": "复核申请", "volunteer_profile": "志愿者信息", "signups": "活动报名",
    "service_records": "服务记录", "corrections": "记录更正申请", "ledger_entries": "积分流水",
    "redemptions": "兑换记录", "awards": "表彰与奖励积分", "certificates": "志愿服务证明", "notifications": "站内通知",
    "api_tokens": "API 令牌", "activity_log": "我的操作日志",
}


def section_rows(data) -> list[tuple[str, str, int]]:
    return [(SECTION_LABELS.get(name, name), name, len(items)) for name, items in data["sections"].items()]


@never_cache
@login_required
def my_data(request):
    """What the portal holds about me, section by section (counts), and the download buttons."""
    data = privacy.personal_data(request.user)
    return render(request, "accounts/my_data.html", {"form": DownloadForm(), "sections": section_rows(data)})


@login_required
@require_POST
def my_data_download(request):
    """The download itself: a POST (it writes an audit row), answered as an attachment."""
    form = DownloadForm(request.POST)
    if not form.is_valid():
        data = privacy.personal_data(request.user)
        return render(request, "accounts/my_data.html", {"form": form, "sections": section_rows(data)}, status=400)
    content_type, extension, render_bytes = FORMATS[form.cleaned_data["format"]]
    data = privacy.export(request.user, acting_user=request.user)
    response = HttpResponse(render_bytes(data), content_type=content_type)
    filename = f"my-data-{timezone.localtime():%Y%m%d-%H%M%S}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
def erase(request):
    """Ask for erasure: the obstacles first (if any), then password and confirmation; success signs out."""
    obstacles = privacy.erasure_obstacles(request.user)
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pseudonym = privacy.erase(request.user, acting_user=request.user, password=form.cleaned_data["password"])
        except privacy.ErasureRefused as error:
            form.add_error("password" if error.code == "password" else None, error.message)
        else:
            logout(request)
            messages.success(request, _("您的账号已注销（%(name)s），个人信息已清除。感谢您的参与。") % {"name": pseudonym})
            return redirect("/")
    status = 400 if form.errors else 200
    return render(request, "accounts/erase.html", {"form": form, "obstacles": obstacles}, status=status)
