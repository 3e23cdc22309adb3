"""The organization workspace (机构工作台): a member's organizations, applications, documents, notifications
and certificates. Views validate and call orgs.applications; every object is fetched through the scoping
helpers, so another organization's id is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from core.files import download
from core.models import Notification
from core.notify import mark_read

from . import applications as services
from . import credit, profile_sections
from . import services as org_services
from .exceptions import ApplicationIncomplete
from .forms import AnnualReportForm, ApplicationForm, DocumentUploadForm, InviteMemberForm, NewApplicationForm
from .models import AnnualReport, Application, ApplicationDocument, Certificate, Membership, Organization
from .pdf import render_certificate
from .permissions import applications_for, may_edit


@login_required
def home(request):
    user = request.user
    organizations = Organization.objects.filter(memberships__user=user).prefetch_related(
        Prefetch("certificates", queryset=Certificate.objects.order_by("-issued_on"))
    )
    mine = Q(applicant=user) | Q(organization__memberships__user=user)
    my_applications = applications_for(user).filter(mine).select_related("region").distinct()[:50]
    notifications = Notification.objects.filter(user=user)[:10]
    heads = set(Membership.objects.filter(user=user, role=Membership.Role.HEAD).values_list("organization_id", flat=True))
    return render(request, "orgs/workspace/home.html", {
        "organizations": organizations, "applications": my_applications, "notifications": notifications,
        "heads": heads, "invite_form": InviteMemberForm(), "report_year": timezone.localdate().year - 1,
        "links": profile_sections.workspace_links(),
    })


@login_required
@require_POST
def invite_member(request, pk: int):
    organization = get_object_or_404(Organization.objects.filter(memberships__user=request.user), pk=pk)
    form = InviteMemberForm(request.POST)
    if form.is_valid():
        try:
            org_services.invite_member(organization, phone=form.cleaned_data["phone"],
                                       role=form.cleaned_data["role"], acting_user=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "已添加成员。")
    else:
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
    return redirect("orgs:workspace")


@login_required
def new_application(request):
    form = NewApplicationForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        if kind in (Application.Kind.ESTABLISH, Application.Kind.FILING):
            return redirect("orgs:application_start", kind=kind)
        application = services.start_application(
            applicant=request.user, kind=kind, region=None, organization=form.cleaned_data["organization"]
        )
        messages.success(request, "已创建申请草稿，请核对并修改申请内容。")
        return redirect("orgs:application", pk=application.pk)
    return render(request, "orgs/workspace/new.html", {"form": form})


@login_required
def start_application(request, kind: str):
    if kind not in (Application.Kind.ESTABLISH, Application.Kind.FILING):
        return redirect("orgs:application_new")
    form = ApplicationForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        application = services.start_application(applicant=request.user, kind=kind, **form.cleaned_data)
        messages.success(request, "草稿已保存。请按材料清单上传材料后提交。")
        return redirect("orgs:application", pk=application.pk)
    return render(request, "orgs/workspace/start.html", {"form": form, "kind_label": Application.Kind(kind).label})


def _application_or_404(request, pk):
    return get_object_or_404(applications_for(request.user).select_related("region", "organization"), pk=pk)


def _checklist(application):
    uploaded: dict[str, list] = {}
    for document in application.documents.all():
        uploaded.setdefault(document.requirement, []).append(document)
    return [(code, label, uploaded.get(code, [])) for code, label in application.required_documents()]


def _detail(request, application, *, form=None, upload_errors=None, status=200):
    editable = application.is_editable and may_edit(request.user, application)
    if form is None and editable:
        form = ApplicationForm(instance=application, kind=application.kind)
    return render(request, "orgs/workspace/application.html", {
        "application": application, "form": form, "editable": editable,
        "checklist": _checklist(application), "upload_errors": upload_errors or {},
        "history": application.history.select_related("actor"),
        "certificates": application.certificates.all(),
    }, status=status)


@login_required
def application_detail(request, pk: int):
    application = _application_or_404(request, pk)
    if request.method == "POST":
        form = ApplicationForm(request.POST, instance=application, kind=application.kind)
        if not form.is_valid():
            return _detail(request, application, form=form, status=400)
        try:
            services.save_draft(application, acting_user=request.user, save_form=lambda a: form.save())
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("orgs:application", pk=pk)
        if "submit" in request.POST:
            return _submit(request, application)
        messages.success(request, "已保存。")
        return redirect("orgs:application", pk=pk)
    return _detail(request, application)


def _submit(request, application):
    try:
        services.submit(application, acting_user=request.user)
    except ApplicationIncomplete as error:
        form = ApplicationForm(instance=application, kind=application.kind, data=request.POST)
        form.is_valid()
        for field, message in error.errors.items():
            if field in form.fields:
                form.add_error(field, message)
            else:
                messages.error(request, message)
        messages.error(request, error.message)
        return _detail(request, application, form=form, status=400)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("orgs:application", pk=application.pk)
    messages.success(request, "申请已提交，请留意受理和审查进度。")
    return redirect("orgs:application", pk=application.pk)


@login_required
@require_POST
def upload_document(request, pk: int):
    application = _application_or_404(request, pk)
    form = DocumentUploadForm(request.POST, request.FILES)
    requirement = request.POST.get("requirement", "")
    if form.is_valid():
        try:
            services.attach_document(application, requirement, form.cleaned_data["file"], acting_user=request.user)
        except ValidationError as error:
            return _detail(request, application, upload_errors={requirement: error.messages}, status=400)
        except DomainError as error:
            return _detail(request, application, upload_errors={requirement: [error.message]}, status=400)
        messages.success(request, "材料已上传。")
        return redirect(reverse("orgs:application", args=[pk]) + "#documents")
    errors = [str(e) for errors in form.errors.values() for e in errors]
    return _detail(request, application, upload_errors={requirement: errors}, status=400)


@login_required
def document_download(request, pk: int):
    document = get_object_or_404(
        ApplicationDocument.objects.filter(application__in=applications_for(request.user)), pk=pk
    )
    return download(document)


@login_required
def certificate_pdf(request, pk: int):
    visible = Q(application__in=applications_for(request.user)) | Q(organization__memberships__user=request.user)
    certificate = get_object_or_404(
        Certificate.objects.select_related("organization", "organization__region").filter(visible).distinct(), pk=pk
    )
    response = HttpResponse(render_certificate(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.number}.pdf"'
    return response


@login_required
@require_POST
def notification_read(request, pk: int):
    notification = get_object_or_404(Notification.objects.filter(user=request.user), pk=pk)
    mark_read(notification, acting_user=request.user)
    return redirect(notification.link or "orgs:workspace")


@login_required
def annual_report(request, pk: int, year: int):
    organization = get_object_or_404(
        Organization.objects.filter(memberships__user=request.user).exclude(kind=Organization.Kind.COMMUNITY), pk=pk
    )
    if not 2000 <= year < timezone.localdate().year:
        return redirect("orgs:workspace")
    report = AnnualReport.objects.filter(organization=organization, year=year).first()
    editable = report is None or report.status in (AnnualReport.Status.DRAFT, AnnualReport.Status.FAILED)
    form = AnnualReportForm(request.POST or None, instance=report)
    if request.method == "POST" and editable and form.is_valid():
        try:
            report = credit.save_annual_report(organization, year, acting_user=request.user, data=form.cleaned_data)
            if "submit" in request.POST:
                credit.submit_annual_report(report, acting_user=request.user)
                messages.success(request, f"{year} 年度报告已报送。")
            else:
                messages.success(request, "草稿已保存。")
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("orgs:annual_report", pk=pk, year=year)
    return render(request, "orgs/workspace/annual_report.html", {
        "organization": organization, "year": year, "report": report, "form": form, "editable": editable,
        "deadline": credit.deadline_for(year),
    }, status=400 if request.method == "POST" else 200)
