"""The portal's JSON API, version 1, at /api/v1/ with its OpenAPI document at /api/v1/openapi.json.

Authentication: the browser session (with CSRF on writes) or ``Authorization: Bearer <token>`` with a token
created on the account page (Wagtail's APIToken: only a digest is stored). Errors are JSON:
``{"detail": "…"}`` with the HTTP status. Domain apps add their routers here.
"""

import logging

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Length, Substr
from django.http import Http404
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.pagination import paginate

from core.api import Pagination
from core.api_auth import session_or_token
from core.exceptions import DomainError
from core.models import Region
from core.permissions import visible_to

from .views import page_not_found

logger = logging.getLogger(__name__)


class PortalAPI(NinjaAPI):
    """NinjaAPI that answers every address under /api/v1/ as JSON and documents the errors its exception handlers
    give any operation (found by fuzzing the OpenAPI document, tests/api/test_openapi_fuzz.py)."""

    def _get_urls(self):
        # Last: an address no operation matches (``/volunteers/activities/abc``) is a JSON 404. Without it Django's
        # APPEND_SLASH sent a 301 to the CMS's catch-all page route, which answered an HTML 404.
        return [*super()._get_urls(), re_path(r"^.*$", _unknown_address, name="unknown")]

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["ApiError"] = ApiError.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas["ApiValidationError"] = ApiValidationError.model_json_schema(ref_template="#/components/schemas/{model}")
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if operation.get("parameters") or operation.get("requestBody"):
                    # on_validation_error (a parameter of the wrong type) or an HttpError(422) of the view.
                    responses.setdefault(422, _documented("请求参数有误", "ApiValidationError"))
                if operation.get("security"):
                    responses.setdefault(401, _documented("需要登录或提供有效的 API 令牌", "ApiError"))
                if any(p.get("in") == "path" for p in operation.get("parameters", [])):
                    responses.setdefault(404, _documented("未找到请求的对象", "ApiError"))
        return schema


class ApiError(Schema):
    detail: str


class ApiValidationError(Schema):
    detail: str
    errors: list[dict] | None = None


def _documented(description: str, component: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}}}


@csrf_exempt  # it changes nothing; a POST to an unknown address is a JSON 404 too, not Django's HTML CSRF page
def _unknown_address(request, *args, **kwargs):
    return page_not_found(request)  # the project's 404, JSON under /api/


api = PortalAPI(
    title="社会组织与购买服务管理门户 API",
    version="1.0.0",
    description=(
        "公开数据与业务接口。公开接口无需登录；其余接口使用浏览器会话（写操作需 CSRF 令牌）"
        "或在“我的账户”中创建的 API 令牌（`Authorization: Bearer <令牌>`）。错误以 JSON 返回：`{\"detail\": \"…\"}`。"
    ),
    urls_namespace="api-v1",
    docs_url="/docs",
)


def _register_routers():
    from grants.api import router as grants_router
    from orgs.api import router as orgs_router
    from volunteers.api import router as volunteers_router

    api.add_router("/orgs", orgs_router)
    api.add_router("/volunteers", volunteers_router)
    # At the root: its paths are /grants/calls… and /grants.360giving.json, a sibling of /grants/.
    api.add_router("", grants_router)


class Error(Schema):
    detail: str


@api.exception_handler(AuthenticationError)
def on_authentication_error(request, exc):
    return api.create_response(request, {"detail": "需要登录或提供有效的 API 令牌。"}, status=401)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, {"detail": "未找到请求的对象。"}, status=404)


@api.exception_handler(DomainError)
def on_domain_error(request, exc):
    return api.create_response(request, {"detail": exc.message, "code": exc.code}, status=400)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc):
    return api.create_response(request, {"detail": "请求参数有误。", "errors": exc.errors}, status=422)


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(Exception)
def on_unexpected_error(request, exc):
    from core.middleware import busy_response, database_busy

    # Ninja answers here before DatabaseBusyMiddleware could: a busy database (SQLite's lock, a PostgreSQL
    # deadlock or serialization failure) is a JSON 503 saying nothing was saved, as on every other page.
    if database_busy(exc):
        logger.warning("database busy on %s %s: answered 503", request.method, request.path)
        return busy_response(request)
    logger.exception("Unhandled API error", exc_info=exc)
    return api.create_response(request, {"detail": "服务器内部错误，请稍后重试。"}, status=500)


class RegionOut(Schema):
    code: str
    name: str
    level: str
    depth: int
    parent_code: str | None = None


class RoleOut(Schema):
    role: str
    label: str
    region_code: str | None = None


class MeOut(Schema):
    phone: str
    name: str
    is_superuser: bool
    roles: list[RoleOut]
    organizations: list[str]


def _region_out(region: Region, parent_code: str | None) -> RegionOut:
    return RegionOut(code=region.code, name=region.name, level=region.level, depth=region.depth, parent_code=parent_code)


@api.get("/regions", response={200: list[RegionOut], 404: Error}, tags=["行政区划"], summary="行政区划列表", auth=None)
@paginate(Pagination, page_size=100)
def list_regions(request, parent: str | None = None, level: Region.Level | None = None):
    """The region tree, top down; ``parent`` (a code) lists one node's children, ``level`` filters by level."""
    parent_code = Region.objects.filter(
        path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Region.steplen)
    ).values("code")[:1]
    regions = Region.objects.annotate(parent_code=Subquery(parent_code)).order_by("path")
    if parent:
        try:
            node = Region.objects.get(code=parent)
        except Region.DoesNotExist as exc:
            raise Http404 from exc
        regions = regions.filter(path__startswith=node.path, depth=node.depth + 1)
    if level:
        regions = regions.filter(level=level)
    return regions


@api.get("/regions/{code}", response={200: RegionOut, 404: Error}, tags=["行政区划"], summary="行政区划详情", auth=None)
def get_region(request, code: str):
    try:
        region = Region.objects.get(code=code)
    except Region.DoesNotExist as exc:
        raise Http404 from exc
    parent = region.get_parent()
    return _region_out(region, parent.code if parent else None)


@api.get("/me", response={200: MeOut, 401: Error}, tags=["账户"], summary="当前用户", auth=session_or_token)
def me(request):
    """The signed-in user, their roles and the organizations they act for. The owner sees their own
    phone number unmasked."""
    user = request.user
    organizations = visible_to(user, user.organizations.all(), region=None, organization="self")
    return MeOut(
        phone=user.phone,
        name=user.name,
        is_superuser=user.is_superuser,
        roles=[
            RoleOut(role=a.role, label=str(a.get_role_display()), region_code=a.region.code if a.region else None)
            for a in user.active_roles
        ],
        organizations=[o.name for o in organizations],
    )


_register_routers()
