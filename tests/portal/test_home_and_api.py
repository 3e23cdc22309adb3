from unittest import mock

import pytest
from django.urls import reverse
from wagtail.models import Site

from core.services import create_api_token
from orgs.models import Organization
from tests.factories import OrganizationFactory


@pytest.fixture
def home_url(db):
    return Site.objects.get(is_default_site=True).root_page.url


def figure(response, key):
    return next(f for f in response.context["figures"] if f["key"] == key)


def test_home_page_is_chinese_and_shows_live_figures_from_the_database(client, home_url, volunteer):
    OrganizationFactory.create_batch(3)
    OrganizationFactory(status=Organization.Status.DEREGISTERED)
    response = client.get(home_url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "社会组织与购买服务管理门户" in html and "实时数据" in html
    assert figure(response, "organizations")["value"] == "3"
    assert figure(response, "volunteers")["value"] == "1"


def test_home_figures_are_cached_until_they_expire(client, home_url):
    from django.core.cache import cache

    OrganizationFactory()
    assert figure(client.get(home_url), "organizations")["value"] == "1"
    OrganizationFactory()
    assert figure(client.get(home_url), "organizations")["value"] == "1"  # served from the cache
    cache.clear()
    assert figure(client.get(home_url), "organizations")["value"] == "2"


def test_home_page_query_count_does_not_grow_with_the_data(client, home_url, django_assert_max_num_queries):
    # Uncached (a cached anonymous hit costs none): figures, showcase, calls, announcements, activities, news, sections.
    OrganizationFactory.create_batch(30)
    # The site's first request, every low-level cache empty (root paths, figures) and the settings row created: 16;
    # warm, tests/test_query_budgets.py holds 12.
    with django_assert_max_num_queries(16):
        response = client.get(home_url)
    assert response.status_code == 200


def test_healthz_answers_200_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_fails(client, db):
    from django.db import OperationalError

    with mock.patch("core.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["status"] == "error"


def test_unknown_page_gets_the_chinese_404_page(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_openapi_document_lists_the_endpoints(client, db):
    document = client.get("/api/v1/openapi.json").json()
    assert document["info"]["title"] == "社会组织与购买服务管理门户 API"
    assert {"/api/v1/regions", "/api/v1/regions/{code}", "/api/v1/me"} <= set(document["paths"])


def test_region_list_is_paginated_and_filters_by_parent(client, db):
    data = client.get("/api/v1/regions", {"parent": "520100"}).json()
    assert data["count"] == 10
    assert {item["parent_code"] for item in data["items"]} == {"520100"}
    assert client.get("/api/v1/regions/999999").json() == {"detail": "未找到请求的对象。"}


def test_me_without_credentials_is_a_json_401(client, db):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "需要登录或提供有效的 API 令牌。"}


def test_me_with_a_bearer_token_returns_the_tokens_user(client, applicant):
    token = create_api_token(applicant, name="脚本")
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["phone"] == applicant.phone
    assert response.json()["organizations"] == ["阳光助残服务社"]


def test_a_revoked_token_no_longer_authenticates(client, applicant):
    from wagtail.models import APIToken

    from core.services import revoke_api_token

    token = create_api_token(applicant, name="脚本")
    revoke_api_token(APIToken.objects.get(user=applicant), acting_user=applicant)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_me_with_a_session_returns_the_roles(client, officer_nanming):
    client.force_login(officer_nanming)
    roles = client.get("/api/v1/me").json()["roles"]
    assert roles == [{"role": "officer", "label": "民政干部", "region_code": "520102"}]


def test_bad_query_parameters_get_a_json_422(client, db):
    response = client.get("/api/v1/regions", {"level": "planet"})
    assert response.status_code == 422 and response.json()["detail"] == "请求参数有误。"


def test_unknown_api_path_gets_a_json_404(client, db):
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404 and response.json() == {"detail": "未找到请求的资源。"}
    assert reverse("api-v1:openapi-json") == "/api/v1/openapi.json"
