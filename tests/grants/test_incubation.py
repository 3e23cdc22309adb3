"""Incubation bases through grants.incubation: admission within capacity and jurisdiction, services received,
graduation with an assessment or withdrawal, one base at a time, and the audit rows every step writes."""

import datetime

import pytest

from core.models import AuditEntry
from grants import incubation
from grants.exceptions import CapacityExceeded, GrantsError, PermissionDenied
from grants.models import IncubationBase, Residency, ResidencyService
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)


def make_base(region, *, capacity=3, level=IncubationBase.Level.DISTRICT, name=None):
    return IncubationBase.objects.create(
        name=name or f"{region.name}社会组织孵化基地", level=level, region=region, operator="筑城社工服务中心",
        capacity=capacity,
    )


@pytest.fixture
def base(nanming):
    return make_base(nanming)


def residents(base) -> int:
    return IncubationBase.objects.get(pk=base.pk).residents


def test_an_organization_is_admitted_served_and_graduates_with_an_assessment(base, officer_nanming, org_a):
    residency = incubation.admit(base, org_a, acting_user=officer_nanming, admitted_on=DAY,
                                 planned_until=DAY + datetime.timedelta(days=365), note="初创期助残机构")
    assert (residency.status, residents(base)) == (Residency.Status.RESIDENT, 1)

    incubation.log_service(residency, acting_user=officer_nanming, kind=ResidencyService.Kind.MENTORING,
                           provided_on=DAY + datetime.timedelta(days=10), description="财务制度建设辅导", hours=2)
    incubation.log_service(residency, acting_user=officer_nanming, kind=ResidencyService.Kind.OFFICE,
                           provided_on=DAY, description="提供工位 2 个")
    assert list(residency.services.values_list("kind", flat=True)) == ["mentoring", "office"]  # newest first

    left = incubation.leave(residency, acting_user=officer_nanming, left_on=DAY + datetime.timedelta(days=300),
                            graduated=True, outcome=Residency.Outcome.EXCELLENT, assessment="制度健全，项目运作良好")
    left.refresh_from_db()
    assert (left.status, left.outcome, left.assessment) == (Residency.Status.GRADUATED, "excellent", "制度健全，项目运作良好")
    assert left.left_on == DAY + datetime.timedelta(days=300)
    assert residents(base) == 0
    with pytest.raises(GrantsError, match="已离开基地"):
        incubation.log_service(left, acting_user=officer_nanming, kind=ResidencyService.Kind.TRAINING,
                               provided_on=DAY + datetime.timedelta(days=301), description="培训")


def test_a_withdrawal_needs_a_reason_frees_the_place_and_records_no_outcome(base, officer_nanming, org_a):
    residency = incubation.admit(base, org_a, acting_user=officer_nanming, admitted_on=DAY)
    with pytest.raises(GrantsError, match="请填写退出原因"):
        incubation.leave(residency, acting_user=officer_nanming, left_on=DAY, graduated=False, assessment=" ")
    left = incubation.leave(residency, acting_user=officer_nanming, left_on=DAY + datetime.timedelta(days=30),
                            graduated=False, outcome=Residency.Outcome.EXCELLENT, assessment="负责人变更，主动退出")
    left.refresh_from_db()
    assert (left.status, left.outcome, left.assessment) == (Residency.Status.WITHDRAWN, "", "负责人变更，主动退出")
    assert residents(base) == 0


def test_graduation_needs_an_outcome_and_an_assessment(base, officer_nanming, org_a):
    residency = incubation.admit(base, org_a, acting_user=officer_nanming, admitted_on=DAY)
    with pytest.raises(GrantsError, match="出壳评估意见"):
        incubation.leave(residency, acting_user=officer_nanming, left_on=DAY, graduated=True, outcome="passed")
    with pytest.raises(GrantsError, match="出壳评估结论"):
        incubation.leave(residency, acting_user=officer_nanming, left_on=DAY, graduated=True, assessment="良好")
    assert Residency.objects.get(pk=residency.pk).status == Residency.Status.RESIDENT and residents(base) == 1


def test_a_full_base_refuses_with_the_chinese_capacity_message(nanming, officer_nanming):
    base = make_base(nanming, capacity=2)
    for organization in OrganizationFactory.create_batch(2):
        incubation.admit(base, organization, acting_user=officer_nanming, admitted_on=DAY)
    with pytest.raises(CapacityExceeded) as refused:
        incubation.admit(base, OrganizationFactory(), acting_user=officer_nanming, admitted_on=DAY)
    assert refused.value.message == "南明区社会组织孵化基地已满：可入驻 2 家，现有 2 家在孵。"
    assert residents(base) == 2 and Residency.objects.filter(base=base).count() == 2


def test_an_organization_cannot_be_resident_in_two_bases_at_once(base, city, officer_nanming, city_officer, org_a):
    city_base = make_base(city, level=IncubationBase.Level.CITY, name="贵阳市社会组织孵化中心")
    first = incubation.admit(base, org_a, acting_user=officer_nanming, admitted_on=DAY)
    with pytest.raises(GrantsError, match="已在南明区社会组织孵化基地入驻，出壳或退出后才能入驻其他基地"):
        incubation.admit(city_base, org_a, acting_user=city_officer, admitted_on=DAY)
    assert residents(city_base) == 0
    # After graduating it may move on.
    incubation.leave(first, acting_user=officer_nanming, left_on=DAY + datetime.timedelta(days=200), graduated=True,
                     outcome=Residency.Outcome.PASSED, assessment="合格出壳")
    second = incubation.admit(city_base, org_a, acting_user=city_officer, admitted_on=DAY + datetime.timedelta(days=201))
    assert second.status == Residency.Status.RESIDENT and residents(city_base) == 1


def test_an_officer_of_another_district_cannot_admit_or_serve_outside_their_jurisdiction(base, officer_yunyan, officer_nanming,
                                                                                       city_officer, org_a):
    with pytest.raises(PermissionDenied, match="只能管理本辖区的孵化基地"):
        incubation.admit(base, org_a, acting_user=officer_yunyan, admitted_on=DAY)
    assert residents(base) == 0 and not Residency.objects.exists()
    # The city officer's jurisdiction covers the district base.
    residency = incubation.admit(base, org_a, acting_user=city_officer, admitted_on=DAY)
    with pytest.raises(PermissionDenied):
        incubation.log_service(residency, acting_user=officer_yunyan, kind=ResidencyService.Kind.TRAINING,
                               provided_on=DAY, description="培训")
    with pytest.raises(PermissionDenied):
        incubation.leave(residency, acting_user=officer_yunyan, left_on=DAY, graduated=False, assessment="x")
    assert not ResidencyService.objects.exists() and residents(base) == 1


def test_dates_before_admission_and_inactive_bases_are_refused(base, officer_nanming, org_a, org_b, nanming):
    with pytest.raises(GrantsError, match="计划孵化期须晚于入驻日期"):
        incubation.admit(base, org_a, acting_user=officer_nanming, admitted_on=DAY, planned_until=DAY)
    residency = incubation.admit(base, org_a, acting_user=officer_nanming, admitted_on=DAY)
    with pytest.raises(GrantsError, match="服务日期不能早于入驻日期 2026-03-02"):
        incubation.log_service(residency, acting_user=officer_nanming, kind=ResidencyService.Kind.TRAINING,
                               provided_on=DAY - datetime.timedelta(days=1), description="培训")
    closed = make_base(nanming, name="已停运基地")
    IncubationBase.objects.filter(pk=closed.pk).update(is_active=False)
    with pytest.raises(GrantsError, match="已停止运营"):
        incubation.admit(closed, org_b, acting_user=officer_nanming, admitted_on=DAY)


def test_every_step_writes_an_audit_row_with_the_actor_and_the_base_region(base, officer_nanming, org_a, nanming):
    residency = incubation.admit(base, org_a, acting_user=officer_nanming, admitted_on=DAY)
    incubation.log_service(residency, acting_user=officer_nanming, kind=ResidencyService.Kind.FINANCE,
                           provided_on=DAY, description="代理记账")
    incubation.leave(residency, acting_user=officer_nanming, left_on=DAY + datetime.timedelta(days=90), graduated=True,
                     outcome=Residency.Outcome.PASSED, assessment="合格")
    rows = list(AuditEntry.objects.filter(action__startswith="incubation.").order_by("pk"))
    assert [r.action for r in rows] == ["incubation.admit", "incubation.service", "incubation.graduated"]
    assert {r.actor_id for r in rows} == {officer_nanming.pk}
    assert {r.region_id for r in rows} == {nanming.pk}
    assert rows[0].after["organization"] == org_a.pk and rows[1].after["description"] == "代理记账"
    assert rows[2].before == {"status": "resident"} and rows[2].after["outcome"] == "passed"
