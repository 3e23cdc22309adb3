"""Rows for the dashboard tests: a small world per region (organizations, approved and open applications, grants,
contracts with social money and people reached, volunteer hours and points, a graded campaign), made directly with
the ORM so that the tests can scale it, in 南明区 (and one of its communities) and in 云岩区."""

import datetime
import itertools
from decimal import Decimal

from django.utils import timezone

from core.models import Region
from evaluations.models import Campaign, Result
from grants.models import (
    Award,
    Bid,
    Contract,
    Deliverable,
    Disbursement,
    FundingCall,
    GrantApplication,
    MatchingFund,
    Milestone,
    ProcurementProject,
    Purchaser,
    ServiceCategory,
    Tranche,
)
from orgs.codes import make_credit_code
from orgs.models import AnnualReport, Application, Organization
from tests.factories import OrganizationFactory, UserFactory
from tests.volunteers.helpers import transfers_dated
from volunteers import ledger
from volunteers.models import Account, Activity, ServiceRecord, Transfer, Volunteer
from volunteers.models import ServiceCategory as VolunteerCategory

_seq = itertools.count(1)
TZ = timezone.get_default_timezone()


def at(year, month, day=10, hour=10):
    return datetime.datetime(year, month, day, hour, tzinfo=TZ)


def _n():
    return next(_seq)


def organization(region, *, kind=Organization.Kind.SERVICE_INSTITUTION, status=None, established_on=None):
    n = _n()
    filed = kind == Organization.Kind.COMMUNITY
    return OrganizationFactory(
        name=f"仪表盘测试组织{n}", region=region, kind=kind,
        status=status or (Organization.Status.FILED if filed else Organization.Status.REGISTERED),
        credit_code=None if filed else make_credit_code("2", "520102", f"MD{n:07d}"),
        filing_number=f"BA{n:08d}" if filed else None, established_on=established_on,
    )


def build(region: Region, year: int, *, size: int = 1) -> None:
    """``size`` copies of every kind of row in ``region``, some in ``year``, some in the year before."""
    user = UserFactory()
    grant_category = ServiceCategory.objects.get_or_create(code="DT01", defaults={"name": "养老助残"})[0]
    other_category = ServiceCategory.objects.get_or_create(code="DT02", defaults={"name": "社区文体"})[0]
    volunteer_category = VolunteerCategory.objects.get(code="general")
    issuer = ledger.system_account(Account.Kind.ISSUER)
    pool = ledger.system_account(Account.Kind.REWARD_POOL)
    for _copy in range(size):
        kinds = [Organization.Kind.SOCIAL_GROUP, Organization.Kind.SERVICE_INSTITUTION, Organization.Kind.COMMUNITY]
        orgs = [organization(region, kind=k, established_on=datetime.date(year - j, 3 + j, 1))
                for j, k in enumerate(kinds)]
        organization(region, status=Organization.Status.DEREGISTERED, established_on=datetime.date(year, 1, 2))
        org = orgs[1]

        # Registration applications: approved this year (two months), last year, and open ones in the queue.
        for kind, decided in [(Application.Kind.ESTABLISH, at(year, 2)), (Application.Kind.FILING, at(year, 5)),
                              (Application.Kind.ESTABLISH, at(year - 1, 6))]:
            Application.objects.create(kind=kind, status=Application.Status.APPROVED, applicant=user, region=region,
                                       name=f"拟设组织{_n()}", org_kind=org.kind, decided_at=decided)
        today = timezone.localdate()
        for due in (today - datetime.timedelta(days=2), today + datetime.timedelta(days=2),
                    today + datetime.timedelta(days=30)):
            Application.objects.create(kind=Application.Kind.ESTABLISH, status=Application.Status.REVIEWING,
                                       applicant=user, region=region, name=f"待审组织{_n()}",
                                       org_kind=org.kind, accepted_at=timezone.now(), due_on=due)
        AnnualReport.objects.create(organization=org, year=year - 1, status=AnnualReport.Status.SUBMITTED,
                                    activities="开展活动", income=100, expenditure=50, net_assets=50,
                                    submitted_at=timezone.now())

        # Grants: a call of the region, an award this year and one last year, a payment and a clawback.
        call = FundingCall.objects.create(title=f"资助计划{_n()}", kind=FundingCall.Kind.STARTUP, year=year,
                                          region=region, description="说明", budget=Decimal("1000000"),
                                          opens_at=at(year - 1, 1), closes_at=at(year - 1, 2))
        for awarded_at, amount in [(at(year, 4), Decimal("50000.50")), (at(year - 1, 8), Decimal("30000"))]:
            application = GrantApplication.objects.create(
                call=call, organization=orgs[0 if awarded_at.year == year else 2], region=region, applicant=user,
                number=f"ZZ{_n():08d}", status=GrantApplication.Status.IN_PROGRESS, project_title="助老项目",
                summary="概述", requested_amount=amount, submitted_at=awarded_at)
            award = Award.objects.create(application=application, amount=amount, awarded_by=user, awarded_at=awarded_at)
            tranche = Tranche.objects.create(award=award, sequence=1, condition=Tranche.Condition.AGREEMENT,
                                             percent=50, amount=amount / 2, status=Tranche.Status.PAID)
            Disbursement.objects.create(award=award, tranche=tranche, kind=Disbursement.Kind.PAYMENT,
                                        amount=amount / 2, paid_on=awarded_at.date(), recorded_by=user)
            Award.objects.filter(pk=award.pk).update(paid_total=amount / 2 - 1000)
            Disbursement.objects.create(award=award, kind=Disbursement.Kind.CLAWBACK, amount=Decimal("-1000"),
                                        paid_on=awarded_at.date(), reason="未按协议使用", recorded_by=user)
        GrantApplication.objects.create(call=call, organization=orgs[1], region=region, applicant=user,
                                        number=f"ZZ{_n():08d}", status=GrantApplication.Status.SUBMITTED,
                                        project_title="待受理项目", summary="概述", requested_amount=1000,
                                        submitted_at=timezone.now())

        # Contracts: signed this year in two categories, one last year, one draft; social money and people reached.
        buyer = Purchaser.objects.create(name=f"购买主体{_n()}", kind=Purchaser.Kind.DEPARTMENT, region=region,
                                         contact_name="李科长", contact_phone="0851-84800000")
        specs = [(grant_category, Decimal("200000"), datetime.date(year, 3, 1), Contract.Status.ACTIVE),
                 (other_category, Decimal("80000"), datetime.date(year, 7, 1), Contract.Status.COMPLETED),
                 (grant_category, Decimal("90000"), datetime.date(year - 1, 7, 1), Contract.Status.ACTIVE),
                 (grant_category, Decimal("70000"), None, Contract.Status.DRAFT)]
        for category, value, signed_on, status in specs:
            project = ProcurementProject.objects.create(
                number=f"CG{_n():08d}", title="购买服务项目", purchaser=buyer, region=region, category=category,
                budget=value, budget_line="部门预算", method="consultation", description="需求", service_period="12 个月",
                status=ProcurementProject.Status.CONTRACTED)
            bid = Bid.objects.create(project=project, organization=org, price=value, proposal="方案", submitted_by=user)
            contract = Contract.objects.create(project=project, bid=bid, organization=org, region=region,
                                               number=f"HT{_n():08d}", title=f"合同{_n()}", value=value, status=status,
                                               signed_on=signed_on, created_by=user)
            MatchingFund.objects.create(contract=contract, source=MatchingFund.Source.DONATION, funder="爱心企业",
                                        amount=value / 4, received_on=datetime.date(year, 8, 1), recorded_by=user)
            Deliverable.objects.create(contract=contract, kind=Deliverable.Kind.PEOPLE, name="服务人数", unit="人",
                                       target=500, delivered=120)
            Deliverable.objects.create(contract=contract, kind=Deliverable.Kind.VISITS, name="服务人次", unit="人次",
                                       target=500, delivered=999)
            Milestone.objects.create(contract=contract, sequence=1, title="首期", due_on=today + datetime.timedelta(days=1),
                                     amount=value / 2, status=Milestone.Status.SUBMITTED if status != Contract.Status.DRAFT
                                     else Milestone.Status.PENDING)

        # Volunteers: approved records this year (two months) and last year, a pending one; points issued, redeemed.
        person = UserFactory()
        volunteer = Volunteer.objects.create(user=person, number=f"ZY{_n():08d}", real_name="孙志愿",
                                             phone=person.phone, region=region)
        activity = Activity.objects.create(title="助老服务", organization=org, region=region, category=volunteer_category,
                                           summary="陪伴老人", points_per_hour=10, contact_name="吴", contact_phone="13800000008")
        for served_on, minutes, status in [(datetime.date(year, 3, 5), 90, ServiceRecord.Status.APPROVED),
                                           (datetime.date(year, 6, 5), 125, ServiceRecord.Status.APPROVED),
                                           (datetime.date(year - 1, 6, 5), 60, ServiceRecord.Status.APPROVED),
                                           (datetime.date(year, 6, 6), 600, ServiceRecord.Status.PENDING)]:
            start = at(served_on.year, served_on.month, served_on.day)
            ServiceRecord.objects.create(volunteer=volunteer, activity=activity, region=region, served_on=served_on,
                                         started_at=start, ended_at=start + datetime.timedelta(minutes=minutes),
                                         minutes=minutes, original_minutes=minutes, points_per_hour=10,
                                         points=minutes // 6, content="陪伴", status=status)
        account = ledger.account_for(volunteer)
        for when, amount in [(at(year, 3, 20), 40), (at(year, 9, 20), 15), (at(year - 1, 3, 20), 7)]:
            with transfers_dated(when):
                ledger.transfer(debit=issuer, credit=account, amount=amount, source=Transfer.Source.SERVICE,
                                source_ref=f"t{_n()}")
        with transfers_dated(at(year, 9, 25)):
            ledger.transfer(debit=account, credit=pool, amount=12, source=Transfer.Source.REDEMPTION,
                            source_ref=f"r{_n()}")

        # A campaign with graded results for the region's organizations.
        campaign = Campaign.objects.get_or_create(
            kind=Campaign.Kind.PUBLIC, year=year, region=region,
            defaults={"title": f"{year}年五比五看{_n()}", "opens_at": at(year, 1), "closes_at": at(year, 2),
                      "status": Campaign.Status.PUBLISHED})[0]
        for o, grade, valid in zip(orgs, ["excellent", "good", "excellent"], [True, True, False], strict=True):
            Result.objects.create(campaign=campaign, organization=o, org_kind=o.kind, valid=valid, grade=grade,
                                  total=Decimal("90"))
