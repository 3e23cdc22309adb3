"""Demo 爱心银行 for seed_demo: volunteers with valid ID numbers, activities and shifts over the past year and the
next two months, sign-ups, service records with their points, 爱心商家 with rewards and vouchers, 好市民 awards,
and the demo volunteer 孙志愿 with a balance, an upcoming shift, a voucher and a certificate.

Volume (a city has a million service records) is written by buffered ``executemany`` INSERTs of plain tuples
with primary keys allocated here, so records, sign-ups and their transfers refer to each other without reading
anything back (the ORM's bulk_create costs four times as much per row, which is minutes at city scale). Balances
are summed while the transfers are generated and written to the accounts at the end, with the issuer's and the
reward pool's, so the ledger's invariants (:func:`volunteers.ledger.check_invariants`) hold when the step
commits; transfers are only ever inserted. A few demonstrative rows (孙志愿's award, voucher and certificate, the
demo merchant's membership) go through the services, with their audit rows. The generated volunteers' accounts
share one unusable password hash: they are not meant to sign in, and hashing per user would take minutes.
"""

import datetime
import random
import time
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from tqdm import tqdm

from core.models import Region, Role, RoleAssignment, Sequence, User
from core.services import grant_role
from orgs.codes import make_id_number
from orgs.demo import BATCH, Rows
from orgs.models import Organization, ServiceField
from orgs.queries import ACTIVE

from . import services
from .models import (
    Account,
    Activity,
    Award,
    Merchant,
    Reward,
    ServiceCategory,
    ServiceRecord,
    Shift,
    SignUp,
    Transfer,
    Volunteer,
    Voucher,
    VoucherStatusChange,
    _code,
)

TZ = ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC
DAY = 86_400
PHONE_PREFIX = "136"  # generated volunteers; evaluations' demo raters use 137…
DEMO_VOLUNTEER_PHONE = "13800000006"
DEMO_MERCHANT_PHONE = "13800000007"
DEMO_ORGANIZATION = "阳光助残服务社"
GUIYANG_DISTRICTS = ["520102", "520103", "520111", "520112", "520113", "520115", "520121", "520122", "520123", "520181"]
OFFICER_FOR_DISTRICT = {"520102": "13800000003", "520103": "13800000004"}  # the rest: the city officer
CITY_OFFICER = "13800000002"
ORGANIZER_MEMBER = "13800000008"  # 吴经办 of 阳光助残服务社

SURNAMES = (
    "王王王李李李张张张刘刘陈陈杨杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余于杜叶程魏苏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
MALE_NAMES = [
    "建国", "志强", "伟", "磊", "海涛", "俊杰", "明辉", "文斌", "永贵", "国庆", "德华", "家豪", "子轩", "浩然", "宇航",
    "建华", "勇", "军", "杰", "涛", "鹏", "波", "超", "刚", "平", "亮", "斌", "明", "辉", "强", "晓东", "志刚", "红军",
    "卫东", "天佑", "博文", "思远", "一鸣", "泽宇", "皓轩", "建平", "学军", "永福", "光荣", "正华", "少华", "继红",
]
FEMALE_NAMES = [
    "秀英", "丽萍", "海燕", "晓梅", "静", "敏", "芳", "红梅", "婷婷", "雨萱", "欣怡", "思琪", "佳怡", "诗涵", "桂英",
    "玉兰", "秀兰", "凤英", "丽娟", "春梅", "雪梅", "美玲", "慧", "娜", "丽", "艳", "霞", "琳", "颖", "洁", "雪", "倩",
    "晓燕", "小红", "梦瑶", "紫涵", "可馨", "雅琪", "文静", "淑珍", "玉珍", "桂兰", "丽华", "春燕", "金凤", "翠萍",
]
MALE_CHARS = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳建国志文永海东兴成亮峰毅坤"
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀英玲兰萍燕红梅琳洁雪婷倩颖慧佳莉晶欣怡雯璐瑶琴丹蓉菲"
SKILLS = [
    "医疗护理", "法律咨询", "心理咨询", "驾驶", "摄影", "文艺表演", "课业辅导", "手语", "急救", "电脑维修", "烹饪", "理发",
    "外语", "社会工作", "书法", "家电维修",
]
# (category, service field, title, summary, record content, skills asked for, place)
ACTIVITY_TEMPLATES = [
    ("general", "community", "社区环境卫生整治", "清理楼道杂物和绿化带垃圾，美化居住环境。", "清理楼道及绿化带垃圾", "", "社区广场"),
    ("general", "community", "文明交通劝导", "在路口协助交警劝导行人和非机动车文明出行。", "路口文明交通劝导", "", "辖区主要路口"),
    ("general", "environment", "垃圾分类宣传引导", "在小区投放点指导居民正确分类投放。", "垃圾分类投放指导", "", "小区垃圾分类投放点"),
    ("general", "environment", "护河巡河行动", "沿河巡查、捡拾垃圾、劝导不文明行为。", "沿河巡查与垃圾捡拾", "", "辖区河道沿岸"),
    ("general", "culture", "社区图书室阅读推广", "整理图书、组织亲子共读。", "图书整理与亲子共读", "", "社区图书室"),
    ("general", "youth", "四点半课堂课业辅导", "为双职工家庭的孩子提供放学后的作业辅导。", "课业辅导", "课业辅导", "新时代文明实践站"),
    ("general", "community", "邻里节便民服务", "义务理发、小家电维修、磨刀等便民服务。", "便民服务", "理发、家电维修", "社区广场"),
    ("general", "drugs", "禁毒宣传进校园", "向中小学生普及禁毒知识。", "禁毒知识宣讲", "", "辖区中小学"),
    ("elderly", "elderly", "独居老人关爱走访", "上门看望独居、空巢老人，陪伴聊天、了解需求。", "上门探访独居老人", "", "居委会活动室"),
    ("elderly", "elderly", "长者食堂助餐服务", "协助长者食堂打餐，为行动不便的老人送餐上门。", "助餐送餐", "烹饪", "长者食堂"),
    ("elderly", "elderly", "敬老院陪伴活动", "为敬老院老人表演节目、陪伴聊天。", "敬老院陪伴", "文艺表演", "敬老院"),
    ("elderly", "disability", "助残康复陪护", "陪伴残疾人开展康复训练、外出就医。", "康复训练陪护", "手语", "残疾人康复站"),
    ("elderly", "disability", "残疾人技能培训协助", "协助开展电脑、手工等就业技能培训。", "技能培训协助", "电脑维修", "残疾人之家"),
    ("professional", "health", "社区义诊", "为居民测量血压血糖、提供健康咨询。", "义诊与健康咨询", "医疗护理", "社区卫生服务中心"),
    ("professional", "legal", "法律咨询进社区", "为居民解答婚姻家庭、劳动争议等法律问题。", "法律咨询", "法律咨询", "社区服务中心"),
    ("professional", "health", "心理健康疏导", "为青少年和老年人提供心理咨询与情绪疏导。", "心理咨询", "心理咨询", "社区心理咨询室"),
    ("professional", "community", "社工个案探访", "社工为困境家庭开展个案评估和资源链接。", "个案探访", "社会工作", "社区服务中心"),
    ("emergency", "relief", "防汛应急值守", "汛期重点点位巡查值守，协助转移群众。", "防汛巡查值守", "驾驶", "防汛重点点位"),
    ("emergency", "health", "应急救护培训", "开展心肺复苏、止血包扎等应急救护培训。", "应急救护培训", "急救", "社区服务中心"),
    ("emergency", "environment", "森林防火巡护", "在林区入口宣传防火、劝导野外用火。", "森林防火巡护", "驾驶", "林区入口"),
]
SLOTS = [((9, 0), (11, 30)), ((14, 0), (17, 0)), ((8, 30), (12, 0)), ((9, 0), (16, 0)), ((19, 0), (21, 0)), ((15, 0), (17, 30))]
DECLINE_REASONS = ["签到地点与活动地点不符，经核实未参加服务。", "同一时段已有其他服务记录，重复登记。", "签退时间有误，请申请更正后重新提交。"]
CITATIONS = [
    "常年坚持为社区独居老人送餐上门，风雨无阻。", "在防汛抢险中连续值守，协助转移群众。", "组织邻里互助，带动身边人参与志愿服务。",
    "利用专业特长为居民义务提供法律咨询。", "多年坚持护河巡河，守护城市水环境。",
]
# 爱心商家: (name, district, kind, street address)
MERCHANTS = [
    ("筑城书店", "520103", "书店", "中华北路118号"), ("花溪牛肉粉", "520111", "餐饮", "清溪路26号"),
    ("甲秀楼茶舍", "520102", "茶饮", "翠微巷8号"), ("林城大药房", "520102", "药房", "遵义路52号"),
    ("青岩玫瑰糖坊", "520111", "食品", "青岩古镇西街15号"), ("黔味肠旺面馆", "520103", "餐饮", "延安中路66号"),
    ("观山湖健身馆", "520115", "健身", "长岭北路9号"), ("南明河洗衣坊", "520102", "洗衣", "沙冲路31号"),
    ("爽爽鲜花店", "520103", "鲜花", "北京路210号"), ("明亮眼镜店", "520102", "眼镜", "中华南路88号"),
    ("乐邻便利超市", "520112", "超市", "新添大道北段40号"), ("老街理发店", "520113", "理发", "白云南路17号"),
    ("白云文创工坊", "520113", "文创", "云峰大道5号"), ("金阳书吧", "520115", "书店", "金阳南路33号"),
    ("丝娃娃小吃店", "520102", "餐饮", "都司路12号"), ("黔灵山素食坊", "520103", "餐饮", "枣山路20号"),
    ("花果园社区药房", "520102", "药房", "花果园大街7号"), ("乌当温泉茶社", "520112", "茶饮", "新添寨北衙路3号"),
    ("小河康乐健身中心", "520111", "健身", "珠江路101号"), ("清镇爱心超市", "520181", "超市", "云岭东路56号"),
    ("修文阳明书屋", "520123", "书店", "阳明大道8号"), ("开阳富硒茶庄", "520121", "茶饮", "紫江路19号"),
    ("息烽乡味酸汤鱼", "520122", "餐饮", "永靖大道72号"), ("云岩便民洗衣店", "520103", "洗衣", "黔灵西路14号"),
    ("南明老字号糕点铺", "520102", "食品", "文昌南路29号"), ("世纪城鲜花坊", "520115", "鲜花", "金源街23号"),
    ("头桥光明眼镜", "520103", "眼镜", "头桥路45号"), ("溪北邻里超市", "520111", "超市", "明珠大道6号"),
    ("贵筑快剪理发", "520111", "理发", "贵筑路18号"), ("蜡染记忆文创馆", "520102", "文创", "青云路21号"),
    ("沙文科技书店", "520113", "书店", "高新路3号"), ("百花湖农家菜", "520115", "餐饮", "百花湖路11号"),
    ("中华路健康药房", "520103", "药房", "中华中路160号"), ("太慈桥面馆", "520102", "餐饮", "太慈路35号"),
    ("新天社区洗衣房", "520112", "洗衣", "新天大道210号"), ("红枫湖鲜果超市", "520181", "超市", "红枫大道9号"),
    ("扎佐乡村茶铺", "520123", "茶饮", "扎佐大道27号"), ("双流山货铺", "520121", "食品", "双流大街15号"),
    ("小寨坝健身会所", "520122", "健身", "小寨坝大道60号"), ("都拉营照相馆", "520113", "文创", "都拉营大道2号"),
]
REWARDS = {
    "书店": [("图书兑换券（30元）", 30), ("精选绘本一册", 25), ("读书会年卡", 80), ("帆布书袋", 10)],
    "餐饮": [("招牌粉面一碗", 12), ("双人简餐", 50), ("酸梅汤一杯", 6), ("家常菜一份", 30)],
    "茶饮": [("都匀毛尖一杯", 10), ("茶点拼盘", 30), ("下午茶双人套餐", 60), ("茶叶礼盒（小）", 120)],
    "药房": [("血压血糖检测一次", 5), ("家庭常备药包", 40), ("医用口罩一盒", 10), ("电子体温计", 35)],
    "食品": [("玫瑰糖一盒", 20), ("糕点礼盒", 50), ("手工米花糖", 15)],
    "健身": [("单次健身体验", 20), ("游泳单次票", 25), ("健身月卡", 150), ("瑜伽体验课", 30)],
    "洗衣": [("衣物干洗一件", 15), ("床品清洗一套", 40), ("皮鞋护理一双", 20)],
    "鲜花": [("鲜花一束", 30), ("多肉盆栽", 12), ("节日花篮", 80)],
    "眼镜": [("免费验光一次", 10), ("镜片清洗护理", 5), ("老花镜一副", 40)],
    "超市": [("米面油组合", 60), ("洗衣液一瓶", 20), ("鸡蛋一盒", 15), ("生活用品礼包", 45)],
    "理发": [("理发一次", 15), ("老人上门理发", 20), ("洗剪吹套餐", 30)],
    "文创": [("城市明信片一套", 8), ("蜡染书签", 12), ("非遗蜡染体验课", 60)],
}
VOUCHER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _sqlite_moments():
    """A function giving a moment as Django stores it on SQLite (naive UTC text, whole seconds) at a fraction of
    the ORM's cost: each minute is formatted once, then only the seconds are appended."""
    minutes: dict[int, str] = {}

    def at(ts: float) -> str:
        minute, second = divmod(int(ts), 60)
        prefix = minutes.get(minute)
        if prefix is None:
            if len(minutes) > 200_000:
                minutes.clear()
            prefix = minutes[minute] = time.strftime("%Y-%m-%d %H:%M:", time.gmtime(minute * 60))
        return f"{prefix}{second:02d}"

    return at


def _aware_moment(ts: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(int(ts), UTC)


def id_number(rng: random.Random, division: str, born: datetime.date, male: bool) -> str:
    """A valid 18-digit 公民身份号码 (GB 11643: the sequence is odd for men, even for women; MOD 11-2 check)."""
    sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)
    return make_id_number(division, born, sequence)


def person_name(rng: random.Random, male: bool) -> str:
    if rng.random() < 0.6:
        given = rng.choice(MALE_NAMES if male else FEMALE_NAMES)
    else:
        chars = MALE_CHARS if male else FEMALE_CHARS
        given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.8 else "")
    return rng.choice(SURNAMES) + given


def _landline(rng: random.Random) -> str:
    return f"0851-8{rng.randrange(10**6, 10**7)}"


class _World:
    """What the generator reads once: regions, organizations, categories, fields, the demo people."""

    def __init__(self):
        self.subdistricts = list(Region.objects.filter(level=Region.Level.SUBDISTRICT, code__startswith="5201").order_by("code"))
        if not self.subdistricts:
            self.subdistricts = list(Region.objects.filter(level=Region.Level.DISTRICT, code__startswith="5201").order_by("code"))
        self.by_district: dict[str, list[Region]] = {}
        for region in self.subdistricts:
            self.by_district.setdefault(region.code[:6], []).append(region)
        self.districts = {r.code: r for r in Region.objects.filter(level=Region.Level.DISTRICT, code__startswith="5201")}
        self.categories = {c.code: c for c in ServiceCategory.objects.all()}
        self.fields = {f.code: f.pk for f in ServiceField.objects.all()}
        self.users = {u.phone: u for u in User.objects.filter(phone__startswith="138000000")}
        self.officer_pk = {code: self.users[phone].pk for code, phone in OFFICER_FOR_DISTRICT.items() if phone in self.users}
        self.city_officer_pk = self.users[CITY_OFFICER].pk if CITY_OFFICER in self.users else None

    def officer_for(self, code: str):
        return self.officer_pk.get(code[:6], self.city_officer_pk)


@transaction.atomic
def build(rng: random.Random, *, volunteers: int, activities: int, records: int, merchants: int, vouchers: int,
          progress: bool = False) -> dict | None:
    """Seed 爱心银行 at the given scale; None (and nothing written) when it has been seeded already."""
    if Merchant.objects.filter(name=MERCHANTS[0][0]).exists() or Volunteer.objects.filter(phone__startswith=PHONE_PREFIX).exists():
        return None
    previous = None
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # a larger page cache while the indexes grow by millions of entries
            cursor.execute("PRAGMA cache_size")
            previous = cursor.fetchone()[0]
            cursor.execute("PRAGMA cache_size = -262144")
    try:
        gen = _Generator(rng, _World(), time.time(), progress)
        gen.volunteers(volunteers)
        gen.activities_and_service(activities, records)
        gen.awards(max(3, volunteers // 500))
        gen.merchants(merchants)
        gen.vouchers(vouchers)
        gen.accounts()
        gen.finish()
        return gen.demonstrate()
    finally:
        if previous is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(previous)}")


class _Generator:
    def __init__(self, rng, world: _World, now_ts: float, progress: bool):
        self.rng, self.world, self.now, self.progress = rng, world, now_ts, progress
        # Moments are epoch seconds while generating; ``at`` and ``day`` turn them into what the database stores.
        sqlite = connection.vendor == "sqlite"
        self.at = _sqlite_moments() if sqlite else _aware_moment
        self.day = str if sqlite else (lambda d: d)
        self.start = now_ts - 400 * DAY  # month buckets for "earned by then" start here
        self.issuer = Account.objects.get_or_create(kind=Account.Kind.ISSUER, volunteer=None)[0]
        self.pool = Account.objects.get_or_create(kind=Account.Kind.REWARD_POOL, volunteer=None)[0]
        self.issued = 0  # points out of the issuer
        self.pooled = 0  # points into the reward pool, net of returns
        self.transfers = Rows(Transfer, ["debit", "credit", "amount", "source", "source_ref", "idempotency_key", "memo",
                                         "reverses", "created_by", "created_at"])
        self.counts: dict[str, int] = {}

    # --- volunteers ---------------------------------------------------------------------------------------
    def volunteers(self, count: int) -> None:
        rng, world = self.rng, self.world
        users = Rows(User, ["password", "date_joined", "phone", "name", "phone_verified_at"])
        roles = Rows(RoleAssignment, ["user", "role", "granted_at"], parents=[users])
        rows = Rows(Volunteer, ["user", "number", "real_name", "id_number", "phone", "region", "skills",
                                "public_name_consent", "registered_at"], parents=[users])
        taken_ids = set(Volunteer.objects.exclude(id_number=None).values_list("id_number", flat=True))
        password = make_password(None)  # once: hashing per user would take minutes at city scale
        phones = set(User.objects.filter(phone__startswith=PHONE_PREFIX).values_list("phone", flat=True))
        serial = 0
        sequence, _ = Sequence.objects.get_or_create(name="volunteer")
        number = sequence.value
        # Plan first, then number in order of registration, as the registry would have.
        people = []
        for _n in range(count):
            if rng.random() < 0.85:
                registered = self.now - rng.uniform(395, 5 * 365) * DAY
            else:
                registered = self.now - rng.uniform(7, 365) * DAY
            people.append(registered)
        people.sort()
        demo_user = world.users.get(DEMO_VOLUNTEER_PHONE)
        demo_existing = Volunteer.objects.filter(user=demo_user).first() if demo_user else None
        self.vol_pk, self.user_pk, self.reg, self.district, self.weight, self.region_pk = [], [], [], [], [], []
        day0 = datetime.date(1950, 1, 1).toordinal()
        span = datetime.date(2005, 12, 31).toordinal() - day0
        for registered in tqdm(people, desc="志愿者", unit="人", leave=False, disable=not self.progress):
            male = rng.random() < 0.45
            name = person_name(rng, male)
            region = rng.choice(world.subdistricts)
            district = region.code[:6]
            division = district if rng.random() < 0.75 else rng.choice(GUIYANG_DISTRICTS)
            while True:
                born = datetime.date.fromordinal(day0 + rng.randrange(span + 1))
                ident = id_number(rng, division, born, male)
                if ident not in taken_ids:
                    taken_ids.add(ident)
                    break
            while (phone := f"{PHONE_PREFIX}{serial:08d}") in phones:
                serial += 1
            serial += 1
            joined = self.at(registered - rng.uniform(0, 3) * DAY)
            at = self.at(registered)
            user = users.add(password, joined, phone, name, joined)
            roles.add(user, Role.VOLUNTEER, at)
            number += 1
            skills = "、".join(rng.sample(SKILLS, rng.choice([0, 0, 1, 1, 2, 3])))
            pk = rows.add(user, f"ZY{datetime.datetime.fromtimestamp(registered, TZ).year}{number:07d}", name, ident, phone, region.pk, skills,
                          rng.random() < 0.4, at)
            self.vol_pk.append(pk)
            self.user_pk.append(user)
            self.reg.append(registered)
            self.district.append(district)
            self.region_pk.append(region.pk)
            self.weight.append(min(40.0, rng.paretovariate(1.4)))
        # The demo volunteer 孙志愿: a volunteer of 花果园街道 for two years.
        self.demo = None
        self.demo_existing = demo_existing
        if demo_user is not None:
            if demo_existing is not None:
                pk, region_pk, registered = demo_existing.pk, demo_existing.region_id, demo_existing.registered_at.timestamp()
                district = demo_existing.region.code[:6]
            else:
                region = next((r for r in world.subdistricts if r.name == "花果园街道"), world.subdistricts[0])
                region_pk, district, registered = region.pk, region.code[:6], self.now - 730 * DAY
                while True:
                    ident = id_number(rng, "520102", datetime.date(1988, 6, 18), True)
                    if ident not in taken_ids:
                        break
                number += 1
                pk = rows.add(demo_user.pk, f"ZY{datetime.datetime.fromtimestamp(registered, TZ).year}{number:07d}", demo_user.name or "孙志愿",
                              ident, demo_user.phone, region_pk, "急救、驾驶", True, self.at(registered))
                if not demo_user.has_role(Role.VOLUNTEER):
                    roles.add(demo_user.pk, Role.VOLUNTEER, self.at(registered))
            self.demo = len(self.vol_pk)
            self.vol_pk.append(pk)
            self.user_pk.append(demo_user.pk)
            self.reg.append(registered)
            self.district.append(district)
            self.region_pk.append(region_pk)
            self.weight.append(0.0)  # joins shifts chosen below, not at random
        for table in (users, roles, rows):
            table.flush()
        # Accounts now, before any transfer refers to them; their balances are set once all points have moved.
        accounts = Rows(Account, ["kind", "volunteer", "balance"], parents=[rows])
        self.account_base = accounts.next_id
        for v, pk in enumerate(self.vol_pk):
            if v == self.demo and demo_existing is not None:
                self.demo_account = Account.objects.get_or_create(kind=Account.Kind.VOLUNTEER, volunteer=demo_existing)[0]
            else:
                account = accounts.add(Account.Kind.VOLUNTEER, pk, 0)
                if account != self.account_base + v:  # the transfers are written with these ids
                    raise RuntimeError("volunteer accounts out of step with the volunteers")
        accounts.flush()
        Sequence.objects.filter(name="volunteer").update(value=max(number, sequence.value))
        self.counts["volunteers"] = count
        self.balance = [0] * len(self.vol_pk)  # the final balance, as the transfers are generated
        self.earned = [0] * len(self.vol_pk)
        self.buckets: dict[int, list[int]] = {}
        # Weighted pools to draw attendees from: the district's volunteers, and everybody.
        self.pools: dict[str, tuple[list[int], list[float]]] = {}
        by_district: dict[str, list[int]] = {}
        for i in range(count):
            by_district.setdefault(self.district[i], []).append(i)
        for code, members in by_district.items():
            self.pools[code] = (members, _cumulative([self.weight[i] for i in members]))
        self.everyone = (list(range(count)), _cumulative(self.weight[:count]))

    def _credit(self, v: int, amount: int, ts: float) -> None:
        self.balance[v] += amount
        self.earned[v] += amount
        bucket = min(15, max(0, int((ts - self.start) // (30 * DAY))))
        self.buckets.setdefault(v, [0] * 16)[bucket] += amount

    # --- activities, shifts, sign-ups, records --------------------------------------------------------------
    def _organizers(self, count: int):
        """(organization or None, region) for each activity: 阳光助残服务社 has several, a third are communities'."""
        rng, world = self.rng, self.world
        orgs = list(Organization.objects.filter(ACTIVE)
                    .select_related("region").order_by("pk"))
        fields: dict[int, list[str]] = {}
        codes = {pk: code for code, pk in world.fields.items()}
        for org_id, field_id in Organization.service_fields.through.objects.values_list("organization_id", "servicefield_id"):
            fields.setdefault(org_id, []).append(codes.get(field_id))
        demo_org = next((o for o in orgs if o.name == DEMO_ORGANIZATION), None)
        curated = [o for o in orgs if o.region.code in ("520100", *GUIYANG_DISTRICTS) and o.kind != Organization.Kind.COMMUNITY]
        plan = []
        if demo_org is not None:
            plan += [demo_org] * max(2, count // 30)
        while len(plan) < count:
            roll = rng.random()
            if roll < 0.33 or not orgs:
                plan.append(None)
            elif roll < 0.5 and curated:
                plan.append(rng.choice(curated[:12]))
            else:
                plan.append(rng.choice(orgs))
        result = []
        for org in plan[:count]:
            if org is None:
                result.append((None, rng.choice(world.subdistricts), []))
                continue
            if org.region.level == Region.Level.SUBDISTRICT:
                region = org.region
            else:
                region = rng.choice(world.by_district.get(org.region.code[:6], world.subdistricts))
            wanted = fields.get(org.pk, [])
            if org.name == DEMO_ORGANIZATION:
                wanted = ["disability", "elderly"]
            result.append((org, region, wanted))
        return result, demo_org

    def activities_and_service(self, count: int, target_records: int) -> None:
        rng, world = self.rng, self.world
        member = world.users.get(ORGANIZER_MEMBER)
        organizers, demo_org = self._organizers(count)
        activity_rows = Rows(Activity, ["title", "organization", "region", "category", "service_field", "summary", "description",
                                        "points_per_hour", "contact_name", "contact_phone", "status", "starts_on",
                                        "created_by", "created_at"])
        today = datetime.datetime.fromtimestamp(self.now, TZ).date()
        planned = []  # (activity fields…, shift specs)
        forced_demo = False
        for org, region, wanted in organizers:
            choices = [t for t in ACTIVITY_TEMPLATES if t[1] in wanted] or ACTIVITY_TEMPLATES
            category_code, field_code, title, summary, content, skills, place = rng.choice(choices)
            category = world.categories.get(category_code) or next(iter(world.categories.values()))
            n_shifts = rng.choice([1, 2, 2, 3, 3, 4])
            gap = rng.choice([1, 7, 7, 14])
            first = today + datetime.timedelta(days=rng.randint(-365, 60))
            if org is not None and org == demo_org and not forced_demo:
                # 吴经办's queue: this activity had shifts last week and the week before, and has more to come.
                forced_demo, n_shifts, gap, first = True, 4, 7, today - datetime.timedelta(days=10)
            slot = rng.choice(SLOTS)
            shifts = []
            for s in range(n_shifts):
                day = first + datetime.timedelta(days=s * gap)
                begin = datetime.datetime(day.year, day.month, day.day, *slot[0], tzinfo=TZ).timestamp()
                end = datetime.datetime(day.year, day.month, day.day, *slot[1], tzinfo=TZ).timestamp()
                shifts.append((begin, end))
            decider = member.pk if (org is not None and org == demo_org and member) else world.officer_for(region.code)
            cancelled = shifts[0][0] > self.now + 3 * DAY and rng.random() < 0.03
            planned.append((org, region, category, field_code, title, summary, content, skills, place, shifts, decider, cancelled))

        # How many attend each past shift: lognormal shares of the records wanted.
        past = [(a, s) for a, p in enumerate(planned) for s, (_b, end) in enumerate(p[9]) if end < self.now]
        weights = [rng.lognormvariate(0, 0.6) for _ in past]
        total = sum(weights) or 1
        attend = {key: max(1, round(target_records * w / total)) for key, w in zip(past, weights, strict=True)}
        for a, s in past:  # 吴经办's queue: the demo organization's last fortnight, a day's work to review
            if planned[a][0] is not None and planned[a][0] == demo_org and planned[a][9][s][1] > self.now - 14 * DAY:
                attend[(a, s)] = min(attend[(a, s)], rng.randint(8, 20))
        demo_shifts = set()
        if self.demo is not None:
            older = [key for key in past if planned[key[0]][9][key[1]][1] < self.now - 15 * DAY and not planned[key[0]][11]]
            professional = [key for key in older if planned[key[0]][2].code == "professional"]
            others = [key for key in older if key not in set(professional)]
            demo_shifts = set(rng.sample(professional, min(8, len(professional))) + rng.sample(others, min(14, len(others))))
            upcoming = [(a, s) for a, p in enumerate(planned) for s, (begin, _e) in enumerate(p[9])
                        if begin > self.now + 3 * DAY and not p[11]]
            self.demo_upcoming = rng.choice(upcoming) if upcoming else None

        # Activities first (their ids), then every shift in the order they happened: shift, sign-up, record and
        # transfer ids then follow time, as a live system's would, and the date indexes grow at one end.
        activity_ids, queues, published = [], [], []
        for org, region, category, field_code, title, summary, _content, _skills, _place, shifts, decider, cancelled in planned:
            published.append(min(shifts[0][0] - rng.uniform(21, 45) * DAY, self.now - DAY))
            activity_ids.append(activity_rows.add(
                f"{region.name}{title}"[:120], org.pk if org else None, region.pk, category.pk, world.fields.get(field_code),
                summary, f"{summary}请准时签到、签退，服务时长经组织方核实后计入志愿服务记录。", category.points_per_hour,
                person_name(rng, rng.random() < 0.5), _landline(rng),
                Activity.Status.CANCELLED if cancelled else Activity.Status.PUBLISHED,
                self.day(datetime.datetime.fromtimestamp(shifts[0][0], TZ).date()), decider,
                self.at(published[-1]),
            ))
            queues.append(org is not None and org == demo_org)  # records of the last fortnight wait for 吴经办
        activity_rows.flush()
        timeline = sorted((begin, a, s) for a, p in enumerate(planned) for s, (begin, _end) in enumerate(p[9]))

        shift_rows = Rows(Shift, ["activity", "starts_at", "ends_at", "place", "capacity", "skills", "confirmed",
                                  "next_position", "checkin_secret"], parents=[activity_rows])
        signups = Rows(SignUp, ["shift", "volunteer", "status", "position", "created_at", "cancelled_at", "checked_in_at",
                                "checked_out_at", "checkin_method"], parents=[shift_rows])
        record_rows = Rows(ServiceRecord, ["volunteer", "activity", "shift", "signup", "region", "served_on", "started_at",
                                           "ended_at", "minutes", "original_minutes", "points_per_hour", "points", "content",
                                           "status", "decided_by", "decided_at", "decline_reason", "created_at"],
                           parents=[signups])
        methods = [str(m) for m in (SignUp.Method.ORGANIZER_SCAN, SignUp.Method.SHIFT_CODE, SignUp.Method.SHIFT_CODE,
                                    SignUp.Method.MANUAL)]
        # Plain strings and bound methods in locals: the loop below runs once per sign-up, a million times a city.
        attended, confirmed_, cancelled_, waitlisted, no_show = (
            str(SignUp.Status.ATTENDED), str(SignUp.Status.CONFIRMED), str(SignUp.Status.CANCELLED),
            str(SignUp.Status.WAITLISTED), str(SignUp.Status.NO_SHOW),
        )
        pending, approved, declined = (str(ServiceRecord.Status.PENDING), str(ServiceRecord.Status.APPROVED),
                                       str(ServiceRecord.Status.DECLINED))
        service = str(Transfer.Source.SERVICE)
        at, uniform, random_, vol_pk, reg = self.at, rng.uniform, rng.random, self.vol_pk, self.reg
        add_signup, add_record, add_transfer = signups.add, record_rows.add, self.transfers.add
        issuer, demo, now = self.issuer.pk, self.demo, self.now
        demo_upcoming = getattr(self, "demo_upcoming", None)
        statuses = {approved: 0, pending: 0, declined: 0}
        for _begin, a, s in tqdm(timeline, desc="志愿服务记录", unit="班次", leave=False, disable=not self.progress):
            org, region, category, _field, title, _summary, content, skills, place, shifts, decider, cancelled = planned[a]
            begin, end = shifts[s]
            activity, queue, pph = activity_ids[a], queues[a], category.points_per_hour
            district, region_pk = region.code[:6], region.pk
            key = (a, s)
            if end < now:
                chosen = self._draw(attend[key], district, begin - DAY)
                if key in demo_shifts and demo not in chosen:
                    chosen.append(demo)
                extra = self._draw(max(0, round(len(chosen) * uniform(0, 0.12))), district, begin - DAY, exclude=set(chosen))
                entries = [(v, attended) for v in chosen]
                entries += [(v, no_show if random_() < 0.4 else cancelled_) for v in extra]
                taken = sum(1 for _v, status in entries if status != cancelled_)
                capacity = taken + rng.randint(0, max(1, taken // 5))
            elif cancelled:
                capacity = rng.choice([10, 15, 20, 30])
                entries = [(v, cancelled_) for v in self._draw(rng.randint(0, capacity // 2), district, begin - DAY)]
                taken = 0
            else:
                capacity = rng.choice([10, 15, 20, 20, 30, 40, 50])
                want = capacity + rng.randint(1, 5) if random_() < 0.15 else int(capacity * uniform(0.1, 0.95))
                chosen = self._draw(want, district, min(begin, now) - DAY)
                if key == demo_upcoming and demo not in chosen:
                    chosen.insert(0, demo)
                entries = [(v, confirmed_ if i < capacity else waitlisted) for i, v in enumerate(chosen)]
                entries += [(v, cancelled_) for v in self._draw(rng.randint(0, 2), district, begin - DAY, exclude=set(chosen))]
                taken = sum(1 for _v, status in entries if status == confirmed_)
                capacity = max(capacity, taken)
            # Arrival order: waitlisted people came last; the rest in any order.
            waiting = [e for e in entries if e[1] == waitlisted]
            ordered = [e for e in entries if e[1] != waitlisted]
            rng.shuffle(ordered)
            ordered += waiting
            begin_at = at(begin)
            shift = shift_rows.add(activity, begin_at, at(end), f"{region.name}{place}"[:120], capacity, skills, taken,
                                   len(ordered) + 1, _code(16))
            recent = end > now - 14 * DAY
            served_on = datetime.datetime.fromtimestamp(begin, TZ).date()
            day = self.day(served_on)
            memo = f"志愿服务：{region.name}{title} {served_on:%Y-%m-%d} "[:190]
            # Sign-ups come after the activity was published and before now, mostly in the three weeks before.
            latest = min(begin - 3600, now - 60)
            earliest = max(begin - 20 * DAY, published[a])
            if earliest > latest:
                earliest = published[a]
            for position, (v, status) in enumerate(ordered, start=1):
                signed = uniform(max(reg[v], earliest), latest)
                if status != attended:
                    cancelled_at = at(uniform(signed, min(begin - 1800, now - 30))) if status == cancelled_ else None
                    add_signup(shift, vol_pk[v], status, position, at(signed), cancelled_at, None, None, "")
                    continue
                checked_in = begin + uniform(-15, 10) * 60
                checked_out = min(end + uniform(-10, 20) * 60, now - 60)
                out_at = at(checked_out)
                started, started_at = (begin, begin_at) if checked_in <= begin else (checked_in, None)
                minutes = max(1, int((min(checked_out, end) - started) // 60))
                signup = add_signup(shift, vol_pk[v], status, position, at(signed), None, at(checked_in), out_at,
                                    methods[int(random_() * 4)])
                points = (2 * minutes * pph + 60) // 120  # minutes × rate ÷ 60, half up (services.points_for)
                if recent and v != demo and (queue or random_() < 0.5):
                    state, decided_at, by, reason = pending, None, None, ""
                else:
                    decided = max(checked_out, min(checked_out + uniform(2 * 3600, 5 * DAY), now - 60))
                    decided_at, by = at(decided), decider
                    if v != demo and random_() < 0.001:
                        state, reason = declined, rng.choice(DECLINE_REASONS)
                    else:
                        state, reason = approved, ""
                record = add_record(
                    vol_pk[v], activity, shift, signup, region_pk, day, started_at or at(started),
                    at(started + minutes * 60), minutes, minutes, pph, points, content, state, by, decided_at, reason, out_at,
                )
                statuses[state] += 1
                if state == approved and points > 0:
                    add_transfer(issuer, self._account(v), points, service, str(record), f"service:{record}",
                                 f"{memo}{round(minutes / 60, 2)} 小时", None, by, decided_at)
                    self.issued += points
                    self._credit(v, points, decided)
        for table in (shift_rows, signups, record_rows):
            table.flush()
        self.counts.update(activities=activity_rows.count, shifts=shift_rows.count, signups=signups.count,
                           records=record_rows.count, **{f"records_{k}": n for k, n in statuses.items()})

    def _draw(self, k: int, district: str, before: float, exclude: set | None = None) -> list[int]:
        """Up to ``k`` different volunteers registered before ``before``: most from the district, some from anywhere."""
        if k <= 0:
            return []
        rng = self.rng
        local = self.pools.get(district)
        everyone = self.everyone
        if not everyone[0]:
            return []
        if local is None or len(local[0]) < 3 * k:
            local = everyone
        chosen: list[int] = []
        seen = set(exclude or ())
        for _round in range(8):
            need = k - len(chosen)
            if need <= 0:
                break
            near = int(need * 1.3) + 1
            candidates = rng.choices(local[0], cum_weights=local[1], k=near)
            candidates += rng.choices(everyone[0], cum_weights=everyone[1], k=need // 4 + 1)
            for v in candidates:
                if v not in seen and self.reg[v] < before:
                    seen.add(v)
                    chosen.append(v)
                    if len(chosen) == k:
                        break
        return chosen

    def _account(self, v: int) -> int:
        return self.account_base + v if not (v == self.demo and self.demo_existing) else self.demo_account.pk

    def _transfer(self, debit, credit, amount, source, ref, memo, by, ts, reverses=None) -> int:
        return self.transfers.add(debit, credit, amount, source, str(ref), f"{source}:{ref}", memo[:200], reverses, by, self.at(ts))

    # --- awards -----------------------------------------------------------------------------------------------
    def awards(self, count: int) -> None:
        rng, world = self.rng, self.world
        year = datetime.datetime.fromtimestamp(self.now, TZ).year - 1
        conferred = min(datetime.datetime(year + 1, 1, 15, 10, tzinfo=TZ).timestamp(), self.now - DAY)
        rows = Rows(Award, ["year", "volunteer", "region", "title", "citation", "bonus_points", "conferred_by", "conferred_at"])
        ranked = sorted((v for v in range(len(self.vol_pk)) if v != self.demo), key=lambda v: -self.balance[v])
        for v in ranked[:count]:
            district = world.districts.get(self.district[v])
            by = world.officer_for(self.district[v])
            if district is None or by is None:
                continue
            bonus = rng.choice([50, 100, 100, 200])
            award = rows.add(year, self.vol_pk[v], district.pk, "好市民", rng.choice(CITATIONS), bonus, by, self.at(conferred))
            self._transfer(self.issuer.pk, self._account(v), bonus, Transfer.Source.AWARD, award,
                           f"{year} 年度好市民奖励积分", by, conferred)
            self.issued += bonus
            self._credit(v, bonus, conferred)
        rows.flush()
        self.counts["awards"] = rows.count

    # --- merchants and rewards --------------------------------------------------------------------------------
    def merchants(self, count: int) -> None:
        rng, world = self.rng, self.world
        today = datetime.datetime.fromtimestamp(self.now, TZ).date()
        merchant_rows = Rows(Merchant, ["name", "region", "address", "contact_phone", "introduction", "active", "joined_at"])
        reward_rows = Rows(Reward, ["merchant", "title", "description", "points_price", "stock", "per_person_limit",
                                    "valid_from", "valid_until", "voucher_days", "active", "created_at"], parents=[merchant_rows])
        self.rewards = []  # (pk, merchant index, price, limit, valid from ts, valid until ts, days, title, merchant name)
        self.merchant_pks = []
        names = set(Merchant.objects.values_list("name", flat=True))
        for n in range(count):
            base, district, kind, address = MERCHANTS[n % len(MERCHANTS)]
            regions = world.by_district.get(district, world.subdistricts)
            region = regions[(n // len(MERCHANTS)) % len(regions)]
            name = base if n < len(MERCHANTS) else f"{base}（{region.name}店）"
            if name in names:
                name = f"{base}（{n + 1}号店）"
            names.add(name)
            since = today - datetime.timedelta(days=rng.randint(120, 700))
            district_name = world.districts[district].name if district in world.districts else ""
            merchant = merchant_rows.add(
                name, region.pk, f"{district_name}{address}", _landline(rng),
                f"{kind}类爱心商家，积极参与爱心银行，为志愿者提供回馈。", True,
                self.at(datetime.datetime(since.year, since.month, since.day, 10, tzinfo=TZ).timestamp()),
            )
            self.merchant_pks.append(merchant)
            offers = REWARDS[kind]
            for title, price in rng.sample(offers, min(len(offers), rng.randint(2, 4))):
                start = max(since, today - datetime.timedelta(days=rng.randint(30, 420)))
                ended = n > 0 and rng.random() < 0.1
                until = today - datetime.timedelta(days=rng.randint(5, 25)) if ended else today + datetime.timedelta(days=rng.randint(30, 365))
                if until < start:
                    start = until - datetime.timedelta(days=60)
                days = rng.choice([30, 30, 60, 90])
                stock = rng.randint(10, 60) if n == 0 else (0 if rng.random() < 0.1 else rng.randint(1, 80))
                limit = rng.choice([1, 1, 2, 3, 5])
                start_ts = datetime.datetime(start.year, start.month, start.day, 9, tzinfo=TZ).timestamp()
                pk = reward_rows.add(merchant, title, f"{name}提供，凭兑换码到店使用。", price, stock, limit, self.day(start),
                                     self.day(until), days, True, self.at(start_ts))
                until_ts = datetime.datetime(until.year, until.month, until.day, 23, 59, tzinfo=TZ).timestamp()
                self.rewards.append((pk, n, price, limit, start_ts, until_ts, days, title, name))
        merchant_rows.flush()
        reward_rows.flush()
        self.counts.update(merchants=merchant_rows.count, rewards=reward_rows.count)

    # --- vouchers -----------------------------------------------------------------------------------------
    def vouchers(self, count: int) -> None:
        rng = self.rng
        merchant_user = self.world.users.get(DEMO_MERCHANT_PHONE)
        rows = Rows(Voucher, ["code", "reward", "volunteer", "points", "status", "idempotency_key", "created_at", "expires_at",
                              "redeemed_at", "redeemed_by", "closed_at"])
        history = Rows(VoucherStatusChange, ["voucher", "from_status", "to_status", "actor", "reason", "at"], parents=[rows])
        codes = set(Voucher.objects.values_list("code", flat=True))
        cheapest = min((r[2] for r in self.rewards), default=0)
        eligible = [v for v in range(len(self.vol_pk)) if v != self.demo and self.earned[v] >= cheapest]
        if not eligible or not self.rewards:
            self.counts["vouchers"] = 0
            return
        cum = _cumulative([self.earned[v] for v in eligible])
        spent: dict[int, int] = {}
        last: dict[int, float] = {}
        held: dict[tuple[int, int], int] = {}
        stats = dict.fromkeys(Voucher.Status.values, 0)
        made = 0
        for _attempt in range(count * 4):
            if made >= count:
                break
            v = rng.choices(eligible, cum_weights=cum)[0]
            r = rng.randrange(len(self.rewards))
            pk, merchant, price, limit, valid_from, valid_until, days, title, merchant_name = self.rewards[r]
            need = spent.get(v, 0) + price
            if need > self.earned[v] or held.get((v, r), 0) >= limit:  # returned points are not spent again
                continue
            low = max(self.start + (_month_reaching(self.buckets.get(v, ()), need) + 1) * 30 * DAY, last.get(v, 0), valid_from)
            high = min(self.now - 3600, valid_until)
            if low >= high:
                continue
            issued = rng.uniform(low, high)
            expires = issued + days * DAY
            redeemed_at = closed_at = None
            roll = rng.random()
            if expires > self.now:
                status = (Voucher.Status.ISSUED if roll < 0.55 else Voucher.Status.REDEEMED if roll < 0.93
                          else Voucher.Status.CANCELLED)
                end = self.now - 60
            else:
                status = (Voucher.Status.REDEEMED if roll < 0.85 else Voucher.Status.CANCELLED if roll < 0.92
                          else Voucher.Status.EXPIRED)
                end = expires
            if status == Voucher.Status.REDEEMED:
                redeemed_at = rng.uniform(issued, end)
            elif status == Voucher.Status.CANCELLED:
                closed_at = rng.uniform(issued, end)
            elif status == Voucher.Status.EXPIRED:
                closed_at = min(expires + 600, self.now - 60)
            while (code := "".join(rng.choice(VOUCHER_ALPHABET) for _ in range(10))) in codes:
                pass
            codes.add(code)
            spent[v] = need
            last[v] = issued
            held[(v, r)] = held.get((v, r), 0) + 1
            user = self.user_pk[v]
            redeemer = merchant_user.pk if (merchant == 0 and merchant_user) else None
            voucher = rows.add(code, pk, self.vol_pk[v], price, status, f"redeem:{self.vol_pk[v]}:demo-{made}", self.at(issued),
                               self.at(expires), self.at(redeemed_at) if redeemed_at else None,
                               redeemer if redeemed_at else None, self.at(closed_at) if closed_at else None)
            history.add(voucher, "", Voucher.Status.ISSUED, user, "", self.at(issued))
            out = self._transfer(self._account(v), self.pool.pk, price, Transfer.Source.REDEMPTION, voucher,
                                 f"兑换：{title}（{merchant_name}）", user, issued)
            self.balance[v] -= price
            self.pooled += price
            if redeemed_at:
                history.add(voucher, Voucher.Status.ISSUED, Voucher.Status.REDEEMED, redeemer, "", self.at(redeemed_at))
            elif closed_at:
                cancelled = status == Voucher.Status.CANCELLED
                actor = user if cancelled else None
                history.add(voucher, Voucher.Status.ISSUED, status, actor, "志愿者取消" if cancelled else "超过有效期未使用",
                            self.at(closed_at))
                self._transfer(self.pool.pk, self._account(v), price, Transfer.Source.REDEMPTION_RETURN, voucher,
                               f"{'取消' if cancelled else '过期'}退回：{title}", actor, closed_at, reverses=out)
                self.balance[v] += price
                self.pooled -= price
            stats[status] += 1
            made += 1
        rows.flush()
        history.flush()
        self.counts["vouchers"] = rows.count
        self.counts.update({f"vouchers_{k}": n for k, n in stats.items()})

    # --- accounts and the rest --------------------------------------------------------------------------------
    def accounts(self) -> None:
        """Each volunteer's balance as summed while generating; the system accounts move by what left or came in."""
        table = connection.ops.quote_name(Account._meta.db_table)
        sql = f"UPDATE {table} SET balance = %s WHERE id = %s"  # noqa: S608 - the model's table  # nosec B608
        changed = []
        for v, balance in enumerate(self.balance):
            if v == self.demo and self.demo_existing:
                Account.objects.filter(pk=self.demo_account.pk).update(balance=models.F("balance") + balance)
            elif balance:
                changed.append((balance, self.account_base + v))
        with connection.cursor() as cursor:
            for start in range(0, len(changed), BATCH):
                cursor.executemany(sql, changed[start:start + BATCH])
        Account.objects.filter(pk=self.issuer.pk).update(balance=models.F("balance") - self.issued)
        Account.objects.filter(pk=self.pool.pk).update(balance=models.F("balance") + self.pooled)

    def finish(self) -> None:
        self.transfers.flush()
        self.counts["transfers"] = self.transfers.count
        tables = [User, RoleAssignment, Volunteer, Account, Activity, Shift, SignUp, ServiceRecord, Transfer, Award,
                  Merchant, Reward, Voucher, VoucherStatusChange]
        with connection.cursor() as cursor:  # PostgreSQL: move the id sequences past the ids written here
            for sql in connection.ops.sequence_reset_sql(no_style(), tables):
                cursor.execute(sql)

    def demonstrate(self) -> dict:
        """Through the services, with their audit rows: 孙志愿's award, voucher and certificate; 周商家 at the counter."""
        world = self.world
        merchant_user = world.users.get(DEMO_MERCHANT_PHONE)
        if merchant_user is not None and self.merchant_pks:
            Merchant.objects.get(pk=self.merchant_pks[0]).members.add(merchant_user)
            if not merchant_user.has_role(Role.MERCHANT):
                grant_role(merchant_user, Role.MERCHANT, acting_user=None)
        if self.demo is not None:
            volunteer = Volunteer.objects.select_related("region", "user").get(pk=self.vol_pk[self.demo])
            officer = world.users.get(OFFICER_FOR_DISTRICT.get(volunteer.region.code[:6], CITY_OFFICER))
            district = world.districts.get(volunteer.region.code[:6])
            year = datetime.datetime.fromtimestamp(self.now, TZ).year - 1
            if officer is not None and district is not None:
                services.confer_award(acting_user=officer, volunteer=volunteer, year=year, region=district, bonus_points=100,
                                      citation="坚持参加社区应急救护培训和助残服务，热心助人。")
            today = timezone.localdate()
            reward = (Reward.objects.filter(merchant_id=self.merchant_pks[0], stock__gt=0, valid_from__lte=today,
                                            valid_until__gte=today).order_by("points_price").first()
                      if self.merchant_pks else None)
            if reward is not None and services.volunteer_balance(volunteer) >= reward.points_price:
                services.redeem(reward, volunteer=volunteer, acting_user=volunteer.user, idempotency_key="demo-first-voucher")
            if volunteer.records.filter(status=ServiceRecord.Status.APPROVED).exists():
                services.issue_certificate(volunteer, acting_user=volunteer.user)
        return self.counts


def _month_reaching(buckets, need: int) -> int:
    """The month bucket by the end of which ``need`` points had been earned."""
    running = 0
    for month, amount in enumerate(buckets):
        running += amount
        if running >= need:
            return month
    return len(buckets)


def _cumulative(weights) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out

