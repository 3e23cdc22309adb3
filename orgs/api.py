"""Public registry endpoints: the same rows and filters as /orgs/, public fields only."""

import datetime

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from core.api import Pagination
from core.api_auth import session_or_token

from .filters import OrganizationFilter
from .models import Application, Organization
from .permissions import applications_for
from .queries import public_organizations

router = Router(tags=["社会组织"])


class OrganizationFilterIn(Schema):
    q: str | None = None
    kind: Organization.Kind | None = None
    district: str | None = None
    field: str | None = None
    status: str | None = None
    credit: str | None = None
    grade: str | None = None


class CreditListingOut(Schema):
    kind: str
    reason: str
    listed_on: datetime.date
    removed_on: datetime.date | None


class OrganizationOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    credit_code: str | None
    filing_number: str | None
    district: str | None
    region_code: str
    region_name: str
    established_on: datetime.date | None
    on_abnormal_list: bool
    on_serious_list: bool
    grade: str
    grade_valid_until: datetime.date | None

    @staticmethod
    def resolve_kind_label(obj):
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_status_label(obj):
        return str(obj.get_status_display())

    @staticmethod
    def resolve_grade(obj):
        return obj.grade_on(timezone.localdate())

    @staticmethod
    def resolve_grade_valid_until(obj):
        return obj.grade_valid_until if obj.grade_on(timezone.localdate()) else None

    @staticmethod
    def resolve_district(obj):
        return obj.district_name

    @staticmethod
    def resolve_region_code(obj):
        return obj.region.code

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.name


class OrganizationDetailOut(OrganizationOut):
    nature: str
    legal_representative: str
    domicile: str
    purpose: str
    business_scope: str
    activity_area: str
    registration_authority: str
    business_supervisor: str
    certificate_valid_until: datetime.date | None
    service_fields: list[str]
    credit_listings: list[CreditListingOut]

    @staticmethod
    def resolve_service_fields(obj):
        return [f.name for f in obj.service_fields.all()]

    @staticmethod
    def resolve_credit_listings(obj):
        return list(obj.credit_listings.all())


@router.get("/", response=list[OrganizationOut], summary="社会组织名录", auth=None)
@paginate(Pagination, page_size=50)
def list_organizations(request, filters: Query[OrganizationFilterIn]):
    """Filters as on the registry page: ``q`` (name words), ``kind``, ``district`` (code), ``field``
    (service field code), ``status`` (default: existing organizations; ``all`` for every status), ``credit``,
    ``grade`` (5A … 1A, ``3A+`` or ``any``; only grades still in force)."""
    data = {k: v for k, v in filters.dict().items() if v}
    filterset = OrganizationFilter(data, queryset=public_organizations())
    if not filterset.is_valid():
        problems = "；".join(f"{name}：{' '.join(errors)}" for name, errors in filterset.errors.items())
        raise HttpError(422, f"筛选条件有误。{problems}")
    return filterset.qs


@router.get("/{int:org_id}/", response=OrganizationDetailOut, summary="社会组织详情", auth=None)
def get_organization(request, org_id: int):
    try:
        return public_organizations().prefetch_related("service_fields", "credit_listings").get(pk=org_id)
    except Organization.DoesNotExist as exc:
        raise Http404 from exc


class ApplicationOut(Schema):
    id: int
    kind: str
    status: str
    status_label: str
    name: str
    org_kind: str
    region_code: str
    submitted_at: datetime.datetime | None
    accepted_at: datetime.datetime | None
    due_on: datetime.date | None
    decided_at: datetime.datetime | None

    @staticmethod
    def resolve_status_label(obj):
        return str(obj.get_status_display())

    @staticmethod
    def resolve_region_code(obj):
        return obj.region.code


@router.get("/applications/", response=list[ApplicationOut], summary="登记备案申请（本人可见范围）", auth=session_or_token)
@paginate(Pagination, page_size=50)
def list_applications(request, status: Application.Status | None = None):
    """Officers see their jurisdiction's applications, members their organizations', applicants their own."""
    queryset = applications_for(request.user).select_related("region").order_by("-updated_at", "-pk")
    return queryset.filter(status=status) if status else queryset


@router.get("/applications/{int:application_id}/", response=ApplicationOut, summary="登记备案申请详情",
            auth=session_or_token)
def get_application(request, application_id: int):
    return get_object_or_404(applications_for(request.user).select_related("region"), pk=application_id)
