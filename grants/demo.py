"""Demo 孵化与资助 and 政府购买服务 for seed_demo: incubation bases at the three levels with residents, services and graduations;
two funding calls of last year, closed, with applications in every stage; and this year's open call, to which
the demo member 吴经办 (13800000008) can apply for 阳光助残服务社 from the workspace.

Everything goes through grants.incubation and grants.services with the demo accounts acting — the city officer
陈市干 (13800000002) runs the calls, the district officers admit into their districts' bases, 赵评审 (13800000005)
and the district officers review (刘南明 declares a conflict once) — so statuses, tranches, money totals, history
and audit rows are what the portal itself would have written. The services refuse dates in the future, not in
the past, and the calls' windows are checked against the clock, so the closed calls are built open and then
moved into last year with queryset updates, and the moments the services stamp with "now" (submission,
review, award, report, status history) are moved back to a believable timeline. Money is never touched after
the services: ``FundingCall.awarded_total`` is the sum of its awards and ``Award.paid_total`` the sum of its
disbursements. Audit rows are append-only and keep the moment the demo was seeded.

Applicant organizations need a member to act for them: each gets one 经办人 account (phones 135…, unusable
password: they are not meant to sign in), except 阳光助残服务社, whose member is 吴经办.

Deterministic for a given random seed, database and year; idempotent: when the city incubation centre exists the
step has run (it runs in one transaction) and :func:`build` returns None.
"""

import datetime
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Exists, OuterRef
from django.utils import timezone
from tqdm import tqdm

from core.models import Region, User
from orgs.models import CreditListing, Membership, Organization
from orgs.queries import ACTIVE

from . import incubation, procurement, services
from .models import (
    ApplicationStatusChange,
    Award,
    Bid,
    BidReview,
    BidReviewStatusChange,
    CallStatusChange,
    ConflictDeclaration,
    Contract,
    ContractAmendment,
    ContractPayment,
    ContractStatusChange,
    Criterion,
    Deliverable,
    Disbursement,
    FundingCall,
    GrantApplication,
    GrantReport,
    IncubationBase,
    Milestone,
    MilestoneStatusChange,
    OcdsRelease,
    PerformanceEvaluation,
    ProcurementProject,
    ProjectStatusChange,
    Purchaser,
    ReportStatusChange,
    RequiredDocument,
    Residency,
    ResidencyService,
    Review,
    ReviewStatusChange,
    SatisfactionResponse,
    ServiceCategory,
    Tranche,
    TrancheStatusChange,
)

TZ = ZoneInfo("Asia/Shanghai")
CITY_OFFICER = "13800000002"
DISTRICT_OFFICERS = {"520102": "13800000003", "520103": "13800000004"}
REVIEWER = "13800000005"
DEMO_MEMBER = "13800000008"
DEMO_ORGANIZATION = "阳光助残服务社"
STAFF_PREFIX = "135"  # the applicant organizations' 经办人 accounts (volunteers use 136…, raters 137…)
CITY_BASE = "贵阳市社会组织孵化中心"
PDF = b"%PDF-1.4\n% demo document\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# (name, level, region code, capacity, residents to admit, operator, address)
BASES = [
    (CITY_BASE, IncubationBase.Level.CITY, "520100", 30, 8, "贵阳市社会组织服务中心", "观山湖区林城西路 58 号市民中心 3 楼"),
    ("南明区社会组织孵化基地", IncubationBase.Level.DISTRICT, "520102", 12, 6, "南明区益邻社会工作服务中心", "南明区花果园大街 12 号"),
    ("云岩区社会组织孵化基地", IncubationBase.Level.DISTRICT, "520103", 12, 5, "云岩区社会组织联合会", "云岩区延安中路 88 号"),
    ("花溪区社会组织孵化基地", IncubationBase.Level.DISTRICT, "520111", 10, 4, "花溪区同心社工服务中心", "花溪区清溪路 31 号"),
    ("观山湖区社会组织孵化基地", IncubationBase.Level.DISTRICT, "520115", 10, 4, "观山湖区和美社会服务中心", "观山湖区金源街 9 号"),
    ("花果园街道社区社会组织孵化点", IncubationBase.Level.COMMUNITY, "520102001000", 5, 5, "花果园街道社区服务中心", "花果园街道社区服务中心 2 楼"),
    ("中华中路街道社区社会组织孵化点", IncubationBase.Level.COMMUNITY, "520103001000", 6, 3, "中华中路街道社区服务中心", "中华中路街道社区服务中心 1 楼"),
    ("溪北街道社区社会组织孵化点", IncubationBase.Level.COMMUNITY, "520111001000", 5, 3, "溪北街道社区服务中心", "溪北街道社区服务中心 3 楼"),
]
SERVICES = [
    (ResidencyService.Kind.OFFICE, "提供免费工位和会议室", None),
    (ResidencyService.Kind.MENTORING, "导师一对一辅导：项目设计与需求评估", Decimal("2")),
    (ResidencyService.Kind.MENTORING, "导师辅导：理事会运作与内部治理", Decimal("2")),
    (ResidencyService.Kind.TRAINING, "参加“社会组织财务管理”培训", Decimal("6")),
    (ResidencyService.Kind.TRAINING, "参加“公益项目申报书写作”工作坊", Decimal("3")),
    (ResidencyService.Kind.RESOURCES, "对接爱心企业捐赠与志愿者资源", None),
    (ResidencyService.Kind.FINANCE, "代理记账与年度财务审计对接", Decimal("4")),
]
GRADUATION = [
    (Residency.Outcome.EXCELLENT, "治理结构健全，已独立承接政府购买服务项目，评估为优秀，准予出壳。"),
    (Residency.Outcome.PASSED, "完成孵化期各项任务，财务制度和项目管理基本规范，准予出壳。"),
    (Residency.Outcome.PASSED, "服务能力明显提升，已建立稳定的志愿者队伍，准予出壳。"),
    (Residency.Outcome.FAILED, "孵化期内未能建立规范的财务制度，出壳评估不合格，建议继续规范后再申请。"),
]
# (title, summary, beneficiaries, activities)
PROJECTS = [
    ("社区独居老人关爱陪伴计划", "为辖区独居、空巢老人提供定期探访、健康监测和精神慰藉，建立“邻里守望”志愿结对机制。", 150, 48),
    ("残疾人居家康复支持项目", "组织康复师和志愿者上门为残疾人开展康复训练指导，协助家庭改造无障碍设施。", 80, 60),
    ("“四点半课堂”青少年成长项目", "为双职工家庭子女提供放学后的课业辅导、阅读推广和安全教育。", 200, 120),
    ("社区禁毒宣传教育行动", "以情景剧、知识竞赛等形式走进社区和校园开展禁毒宣传，覆盖重点人群家庭。", 3000, 24),
    ("困境儿童“微心愿”帮扶计划", "摸排辖区困境儿童需求，链接爱心资源实现微心愿，并开展成长陪伴小组。", 90, 30),
    ("长者食堂助餐服务提升项目", "完善社区长者食堂的订餐、送餐流程，为高龄、失能老人提供送餐上门服务。", 120, 240),
    ("邻里互助议事平台建设", "培育居民议事会和楼栋长队伍，协商解决小区停车、环境等公共事务。", 600, 36),
    ("社区心理健康服务站", "为居民提供心理咨询、情绪疏导和心理健康讲座，重点关注青少年和老年人。", 300, 40),
    ("失独家庭暖心陪伴行动", "为失独家庭提供节日探访、健康管理和互助小组服务。", 40, 36),
    ("垃圾分类社区督导项目", "招募培训督导员在投放点指导居民分类投放，开展“绿色家庭”评选。", 2000, 50),
    ("外来务工人员子女融入计划", "为随迁子女开展城市融入营、亲子活动和学业辅导。", 120, 40),
    ("社区文体队伍培育计划", "扶持社区文艺队、健身队规范发展，组织邻里文化节。", 500, 20),
    ("助残就业技能培训项目", "为残疾人开展手工、电商等就业技能培训，并对接爱心企业提供岗位。", 60, 30),
    ("老年人智能手机培训课堂", "教老年人使用健康码、移动支付和挂号软件，帮助跨越“数字鸿沟”。", 400, 32),
    ("社区应急救护普及项目", "开展心肺复苏、止血包扎等应急救护培训，在小区配置急救包。", 800, 24),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余杜叶程魏苏吕丁任沈姚卢"
GIVEN = ["建华", "丽萍", "志强", "秀英", "海燕", "国庆", "文斌", "晓梅", "明", "静", "敏", "伟", "芳", "军", "红梅", "永贵",
         "雪梅", "春燕", "俊杰", "思琪", "海涛", "婷婷", "德华", "玉兰"]
CRITERIA_STARTUP = [(30, "项目需求与设计", "需求调研充分，目标清晰可衡量"), (25, "组织治理与能力", "制度健全，团队稳定"),
                    (25, "执行计划与预算", "进度安排合理，预算测算有依据"), (20, "预期成效与可持续性", "成效可评估，项目可持续")]
CRITERIA_VENTURE = [(35, "创新性与社会需求", "回应社区真实需求，方法有创新"), (25, "执行能力", "团队专业，有同类项目经验"),
                    (20, "预算合理性", "支出结构合理，有配套资金"), (20, "成效与可推广性", "成效可量化，模式可复制")]

# Stages an application is taken to. The closed calls have every stage a grant can rest in; this year's open
# call has drafts, submissions and one under review (赵评审 has yet to declare and score it).
STARTUP_PLAN = ["screen_declined", "review_declined", "in_progress", "midterm_passed", "terminated", "completed"]
VENTURE_PLAN = ["demo_completed", "completed", "awarded", "agreement", "midterm_submitted", "screen_declined",
                "review_declined_conflict", "reserve"]
OPEN_PLAN = ["draft", "draft", "submitted", "screening", "reviewing"]
# (requested, awarded) per stage; None when not awarded.
STARTUP_MONEY = {"screen_declined": (30000, None), "review_declined": (25000, None), "in_progress": (28000, 28000),
                 "midterm_passed": (30000, 30000), "terminated": (30000, 30000), "completed": (30000, 30000)}
VENTURE_MONEY = {"demo_completed": (50000, 48000), "completed": (45000, 45000), "awarded": (40000, 38000),
                 "agreement": (42000, 40000), "midterm_submitted": (45000, 42000), "screen_declined": (50000, None),
                 "review_declined_conflict": (35000, None), "reserve": (45000, None)}


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=TZ)


def build(rng: random.Random, *, progress: bool = False) -> dict | None:
    """Seed 孵化与资助, then 政府购买服务; each part is skipped when it has been seeded already (so a database seeded
    before the procurement part existed gets it on the next run). None (and nothing written) when both were."""
    counts = {}
    if not IncubationBase.objects.filter(name=CITY_BASE).exists():
        counts.update(_Builder(rng, progress).run())
    if not Purchaser.objects.filter(name=PROCUREMENT_MARKER).exists():
        counts.update(_ProcurementBuilder(random.Random(rng.random()), progress).run())  # noqa: S311  # reproducible demo data  # nosec B311
    return counts or None


class _Builder:
    def __init__(self, rng: random.Random, progress: bool):
        self.rng, self.progress = rng, progress
        self.today = timezone.localdate()
        self.last_year = self.today.year - 1
        users = {u.phone: u for u in User.objects.filter(phone__in=[CITY_OFFICER, REVIEWER, DEMO_MEMBER, *DISTRICT_OFFICERS.values()])}
        self.city_officer, self.reviewer = users[CITY_OFFICER], users[REVIEWER]
        self.district_officers = {code: users[phone] for code, phone in DISTRICT_OFFICERS.items() if phone in users}
        self.panel = [self.reviewer, *self.district_officers.values()]
        self.city = Region.objects.get(code="520100")
        listed = CreditListing.objects.filter(organization=OuterRef("pk"), removed_on__isnull=True)
        self.pool = list(
            Organization.objects.filter(ACTIVE, region__path__startswith=self.city.path)
            .annotate(listed=Exists(listed)).filter(listed=False).exclude(name=DEMO_ORGANIZATION)
            .select_related("region").order_by("pk")
        )
        self.used: set[int] = set()
        self.staff_serial = User.objects.filter(phone__startswith=STAFF_PREFIX).count()
        self.projects = list(PROJECTS)
        rng.shuffle(self.projects)
        self.project_index = 0
        self.counts: dict[str, int] = {}

    def run(self) -> dict:
        steps = [("孵化基地", self.incubation), ("资助计划", self.calls)]
        for _label, step in tqdm(steps, desc="孵化与资助", unit="步", disable=not self.progress, leave=False):
            step()
        return self.counts

    # --- people and organizations -------------------------------------------------------------------------
    def officer_for(self, region: Region) -> User:
        return self.district_officers.get(region.code[:6], self.city_officer)

    def take(self, predicate, count: int) -> list[Organization]:
        """``count`` organizations of the pool not used yet that satisfy ``predicate``, chosen by the rng."""
        candidates = [o for o in self.pool if o.pk not in self.used and predicate(o)]
        chosen = self.rng.sample(candidates, min(count, len(candidates)))
        self.used.update(o.pk for o in chosen)
        return chosen

    def staff(self, organization: Organization) -> User:
        """The organization's 经办人: its first member, or a new account that cannot sign in."""
        membership = Membership.objects.filter(organization=organization).select_related("user").order_by("pk").first()
        if membership:
            return membership.user
        self.staff_serial += 1
        name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
        user = User.objects.create_user(phone=f"{STAFF_PREFIX}{self.staff_serial:08d}", password=None, name=name)
        Membership.objects.create(user=user, organization=organization, role=Membership.Role.HANDLER)
        return user

    # --- incubation ---------------------------------------------------------------------------------------
    def incubation(self):
        start = datetime.date(self.last_year - 1, 3, 1)
        residencies = []
        for name, level, code, capacity, wanted, operator, address in BASES:
            region = Region.objects.filter(code=code).first()
            if region is None:
                continue
            base = IncubationBase.objects.create(
                name=name, level=level, region=region, operator=operator, address=address, capacity=capacity,
                contact_phone=f"0851-8{self.rng.randrange(10**6, 10**7)}",
                introduction=f"{name}为入驻的初创期社会组织提供办公场地、能力建设、资源对接和财务代理等孵化服务。",
                created_at=_at(start - datetime.timedelta(days=60)),
            )
            if level == IncubationBase.Level.COMMUNITY:
                def fits(o, path=region.path):
                    return o.kind == Organization.Kind.COMMUNITY and o.region.path.startswith(path)
            elif level == IncubationBase.Level.DISTRICT:
                def fits(o, path=region.path):
                    return o.kind in (Organization.Kind.SERVICE_INSTITUTION, Organization.Kind.SOCIAL_GROUP) \
                        and o.region.path.startswith(path)
            else:
                def fits(o):
                    return o.kind in (Organization.Kind.SERVICE_INSTITUTION, Organization.Kind.SOCIAL_GROUP)
            officer = self.officer_for(region)
            for organization in self.take(fits, wanted):
                admitted = start + datetime.timedelta(days=self.rng.randrange(0, 540))
                residency = incubation.admit(
                    base, organization, acting_user=officer, admitted_on=admitted,
                    planned_until=admitted + datetime.timedelta(days=730), note="经基地评审，同意入驻孵化。",
                )
                Residency.objects.filter(pk=residency.pk).update(created_at=_at(admitted, 9))
                residencies.append((residency, officer))
        self.residents = []  # still resident: the startup call's applicants come from here
        leavers = 0
        for index, (residency, officer) in enumerate(residencies):
            admitted = residency.admitted_on
            horizon = min(self.today, admitted + datetime.timedelta(days=600))
            leaves = index % 4 == 3 and (horizon - admitted).days > 200
            until = admitted + datetime.timedelta(days=self.rng.randrange(180, (horizon - admitted).days)) if leaves else horizon
            for kind, description, hours in self.rng.sample(SERVICES, self.rng.randrange(2, 5)):
                day = admitted + datetime.timedelta(days=self.rng.randrange(0, max(1, (until - admitted).days)))
                service = incubation.log_service(residency, acting_user=officer, kind=kind, provided_on=day,
                                                 description=description, hours=hours)
                ResidencyService.objects.filter(pk=service.pk).update(recorded_at=_at(day, 17))
            if not leaves:
                self.residents.append(residency)
                continue
            leavers += 1
            if leavers == 3:  # one withdrawal; the others graduate (出壳) with an assessment
                incubation.leave(residency, acting_user=officer, left_on=until, graduated=False,
                                 assessment="负责人工作调动，组织暂停活动，申请退出孵化。")
                continue
            outcome = GRADUATION[leavers % len(GRADUATION)]
            incubation.leave(residency, acting_user=officer, left_on=until, graduated=True, outcome=outcome[0],
                             assessment=outcome[1])
        self.counts["bases"] = IncubationBase.objects.count()
        self.counts["residencies"] = len(residencies)

    # --- calls ----------------------------------------------------------------------------------------------
    def make_call(self, *, title, kind, year, budget, max_amount, description, criteria, documents, opens_at, closes_at,
                  created_at, **rules) -> FundingCall:
        call = FundingCall.objects.create(
            title=title, kind=kind, year=year, region=self.city, description=description, budget=Decimal(budget),
            max_amount=Decimal(max_amount), opens_at=opens_at, closes_at=closes_at, **rules,
        )
        for order, (weight, name, note) in enumerate(criteria):
            Criterion.objects.create(call=call, name=name, description=note, weight=weight, max_score=10, sort_order=order)
        for order, (name, note) in enumerate(documents):
            RequiredDocument.objects.create(call=call, name=name, note=note, sort_order=order)
        services.call_created(call, acting_user=self.city_officer)
        services.publish_call(call, acting_user=self.city_officer)
        FundingCall.objects.filter(pk=call.pk).update(created_at=created_at)
        call.refresh_from_db()
        return call

    def calls(self):
        now = timezone.now()
        y = self.last_year
        startup = self.make_call(
            title=f"{y} 年社会组织初创补贴", kind=FundingCall.Kind.STARTUP, year=y, budget=150000, max_amount=30000,
            description="面向在市、区、社区三级孵化基地入驻的初创期社会组织，支持其开展第一个公益服务项目、建立内部治理和财务制度。"
                        "资助资金按协议签订后 50%、中期报告合格后 30%、结项报告合格后 20% 分三期拨付。",
            criteria=CRITERIA_STARTUP,
            documents=[("项目申报书", "按申报书模板填写并加盖公章"), ("登记证书或备案回执", "扫描件"), ("孵化基地入驻协议", "扫描件")],
            # Built open (the services check the window against the clock), then moved into last year.
            opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(hours=1),
            created_at=_at(datetime.date(y, 2, 20)),
            eligible_kinds=[Organization.Kind.COMMUNITY, Organization.Kind.SERVICE_INSTITUTION], require_residency=True,
        )
        venture = self.make_call(
            title=f"{y} 年公益创投", kind=FundingCall.Kind.VENTURE, year=y, budget=220000, max_amount=50000,
            description="面向全市社会组织征集养老助残、社区帮扶、青少年成长、禁毒宣传等领域的创新公益项目，经专家评审择优资助。",
            criteria=CRITERIA_VENTURE,
            documents=[("项目申报书", "按申报书模板填写并加盖公章"), ("上年度财务报表", "资产负债表和业务活动表")],
            opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(hours=1),
            created_at=_at(datetime.date(y, 3, 20)),
        )
        current = self.make_call(
            title=f"{self.today.year} 年公益创投", kind=FundingCall.Kind.VENTURE, year=self.today.year, budget=300000, max_amount=50000,
            description="面向全市社会组织征集创新公益项目，重点支持“一老一小”、助残、社区治理和禁毒宣传领域。"
                        "在机构工作台选择本计划即可在线申报，截止前可随时保存草稿。",
            criteria=CRITERIA_VENTURE,
            documents=[("项目申报书", "按申报书模板填写并加盖公章"), ("上年度财务报表", "资产负债表和业务活动表")],
            opens_at=_at(self.today - datetime.timedelta(days=20), 9),
            closes_at=_at(self.today + datetime.timedelta(days=30), 17, 30),
            created_at=_at(self.today - datetime.timedelta(days=25)),
        )
        CallStatusChange.objects.filter(call=current).update(at=current.opens_at)

        # The startup call's applicants are residents (its rule), admitted before the call opened.
        opens = datetime.date(y, 3, 1)
        candidates = [r.organization for r in self.residents
                      if r.organization.kind in startup.eligible_kinds and r.admitted_on < opens - datetime.timedelta(days=30)]
        startup_orgs = self.rng.sample(candidates, min(len(STARTUP_PLAN), len(candidates)))
        venture_orgs = [Organization.objects.get(name=DEMO_ORGANIZATION)] + self.take(
            lambda o: o.kind != Organization.Kind.COMMUNITY, len(VENTURE_PLAN) - 1)
        open_orgs = self.take(lambda o: True, len(OPEN_PLAN))

        self.round(startup, list(zip(STARTUP_PLAN, startup_orgs, strict=False)), STARTUP_MONEY,
                   opens=opens, closes=datetime.date(y, 4, 15), finish=True)
        self.round(venture, list(zip(VENTURE_PLAN, venture_orgs, strict=False)), VENTURE_MONEY,
                   opens=datetime.date(y, 4, 1), closes=datetime.date(y, 5, 15), finish=False)
        self.open_round(current, list(zip(OPEN_PLAN, open_orgs, strict=False)))
        self.counts["calls"] = 3
        self.counts["applications"] = GrantApplication.objects.count()
        self.counts["awards"] = Award.objects.count()

    # --- one application ------------------------------------------------------------------------------------
    def project(self):
        title, summary, beneficiaries, activities = self.projects[self.project_index % len(self.projects)]
        self.project_index += 1
        return title, summary, beneficiaries, activities

    def apply(self, call: FundingCall, organization: Organization, requested: int, *, submit: bool,
              starts_on: datetime.date, ends_on: datetime.date) -> GrantApplication:
        user = self.staff(organization)
        title, summary, beneficiaries, activities = self.project()
        amount = Decimal(requested)
        people = (amount * Decimal("0.4")).quantize(Decimal("1"))
        goods = (amount * Decimal("0.35")).quantize(Decimal("1"))
        application = services.start_application(call, organization, acting_user=user)
        services.save_application(application, acting_user=user, data={
            "project_title": title, "summary": summary, "requested_amount": amount,
            "beneficiaries_target": beneficiaries, "activities_target": activities,
            "other_targets": "培育社区志愿者 20 名以上；形成服务手册 1 本。", "starts_on": starts_on, "ends_on": ends_on,
            "contact_name": user.name, "contact_phone": f"0851-8{self.rng.randrange(10**6, 10**7)}",
        }, budget_lines=[
            {"item": "人员劳务", "amount": people, "note": "项目社工 2 名，按月计"},
            {"item": "活动物料", "amount": goods, "note": "活动耗材、宣传品"},
            {"item": "培训与督导", "amount": amount - people - goods, "note": "外聘督导及培训场地"},
        ])
        for requirement in call.required_documents.all():
            services.attach_document(application, requirement, _pdf(f"{requirement.name}.pdf"), acting_user=user)
        if submit:
            services.submit_application(application, acting_user=user)
        application.refresh_from_db()
        return application

    def review(self, application, panel, *, marks, conflict=None) -> None:
        """Assign ``panel``; ``conflict`` (a reviewer) declares a conflict, the others declare none and score."""
        services.assign_reviewers(application, panel, acting_user=self.city_officer)
        criteria = list(application.call.criteria.all())
        for reviewer in panel:
            review = Review.objects.get(application=application, reviewer=reviewer)
            if reviewer == conflict:
                services.declare_conflict(review, acting_user=reviewer, has_conflict=True,
                                          statement="本人曾担任该组织的项目督导，与其负责人有工作往来，申请回避。")
                continue
            services.declare_conflict(review, acting_user=reviewer, has_conflict=False)
            scores = {c.pk: (max(0, min(10, marks + self.rng.choice([-1, 0, 0, 1]))), self.rng.choice(RATIONALES))
                      for c in criteria}
            services.submit_review(review, acting_user=reviewer, scores=scores,
                                   comment="项目设计较完整，建议细化成效指标。" if marks >= 7 else "需求分析不足，预算测算依据不充分。")

    def report(self, award, kind, *, score: int, reached: int, spent: Decimal):
        application = award.application
        user = self.staff(application.organization)
        on_track = score is None or score >= 60
        activities = max(1, application.activities_target * reached // max(1, application.beneficiaries_target))
        report = services.save_report(application, kind, acting_user=user, data={
            "beneficiaries_reached": reached, "activities_held": activities, "spent_amount": spent.quantize(Decimal("0.01")),
            "outcomes": "按计划开展服务，服务对象满意度调查平均 92 分。" if on_track else "仅开展了计划活动的三分之一，服务记录不完整。",
            "problems": "志愿者流动性较大，下一阶段将加强培训和激励。",
        })
        services.attach_report_document(report, _pdf("活动签到表及照片.pdf"), acting_user=user)
        services.submit_report(report, acting_user=user)
        if score is not None:
            services.assess_report(report, acting_user=self.city_officer, score=score,
                                   assessment="服务成效达到预期，佐证材料齐全。" if score >= 60 else "未完成中期目标，资金使用不规范。")
        return report

    # --- rounds -----------------------------------------------------------------------------------------------
    def round(self, call, plan, money, *, opens: datetime.date, closes: datetime.date, finish: bool):
        """Applications to a call of last year taken to the stage each plan names, then dated back."""
        y = opens.year
        applications = []
        for index, (stage, organization) in enumerate(plan):
            requested, _awarded = money[stage]
            application = self.apply(call, organization, requested, submit=True, starts_on=closes + datetime.timedelta(days=45),
                                     ends_on=datetime.date(y, 12, 31))
            applications.append((stage, application, opens + datetime.timedelta(days=5 + 3 * index)))
        FundingCall.objects.filter(pk=call.pk).update(opens_at=_at(opens, 9), closes_at=_at(closes, 17, 30))
        CallStatusChange.objects.filter(call=call).update(at=_at(opens, 9))
        call.refresh_from_db()
        screened, reviewed = closes + datetime.timedelta(days=5), closes + datetime.timedelta(days=20)
        decided = closes + datetime.timedelta(days=35)
        for stage, application, submitted in applications:
            _requested, awarded = money[stage]
            when = {"submitted": _at(submitted, 15), "screening": _at(screened, 9)}
            if stage == "screen_declined":
                services.screen(application, acting_user=self.city_officer, passed=False,
                                note="申报材料中缺少有效的财务报表，且项目预算与申报金额不一致。")
                when["declined"] = _at(screened, 10)
                self.date_back(application, when, created=submitted - datetime.timedelta(days=2))
                continue
            services.screen(application, acting_user=self.city_officer, passed=True, note="资格审查通过")
            when.update({"reviewing": _at(screened, 10), "scored": _at(reviewed, 16)})
            conflict = None
            panel = self.panel[:2]
            if stage == "review_declined_conflict":
                panel, conflict = self.panel, self.panel[1]
            marks = 5 if stage.startswith("review_declined") else 7 if stage == "reserve" else self.rng.choice([8, 9])
            self.review(application, panel, marks=marks, conflict=conflict)
            if stage.startswith("review_declined"):
                services.decline(application, acting_user=self.city_officer, reason="评审得分未达到本计划资助线（70 分）。")
                when["declined"] = _at(decided, 10)
            elif stage != "reserve":
                award = services.award(application, acting_user=self.city_officer, amount=Decimal(awarded),
                                       note="经评审委员会审议，予以资助。")
                when["awarded"] = _at(decided, 10)
                self.deliver(stage.removeprefix("demo_"), award, when, decided)
            self.date_back(application, when, created=submitted - datetime.timedelta(days=2))
        if finish:
            services.finish_call(call, acting_user=self.city_officer, reason="本批次资助已全部确定。")
            CallStatusChange.objects.filter(call=call, to_status=FundingCall.Status.FINISHED).update(
                at=_at(decided + datetime.timedelta(days=5), 11))

    def deliver(self, stage, award, when, decided: datetime.date):
        """Agreement, tranches and reports up to the stage; every date is last year's."""
        signed = decided + datetime.timedelta(days=12)
        if stage == "awarded":
            return
        services.sign_agreement(award, acting_user=self.city_officer, number=f"ZZXY-{award.application.number}", signed_on=signed)
        when["agreement"] = _at(signed, 15)
        if stage == "agreement":
            return
        tranches = list(award.tranches.order_by("sequence"))
        paid = signed + datetime.timedelta(days=9)
        self.pay(tranches[0], paid)
        when["in_progress"] = _at(paid, 11)
        if stage == "in_progress":
            return
        midterm_day = paid + datetime.timedelta(days=90)
        if stage == "midterm_submitted":
            self.report(award, GrantReport.Kind.MIDTERM, score=None, reached=award.application.beneficiaries_target // 2,
                        spent=tranches[0].amount * Decimal("0.8"))
            self.date_report(award, GrantReport.Kind.MIDTERM, midterm_day, assessed=None)
            return
        failed = stage == "terminated"
        self.report(award, GrantReport.Kind.MIDTERM, score=52 if failed else self.rng.randrange(72, 93),
                    reached=award.application.beneficiaries_target // (4 if failed else 2),
                    spent=tranches[0].amount * Decimal("0.5" if failed else "0.85"))
        self.date_report(award, GrantReport.Kind.MIDTERM, midterm_day, assessed=midterm_day + datetime.timedelta(days=10))
        if failed:
            when["terminated"] = _at(midterm_day + datetime.timedelta(days=10), 16)
            recovered = (tranches[0].amount * Decimal("0.4")).quantize(Decimal("1"))
            back = services.claw_back(award, acting_user=self.city_officer, amount=recovered,
                                      reason="中期评估不合格，项目终止，追回未使用的首期资金。",
                                      paid_on=midterm_day + datetime.timedelta(days=25))
            Disbursement.objects.filter(pk=back.pk).update(recorded_at=_at(back.paid_on, 15))
            return
        self.pay(tranches[1], midterm_day + datetime.timedelta(days=18))
        if stage == "midterm_passed":
            return
        final_day = datetime.date(midterm_day.year, 12, 5)
        self.report(award, GrantReport.Kind.FINAL, score=self.rng.randrange(80, 96),
                    reached=award.application.beneficiaries_target, spent=award.amount * Decimal("0.97"))
        self.date_report(award, GrantReport.Kind.FINAL, final_day, assessed=final_day + datetime.timedelta(days=8))
        when["completed"] = _at(final_day + datetime.timedelta(days=8), 16)
        self.pay(tranches[2], final_day + datetime.timedelta(days=15))

    def pay(self, tranche: Tranche, day: datetime.date):
        disbursement = services.pay_tranche(tranche, acting_user=self.city_officer, paid_on=day,
                                            reference=f"GK{day:%Y%m%d}{tranche.award_id:04d}{tranche.sequence}")
        Disbursement.objects.filter(pk=disbursement.pk).update(recorded_at=_at(day, 15))
        TrancheStatusChange.objects.filter(tranche=tranche, to_status=Tranche.Status.PAID).update(at=_at(day, 15))

    def open_round(self, call, plan):
        """This year's open call: drafts, submissions and one assigned to 赵评审, who has yet to declare."""
        for index, (stage, organization) in enumerate(plan):
            starts = self.today + datetime.timedelta(days=60)
            application = self.apply(call, organization, self.rng.choice([30000, 40000, 50000]), submit=stage != "draft",
                                     starts_on=starts, ends_on=starts + datetime.timedelta(days=300))
            created = self.today - datetime.timedelta(days=18 - 3 * index)
            if stage == "draft":
                GrantApplication.objects.filter(pk=application.pk).update(created_at=_at(created, 9))
                continue
            when = {"submitted": _at(created + datetime.timedelta(days=1), 15)}
            if stage == "screening":
                services.begin_screening(application, acting_user=self.city_officer)
                when["screening"] = _at(created + datetime.timedelta(days=3), 10)
            if stage == "reviewing":
                services.screen(application, acting_user=self.city_officer, passed=True, note="资格审查通过")
                services.assign_reviewers(application, [self.reviewer], acting_user=self.city_officer)
                when["screening"] = when["reviewing"] = _at(created + datetime.timedelta(days=3), 10)
            self.date_back(application, when, created=created)

    # --- dating back ------------------------------------------------------------------------------------------
    def date_back(self, application: GrantApplication, when: dict[str, datetime.datetime], *, created: datetime.date):
        """Move the moments the services stamped with "now" to the timeline ``when`` (status → moment)."""
        for status, moment in when.items():
            ApplicationStatusChange.objects.filter(application=application, to_status=status).update(at=moment)
        GrantApplication.objects.filter(pk=application.pk).update(
            created_at=_at(created, 9), submitted_at=when["submitted"], updated_at=max(when.values()))
        if "reviewing" in when and "scored" in when:
            reviews = Review.objects.filter(application=application)
            reviews.update(assigned_at=when["reviewing"] + datetime.timedelta(hours=2))
            ConflictDeclaration.objects.filter(review__application=application).update(
                declared_at=when["reviewing"] + datetime.timedelta(days=1))
            reviews.filter(status=Review.Status.SUBMITTED).update(submitted_at=when["scored"] - datetime.timedelta(hours=3))
            history = ReviewStatusChange.objects.filter(review__application=application)
            history.exclude(to_status=Review.Status.SUBMITTED).update(at=when["reviewing"] + datetime.timedelta(days=1))
            history.filter(to_status=Review.Status.SUBMITTED).update(at=when["scored"] - datetime.timedelta(hours=3))
        elif "reviewing" in when:
            Review.objects.filter(application=application).update(assigned_at=when["reviewing"] + datetime.timedelta(hours=2))
        if "awarded" in when:
            Award.objects.filter(application=application).update(awarded_at=when["awarded"])

    def date_report(self, award, kind, submitted: datetime.date, *, assessed: datetime.date | None):
        GrantReport.objects.filter(application=award.application, kind=kind).update(
            submitted_at=_at(submitted, 16), **({"assessed_at": _at(assessed, 11)} if assessed else {}))
        history = ReportStatusChange.objects.filter(report__application=award.application, report__kind=kind)
        history.filter(to_status=GrantReport.Status.SUBMITTED).update(at=_at(submitted, 16))
        if assessed:
            history.filter(to_status=GrantReport.Status.ASSESSED).update(at=_at(assessed, 11))
            TrancheStatusChange.objects.filter(tranche__award=award, to_status=Tranche.Status.STOPPED).update(
                at=_at(assessed, 11))


RATIONALES = [
    "需求调研扎实，服务对象明确。", "团队有同类项目经验，执行有保障。", "预算结构基本合理，个别科目测算偏高。",
    "成效指标可量化，但可持续性论证不足。", "与社区资源结合紧密，具有推广价值。", "活动设计较常规，创新性一般。",
]


# --- 政府购买服务 -------------------------------------------------------------------------------------------------
# Purchasers in three districts and one community service centre; the district officers run their own districts'
# projects, the city officer 观山湖区's. (name, kind, region code, contact, phone, address)
PURCHASERS = [
    ("观山湖区民政局", "department", "520115", "罗科长", "0851-84800011", "观山湖区林城东路 1 号"),
    ("南明区民政局", "department", "520102", "杨科长", "0851-85800022", "南明区新华路 110 号"),
    ("云岩区民政局", "department", "520103", "何科长", "0851-86800033", "云岩区中华北路 200 号"),
    ("花果园街道社区服务中心", "centre", "520102001000", "林主任", "0851-85600044", "花果园街道社区服务中心 1 楼"),
]
PROCUREMENT_MARKER = PURCHASERS[0][0]
PROCUREMENT_CRITERIA = [("服务方案与需求回应", 40), ("团队配置与专业资质", 30), ("同类项目业绩", 20), ("质量控制与应急预案", 10)]
PROPOSALS = [
    "配备持证社工 4 名、康复师 1 名，建立一人一档服务台账，每月入户不少于 2 次，季度开展满意度回访。",
    "组建“社工＋志愿者”双工团队，设立社区服务站点，按需求评估分级提供服务，建立月度督导和应急响应机制。",
    "依托本机构在辖区 5 年的服务经验，联动社区卫生服务中心和爱心企业，形成服务清单并在线记录全部服务过程。",
    "项目负责人具有中级社工师资格，团队 6 人均有同类服务经历；服务标准、记录表单和投诉处理流程附后。",
]
# (key, purchaser, catalogue code, title, budget, method, needs)
PROCUREMENT_PLAN = [
    ("planned", 2, "A10", "云岩区社区禁毒宣传教育服务项目", 180000, "consultation",
     "在辖区 8 个社区开展禁毒宣传进社区、进校园活动，为社区康复人员提供帮扶服务。"),
    ("announced_member", 1, "A09", "南明区残疾人居家康复服务项目", 260000, "consultation",
     "为辖区 150 名持证残疾人提供居家康复训练指导、辅具适配和家属照护培训。"),
    ("announced", 0, "A11", "观山湖区困境儿童关爱保护服务项目", 220000, "open",
     "为辖区困境儿童和留守儿童建立档案，开展定期探访、课业辅导和心理支持服务。"),
    ("closed", 0, "A05", "观山湖区社区文体活动运营服务项目", 150000, "consultation",
     "运营 3 个社区文体活动中心，每月组织文体活动不少于 8 场，培育居民文体队伍。"),
    ("evaluating", 1, "A07", "南明区困难群众探访与救助帮扶服务项目", 240000, "consultation",
     "对低保、特困和临时救助对象开展入户探访、需求评估和资源链接服务。"),
    ("awarded", 2, "A08", "云岩区社区邻里互助与议事协商服务项目", 160000, "consultation",
     "培育小区议事会和楼栋长队伍，协助居民协商解决公共事务，每季度发布议事成果。"),
    ("completed", 0, "A09", "观山湖区社区居家养老服务项目", 300000, "consultation",
     "为辖区 300 名高龄独居老人提供上门探访、助餐配送和健康监测服务。"),
    ("member_contract", 1, "A12", "南明区社会工作服务站运营项目", 280000, "consultation",
     "运营区级社工站，为困难群体提供个案、小组和社区工作服务，培育社区社会组织。"),
    ("active", 3, "A01", "花果园街道慢病老人健康管理服务项目", 120000, "inquiry",
     "为街道 200 名慢性病老人提供健康档案管理、用药提醒和健康讲座服务。"),
    ("failed", 2, "A02", "云岩区困难群体就业援助服务项目", 130000, "consultation",
     "为困难群体提供职业指导、技能培训和岗位对接服务。"),
    ("cancelled", 1, "A06", "南明区社区矫正对象帮扶服务项目", 100000, "consultation",
     "为社区矫正对象提供心理辅导、教育帮扶和就业指导服务。"),
]
CATALOGUE_FALLBACK = {"A01": "基本公共卫生", "A02": "公共就业", "A05": "社区文体", "A06": "公共安全法治", "A07": "社会救助",
                      "A08": "社区生活", "A09": "养老助残", "A10": "禁毒防毒", "A11": "儿童关爱", "A12": "社会工作服务"}
CONTRACT_TERMS = {
    "quality": "服务记录完整率 100%，服务对象满意率不低于 90%，投诉 24 小时内响应。",
    "settlement": "按付款计划分期支付：签约后支付 40%，中期验收合格后支付 30%，绩效评价后按等级支付尾款。",
    "rights_obligations": "甲方负责监督、检查和验收并按约付款；乙方按服务方案提供服务，如实记录并接受绩效评价。",
    "liability": "乙方未按约定提供服务的，甲方有权扣减相应费用；情节严重的，甲方可解除合同并追究违约责任。",
}
SURVEY_COMMENTS = ["社工很耐心，每次来都陪老人聊天。", "送餐很准时，饭菜也合口味。", "希望服务次数再多一些。", "", "",
                   "健康监测很有用，血压高了马上提醒。", "服务人员态度好。"]


def _png(width: int = 96, height: int = 64, rgb=(46, 125, 50)) -> bytes:
    """A small solid-colour PNG (a stand-in for a service photo), built without any image library."""
    import struct
    import zlib

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _sign_in_sheet(title: str, day: datetime.date, people: int) -> bytes:
    """A one-page 签到表 PDF drawn with reportlab and the portal's CJK font."""
    import io

    from reportlab.lib.pagesizes import A5
    from reportlab.pdfgen import canvas

    from core.pdf import cjk_font

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A5)
    font = cjk_font()
    page.setFont(font, 14)
    page.drawString(40, 540, f"{title}签到表")
    page.setFont(font, 10)
    page.drawString(40, 515, f"服务日期：{day:%Y年%m月%d日}    服务人数：{people} 人    （演示数据）")
    for row in range(min(people, 12)):
        page.drawString(40, 490 - 18 * row, f"{row + 1:>2}.  服务对象 {row + 1:03d}        签名：__________")
    page.save()
    return buffer.getvalue()


class _ProcurementBuilder(_Builder):
    """政府购买服务 through grants.procurement with the demo accounts acting: every project status, contracts with
    deliveries, payments, an amendment and a finished performance evaluation. Windows are built open (the services
    check them against the clock) and then moved into the past with queryset updates, as the tests do; the moments
    the services stamp with "now" are moved back to a believable timeline. OCDS releases are append-only and keep
    the moment the demo was seeded (like audit rows)."""

    def run(self) -> dict:
        from django.test.utils import override_settings

        self.purchasers = self.make_purchasers()
        self.categories = self.make_categories()
        self.member = User.objects.get(phone=DEMO_MEMBER)
        self.member_org = Organization.objects.get(name=DEMO_ORGANIZATION)
        self.bidders = self.take(lambda o: o.kind != Organization.Kind.COMMUNITY, 12)
        plan = {key: rest for key, *rest in PROCUREMENT_PLAN}
        # The survey's verification codes go to the in-memory outbox while the demo answers them.
        with override_settings(PORTAL_SMS_BACKEND="core.sms.LocmemBackend"):
            for key in tqdm([k for k, *_ in PROCUREMENT_PLAN], desc="政府购买服务", unit="项", disable=not self.progress,
                            leave=False):
                getattr(self, f"stage_{key}")(*plan[key])
        self.counts["procurement_projects"] = ProcurementProject.objects.count()
        self.counts["contracts"] = Contract.objects.count()
        self.counts["ocds_releases"] = OcdsRelease.objects.count()
        return self.counts

    # --- set-up -----------------------------------------------------------------------------------------------
    def make_purchasers(self) -> list[Purchaser]:
        rows = []
        for name, kind, code, contact, phone, address in PURCHASERS:
            region = Region.objects.get(code=code)
            rows.append(Purchaser.objects.get_or_create(region=region, name=name, defaults={
                "kind": kind, "contact_name": contact, "contact_phone": phone, "address": address})[0])
        return rows

    def make_categories(self) -> dict[str, ServiceCategory]:
        """The guiding catalogue comes from migration 0008; an item an administrator removed is put back."""
        return {code: ServiceCategory.objects.get_or_create(code=code, defaults={"name": name})[0]
                for code, name in CATALOGUE_FALLBACK.items()}

    def bidders_for(self, count: int, *, first: Organization | None = None) -> list[Organization]:
        chosen = self.rng.sample(self.bidders, count - (first is not None))
        return [first, *chosen] if first is not None else chosen

    # --- building blocks --------------------------------------------------------------------------------------
    def project(self, buyer_index: int, code: str, title: str, budget: int, method: str, needs: str, *,
                opens: datetime.datetime, closes: datetime.datetime, announce: bool = True) -> ProcurementProject:
        buyer = self.purchasers[buyer_index]
        officer = self.officer_for(buyer.region)
        project = procurement.create_project(
            acting_user=officer, purchaser=buyer, criteria=PROCUREMENT_CRITERIA, title=title,
            category=self.categories[code], budget=Decimal(budget), method=method, description=needs,
            budget_line=f"{self.today.year}年{buyer.region.name}民政部门预算·社会福利·政府购买服务",
            service_period="合同签订之日起 12 个月", bids_open_at=opens, bids_close_at=closes, price_weight=30,
        )
        if announce:
            procurement.announce(project, acting_user=officer)
        project.refresh_from_db()
        project.officer = officer
        return project

    def past_project(self, plan: tuple, announced: datetime.date, *, window: int = 20) -> ProcurementProject:
        """A project built with its window open now, to be moved to ``announced`` … ``announced + window``."""
        now = timezone.now()
        project = self.project(*plan, opens=now - datetime.timedelta(minutes=5), closes=now + datetime.timedelta(days=1))
        project.timeline = {"announced": announced, "closes": announced + datetime.timedelta(days=window)}
        return project

    def bid(self, project, organization, price: int, *, user=None):
        user = user or (self.member if organization == self.member_org else self.staff(organization))
        return procurement.save_bid(project, organization, acting_user=user, price=Decimal(price),
                                    proposal=self.rng.choice(PROPOSALS), uploads=[_pdf("服务方案.pdf")])

    def close(self, project):
        """The window ends: moved to the project's timeline, and the bids opened (开标) as the daily run would."""
        announced, closes = project.timeline["announced"], project.timeline["closes"]
        ProcurementProject.objects.filter(pk=project.pk).update(
            created_at=_at(announced - datetime.timedelta(days=6), 10), announced_at=_at(announced, 9),
            bids_open_at=_at(announced, 9), bids_close_at=_at(closes, 17))
        ProjectStatusChange.objects.filter(project=project, to_status="announced").update(at=_at(announced, 9))
        for index, bid in enumerate(Bid.objects.filter(project=project).order_by("pk")):
            moment = _at(announced + datetime.timedelta(days=3 + 4 * index), 15)
            Bid.objects.filter(pk=bid.pk).update(submitted_at=moment, revised_at=moment)
        procurement.open_bids(project)
        ProjectStatusChange.objects.filter(project=project, to_status__in=["closed", "failed"]).update(
            at=_at(closes, 17, 5))
        project.refresh_from_db()

    def bid_panel(self, project) -> list[User]:
        others = [o for code, o in self.district_officers.items() if code != project.region.code[:6]]
        return [self.reviewer, others[0]]

    def review(self, project, marks: dict[int, float], *, waiting: User | None = None):
        """The panel declares no conflict and scores each valid bid (``marks``: bid id → share of each
        criterion's points); ``waiting`` is assigned but has not declared yet."""
        day = project.timeline["closes"] + datetime.timedelta(days=3)
        procurement.assign_bid_reviewers(project, self.bid_panel(project), acting_user=project.officer)
        criteria = list(project.criteria.all())
        for review in BidReview.objects.filter(bid__project=project).select_related("bid", "reviewer"):
            if review.reviewer == waiting:
                continue
            procurement.declare_bid_conflict(review, acting_user=review.reviewer, has_conflict=False)
            share = Decimal(str(marks.get(review.bid_id, 0.75))) + Decimal(self.rng.choice([-3, 0, 0, 2])) / 100
            scores = {c.pk: (str(min(Decimal(c.weight), (c.weight * share)).quantize(Decimal("0.1"))),
                             self.rng.choice(RATIONALES)) for c in criteria}
            procurement.submit_bid_review(review, acting_user=review.reviewer, scores=scores,
                                          comment="方案完整，团队配置合理。")
        BidReview.objects.filter(bid__project=project).update(assigned_at=_at(day, 9))
        BidReview.objects.filter(bid__project=project, status=BidReview.Status.SUBMITTED).update(
            submitted_at=_at(day + datetime.timedelta(days=2), 16))
        BidReviewStatusChange.objects.filter(review__bid__project=project).update(at=_at(day + datetime.timedelta(days=1), 10))
        BidReviewStatusChange.objects.filter(review__bid__project=project, to_status="submitted").update(
            at=_at(day + datetime.timedelta(days=2), 16))
        ProjectStatusChange.objects.filter(project=project, to_status="evaluating").update(at=_at(day, 9))

    def award(self, project) -> Bid:
        winner = procurement.ranking(project).first()
        procurement.award_bid(project, winner, acting_user=project.officer)
        day = project.timeline["closes"] + datetime.timedelta(days=8)
        ProcurementProject.objects.filter(pk=project.pk).update(awarded_at=_at(day, 10))
        ProjectStatusChange.objects.filter(project=project, to_status="awarded").update(at=_at(day, 10))
        project.refresh_from_db()
        return winner

    def contract(self, project, *, starts: datetime.date, days: int, deliverables: list[dict]) -> Contract:
        """Draft, complete and sign the contract (40 % on signing, 30 % at mid-term, the rest after evaluation)."""
        officer = project.officer
        contract = procurement.draft_contract(project, acting_user=officer)
        ends = starts + datetime.timedelta(days=days)
        value = contract.value
        first = (value * Decimal("0.4")).quantize(Decimal("0.01"))
        second = (value * Decimal("0.3")).quantize(Decimal("0.01"))
        procurement.save_contract(contract, acting_user=officer, fields={
            **CONTRACT_TERMS, "service_content": project.description, "starts_on": starts, "ends_on": ends,
            "quantity": "；".join(f"{d['name']} {d['target']}{Deliverable.UNITS.get(d['kind'], '')}" for d in deliverables),
        }, deliverables=deliverables, milestones=[
            {"title": "合同签订", "due_on": starts, "amount": first},
            {"title": "中期验收", "due_on": starts + datetime.timedelta(days=days // 2), "amount": second},
            {"title": "绩效评价后尾款", "due_on": ends, "amount": value - first - second},
        ])
        procurement.sign_contract(contract, acting_user=officer, signed_on=starts)
        Contract.objects.filter(pk=contract.pk).update(created_at=_at(starts - datetime.timedelta(days=5), 10))
        ContractStatusChange.objects.filter(contract=contract, to_status="active").update(at=_at(starts, 11))
        ProjectStatusChange.objects.filter(project=project, to_status="contracted").update(at=_at(starts, 11))
        contract.refresh_from_db()
        return contract

    def deliver(self, contract, member, days: list[int]):
        """Delivery logs with evidence (a sign-in sheet PDF or a photo PNG) ``days`` after the start."""
        for n, offset in enumerate(days):
            day = contract.starts_on + datetime.timedelta(days=offset)
            for deliverable in contract.deliverables.all():
                quantity = max(1, deliverable.target // (len(days) + 1))
                if n % 2 == 0:
                    upload = SimpleUploadedFile(f"签到表-{day:%Y%m%d}.pdf",
                                                _sign_in_sheet(deliverable.name, day, min(quantity, 40)),
                                                content_type="application/pdf")
                else:
                    upload = SimpleUploadedFile(f"服务照片-{day:%Y%m%d}.png", _png(rgb=(30 + 20 * n, 120, 90)),
                                                content_type="image/png")
                procurement.log_delivery(deliverable, acting_user=member, quantity=quantity, delivered_on=day,
                                         description=f"{deliverable.name}：按服务方案开展服务，记录见附件。", upload=upload)

    def pay(self, contract, milestone, member, *, confirmed: datetime.date, paid: datetime.date):
        officer = self.officer_for(contract.region)
        if milestone.status == Milestone.Status.PENDING and not milestone.final:
            procurement.submit_milestone(milestone, acting_user=member, report=f"{milestone.title}：服务按计划推进，台账与佐证已上传。")
        procurement.confirm_milestone(milestone, acting_user=officer, reason="材料齐全，同意确认。")
        procurement.pay_milestone(milestone, acting_user=officer, paid_on=paid,
                                  voucher=f"GK{paid:%Y%m%d}{milestone.contract_id:03d}{milestone.sequence}")
        Milestone.objects.filter(pk=milestone.pk).update(confirmed_at=_at(confirmed, 15))
        MilestoneStatusChange.objects.filter(milestone=milestone).exclude(to_status="paid").update(at=_at(confirmed, 15))
        MilestoneStatusChange.objects.filter(milestone=milestone, to_status="paid").update(at=_at(paid, 11))
        ContractPayment.objects.filter(milestone=milestone).update(recorded_at=_at(paid, 11))

    # --- the stages -------------------------------------------------------------------------------------------
    def stage_planned(self, *plan):
        opens = _at(self.today + datetime.timedelta(days=10), 9)
        project = self.project(*plan, opens=opens, closes=opens + datetime.timedelta(days=21, hours=8), announce=False)
        ProcurementProject.objects.filter(pk=project.pk).update(created_at=_at(self.today - datetime.timedelta(days=2), 15))

    def open_project(self, plan, *, days_open: int, days_left: int, bidders: list[Organization]):
        opens = _at(self.today - datetime.timedelta(days=days_open), 9)
        project = self.project(*plan, opens=opens, closes=_at(self.today + datetime.timedelta(days=days_left), 17))
        ProcurementProject.objects.filter(pk=project.pk).update(
            created_at=opens - datetime.timedelta(days=5), announced_at=opens)
        ProjectStatusChange.objects.filter(project=project, to_status="announced").update(at=opens)
        budget = int(project.budget)
        for organization in bidders:
            self.bid(project, organization, budget - self.rng.randrange(5, 30) * 1000)
        return project

    def stage_announced_member(self, *plan):
        # 吴经办 (阳光助残服务社) has not bid yet: the project is open for them in the workspace.
        self.open_project(plan, days_open=6, days_left=14, bidders=self.bidders_for(2))

    def stage_announced(self, *plan):
        self.open_project(plan, days_open=3, days_left=18, bidders=self.bidders_for(1))

    def stage_closed(self, *plan):
        project = self.past_project(plan, self.today - datetime.timedelta(days=24))
        for organization in self.bidders_for(3):
            self.bid(project, organization, int(project.budget) - self.rng.randrange(5, 25) * 1000)
        self.close(project)  # bids opened, reviewers not yet assigned

    def stage_evaluating(self, *plan):
        # 赵评审 (13800000005) is assigned and has yet to declare: the review waits in their queue.
        project = self.past_project(plan, self.today - datetime.timedelta(days=30))
        for organization in self.bidders_for(3):
            self.bid(project, organization, int(project.budget) - self.rng.randrange(5, 25) * 1000)
        self.close(project)
        self.review(project, {}, waiting=self.reviewer)

    def stage_awarded(self, *plan):
        project = self.past_project(plan, self.today - datetime.timedelta(days=45))
        bids = [self.bid(project, o, int(project.budget) - self.rng.randrange(5, 25) * 1000) for o in self.bidders_for(2)]
        self.close(project)
        self.review(project, {bids[0].pk: 0.88, bids[1].pk: 0.72})
        self.award(project)
        procurement.draft_contract(project, acting_user=project.officer)  # the officer is completing the terms

    def stage_completed(self, *plan):
        """A contract taken to the end: deliveries, two payments, an amendment, social money, a performance
        evaluation with survey answers and a third party's scores, then the final payment by grade."""
        project = self.past_project(plan, self.today - datetime.timedelta(days=395))
        bids = [self.bid(project, o, price) for o, price in zip(self.bidders_for(3), (268000, 285000, 291000), strict=True)]
        self.close(project)
        self.review(project, {bids[0].pk: 0.9, bids[1].pk: 0.8, bids[2].pk: 0.7})
        self.award(project)
        starts = project.timeline["closes"] + datetime.timedelta(days=20)
        contract = self.contract(project, starts=starts, days=330, deliverables=[
            {"kind": "people", "name": "服务高龄独居老人", "target": 300},
            {"kind": "visits", "name": "上门探访", "target": 3600},
            {"kind": "hours", "name": "助餐配送服务时长", "target": 1200}])
        member = self.staff(contract.organization)
        self.deliver(contract, member, [20, 75, 140, 200, 260, 320])
        first, second, last = contract.milestones.order_by("sequence")
        self.pay(contract, first, member, confirmed=starts + datetime.timedelta(days=5), paid=starts + datetime.timedelta(days=12))
        amendment = procurement.amend_contract(
            contract, acting_user=project.officer, reason="辖区新增 20 名高龄独居老人纳入服务，经双方协商调整服务数量。",
            changes={"quantity": contract.quantity.replace("300", "320")})
        ContractAmendment.objects.filter(pk=amendment.pk).update(amended_at=_at(starts + datetime.timedelta(days=120), 10))
        procurement.record_matching_fund(contract, acting_user=member, source="donation", funder="贵阳爱心企业联合会",
                                         amount=Decimal("36000"), received_on=starts + datetime.timedelta(days=60))
        procurement.record_matching_fund(contract, acting_user=member, source="in_kind", funder="观山湖区爱心餐饮商户",
                                         amount=Decimal("12500"), received_on=starts + datetime.timedelta(days=150))
        self.pay(contract, second, member, confirmed=starts + datetime.timedelta(days=168),
                 paid=starts + datetime.timedelta(days=178))
        evaluation = procurement.start_evaluation(contract, acting_user=project.officer, third_party="贵州黔信社会组织评估中心")
        for assessor in ("purchaser", "third_party"):
            scores = {i.pk: (str((Decimal(i.weight) * Decimal(self.rng.choice(["0.88", "0.9", "0.95"]))).quantize(Decimal("0.1"))),
                             "资料齐全，目标完成较好。")
                      for i in evaluation.indicators.exclude(dimension="satisfaction")}
            procurement.score_indicators(evaluation, acting_user=project.officer, assessor=assessor, scores=scores)
        self.answer_survey(evaluation, ratings=[5, 5, 4, 5, 4, 5, 3, 5, 4, 5, 5, 4])
        evaluation = procurement.finish_evaluation(evaluation, acting_user=project.officer)
        ends = contract.ends_on
        PerformanceEvaluation.objects.filter(pk=evaluation.pk).update(
            started_at=_at(ends - datetime.timedelta(days=20), 10), finished_at=_at(ends + datetime.timedelta(days=5), 16),
            survey_closes_at=_at(ends, 18))
        SatisfactionResponse.objects.filter(evaluation=evaluation).update(answered_at=_at(ends - datetime.timedelta(days=10), 19))
        self.pay(contract, last, member, confirmed=ends + datetime.timedelta(days=6), paid=ends + datetime.timedelta(days=12))
        ContractStatusChange.objects.filter(contract=contract, to_status="completed").update(
            at=_at(ends + datetime.timedelta(days=12), 11))

    def answer_survey(self, evaluation, ratings: list[int]):
        """Served people answer through the texted code (one answer per phone; each from its own address)."""
        from core import sms

        for n, rating in enumerate(ratings):
            phone = f"1390851{evaluation.pk % 100:02d}{n:02d}"
            procurement.send_survey_code(evaluation, phone, client_address=f"demo-{evaluation.pk}-{n}")
            code = sms.outbox.pop()[1].split("验证码为 ")[1][:6]
            procurement.answer_survey(evaluation, phone=phone, code=code, rating=rating,
                                      comment=self.rng.choice(SURVEY_COMMENTS))

    def stage_member_contract(self, *plan):
        """阳光助残服务社 (吴经办) won and is delivering: the first instalment paid, the mid-term one ahead."""
        project = self.past_project(plan, self.today - datetime.timedelta(days=110))
        organizations = self.bidders_for(3, first=self.member_org)
        bids = [self.bid(project, o, price) for o, price in zip(organizations, (248000, 262000, 275000), strict=True)]
        self.close(project)
        self.review(project, {bids[0].pk: 0.92, bids[1].pk: 0.78, bids[2].pk: 0.74})
        self.award(project)
        starts = project.timeline["closes"] + datetime.timedelta(days=20)
        contract = self.contract(project, starts=starts, days=360, deliverables=[
            {"kind": "people", "name": "个案服务对象", "target": 120},
            {"kind": "sessions", "name": "小组及社区活动", "target": 48}])
        self.deliver(contract, self.member, [10, 35, 55])
        first = contract.milestones.order_by("sequence").first()
        self.pay(contract, first, self.member, confirmed=starts + datetime.timedelta(days=4),
                 paid=starts + datetime.timedelta(days=10))

    def stage_active(self, *plan):
        """A community service centre's 询价 contract in its first months, nothing paid yet."""
        project = self.past_project(plan, self.today - datetime.timedelta(days=70), window=10)
        bids = [self.bid(project, o, price) for o, price in zip(self.bidders_for(3), (112000, 116000, 118500), strict=True)]
        self.close(project)
        self.review(project, {bids[0].pk: 0.85, bids[1].pk: 0.8, bids[2].pk: 0.76})
        self.award(project)
        starts = project.timeline["closes"] + datetime.timedelta(days=20)
        contract = self.contract(project, starts=starts, days=300, deliverables=[
            {"kind": "people", "name": "建档慢病老人", "target": 200},
            {"kind": "sessions", "name": "健康讲座", "target": 12}])
        self.deliver(contract, self.staff(contract.organization), [5, 25])

    def stage_failed(self, *plan):
        # 竞争性磋商 needs two valid bids; one came in: 流标 at the opening.
        project = self.past_project(plan, self.today - datetime.timedelta(days=40))
        self.bid(project, self.bidders_for(1)[0], int(project.budget) - 8000)
        self.close(project)

    def stage_cancelled(self, *plan):
        project = self.past_project(plan, self.today - datetime.timedelta(days=12), window=25)
        procurement.cancel_project(project, acting_user=project.officer, reason="上级部门统筹安排同类服务，本项目取消采购。")
        announced = project.timeline["announced"]
        ProcurementProject.objects.filter(pk=project.pk).update(
            created_at=_at(announced - datetime.timedelta(days=6), 10), announced_at=_at(announced, 9),
            bids_open_at=_at(announced, 9), bids_close_at=_at(project.timeline["closes"], 17))
        ProjectStatusChange.objects.filter(project=project, to_status="announced").update(at=_at(announced, 9))
        ProjectStatusChange.objects.filter(project=project, to_status="cancelled").update(
            at=_at(self.today - datetime.timedelta(days=2), 10))
