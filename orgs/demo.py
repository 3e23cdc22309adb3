"""Believable demo organizations for seed_demo: a mix of kinds, districts, service fields, states and credit
listings, generated deterministically from a random seed and inserted in bulk."""

import datetime
import random
from decimal import Decimal

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from core.dates import add_years
from core.models import Region

from .codes import CHARSET, make_credit_code
from .models import CreditListing, Organization, ServiceField

STEMS = [
    "阳光", "春晖", "爱心", "同心", "康乐", "乐龄", "和美", "友邻", "筑梦", "启航", "明德", "善行", "暖阳", "晨曦",
    "众益", "仁爱", "益家", "彩虹", "向日葵", "山海", "黔行", "甲秀", "林城", "红枫", "新绿", "蒲公英", "百合", "青松",
]
FIELD_WORDS = [
    ("elderly", "养老"), ("elderly", "居家养老"), ("disability", "助残"), ("childcare", "托育"),
    ("youth", "青少年成长"), ("culture", "文化艺术"), ("drugs", "禁毒"), ("community", "邻里互助"),
    ("education", "教育发展"), ("health", "健康促进"), ("environment", "环保"), ("legal", "法律援助"),
    ("relief", "慈善救助"), ("women", "妇女儿童"), ("volunteering", "志愿服务"), ("science", "科普"),
]
SUFFIXES = {
    Organization.Kind.SERVICE_INSTITUTION: ["服务中心", "服务社", "社会工作服务中心", "综合服务中心", "发展中心"],
    Organization.Kind.SOCIAL_GROUP: ["协会", "促进会", "联合会", "研究会"],
    Organization.Kind.FOUNDATION: ["基金会"],
}
COMMUNITY_SUFFIXES = ["志愿服务队", "文艺队", "互助会", "老年协会", "读书会", "调解队", "巾帼服务队", "健身队"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐"
GIVEN = ["建华", "丽萍", "志强", "秀英", "海燕", "国庆", "文斌", "晓梅", "明", "静", "敏", "伟", "芳", "军", "红梅", "永贵"]
TYPE_CHAR = {"social_group": "1", "service_institution": "2", "foundation": "3"}
BATCH = 5_000  # rows per executemany of :class:`Rows`
FUNDS = {
    Organization.Kind.SOCIAL_GROUP: (30_000, 200_000),
    Organization.Kind.SERVICE_INSTITUTION: (30_000, 500_000),
    Organization.Kind.FOUNDATION: (2_000_000, 8_000_000),
}


def build(rng: random.Random, count: int) -> int:
    """Create ``count`` demo organizations that do not exist yet (by name); return how many were added."""
    city = Region.objects.get(code="520100")
    districts = list(Region.objects.filter(level=Region.Level.DISTRICT).order_by("code"))
    communities = list(Region.objects.filter(level=Region.Level.SUBDISTRICT).order_by("code"))
    fields = {f.code: f for f in ServiceField.objects.all()}
    existing = set(Organization.objects.values_list("name", flat=True))
    planned: list[tuple[Organization, str]] = []
    names: set[str] = set(existing)
    attempts = 0
    while len(planned) < count and attempts < count * 20:
        attempts += 1
        roll = rng.random()
        field_code, field_word = rng.choice(FIELD_WORDS)
        stem = rng.choice(STEMS)
        if roll < 0.37 and communities:
            region = rng.choice(communities)
            kind = Organization.Kind.COMMUNITY
            name = f"{region.name.removesuffix('街道').removesuffix('镇')}{stem}{rng.choice(COMMUNITY_SUFFIXES)}"
        else:
            kind = (
                Organization.Kind.FOUNDATION if roll > 0.97
                else Organization.Kind.SOCIAL_GROUP if roll > 0.72
                else Organization.Kind.SERVICE_INSTITUTION
            )
            region = city if kind == Organization.Kind.FOUNDATION or rng.random() < 0.08 else rng.choice(districts)
            name = f"{region.name}{stem}{field_word}{rng.choice(SUFFIXES[kind])}"
        if name in names:
            if attempts < count * 3:
                continue
            # Past a city's worth of names the vocabulary runs out: number the branches (province scale).
            name = f"{name}（{len(names) + 1}）"
        names.add(name)
        planned.append((_organization(rng, len(existing) + len(planned), name, kind, region), field_code))
    Organization.objects.bulk_create([org for org, _ in planned], batch_size=500)
    saved = {o.name: o for o in Organization.objects.filter(name__in=[org.name for org, _ in planned])}
    links, listings = [], []
    through = Organization.service_fields.through
    for org, field_code in planned:
        org = saved[org.name]
        codes = {field_code, *rng.sample(list(fields), rng.choice([0, 0, 1, 2]))}
        links.extend(through(organization_id=org.pk, servicefield_id=fields[c].pk) for c in codes)
        if org.is_active and rng.random() < 0.05:
            listings.append(CreditListing(
                organization=org, kind=CreditListing.Kind.SERIOUS if rng.random() < 0.2 else CreditListing.Kind.ABNORMAL,
                reason="未按规定报送年度工作报告" if rng.random() < 0.7 else "通过登记的住所无法联系",
                listed_on=datetime.date(2025, 6, 1) + datetime.timedelta(days=rng.randrange(300)),
                decided_by="贵阳市民政局",
            ))
    through.objects.bulk_create(links, batch_size=1000)
    CreditListing.objects.bulk_create(listings, batch_size=500)
    return len(planned)


def _organization(rng: random.Random, index: int, name: str, kind: str, region: Region) -> Organization:
    established = datetime.date(2008, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 17))
    status_roll = rng.random()
    registered = kind != Organization.Kind.COMMUNITY
    status = (
        Organization.Status.DEREGISTERED if status_roll > 0.95
        else Organization.Status.REVOKED if status_roll > 0.93
        else Organization.Status.REGISTERED if registered else Organization.Status.FILED
    )
    district_code = region.code[:6]
    authority = "贵阳市民政局" if region.code == "520100" else f"{_district_name(region)}民政局"
    org = Organization(
        name=name, kind=kind, status=status, region=region, established_on=established,
        nature=rng.choice(list(Organization.Nature.values)),
        legal_representative=rng.choice(SURNAMES) + rng.choice(GIVEN),
        domicile=f"贵州省贵阳市{region.name}{rng.randrange(1, 300)}号",
        activity_area="贵阳市" if region.code == "520100" else _district_name(region),
        party_status=rng.choice(list(Organization.PartyStatus.values)),
        staff_count=rng.randrange(0, 40),
        contact_phone=f"0851-{rng.randrange(8200_0000, 8899_9999)}",
    )
    if registered:
        body = f"MJ{index:06d}{CHARSET[index % len(CHARSET)]}"
        org.credit_code = make_credit_code(TYPE_CHAR[kind], district_code, body)
        org.registration_authority = authority
        low, high = FUNDS[kind]
        org.funds = Decimal(rng.randrange(low, high, 10_000))
        org.direct_category = rng.choice(["charity", "community_service", "", "trade"])
        org.business_supervisor = "" if org.direct_category else "贵阳市科学技术协会"
        if kind == Organization.Kind.SOCIAL_GROUP:
            org.individual_members = rng.randrange(50, 400)
            org.unit_members = rng.randrange(0, 40)
        org.certificate_number = f"{district_code}{'ST' if kind == 'social_group' else 'MF' if kind == 'service_institution' else 'JJ'}{index:06d}"
        org.certificate_valid_until = add_years(established, 2026 + rng.randrange(0, 5) - established.year)
        org.purpose = "遵守宪法、法律、法规和国家政策，践行社会主义核心价值观，弘扬爱国主义精神，遵守社会道德风尚。"
        org.business_scope = "开展公益服务、宣传培训、咨询服务、承接政府购买服务项目。"
    else:
        org.filing_number = f"{district_code}-BA-{index:05d}"
        org.registration_authority = f"{region.name}社区服务中心"
    return org


def _district_name(region: Region) -> str:
    if region.level == Region.Level.DISTRICT:
        return region.name
    return Region.objects.get(code=region.code[:6]).name if region.code[:6] != "520100" else "贵阳市"


DEMO_PDF = b"%PDF-1.4\n% demo document\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def build_applications(rng: random.Random, per_state: int = 12) -> int:
    """A dozen applications in every state, made through the services so their history and audit rows are
    real; some open ones are backdated past their statutory limit so the queue shows overdue items."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.models import Role, RoleAssignment, User

    from . import applications as services
    from .models import Application

    if Application.objects.filter(name__startswith="（演示）").exists():
        return 0
    officers = {a.region.code: a.user for a in RoleAssignment.objects.filter(role=Role.OFFICER).select_related("user", "region")}
    districts = [r for r in Region.objects.filter(level=Region.Level.DISTRICT).order_by("code") if r.code in officers]
    city_officer = officers.get("520100")
    # The demo member, volunteer and public user apply; officers and reviewers do not apply to themselves.
    founders = list(User.objects.filter(phone__in=["13800000008", "13800000009", "13800000006"]).order_by("phone"))
    states = [s for s, _ in Application.Status.choices]
    created = 0
    for state in states:
        for n in range(per_state):
            region = districts[(n + states.index(state)) % len(districts)] if districts else city_officer
            officer = officers.get(region.code, city_officer)
            founder = founders[n % len(founders)]
            field_code, field_word = rng.choice(FIELD_WORDS)
            application = services.start_application(
                applicant=founder, kind=Application.Kind.ESTABLISH, region=region,
                name=f"（演示）{region.name}{rng.choice(STEMS)}{field_word}服务中心{state[:2]}{n}",
                org_kind=Organization.Kind.SERVICE_INSTITUTION, legal_representative=rng.choice(SURNAMES) + rng.choice(GIVEN),
                domicile=f"贵州省贵阳市{region.name}{rng.randrange(1, 300)}号", funds=Decimal(rng.randrange(30_000, 300_000, 10_000)),
                purpose="为辖区居民提供专业社会服务", business_scope=f"{field_word}服务、咨询培训",
                direct_category="community_service",
            )
            created += 1
            if state == Application.Status.DRAFT:
                continue
            for code, _label in application.required_documents():
                upload = SimpleUploadedFile(f"{code}.pdf", DEMO_PDF, content_type="application/pdf")
                services.attach_document(application, code, upload, acting_user=founder)
            services.submit(application, acting_user=founder)
            if state == Application.Status.SUBMITTED:
                continue
            if state == Application.Status.REJECTED:
                services.reject_intake(application, officer=officer, reason="申请材料与申请事项不符")
                continue
            services.accept(application, officer=officer)
            if state in (Application.Status.ACCEPTED, Application.Status.REVIEWING):
                if n % 3 == 0:  # overdue: accepted long ago
                    accepted = timezone.now() - datetime.timedelta(days=65 + n)
                    Application.objects.filter(pk=application.pk).update(
                        accepted_at=accepted, due_on=timezone.localdate(accepted) + datetime.timedelta(days=60)
                    )
                continue
            if state == Application.Status.CORRECTION:
                services.request_correction(application, officer=officer, items="请补充住所使用证明和负责人身份证明复印件")
            elif state == Application.Status.DENIED:
                services.deny(application, officer=officer, reason="拟任负责人不符合任职条件")
            elif state == Application.Status.APPROVED:
                code = make_credit_code("2", region.code[:6], f"MD{created:07d}")
                services.approve(application, officer=officer, credit_code=code, note="符合登记条件")
    return created


class Rows:
    """Buffered INSERTs of plain tuples into one model's table, with primary keys allocated here: the bulk
    writer of every app's demo at city and province scale (volunteers.demo, grants.scale_demo).

    ``add(*values)`` takes the values of ``names`` in order and returns the new row's primary key; every other
    column gets its field's default. Values must already be what the database stores (ids for foreign keys,
    dates and moments as volunteers.demo's ``_Generator.day`` and ``_Generator.at`` give them), unless
    ``prepare`` is set (True, or the names of the fields that need it): then each such value goes through its
    field's ``get_db_prep_save`` (Python dates, aware moments, Decimals and dicts as they are; a few microseconds a
    value). Rows are written ``BATCH`` at a time,
    after the buffered rows of ``parents``: a row is never written before the rows it refers to, so SQLite's
    deferred foreign-key counter stays at zero and it never has to search child tables on each insert.
    """

    def __init__(self, model, names, parents=(), *, prepare=False):
        opts, ops = model._meta, connection.ops
        given = [opts.get_field(name) for name in names]
        wanted = set(names) if prepare is True else set(prepare or ())
        self.prepare = [f.get_db_prep_save if f.name in wanted else None for f in given] if wanted else None
        rest = [f for f in opts.concrete_fields if not f.primary_key and f.name not in names]
        self.model, self.parents = model, parents
        self.rest = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
        columns = ", ".join(ops.quote_name(c) for c in [opts.pk.column, *(f.column for f in given + rest)])
        marks = ", ".join(["%s"] * (1 + len(given) + len(rest)))
        self.sql = f"INSERT INTO {ops.quote_name(opts.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608 - identifiers from the model  # nosec B608
        self.next_id = (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        self.rows: list[tuple] = []
        self.count = 0

    def add(self, *values) -> int:
        pk = self.next_id
        self.next_id += 1
        if self.prepare is not None:
            values = tuple(value if prep is None else prep(value, connection)
                           for prep, value in zip(self.prepare, values, strict=True))
        self.rows.append((pk, *values, *self.rest))
        if len(self.rows) >= BATCH:
            self.flush()
        return pk

    def flush(self) -> None:
        for parent in self.parents:
            parent.flush()
        if not self.rows:
            return
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, self.rows)
        self.count += len(self.rows)
        self.rows = []
