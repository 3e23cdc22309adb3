"""Pages of 爱心银行: the public activity list, rewards, 好市民 rankings and certificate verification; the volunteer
centre (register, sign up, check in, statement, vouchers, corrections, certificates); the organizer's pages
(activities, shifts, roster, scanning, approval, corrections); the merchant's counter (rewards, 核销).

Thin: forms validate, services change state, permissions scope; another person's object answers 404.
"""

import datetime
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from core import ratelimit
from core.qr import qr_svg
from orgs.models import Organization

from . import pdf, services
from .exceptions import DomainError, VolunteerError
from .forms import (
    ActivityFilterForm,
    ActivityForm,
    CorrectionDecisionForm,
    CorrectionRequestForm,
    DeclineForm,
    ManualAttendanceForm,
    RankingForm,
    RewardForm,
    ShiftCodeForm,
    ShiftForm,
    TokenForm,
    VolunteerProfileForm,
    VolunteerRegistrationForm,
    VoucherCodeForm,
)
from .models import Activity, Certificate, Correction, Reward, ServiceRecord, Shift, SignUp, Voucher, hours_of
from .permissions import (
    managed_activities,
    managed_corrections,
    managed_records,
    managed_signups,
    merchant_rewards,
    merchant_vouchers,
    merchants_of,
    public_rewards,
    volunteer_of,
)
from .queries import public_activities, ranking

PAGE_SIZE = 20
# Code entry is rate-limited per person: check-in codes and voucher codes cannot be guessed by brute force.
CODE_ATTEMPTS_PER_10_MIN = 30


def _add_error(form, error: DomainError) -> None:
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None, error.message)


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path)


# --- public -----------------------------------------------------------------------------------------------
def activities(request):
    form = ActivityFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = public_activities(
        q=(filters.get("q") or "").strip(), district=filters.get("district"), field=filters.get("field"),
        date=filters.get("date"), open_only=bool(filters.get("open_only")),
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(request, "volunteers/activities.html", {"form": form, "page_obj": page, "query": query})


def activity(request, pk: int):
    activity = get_object_or_404(Activity.objects.select_related("organization", "region", "category", "service_field"), pk=pk)
    shifts = list(activity.shifts.filter(ends_at__gt=timezone.now() - datetime.timedelta(days=30)).order_by("starts_at"))
    volunteer = volunteer_of(request.user)
    mine = {}
    if volunteer is not None:
        mine = {s.shift_id: s for s in SignUp.objects.filter(volunteer=volunteer, shift__in=[s.pk for s in shifts])}
    for shift in shifts:
        shift.mine = mine.get(shift.pk)
        shift.started = shift.starts_at <= timezone.now()
    return render(request, "volunteers/activity.html", {
        "activity": activity, "shifts": shifts, "volunteer": volunteer,
        "manager": managed_activities(request.user).filter(pk=pk).exists() if request.user.is_authenticated else False,
    })


def rewards(request):
    queryset = public_rewards(timezone.localdate()).filter(stock__gt=0).order_by("points_price", "pk")
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    volunteer = volunteer_of(request.user)
    return render(request, "volunteers/rewards.html", {
        "page_obj": page, "volunteer": volunteer,
        "balance": services.volunteer_balance(volunteer) if volunteer else None,
        "idempotency_key": uuid.uuid4().hex,
    })


def rankings(request):
    form = RankingForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    year = data.get("year") or today.year
    month, district, by = data.get("month"), data.get("district"), data.get("by") or "hours"
    rows = ranking(year=year, month=month, district=district, by=by, limit=100)
    return render(request, "volunteers/rankings.html", {
        "form": form, "rows": rows, "year": year, "month": month, "district": district, "by": by,
    })


def verify(request, token: str):
    """Public verification of a certificate (the QR code on the PDF): what was certified, the ID number masked."""
    certificate = get_object_or_404(Certificate.objects.select_related("volunteer"), token=token)
    return render(request, "volunteers/verify.html", {"certificate": certificate})


# --- the volunteer ----------------------------------------------------------------------------------------
def _volunteer_or_register(request):
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        messages.info(request, "请先完成志愿者实名注册。")
    return volunteer


@login_required
def register(request):
    if volunteer_of(request.user) is not None:
        return redirect("volunteers:centre")
    initial = {"real_name": request.user.name, "phone": request.user.phone}
    form = VolunteerRegistrationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.register_volunteer(
                request.user, real_name=data["real_name"], id_number=data["id_number"], phone=data["phone"],
                region=data["region"], skills=data["skills"], public_name_consent=data["public_name_consent"],
            )
        except VolunteerError as error:
            _add_error(form, error)
        else:
            messages.success(request, "注册成功，欢迎加入爱心银行！")
            return redirect("volunteers:centre")
    return render(request, "volunteers/register.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def centre(request):
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        return redirect("volunteers:register")
    now = timezone.now()
    upcoming = (
        SignUp.objects.filter(volunteer=volunteer, shift__ends_at__gt=now,
                              status__in=[SignUp.Status.CONFIRMED, SignUp.Status.WAITLISTED, SignUp.Status.ATTENDED])
        .select_related("shift__activity").order_by("shift__starts_at")[:20]
    )
    records = ServiceRecord.objects.filter(volunteer=volunteer).select_related("activity").order_by("-served_on", "-pk")
    approved, pending = Q(status=ServiceRecord.Status.APPROVED), Q(status=ServiceRecord.Status.PENDING)
    totals = records.aggregate(  # one query for both counts and the sum
        minutes=Sum("minutes", filter=approved), count=Count("pk", filter=approved), pending=Count("pk", filter=pending)
    )
    account = getattr(volunteer, "account", None)  # read with the registration (volunteer_of); None before any points
    return render(request, "volunteers/centre.html", {
        "volunteer": volunteer, "balance": account.balance if account else 0, "upcoming": upcoming,
        "records": records[:10], "hours": hours_of(totals["minutes"] or 0), "record_count": totals["count"],
        "pending": totals["pending"],
        "vouchers": volunteer.vouchers.select_related("reward__merchant").order_by("-created_at")[:10],
        "certificates": volunteer.certificates.order_by("-issued_at")[:10],
        "statement": services.statement(volunteer, account=account)[:10],
    })


@login_required
def profile(request):
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        return redirect("volunteers:register")
    initial = {"phone": volunteer.phone, "region": volunteer.region, "skills": volunteer.skills,
               "public_name_consent": volunteer.public_name_consent}
    form = VolunteerProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.update_volunteer(volunteer, acting_user=request.user, **form.cleaned_data)
        messages.success(request, "志愿者信息已保存。")
        return redirect("volunteers:centre")
    return render(request, "volunteers/profile.html", {
        "form": form, "volunteer": volunteer,
        "id_number": services.reveal_id_number(volunteer, acting_user=request.user),
    }, status=400 if form.errors else 200)


@login_required
def my_code(request):
    """The personal check-in code: a signed token good for five minutes; the page renews itself."""
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        return redirect("volunteers:register")
    token = services.volunteer_token(volunteer)
    url = _absolute(request, reverse("volunteers:scan") + "?" + urlencode({"t": token}))
    return render(request, "volunteers/my_code.html", {
        "volunteer": volunteer, "token": token, "qr": qr_svg(url, label="我的签到码"),
        "refresh": services.QR_TOKEN_MAX_AGE - 60,
    })


@login_required
def records(request):
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        return redirect("volunteers:register")
    queryset = ServiceRecord.objects.filter(volunteer=volunteer).select_related("activity").prefetch_related("corrections")
    page = Paginator(queryset.order_by("-served_on", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "volunteers/records.html", {"page_obj": page, "volunteer": volunteer})


@login_required
def statement(request):
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        return redirect("volunteers:register")
    page = Paginator(services.statement(volunteer), 30).get_page(request.GET.get("page"))
    return render(request, "volunteers/statement.html", {"page_obj": page, "balance": volunteer.account.balance})


@login_required
@require_POST
def sign_up(request, pk: int):
    shift = get_object_or_404(Shift.objects.select_related("activity"), pk=pk)
    volunteer = _volunteer_or_register(request)
    if volunteer is None:
        return redirect(f"{reverse('volunteers:register')}?{urlencode({'next': reverse('volunteers:activity', args=[shift.activity_id])})}")
    try:
        signup = services.sign_up(shift, volunteer=volunteer, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if signup.status == SignUp.Status.CONFIRMED:
            messages.success(request, "报名成功，请按时参加。")
        else:
            messages.info(request, f"名额已满，您已进入候补（第 {signup.position} 位报名）。有人取消时将按报名顺序递补并通知您。")
    return redirect("volunteers:activity", pk=shift.activity_id)


@login_required
@require_POST
def cancel_signup(request, pk: int):
    volunteer = volunteer_of(request.user)
    signup = get_object_or_404(SignUp.objects.select_related("shift"), pk=pk, volunteer=volunteer) if volunteer else None
    if signup is None:
        raise Http404
    try:
        services.cancel_signup(signup, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "已取消报名。")
    return redirect(request.POST.get("next") if request.POST.get("next", "").startswith("/volunteers/") else "volunteers:centre")


@login_required
def shift_here(request, pk: int):
    """The volunteer scanned the on-site code (or typed it): check in, or out if already in."""
    shift = get_object_or_404(Shift.objects.select_related("activity"), pk=pk)
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        return redirect("volunteers:register")
    signup = SignUp.objects.filter(shift=shift, volunteer=volunteer).first()
    form = ShiftCodeForm(request.POST or None, initial={"code": request.GET.get("c", "")})
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.check("volunteers.code", request.user.pk, limit=CODE_ATTEMPTS_PER_10_MIN, window=600)
            if not services.shift_code_valid(shift, form.cleaned_data["code"]):
                raise VolunteerError("现场签到码不正确或已过期，请扫描现场最新的二维码。", field="code")
            method = SignUp.Method.SHIFT_CODE
            if signup is not None and signup.checked_in_at and not signup.checked_out_at:
                record = services.check_out(shift, volunteer=volunteer, acting_user=request.user, method=method)
                messages.success(request, f"签退成功，本次服务 {record.hours} 小时，待组织者确认后计入积分。")
            else:
                services.check_in(shift, volunteer=volunteer, acting_user=request.user, method=method)
                messages.success(request, "签到成功。离开时请再次扫描现场二维码签退。")
        except DomainError as error:
            _add_error(form, error)
        else:
            return redirect("volunteers:centre")
    return render(request, "volunteers/shift_here.html", {"shift": shift, "signup": signup, "form": form},
                  status=400 if form.errors else 200)


@login_required
def request_correction(request, pk: int):
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        raise Http404
    record = get_object_or_404(ServiceRecord.objects.select_related("activity"), pk=pk, volunteer=volunteer)
    form = CorrectionRequestForm(request.POST or None, initial={"new_minutes": record.minutes})
    if request.method == "POST" and form.is_valid():
        try:
            services.request_correction(record, acting_user=request.user, **form.cleaned_data)
        except DomainError as error:
            _add_error(form, error)
        else:
            messages.success(request, "更正申请已提交，组织者处理后将通知您。")
            return redirect("volunteers:records")
    return render(request, "volunteers/correction_request.html", {"form": form, "record": record},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def redeem(request, pk: int):
    reward = get_object_or_404(public_rewards(timezone.localdate()), pk=pk)
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        return redirect("volunteers:register")
    key = (request.POST.get("idempotency_key") or "").strip()[:64] or uuid.uuid4().hex
    try:
        ratelimit.check("volunteers.redeem", request.user.pk, limit=20, window=3600)
        voucher = services.redeem(reward, volunteer=volunteer, acting_user=request.user, idempotency_key=key,
                                  fingerprint=services.request_fingerprint({"reward": reward.pk}))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("volunteers:rewards")
    messages.success(request, f"兑换成功，已扣除 {voucher.points} 积分。请在有效期内到店出示兑换券。")
    return redirect("volunteers:voucher", pk=voucher.pk)


@login_required
def voucher(request, pk: int):
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        raise Http404
    voucher = get_object_or_404(Voucher.objects.select_related("reward__merchant"), pk=pk, volunteer=volunteer)
    url = _absolute(request, reverse("volunteers:merchant_complete") + "?" + urlencode({"code": voucher.code}))
    return render(request, "volunteers/voucher.html", {"voucher": voucher, "qr": qr_svg(url, label="兑换券二维码")})


@login_required
@require_POST
def cancel_voucher(request, pk: int):
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        raise Http404
    voucher = get_object_or_404(Voucher, pk=pk, volunteer=volunteer)
    try:
        services.cancel_voucher(voucher, acting_user=request.user, reason="志愿者取消")
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"兑换券已取消，{voucher.points} 积分已退回。")
    return redirect("volunteers:voucher", pk=pk)


@login_required
@require_POST
def issue_certificate(request):
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        return redirect("volunteers:register")
    try:
        certificate = services.issue_certificate(volunteer, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("volunteers:centre")
    messages.success(request, f"志愿服务证明已出具（编号 {certificate.number}），免费下载。")
    return redirect("volunteers:centre")


@login_required
def certificate_pdf(request, pk: int):
    volunteer = volunteer_of(request.user)
    queryset = Certificate.objects.select_related("volunteer")
    mine = Q(volunteer=volunteer) if volunteer else Q(pk__in=[])
    issued = Q(organization__members=request.user)
    certificate = get_object_or_404(queryset.filter(mine | issued).distinct(), pk=pk)
    verify_url = _absolute(request, reverse("volunteers:verify", args=[certificate.token]))
    response = HttpResponse(pdf.certificate_pdf(certificate, verify_url=verify_url), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.number}.pdf"'
    return response


# --- the organizer ----------------------------------------------------------------------------------------
def _organizers(user) -> list[tuple[str, str]]:
    """What the user may organize for: their organizations, and (officers) a community activity."""
    choices = [(f"org:{o.pk}", o.name) for o in Organization.objects.filter(members=user).order_by("name")]
    if user.jurisdictions or user.is_superuser:
        choices.append(("community", "社区组织（辖区内）"))
    return choices


@login_required
def manage(request):
    activities = managed_activities(request.user).annotate(
        pending=Count("records", filter=Q(records__status=ServiceRecord.Status.PENDING), distinct=True),
        shift_count=Count("shifts", distinct=True),
    ).order_by("-starts_on", "-pk")
    page = Paginator(activities, PAGE_SIZE).get_page(request.GET.get("page"))
    corrections = managed_corrections(request.user).filter(status=Correction.Status.REQUESTED)[:50]
    return render(request, "volunteers/manage/index.html", {
        "page_obj": page, "corrections": corrections, "may_create": bool(_organizers(request.user)),
        "decision_form": CorrectionDecisionForm(),
    })


@login_required
def activity_new(request):
    organizers = _organizers(request.user)
    if not organizers:
        raise Http404
    form = ActivityForm(request.POST or None, organizers=organizers)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        organizer = data.pop("organizer")
        organization = None
        if organizer.startswith("org:"):
            organization = get_object_or_404(Organization.objects.filter(members=request.user), pk=organizer[4:])
        try:
            activity = services.create_activity(acting_user=request.user, organization=organization, **data)
        except DomainError as error:
            _add_error(form, error)
        else:
            messages.success(request, "活动已发布，请添加班次。")
            return redirect("volunteers:shift_new", pk=activity.pk)
    return render(request, "volunteers/manage/activity_form.html", {"form": form}, status=400 if form.errors else 200)


def _managed_activity(request, pk: int) -> Activity:
    return get_object_or_404(managed_activities(request.user), pk=pk)


@login_required
def manage_activity(request, pk: int):
    activity = _managed_activity(request, pk)
    shifts = activity.shifts.annotate(
        waitlisted=Count("signups", filter=Q(signups__status=SignUp.Status.WAITLISTED)),
    ).order_by("-starts_at")
    pending = managed_records(request.user).filter(activity=activity, status=ServiceRecord.Status.PENDING).order_by("served_on", "pk")
    page = Paginator(pending, 50).get_page(request.GET.get("page"))
    return render(request, "volunteers/manage/activity.html", {
        "activity": activity, "shifts": shifts, "page_obj": page, "decline_form": DeclineForm(),
    })


@login_required
def shift_new(request, pk: int):
    activity = _managed_activity(request, pk)
    form = ShiftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_shift(activity, acting_user=request.user, **form.cleaned_data)
        except DomainError as error:
            _add_error(form, error)
        else:
            messages.success(request, "班次已添加，志愿者现在可以报名。")
            return redirect("volunteers:manage_activity", pk=activity.pk)
    return render(request, "volunteers/manage/shift_form.html", {"form": form, "activity": activity},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def cancel_activity(request, pk: int):
    activity = _managed_activity(request, pk)
    try:
        services.cancel_activity(activity, acting_user=request.user, reason=request.POST.get("reason", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "活动已取消，已报名的志愿者会收到通知。")
    return redirect("volunteers:manage_activity", pk=pk)


@login_required
def roster(request, pk: int):
    """The organizer's shift page: who is confirmed, waitlisted, in and out; the rotating on-site code."""
    shift = get_object_or_404(Shift.objects.select_related("activity").filter(activity__in=managed_activities(request.user)), pk=pk)
    return _render_roster(request, shift)


def _render_roster(request, shift: Shift, *, manual_form=None, manual_signup=None, status=200):
    """The roster page; after a refused paper-sheet entry, that row's form comes back open with its errors."""
    signups = list(shift.signups.select_related("volunteer").exclude(status=SignUp.Status.CANCELLED).order_by("status", "position"))
    for signup in signups:  # one form per row, with ids of its own
        signup.manual_form = manual_form if signup.pk == manual_signup else ManualAttendanceForm(auto_id=f"id_%s_{signup.pk}")
    code = services.shift_code(shift)
    here = _absolute(request, reverse("volunteers:shift_here", args=[shift.pk]) + "?" + urlencode({"c": code}))
    return render(request, "volunteers/manage/roster.html", {
        "shift": shift, "activity": shift.activity, "signups": signups, "code": code,
        "qr": qr_svg(here, label="现场签到二维码"), "token_form": TokenForm(),
        "manual_signup": manual_signup, "now": timezone.now(),
    }, status=status)


@login_required
def scan(request):
    """The organizer scanned a volunteer's personal code: find that volunteer's shifts the organizer manages
    around now, and check them in or out."""
    data = request.POST or ({"token": request.GET["t"]} if request.GET.get("t") else request.GET) or None
    form = TokenForm(data)  # the QR code's URL carries the token as ?t=, the form as ?token=
    volunteer, signups = None, []
    if form.is_bound and form.is_valid():
        try:
            ratelimit.check("volunteers.code", request.user.pk, limit=CODE_ATTEMPTS_PER_10_MIN * 4, window=600)
            volunteer = services.volunteer_from_token(form.cleaned_data["token"])
        except DomainError as error:
            _add_error(form, error)
        else:
            now = timezone.now()
            signups = list(
                managed_signups(request.user).filter(
                    volunteer=volunteer, status__in=[SignUp.Status.CONFIRMED, SignUp.Status.ATTENDED],
                    shift__starts_at__lte=now + services.CHECKIN_EARLY, shift__ends_at__gte=now,
                ).select_related("shift__activity")
            )
            if request.method == "POST" and request.POST.get("signup"):
                signup = next((s for s in signups if str(s.pk) == request.POST["signup"]), None)
                if signup is None:
                    raise Http404
                try:
                    if signup.checked_in_at:
                        record = services.check_out(signup.shift, volunteer=volunteer, acting_user=request.user,
                                                    method=SignUp.Method.ORGANIZER_SCAN)
                        messages.success(request, f"{volunteer.real_name} 签退成功，服务 {record.hours} 小时，待审核。")
                    else:
                        services.check_in(signup.shift, volunteer=volunteer, acting_user=request.user,
                                          method=SignUp.Method.ORGANIZER_SCAN)
                        messages.success(request, f"{volunteer.real_name} 签到成功。")
                except DomainError as error:
                    messages.error(request, error.message)
                return redirect("volunteers:roster", pk=signup.shift_id)
    return render(request, "volunteers/manage/scan.html", {"form": form, "volunteer": volunteer, "signups": signups},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def attendance(request, pk: int):
    """Buttons on the roster: no-show, or times from a paper sign-in sheet."""
    signup = get_object_or_404(managed_signups(request.user).select_related("shift__activity", "volunteer"), pk=pk)
    action = request.POST.get("action")
    if action == "manual":
        form = ManualAttendanceForm(request.POST, auto_id=f"id_%s_{signup.pk}")
        if form.is_valid():
            try:
                services.record_attendance(signup.shift, volunteer=signup.volunteer, acting_user=request.user,
                                           **form.cleaned_data)
            except DomainError as error:
                _add_error(form, error)
            else:
                messages.success(request, "出勤已登记，服务记录待审核。")
                return redirect("volunteers:roster", pk=signup.shift_id)
        return _render_roster(request, signup.shift, manual_form=form, manual_signup=signup.pk, status=400)
    if action != "no_show":
        raise Http404
    try:
        services.mark_no_show(signup, acting_user=request.user)
        messages.success(request, "已登记缺席。")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("volunteers:roster", pk=signup.shift_id)


@login_required
@require_POST
def decide_record(request, pk: int):
    record = get_object_or_404(managed_records(request.user), pk=pk)
    try:
        if request.POST.get("decision") == "approve":
            services.approve_record(record, acting_user=request.user)
            messages.success(request, f"已确认 {record.volunteer.real_name} 的服务记录，积分已发放。")
        else:
            services.decline_record(record, acting_user=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, "已标记为未通过，并通知志愿者。")
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("volunteers:manage_activity", pk=record.activity_id)


@login_required
@require_POST
def approve_records(request, pk: int):
    activity = _managed_activity(request, pk)
    ids = [value for value in request.POST.getlist("records") if value.isdigit()]
    records = managed_records(request.user).filter(activity=activity, pk__in=ids, status=ServiceRecord.Status.PENDING)
    if not ids:
        messages.error(request, "请先勾选要确认的记录。")
    else:
        count = services.approve_records(list(records), acting_user=request.user)
        messages.success(request, f"已批量确认 {count} 条服务记录。")
    return redirect("volunteers:manage_activity", pk=pk)


@login_required
@require_POST
def decide_correction(request, pk: int):
    correction = get_object_or_404(managed_corrections(request.user), pk=pk)
    form = CorrectionDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择处理结果。")
    else:
        try:
            services.decide_correction(correction, acting_user=request.user, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "更正申请已处理。")
    return redirect("volunteers:manage")


# --- the merchant -----------------------------------------------------------------------------------------
def _merchant_only(request):
    if not merchants_of(request.user).exists():
        raise Http404


@login_required
def merchant(request):
    _merchant_only(request)
    vouchers = merchant_vouchers(request.user).order_by("-created_at", "-pk")
    status = request.GET.get("status") or ""
    if status in Voucher.Status.values:
        vouchers = vouchers.filter(status=status)
    page = Paginator(vouchers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "volunteers/merchant/index.html", {
        "merchants": merchants_of(request.user), "rewards": merchant_rewards(request.user).order_by("-active", "title"),
        "page_obj": page, "status": status, "statuses": Voucher.Status.choices, "form": VoucherCodeForm(),
    })


@login_required
def merchant_complete(request):
    """核销: the voucher's QR opens this page with the code filled in; the merchant confirms."""
    _merchant_only(request)
    form = VoucherCodeForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    found = None
    code = (request.POST.get("code") or request.GET.get("code") or "").strip().upper()
    if code:
        found = merchant_vouchers(request.user).filter(code=code).first()
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.check("volunteers.voucher_code", request.user.pk, limit=CODE_ATTEMPTS_PER_10_MIN, window=600)
            voucher = services.complete_voucher(form.cleaned_data["code"], acting_user=request.user)
        except DomainError as error:
            _add_error(form, error)
        else:
            messages.success(request, f"核销成功：{voucher.reward.title}（兑换码 {voucher.code}）。")
            return redirect("volunteers:merchant")
    return render(request, "volunteers/merchant/complete.html", {"form": form, "found": found},
                  status=400 if form.errors else 200)


@login_required
def reward_form(request, merchant_pk: int, pk: int | None = None):
    merchant = get_object_or_404(merchants_of(request.user), pk=merchant_pk)
    reward = get_object_or_404(Reward, pk=pk, merchant=merchant) if pk else None
    initial = {"valid_from": timezone.localdate()} if reward is None else None
    form = RewardForm(request.POST or None, instance=reward, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in RewardForm.Meta.fields}
        try:
            services.save_reward(merchant, acting_user=request.user, reward=reward, **fields)
        except DomainError as error:
            _add_error(form, error)
        else:
            messages.success(request, "回馈已保存。")
            return redirect("volunteers:merchant")
    return render(request, "volunteers/merchant/reward_form.html", {"form": form, "merchant": merchant, "reward": reward},
                  status=400 if form.errors else 200)
