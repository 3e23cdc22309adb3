"""The officers' pages of the yearly statistical report (年度统计报表) in the Wagtail admin: the list of their
jurisdiction's reports with progress, the form to request one, retrying a failed one, and the downloads.

Every report is fetched through :func:`dashboards.reports.reports_for`, so another district's report id is a 404;
the files are streamed from the private storage as attachments with their SHA-256."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from core.admin_policies import is_officer
from core.exceptions import DomainError
from core.files import send_private
from core.permissions import get_visible_or_404, id_or_404

from . import reports
from .models import YearlyReport
from .report_forms import ReportRequestForm

PER_PAGE = 20
REFRESH_SECONDS = 3
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _require_officer(user) -> None:
    if not is_officer(user):
        raise PermissionDenied("只有民政干部可以查看年度统计报表。")


class ReportIndexView(WagtailAdminTemplateMixin, TemplateView):
    """yearly_reports:index — GET the list and the form; POST requests a report (400 with the errors by the fields)."""

    template_name = "dashboards/report_index.html"
    page_title = "年度统计报表"
    header_icon = "doc-full"

    def dispatch(self, request, *args, **kwargs):
        _require_officer(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def post(self, request, *args, **kwargs):
        form = ReportRequestForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                report = reports.request_report(form.cleaned_data["region"], form.cleaned_data["year"],
                                                acting_user=request.user)
            except DomainError as error:
                form.add_error("year" if error.code in ("year", "busy") else "region", error.message)
            else:
                messages.success(request, f"已提交 {report} 的生成请求，生成完成后可在下方下载。")
                return redirect("yearly_reports:index")
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        paginator = Paginator(reports.reports_for(self.request.user), PER_PAGE)
        page = paginator.get_page(self.request.GET.get("p"))
        rows = list(page.object_list)
        for report in rows:
            report.can_retry = reports.can_retry(report)
        context.update(
            form=kwargs.get("form") or ReportRequestForm(user=self.request.user),
            page_obj=page, reports=rows,
            refresh=REFRESH_SECONDS if any(report.is_pending for report in rows) else None,
        )
        return context


@require_POST
def report_retry(request, pk):
    """yearly_reports:retry — queue a failed (or stuck) report again."""
    _require_officer(request.user)
    report = get_visible_or_404(request.user, YearlyReport.objects.select_related("region"), pk=id_or_404(pk))
    try:
        reports.retry_report(report, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"已重新提交 {report} 的生成请求。")
    return redirect("yearly_reports:index")


def report_download(request, pk, kind):
    """yearly_reports:download — the XLSX or PDF of a finished report of the officer's jurisdiction, as an
    attachment; anything else (another district's report, one not finished, an unknown kind) is a 404."""
    _require_officer(request.user)
    if kind not in CONTENT_TYPES:
        raise Http404
    report = get_visible_or_404(request.user, YearlyReport.objects.select_related("region"), pk=id_or_404(pk),
                                status=YearlyReport.Status.DONE)
    stored = getattr(report, f"{kind}_file")
    if not stored:
        raise Http404
    response = send_private(stored, filename=report.filename(kind), content_type=CONTENT_TYPES[kind],
                            sha256=getattr(report, f"{kind}_sha256"))
    response["X-Content-Type-Options"] = "nosniff"
    return response


def index_url() -> str:
    return reverse("yearly_reports:index")
