"""Error pages (API paths get JSON errors; everything else the styled Chinese pages) and the site search."""

from django.core.paginator import Paginator
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.http import urlencode

from .search import site_search

SEARCH_PAGE_SIZE = 20


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"detail": "未找到请求的资源。"}, status=404)
    return render(request, "404.html", status=404)


def permission_denied(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"detail": "没有权限执行此操作。"}, status=403)
    return render(request, "403.html", status=403)


def server_error(request):
    if _wants_json(request):
        return JsonResponse({"detail": "服务器内部错误，请稍后重试。"}, status=500)
    # No context processors: the database may be what failed.

    return HttpResponseServerError(loader.get_template("500.html").render())


def bad_request(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"detail": "请求有误。"}, status=400)
    return render(request, "400.html", status=400)


def search(request):
    """站内搜索: pages, organizations, activities, funding calls and procurement projects (see portal.search)."""
    outcome = site_search(request.GET.get("q"), kind=request.GET.get("type", ""), request=request)
    page = Paginator(outcome.results, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({key: value for key, value in (("q", outcome.query), ("type", outcome.kind)) if value})
    return render(request, "portal/search.html", {
        "outcome": outcome, "page_obj": page, "query": query, "search_query": outcome.query,
    })
