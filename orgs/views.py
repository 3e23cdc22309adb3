"""The public registry: the filtered list, the profile, and the list as XLSX or CSV. Thin views over
orgs.queries and orgs.filters."""

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from . import exports, profile_sections
from .filters import OrganizationFilter
from .models import Certificate, CreditListing, Organization
from .queries import public_organizations

PAGE_SIZE = 20
EXPORT_LIMIT = 100_000  # the whole city and more; a province exports by district


def directory(request):
    filterset = OrganizationFilter(request.GET, queryset=public_organizations())
    organizations = filterset.qs.prefetch_related("service_fields")
    page = Paginator(organizations, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "orgs/directory.html",
        {"filter": filterset, "page_obj": page, "query": query.urlencode(), "total": page.paginator.count},
    )


def profile(request, pk: int):
    listings = CreditListing.objects.order_by("-listed_on", "-pk")
    try:
        organization = (
            public_organizations()
            .prefetch_related("service_fields", Prefetch("credit_listings", queryset=listings))
            .get(pk=pk)
        )
    except Organization.DoesNotExist as exc:
        raise Http404 from exc
    return render(request, "orgs/profile.html", {
        "org": organization, "today": timezone.localdate(),
        "sections": profile_sections.render_sections(request, organization),
    })


def directory_export(request, fmt: str):
    filterset = OrganizationFilter(request.GET, queryset=public_organizations())
    rows = filterset.qs[:EXPORT_LIMIT]
    stamp = timezone.localtime().strftime("%Y%m%d")
    if fmt == "csv":
        response = HttpResponse(exports.registry_csv(rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.registry_xlsx(rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f"attachment; filename=\"registry-{stamp}.{fmt}\"; filename*=UTF-8''%E7%A4%BE%E4%BC%9A%E7%BB%84%E7%BB%87%E5%90%8D%E5%BD%95-{stamp}.{fmt}"
    return response


def verify(request, code: str):
    """The public page a certificate's QR code opens: is this certificate valid today?"""
    try:
        certificate = Certificate.objects.select_related("organization").get(verification_code=code)
    except Certificate.DoesNotExist as exc:
        raise Http404 from exc
    today = timezone.localdate()
    return render(request, "orgs/verify.html", {
        "certificate": certificate, "valid": certificate.is_valid_on(today), "today": today,
    })
