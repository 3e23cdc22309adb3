"""A campaign limited to funded organizations also covers those holding a signed purchased-service contract
(active, completed or terminated), but not a bidder, an awarded organization whose contract is still a draft,
or one outside the campaign's region."""

from evaluations.models import Result
from grants import procurement
from tests.evaluations.helpers import public_campaign
from tests.factories import OrganizationFactory, district
from tests.grants.procurement_helpers import awarded, signed


def names_in_scope(campaign) -> set[str]:
    return set(Result.objects.filter(campaign=campaign).values_list("organization__name", flat=True))


def test_an_organization_with_a_signed_contract_counts_as_funded(city_officer, city):
    contract, _officer = signed()
    campaign = public_campaign(city_officer, city, scope_funded=True)
    assert names_in_scope(campaign) == {contract.organization.name}


def test_a_terminated_contract_still_counts_but_losing_bidders_do_not(city_officer, city):
    contract, officer = signed()
    procurement.terminate_contract(contract, acting_user=officer, reason="乙方违约，依合同第八条解除。")
    losers = {b.organization.name for b in contract.project.bids.exclude(pk=contract.bid_id)}
    assert losers
    campaign = public_campaign(city_officer, city, scope_funded=True)
    assert names_in_scope(campaign) == {contract.organization.name}


def test_an_award_with_only_a_draft_contract_does_not_count(city_officer, city):
    project, _bids, officer = awarded()
    contract = procurement.draft_contract(project, acting_user=officer)
    OrganizationFactory()  # never bid: out of scope as well
    campaign = public_campaign(city_officer, city, scope_funded=True)
    assert contract.organization.name not in names_in_scope(campaign)
    assert names_in_scope(campaign) == set()


def test_a_contract_holder_outside_the_campaign_region_is_left_out(city_officer, city):
    signed()  # the helpers' purchaser and bidders are in 观山湖区 (520115)
    campaign = public_campaign(city_officer, district("520102"), scope_funded=True)  # 南明区
    assert names_in_scope(campaign) == set()
