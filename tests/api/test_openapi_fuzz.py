"""Fuzzing the JSON API from its own OpenAPI document (schemathesis): every operation, anonymous and with the bearer
token of a signed-in member who is also a registered volunteer, answers without a server error, with a status code
the document lists and a body that matches the schema documented for that status.

The document is read from the running application at /api/v1/openapi.json, and the requests go to the same Django
application in-process through WSGI, inside the test's database transaction. Examples are bounded and derandomized
so the file runs in well under a minute and a CI failure can be reproduced by running it again.
"""

from decimal import Decimal

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.services import create_api_token
from orgs import applications
from orgs.models import Application, Organization
from tests.grants.helpers import make_call
from tests.volunteers.helpers import credit, make_activity, make_merchant, make_reward, make_shift, register

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZ = settings(
    max_examples=20, deadline=None, derandomize=True, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large],
)


class InTransactionWSGI(WSGIHandler):
    """Django's WSGI application, minus the end-of-request ``close_old_connections``: the test's connection is
    inside the test's transaction and must survive each request (Django's own test client does the same)."""

    def __call__(self, environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            return super().__call__(environ, start_response)
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", InTransactionWSGI())


@pytest.fixture
def world(applicant, org_a, volunteer, merchant):
    """Something for every operation to find: an organization with an application, an activity with a shift, a
    reward, an open funding call; the member of 阳光助残服务社 is also a volunteer with 40 points."""
    applications.start_application(
        applicant=applicant, kind=Application.Kind.ESTABLISH, region=org_a.region, name="南明区春晖养老服务中心",
        org_kind=Organization.Kind.SERVICE_INSTITUTION, legal_representative="李明", domicile="贵阳市南明区花果园大街 1 号",
        purpose="为老年人提供居家养老服务", business_scope="居家养老、助餐助浴", activity_area="南明区",
        funds=Decimal("100000"), direct_category=Organization.DirectCategory.COMMUNITY_SERVICE,
    )
    activity = make_activity(applicant, org_a)
    make_shift(activity, applicant, capacity=2)
    me = register(applicant, real_name="吴经办")
    credit(me, 40, organizer=applicant, activity=activity)
    make_reward(make_merchant(merchant), merchant, points_price=10, stock=5, per_person_limit=3)
    make_call()
    return {"token": create_api_token(applicant, name="模糊测试")}


@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_every_operation_answers_an_anonymous_caller_as_documented(case, world):
    case.call_and_validate(checks=CHECKS)


@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_every_operation_answers_a_token_holder_as_documented(case, world):
    case.call_and_validate(checks=CHECKS, headers={"Authorization": f"Bearer {world['token']}"})


@pytest.mark.django_db
def test_the_token_the_fuzzer_sends_signs_the_member_in(world, applicant):
    """The token run above exercises the signed-in paths, not only 401s: the same header on the same WSGI app
    reaches the member's own data."""
    case = schema["/api/v1/volunteers/me"]["GET"].Case()
    response = case.call(headers={"Authorization": f"Bearer {world['token']}"})
    assert response.status_code == 200 and response.json()["balance"] == 40


def test_the_document_names_each_schema_once():
    """Two response models of one name were merged into one component, so /api/v1/me was documented with the
    volunteer's fields; every operation's 200 schema is now its own."""
    me = schema["/api/v1/me"]["GET"].definition.raw["responses"]["200"]["content"]["application/json"]["schema"]
    assert me["$ref"].endswith("/MeOut")
    volunteer_me = schema["/api/v1/volunteers/me"]["GET"].definition.raw["responses"]["200"]["content"][
        "application/json"]["schema"]
    assert volunteer_me["$ref"].endswith("/VolunteerMeOut")


# What the fuzzer found, pinned as plain requests so that a later change cannot bring it back unnoticed.

@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/volunteers/rewards", "/api/v1/grants/calls", "/api/v1/orgs/"])
def test_a_page_number_beyond_64_bits_is_a_422_not_a_server_error(client, path):
    response = client.get(path, {"page": "19994010736898076573696"})
    assert response.status_code == 422 and response.json()["detail"] == "请求参数有误。"
    assert client.get(path, {"page": "1000000"}).json()["items"] == []


@pytest.mark.django_db
def test_an_address_no_operation_matches_is_a_json_404_for_every_method(client):
    for response in (client.get("/api/v1/volunteers/activities/abc"),
                     client.post("/api/v1/volunteers/shifts/null,null/signup")):
        assert response.status_code == 404  # not a 301 to the CMS's HTML 404, nor Django's HTML CSRF page
        assert response.json() == {"detail": "未找到请求的资源。"}


@pytest.mark.django_db
def test_an_unknown_parent_region_is_a_documented_404(client):
    assert client.get("/api/v1/regions", {"parent": "999999"}).status_code == 404
    assert "404" in schema["/api/v1/regions"]["GET"].definition.raw["responses"]
