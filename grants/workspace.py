"""The organization's side of 孵化资助 (机构工作台 › 孵化资助申报): the open calls with the eligibility verdict for
each of the member's organizations, the application (draft with budget lines and documents, then a read-only
record of its review, award, tranches and reports), the mid-term and final reports, and private downloads.

Views validate and call grants.services with ``acting_user=request.user``; every object is fetched through
grants.permissions, so another organization's application, document or report is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from core.files import download
from core.money import to_yuan
from core.permissions import member_q
from orgs.models import Organization

from . import eligibility, services
from .exceptions import ApplicationIncomplete, NotEligible
from .forms import ApplicationForm, BudgetLineFormSet, ReportForm, UploadForm
from .models import ApplicationDocument, Award, GrantReport, ReportDocument, Residency
from .permissions import applications_of_member, open_calls, public_calls
from .views import time_left

Status = services.Status
REPORT_STAGES = {Status.IN_PROGRESS, Status.COMPLETED, Status.TERMINATED}
UNDECIDED = {Status.DRAFT, Status.SUBMITTED, Status.SCREENING, Status.REVIEWING, Status.SCORED}


# --- the workspace ------------------------------------------------------------------------------------------
def _member_organizations(user):
    return Organization.objects.filter(member_q(user, "pk"))


def _workspace(request, *, refusal=None, status=200):
    user = request.user
    now = timezone.now()
    organizations = list(_member_organizations(user).select_related("region").order_by("name", "pk"))
    calls = list(open_calls(now).select_related("region").order_by("closes_at", "pk"))
    applications = list(applications_of_member(user).select_related("call", "organization").order_by("-created_at", "-pk"))
    applied = {(a.call_id, a.organization_id): a for a in applications}
    residencies = list(Residency.objects.filter(organization__in=organizations).select_related("base", "base__region")
                       .order_by("-admitted_on", "-pk"))
    blocks = []
    for organization in organizations:
        offers = []
        # Only the calls whose region covers the organization: a call of another district is not its business.
        for call in calls:
            if not organization.region.path.startswith(call.region.path):
                continue
            existing = applied.get((call.pk, organization.pk))
            checks = [] if existing else eligibility.evaluate(call, organization)
            failures = [check for check in checks if not check.passed]
            offers.append({"call": call, "existing": existing, "failures": failures,
                           "eligible": existing is None and not failures, "left": time_left(call.closes_at, now)})
        blocks.append({
            "organization": organization, "offers": offers,
            "applications": [a for a in applications if a.organization_id == organization.pk],
            "residencies": [r for r in residencies if r.organization_id == organization.pk],
        })
    return render(request, "grants/workspace/home.html", {"blocks": blocks, "refusal": refusal}, status=status)


@login_required
def workspace(request):
    return _workspace(request)


@login_required
@require_POST
def application_start(request, pk: int, org_pk: int):
    organization = get_object_or_404(_member_organizations(request.user), pk=org_pk)
    call = get_object_or_404(public_calls().select_related("region"), pk=pk)
    try:
        application = services.start_application(call, organization, acting_user=request.user)
    except NotEligible as error:
        refusal = {"call": call, "organization": organization, "messages": [message for _rule, message in error.failures]}
        return _workspace(request, refusal=refusal, status=400)
    except DomainError as error:
        return _workspace(request, refusal={"call": call, "organization": organization, "messages": [error.message]},
                          status=400)
    messages.success(request, f"已为“{organization.name}”创建申报草稿 {application.number}。请填写项目信息、预算明细并上传材料后提交。")
    return redirect("grants:application", pk=application.pk)


# --- the application ----------------------------------------------------------------------------------------
def _application_or_404(request, pk: int):
    return get_object_or_404(
        applications_of_member(request.user).select_related("call", "call__region", "organization", "region"), pk=pk
    )


def _initial(application) -> dict:
    return {field: getattr(application, field) for field in services.APPLICATION_FIELDS}


def checklist_of(application, upload_errors=None) -> list[dict]:
    uploaded: dict[int, list] = {}
    for document in application.documents.all():
        uploaded.setdefault(document.requirement_id, []).append(document)
    upload_errors = upload_errors or {}
    return [{"requirement": requirement, "documents": uploaded.get(requirement.pk, []),
             "errors": upload_errors.get(requirement.pk, [])}
            for requirement in application.call.required_documents.all()]


def _record(application) -> dict:
    """What the read-only page shows after submission."""
    award = Award.objects.filter(application=application).first()
    reports = {report.kind: report for report in application.reports.all()}
    return {
        "history": application.history.select_related("actor"),
        "award": award,
        "tranches": list(award.tranches.all()) if award else [],
        "disbursements": list(award.disbursements.all()) if award else [],
        "reports": [(kind, label, reports.get(kind)) for kind, label in GrantReport.Kind.choices],
        "reports_open": application.status in REPORT_STAGES,
        # The review score is shown once the call has decided (awarded or declined), not while others are scored.
        "decided": application.status not in UNDECIDED,
    }


def _page(request, application, *, form=None, formset=None, upload_errors=None, budget_error="", documents_error="",
          status=200):
    editable = application.is_editable
    lines = list(application.budget_lines.all())
    context = {
        "application": application, "call": application.call, "editable": editable, "lines": lines,
        "lines_total": to_yuan(sum(line.amount for line in lines)),
        "checklist": checklist_of(application, upload_errors), "budget_error": budget_error,
        "documents_error": documents_error,
    }
    if editable:
        context["form"] = form or ApplicationForm(initial=_initial(application), call=application.call)
        context["formset"] = formset or BudgetLineFormSet(
            prefix="lines", initial=[{"item": line.item, "amount": line.amount, "note": line.note} for line in lines]
        )
        context["open"] = application.call.is_open()
    else:
        context.update(_record(application))
    return render(request, "grants/workspace/application.html", context, status=status)


def _attach_uploads(request, application) -> dict[int, list[str]]:
    """Attach every file chosen in the checklist (inputs ``doc-<requirement id>``); the errors by the item."""
    errors: dict[int, list[str]] = {}
    requirements = {requirement.pk: requirement for requirement in application.call.required_documents.all()}
    for key, upload in request.FILES.items():
        if not key.startswith("doc-"):
            continue
        try:
            requirement = requirements[int(key[4:])]
        except (ValueError, KeyError):
            continue
        try:
            services.attach_document(application, requirement, upload, acting_user=request.user)
        except ValidationError as error:
            errors[requirement.pk] = error.messages
        except DomainError as error:
            errors[requirement.pk] = [error.message]
    return errors


def _add_row(request, application, form):
    """Another empty budget row, nothing saved: the management form's count goes up by one."""
    data = request.POST.copy()
    try:
        total = int(data.get("lines-TOTAL_FORMS") or 0)
    except ValueError:
        total = 0
    data["lines-TOTAL_FORMS"] = str(min(total + 1, 60))
    return _page(request, application, form=form, formset=BudgetLineFormSet(data, prefix="lines"))


@login_required
def application(request, pk: int):
    application = _application_or_404(request, pk)
    if request.method != "POST":
        return _page(request, application)
    if not application.is_editable:
        messages.error(request, "申报已提交，不能再修改。")
        return redirect("grants:application", pk=pk)
    form = ApplicationForm(request.POST, call=application.call)
    if "add_row" in request.POST:
        return _add_row(request, application, form)
    formset = BudgetLineFormSet(request.POST, prefix="lines")
    upload_errors = _attach_uploads(request, application)
    valid = form.is_valid() & formset.is_valid()
    if valid:
        try:
            services.save_application(application, acting_user=request.user, data=form.cleaned_data,
                                      budget_lines=formset.lines())
        except DomainError as error:
            form.add_error(None, error.message)
            valid = False
    application.refresh_from_db()
    if not valid or upload_errors:
        if valid:
            form.add_error(None, "项目信息已保存，但有材料未能上传，请按提示重新选择文件。")
        return _page(request, application, form=form, formset=formset, upload_errors=upload_errors, status=400)
    if "submit" not in request.POST:
        messages.success(request, "草稿已保存。")
        return redirect("grants:application", pk=pk)
    try:
        services.submit_application(application, acting_user=request.user)
    except ApplicationIncomplete as error:
        budget_error = documents_error = ""
        for field, message in error.errors.items():
            if field == "budget_lines":
                budget_error = message
            elif field == "documents":
                documents_error = message
            elif field in form.fields:
                form.add_error(field, message)
            else:
                form.add_error(None, message)
        form.add_error(None, error.message + "（已填写的内容已保存为草稿。）")
        return _page(request, application, form=form, formset=formset, budget_error=budget_error,
                     documents_error=documents_error, status=400)
    except NotEligible as error:
        for _rule, message in error.failures:
            form.add_error(None, message)
        return _page(request, application, form=form, formset=formset, status=400)
    except DomainError as error:
        form.add_error(None, error.message)
        return _page(request, application, form=form, formset=formset, status=400)
    messages.success(request, f"申报 {application.number} 已提交，请留意资格审查和评审进度。")
    return redirect("grants:application", pk=pk)


@login_required
def document(request, pk: int):
    document = get_object_or_404(
        ApplicationDocument.objects.filter(application__in=applications_of_member(request.user)), pk=pk
    )
    return download(document)


@login_required
def report_document(request, pk: int):
    document = get_object_or_404(
        ReportDocument.objects.filter(report__application__in=applications_of_member(request.user)), pk=pk
    )
    return download(document)


# --- reports ------------------------------------------------------------------------------------------------
def _report_page(request, application, kind, report, *, form=None, evidence_errors=None, status=200):
    award = Award.objects.filter(application=application).first()
    closed = services.report_closed_reason(application, kind)
    editable = not closed and (report is None or report.status == GrantReport.Status.DRAFT)
    if editable and form is None:
        form = ReportForm(initial=ReportForm.initial_from(report), application=application, award=award)
    return render(request, "grants/workspace/report.html", {
        "application": application, "kind": kind, "kind_label": GrantReport.Kind(kind).label, "report": report,
        "award": award, "form": form if editable else None, "editable": editable, "closed": closed,
        "documents": list(report.documents.all()) if report else [], "evidence_errors": evidence_errors or [],
        "upload_form": UploadForm(),
    }, status=status)


@login_required
def report(request, pk: int, kind: str):
    application = _application_or_404(request, pk)
    if kind not in GrantReport.Kind.values:
        raise Http404
    report = GrantReport.objects.filter(application=application, kind=kind).first()
    if request.method != "POST":
        return _report_page(request, application, kind, report)
    closed = services.report_closed_reason(application, kind)
    if closed or (report is not None and report.status != GrantReport.Status.DRAFT):
        messages.error(request, closed or "报告已提交，不能修改。")
        return redirect(reverse("grants:report", kwargs={"pk": pk, "kind": kind}))
    award = Award.objects.filter(application=application).first()
    form = ReportForm(request.POST, application=application, award=award)
    upload = UploadForm(request.POST, request.FILES)
    evidence_errors: list[str] = []
    if not form.is_valid():
        return _report_page(request, application, kind, report, form=form, status=400)
    try:
        report = services.save_report(application, kind, acting_user=request.user, data=form.cleaned_data)
        if "file" in request.FILES:
            if upload.is_valid():
                services.attach_report_document(report, upload.cleaned_data["file"], acting_user=request.user)
            else:
                evidence_errors = [str(e) for errors in upload.errors.values() for e in errors]
        if not evidence_errors and "submit" in request.POST:
            services.submit_report(report, acting_user=request.user)
    except ValidationError as error:
        evidence_errors = error.messages
    except DomainError as error:
        place = getattr(error, "field", None)
        if place == "evidence":
            evidence_errors = [error.message]
        else:
            form.add_error(place, error.message)
    if evidence_errors or form.errors:
        report = GrantReport.objects.filter(application=application, kind=kind).first()
        return _report_page(request, application, kind, report, form=form, evidence_errors=evidence_errors, status=400)
    label = GrantReport.Kind(kind).label
    messages.success(request, f"{label}已提交，请等待评定。" if "submit" in request.POST else f"{label}草稿已保存。")
    return redirect(reverse("grants:report", kwargs={"pk": pk, "kind": kind}))
