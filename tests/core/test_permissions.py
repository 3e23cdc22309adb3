import pytest
from django.http import Http404

from core.models import Region
from core.permissions import get_visible_or_404, visible_to
from orgs.models import Organization
from tests.factories import OrganizationFactory, community


@pytest.fixture
def orgs_in_two_districts(nanming, yunyan):
    huaguoyuan = community(nanming, "520102001000", "花果园街道")
    return {
        "nanming": OrganizationFactory(name="南明区助残服务社", region=nanming),
        "nanming_community": OrganizationFactory(name="花果园社区文艺队", region=huaguoyuan),
        "yunyan": OrganizationFactory(name="云岩区养老服务中心", region=yunyan),
    }


def names(queryset):
    return set(queryset.values_list("name", flat=True))


def test_nanming_officer_sees_nanming_rows_and_not_yunyan_ones(officer_nanming, orgs_in_two_districts):
    visible = visible_to(officer_nanming, Organization.objects.all())
    assert names(visible) == {"南明区助残服务社", "花果园社区文艺队"}


def test_yunyan_officer_sees_only_yunyan_rows(officer_yunyan, orgs_in_two_districts):
    assert names(visible_to(officer_yunyan, Organization.objects.all())) == {"云岩区养老服务中心"}


def test_city_officer_sees_every_district(city_officer, orgs_in_two_districts):
    assert names(visible_to(city_officer, Organization.objects.all())) == {
        "南明区助残服务社", "花果园社区文艺队", "云岩区养老服务中心",
    }


def test_member_sees_only_their_own_organization(applicant, org_a, org_b):
    visible = visible_to(applicant, Organization.objects.all(), region=None, organization="self")
    assert list(visible) == [org_a]


def test_membership_scope_follows_a_foreign_key_without_duplicating_rows(applicant, org_a, org_b):
    from orgs.models import Membership

    Membership.objects.create(user=applicant, organization=org_b, role=Membership.Role.HEAD)
    visible = visible_to(applicant, Membership.objects.all(), region=None, organization="organization")
    assert visible.count() == 2  # their own two memberships, each once
    assert {m.organization for m in visible} == {org_a, org_b}


def test_outsider_and_anonymous_users_see_nothing_but_public_rows(outsider, orgs_in_two_districts):
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import Q

    assert not visible_to(outsider, Organization.objects.all()).exists()
    public = Q(status=Organization.Status.REGISTERED)
    assert visible_to(AnonymousUser(), Organization.objects.all(), public=public).count() == 3


def test_another_districts_row_gives_404_not_403(officer_nanming, orgs_in_two_districts):
    yunyan_org = orgs_in_two_districts["yunyan"]
    with pytest.raises(Http404):
        get_visible_or_404(officer_nanming, Organization.objects.all(), pk=yunyan_org.pk)
    own = orgs_in_two_districts["nanming"]
    assert get_visible_or_404(officer_nanming, Organization.objects.all(), pk=own.pk) == own


def test_superuser_sees_everything(admin_user, orgs_in_two_districts):
    assert visible_to(admin_user, Organization.objects.all()).count() == 3


def test_officer_region_scope_covers_their_subtree_only(officer_nanming, nanming):
    visible = visible_to(officer_nanming, Region.objects.all(), region="self")
    assert set(visible.values_list("code", flat=True)) >= {"520102"}
    assert not visible.filter(code__in=["520100", "520103"]).exists()
