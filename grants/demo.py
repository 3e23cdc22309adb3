"""Demo 孵化与资助 for seed_demo: incubation bases at the three levels with residents, services and graduations;
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

from . import incubation, services
from .models import (
    ApplicationStatusChange,
    Award,
    CallStatusChange,
    ConflictDeclaration,
    Criterion,
    Disbursement,
    FundingCall,
    GrantApplication,
    GrantReport,
    IncubationBase,
    ReportStatusChange,
    RequiredDocument,
    Residency,
    ResidencyService,
    Review,
    ReviewStatusChange,
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
    """Seed 孵化与资助; None (and nothing written) when it has been seeded already."""
    if IncubationBase.objects.filter(name=CITY_BASE).exists():
        return None
    return _Builder(rng, progress).run()


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
