"""孵化与资助 and 政府购买服务 at city and province scale (issue 10) for ``seed_demo --scale``: funding calls with
grant applications in every settled stage (declined, reserve, awarded, agreement, in progress, completed,
terminated) and procurement projects each taken to a signed contract with bids, reviews, deliverables, milestones,
payments, matching funds and, once the term is over, a finished performance evaluation.

grants.demo builds a dozen rows of each through the services, with the demo accounts acting, so every screen has
a believable example. Thousands more through the services would take most of an hour (each call locks, audits and
publishes), so this module writes them with buffered ``executemany`` INSERTs (:class:`orgs.demo.Rows`), primary
keys allocated here so that rows refer to each other without reading anything back, as volunteers.demo does for
the 爱心银行. The domain's invariants (core.invariants) hold when the step commits, because every cached total is
computed from the very rows written:

* a call's ``awarded_total`` is the sum of its awards and its budget is set at or above it;
* an award's tranches add up to it (the last takes the rounding, as grants.services does), a tranche is 已拨付
  exactly when its one payment exists, and ``paid_total`` is the sum of the disbursements (a clawback negative);
* a contract's milestones add up to its value, a milestone is 已支付 exactly when its payment exists, the final
  payment follows the evaluation's grade (PerformanceEvaluation.PAYMENT_PERCENT) and ``paid_total`` is the sum.

Every moment lies in the past and follows the workflow's order; status-change rows record each move (actor, time,
from, to), as core.workflow.move would. Audit rows are not written for these bulk rows (as for the volunteers'),
and each project gets one OCDS release for its contract, built by grants.ocds from the rows. Documents and
delivery evidence all point at one small PDF stored once in private storage. Applicant organizations without a
member get one 经办人 account (phones 135…, no usable password), as in grants.demo.

:func:`build` tops the database up to the counts asked for, counting what grants.demo made, so a second run
adds nothing. Numbers (CG…, HT…, …ZZ…) continue the per-year series of core.sequences, which are moved past them.
"""

import datetime
import hashlib
import math
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from tqdm import tqdm

from core.files import private_storage
from core.models import Region, Sequence, User
from core.money import format_yuan, to_yuan
from orgs.demo import Rows
from orgs.models import CreditListing, Membership, Organization
from orgs.queries import ACTIVE

from . import ocds
from .demo import (
    CATALOGUE_FALLBACK,
    CITY_OFFICER,
    CONTRACT_TERMS,
    CRITERIA_STARTUP,
    CRITERIA_VENTURE,
    DEMO_ORGANIZATION,
    DISTRICT_OFFICERS,
    GIVEN,
    PDF,
    PROCUREMENT_CRITERIA,
    PROJECTS,
    PROPOSALS,
    RATIONALES,
    REVIEWER,
    STAFF_PREFIX,
    SURNAMES,
)
from .models import (
    ApplicationDocument,
    ApplicationStatus,
    ApplicationStatusChange,
    Award,
    Bid,
    BidDocument,
    BidReview,
    BidReviewStatusChange,
    BidScore,
    BudgetLine,
    CallStatusChange,
    ConflictDeclaration,
    Contract,
    ContractPayment,
    ContractStatusChange,
    Criterion,
    Deliverable,
    DeliveryLog,
    Disbursement,
    EvaluationStatusChange,
    FundingCall,
    GrantApplication,
    GrantReport,
    Indicator,
    IndicatorScore,
    MatchingFund,
    Milestone,
    MilestoneStatusChange,
    PerformanceEvaluation,
    ProcurementProject,
    ProjectStatusChange,
    Purchaser,
    ReportStatusChange,
    RequiredDocument,
    Review,
    ReviewScore,
    ReviewStatusChange,
    ServiceCategory,
    TechnicalCriterion,
    Tranche,
    TrancheStatusChange,
)
from .models.procurement import MINIMUM_BIDS
from .procurement import DEFAULT_INDICATORS

TZ = ZoneInfo("Asia/Shanghai")
DAY = datetime.timedelta(days=1)
CENT = Decimal("0.01")
# (service, need, deliverables as (kind, name, smallest target, largest target)); the title is the purchaser's
# place name followed by the service.
SERVICES = [
    ("社区居家养老服务项目", "为辖区高龄、独居老人提供上门探访、助餐配送和健康监测服务。",
     [("people", "服务高龄独居老人", 80, 400), ("visits", "上门探访", 800, 4000)]),
    ("残疾人居家康复服务项目", "为持证残疾人提供居家康复训练指导、辅具适配和家属照护培训。",
     [("people", "康复服务对象", 40, 200), ("hours", "康复训练时长", 300, 1500)]),
    ("困境儿童关爱保护服务项目", "为困境儿童和留守儿童建立档案，开展定期探访、课业辅导和心理支持。",
     [("people", "建档困境儿童", 30, 200), ("sessions", "成长小组活动", 12, 60)]),
    ("社区禁毒宣传教育服务项目", "开展禁毒宣传进社区、进校园活动，为社区康复人员提供帮扶服务。",
     [("sessions", "禁毒宣传活动", 10, 48), ("people", "帮扶社区康复人员", 10, 80)]),
    ("困难群众探访与救助帮扶服务项目", "对低保、特困和临时救助对象开展入户探访、需求评估和资源链接。",
     [("people", "探访救助对象", 100, 600), ("visits", "入户探访", 400, 2400)]),
    ("社区文体活动运营服务项目", "运营社区文体活动中心，组织文体活动，培育居民文体队伍。",
     [("sessions", "文体活动", 24, 120), ("people", "参与居民", 300, 3000)]),
    ("社会工作服务站运营项目", "运营社工站，为困难群体提供个案、小组和社区工作服务，培育社区社会组织。",
     [("people", "个案服务对象", 40, 160), ("sessions", "小组及社区活动", 24, 72)]),
    ("慢病老人健康管理服务项目", "为慢性病老人提供健康档案管理、用药提醒和健康讲座。",
     [("people", "建档慢病老人", 80, 400), ("sessions", "健康讲座", 6, 24)]),
    ("困难群体就业援助服务项目", "为困难群体提供职业指导、技能培训和岗位对接服务。",
     [("people", "就业援助对象", 50, 300), ("sessions", "技能培训", 8, 40)]),
    ("社区邻里互助与议事协商服务项目", "培育小区议事会和楼栋长队伍，协助居民协商解决公共事务。",
     [("sessions", "议事协商会议", 12, 48), ("people", "培育楼栋长", 20, 120)]),
]
METHODS = [("consultation", 6), ("open", 2), ("inquiry", 1), ("negotiation", 1)]
CALL_KINDS = [
    (FundingCall.Kind.VENTURE, "公益创投", CRITERIA_VENTURE, 50_000),
    (FundingCall.Kind.STARTUP, "社会组织初创补贴", CRITERIA_STARTUP, 30_000),
    (FundingCall.Kind.SPECIAL, "社会组织专项扶持", CRITERIA_VENTURE, 80_000),
    (FundingCall.Kind.REWARD, "社会组织以奖代补", CRITERIA_STARTUP, 20_000),
]
DOCUMENTS = [("项目申报书", "按申报书模板填写并加盖公章"), ("登记证书或备案回执", "扫描件")]
APPLICATIONS_PER_CALL = 50
EVIDENCE_NAME = "签到表及服务照片.pdf"


def _at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=TZ)


@transaction.atomic
def build(rng: random.Random, *, contracts: int, grant_applications: int, progress: bool = False) -> dict:
    """Top the database up to ``contracts`` purchase contracts and ``grant_applications`` grant applications
    (grants.demo's count); what was written, by kind ({} when nothing was missing)."""
    missing_contracts = max(0, contracts - Contract.objects.count())
    missing_applications = max(0, grant_applications - GrantApplication.objects.count())
    if not (missing_contracts or missing_applications):
        return {}
    world = _World(rng, progress)
    counts: dict[str, int] = {}
    if missing_contracts:
        counts.update(_Procurement(world).build(missing_contracts))
    if missing_applications:
        counts.update(_Funding(world).build(missing_applications))
    world.finish()
    return counts


class _World:
    """What both builders share: the people, the regions, the organizations and their 经办人, the numbering."""

    def __init__(self, rng: random.Random, progress: bool):
        self.rng, self.progress = rng, progress
        self.today = timezone.localdate()
        users = {u.phone: u.pk for u in User.objects.filter(phone__in=[CITY_OFFICER, REVIEWER, *DISTRICT_OFFICERS.values()])}
        if CITY_OFFICER not in users:
            raise RuntimeError("seed_demo 的演示账号（市级民政干部）不存在，请先运行演示账号步骤。")
        self.city_officer = users[CITY_OFFICER]
        self.district_officers = {code: users[phone] for code, phone in DISTRICT_OFFICERS.items() if phone in users}
        self.panel = [pk for pk in [users.get(REVIEWER), *self.district_officers.values()] if pk] or [self.city_officer]
        self.city = Region.objects.get(code="520100")
        self.districts = list(Region.objects.filter(level=Region.Level.DISTRICT, path__startswith=self.city.path)
                              .order_by("code"))
        listed = CreditListing.objects.filter(organization=OuterRef("pk"), removed_on__isnull=True)
        # (pk, kind, region id, region code), active, not on a credit list, not 吴经办's own 阳光助残服务社.
        self.organizations = list(
            Organization.objects.filter(ACTIVE, region__path__startswith=self.city.path)
            .annotate(listed=Exists(listed)).filter(listed=False).exclude(name=DEMO_ORGANIZATION)
            .order_by("pk").values_list("pk", "kind", "region_id", "region__code"))
        self.by_district: dict[str, list[tuple]] = {}
        for org in self.organizations:
            self.by_district.setdefault(org[3][:6], []).append(org)
        self.staff: dict[int, int] = {}
        for organization, user in Membership.objects.order_by("-pk").values_list("organization_id", "user_id"):
            self.staff[organization] = user  # the first member wins: rows come newest first
        self.users = Rows(User, ["password", "date_joined", "phone", "name"], prepare=True)
        self.memberships = Rows(Membership, ["user", "organization", "role", "joined_at"], parents=[self.users],
                                prepare=True)
        self.password = make_password(None)  # once: these accounts never sign in
        last = User.objects.filter(phone__startswith=STAFF_PREFIX).order_by("-phone").values_list("phone", flat=True).first()
        self.staff_serial = int(last[len(STAFF_PREFIX):]) if last else 0
        self.series: dict[str, int] = {}
        self.evidence: str | None = None
        self.written: list = [User, Membership]

    def officer_for(self, region_code: str) -> int:
        return self.district_officers.get(region_code[:6], self.city_officer)

    def member_of(self, organization: tuple, since: datetime.date) -> int:
        """The organization's 经办人: its first member, or a new account that cannot sign in."""
        pk = organization[0]
        if pk not in self.staff:
            self.staff_serial += 1
            joined = _at(since - 30 * DAY, 9)
            name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
            user = self.users.add(self.password, joined, f"{STAFF_PREFIX}{self.staff_serial:08d}", name)
            self.memberships.add(user, pk, Membership.Role.HANDLER, joined)
            self.staff[pk] = user
        return self.staff[pk]

    def number(self, series: str) -> int:
        """The next number of a core.sequences series, allocated here and written back by :meth:`finish`."""
        if series not in self.series:
            self.series[series] = Sequence.objects.filter(name=series).values_list("value", flat=True).first() or 0
        self.series[series] += 1
        return self.series[series]

    def evidence_file(self) -> tuple[str, int, str]:
        """(stored name, size, SHA-256) of the one demo PDF every bulk document points at, stored once."""
        if self.evidence is None:
            self.evidence = private_storage.save("grants/demo/scale-evidence.pdf", ContentFile(PDF))
        return self.evidence, len(PDF), hashlib.sha256(PDF).hexdigest()

    def finish(self) -> None:
        self.users.flush()
        self.memberships.flush()
        for name, value in self.series.items():
            Sequence.objects.update_or_create(name=name, defaults={"value": value})
        with connection.cursor() as cursor:  # PostgreSQL: move the id sequences past the ids written here
            for sql in connection.ops.sequence_reset_sql(no_style(), self.written):
                cursor.execute(sql)


def _history(model, fk: str):
    return Rows(model, [fk, "from_status", "to_status", "actor", "reason", "at"], prepare=True)


def _split(total: Decimal, shares: list[int]) -> list[Decimal]:
    """``total`` in parts of ``shares`` percent, the last taking the rounding (as grants.services does)."""
    parts, allotted = [], Decimal("0")
    for index, percent in enumerate(shares):
        part = total - allotted if index == len(shares) - 1 else to_yuan(total * percent / 100)
        allotted += part
        parts.append(part)
    return parts


# --- 政府购买服务 -----------------------------------------------------------------------------------------------
class _Procurement:
    def __init__(self, world: _World):
        self.world, self.rng = world, world.rng
        w = world
        self.projects = Rows(ProcurementProject, [
            "number", "title", "purchaser", "region", "category", "budget", "budget_line", "method", "description",
            "service_period", "bids_open_at", "bids_close_at", "price_weight", "status", "winning_bid", "announced_at",
            "awarded_at", "created_by", "created_at", "updated_at"], parents=[w.memberships], prepare=True)
        self.project_history = _history(ProjectStatusChange, "project")
        self.project_history.parents = [self.projects]
        self.criteria = Rows(TechnicalCriterion, ["project", "name", "description", "weight", "sort_order"],
                             parents=[self.projects], prepare=True)
        self.bids = Rows(Bid, [
            "project", "organization", "price", "proposal", "status", "submitted_by", "submitted_at", "revised_at",
            "valid", "price_score", "technical_score", "total_score", "rank"], parents=[self.projects], prepare=True)
        self.bid_documents = Rows(BidDocument, [
            "bid", "file", "original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at"],
            parents=[self.bids], prepare=True)
        self.reviews = Rows(BidReview, [
            "bid", "reviewer", "status", "assigned_by", "assigned_at", "has_conflict", "declared_at", "total", "comment",
            "submitted_at"], parents=[self.bids], prepare=True)
        self.review_history = _history(BidReviewStatusChange, "review")
        self.review_history.parents = [self.reviews]
        self.scores = Rows(BidScore, ["review", "criterion", "score", "rationale"], parents=[self.reviews, self.criteria],
                           prepare=True)
        self.contracts = Rows(Contract, [
            "project", "bid", "organization", "region", "number", "title", "service_content", "starts_on", "ends_on",
            "quantity", "quality", "value", "settlement", "rights_obligations", "liability", "status", "signed_on",
            "paid_total", "created_by", "created_at", "updated_at"], parents=[self.bids], prepare=True)
        self.contract_history = _history(ContractStatusChange, "contract")
        self.contract_history.parents = [self.contracts]
        self.deliverables = Rows(Deliverable, ["contract", "kind", "name", "unit", "target", "delivered", "sort_order"],
                                 parents=[self.contracts], prepare=True)
        self.logs = Rows(DeliveryLog, [
            "deliverable", "quantity", "delivered_on", "description", "file", "original_name", "content_type", "size",
            "sha256", "uploaded_by", "uploaded_at"], parents=[self.deliverables], prepare=True)
        self.milestones = Rows(Milestone, [
            "contract", "sequence", "title", "due_on", "amount", "final", "status", "report", "confirmed_by",
            "confirmed_at"], parents=[self.contracts], prepare=True)
        self.milestone_history = _history(MilestoneStatusChange, "milestone")
        self.milestone_history.parents = [self.milestones]
        self.payments = Rows(ContractPayment, [
            "contract", "milestone", "amount", "paid_on", "voucher", "recorded_by", "recorded_at"],
            parents=[self.milestones], prepare=True)
        self.funds = Rows(MatchingFund, ["contract", "source", "funder", "amount", "received_on", "recorded_by"],
                          parents=[self.contracts], prepare=True)
        self.evaluations = Rows(PerformanceEvaluation, [
            "contract", "status", "third_party", "survey_token", "survey_closes_at", "satisfaction", "final_score",
            "grade", "started_by", "started_at", "finished_at"], parents=[self.contracts], prepare=True)
        self.evaluation_history = _history(EvaluationStatusChange, "evaluation")
        self.evaluation_history.parents = [self.evaluations]
        self.indicators = Rows(Indicator, ["evaluation", "dimension", "name", "weight", "sort_order"],
                               parents=[self.evaluations], prepare=True)
        self.indicator_scores = Rows(IndicatorScore, ["indicator", "assessor", "score", "note", "scored_by",
                                                      "scored_at"], parents=[self.indicators], prepare=True)
        self.tables = [self.projects, self.project_history, self.criteria, self.bids, self.bid_documents, self.reviews,
                       self.review_history, self.scores, self.contracts, self.contract_history, self.deliverables,
                       self.logs, self.milestones, self.milestone_history, self.payments, self.funds, self.evaluations,
                       self.evaluation_history, self.indicators, self.indicator_scores]
        world.written += [t.model for t in self.tables]

    def purchasers(self) -> list[tuple[Purchaser, int]]:
        """A 民政局 in every district and a community service centre in every subdistrict (those grants.demo made
        are found by name), each with its weight in the draw: districts buy most."""
        rows = []
        for district in self.world.districts:
            buyer, _ = Purchaser.objects.get_or_create(region=district, name=f"{district.name}民政局", defaults={
                "kind": Purchaser.Kind.DEPARTMENT, "contact_name": self.rng.choice(SURNAMES) + "科长",
                "contact_phone": f"0851-8{self.rng.randrange(10**6, 10**7)}", "address": f"{district.name}人民政府大楼"})
            rows.append((buyer, 4))
            for sub in Region.objects.filter(level=Region.Level.SUBDISTRICT, path__startswith=district.path).order_by("code"):
                buyer, _ = Purchaser.objects.get_or_create(region=sub, name=f"{sub.name}社区服务中心", defaults={
                    "kind": Purchaser.Kind.CENTRE, "contact_name": self.rng.choice(SURNAMES) + "主任",
                    "contact_phone": f"0851-8{self.rng.randrange(10**6, 10**7)}", "address": f"{sub.name}社区服务中心"})
                rows.append((buyer, 1))
        return rows

    def build(self, count: int) -> dict:
        w, rng = self.world, self.rng
        buyers = self.purchasers()
        categories = list(ServiceCategory.objects.filter(active=True).order_by("code")) or [
            ServiceCategory.objects.get_or_create(code=code, defaults={"name": name})[0]
            for code, name in CATALOGUE_FALLBACK.items()]
        bidders = [o for o in w.organizations if o[1] != Organization.Kind.COMMUNITY]
        if len(bidders) < 4:
            return {"contracts": 0}
        # Plan the contracts, then write them in the order their projects were announced, as numbers run.
        plans = []
        for _n in range(count):
            starts = w.today - rng.randint(40, 1000) * DAY
            plans.append((starts - rng.randint(45, 70) * DAY, starts))
        plans.sort()
        evidence = w.evidence_file()
        for announced, starts in tqdm(plans, desc="购买服务合同", unit="份", leave=False, disable=not w.progress):
            self.contract(rng.choices(buyers, weights=[b[1] for b in buyers])[0][0], rng.choice(categories), bidders,
                          announced, starts, evidence)
        for table in self.tables:
            table.flush()
        w.users.flush()
        w.memberships.flush()
        self.publish()
        return {"contracts": self.contracts.count, "procurement_bids": self.bids.count,
                "milestones": self.milestones.count, "contract_payments": self.payments.count,
                "performance_evaluations": self.evaluations.count}

    def contract(self, buyer: Purchaser, category, bidders, announced: datetime.date, starts: datetime.date, evidence):
        w, rng = self.world, self.rng
        service, need, targets = rng.choice(SERVICES)
        place = buyer.region.name.removesuffix("社区服务中心")
        title = f"{place}{service}"
        officer = w.officer_for(buyer.region.code)
        method = rng.choices([m for m, _ in METHODS], weights=[k for _, k in METHODS])[0]
        budget = Decimal(rng.randrange(60, 480) * 1000)
        price_weight = rng.choice([10, 20, 30, 30])
        closes = announced + rng.randint(15, 25) * DAY
        awarded = closes + rng.randint(5, 9) * DAY
        created = announced - 6 * DAY
        year = created.year
        project = self.projects.next_id
        chosen = rng.sample(bidders, rng.randint(max(2, MINIMUM_BIDS[method]), 4))
        # Two reviewers, the project's own officer only when nobody else can review.
        panel = [pk for pk in dict.fromkeys([*w.panel, w.city_officer]) if pk != officer][:2] or [officer]
        # Each bid: price, then two reviewers' technical scores; the ranking as grants.procurement computes it.
        criteria = [(self.criteria.next_id + i, weight) for i, (_name, weight) in enumerate(PROCUREMENT_CRITERIA)]
        offers = []
        for organization in chosen:
            price = (budget * Decimal(str(rng.uniform(0.84, 0.99)))).quantize(Decimal("100"))
            level = rng.uniform(0.62, 0.95)
            reviews = []
            for _reviewer in range(2):
                scores = [(pk, min(Decimal(weight), (weight * Decimal(str(level + rng.uniform(-0.04, 0.04))))
                                   .quantize(Decimal("0.1")))) for pk, weight in criteria]
                reviews.append(scores)
            reviews = reviews[:len(panel)]
            technical = (sum(sum(s for _pk, s in scores) for scores in reviews) / len(reviews)).quantize(CENT)
            offers.append([organization, price, technical, reviews])
        lowest = min(o[1] for o in offers)
        for offer in offers:
            price_score = (Decimal(price_weight) * lowest / offer[1]).quantize(CENT)
            offer.append(price_score)
            offer.append((price_score + offer[2] * (100 - price_weight) / 100).quantize(CENT))
        ranking = sorted(range(len(offers)), key=lambda i: -offers[i][5])
        winner_pk = self.bids.next_id + ranking[0]
        announced_at, closes_at, awarded_at = _at(announced, 9), _at(closes, 17), _at(awarded, 10)
        number = f"CG{year}{w.number(f'procurement-{year}'):05d}"
        self.projects.add(number, title, buyer.pk, buyer.region_id, category.pk, budget,
                          f"{announced.year}年{buyer.region.name}民政部门预算·社会福利·政府购买服务", method, need,
                          "合同签订之日起 12 个月", announced_at, closes_at, price_weight,
                          ProcurementProject.Status.CONTRACTED, winner_pk, announced_at, awarded_at, officer,
                          _at(created, 10), _at(starts, 11))
        for order, (name, weight) in enumerate(PROCUREMENT_CRITERIA):
            self.criteria.add(project, name, "", weight, order)
        history = self.project_history.add
        history(project, "planned", "announced", officer, "", announced_at)
        history(project, "announced", "closed", None, f"投标截止，有效投标 {len(offers)} 家", _at(closes, 17, 5))
        history(project, "closed", "evaluating", officer, "", _at(closes + 3 * DAY, 9))
        history(project, "evaluating", "awarded", officer, "", awarded_at)
        history(project, "awarded", "contracted", officer, "", _at(starts, 11))
        reviewed = _at(closes + 3 * DAY, 9)
        for index, (organization, price, technical, reviews, price_score, total) in enumerate(offers):
            member = w.member_of(organization, announced)
            submitted = _at(announced + (2 + 3 * index) * DAY, 15)
            bid = self.bids.add(project, organization[0], price, rng.choice(PROPOSALS), Bid.Status.SUBMITTED, member,
                                submitted, submitted, True, price_score, technical, total, ranking.index(index) + 1)
            self.bid_documents.add(bid, evidence[0], "服务方案.pdf", "application/pdf", evidence[1], evidence[2], member,
                                   submitted)
            for reviewer, scores in zip(panel, reviews, strict=False):
                done = reviewed + 2 * DAY + 7 * datetime.timedelta(hours=1)
                review = self.reviews.add(bid, reviewer, BidReview.Status.SUBMITTED, officer, reviewed, False,
                                          reviewed + datetime.timedelta(hours=3), sum(s for _pk, s in scores),
                                          "方案完整，团队配置合理。", done)
                self.review_history.add(review, "assigned", "declared", reviewer, "", reviewed + datetime.timedelta(hours=3))
                self.review_history.add(review, "declared", "submitted", reviewer, "", done)
                for criterion, score in scores:
                    self.scores.add(review, criterion, score, rng.choice(RATIONALES))
        winner = offers[ranking[0]]
        organization, value = winner[0], winner[1]
        member = w.member_of(organization, announced)
        days = rng.choice([180, 240, 300, 330, 360])
        ends = starts + days * DAY
        completed = ends + 25 * DAY < w.today
        # The schedule: 40 % on signing, 30 % at mid-term, the rest after the performance evaluation.
        amounts = _split(value, [40, 30, 30])
        dues = [starts, starts + (days // 2) * DAY, ends]
        grade = finished = None
        if completed:
            indicators = [(dimension, name, weight, (weight * Decimal(str(rng.uniform(0.74, 0.99)))).quantize(Decimal("0.1")))
                          for dimension, name, weight in DEFAULT_INDICATORS]
            final_score = sum(s for *_rest, s in indicators).quantize(CENT)
            grade = PerformanceEvaluation.grade_for(final_score)
            finished = ends + rng.randint(6, 12) * DAY
        contract_number = f"HT{(starts - 5 * DAY).year}{w.number(f'contract-{(starts - 5 * DAY).year}'):05d}"
        contract = self.contracts.next_id
        paid = []  # (milestone sequence, amount, paid on)
        statuses = []
        for sequence, (due, amount) in enumerate(zip(dues, amounts, strict=True), start=1):
            if sequence < 3:
                paid_on = due + (10 if sequence == 1 else 15) * DAY
                if paid_on <= w.today:
                    statuses.append(Milestone.Status.PAID)
                    paid.append((sequence, amount, paid_on))
                else:
                    statuses.append(Milestone.Status.SUBMITTED if due <= w.today else Milestone.Status.PENDING)
            elif completed:
                statuses.append(Milestone.Status.PAID)
                paid.append((3, to_yuan(amount * PerformanceEvaluation.PAYMENT_PERCENT[grade] / 100), finished + 10 * DAY))
            else:
                statuses.append(Milestone.Status.PENDING)
        paid_total = sum((a for _s, a, _d in paid), Decimal("0"))
        status = Contract.Status.COMPLETED if completed else Contract.Status.ACTIVE
        quantity = []
        chosen_targets = []
        for kind, name, low, high in targets:
            target = rng.randint(low, high)
            chosen_targets.append((kind, name, target))
            quantity.append(f"{name} {target}{Deliverable.UNITS.get(kind, '')}")
        last_change = finished + 10 * DAY if completed else max([starts] + [d for _s, _a, d in paid])
        self.contracts.add(project, winner_pk, organization[0], buyer.region_id, contract_number, f"{title}服务合同", need,
                           starts, ends, "；".join(quantity), CONTRACT_TERMS["quality"], value, CONTRACT_TERMS["settlement"],
                           CONTRACT_TERMS["rights_obligations"], CONTRACT_TERMS["liability"], status, starts, paid_total,
                           officer, _at(starts - 5 * DAY, 10), _at(last_change, 11))
        self.contract_history.add(contract, "draft", "active", officer, "", _at(starts, 11))
        # Deliverables: what the elapsed share of the term delivered, logged at two dates with the shared evidence.
        elapsed = 1.0 if completed else max(0.05, min(1.0, (w.today - starts).days / days))
        for order, (kind, name, target) in enumerate(chosen_targets):
            delivered = max(1, round(target * elapsed * (rng.uniform(0.96, 1.04) if completed else rng.uniform(0.7, 1.0))))
            deliverable = self.deliverables.add(contract, kind, name, Deliverable.UNITS.get(kind, ""), target, delivered, order)
            first = delivered // 2
            for quantity_logged, day in ((first, starts + max(1, (min(w.today, ends) - starts).days // 3) * DAY),
                                         (delivered - first, min(w.today, ends) - DAY)):
                if quantity_logged:
                    self.logs.add(deliverable, quantity_logged, day, f"{name}：按服务方案开展服务，记录见附件。",
                                  evidence[0], EVIDENCE_NAME, "application/pdf", evidence[1], evidence[2], member, _at(day, 18))
        paid_by_sequence = {s: (a, d) for s, a, d in paid}
        titles = ["合同签订", "中期验收", "绩效评价后尾款"]
        for sequence, (due, amount, state) in enumerate(zip(dues, amounts, statuses, strict=True), start=1):
            confirmed = paid_by_sequence[sequence][1] - 5 * DAY if sequence in paid_by_sequence else None
            milestone = self.milestones.add(contract, sequence, titles[sequence - 1], due, amount, sequence == 3, state,
                                            f"{titles[sequence - 1]}：服务按计划推进，台账与佐证已上传。" if state != "pending" else "",
                                            officer if confirmed else None, _at(confirmed, 15) if confirmed else None)
            if state == Milestone.Status.PENDING:
                continue
            if sequence < 3:
                self.milestone_history.add(milestone, "pending", "submitted", member, "", _at(due, 16))
            if confirmed is None:
                continue
            self.milestone_history.add(milestone, "submitted" if sequence < 3 else "pending", "confirmed", officer,
                                       "材料齐全，同意确认。", _at(confirmed, 15))
            amount_paid, paid_on = paid_by_sequence[sequence]
            self.milestone_history.add(milestone, "confirmed", "paid", officer, f"支付 {format_yuan(amount_paid)}",
                                       _at(paid_on, 11))
            self.payments.add(contract, milestone, amount_paid, paid_on, f"GK{paid_on:%Y%m%d}{contract:05d}{sequence}",
                              officer, _at(paid_on, 11))
        if rng.random() < 0.35:
            self.funds.add(contract, rng.choice(["donation", "enterprise", "own", "in_kind"]),
                           rng.choice(["贵阳爱心企业联合会", "筑城公益基金会", "辖区爱心商户", "本机构自有资金"]),
                           Decimal(rng.randrange(5, 60) * 1000), starts + rng.randint(20, 120) * DAY, member)
        if completed:
            started = _at(ends - 20 * DAY, 10)
            evaluation = self.evaluations.add(
                contract, PerformanceEvaluation.Status.FINISHED, "", f"s{contract:09d}{rng.getrandbits(48):012x}",
                _at(ends - 6 * DAY, 18), None, final_score, grade, officer, started, _at(finished, 16))
            label = PerformanceEvaluation.Grade(grade).label
            self.evaluation_history.add(evaluation, "open", "finished", officer, f"综合得分 {final_score}，等级 {label}",
                                        _at(finished, 16))
            for order, (dimension, name, weight, score) in enumerate(indicators):
                indicator = self.indicators.add(evaluation, dimension, name, weight, order)
                self.indicator_scores.add(indicator, IndicatorScore.Assessor.PURCHASER, score,
                                          "按回访情况评分" if dimension == "satisfaction" else "资料齐全，目标完成较好。",
                                          officer, _at(finished - 2 * DAY, 15))
            self.contract_history.add(contract, "active", "completed", officer, "尾款支付，合同履行完毕",
                                      _at(finished + 10 * DAY, 11))

    def publish(self) -> None:
        """One OCDS release per project, built from the rows just written (tender, award, contract, payments)."""
        first = self.projects.next_id - self.projects.count
        projects = ProcurementProject.objects.filter(pk__gte=first).order_by("pk")
        for project in tqdm(projects.iterator(chunk_size=500), total=self.projects.count, desc="OCDS 发布", unit="项",
                            leave=False, disable=not self.world.progress):
            ocds.publish(project, ["tender", "award", "contract", "implementation"])


# --- 孵化与资助 -------------------------------------------------------------------------------------------------
class _Funding:
    # Where an awarded application rests, and how likely: the rest of the money moves with it.
    STAGES = [("awarded", 3), ("agreement", 3), ("in_progress", 8), ("midterm_passed", 8), ("terminated", 4),
              ("completed", 40)]

    def __init__(self, world: _World):
        self.world, self.rng = world, world.rng
        w = world
        self.calls = Rows(FundingCall, [
            "title", "kind", "year", "region", "description", "budget", "max_amount", "opens_at", "closes_at", "status",
            "awarded_total", "created_by", "created_at", "updated_at"], parents=[w.memberships], prepare=True)
        self.call_history = _history(CallStatusChange, "call")
        self.call_history.parents = [self.calls]
        self.criteria = Rows(Criterion, ["call", "name", "description", "weight", "max_score", "sort_order"],
                             parents=[self.calls], prepare=True)
        self.documents = Rows(RequiredDocument, ["call", "name", "note", "required", "sort_order"], parents=[self.calls],
                              prepare=True)
        self.applications = Rows(GrantApplication, [
            "call", "organization", "region", "applicant", "number", "status", "project_title", "summary",
            "requested_amount", "beneficiaries_target", "activities_target", "other_targets", "starts_on", "ends_on",
            "contact_name", "contact_phone", "screening_note", "score", "score_min", "score_max", "score_count",
            "decision_note", "submitted_at", "created_at", "updated_at"], parents=[self.calls, self.criteria], prepare=True)
        self.history = _history(ApplicationStatusChange, "application")
        self.history.parents = [self.applications]
        self.lines = Rows(BudgetLine, ["application", "item", "amount", "note", "sort_order"], parents=[self.applications],
                          prepare=True)
        self.attachments = Rows(ApplicationDocument, [
            "application", "requirement", "file", "original_name", "content_type", "size", "sha256", "uploaded_by",
            "uploaded_at"], parents=[self.applications, self.documents], prepare=True)
        self.reviews = Rows(Review, ["application", "reviewer", "status", "assigned_by", "assigned_at", "total", "comment",
                                     "submitted_at"], parents=[self.applications], prepare=True)
        self.review_history = _history(ReviewStatusChange, "review")
        self.review_history.parents = [self.reviews]
        self.declarations = Rows(ConflictDeclaration, ["review", "has_conflict", "statement", "declared_at"],
                                 parents=[self.reviews], prepare=True)
        self.scores = Rows(ReviewScore, ["review", "criterion", "score", "rationale"], parents=[self.reviews], prepare=True)
        self.awards = Rows(Award, ["application", "amount", "paid_total", "awarded_by", "awarded_at", "agreement_number",
                                   "agreement_signed_on"], parents=[self.applications], prepare=True)
        self.tranches = Rows(Tranche, ["award", "sequence", "condition", "percent", "amount", "status", "stopped_reason"],
                             parents=[self.awards], prepare=True)
        self.tranche_history = _history(TrancheStatusChange, "tranche")
        self.tranche_history.parents = [self.tranches]
        self.disbursements = Rows(Disbursement, ["award", "tranche", "kind", "amount", "paid_on", "reference", "reason",
                                                 "recorded_by", "recorded_at"], parents=[self.tranches], prepare=True)
        self.reports = Rows(GrantReport, [
            "application", "kind", "status", "beneficiaries_reached", "activities_held", "spent_amount", "outcomes",
            "problems", "submitted_by", "submitted_at", "score", "grade", "assessment", "assessed_by", "assessed_at"],
            parents=[self.applications], prepare=True)
        self.report_history = _history(ReportStatusChange, "report")
        self.report_history.parents = [self.reports]
        self.tables = [self.calls, self.call_history, self.criteria, self.documents, self.applications, self.history,
                       self.lines, self.attachments, self.reviews, self.review_history, self.declarations, self.scores,
                       self.awards, self.tranches, self.tranche_history, self.disbursements, self.reports,
                       self.report_history]
        world.written += [t.model for t in self.tables]

    def build(self, count: int) -> dict:
        w, rng = self.world, self.rng
        if not w.organizations:
            return {"grant_applications": 0}
        calls = max(1, math.ceil(count / APPLICATIONS_PER_CALL))
        per_call = math.ceil(count / calls)
        last_year = w.today.year - 1
        bar = tqdm(total=count, desc="资助申报", unit="份", leave=False, disable=not w.progress)
        made = index = 0
        # A district's call takes the district's organizations (one application each); what a small district
        # cannot fill, the next calls do. Every third call is the city's, open to all.
        while made < count and index < 3 * calls + 10:
            region = w.city if index % 3 == 0 or not w.districts else w.districts[index % len(w.districts)]
            pool = w.organizations if region == w.city else w.by_district.get(region.code, [])
            year = last_year - (index % 3 == 2)
            wanted = min(per_call, count - made, len(pool))
            if wanted:
                self.call(index, region, year, rng.sample(pool, wanted))
                made += wanted
                bar.update(wanted)
            index += 1
        bar.close()
        for table in self.tables:
            table.flush()
        w.users.flush()
        w.memberships.flush()
        return {"funding_calls": self.calls.count, "grant_applications": self.applications.count,
                "grant_awards": self.awards.count, "disbursements": self.disbursements.count}

    def call(self, index: int, region: Region, year: int, organizations: list[tuple]) -> int:
        w, rng = self.world, self.rng
        kind, label, rubric, max_amount = CALL_KINDS[index % len(CALL_KINDS)]
        officer = w.officer_for(region.code)
        opens = datetime.date(year, 3 + index % 6, 1)
        closes = opens + 45 * DAY
        screened, reviewed, decided = closes + 5 * DAY, closes + 20 * DAY, closes + 35 * DAY
        call = self.calls.next_id
        batch = index // len(CALL_KINDS) + 1
        criteria = [(self.criteria.add(call, name, note, weight, 10, order), weight)
                    for order, (weight, name, note) in enumerate(rubric)]
        requirements = [self.documents.add(call, name, note, True, order) for order, (name, note) in enumerate(DOCUMENTS)]
        awarded_total = Decimal("0")
        applications = []
        for n, organization in enumerate(organizations):
            award = self.application(call, organization, year, criteria, requirements, officer, max_amount,
                                     opens + (3 + n % 40) * DAY, screened, reviewed, decided)
            awarded_total += award
            applications.append(award)
        budget = max(Decimal("100000"), (awarded_total * Decimal(str(rng.uniform(1.0, 1.2))) / 10000).to_integral_value(
            rounding="ROUND_CEILING") * 10000)
        self.calls.add(f"{year} 年{region.name}{label}（第 {batch} 批）", kind, year, region.pk,
                       f"面向{region.name}社会组织征集公益服务项目，经资格审查和专家评审择优资助，资金按协议分期拨付。",
                       budget, Decimal(max_amount), _at(opens, 9), _at(closes, 17, 30), FundingCall.Status.FINISHED,
                       awarded_total, officer, _at(opens - 10 * DAY), _at(decided + 5 * DAY, 11))
        self.call_history.add(call, "draft", "published", officer, "", _at(opens, 9))
        self.call_history.add(call, "published", "finished", officer, "本批次资助已全部确定。", _at(decided + 5 * DAY, 11))
        return len(organizations)

    def application(self, call, organization, year, criteria, requirements, officer, max_amount, submitted_on,
                    screened, reviewed, decided) -> Decimal:
        """One application taken to a settled stage; the amount awarded (0 when none)."""
        w, rng = self.world, self.rng
        applicant = w.member_of(organization, submitted_on - 3 * DAY)
        title, summary, beneficiaries, activities = rng.choice(PROJECTS)
        requested = Decimal(rng.randrange(max_amount // 2000, max_amount // 1000 + 1) * 1000)
        roll = rng.random()
        stage = ("screen_declined" if roll < 0.12 else "review_declined" if roll < 0.3 else "reserve" if roll < 0.35
                 else rng.choices([s for s, _ in self.STAGES], weights=[k for _, k in self.STAGES])[0])
        signed, paid1 = decided + 12 * DAY, decided + 21 * DAY
        midterm, midterm_assessed, paid2 = paid1 + 90 * DAY, paid1 + 100 * DAY, paid1 + 108 * DAY
        final, final_assessed, paid3 = midterm + 150 * DAY, midterm + 158 * DAY, midterm + 165 * DAY
        # A stage whose dates have not come yet stops at the one before.
        if stage == "completed" and paid3 > w.today:
            stage = "midterm_passed"
        if stage in ("midterm_passed", "terminated") and paid2 > w.today:
            stage = "in_progress"
        if stage == "in_progress" and paid1 > w.today:
            stage = "awarded"
        application = self.applications.next_id
        number = f"{year}ZZ{w.number(f'grant-application-{year}'):05d}"
        submitted_at = _at(submitted_on, 15)
        moves = [("draft", "submitted", applicant, "", submitted_at), ("submitted", "screening", officer, "", _at(screened, 9))]
        score = score_min = score_max = None
        score_count, decision_note, screening_note = 0, "", "资格审查通过"
        amount = Decimal("0")
        status = stage
        if stage == "screen_declined":
            status, screening_note = ApplicationStatus.DECLINED, "申报材料中缺少有效的财务报表，且项目预算与申报金额不一致。"
            decision_note = screening_note
            moves.append(("screening", "declined", officer, screening_note, _at(screened, 10)))
        else:
            moves.append(("screening", "reviewing", officer, "资格审查通过", _at(screened, 10)))
            marks = rng.uniform(4.5, 6.2) if stage == "review_declined" else rng.uniform(6.3, 7.2) if stage == "reserve" \
                else rng.uniform(7.3, 9.6)
            totals = self.review(application, criteria, officer, marks, _at(screened, 12), _at(reviewed, 16))
            score = (sum(totals) / len(totals)).quantize(CENT)
            score_min, score_max, score_count = min(totals), max(totals), len(totals)
            moves.append(("reviewing", "scored", None, "", _at(reviewed, 16)))
            if stage == "review_declined":
                status = ApplicationStatus.DECLINED
                decision_note = "评审得分未达到本计划资助线（70 分）。"
                moves.append(("scored", "declined", officer, decision_note, _at(decided, 10)))
            elif stage == "reserve":
                status = ApplicationStatus.SCORED
            else:
                amount = requested - Decimal(rng.choice([0, 0, 0, 1000, 2000]))
                moves.append(("scored", "awarded", officer, f"资助 {format_yuan(amount)}", _at(decided, 10)))
                status = self.award(application, number, applicant, officer, stage, amount, beneficiaries, activities,
                                    moves, decided, signed, paid1, midterm, midterm_assessed, paid2, final,
                                    final_assessed, paid3)
        people = (requested * Decimal("0.4")).quantize(Decimal("1"))
        goods = (requested * Decimal("0.35")).quantize(Decimal("1"))
        self.applications.add(
            call, organization[0], organization[2], applicant, number, status, title, summary, requested, beneficiaries,
            activities, "培育社区志愿者 20 名以上；形成服务手册 1 本。", decided + 45 * DAY, datetime.date(year + 1, 6, 30),
            rng.choice(SURNAMES) + rng.choice(GIVEN), f"0851-8{rng.randrange(10**6, 10**7)}", screening_note, score,
            score_min, score_max, score_count, decision_note, submitted_at, _at(submitted_on - 2 * DAY, 9), moves[-1][4])
        for order, (item, part, note) in enumerate([("人员劳务", people, "项目社工 2 名，按月计"),
                                                    ("活动物料", goods, "活动耗材、宣传品"),
                                                    ("培训与督导", requested - people - goods, "外聘督导及培训场地")]):
            self.lines.add(application, item, part, note, order)
        name, size, sha = w.evidence_file()
        for requirement, (label, _note) in zip(requirements, DOCUMENTS, strict=True):
            self.attachments.add(application, requirement, name, f"{label}.pdf", "application/pdf", size, sha, applicant,
                                 submitted_at - datetime.timedelta(hours=2))
        for from_status, to_status, actor, reason, at in moves:
            self.history.add(application, from_status, to_status, actor, reason, at)
        return amount

    def review(self, application, criteria, officer, marks, assigned, submitted) -> list[Decimal]:
        """Two reviewers declare no conflict and score every criterion; their weighted totals out of 100."""
        rng, panel = self.rng, self.world.panel
        reviewers = rng.sample(panel, min(2, len(panel)))
        totals = []
        for reviewer in reviewers:
            scores = [(pk, weight, Decimal(max(0, min(10, round(marks + rng.choice([-1, 0, 0, 1]))))))
                      for pk, weight in criteria]
            total = sum((Decimal(weight) * score / 10 for _pk, weight, score in scores), Decimal("0")).quantize(CENT)
            totals.append(total)
            declared = assigned + datetime.timedelta(days=1)
            review = self.reviews.add(application, reviewer, Review.Status.SUBMITTED, officer, assigned, total,
                                      "项目设计较完整，建议细化成效指标。" if marks >= 7 else "需求分析不足，预算测算依据不充分。",
                                      submitted - datetime.timedelta(hours=3))
            self.declarations.add(review, False, "", declared)
            self.review_history.add(review, "assigned", "declared", reviewer, "", declared)
            self.review_history.add(review, "declared", "submitted", reviewer, "", submitted - datetime.timedelta(hours=3))
            for pk, _weight, score in scores:
                self.scores.add(review, pk, score, rng.choice(RATIONALES))
        return totals

    def award(self, application, number, applicant, officer, stage, amount, beneficiaries, activities, moves, decided,
              signed, paid1, midterm, midterm_assessed, paid2, final, final_assessed, paid3) -> str:
        """The award, its tranches (50/30/20), the payments, reports and a clawback up to ``stage``; the status."""
        rng = self.rng
        agreed = stage != "awarded"
        shares = _split(amount, [50, 30, 20])
        paid_through = {"awarded": 0, "agreement": 0, "in_progress": 1, "terminated": 1, "midterm_passed": 2,
                        "completed": 3}[stage]
        award = self.awards.next_id
        payments = [(seq, shares[seq - 1], day) for seq, day in ((1, paid1), (2, paid2), (3, paid3)) if seq <= paid_through]
        recovered = to_yuan(shares[0] * Decimal("0.4")) if stage == "terminated" else Decimal("0")
        paid_total = sum((a for _s, a, _d in payments), Decimal("0")) - recovered
        self.awards.add(application, amount, paid_total, officer, _at(decided, 10), f"ZZXY-{number}" if agreed else "",
                        signed if agreed else None)
        status = ApplicationStatus.AWARDED
        if agreed:
            moves.append(("awarded", "agreement", officer, f"协议 ZZXY-{number}", _at(signed, 15)))
            status = ApplicationStatus.AGREEMENT
        conditions = [("agreement", 50), ("midterm", 30), ("final", 20)]
        for sequence, ((condition, percent), share) in enumerate(zip(conditions, shares, strict=True), start=1):
            stopped = stage == "terminated" and sequence > 1
            tranche = self.tranches.add(award, sequence, condition, percent, share,
                                        Tranche.Status.PAID if sequence <= paid_through else
                                        Tranche.Status.STOPPED if stopped else Tranche.Status.PENDING,
                                        "中期报告评定不合格，项目终止。" if stopped else "")
            if sequence <= paid_through:
                day = payments[sequence - 1][2]
                self.disbursements.add(award, tranche, Disbursement.Kind.PAYMENT, share, day,
                                       f"GK{day:%Y%m%d}{award:05d}{sequence}", "", officer, _at(day, 15))
                self.tranche_history.add(tranche, "pending", "paid", officer, "", _at(day, 15))
            elif stopped:
                self.tranche_history.add(tranche, "pending", "stopped", officer, "中期报告评定不合格", _at(midterm_assessed, 11))
        if paid_through >= 1:
            moves.append(("agreement", "in_progress", officer, "首期资金拨付", _at(paid1, 11)))
            status = ApplicationStatus.IN_PROGRESS
        if stage in ("midterm_passed", "completed", "terminated"):
            failed = stage == "terminated"
            self.report(application, GrantReport.Kind.MIDTERM, applicant, officer, midterm, midterm_assessed,
                        rng.randint(40, 55) if failed else rng.randint(72, 93), beneficiaries // (4 if failed else 2),
                        activities // (4 if failed else 2), shares[0] * Decimal("0.5" if failed else "0.85"))
        if stage == "terminated":
            moves.append(("in_progress", "terminated", officer, "中期报告评定不合格，项目终止。", _at(midterm_assessed, 16)))
            day = midterm_assessed + 15 * DAY
            self.disbursements.add(award, None, Disbursement.Kind.CLAWBACK, -recovered, day, "",
                                   "中期评估不合格，项目终止，追回未使用的首期资金。", officer, _at(day, 15))
            return ApplicationStatus.TERMINATED
        if stage == "completed":
            self.report(application, GrantReport.Kind.FINAL, applicant, officer, final, final_assessed,
                        rng.randint(80, 96), beneficiaries, activities, amount * Decimal("0.97"))
            moves.append(("in_progress", "completed", officer, "结项报告评定合格", _at(final_assessed, 16)))
            return ApplicationStatus.COMPLETED
        return status

    def report(self, application, kind, applicant, officer, submitted, assessed, score, reached, held, spent):
        grade = GrantReport.Grade.A if score >= 85 else GrantReport.Grade.B if score >= 60 else GrantReport.Grade.C
        passed = grade != GrantReport.Grade.C
        report = self.reports.add(
            application, kind, GrantReport.Status.ASSESSED, reached, max(1, held), to_yuan(spent),
            "按计划开展服务，服务对象满意度调查平均 92 分。" if passed else "仅开展了计划活动的三分之一，服务记录不完整。",
            "志愿者流动性较大，下一阶段将加强培训和激励。", applicant, _at(submitted, 16), score, grade,
            "服务成效达到预期，佐证材料齐全。" if passed else "未完成中期目标，资金使用不规范。", officer, _at(assessed, 11))
        self.report_history.add(report, "draft", "submitted", applicant, "", _at(submitted, 16))
        self.report_history.add(report, "submitted", "assessed", officer, f"评定 {score} 分（{grade}）", _at(assessed, 11))
