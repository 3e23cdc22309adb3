"""Public endpoints of 孵化与资助 and 政府购买服务: the funding calls the public may see, every grant as 360Giving
open data, and every procurement project and contract as Open Contracting Data Standard 1.1 releases
(``/api/v1/ocds/releases.json``, ``/api/v1/ocds/records.json``; grants.ocds).

Mounted at the API root (``api.add_router("", router)``) because the open-data file lives at
``/api/v1/grants.360giving.json`` beside ``/api/v1/grants/calls``. Nothing here needs a login; drafts are never
shown (a draft's id answers 404 like an unknown one). Amounts are strings of 元 with two decimals, exact;
the 360Giving file writes them as numbers because its standard says so.
"""

import datetime
import json
from decimal import Decimal

from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from core.api import Pagination

from . import ocds, opendata
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
@paginate(Pagination, page_size=50)
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


# --- 政府购买服务: Open Contracting Data Standard 1.1 ---------------------------------------------------------
SINCE_HELP = "ISO 8601 日期时间，如 2026-03-01T00:00:00+08:00（无时区按北京时间，只写日期按当日零时）：只返回发布时间晚于该时刻的发布。"


def parse_since(value: str | None) -> datetime.datetime | None:
    """``?since=`` as an aware date-time; a date alone is midnight, no offset is the portal's time zone (北京时间).
    Anything else is refused with a Chinese message (400), never a server error."""
    if value is None or not value.strip():
        return None
    try:
        moment = parse_datetime(value.strip())
    except ValueError:
        moment = None
    if moment is None:
        raise HttpError(400, f"参数 since 不是有效的 ISO 8601 日期时间：“{value[:40]}”。请使用如 2026-03-01T00:00:00+08:00 的格式。")
    if not 1970 <= moment.year <= 2100:
        # Years far out would overflow the conversion to UTC in the query; nothing was published then anyway.
        raise HttpError(400, f"参数 since 的年份须在 1970–2100 之间：“{value[:40]}”。")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _json(data: dict, filename: str) -> HttpResponse:
    response = HttpResponse(json.dumps(data, ensure_ascii=False, separators=(",", ":")),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "public, max-age=60"
    return response


@router.get(
    "/ocds/releases.json", summary="政府购买服务发布包（OCDS 1.1）", auth=None, response={200: dict, 400: Error},
    openapi_extra={"description": (
        "每个政府购买服务采购项目及其合同的每次事件（公告、开标、中标、签约、履约支付、合同变更、终止、取消）各一条完整的 "
        "OCDS 1.1 发布（release），按开放合同数据标准 1.1.5 的发布包（release package）格式发布，金额单位为人民币（CNY）。"
        "投标截止前的发布不含任何投标人或报价。发布一经生成不再修改。"
    )},
)
def ocds_releases(request, since: str | None = Query(None, description=SINCE_HELP)):
    moment = parse_since(since)
    return _json(ocds.release_package(moment), f"ocds-releases-{timezone.localdate():%Y%m%d}.json")


@router.get(
    "/ocds/records.json", summary="政府购买服务记录包（OCDS 1.1）", auth=None, response={200: dict},
    openapi_extra={"description": (
        "每个采购项目（ocid）一条记录（record）：其全部发布及汇编发布（compiledRelease，即最新的完整快照），"
        "按开放合同数据标准 1.1.5 的记录包（record package）格式发布。"
    )},
)
def ocds_records(request):
    return _json(ocds.record_package(), f"ocds-records-{timezone.localdate():%Y%m%d}.json")
