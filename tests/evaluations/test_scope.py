"""A campaign limited to funded organizations covers those holding a grant and no others."""

from evaluations.models import Result
from grants import services as grant_services
from tests.evaluations.helpers import public_campaign
from tests.factories import OrganizationFactory
from tests.grants.helpers import make_call, officer_for, scored


def test_a_campaign_limited_to_funded_organizations_takes_only_those_holding_a_grant(city_officer, city, org_a, org_b):
    officer = officer_for(city)
    call = make_call(created_by=officer)
    funded = scored(call, officer, organization=org_a)
    grant_services.award(funded, acting_user=officer)
    scored(call, officer, organization=org_b)  # reviewed but not awarded: out of scope
    OrganizationFactory()  # never applied: out of scope
    campaign = public_campaign(city_officer, city, scope_funded=True)
    assert list(Result.objects.filter(campaign=campaign).values_list("organization__name", flat=True)) == [org_a.name]


def test_an_unlimited_campaign_still_takes_every_organization_in_its_region(city_officer, city, org_a, org_b):
    campaign = public_campaign(city_officer, city)
    assert set(Result.objects.filter(campaign=campaign).values_list("organization_id", flat=True)) == {org_a.pk, org_b.pk}
