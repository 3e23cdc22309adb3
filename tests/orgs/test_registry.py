import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orgs.models import CreditListing, Organization, ServiceField
from orgs.services import CreditListingError, list_organization, remove_listing
from tests.factories import OrganizationFactory, community


@pytest.fixture
def registry(nanming, yunyan):
    huaguoyuan = community(nanming, "520102001000", "花果园街道")
    elderly = ServiceField.objects.get(code="elderly")
    centre = OrganizationFactory(name="社区养老服务中心", region=nanming)
    centre.service_fields.add(elderly)
    return {
        "centre": centre,
        "sunshine": OrganizationFactory(name="阳光助残服务社", region=yunyan),
        "troupe": OrganizationFactory(
            name="花果园社区文艺队", region=huaguoyuan, kind=Organization.Kind.COMMUNITY, credit_code=None,
            filing_number="520102-BA-0001", status=Organization.Status.FILED,
        ),
        "closed": OrganizationFactory(name="南明区已注销养老协会", region=nanming, status=Organization.Status.DEREGISTERED),
    }


def names(response):
    return [org.name for org in response.context["page_obj"]]


def test_searching_a_chinese_word_finds_it_inside_longer_names(client, registry):
    assert names(client.get(reverse("orgs:directory"), {"q": "养老"})) == ["社区养老服务中心"]
    assert names(client.get(reverse("orgs:directory"), {"q": "助残"})) == ["阳光助残服务社"]


def test_the_registry_lists_existing_organizations_unless_another_status_is_asked_for(client, registry):
    assert "南明区已注销养老协会" not in names(client.get(reverse("orgs:directory")))
    assert names(client.get(reverse("orgs:directory"), {"status": "deregistered"})) == ["南明区已注销养老协会"]
    assert len(names(client.get(reverse("orgs:directory"), {"status": "all"}))) == 4


def test_district_filter_includes_the_communities_under_it(client, registry):
    found = names(client.get(reverse("orgs:directory"), {"district": "520102"}))
    assert sorted(found) == ["社区养老服务中心", "花果园社区文艺队"]


def test_kind_and_service_field_filters(client, registry):
    assert names(client.get(reverse("orgs:directory"), {"kind": "community"})) == ["花果园社区文艺队"]
    assert names(client.get(reverse("orgs:directory"), {"field": "elderly"})) == ["社区养老服务中心"]


def test_credit_filter_and_the_listing_on_the_profile(client, registry, officer_yunyan):
    sunshine = registry["sunshine"]
    list_organization(sunshine, CreditListing.Kind.ABNORMAL, reason="未按规定报送年度工作报告", acting_user=officer_yunyan)
    assert names(client.get(reverse("orgs:directory"), {"credit": "abnormal"})) == ["阳光助残服务社"]
    assert "阳光助残服务社" not in names(client.get(reverse("orgs:directory"), {"credit": "clean"}))
    profile = client.get(reverse("orgs:profile", args=[sunshine.pk])).content.decode()
    assert "已列入活动异常名录" in profile and "未按规定报送年度工作报告" in profile


def test_a_removed_listing_stays_on_record_and_cannot_be_removed_twice(registry, officer_yunyan):
    listing = list_organization(registry["sunshine"], CreditListing.Kind.ABNORMAL, reason="住所无法联系")
    remove_listing(listing, reason="已更正住所并恢复联系", acting_user=officer_yunyan)
    listing.refresh_from_db()
    assert listing.removed_on is not None and listing.removal_reason == "已更正住所并恢复联系"
    with pytest.raises(CreditListingError):
        remove_listing(listing, reason="再次移出")
    with pytest.raises(CreditListingError, match="事由"):
        list_organization(registry["sunshine"], CreditListing.Kind.SERIOUS, reason="  ")


def test_bad_filter_values_show_a_chinese_error_next_to_the_field(client, registry):
    response = client.get(reverse("orgs:directory"), {"district": "999999", "q": "养老"})
    assert response.status_code == 200
    assert "district" in response.context["filter"].form.errors
    assert 'value="养老"' in response.content.decode()
    assert "选择一个有效的选项" in response.content.decode()


def test_the_registry_paginates(client, nanming):
    OrganizationFactory.create_batch(45, region=nanming)
    first = client.get(reverse("orgs:directory"))
    assert len(names(first)) == 20 and first.context["total"] == 45
    assert len(names(client.get(reverse("orgs:directory"), {"page": 3}))) == 5
    assert client.get(reverse("orgs:directory"), {"page": "abc"}).status_code == 200


def count_queries(client, url, params=None):
    """Queries of a cold request: cached fragments (the filter form) are dropped first, so the worst case counts."""
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured)


def bulk_organizations(count, region, fields, start=0):
    """Organizations in bulk, each with service fields and every tenth on the abnormal list."""
    import datetime

    orgs = Organization.objects.bulk_create([
        Organization(name=f"测试服务中心{start + i}", kind=Organization.Kind.SERVICE_INSTITUTION, region=region,
                     status=Organization.Status.REGISTERED)
        for i in range(count)
    ], batch_size=1000)
    orgs = list(Organization.objects.filter(name__startswith="测试服务中心").order_by("-pk")[:count])
    through = Organization.service_fields.through
    through.objects.bulk_create(
        [through(organization_id=o.pk, servicefield_id=f.pk) for o in orgs for f in fields], batch_size=2000
    )
    CreditListing.objects.bulk_create([
        CreditListing(organization=o, kind=CreditListing.Kind.ABNORMAL, reason="未按规定报送年度工作报告",
                      listed_on=datetime.date(2026, 6, 1))
        for o in orgs[::10]
    ])


def test_registry_and_profile_query_counts_are_the_same_at_600_and_6000(client, nanming, django_assert_max_num_queries):
    fields = list(ServiceField.objects.all()[:3])
    bulk_organizations(600, nanming, fields)
    client.get(reverse("orgs:directory"))  # the first request of a site creates its settings row
    pages = [(reverse("orgs:directory"), {"q": "测试"}), (reverse("orgs:directory"), {"district": "520102", "field": fields[0].code}),
             (reverse("orgs:directory"), {"credit": "abnormal", "page": "3"})]
    small = [count_queries(client, url, params) for url, params in pages]
    profile_small = count_queries(client, reverse("orgs:profile", args=[Organization.objects.first().pk]))
    bulk_organizations(5400, nanming, fields, start=600)
    assert Organization.objects.count() == 6000
    assert [count_queries(client, url, params) for url, params in pages] == small
    assert count_queries(client, reverse("orgs:profile", args=[Organization.objects.last().pk])) == profile_small
    assert max(small) <= 12 and profile_small <= 12


def test_unknown_profile_is_a_chinese_404(client, db):
    response = client.get(reverse("orgs:profile", args=[999999]))
    assert response.status_code == 404 and "页面不存在" in response.content.decode()


def test_csv_export_has_a_bom_chinese_headers_and_exactly_the_filtered_rows(client, registry):
    response = client.get(reverse("orgs:export", args=["csv"]), {"district": "520102"})
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["名称", "类型", "状态"]
    assert sorted(r[0] for r in rows[1:]) == ["社区养老服务中心", "花果园社区文艺队"]


def test_xlsx_export_opens_with_the_filtered_rows(client, registry):
    response = client.get(reverse("orgs:export", args=["xlsx"]), {"q": "助残"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["社会组织名录"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "名称" and rows[0][3] == "统一社会信用代码"
    assert [r[0] for r in rows[1:]] == ["阳光助残服务社"]
    assert sheet.freeze_panes == "A2"


def test_api_lists_with_the_same_filters_and_public_fields_only(client, registry, applicant):
    data = client.get("/api/v1/orgs/", {"q": "养老"}).json()
    assert data["count"] == 1 and data["items"][0]["name"] == "社区养老服务中心"
    assert data["items"][0]["district"] == "南明区"
    detail = client.get(f"/api/v1/orgs/{registry['centre'].pk}/").json()
    assert detail["service_fields"] == ["养老服务"]
    assert not {"members", "memberships", "contact_person_phone"} & set(detail)
    assert client.get("/api/v1/orgs/999999/").status_code == 404


def test_api_list_query_count_is_fixed(client, nanming, django_assert_max_num_queries):
    OrganizationFactory.create_batch(60, region=nanming)
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/orgs/")
    assert response.status_code == 200 and response.json()["count"] >= 60


def test_an_officer_can_list_and_delist_only_in_their_jurisdiction(registry, officer_nanming, officer_yunyan):
    from core.exceptions import PermissionDenied

    sunshine = registry["sunshine"]  # in 云岩区
    with pytest.raises(PermissionDenied):
        list_organization(sunshine, CreditListing.Kind.ABNORMAL, reason="住所无法联系", acting_user=officer_nanming)
    listing = list_organization(sunshine, CreditListing.Kind.ABNORMAL, reason="住所无法联系", acting_user=officer_yunyan)
    with pytest.raises(PermissionDenied):
        remove_listing(listing, reason="已恢复联系", acting_user=officer_nanming)
    listing.refresh_from_db()
    assert listing.removed_on is None


def test_an_invalid_api_filter_is_a_json_422_naming_the_field(client, registry):
    response = client.get("/api/v1/orgs/", {"district": "999999"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("筛选条件有误。district：")


def test_the_grade_filter_finds_organizations_whose_grade_is_still_in_force(client, registry):
    today = timezone.localdate()
    Organization.objects.filter(pk=registry["centre"].pk).update(grade="4A", grade_valid_until=today + timedelta(days=400))
    Organization.objects.filter(pk=registry["sunshine"].pk).update(grade="5A", grade_valid_until=today - timedelta(days=1))
    assert names(client.get(reverse("orgs:directory"), {"grade": "4A"})) == ["社区养老服务中心"]
    assert names(client.get(reverse("orgs:directory"), {"grade": "3A+"})) == ["社区养老服务中心"]
    assert names(client.get(reverse("orgs:directory"), {"grade": "5A"})) == []  # lapsed yesterday
    api = client.get("/api/v1/orgs/", {"grade": "any"}).json()
    assert [(row["name"], row["grade"]) for row in api["items"]] == [("社区养老服务中心", "4A")]
    profile = client.get(reverse("orgs:profile", args=[registry["sunshine"].pk])).content.decode()
    assert "评估等级 5A" not in profile
    assert "评估等级 4A" in client.get(reverse("orgs:profile", args=[registry["centre"].pk])).content.decode()


def test_an_unknown_grade_in_the_api_is_a_422_naming_the_field(client, registry):
    response = client.get("/api/v1/orgs/", {"grade": "6A"})
    assert response.status_code == 422
    assert "grade" in response.json()["detail"]
