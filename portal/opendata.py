"""公开数据 (issue 8): what the open-data page lists, computed from what the portal publishes, never typed.

- The datasets: the registry (CSV/XLSX, orgs:export), government purchase of services as OCDS 1.1 release and record
  packages, incubator grants as a 360Giving 1.4 package, and each campaign's published evaluation results
  (CSV/XLSX, evaluations:results_export). A campaign appears only once its results are public, so the page never
  links to a file that answers 404.
- The API reference: the OpenAPI document of :data:`portal.api.api` as a Chinese table per tag (method, path,
  summary, whether a login is needed, parameters). The document only changes with the code, so it is read once
  per process.
- :func:`serve`: the view at ``/open-data/`` (URL name ``open-data``, the name the site navigation uses), serving
  the live :class:`~portal.models.OpenDataPage` of the request's site; 404 while editors have not published one.

The page costs a fixed number of queries whatever the data size: the facts (counts and update times) are four
aggregate queries, cached for :data:`FACTS_CACHE_SECONDS`.
"""

import functools
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Q
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.models import Site
from wagtail.views import serve_chain

FACTS_CACHE_SECONDS = 300
FACTS_CACHE_KEY = "portal:opendata:facts"

LICENCE_NAME = gettext_lazy("知识共享署名 4.0 国际许可协议（CC BY 4.0）")
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/deed.zh-hans"
OCDS_DOCS_URL = "https://standard.open-contracting.org/1.1/en/"
GIVING_DOCS_URL = "https://standard.threesixtygiving.org/en/latest/"

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Download:
    label: str  # what the button says: 下载 CSV
    url: str
    format: str  # CSV, XLSX, JSON
    content_type: str  # what the URL answers with (the tests follow every link and check it)


@dataclass(frozen=True)
class Standard:
    name: str
    url: str = ""
    note: str = ""


@dataclass
class Dataset:
    key: str
    title: str
    description: str
    downloads: list[Download]
    standard: Standard | None = None
    updated_at: object = None  # an aware datetime when cheaply known
    count: int | None = None
    unit: str = "条"
    related: tuple[str, str] | None = None  # (label, URL) of the page where people read the same data

    @property
    def formats(self) -> str:
        return "、".join(dict.fromkeys(d.format for d in self.downloads))


# --- facts: four aggregate queries, cached ------------------------------------------------------------------
def _facts() -> dict:
    from evaluations.queries import campaigns_with_results
    from grants import opendata as giving
    from grants.models import OcdsRelease
    from orgs.models import Organization
    from orgs.queries import ACTIVE

    registry = Organization.objects.filter(ACTIVE).aggregate(count=Count("pk"), updated=Max("updated_at"))
    ocds = OcdsRelease.objects.aggregate(releases=Count("pk"), records=Count("ocid", distinct=True), updated=Max("date"))
    grants = giving.public_awards().aggregate(
        count=Count("pk", distinct=True), awarded=Max("awarded_at"), paid=Max("disbursements__recorded_at"),
        changed=Max("application__updated_at"),
    )
    published = campaigns_with_results().annotate(result_count=Count("results", filter=Q(results__valid=True)))
    campaigns = [
        {"pk": c.pk, "title": c.title, "year": c.year, "kind": str(c.get_kind_display()), "is_grading": c.is_grading,
         "region": c.region.name, "status": str(c.get_status_display()), "count": c.result_count,
         "updated": max(filter(None, [c.published_at, c.finalized_at]), default=None)}
        for c in published
    ]
    grants_updated = max(filter(None, [grants["awarded"], grants["paid"], grants["changed"]]), default=None)
    return {
        "registry": registry, "ocds": ocds, "grants": {"count": grants["count"], "updated": grants_updated},
        "campaigns": campaigns,
    }


def facts() -> dict:
    cached = cache.get(FACTS_CACHE_KEY)
    if cached is None:
        cached = _facts()
        cache.set(FACTS_CACHE_KEY, cached, FACTS_CACHE_SECONDS)
    return cached


# --- the datasets ---------------------------------------------------------------------------------------------
def _sheet_downloads(url_name: str, **kwargs) -> list[Download]:
    return [
        Download(_("下载 CSV"), reverse(url_name, kwargs={**kwargs, "fmt": "csv"}), "CSV", "text/csv"),
        Download(_("下载 XLSX"), reverse(url_name, kwargs={**kwargs, "fmt": "xlsx"}), "XLSX", XLSX),
    ]


def datasets(known: dict) -> list[Dataset]:
    """The standing datasets: the registry, the OCDS release and record packages, the 360Giving package."""
    ocds = known["ocds"]
    return [
        Dataset(
            "registry", _("社会组织名录"),
            _("本辖区存续（已登记、已备案）的社会组织：名称、类型、统一社会信用代码或备案编号、所在区县、法定代表人、"
              "成立日期、登记管理机关、信用状况与有效的评估等级。在“社会组织”页面筛选后也可导出筛选结果。"),
            _sheet_downloads("orgs:export"),
            Standard(_("无对应的国际数据标准，表头为中文"), note=_("组织以统一社会信用代码（GB 32100）或备案编号标识。")),
            known["registry"]["updated"], known["registry"]["count"], _("家"),
            (_("社会组织名录查询"), reverse("orgs:directory")),
        ),
        Dataset(
            "ocds-releases", _("政府购买服务发布包（OCDS）"),
            _("每个政府购买服务项目及其合同的每次事件（公告、开标、中标、签约、履约支付、合同变更、终止、取消）各一条"
              "完整的发布（release），发布一经生成不再修改。可用参数 since 只取某一时刻之后的发布。"),
            [Download(_("下载 JSON"), reverse("api-v1:ocds_releases"), "JSON", "application/json")],
            Standard(_("开放合同数据标准 OCDS 1.1（发布包）"), OCDS_DOCS_URL),
            ocds["updated"], ocds["releases"], _("条发布"),
            (_("政府购买服务公告"), reverse("grants:procurements")),
        ),
        Dataset(
            "ocds-records", _("政府购买服务记录包（OCDS）"),
            _("每个采购项目（ocid）一条记录：其全部发布，以及汇编发布（compiledRelease，即项目最新的完整状态）。"),
            [Download(_("下载 JSON"), reverse("api-v1:ocds_records"), "JSON", "application/json")],
            Standard(_("开放合同数据标准 OCDS 1.1（记录包）"), OCDS_DOCS_URL),
            ocds["updated"], ocds["records"], _("个项目"),
            (_("政府购买服务公告"), reverse("grants:procurements")),
        ),
        Dataset(
            "360giving", _("孵化资助数据（360Giving）"),
            _("已发布或已结束资助计划下的每项资助：申请与资助金额、受资助组织、资助计划，以及每期拨付和追回。"
              "金额单位为人民币元（CNY）。"),
            [Download(_("下载 JSON"), reverse("api-v1:grants_360giving"), "JSON", "application/json")],
            Standard(_("360Giving 数据标准 1.4（资助数据包）"), GIVING_DOCS_URL),
            known["grants"]["updated"], known["grants"]["count"], _("项资助"),
            (_("资助计划"), reverse("grants:calls")),
        ),
    ]


def result_datasets(known: dict) -> list[Dataset]:
    """One dataset per campaign whose results are public (published or finalized), newest first."""
    out = []
    for campaign in known["campaigns"]:
        if campaign["is_grading"]:
            scores = _("各评估指标得分、总分（千分制）")
        else:
            scores = _("各维度群众评价均分与干部专家均分、群众评价得分、干部专家得分、综合得分")
        out.append(Dataset(
            f"results-{campaign['pk']}", _("%(title)s评价结果") % {"title": campaign["title"]},
            _("%(kind)s · %(region)s · %(status)s。按综合得分排列的有效结果：组织名称、统一社会信用代码（备案编号）、"
              "类型、所在区县、%(scores)s、等级、同类排名与区县内排名。")
            % {"kind": campaign["kind"], "region": campaign["region"], "status": campaign["status"], "scores": scores},
            _sheet_downloads("evaluations:results_export", pk=campaign["pk"]),
            None, campaign["updated"], campaign["count"], _("个有效结果"),
            (_("活动页面（排名与评价规则）"), reverse("evaluations:campaign", kwargs={"pk": campaign["pk"]})),
        ))
    return out


# --- the API reference ---------------------------------------------------------------------------------------
LOCATIONS = {"query": gettext_lazy("查询参数"), "path": gettext_lazy("路径参数"), "header": gettext_lazy("请求头"),
             "cookie": "Cookie"}
TYPES = {"string": gettext_lazy("字符串"), "integer": gettext_lazy("整数"), "number": gettext_lazy("数字"),
         "boolean": gettext_lazy("布尔值"), "array": gettext_lazy("数组"), "object": gettext_lazy("对象")}
FORMATS = {"date": gettext_lazy("日期"), "date-time": gettext_lazy("日期时间")}
ENUM = gettext_lazy("枚举值")
# Parameters the API's paginated lists share; the document gives them no description.
KNOWN_PARAMETERS = {"page": gettext_lazy("页码，从 1 开始"), "page_size": gettext_lazy("每页条数")}


def _type_of(schema: dict) -> str:
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    labels = []
    for option in options:
        if "$ref" in option or "enum" in option:
            labels.append(str(ENUM))
        elif option.get("format") in FORMATS:
            labels.append(str(FORMATS[option["format"]]))
        else:
            labels.append(str(TYPES.get(option.get("type"), option.get("type") or "—")))
    return " / ".join(dict.fromkeys(labels)) or "—"


def _parameter(raw: dict) -> dict:
    schema = raw.get("schema") or {}
    description = raw.get("description") or schema.get("description") or str(KNOWN_PARAMETERS.get(raw["name"], ""))
    default = schema.get("default")
    return {
        "name": raw["name"], "location": str(LOCATIONS.get(raw.get("in"), raw.get("in", ""))),
        "required": bool(raw.get("required")), "type": _type_of(schema), "description": description,
        "default": "" if default is None else str(default).lower() if isinstance(default, bool) else str(default),
    }


@functools.cache
def api_reference() -> dict:
    """The OpenAPI document as the page's tables: ``{"title", "version", "groups": [{"tag", "operations"}]}``.

    Read once per process: the document is built from the code, and building it walks every schema."""
    from .api import api

    document = api.get_openapi_schema()
    groups: dict[str, list[dict]] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            tag = (operation.get("tags") or [_("其他")])[0]
            groups.setdefault(tag, []).append({
                "method": method.upper(), "path": path, "summary": operation.get("summary") or "",
                "auth": bool(operation.get("security")), "body": "requestBody" in operation,
                "parameters": [_parameter(p) for p in operation.get("parameters", [])],
            })
    return {
        "title": document["info"]["title"], "version": document["info"]["version"],
        "groups": [{"tag": tag, "operations": operations} for tag, operations in groups.items()],
    }


# --- the page ------------------------------------------------------------------------------------------------
def page_context() -> dict:
    """What ``portal/open_data_page.html`` shows beside the editors' intro and body."""
    known = facts()
    standing, results = datasets(known), result_datasets(known)
    return {
        "datasets": standing,
        "result_datasets": results,
        "dataset_sections": [
            {"id": "downloads", "title": _("数据下载"), "datasets": standing, "empty": "",
             "help": _("以下数据均由本门户业务系统根据已公开的信息实时生成，按%(licence)s开放，使用时请注明来源。")
             % {"licence": LICENCE_NAME}},
            {"id": "results", "title": _("评价结果"), "datasets": results, "empty": _("暂无已发布的评价结果。"),
             "help": _("五比五看与社会组织等级评估的结果，在结果发布后开放下载；评价进行中或结果待发布的活动不在此列。")},
        ],
        "licence": {"name": LICENCE_NAME, "url": LICENCE_URL},
        "api_reference": api_reference(),
        "api_docs_url": reverse("api-v1:openapi-view"),
        "openapi_url": reverse("api-v1:openapi-json"),
        "publication": {
            "publisher": settings.PORTAL_OCDS_PUBLISHER, "ocds_prefix": settings.PORTAL_OCDS_PREFIX,
            "giving_prefix": f"360G-{settings.PORTAL_360GIVING_PREFIX}", "cache_minutes": FACTS_CACHE_SECONDS // 60,
        },
    }


def live_page(request):
    """The live open-data page of the request's site, or None."""
    from .models import OpenDataPage

    pages = OpenDataPage.objects.live()
    site = Site.find_for_request(request)
    if site is not None:
        pages = pages.in_site(site)
    return pages.order_by("path").first()


def serve(request):
    """``/open-data/``: the live OpenDataPage, served as Wagtail serves pages (its privacy hooks included)."""
    page = live_page(request)
    if page is None:
        raise Http404
    chain = serve_chain
    for fn in reversed(hooks.get_hooks("on_serve_page")):
        chain = fn(chain)
    for fn in hooks.get_hooks("before_serve_page"):
        result = fn(page, request, [], {})
        if isinstance(result, HttpResponse):
            return result
    return chain(page, request, [], {})
