"""Demo data for a new installation: communities and residents' committees under the reference districts,
one account per role, a few organizations, site settings and guide pages.

Deterministic (``--seed``) and idempotent: every row is looked up by its natural key first, so a second run
adds nothing. Refuses to run with production settings. Each domain app adds its own step to ``STEPS``.
"""

import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from core.backup import refresh_planner_statistics
from core.models import Region, Role, RoleAssignment, User
from core.services import grant_role
from orgs.codes import CHARSET, make_credit_code
from orgs.models import Membership, Organization
from portal.models import HomePage, PortalSettings, StandardPage

DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - printed to the developer; seed_demo refuses production  # nosec B105

# Subdistricts (街道/乡镇) per district. Names are real places; the twelve-digit codes are the district code
# followed by a running number, illustrative rather than the official statistical codes.
SUBDISTRICTS = {
    "520102": ["花果园街道", "中华南路街道", "遵义路街道", "太慈桥街道"],
    "520103": ["中华中路街道", "北京路街道", "黔东街道", "头桥街道"],
    "520111": ["溪北街道", "贵筑街道", "青岩镇"],
    "520112": ["新天街道", "高新街道", "东风镇"],
    "520113": ["大山洞街道", "都拉营街道", "沙文镇"],
    "520115": ["金华园街道", "世纪城街道", "长岭街道"],
    "520121": ["城关镇", "双流镇"],
    "520122": ["永靖镇", "小寨坝镇"],
    "520123": ["龙场街道", "扎佐街道"],
    "520181": ["红枫湖镇", "巢凤街道"],
}
# How much each --scale builds. Each domain adds its own counts here as it lands. "contracts" and
# "grant_applications" are totals: grants.demo's service-made examples count towards them, grants.scale_demo
# writes the rest in bulk.
SCALES = {
    "demo": {
        "organizations": 600, "raters": 150, "ratings": 18_000,
        "volunteers": 3_000, "activities": 300, "records": 30_000, "merchants": 12, "vouchers": 3_000,
        "contracts": 20, "grant_applications": 60,
    },
    "city": {
        "organizations": 5_000, "raters": 5_000, "ratings": 200_000,
        "volunteers": 100_000, "activities": 2_000, "records": 1_000_000, "merchants": 40, "vouchers": 100_000,
        "contracts": 300, "grant_applications": 500,
    },
    "province": {
        "organizations": 50_000, "raters": 50_000, "ratings": 2_000_000,
        "volunteers": 1_000_000, "activities": 20_000, "records": 10_000_000, "merchants": 400, "vouchers": 1_000_000,
        "contracts": 3_000, "grant_applications": 5_000,
    },
}
VOLUNTEER_SCALE_KEYS = ("volunteers", "activities", "records", "merchants", "vouchers")
COMMITTEE_STEMS = ["阳光", "和平", "幸福", "春晖", "新华", "金桥", "康宁", "友谊", "文昌", "民生", "繁华", "丰乐"]


@dataclass(frozen=True)
class DemoAccount:
    phone: str
    name: str
    role: str
    label: str
    region: str | None = None
    superuser: bool = False


ACCOUNTS = [
    DemoAccount("13800000001", "管理员", "admin", "系统管理员", superuser=True),
    DemoAccount("13800000002", "陈市干", Role.OFFICER, "民政干部（贵阳市）", region="520100"),
    DemoAccount("13800000003", "刘南明", Role.OFFICER, "民政干部（南明区）", region="520102"),
    DemoAccount("13800000004", "王云岩", Role.OFFICER, "民政干部（云岩区）", region="520103"),
    DemoAccount("13800000005", "赵评审", Role.REVIEWER, "评审专家"),
    DemoAccount("13800000006", "孙志愿", Role.VOLUNTEER, "志愿者"),
    DemoAccount("13800000007", "周商家", Role.MERCHANT, "爱心商家"),
    DemoAccount("13800000008", "吴经办", Role.ORG_MEMBER, "组织经办人（阳光助残服务社）"),
    DemoAccount("13800000009", "郑公众", "public", "公众用户"),
]

ORGANIZATIONS = [
    ("阳光助残服务社", Organization.Kind.SERVICE_INSTITUTION, "520102", "2"),
    ("南明区社区养老服务中心", Organization.Kind.SERVICE_INSTITUTION, "520102", "2"),
    ("贵阳市志愿服务联合会", Organization.Kind.SOCIAL_GROUP, "520100", "1"),
    ("云岩区青少年成长服务中心", Organization.Kind.SERVICE_INSTITUTION, "520103", "2"),
    ("筑城公益基金会", Organization.Kind.FOUNDATION, "520100", "3"),
    ("花溪区禁毒志愿者协会", Organization.Kind.SOCIAL_GROUP, "520111", "1"),
]
COMMUNITY_ORGANIZATIONS = ["社区文艺队", "邻里互助会", "老年协会", "巾帼志愿服务队"]


class Command(BaseCommand):
    help = "Load deterministic demo data (idempotent). Refuses to run with production settings."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument(
            "--if-empty", action="store_true", help="only seed when the database has no users yet"
        )
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
        parser.add_argument(
            "--scale", choices=sorted(SCALES), default="demo",
            help="demo (default), city (about 5,000 organizations) or province (ten times a city)",
        )

    def handle(self, *args, seed, if_empty, no_progress, scale="demo", **options):
        self.scale = SCALES[scale]
        self.progress = not no_progress
        if getattr(settings, "PORTAL_ENV", "") == "production":
            raise CommandError("seed_demo 不能在生产环境运行（settings: production）。")
        if if_empty and User.objects.exists():
            self.stdout.write("数据库已有数据，跳过演示数据。")
        else:
            rng = random.Random(seed)  # demo data must be reproducible, not secret  # nosec B311
            steps = [
                ("行政区划", self.seed_regions),
                ("演示账号", self.seed_accounts),
                ("社会组织", self.seed_organizations),
                ("社会组织名录", self.seed_registry),
                ("登记备案申请", self.seed_applications),
                ("五比五看与等级评估", self.seed_evaluations),
                ("爱心银行", self.seed_volunteers),
                ("孵化与资助", self.seed_grants),
                ("门户页面", self.seed_pages),
            ]
            started = time.monotonic()
            for label, step in tqdm(steps, desc="seed_demo", unit="步", disable=no_progress):
                began = time.monotonic()
                # One transaction per step: a failure leaves whole steps, and a rerun completes the rest.
                with transaction.atomic():
                    step(rng)
                tqdm.write(f"  ✓ {label}（{time.monotonic() - began:.1f} 秒）", file=self.stdout, end="")
            refresh_planner_statistics()  # PostgreSQL: statistics for the rows just written in bulk
            self.stdout.write(f"演示数据（{scale}）用时 {time.monotonic() - started:.1f} 秒。")
        self.print_accounts()

    # --- steps -------------------------------------------------------------------------------------
    def seed_regions(self, rng: random.Random):
        for district_code, names in SUBDISTRICTS.items():
            district = Region.objects.get(code=district_code)
            for i, name in enumerate(names, start=1):
                code = f"{district_code}{i:03d}000"
                sub = Region.objects.filter(code=code).first() or district.add_child(
                    code=code, name=name, level=Region.Level.SUBDISTRICT
                )
                stems = rng.sample(COMMITTEE_STEMS, 3)
                for j, stem in enumerate(stems, start=1):
                    ccode = f"{district_code}{i:03d}{j:03d}"
                    if not Region.objects.filter(code=ccode).exists():
                        sub.refresh_from_db()
                        sub.add_child(code=ccode, name=f"{stem}社区居委会", level=Region.Level.COMMITTEE)

    def seed_accounts(self, rng: random.Random):
        for account in ACCOUNTS:
            user = User.objects.filter(phone=account.phone).first()
            if user is None:
                user = User.objects.create_user(
                    phone=account.phone, password=DEMO_PASSWORD, name=account.name, is_superuser=account.superuser,
                    is_staff=account.superuser, phone_verified_at=timezone.now(),
                )
            if account.role in RoleAssignment.ASSIGNABLE:
                region = Region.objects.get(code=account.region) if account.region else None
                exists = RoleAssignment.objects.filter(user=user, role=account.role, region=region).exists()
                if not exists:
                    grant_role(user, account.role, acting_user=None, region=region)

    def seed_organizations(self, rng: random.Random):
        for index, (name, kind, region_code, type_char) in enumerate(ORGANIZATIONS, start=1):
            region = Region.objects.get(code=region_code)
            body = f"MJ{rng.randrange(10**6):06d}{CHARSET[index % len(CHARSET)]}"
            org = Organization.objects.filter(name=name).first()
            if org is None:
                org = Organization.objects.create(
                    name=name, kind=kind, region=region, status=Organization.Status.REGISTERED,
                    credit_code=make_credit_code(type_char, region_code, body),
                    established_on=f"{2012 + index}-0{1 + index % 9}-15",
                )
        communities = Region.objects.filter(level=Region.Level.SUBDISTRICT).order_by("code")
        for n, community in enumerate(communities):
            stem = COMMUNITY_ORGANIZATIONS[n % len(COMMUNITY_ORGANIZATIONS)]
            name = f"{community.name}{stem}"
            if not Organization.objects.filter(name=name).exists():
                Organization.objects.create(
                    name=name, kind=Organization.Kind.COMMUNITY, region=community,
                    status=Organization.Status.FILED, filing_number=f"{community.code[:6]}-BA-{n + 1:04d}",
                    established_on=f"20{18 + n % 7}-0{1 + n % 9}-01",
                )
        member = User.objects.get(phone="13800000008")
        org = Organization.objects.get(name="阳光助残服务社")
        Membership.objects.get_or_create(user=member, organization=org, defaults={"role": Membership.Role.HEAD})

    def seed_registry(self, rng: random.Random):
        from orgs import demo

        # About 600 organizations in all at demo scale (DESIGN.md §4.1); a rerun finds them by name and adds none.
        target = self.scale["organizations"]
        local = random.Random(rng.random())  # reproducible demo data  # nosec B311
        while (missing := target - Organization.objects.count()) > 0:
            if demo.build(local, min(missing, 5000)) == 0:
                break

    def seed_applications(self, rng: random.Random):
        from orgs import demo

        demo.build_applications(random.Random(rng.random()))  # reproducible demo data  # nosec B311

    def seed_evaluations(self, rng: random.Random):
        from evaluations import demo

        demo.build(random.Random(rng.random()), raters=self.scale["raters"], ratings=self.scale["ratings"])  # nosec B311

    def seed_volunteers(self, rng: random.Random):
        from volunteers import demo

        # 3,000 volunteers and 30,000 service records at demo scale, a million records for a city; skipped once seeded.
        counts = {key: self.scale[key] for key in VOLUNTEER_SCALE_KEYS}
        demo.build(random.Random(rng.random()), **counts, progress=self.progress)  # reproducible demo data  # nosec B311

    def seed_grants(self, rng: random.Random):
        from grants import demo

        # Incubation bases with residents, last year's two closed calls with grants in every stage and this year's
        # open call; through the services with the demo accounts acting. Skipped once seeded.
        demo.build(random.Random(rng.random()), progress=self.progress)  # reproducible demo data  # nosec B311
        from grants import scale_demo

        # Then, up to the scale's totals, contracts with milestones and payments and grant applications in every
        # settled stage, written in bulk; nothing once the totals are there.
        scale_demo.build(random.Random(rng.random()), contracts=self.scale.get("contracts", 0),  # nosec B311
                         grant_applications=self.scale.get("grant_applications", 0), progress=self.progress)

    def seed_pages(self, rng: random.Random):
        home = HomePage.objects.first()
        site_settings = PortalSettings.for_site(home.get_site())
        if not site_settings.hotline:
            site_settings.sponsor = "贵阳市民政局"
            site_settings.hotline = "12345"
            site_settings.notice = "<p>本站为演示环境，所列组织、人员与数据均为演示数据。</p>"
            site_settings.save()
        for slug, title, intro, body in GUIDE_PAGES:
            if not StandardPage.objects.filter(slug=slug).exists():
                page = StandardPage(title=title, slug=slug, intro=intro, body=body, show_in_menus=True)
                home.add_child(instance=page)
                page.save_revision().publish()
                home.refresh_from_db()
        from portal import demo

        # The public site's content: news, policies with their PDFs, twelve showcase projects with generated photos,
        # two events, the latest published 五比五看 results and open data; only what is missing is made.
        demo.build(random.Random(rng.random()))  # reproducible illustrations  # nosec B311

    # --- output ------------------------------------------------------------------------------------
    def print_accounts(self):
        self.stdout.write("")
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for account in ACCOUNTS:
            self.stdout.write(f"  {account.phone}  {account.label}")


GUIDE_PAGES = [
    (
        "guide-registration",
        "社会组织登记办事指南",
        "社会团体、社会服务机构、基金会的成立、变更、注销登记，以及社区社会组织备案的办理条件、材料与时限。",
        [
            {"type": "heading", "value": {"text": "办理事项", "size": "h2"}},
            {"type": "paragraph", "value": "<p>本门户受理社会团体、社会服务机构（民办非企业单位）、基金会的成立登记、变更登记、注销登记和年度报告，以及社区社会组织备案。行业协会商会类、科技类、公益慈善类、城乡社区服务类社会组织可直接向民政部门申请登记。</p>"},
            {"type": "heading", "value": {"text": "办理流程", "size": "h2"}},
            {"type": "paragraph", "value": "<ol><li>注册账号并登录，填写申请表，上传所需材料（可随时保存草稿）；</li><li>提交后，登记管理机关对材料进行受理审查，材料不全的会告知需补正的内容；</li><li>审查通过后准予登记，发放登记证书（电子证书附二维码，可在线核验）。</li></ol>"},
            {"type": "notice", "value": {"title": "办理时限", "text": "<p>成立登记自受理之日起 60 日内作出决定；变更、注销登记自受理之日起 30 日内作出决定。</p>", "tone": "info"}},
        ],
    ),
    (
        "guide-volunteer",
        "爱心银行志愿服务指南",
        "实名注册成为志愿者，参加志愿服务活动，经组织方核实的服务时长可获得积分，积分可在爱心商家兑换回馈。",
        [
            {"type": "paragraph", "value": "<p>志愿服务时长由活动组织方如实记录并核实。志愿者可以申请更正错误的记录，可以下载志愿服务证明。未经本人同意，不公开志愿者的个人信息。</p>"},
            {"type": "notice", "value": {"title": "积分规则", "text": "<p>一般志愿服务每小时 1 分，专业志愿服务可按活动规则计分。积分不可转让，兑换后不退回（凭证过期或取消的除外）。</p>", "tone": "info"}},
        ],
    ),
    (
        "about",
        "关于本门户",
        "社会组织与购买服务管理门户由市民政局建设运行，服务社会组织、志愿者、爱心商家和广大市民。",
        [
            {"type": "paragraph", "value": "<p>门户汇集社会组织登记备案、三级孵化与资助、政府购买服务、爱心银行和五比五看评价五项业务，实现一网申请、一网审批、一网公开。</p>"},
        ],
    ),
]
