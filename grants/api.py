"""Public endpoints of 孵化与资助: the funding calls the public may see, and every grant as 360Giving open data.

Mounted at the API root (``api.add_router("", router)``) because the open-data file lives at
``/api/v1/grants.360giving.json`` beside ``/api/v1/grants/calls``. Nothing here needs a login; drafts are never
shown (a draft's id answers 404 like an unknown one). Amounts are strings of 元 with two decimals, exact;
the 360Giving file writes them as numbers because its standard says so.
"""

import datetime
from decimal import Decimal

from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from . import opendata
from .models import FundingCall, Tranche
from .permissions import open_calls, public_calls

router = Router(tags=["孵化与资助"])


class Error(Schema):
    detail: str


class CallOut(Schema):
    id: int
    title: str
    kind: str
    kind_label: str
    year: int
    status: str
    status_label: str
    region_code: str
    region_name: str
    budget: Decimal
    max_amount: Decimal | None
    awarded_total: Decimal
    remaining: Decimal
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    is_open: bool

    @staticmethod
    def resolve_kind_label(obj):
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_status_label(obj):
        return str(obj.get_status_display())

    @staticmethod
    def resolve_region_code(obj):
        return obj.region.code

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.name

    @staticmethod
    def resolve_is_open(obj):
        return obj.is_open()


class CriterionOut(Schema):
    name: str
    description: str
    weight: int
    max_score: int


class RequiredDocumentOut(Schema):
    name: str
    note: str
    required: bool


class TrancheRuleOut(Schema):
    condition: str
    percent: int


class CallDetailOut(CallOut):
    description: str
    eligible_kinds: list[str]
    eligible_kind_labels: list[str]
    max_months_established: int | None
    min_months_established: int | None
    exclude_credit_listed: bool
    require_residency: bool
    criteria: list[CriterionOut]
    required_documents: list[RequiredDocumentOut]
    tranches: list[TrancheRuleOut]
    awards: int

    @staticmethod
    def resolve_eligible_kind_labels(obj):
        return obj.kind_labels()

    @staticmethod
    def resolve_criteria(obj):
        return list(obj.criteria.all())

    @staticmethod
    def resolve_required_documents(obj):
        return list(obj.required_documents.all())

    @staticmethod
    def resolve_tranches(obj):
        return [TrancheRuleOut(condition=str(Tranche.Condition(condition).label), percent=percent)
                for condition, percent in obj.tranche_plan()]

    @staticmethod
    def resolve_awards(obj):
        return obj.applications.filter(award__isnull=False).count()


class CallFilterIn(Schema):
    year: int | None = None
    kind: FundingCall.Kind | None = None
    open_only: bool = False


@router.get("/grants/calls", response=list[CallOut], summary="资助计划", auth=None)
@paginate(PageNumberPagination, page_size=50)
def list_grant_calls(request, filters: Query[CallFilterIn]):
    """Published and finished calls, newest window first: budget, amount awarded so far, remaining budget,
    the application window and whether it is open now. ``open_only`` keeps the calls open for applications."""
    calls = (open_calls() if filters.open_only else public_calls()).select_related("region").order_by("-opens_at", "-pk")
    if filters.year:
        calls = calls.filter(year=filters.year)
    if filters.kind:
        calls = calls.filter(kind=filters.kind)
    return calls


@router.get("/grants/calls/{int:call_id}", response={200: CallDetailOut, 404: Error}, summary="资助计划详情", auth=None)
def get_grant_call(request, call_id: int):
    """One published or finished call with its eligibility rules, scoring rubric, document checklist and
    tranche plan; a draft answers 404."""
    try:
        return (public_calls().select_related("region").prefetch_related("criteria", "required_documents")
                .get(pk=call_id))
    except FundingCall.DoesNotExist as exc:
        raise Http404 from exc


@router.get(
    "/grants.360giving.json", summary="资助数据（360Giving 1.4）", auth=None,
    response={200: dict, 304: None},
    openapi_extra={"description": (
        "所有已发布或已结束资助计划下的资助，按 360Giving 数据标准 1.4.3 的资助数据包（grant package）发布："
        "每项资助一条 grant，每期已拨付资金一条 disbursementTransaction，追回为负值。支持 ETag / If-None-Match。"
    )},
)
def grants_360giving(request):
    etag = f'"{opendata.fingerprint()}"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={opendata.CACHE_SECONDS}"}
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    else:
        base_url = request.build_absolute_uri("/").rstrip("/")
        response = HttpResponse(opendata.package_body(etag.strip('"'), base_url=base_url),
                                content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="grants-{timezone.localdate():%Y%m%d}.360giving.json"'
    for name, value in headers.items():
        response[name] = value
    return response
