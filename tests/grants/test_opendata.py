"""The public grants API and the 360Giving 1.4.3 export: the package validates against the vendored schema, the
paid tranches in it add up to the payments table, the identifiers carry the configured prefix, unawarded work is
absent, and the file costs the same few queries whatever the number of grants."""

import datetime
import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from django.test import override_settings
from django.utils import timezone
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import grants
from grants import opendata, services
from grants.models import Disbursement, FundingCall, GrantApplication
from orgs.models import Organization
from tests.factories import community

from .helpers import funded, make_call, officer_for, report, scored, submitted

pytestmark = pytest.mark.django_db

URL = "/api/v1/grants.360giving.json"
CALLS = "/api/v1/grants/calls"
SCHEMAS = Path(grants.__file__).parent / "standards" / "360giving-1.4.3"


def validator():
    """The package schema with its ``$ref`` to the grant schema resolved from the vendored file, under the URL the
    ``$ref`` names; formats checked (a 360Giving date is a oneOf of a date pattern and the date-time format)."""
    package = json.loads((SCHEMAS / "360-giving-package-schema.json").read_text())
    grant = json.loads((SCHEMAS / "360-giving-schema.json").read_text())
    ref = package["properties"]["grants"]["items"]["$ref"]
    # Both files say "$schema": "http://json-schema.org/draft/2020-12/schema" (http, not the canonical https), which
    # neither referencing nor jsonschema recognizes, so the draft is named here.
    registry = Registry().with_resource(ref, Resource(contents=grant, specification=DRAFT202012))
    return jsonschema.Draft202012Validator(package, registry=registry,
                                          format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def problems(data) -> list[str]:
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator().iter_errors(data))


def export(client):
    response = client.get(URL)
    assert response.status_code == 200
    return json.loads(response.content, parse_float=Decimal)


def today():
    return timezone.localdate()


@pytest.fixture
def officer(city):
    return officer_for(city)


@pytest.fixture
def call(officer):
    return make_call(created_by=officer, budget="200000", title="2026 年公益创投（测试）")


@pytest.fixture
def filed_org(nanming):
    place = community(nanming, "520102001000", "花果园街道")
    return Organization.objects.create(
        name="花果园街道邻里互助会", kind=Organization.Kind.COMMUNITY, status=Organization.Status.FILED, region=place,
        filing_number="520102-BA-0007", established_on=datetime.date(2024, 3, 1),
    )


@pytest.fixture
def world(call, officer, filed_org):
    """Three awards (one paid twice, one paid and partly clawed back, one unpaid), one declined after review,
    one screened out, one scored and never awarded."""
    paid = funded(call, officer, amount=Decimal("20000"))
    services.pay_tranche(paid.tranches.get(sequence=1), acting_user=officer, paid_on=today(), reference="BK-001")
    services.assess_report(report(paid), acting_user=officer, score=82, assessment="进度符合计划")
    services.pay_tranche(paid.tranches.get(sequence=2), acting_user=officer, paid_on=today())
    GrantApplication.objects.filter(pk=paid.application_id).update(
        starts_on=datetime.date(2026, 3, 1), ends_on=datetime.date(2026, 12, 31))

    clawed = funded(call, officer, amount=Decimal("10000"), organization=filed_org)
    services.pay_tranche(clawed.tranches.get(sequence=1), acting_user=officer, paid_on=today())
    services.claw_back(clawed, acting_user=officer, amount=Decimal("1000"), reason="部分支出无票据", paid_on=today())

    unpaid = funded(call, officer, amount=Decimal("15000"))

    declined = scored(call, officer)
    services.decline(declined, acting_user=officer, reason="排名靠后")
    screened_out = submitted(call)
    services.screen(screened_out, acting_user=officer, passed=False, note="材料不全")
    waiting = scored(call, officer)
    return {"paid": paid, "clawed": clawed, "unpaid": unpaid, "declined": declined, "screened_out": screened_out,
            "waiting": waiting}


def by_id(package):
    return {grant["id"]: grant for grant in package["grants"]}


# --- 360Giving -------------------------------------------------------------------------------------------------
def test_the_export_validates_against_the_360giving_1_4_3_package_schema(client, world):
    response = client.get(URL)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    data = json.loads(response.content)
    assert problems(data) == []
    assert len(data["grants"]) == 3
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert data["publisher"]["name"] == "贵阳市民政局" and data["publisher"]["prefix"] == "360G-zcgy"


def test_the_validator_used_here_does_reject_a_broken_grant(client, world):
    data = json.loads(client.get(URL).content)
    data["grants"][0]["amountAwarded"] = "20000"
    data["grants"][0]["awardDate"] = "2026/01/01"
    del data["grants"][1]["fundingOrganization"]
    found = problems(data)
    assert any("amountAwarded" in p for p in found)
    assert any("awardDate" in p for p in found)
    # Without a funder the grant matches neither branch of the schema's oneOf of required fields.
    assert any(p.startswith("grants/1: ") and p.endswith("is not valid under any of the given schemas") for p in found)


def test_the_paid_tranches_in_the_export_add_up_to_the_payments_table(client, world):
    grants_ = by_id(export(client))
    payments = Disbursement.objects.filter(kind=Disbursement.Kind.PAYMENT)
    for award in (world["paid"], world["clawed"], world["unpaid"]):
        award.refresh_from_db()
        grant = grants_[opendata.grant_id(award.application)]
        transactions = grant["disbursementTransaction"]
        paid_in_export = sum(t["value"] for t in transactions if t["value"] > 0)
        assert paid_in_export == sum(d.amount for d in payments.filter(award=award))
        assert len([t for t in transactions if t["value"] > 0]) == payments.filter(award=award).count()
        # Clawbacks are negative transactions, so the transactions add up to what the grantee holds.
        assert sum(t["value"] for t in transactions) == grant["amountDisbursed"] == award.paid_total
        assert grant["amountAwarded"] == award.amount
    total = sum(t["value"] for g in grants_.values() for t in g["disbursementTransaction"] if t["value"] > 0)
    assert total == sum(d.amount for d in payments) == Decimal("21000.00")  # 10,000 + 6,000 + 5,000
    clawed = grants_[opendata.grant_id(world["clawed"].application)]
    [back] = [t for t in clawed["disbursementTransaction"] if t["value"] < 0]
    assert back["value"] == Decimal("-1000.00") and "部分支出无票据" in back["description"]
    assert grants_[opendata.grant_id(world["unpaid"].application)]["disbursementTransaction"] == []


def test_money_is_written_as_numbers_with_two_decimals_in_cny(client, world):
    text = client.get(URL).content.decode()
    assert '"amountAwarded":20000.00' in text and '"value":-1000.00' in text
    assert '"amountAwarded":"' not in text
    data = export(client)
    assert {g["currency"] for g in data["grants"]} == {"CNY"}
    assert {t["currency"] for g in data["grants"] for t in g["disbursementTransaction"]} == {"CNY"}


def test_ids_carry_the_configured_prefix(client, world):
    with override_settings(PORTAL_360GIVING_PREFIX="gyszj"):
        data = export(client)
    ids = [g["id"] for g in data["grants"]]
    assert ids and all(i.startswith("360G-gyszj-") for i in ids)
    assert len(set(ids)) == len(ids)
    assert all(g["fundingOrganization"][0]["id"] == "360G-gyszj-MZJ-520100" for g in data["grants"])
    assert all(t["id"].startswith("360G-gyszj-") for g in data["grants"] for t in g["disbursementTransaction"])
    assert data["publisher"]["prefix"] == "360G-gyszj"


def test_declined_screened_out_and_unawarded_applications_are_absent(client, world):
    ids = set(by_id(export(client)))
    for key in ("declined", "screened_out", "waiting"):
        assert opendata.grant_id(world[key]) not in ids, key
    assert ids == {opendata.grant_id(world[k].application) for k in ("paid", "clawed", "unpaid")}


def test_recipients_funder_programme_and_places_are_described(client, world, call, filed_org):
    grants_ = by_id(export(client))
    paid = grants_[opendata.grant_id(world["paid"].application)]
    organization = world["paid"].application.organization
    [recipient] = paid["recipientOrganization"]
    assert recipient["id"] == f"CN-USCC-{organization.credit_code}" and recipient["name"] == organization.name
    assert (recipient["addressLocality"], recipient["addressRegion"]) == ("贵阳市", "南明区")
    assert paid["beneficiaryLocation"] == [{"name": "南明区", "geoCode": "520102", "countryCode": "CN"}]
    assert paid["fundingOrganization"] == [{"id": "360G-zcgy-MZJ-520100", "name": "贵阳市民政局"}]
    assert paid["grantProgramme"][0]["code"] == str(call.pk) and paid["grantProgramme"][0]["title"] == call.title
    assert paid["plannedDates"] == [{"startDate": "2026-03-01", "endDate": "2026-12-31"}]
    assert paid["awardDate"] == today().isoformat()

    filed = grants_[opendata.grant_id(world["clawed"].application)]
    # A filed community organization has no credit code and no register in the org-id lists: our own prefix.
    assert filed["recipientOrganization"][0]["id"] == "360G-zcgy-ORG-520102-BA-0007"
    assert filed["beneficiaryLocation"][0]["geoCode"] == "520102001000"
    assert filed["recipientOrganization"][0]["addressRegion"] == "南明区"
    assert "plannedDates" not in filed


def _grants(call, officer, count):
    for _ in range(count):
        award = funded(call, officer, amount=Decimal("1000"))
        services.pay_tranche(award.tranches.get(sequence=1), acting_user=officer, paid_on=today())


def test_the_export_is_public_and_costs_the_same_few_queries_for_2_and_12_grants(
        client, call, officer, django_assert_max_num_queries):
    _grants(call, officer, 2)
    with django_assert_max_num_queries(4):
        assert len(export(client)["grants"]) == 2
    _grants(call, officer, 10)
    with django_assert_max_num_queries(4):
        assert len(export(client)["grants"]) == 12
    with django_assert_max_num_queries(3):
        assert len(opendata.build_package()["grants"]) == 12


def test_a_repeat_request_with_the_etag_is_not_modified_until_money_moves(client, world, officer, django_assert_num_queries):
    first = client.get(URL)
    assert first["Cache-Control"] == "public, max-age=300" and first["ETag"]
    with django_assert_num_queries(1):
        again = client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    services.pay_tranche(world["unpaid"].tranches.get(sequence=1), acting_user=officer, paid_on=today())
    changed = client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    unpaid = by_id(json.loads(changed.content, parse_float=Decimal))[opendata.grant_id(world["unpaid"].application)]
    assert unpaid["amountDisbursed"] == Decimal("7500.00")


def test_before_any_award_the_package_is_served_with_no_grants(client):
    data = export(client)
    assert data["grants"] == [] and data["version"] == "1.4"


def test_the_openapi_document_still_builds_and_lists_the_grants_operations(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/grants.360giving.json", "/api/v1/grants/calls", "/api/v1/grants/calls/{call_id}"} <= set(paths)


# --- the calls API ---------------------------------------------------------------------------------------------
def test_the_call_list_is_public_with_budget_awards_and_the_open_flag_and_leaves_drafts_out(client, call, officer):
    award = funded(call, officer, amount=Decimal("15000"))
    make_call(created_by=officer, publish=False, title="未发布的计划")
    closed = make_call(created_by=officer, title="2025 年初创补贴", year=2025, kind=FundingCall.Kind.STARTUP)
    FundingCall.objects.filter(pk=closed.pk).update(
        opens_at=timezone.now() - datetime.timedelta(days=90), closes_at=timezone.now() - datetime.timedelta(days=30))

    response = client.get(CALLS)
    assert response.status_code == 200
    body = response.json()
    items = {item["title"]: item for item in body["items"]}
    assert set(items) == {call.title, "2025 年初创补贴"} and body["count"] == 2
    current = items[call.title]
    assert current["is_open"] is True and items["2025 年初创补贴"]["is_open"] is False
    assert Decimal(current["budget"]) == Decimal("200000") and Decimal(current["awarded_total"]) == award.amount
    assert Decimal(current["remaining"]) == Decimal("185000")
    assert current["kind_label"] == "公益创投" and current["region_code"] == "520100"
    closes_at = datetime.datetime.fromisoformat(current["closes_at"])
    assert abs(closes_at - call.closes_at) < datetime.timedelta(seconds=1)

    open_only = client.get(CALLS, {"open_only": "true"}).json()["items"]
    assert [item["id"] for item in open_only] == [call.pk]
    assert [i["id"] for i in client.get(CALLS, {"year": 2025}).json()["items"]] == [closed.pk]


def test_a_call_shows_its_rules_rubric_and_tranches_and_a_draft_is_404(client, call, officer):
    response = client.get(f"{CALLS}/{call.pk}")
    assert response.status_code == 200
    detail = response.json()
    assert [(c["name"], c["weight"]) for c in detail["criteria"]] == [("项目设计", 60), ("执行能力", 40)]
    assert [d["name"] for d in detail["required_documents"]] == ["项目申报书"]
    assert [t["percent"] for t in detail["tranches"]] == [50, 30, 20] and detail["awards"] == 0
    draft = make_call(created_by=officer, publish=False)
    missing = client.get(f"{CALLS}/{draft.pk}")
    assert missing.status_code == 404 and missing.json() == {"detail": "未找到请求的对象。"}
    assert client.get(f"{CALLS}/999999").status_code == 404


def test_an_unknown_kind_filter_is_a_422_not_a_500(client, call):
    response = client.get(CALLS, {"kind": "lottery"})
    assert response.status_code == 422 and "detail" in response.json()

