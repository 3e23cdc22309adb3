"""Demo content of the public site (筑城公益汇) for seed_demo's last step: the home page's text, the index pages,
news, policies with their original documents, twelve showcase projects of seeded organizations, two events, the
results page of the latest published 五比五看 and the open-data page.

Nothing is downloaded. Photos are illustrations drawn with Pillow (a scene per service field, captioned with the
shipped WenQuanYi font and marked 示意图); policy documents are PDFs drawn with reportlab and the same font
(:func:`core.pdf.cjk_font`). Pages are published by the system (``save_revision().publish()`` with no user), so
the showcase moderation workflow never sees seed content. Showcase projects are linked to the organizations,
contracts and grants the earlier steps seeded, matched by words in their names, and only ever to a contract or
grant of the project's own organization.

Idempotent: every page is looked up by its slug under its parent (an index page by its type) and only what is
missing is made, with its images and documents; the home page's text is written only while it is empty. A rerun
adds nothing.
"""

import datetime
import io
import random
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.db.models import Max, Sum
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.utils.file import hash_filelike

from core.money import format_wan
from orgs.models import Organization, ServiceField

from .models import (
    CampaignResultsPage,
    EventIndexPage,
    EventPage,
    HomePage,
    NewsIndexPage,
    NewsPage,
    OpenDataPage,
    PolicyAttachment,
    PolicyIndexPage,
    PolicyPage,
    ShowcaseIndexPage,
    ShowcaseOutcome,
    ShowcasePhoto,
    ShowcaseProjectPage,
)

TZ = ZoneInfo("Asia/Shanghai")
FONT_FILE = Path(settings.BASE_DIR) / "portal" / "fonts" / "wqy-microhei.ttc"
WIDTH, HEIGHT = 1200, 800
ACTIVE = (Organization.Status.REGISTERED, Organization.Status.FILED)


# --- pages ------------------------------------------------------------------------------------------------------
def build(rng: random.Random | None = None, *, today: datetime.date | None = None) -> dict[str, int]:
    """Make the public site's demo content that is missing; return how many pages of each kind were added."""
    rng = rng or random.Random(2026)  # noqa: S311 - illustrations, reproducible  # nosec B311
    today = today or timezone.localdate()
    home = HomePage.objects.get()
    added: dict[str, int] = {}
    _home(home, added)
    news = _index(home, NewsIndexPage, "news", "新闻动态", "民政部门社会组织管理、政府购买服务和志愿服务工作动态。", added)
    policies = _index(home, PolicyIndexPage, "policies", "政策法规", "社会组织登记管理、孵化资助、政府购买服务和志愿服务的政策文件，附正式文本下载。", added)
    showcase = _index(home, ShowcaseIndexPage, "showcase", "公益项目", "社会组织实施的公益项目：做了什么、服务了多少人、目标完成得怎样。", added)
    events = _index(home, EventIndexPage, "events", "公益活动", "筑城公益汇等面向市民的公益活动：成果展演、公益体验、人才推介和项目洽谈。", added)
    _index(home, OpenDataPage, "open-data", "公开数据", "社会组织名录、政府购买服务合同（OCDS）、资助项目（360Giving）和评价结果，可免费下载使用。", added, body=OPEN_DATA_BODY)
    results = _campaign_results(home, added)
    _policies(policies, added)
    projects = _showcase(showcase, today, rng, added)
    held = _events(events, today, projects, rng, added)
    _news(news, today, rng, added, results=results, event=held)
    return added


def _publish(parent, page):
    """Add ``page`` under ``parent`` and publish it as the system (no user, no moderation workflow)."""
    parent.refresh_from_db()
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def _count(added: dict, key: str):
    added[key] = added.get(key, 0) + 1


def _home(home: HomePage, added: dict):
    if len(home.body):
        return  # the editors' text stays as they wrote it
    home.hero_text = home.hero_text or HERO_TEXT
    home.body = HOME_BODY
    home.save_revision().publish()
    _count(added, "home")


def _index(home, model, slug, title, intro, added, *, body=None):
    page = model.objects.first()
    if page is None:
        page = model(title=title, slug=_free_slug(home, slug), intro=intro)
        if body is not None:
            page.body = body
        _publish(home, page)
        _count(added, model._meta.model_name)
    return page


def _child(parent, model, slug):
    return model.objects.child_of(parent).filter(slug=slug).first()


def _free_slug(parent, slug: str) -> str:
    """``slug``, or ``slug-2``, ``slug-3`` … when an editor's page under ``parent`` already has it."""
    from wagtail.models import Page

    taken = set(Page.objects.child_of(parent).filter(slug__startswith=slug).values_list("slug", flat=True))
    candidate, n = slug, 1
    while candidate in taken:
        n += 1
        candidate = f"{slug}-{n}"
    return candidate


def _campaign_results(home, added) -> CampaignResultsPage | None:
    """The results page of the latest 五比五看 whose results are published (none before one is)."""
    from evaluations.models import Campaign
    from evaluations.queries import campaigns_with_results

    campaign = campaigns_with_results().filter(kind=Campaign.Kind.PUBLIC).first()
    if campaign is None:
        return None
    page = CampaignResultsPage.objects.filter(campaign=campaign).first()
    if page is not None:
        return page
    valid = campaign.results.filter(valid=True).count()
    raters = campaign.ratings.values("user_id").distinct().count()
    published_on = timezone.localtime(campaign.published_at or timezone.now()).date()
    page = CampaignResultsPage(
        title=f"{campaign.year}年度“五比五看”评价结果", slug=_free_slug(home, f"campaign-results-{campaign.year}"),
        campaign=campaign,
        intro=f"{campaign.title}结果已于{_cn_date(published_on)}发布，共 {valid:,} 家社会组织取得有效评价结果。",
        body=[
            _heading("评价办法"),
            _paragraph(
                f"本次评价围绕“比政治立场看谁更爱党、比核心价值观看谁更爱国、比敬业奉献看谁更爱民、比助推发展看谁更爱贵阳、"
                f"比专业规范看谁更爱公益”五个维度进行。群众评价占 {campaign.public_weight}%，干部和专家评分占 "
                f"{100 - campaign.public_weight}%；参与评价的群众不少于 {campaign.min_raters} 人的，评价结果有效。"
            ),
            _paragraph(f"评价期间共有 {raters:,} 名实名认证的市民参与评价。评价结果已同步到各社会组织的公开信息页面。"),
            _notice("结果说明", "<p>排名按加权总分从高到低排列，总分相同的按组织名称排序。对结果有异议的，可拨打 12345 服务热线反映。</p>"),
        ],
    )
    _publish(home, page)
    _count(added, "campaign_results")
    return page


def _policies(index, added):
    for spec in POLICIES:
        if _child(index, PolicyPage, spec.slug) is not None:
            continue
        page = PolicyPage(
            title=spec.title, slug=spec.slug, issuer=spec.issuer, document_number=spec.number, issued_on=spec.issued_on,
            effective_on=spec.effective_on, validity=spec.validity, intro=spec.intro,
            body=[_paragraph(f"<p>{escape(p)}</p>") for p in spec.articles],
        )
        files = [("正式文本", spec.title, spec.articles)]
        if spec.reading:
            files.append(("政策解读", f"《{spec.title}》政策解读", spec.reading))
        page.attachments = [
            PolicyAttachment(document=_document(spec, label, heading, paragraphs, n), title=f"{label}（PDF）")
            for n, (label, heading, paragraphs) in enumerate(files, start=1)
        ]
        _publish(index, page)
        _count(added, "policy")


def _showcase(index, today, rng, added) -> list[ShowcaseProjectPage]:
    from grants.models import ApplicationStatus, Contract, GrantApplication

    contracts = list(
        Contract.objects.filter(status__in=(Contract.Status.ACTIVE, Contract.Status.COMPLETED))
        .select_related("organization").order_by("pk")
    )
    funded = list(
        GrantApplication.objects.filter(status__in=(
            ApplicationStatus.AWARDED, ApplicationStatus.AGREEMENT, ApplicationStatus.IN_PROGRESS,
            ApplicationStatus.COMPLETED,
        )).select_related("organization").order_by("pk")
    )
    fields = {f.code: f for f in ServiceField.objects.all()}
    used = set(ShowcaseProjectPage.objects.values_list("organization_id", flat=True))
    pages = []
    for spec in PROJECTS:
        page = _child(index, ShowcaseProjectPage, spec.slug)
        if page is not None:
            pages.append(page)
            continue
        contract = _match(contracts, "title", spec.contract_words, used)
        grant = None if contract else _match(funded, "project_title", spec.grant_words, used)
        organization = (contract or grant).organization if (contract or grant) else _organization(spec.patterns, used)
        if organization is None:
            continue  # no organization at all yet: nothing to show
        used.add(organization.pk)
        # The organization's own contract or grant about the same thing, if it has one.
        if contract is None:
            contract = next((c for c in contracts if c.organization_id == organization.pk and _has(c.title, spec.contract_words)), None)
        if grant is None:
            grant = next((g for g in funded if g.organization_id == organization.pk and _has(g.project_title, spec.grant_words)), None)
        funding = contract or grant
        started = funding.starts_on if funding and funding.starts_on else _months_before(today, spec.months)
        ended = funding.ends_on if funding and funding.ends_on else started + datetime.timedelta(days=364)
        page = ShowcaseProjectPage(
            title=spec.title, slug=spec.slug, organization=organization, service_field=fields.get(spec.field),
            summary=spec.summary, started_on=started, ended_on=ended, people_reached=spec.people, contract=contract,
            grant_application=grant, featured=spec.featured, body=_project_body(spec, organization),
            search_description=spec.summary,
        )
        page.photos = [
            ShowcasePhoto(image=_image(f"{spec.title}：{caption}", spec.theme, caption, rng, f"{spec.slug}-{n}"), caption=caption)
            for n, caption in enumerate(spec.photos, start=1)
        ]
        page.outcomes = [
            ShowcaseOutcome(indicator=indicator, unit=unit, target=Decimal(str(target)), achieved=Decimal(str(achieved)))
            for indicator, unit, target, achieved in spec.outcomes
        ]
        _publish(index, page)
        _count(added, "showcase")
        pages.append(page)
    return pages


def _has(text: str, words) -> bool:
    return any(word in text for word in words)


def _match(rows, attribute, words, used):
    """The first row whose ``attribute`` contains one of ``words``, preferring organizations not shown yet."""
    hits = [row for row in rows if words and _has(getattr(row, attribute), words)]
    return next((row for row in hits if row.organization_id not in used), hits[0] if hits else None)


def _organization(patterns, used) -> Organization | None:
    """An active organization whose name has one of ``patterns`` (in order), preferring one not shown yet."""
    for pattern in patterns:
        candidates = list(Organization.objects.filter(status__in=ACTIVE, name__contains=pattern).order_by("pk")[:50])
        fresh = [o for o in candidates if o.pk not in used]
        if fresh or candidates:
            return (fresh or candidates)[0]
    return Organization.objects.filter(status__in=ACTIVE).exclude(pk__in=used).order_by("pk").first()


def _months_before(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _project_body(spec, organization) -> list:
    return [
        _heading("项目背景"),
        _paragraph(f"<p>{escape(spec.background)}</p>"),
        _heading("主要做法"),
        _paragraph("<ol>" + "".join(f"<li>{escape(step)}</li>" for step in spec.approach) + "</ol>"),
        _quote(*spec.quote),
        _paragraph(f"<p>项目由{escape(organization.name)}实施。项目照片为示意图，服务对象信息已作隐私处理。</p>"),
    ]


def _events(index, today, projects, rng, added) -> EventPage | None:
    shown = list(dict.fromkeys(p.organization_id for p in projects))
    partners = list(
        Organization.objects.filter(status__in=ACTIVE, name__in=["筑城公益基金会", "贵阳市志愿服务联合会"]).values_list("pk", flat=True)
    )
    held_on = today - datetime.timedelta(days=61)
    coming_on = today + datetime.timedelta(days=26)
    plans = [
        (EVENT_HELD, held_on, shown + partners),
        (EVENT_COMING, coming_on, (shown[:6] + partners)),
    ]
    held = None
    for spec, day, organization_ids in plans:
        page = _child(index, EventPage, spec["slug"])
        if page is None:
            season = "冬春夏秋"[(day.month % 12) // 3] + "季"
            title, caption, banner = (spec[key].format(season=season) for key in ("title", "caption", "banner"))
            cover = _image(title, "stage", caption, rng, spec["slug"], banner=banner)
            page = EventPage(
                title=title, slug=spec["slug"], venue=spec["venue"], intro=spec["intro"],
                starts_at=datetime.datetime.combine(day, spec["starts"], tzinfo=TZ),
                ends_at=datetime.datetime.combine(day + datetime.timedelta(days=spec["days"] - 1), spec["ends"], tzinfo=TZ),
                sessions=[
                    {"type": "session", "value": {
                        "kind": kind, "title": name, "place": place, "description": description,
                        "starts_at": datetime.datetime.combine(day + datetime.timedelta(days=offset), at, tzinfo=TZ).isoformat(),
                    }}
                    for kind, name, offset, at, place, description in spec["sessions"]
                ],
                body=[{"type": "image", "value": {"image": cover.pk, "alt_text": caption, "decorative": False}},
                      *spec["body"]()],
                **spec["outcomes"],
            )
            _publish(index, page)
            page.organizations.set(list(dict.fromkeys(organization_ids)))
            _count(added, "event")
        if spec is EVENT_HELD:
            held = page
    return held


def _news(index, today, rng, added, *, results, event):
    if NewsPage.objects.child_of(index).filter(slug__in=[slug for slug, *_ in NEWS]).count() == len(NEWS):
        return
    facts = _facts(results, event)
    for slug, days_ago, theme, make in NEWS:
        if _child(index, NewsPage, slug) is not None:
            continue
        title, intro, body, caption, *on = make(facts)
        # An article about a dated fact (a signature, a publication) carries that date when it is a past one.
        day = on[0] if on and on[0] and on[0] <= today else today - datetime.timedelta(days=days_ago)
        page = NewsPage(title=title, slug=slug, date=day, intro=intro, body=body)
        if theme:
            page.cover = _image(title, theme, caption, rng, slug)
        _publish(index, page)
        _count(added, "news")


def _facts(results, event) -> dict:
    """What the news articles quote from the seeded rows, so an article never contradicts the site's own data."""
    from grants.models import Contract, Residency
    from grants.permissions import open_calls
    from orgs.models import CreditListing
    from volunteers.models import ServiceRecord, Volunteer

    contract = (
        Contract.objects.filter(status__in=(Contract.Status.ACTIVE, Contract.Status.COMPLETED))
        .select_related("organization", "project__purchaser").order_by("-signed_on", "-pk").first()
    )
    minutes = ServiceRecord.objects.filter(status=ServiceRecord.Status.APPROVED).aggregate(s=Sum("minutes"))["s"] or 0
    open_call = open_calls().order_by("closes_at", "pk").first()
    graduates = Residency.objects.filter(status=Residency.Status.GRADUATED).exclude(outcome=Residency.Outcome.FAILED)
    return {
        "results": results,
        "valid": results.campaign.results.filter(valid=True).count() if results else 0,
        "event": event,
        "contract": contract,
        "graduated": graduates.count(),
        "graduated_on": graduates.aggregate(last=Max("left_on"))["last"],
        "volunteers": Volunteer.objects.count(),
        "hours": minutes // 60,
        "abnormal": CreditListing.objects.filter(kind=CreditListing.Kind.ABNORMAL, removed_on__isnull=True).count(),
        "open_call": open_call,
    }


# --- documents and images ---------------------------------------------------------------------------------------
def _document(spec, label, heading, paragraphs, n) -> Document:
    data = policy_pdf(heading, spec.issuer, spec.number, spec.issued_on, paragraphs, label=label)
    document = Document(title=f"{spec.title}（{label}）", file=ContentFile(data, name=f"{spec.slug}-{n}.pdf"),
                        file_size=len(data), file_hash=hash_filelike(io.BytesIO(data)))
    document.save()
    return document


def policy_pdf(title: str, issuer: str, number: str, issued_on: datetime.date, paragraphs, *, label="正式文本") -> bytes:
    """A policy document as a PDF with the embedded CJK font: 文号, title, articles, issuer and date."""
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    from core.pdf import cjk_font

    font = cjk_font()
    centred = ParagraphStyle("meta", fontName=font, fontSize=11, leading=18, alignment=TA_CENTER, wordWrap="CJK")
    heading = ParagraphStyle("title", parent=centred, fontSize=18, leading=30, textColor="#b71c1c")
    text = ParagraphStyle("text", fontName=font, fontSize=12, leading=22, firstLineIndent=24, wordWrap="CJK", spaceAfter=4)
    right = ParagraphStyle("sign", parent=text, alignment=TA_RIGHT, firstLineIndent=0)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, title=title, author=issuer, subject=label,
        leftMargin=28 * mm, rightMargin=26 * mm, topMargin=30 * mm, bottomMargin=25 * mm,
    )

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 9)
        canvas.drawCentredString(A4[0] / 2, 12 * mm, f"— {doc.page} —    演示文件，仅供参考")
        canvas.restoreState()

    story = [Paragraph(escape(issuer), centred), Paragraph(escape(number), centred), Spacer(1, 10),
             Paragraph(escape(title), heading), Spacer(1, 12)]
    story += [Paragraph(escape(p), text) for p in paragraphs]
    story += [Spacer(1, 24), Paragraph(escape(issuer), right),
              Paragraph(_cn_date(issued_on), right)]
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _image(title: str, theme: str, caption: str, rng: random.Random, name: str, *, banner: str = "") -> Image:
    data = scene_jpeg(theme, caption, rng, banner=banner)
    image = Image(title=title[:255], file=ImageFile(io.BytesIO(data), name=f"demo-{name}.jpg"),
                  file_size=len(data), file_hash=hash_filelike(io.BytesIO(data)))
    image.save()
    return image


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILE), size, index=0)


# theme: (sky top, sky bottom, ground, accent, motif, sign on the building)
THEMES = {
    "elderly": ((255, 214, 170), (255, 245, 225), (150, 190, 110), (211, 84, 0), "heart", "长者食堂"),
    "disability": ((170, 215, 245), (235, 247, 255), (130, 185, 120), (21, 101, 192), "heart", "康复驿站"),
    "youth": ((180, 225, 250), (240, 250, 255), (140, 200, 110), (46, 125, 50), "book", "四点半课堂"),
    "drugs": ((200, 220, 240), (245, 248, 252), (120, 170, 120), (183, 28, 28), "shield", "禁毒宣传站"),
    "children": ((255, 200, 215), (255, 240, 245), (150, 200, 120), (216, 27, 96), "balloon", "儿童之家"),
    "health": ((190, 235, 225), (240, 252, 248), (130, 190, 130), (0, 137, 123), "cross", "健康小屋"),
    "community": ((200, 225, 245), (250, 250, 240), (140, 185, 110), (93, 64, 55), "bubble", "邻里议事厅"),
    "culture": ((230, 205, 245), (252, 245, 255), (145, 190, 120), (123, 31, 162), "note", "文化活动室"),
    "volunteering": ((255, 225, 180), (255, 250, 235), (150, 195, 115), (230, 81, 0), "phone", "智慧助老课堂"),
    "women": ((250, 210, 220), (255, 246, 240), (150, 195, 120), (194, 24, 91), "star", "巾帼家政培训"),
    "environment": ((175, 225, 200), (235, 250, 240), (110, 175, 95), (27, 94, 32), "tree", "绿色驿站"),
    "relief": ((210, 220, 240), (248, 248, 252), (135, 185, 120), (40, 53, 147), "heart", "社会工作服务站"),
    "hall": ((200, 215, 235), (245, 248, 252), (170, 180, 190), (21, 101, 192), "star", "政务服务中心"),
    "bank": ((255, 215, 200), (255, 246, 240), (150, 195, 120), (198, 40, 40), "heart", "爱心银行"),
    "stage": ((120, 160, 220), (235, 240, 255), (160, 160, 170), (198, 40, 40), "heart", "筑城公益汇"),
}
SKIN = [(241, 194, 160), (232, 178, 140), (224, 172, 128), (250, 210, 180)]
CLOTHES = [(25, 118, 210), (211, 47, 47), (56, 142, 60), (251, 192, 45), (123, 31, 162), (0, 151, 167), (245, 124, 0), (96, 125, 139)]
HAIR = [(40, 30, 25), (70, 50, 40), (200, 200, 200), (30, 30, 30)]


def scene_jpeg(theme: str, caption: str, rng: random.Random, *, banner: str = "") -> bytes:
    """A 1200×800 illustrative JPEG for ``theme``: sky, hills, a building with its sign (or a stage with a banner),
    people, the theme's motif and a caption bar marked 示意图."""
    top, bottom, ground, accent, motif, sign = THEMES[theme]
    mask = PILImage.linear_gradient("L").resize((WIDTH, HEIGHT))
    picture = PILImage.composite(PILImage.new("RGB", (WIDTH, HEIGHT), bottom), PILImage.new("RGB", (WIDTH, HEIGHT), top), mask)
    draw = ImageDraw.Draw(picture, "RGBA")
    sun_x = rng.randrange(760, 1080)
    draw.ellipse((sun_x - 60, 70, sun_x + 60, 190), fill=(255, 244, 200, 230))
    for _ in range(3):
        x, y = rng.randrange(40, 1100), rng.randrange(60, 240)
        for dx, dy, r in ((0, 0, 34), (38, -14, 42), (80, 0, 32)):
            draw.ellipse((x + dx - r, y + dy - r * 0.7, x + dx + r, y + dy + r * 0.7), fill=(255, 255, 255, 200))
    _hills(draw, rng, 430, _shade(ground, 1.15, 150), 60)
    _hills(draw, rng, 500, _shade(ground, 1.0, 255), 40)
    draw.rectangle((0, 590, WIDTH, HEIGHT), fill=_shade(ground, 0.85, 255))
    draw.polygon([(430, HEIGHT), (560, 590), (640, 590), (770, HEIGHT)], fill=(225, 220, 205, 255))
    left = rng.random() < 0.5
    if theme == "stage":
        _stage(draw, accent, banner or sign)
    else:
        _building(draw, rng, 90 if left else 690, accent, sign)
        for x in ([900, 1080] if left else [110, 300]):
            _tree(draw, x + rng.randrange(-30, 30), 600, rng.randrange(40, 60), _shade(ground, 0.6, 255))
    crowd = rng.randrange(4, 8)
    xs = sorted(rng.sample(range(120, 1100, 60), crowd))
    for x in xs:
        scale = rng.choice([1.0, 1.0, 0.9, 0.7])
        _person(draw, rng, x, 640 + rng.randrange(0, 60), scale)
    _badge(draw, motif, accent)
    draw.rectangle((0, HEIGHT - 96, WIDTH, HEIGHT), fill=(20, 30, 40, 170))
    draw.text((40, HEIGHT - 48), caption[:28], font=_font(38), fill=(255, 255, 255), anchor="lm")
    draw.text((WIDTH - 36, HEIGHT - 48), "示意图 · 筑城公益汇", font=_font(22), fill=(230, 230, 230), anchor="rm")
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=80, optimize=True)
    return buffer.getvalue()


def _shade(rgb, factor, alpha):
    return (*(max(0, min(255, int(c * factor))) for c in rgb), alpha)


def _hills(draw, rng, base, colour, height):
    points = [(0, HEIGHT), (0, base)]
    for x in range(0, WIDTH + 150, 150):
        points.append((x, base - rng.randrange(0, height)))
    points.append((WIDTH, HEIGHT))
    draw.polygon(points, fill=colour)


def _building(draw, rng, x, accent, sign):
    width, top, base = 420, 330, 600
    wall = rng.choice([(250, 244, 230), (240, 240, 245), (250, 236, 220)])
    draw.rectangle((x, top, x + width, base), fill=(*wall, 255), outline=(150, 140, 130), width=3)
    draw.polygon([(x - 20, top), (x + width // 2, top - 90), (x + width + 20, top)], fill=_shade(accent, 0.9, 255))
    for row in range(2):
        for col in range(4):
            wx, wy = x + 30 + col * 100, top + 80 + row * 70
            draw.rectangle((wx, wy, wx + 60, wy + 45), fill=(180, 215, 240, 255), outline=(120, 120, 120), width=2)
    door = x + width // 2
    draw.rectangle((door - 40, base - 95, door + 40, base), fill=(120, 85, 60, 255))
    draw.rounded_rectangle((x + 40, top + 14, x + width - 40, top + 62), radius=8, fill=(*accent, 255))
    draw.text((door, top + 38), sign, font=_font(30), fill=(255, 255, 255), anchor="mm")


def _stage(draw, accent, banner):
    draw.rectangle((180, 250, 1020, 520), fill=_shade(accent, 1.0, 255))
    draw.rectangle((200, 270, 1000, 500), fill=_shade(accent, 0.8, 255))
    draw.text((600, 360), banner, font=_font(64), fill=(255, 236, 179), anchor="mm")
    draw.text((600, 440), "公益成果展演 · 公益体验 · 人才推介 · 项目洽谈", font=_font(30), fill=(255, 255, 255), anchor="mm")
    draw.rectangle((140, 520, 1060, 590), fill=(90, 70, 60, 255))
    for x in (120, 1080):
        draw.rectangle((x - 6, 270, x + 6, 590), fill=(80, 80, 90, 255))
        draw.ellipse((x - 22, 250, x + 22, 290), fill=(255, 240, 180, 255))


def _tree(draw, x, base, size, colour):
    draw.rectangle((x - 8, base - size, x + 8, base), fill=(110, 80, 55, 255))
    draw.ellipse((x - size, base - size * 2.6, x + size, base - size * 0.8), fill=colour)


def _person(draw, rng, x, foot, scale):
    height = 150 * scale
    head = 20 * scale
    body_top = foot - height + head * 2
    colour = rng.choice(CLOTHES)
    draw.line((x - 10 * scale, foot - height * 0.4, x - 12 * scale, foot), fill=(60, 60, 80), width=max(3, int(9 * scale)))
    draw.line((x + 10 * scale, foot - height * 0.4, x + 12 * scale, foot), fill=(60, 60, 80), width=max(3, int(9 * scale)))
    draw.rounded_rectangle((x - 26 * scale, body_top, x + 26 * scale, foot - height * 0.35), radius=int(14 * scale), fill=colour)
    arm = rng.choice([-1, 1])
    draw.line((x + 24 * scale * arm, body_top + 12 * scale, x + 46 * scale * arm, body_top - 24 * scale * (rng.random() < 0.4)),
              fill=colour, width=max(3, int(10 * scale)))
    draw.ellipse((x - head, body_top - head * 2.1, x + head, body_top - 0.1 * head), fill=rng.choice(SKIN))
    draw.chord((x - head, body_top - head * 2.2, x + head, body_top - head * 0.6), 180, 360, fill=rng.choice(HAIR))


def _badge(draw, motif, accent):
    cx, cy, r = 110, 110, 70
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 255, 255, 235), outline=(*accent, 255), width=5)
    colour = (*accent, 255)
    if motif == "heart":
        draw.ellipse((cx - 36, cy - 30, cx + 2, cy + 6), fill=colour)
        draw.ellipse((cx - 2, cy - 30, cx + 36, cy + 6), fill=colour)
        draw.polygon([(cx - 35, cy - 5), (cx + 35, cy - 5), (cx, cy + 38)], fill=colour)
    elif motif == "book":
        draw.polygon([(cx - 40, cy - 28), (cx - 2, cy - 20), (cx - 2, cy + 34), (cx - 40, cy + 26)], fill=colour)
        draw.polygon([(cx + 40, cy - 28), (cx + 2, cy - 20), (cx + 2, cy + 34), (cx + 40, cy + 26)], fill=colour)
    elif motif == "shield":
        draw.polygon([(cx, cy - 42), (cx + 36, cy - 28), (cx + 30, cy + 14), (cx, cy + 42), (cx - 30, cy + 14), (cx - 36, cy - 28)], fill=colour)
        draw.line((cx - 14, cy, cx - 2, cy + 14, cx + 18, cy - 14), fill=(255, 255, 255), width=8)
    elif motif == "balloon":
        draw.ellipse((cx - 26, cy - 44, cx + 26, cy + 16), fill=colour)
        draw.line((cx, cy + 16, cx - 6, cy + 46), fill=(90, 90, 90), width=3)
    elif motif == "cross":
        draw.rectangle((cx - 12, cy - 38, cx + 12, cy + 38), fill=colour)
        draw.rectangle((cx - 38, cy - 12, cx + 38, cy + 12), fill=colour)
    elif motif == "bubble":
        draw.rounded_rectangle((cx - 42, cy - 34, cx + 30, cy + 14), radius=14, fill=colour)
        draw.polygon([(cx - 24, cy + 10), (cx - 32, cy + 34), (cx - 6, cy + 12)], fill=colour)
        draw.rounded_rectangle((cx - 6, cy - 6, cx + 44, cy + 30), radius=12, fill=_shade(accent, 1.4, 255))
    elif motif == "note":
        draw.ellipse((cx - 34, cy + 10, cx - 6, cy + 34), fill=colour)
        draw.ellipse((cx + 8, cy + 2, cx + 36, cy + 26), fill=colour)
        draw.line((cx - 8, cy + 22, cx - 8, cy - 34, cx + 34, cy - 42, cx + 34, cy + 14), fill=colour, width=7)
    elif motif == "phone":
        draw.rounded_rectangle((cx - 24, cy - 42, cx + 24, cy + 42), radius=8, fill=colour)
        draw.rectangle((cx - 18, cy - 32, cx + 18, cy + 26), fill=(220, 240, 255))
    elif motif == "tree":
        draw.rectangle((cx - 6, cy, cx + 6, cy + 40), fill=(110, 80, 55))
        draw.polygon([(cx, cy - 44), (cx + 36, cy + 10), (cx - 36, cy + 10)], fill=colour)
    else:  # star
        import math

        points = []
        for k in range(10):
            radius = 42 if k % 2 == 0 else 18
            angle = math.pi / 2 + k * math.pi / 5
            points.append((cx + radius * math.cos(angle), cy - radius * math.sin(angle)))
        draw.polygon(points, fill=colour)


# --- StreamField values ---------------------------------------------------------------------------------------------
def _heading(text: str, size: str = "h2") -> dict:
    return {"type": "heading", "value": {"text": text, "size": size}}


def _paragraph(html: str) -> dict:
    return {"type": "paragraph", "value": html if html.startswith("<") else f"<p>{html}</p>"}


def _notice(title: str, html: str, tone: str = "info") -> dict:
    return {"type": "notice", "value": {"title": title, "text": html, "tone": tone}}


def _quote(text: str, source: str = "") -> dict:
    return {"type": "quote", "value": {"text": text, "source": source}}


def _cn_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _page_link(page, text: str) -> str:
    return f'<a linktype="page" id="{page.pk}">{escape(text)}</a>' if page else escape(text)


# --- content --------------------------------------------------------------------------------------------------------
HERO_TEXT = "社会组织登记备案、孵化资助、政府购买服务、爱心银行和“五比五看”评价，一网申请、一网审批、一网公开。"
HOME_BODY = [
    _heading("筑城公益汇"),
    _paragraph(
        "筑城公益汇是市民政局搭建的公益展示与资源对接平台。社会组织在这里展示服务成果，市民在这里了解身边的公益项目、"
        "参加志愿服务、为社会组织评价打分；政府部门、爱心企业和基金会在这里发现好项目、对接好团队。"
    ),
    _paragraph(
        "<ul><li>查社会组织：登记备案信息、信用状况、承接的项目和评价结果一目了然；</li>"
        "<li>看公益项目：每个项目的服务人数、目标完成情况都有数可查；</li>"
        "<li>做志愿服务：在爱心银行报名活动，服务时长经核实后累积积分，可兑换爱心商家的回馈。</li></ul>"
    ),
    _notice("办事咨询", "<p>社会组织登记、备案和政府购买服务业务咨询请拨打 <b>12345</b> 市民服务热线，工作日 9:00–17:00。</p>"),
]
OPEN_DATA_BODY = [
    _heading("数据说明"),
    _paragraph(
        "本页提供的数据由门户根据业务数据自动生成，随业务办理实时更新。社会组织名录包含登记备案的基本信息和信用状况；"
        "政府购买服务数据按开放合同数据标准（OCDS）发布；资助项目数据按 360Giving 标准发布；评价结果为已发布的"
        "“五比五看”评价结果。"
    ),
    _notice(
        "使用条件",
        "<p>数据可免费下载、使用和再发布，请注明来源“贵阳市民政局社会组织与购买服务管理门户”。数据不含个人身份信息，"
        "志愿者和服务对象的信息不对外公开。</p>",
    ),
]


@dataclass(frozen=True)
class PolicySpec:
    slug: str
    title: str
    issuer: str
    number: str
    issued_on: datetime.date
    effective_on: datetime.date | None
    validity: str
    intro: str
    articles: tuple[str, ...]
    reading: tuple[str, ...] = ()


POLICIES = [
    PolicySpec(
        "registration-measures-2025", "贵阳市社会组织登记管理实施办法", "贵阳市民政局", "筑民发〔2025〕12号",
        datetime.date(2025, 3, 18), datetime.date(2025, 5, 1), PolicyPage.Validity.IN_FORCE,
        "规范社会团体、社会服务机构、基金会的登记和社区社会组织的备案，推行全程网上办理，办理进度实时可查。",
        (
            "第一条　为规范社会组织登记管理，优化登记服务，促进社会组织健康有序发展，根据有关法律法规，结合本市实际，制定本办法。",
            "第二条　本办法适用于本市行政区域内社会团体、社会服务机构、基金会的成立、变更、注销登记，以及社区社会组织的备案。",
            "第三条　登记管理机关推行登记事项全程网上办理。申请人可通过社会组织与购买服务管理门户提交申请材料、查询办理进度、领取电子证书。",
            "第四条　行业协会商会类、科技类、公益慈善类、城乡社区服务类社会组织，可直接向登记管理机关申请登记。",
            "第五条　社区社会组织由街道（乡镇）社区服务中心在听取居民委员会意见后予以备案，发给备案回执。",
            "第六条　登记管理机关对材料齐全、符合法定形式的申请，应当当场受理；材料不全的，一次性告知需要补正的全部内容。",
            "第七条　成立登记自受理之日起 60 日内作出决定，申请登记为慈善组织的，自受理之日起 30 日内作出决定；变更、注销登记自受理之日起 30 日内作出决定。需要补正材料的，补正期间不计入办理期限。",
            "第八条　社会组织应当于每年 5 月 31 日前报送上一年度工作报告。未按规定报送的，依法列入活动异常名录。",
            "第九条　本办法自 2025 年 5 月 1 日起施行。《贵阳市社区社会组织备案管理暂行办法》（筑民发〔2019〕7号）同时废止。",
        ),
        (
            "一、为什么出台《办法》？近年来，我市社会组织数量持续增长，群众对登记服务便捷性的要求越来越高。《办法》将登记、备案全流程搬到网上，让数据多跑路、群众少跑腿。",
            "二、主要变化有哪些？一是全程网上办理，电子证书附二维码可在线核验；二是法定办理期限自受理之日起在门户倒计时，办理进度实时可查；三是社区社会组织备案统一纳入门户管理。",
            "三、已备案的社区社会组织需要重新备案吗？不需要。原备案信息已迁移至门户，组织负责人登录后核对即可。",
        ),
    ),
    PolicySpec(
        "community-filing-2019", "贵阳市社区社会组织备案管理暂行办法", "贵阳市民政局", "筑民发〔2019〕7号",
        datetime.date(2019, 4, 10), datetime.date(2019, 5, 1), PolicyPage.Validity.REPEALED,
        "已由《贵阳市社会组织登记管理实施办法》（筑民发〔2025〕12号）废止，仅供查阅。",
        (
            "第一条　为培育发展社区社会组织，规范备案管理，制定本办法。",
            "第二条　本办法所称社区社会组织，是指由社区居民发起成立，在城乡社区开展为民服务、公益慈善、邻里互助、文体娱乐等活动的社会组织。",
            "第三条　社区社会组织向所在街道（乡镇）提交备案申请表、组织章程、负责人和成员名单，经审核后予以备案。",
            "第四条　街道（乡镇）应当建立社区社会组织备案台账，每年向区（市、县）民政部门报送备案情况。",
            "第五条　本办法自 2019 年 5 月 1 日起施行。",
        ),
    ),
    PolicySpec(
        "government-procurement-services", "政府购买服务管理办法", "中华人民共和国财政部", "财政部令第102号",
        datetime.date(2020, 1, 3), datetime.date(2020, 3, 1), PolicyPage.Validity.IN_FORCE,
        "规范政府购买服务行为：购买主体、承接主体、购买内容和目录、购买活动的实施、合同及履行、监督管理。",
        (
            "【要点摘编，全文以财政部公布的文本为准】",
            "一、政府购买服务，是指各级国家机关将属于自身职责范围且适合通过市场化方式提供的服务事项，按照政府采购方式和程序，交由符合条件的服务供应商承担，并根据服务数量和质量等因素向其支付费用的行为。",
            "二、依法成立的企业、社会组织（不含由财政拨款保障的群团组织），公益二类和从事生产经营活动的事业单位，农村集体经济组织，基层群众性自治组织，以及具备条件的个人可以作为政府购买服务的承接主体。",
            "三、政府购买服务合同应当明确服务的内容、期限、数量、质量、价格，资金结算方式，各方权利义务事项和违约责任等内容。",
            "四、政府购买服务合同履行期限一般不超过 1 年；在预算保障的前提下，对于购买内容相对固定、连续性强、经费来源稳定、价格变化幅度小的政府购买服务项目，可以签订履行期限不超过 3 年的政府购买服务合同。",
        ),
    ),
    PolicySpec(
        "procurement-rules-2024", "贵阳市政府向社会组织购买服务实施细则", "贵阳市民政局　贵阳市财政局", "筑民发〔2024〕30号",
        datetime.date(2024, 6, 20), datetime.date(2024, 7, 1), PolicyPage.Validity.IN_FORCE,
        "明确向社会组织购买服务的指导性目录、承接主体条件、绩效评价和按节点付款的要求。",
        (
            "第一条　为推进政府向社会组织购买服务工作，提高公共服务供给质量和效率，根据《政府购买服务管理办法》（财政部令第102号），制定本细则。",
            "第二条　市民政局会同市财政局编制政府向社会组织购买服务指导性目录，包括养老助残、社区帮扶、禁毒防毒、社区文体、儿童关爱、社会工作服务等类别，每年动态调整。",
            "第三条　承接主体应当依法登记、具有独立承担民事责任的能力，治理结构健全，近三年无严重违法失信记录，年度报告按时报送。",
            "第四条　购买主体应当在合同中约定服务对象、服务数量和质量指标，按履约节点分期支付，最后一期款项根据绩效评价结果支付。",
            "第五条　绩效评价由购买主体、第三方机构和服务对象共同参与，评价结果作为后续承接政府购买服务的重要参考。",
            "第六条　项目信息、合同和绩效评价结果按照开放合同数据标准在门户公开，接受社会监督。",
            "第七条　本细则自 2024 年 7 月 1 日起施行。",
        ),
    ),
    PolicySpec(
        "incubation-bases-2023", "贵阳市社会组织孵化基地建设管理办法", "贵阳市民政局", "筑民发〔2023〕21号",
        datetime.date(2023, 8, 8), datetime.date(2023, 9, 1), PolicyPage.Validity.IN_FORCE,
        "建设市、区、社区三级社会组织孵化基地，规范入驻、孵化服务和出壳评估，配套初创补贴和公益创投资助。",
        (
            "第一条　为培育发展社会组织，规范孵化基地建设和管理，制定本办法。",
            "第二条　全市建设市级社会组织孵化中心、区（市、县）社会组织孵化基地和街道（乡镇）社区社会组织孵化点三级孵化体系。",
            "第三条　孵化基地为入驻组织提供办公场地、导师辅导、能力培训、资源对接和财务代理等服务，孵化期一般为一至两年。",
            "第四条　孵化期满，孵化基地组织出壳评估，评估结论分为优秀、合格和不合格。评估合格的准予出壳。",
            "第五条　对新成立的入驻组织给予初创补贴；对优秀公益项目通过公益创投等方式给予资助，资助资金按协议分期拨付。",
            "第六条　本办法自 2023 年 9 月 1 日起施行。",
        ),
    ),
    PolicySpec(
        "love-bank-points-2025", "贵阳市“爱心银行”志愿服务积分管理办法（试行）", "贵阳市民政局", "筑民发〔2025〕7号",
        datetime.date(2025, 2, 26), datetime.date(2025, 3, 5), PolicyPage.Validity.IN_FORCE,
        "志愿服务时长经组织方核实后按规则计入积分，积分可在爱心商家兑换回馈；明确积分的记录、更正、兑换和有效期。",
        (
            "第一条　为弘扬志愿精神，建立志愿服务激励回馈机制，制定本办法。",
            "第二条　志愿者实名注册后参加志愿服务活动，服务时长由活动组织方如实记录并核实。",
            "第三条　一般志愿服务每小时计 1 分，专业志愿服务可按活动规则计分。每条经核实的服务记录只计分一次。",
            "第四条　服务记录有误的，由组织方作出更正记录，保留原值、更正值、更正人和原因，不得删除原记录。",
            "第五条　积分可在爱心商家兑换回馈，兑换后不予退回；兑换凭证过期或取消的，积分和库存予以恢复。",
            "第六条　本办法自 2025 年 3 月 5 日起试行。",
        ),
    ),
    PolicySpec(
        "wubi-wukan-plan-2025", "贵阳市社会组织“五比五看”评价工作实施方案", "贵阳市民政局", "筑民通〔2025〕15号",
        datetime.date(2025, 8, 12), datetime.date(2025, 8, 12), PolicyPage.Validity.IN_FORCE,
        "以五个维度组织群众评价和干部评分，结果在门户公布并作为社会组织评估、购买服务和资助的参考。",
        (
            "一、评价维度：比政治立场看谁更爱党，比核心价值观看谁更爱国，比敬业奉献看谁更爱民，比助推发展看谁更爱贵阳，比专业规范看谁更爱公益。",
            "二、评价方式：实名认证的市民在评价期内对身边的社会组织逐维度打分，每人对每个组织评价一次，评价期内可修改；干部和专家按评分细则打分。",
            "三、结果计算：群众评价和干部、专家评分按活动规定的权重加权，参与评价人数达到规定数量的，结果有效。",
            "四、结果运用：评价结果在门户公布，记入社会组织公开信息，并作为等级评估、承接政府购买服务和获得资助的参考。",
        ),
    ),
]


@dataclass(frozen=True)
class ProjectSpec:
    slug: str
    title: str
    field: str
    theme: str
    patterns: tuple[str, ...]
    summary: str
    background: str
    approach: tuple[str, ...]
    quote: tuple[str, str]
    outcomes: tuple[tuple[str, str, float, float], ...]
    people: int
    photos: tuple[str, ...]
    months: int
    featured: bool = False
    contract_words: tuple[str, ...] = ()
    grant_words: tuple[str, ...] = ()


PROJECTS = [
    ProjectSpec(
        "elderly-meal-service", "“幸福食堂”社区长者助餐服务", "elderly", "elderly",
        ("南明区社区养老服务中心", "居家养老", "养老"),
        "在社区长者食堂为老年人提供平价午餐，为高龄、失能老人送餐上门，配套健康监测和探访服务。",
        "辖区 60 岁以上老年人占常住人口近两成，其中独居、空巢老人 1,300 余人。调研中，“吃饭难”是老人反映最集中的问题："
        "子女上班顾不上，自己做饭不方便，外卖又不合口味。",
        ("依托社区服务中心改建长者食堂，每日供应两荤两素一汤，老人按年龄享受分档就餐补贴；",
         "为 80 岁以上和失能半失能老人送餐上门，送餐员同时完成“一问二看三记录”探访；",
         "每周二在食堂开展血压血糖测量和健康讲座，发现异常及时联系家属和家庭医生。"),
        ("以前中午常常一碗面条对付，现在走几步就能吃上热乎饭，还有人陪着说说话。", "服务对象 李奶奶（82岁）"),
        (("助餐服务", "人次", 36000, 41250), ("送餐上门", "人次", 8000, 9120), ("服务满意率", "%", 90, 96)),
        1320, ("长者食堂午餐时间", "志愿者为高龄老人送餐上门", "健康监测进食堂"), 14, True,
        ("居家养老",), ("长者食堂", "独居老人"),
    ),
    ProjectSpec(
        "disability-home-rehab", "残疾人居家康复“一户一策”", "disability", "disability", ("阳光助残服务社", "助残"),
        "康复师与志愿者结对上门，为持证残疾人制定个性化康复计划，开展康复训练、辅具适配和家庭无障碍改造。",
        "不少残疾人出院后因出行不便中断了康复训练，身体功能退化、心理压力大，家属也缺乏照护技能。",
        ("康复师入户评估，为每户制定“一户一策”康复计划，每月上门指导不少于 2 次；",
         "链接残联和爱心企业，为有需要的家庭适配轮椅、助行器等辅具，完成扶手、坡道等无障碍改造；",
         "开展家属照护培训和“同伴支持”小组，帮助残疾人走出家门、融入社区。"),
        ("康复师每次来都手把手地教，现在他能自己扶着栏杆下楼晒太阳了。", "服务对象家属 王女士"),
        (("入户康复指导", "人次", 1800, 2064), ("辅具适配与无障碍改造", "户", 40, 46), ("家属照护培训", "人", 120, 133)),
        156, ("康复师入户指导训练", "轮椅辅具适配", "同伴支持小组活动"), 16, True,
        ("残疾人居家康复",), ("残疾人居家康复",),
    ),
    ProjectSpec(
        "youth-after-school", "“四点半课堂”青少年成长陪伴", "youth", "youth", ("云岩区青少年成长服务中心", "青少年成长"),
        "为双职工家庭和随迁子女提供放学后的课业辅导、阅读推广、安全教育和兴趣课程，让孩子放学有去处。",
        "放学后到家长下班前的“四点半”时段，不少孩子无人看护，独自在家或在街头游荡，存在安全隐患。",
        ("在 3 个社区设立课堂，由社工、退休教师和大学生志愿者轮值，周一至周五开放；",
         "开设作业辅导、绘本阅读、科学实验和书法课程，每学期举办一次成长汇报展；",
         "定期开展防溺水、防欺凌和交通安全教育，并为家长开办家庭教育讲座。"),
        ("孩子在这里写完作业还能看会儿书，我们下班来接很放心。", "学生家长 陈先生"),
        (("课后托管服务", "人次", 12000, 13480), ("阅读推广活动", "场", 60, 72), ("家庭教育讲座", "场", 12, 14)),
        236, ("志愿者辅导作业", "绘本阅读时间", "成长汇报展"), 20, True, (), ("四点半课堂", "外来务工人员子女"),
    ),
    ProjectSpec(
        "anti-drug-campaign", "禁毒宣传进社区进校园", "drugs", "drugs", ("花溪区禁毒志愿者协会", "禁毒"),
        "以情景剧、知识竞赛和互动体验等群众喜闻乐见的形式开展禁毒宣传，提升青少年和家庭识毒、防毒、拒毒的能力。",
        "新型毒品伪装性强，不少青少年和家长难以辨识；社区戒毒社区康复人员回归社会也需要持续帮扶。",
        ("组建禁毒宣讲团，编排禁毒情景剧走进中小学和社区巡演；",
         "在社区广场设置仿真毒品展示和互动体验区，开展“禁毒知识大闯关”；",
         "配合禁毒社工为社区康复人员提供就业指导和家庭支持，帮助其顺利回归社会。"),
        ("看了情景剧才知道，有些伪装成零食饮料的东西可能是毒品，我要告诉身边的同学。", "初二学生 小杨"),
        (("禁毒宣传活动", "场", 40, 48), ("受教育群众", "人次", 20000, 26300)),
        26300, ("禁毒情景剧校园巡演", "禁毒知识大闯关"), 11, False, ("禁毒",), ("禁毒",),
    ),
    ProjectSpec(
        "children-wishes", "困境儿童“微心愿”关爱行动", "women", "children", ("儿童", "托育", "妇女儿童"),
        "摸排困境儿童和留守儿童的实际需求，链接爱心企业和市民认领“微心愿”，并开展长期的结对成长陪伴。",
        "困境儿童的心愿往往很朴素：一个新书包、一双运动鞋、一次去科技馆的机会。仅靠家庭难以满足，孩子们更需要有人长期陪伴。",
        ("社工逐户走访建立成长档案，收集“微心愿”并在社区公示，由爱心企业和市民认领；",
         "结对志愿者每月探访，陪伴学习和生活，关注孩子的心理状态；",
         "寒暑假组织成长营，带孩子们走进科技馆、博物馆和大学校园。"),
        ("收到新书包那天，孩子高兴得睡不着，说以后也要帮助别人。", "受助儿童的奶奶"),
        (("实现微心愿", "个", 300, 342), ("结对陪伴探访", "人次", 1200, 1386), ("成长营活动", "场", 6, 8)),
        342, ("为孩子送去微心愿礼物", "志愿者结对陪伴学习", "成长营走进科技馆"), 12, False,
        ("困境儿童",), ("微心愿", "困境儿童"),
    ),
    ProjectSpec(
        "chronic-care-elderly", "慢病老人健康管理服务", "health", "health", ("健康促进", "卫生健康", "养老"),
        "为慢性病老人建立健康档案，提供用药提醒、定期随访和健康讲座，联动社区卫生服务中心做到早发现、早干预。",
        "辖区高血压、糖尿病老人较多，普遍存在漏服药、复查不及时的情况，一些老人直到病情加重才就医。",
        ("联合社区卫生服务中心为老人建立健康档案，录入用药和复查计划；",
         "社工和志愿者每周电话随访、每月上门测量，数据异常即转介家庭医生；",
         "开设“健康大讲堂”和慢病自我管理小组，教老人科学饮食和适量运动。"),
        ("血压一高他们马上提醒我去复查，比儿女还上心。", "服务对象 张大爷"),
        (("建立健康档案", "份", 200, 214), ("随访服务", "人次", 4800, 5230), ("健康讲座", "场", 24, 26)),
        214, ("上门测量血压", "健康大讲堂"), 9, False, ("慢病老人", "健康管理"), (),
    ),
    ProjectSpec(
        "neighbourhood-council", "“邻里议事厅”社区协商共治", "community", "community", ("邻里互助会", "邻里互助"),
        "培育居民议事会和楼栋长队伍，搭建“有事好商量”的议事平台，协商解决停车、加装电梯、环境整治等公共事务。",
        "老旧小区停车难、楼道堆物、加装电梯意见不一，矛盾积累多，居民缺少理性协商的渠道。",
        ("按楼栋推选楼栋长，组建由居民、物业、业委会和社区组成的议事会；",
         "采用“提出议题、收集意见、协商议事、公示结果、跟踪落实”五步议事法，每月召开议事会；",
         "培训居民骨干掌握议事规则，议事成果每季度在社区公示栏和门户发布。"),
        ("吵了两年的停车问题，大家坐下来商量了三次就定下了方案。", "居民代表 刘阿姨"),
        (("召开议事会", "场", 24, 31), ("协商解决公共事务", "件", 30, 38), ("培育楼栋长", "人", 60, 68)),
        3200, ("居民议事会现场", "楼栋长培训", "议事成果公示"), 18, True, ("邻里互助", "议事协商"), ("邻里互助议事",),
    ),
    ProjectSpec(
        "community-arts", "社区文艺队伍培育与邻里文化节", "culture", "culture", ("社区文艺队", "文化艺术"),
        "扶持社区文艺队、健身队规范发展，提供排练场地和专业指导，每年举办邻里文化节，丰富居民精神文化生活。",
        "社区里爱唱爱跳的居民不少，但队伍松散、缺少场地和指导，活动也多局限在少数人中。",
        ("为文体队伍提供排练场地，聘请专业老师每月指导，帮助队伍建立章程和活动制度；",
         "以“老带新”的方式吸引年轻居民和孩子加入，组建亲子合唱团；",
         "每年举办邻里文化节，文体队伍轮流登台，居民评选“最受欢迎节目”。"),
        ("跳了十几年广场舞，第一次有老师来教，还上了文化节的舞台。", "社区文艺队队长 周阿姨"),
        (("培育文体队伍", "支", 10, 12), ("文体活动", "场", 96, 112), ("参与居民", "人次", 8000, 9650)),
        9650, ("邻里文化节演出", "文艺队排练"), 24, False, ("文体活动",), ("社区文体队伍",),
    ),
    ProjectSpec(
        "seniors-smartphone", "老年人智能手机培训课堂", "volunteering", "volunteering", ("老年协会", "志愿服务"),
        "大学生志愿者手把手教老年人使用移动支付、网上挂号和视频通话，帮助老人跨越“数字鸿沟”。",
        "越来越多的服务搬到了手机上，不少老人不会挂号、不会扫码，出门办事处处受限。",
        ("编写图文并茂的大字版教材，按“挂号、支付、出行、视频通话”分主题授课；",
         "大学生志愿者一对一辅导，课后建立互助群，随时答疑；",
         "在社区设置“智慧助老”服务点，每周固定时间现场帮办。"),
        ("现在我自己会在手机上挂号了，还能跟外地的孙子视频聊天。", "学员 赵奶奶"),
        (("培训课程", "节", 32, 40), ("培训老年人", "人次", 400, 486)),
        486, ("志愿者一对一辅导", "智慧助老课堂"), 8, False, (), ("智能手机",),
    ),
    ProjectSpec(
        "women-home-skills", "巾帼家政技能培训与就业服务", "women", "women", ("巾帼志愿服务队", "巾帼", "妇女儿童"),
        "为困难家庭妇女和失业女性提供育婴、养老护理和家政服务技能培训，对接家政企业实现就近就业。",
        "辖区部分困难家庭妇女有就业意愿，但缺少技能和就业信息，只能打零工，收入不稳定。",
        ("联合职业培训学校开设育婴员、养老护理员和家政服务员培训班；",
         "组织学员参加职业技能鉴定，为取得证书的学员建立就业档案；",
         "与家政企业和社区养老机构对接，推荐学员就近上岗并跟踪回访。"),
        ("拿到养老护理员证书后，我在社区养老服务中心上了班，离家近还能照顾孩子。", "学员 黄女士"),
        (("技能培训", "人", 150, 172), ("取得职业技能证书", "人", 90, 104), ("实现就业", "人", 60, 71)),
        172, ("养老护理技能实训", "家政服务结业典礼"), 10, False,
    ),
    ProjectSpec(
        "green-family", "垃圾分类“绿色家庭”督导行动", "environment", "environment", ("环保", "生态"),
        "招募培训小区垃圾分类督导员，在投放点现场指导居民分类投放，开展“绿色家庭”评选和旧物置换集市。",
        "垃圾分类推行初期，居民分类意识不强，投放点混投现象普遍，分类效果难以保持。",
        ("招募居民和志愿者担任督导员，在早晚投放高峰时段值守指导；",
         "上门发放分类指南和分类垃圾桶，开展“绿色家庭”评选，每月公布各楼栋分类准确率；",
         "每季度举办旧物置换集市，倡导减量和循环利用。"),
        ("督导员天天在投放点讲，现在全家都养成了分类的习惯。", "居民 吴先生"),
        (("分类投放准确率", "%", 80, 87), ("培训督导员", "人", 50, 58), ("评选绿色家庭", "户", 200, 236)),
        4100, ("督导员指导分类投放", "旧物置换集市"), 13, False, (), ("垃圾分类",),
    ),
    ProjectSpec(
        "social-work-station", "社工站困难群众个案帮扶", "relief", "relief", ("社会工作服务中心", "慈善救助"),
        "运营社会工作服务站，为低保、特困和临时救助对象提供入户探访、需求评估、资源链接和个案帮扶。",
        "困难群众的需求往往不止于物质救助，还有就医、就学、就业和心理方面的困难，需要专业社工长期跟进。",
        ("社工对辖区困难群众逐户探访，建立需求评估档案，分级分类提供服务；",
         "对因病、因残、因学陷入困境的家庭开展个案管理，制定帮扶计划并定期评估；",
         "链接慈善组织、爱心企业和志愿者资源，解决困难家庭的急难愁盼问题。"),
        ("社工帮我们申请了临时救助，还给孩子联系了助学金，日子总算有了盼头。", "服务对象 杨先生"),
        (("入户探访", "户次", 1500, 1642), ("个案帮扶", "个", 60, 67), ("链接帮扶资金", "万元", 20, 26.5)),
        820, ("社工入户探访", "个案会商"), 15, False, ("社会工作服务站", "困难群众探访"),
    ),
]


def _held_body():
    return [
        _heading("活动成效"),
        _paragraph(
            "两天时间里，百余家社会组织集中展示了养老助残、儿童关爱、禁毒防毒、社区治理等领域的服务成果，"
            "5 万人次市民走进会场，体验了急救培训、手语教学、无障碍出行和垃圾分类等公益项目。"
        ),
        _paragraph(
            "项目洽谈会上，政府购买服务主体、爱心企业和基金会与社会组织现场对接项目 46 个，意向捐赠 328 万元；"
            "人才推介会推介优秀社工和公益项目负责人 128 名。"
        ),
        _quote("公益不是少数人的事。筑城公益汇让市民看见社会组织在做什么，也让更多人找到参与公益的方式。", "市民政局负责人"),
    ]


def _coming_body():
    return [
        _paragraph(
            "公益集市面向全体市民开放，无需报名。现场设置社会组织服务展示、爱心义卖、志愿服务体验和公益项目对接四个区域。"
            "志愿者在现场服务满 2 小时，经组织方核实后可获得爱心银行积分。"
        ),
        _notice("参展报名", "<p>社会组织可登录门户，在“我的组织”中提交参展申请，报名截止至活动前 7 天。</p>"),
    ]


EVENT_HELD = {
    "slug": "third-zhucheng-gongyihui", "title": "第三届筑城公益汇", "venue": "贵阳国际生态会议中心",
    "intro": "全市社会组织公益成果集中展演，市民公益体验、社会工作人才推介和公益项目洽谈同场举行。",
    "starts": datetime.time(9, 0), "ends": datetime.time(17, 30), "days": 2,
    "banner": "第三届筑城公益汇", "caption": "第三届筑城公益汇主会场",
    "sessions": [
        ("showcase", "社会组织公益成果展演", 0, datetime.time(9, 30), "主会场 A 馆",
         "百余家社会组织以展板、实物和情景表演展示服务成果，优秀项目现场路演。"),
        ("experience", "市民公益体验", 0, datetime.time(10, 0), "B 馆公益体验区",
         "急救培训、手语教学、无障碍出行和垃圾分类体验，完成体验可获得爱心银行积分。"),
        ("talent", "社会工作人才推介会", 1, datetime.time(9, 30), "C 馆多功能厅",
         "优秀社工和公益项目负责人现场分享，社会组织与高校、企业双向对接人才需求。"),
        ("matching", "公益项目洽谈会", 1, datetime.time(14, 0), "二楼洽谈区",
         "购买服务主体、爱心企业和基金会与社会组织面对面洽谈，现场签约一批公益项目。"),
    ],
    "body": _held_body,
    "outcomes": {"visitors": 50000, "projects_matched": 46, "donations_pledged": Decimal("3280000.00"), "talents_presented": 128},
}
EVENT_COMING = {
    "slug": "community-charity-market", "title": "筑城公益汇·{season}公益集市", "venue": "观山湖公园南门广场",
    "intro": "社会组织服务展示、爱心义卖、志愿服务体验和公益项目对接，欢迎市民带家人朋友一起参加。",
    "starts": datetime.time(10, 0), "ends": datetime.time(17, 0), "days": 1,
    "banner": "筑城公益汇·{season}公益集市", "caption": "{season}公益集市活动现场",
    "sessions": [
        ("showcase", "社区公益项目展示", 0, datetime.time(10, 0), "A 区展位", "社区社会组织展示一年来的服务成果。"),
        ("experience", "志愿服务体验", 0, datetime.time(10, 30), "B 区", "义剪、义诊、家电维修和手工制作，市民可现场报名当一回志愿者。"),
        ("talent", "公益达人分享会", 0, datetime.time(14, 0), "主舞台", "好市民志愿者和社工讲述身边的公益故事。"),
        ("matching", "小微公益项目对接", 0, datetime.time(15, 0), "C 区洽谈桌", "社区需求与爱心企业、志愿服务队现场对接。"),
    ],
    "body": _coming_body,
    "outcomes": {},
}


def _news_registration(facts):
    return (
        "社会组织登记“一网通办”全面上线",
        "社会团体、社会服务机构、基金会的成立、变更、注销登记和社区社会组织备案均可在门户在线办理，办理进度实时可查。",
        [
            _paragraph(
                "为落实《贵阳市社会组织登记管理实施办法》，市民政局社会组织与购买服务管理门户登记备案功能全面上线。"
                "申请人注册账号后即可在线填写申请、上传材料，可随时保存草稿；材料不全的，登记管理机关一次性告知需补正的全部内容。"
            ),
            _paragraph(
                "受理后，法定办理期限在门户倒计时，申请人可随时查看审查进度。准予登记的，门户即时生成附二维码的电子登记证书，"
                "扫码即可核验真伪。社区社会组织备案由街道社区服务中心在线办理，备案回执同步生成。"
            ),
            _notice("办理咨询", "<p>办理过程中遇到问题，可拨打 12345 市民服务热线，或到各区政务服务中心民政窗口咨询。</p>"),
        ],
        "政务服务中心民政窗口",
    )


def _news_results(facts):
    results = facts["results"]
    year = results.campaign.year if results else timezone.localdate().year - 1
    link = _page_link(results, "评价结果页面")
    count = f"{facts['valid']:,} 家社会组织取得有效评价结果" if facts["valid"] else "参评社会组织的评价结果同步公布"
    return (
        f"{year}年度社会组织“五比五看”评价结果公布",
        f"{year}年度“五比五看”群众评价和干部评分工作结束，{count}。",
        [
            _paragraph(
                f"<p>{year}年度社会组织“五比五看”评价工作日前结束。评价围绕比政治立场、比核心价值观、比敬业奉献、比助推发展、"
                f"比专业规范五个维度进行，实名认证的市民在线为身边的社会组织打分，干部和专家按评分细则评分，两者加权得出总分。"
                f"{count}，完整排名见{link}。</p>"
            ),
            _paragraph(
                "评价结果已记入各社会组织的公开信息，并将作为社会组织等级评估、承接政府购买服务和申请孵化资助的参考。"
                "新一年度的评价活动已经启动，欢迎市民继续参与。"
            ),
        ],
        "",
        timezone.localtime(results.campaign.published_at).date() if results and results.campaign.published_at else None,
    )


def _news_graduation(facts):
    count = facts["graduated"] or 9
    return (
        f"市社会组织孵化中心 {count} 家入驻组织顺利“出壳”",
        f"经出壳评估，{count} 家入驻组织治理结构健全、服务能力明显提升，准予出壳，其中多家已独立承接政府购买服务项目。",
        [
            _paragraph(
                f"日前，市社会组织孵化中心和各区孵化基地组织了出壳评估。评估组从内部治理、财务管理、项目执行和服务成效四个方面逐一评估，"
                f"{count} 家入驻组织顺利“出壳”。"
            ),
            _paragraph(
                "孵化期内，孵化基地为入驻组织提供免费工位、导师一对一辅导、财务管理培训和资源对接服务。"
                "出壳组织将继续享受孵化基地的跟踪指导，并可申报公益创投资助。"
            ),
        ],
        "孵化中心出壳评估会",
        facts["graduated_on"],
    )


def _news_contract(facts):
    contract = facts["contract"]
    if contract is None:
        return (
            "政府购买社会组织服务项目集中签约",
            "一批养老助残、社区帮扶和禁毒宣传项目完成签约，项目合同和履约情况将在门户公开。",
            [_paragraph("政府购买服务项目经公开竞争择优确定承接主体后集中签约。项目合同、履约节点和绩效评价结果将按照开放合同数据标准在门户公开，接受社会监督。")],
            "购买服务项目签约现场",
        )
    purchaser = contract.project.purchaser.name
    organization = contract.organization.name
    value = f"，合同金额 {format_wan(contract.value)}" if contract.value else ""
    return (
        f"“{contract.project.title}”完成签约",
        f"{organization}通过{contract.project.get_method_display()}方式承接该项目{value}。",
        [
            _paragraph(
                f"<p>{escape(purchaser)}与{escape(organization)}签订“{escape(contract.title)}”"
                f"（合同编号 {escape(contract.number)}）{value}。</p>"
            ),
            _paragraph(
                "合同明确了服务内容、数量、质量标准和按履约节点分期付款的方式，尾款根据绩效评价结果支付。"
                "项目的履约节点、付款和评价结果将在门户“购买服务”栏目公开。"
            ),
        ],
        "购买服务合同签约现场",
        contract.signed_on,
    )


def _news_event(facts):
    event = facts["event"]
    link = _page_link(event, "活动页面")
    return (
        "第三届筑城公益汇圆满落幕 5 万人次市民参与",
        "百余家社会组织集中展示服务成果，现场对接公益项目 46 个，意向捐赠 328 万元。",
        [
            _paragraph(
                f"<p>第三届筑城公益汇在贵阳国际生态会议中心举行。活动设成果展演、公益体验、人才推介和项目洽谈四个板块，"
                f"两天吸引 5 万人次市民参与。详情见{link}。</p>"
            ),
            _paragraph("项目洽谈会现场对接公益项目 46 个，意向捐赠 328 万元；人才推介会推介优秀社工和公益项目负责人 128 名。"),
        ],
        "第三届筑城公益汇现场",
    )


def _news_love_bank(facts):
    hours, volunteers = facts["hours"], facts["volunteers"]
    if hours >= 10000:
        milestone = f"{hours // 10000} 万小时"
    elif hours >= 1000:
        milestone = f"{hours // 1000 * 1000:,} 小时"
    else:
        milestone = ""
    title = f"爱心银行志愿服务时长突破 {milestone}" if milestone else "爱心银行积分兑换全面开放"
    people = f"{volunteers:,} 名实名注册志愿者" if volunteers else "实名注册的志愿者"
    return (
        title,
        f"{people}在爱心银行记录服务、累积积分，经核实的服务时长可在爱心商家兑换回馈。",
        [
            _paragraph(
                f"爱心银行上线以来，{people}参加了助老助残、社区治理、文明交通等志愿服务。每条服务记录都由活动组织方核实，"
                "经核实的服务时长按规则计入积分，记录有误的通过更正记录纠正，保留原值和原因。"
            ),
            _paragraph("积分可在爱心商家兑换理发、体检、餐饮、生活用品等回馈，兑换凭证在商家扫码核销。志愿者可随时下载志愿服务证明。"),
        ],
        "爱心银行积分兑换现场",
    )


def _news_credit(facts):
    count = facts["abnormal"]
    number = f" {count} 家" if count else "部分"
    return (
        "未按时报送年度工作报告的社会组织列入活动异常名录",
        f"{number.strip()}社会组织因未按规定报送年度工作报告或通过登记的住所无法联系，被依法列入活动异常名录。",
        [
            _paragraph(
                f"根据《社会组织信用信息管理办法》和本市有关规定，登记管理机关将{number}未按规定报送年度工作报告、"
                "或者通过登记的住所无法联系的社会组织列入活动异常名录，并在门户社会组织信息页面公示。"
            ),
            _notice(
                "移出名录",
                "<p>被列入活动异常名录的社会组织，补报年度工作报告或者恢复联系后，可向登记管理机关申请移出。</p>",
                "warning",
            ),
        ],
        "",
    )


def _news_venture(facts):
    call = facts["open_call"]
    if call is not None:
        deadline = f"申报截止至{_cn_date(timezone.localtime(call.closes_at).date())}。"
        title = f"{call.title}开始申报"
    else:
        deadline, title = "", "公益创投资助计划开始申报"
    return (
        title,
        f"符合条件的社会组织可在门户在线申报，评审专家按评分细则打分，资助资金按协议分期拨付。{deadline}",
        [
            _paragraph(
                "资助计划面向本市依法登记或备案、信用状况良好的社会组织，重点支持养老助残、儿童关爱、社区治理和志愿服务等领域的公益项目。"
                f"社会组织登录门户后，在“孵化资助”中填写项目书、预算和成效指标即可申报。{deadline}"
            ),
            _paragraph("申报材料经资格审查后进入专家评审，评审专家申报前须声明利益冲突。资助资金按协议约定分期拨付，中期和结项报告通过后拨付后续款项。"),
        ],
        "公益创投项目申报辅导会",
        timezone.localtime(call.opens_at).date() if call is not None else None,
    )


# (slug, days before today, cover theme or "", builder(facts) -> (title, intro, body, cover caption))
NEWS = [
    ("venture-call-open", 8, "youth", _news_venture),
    ("registration-one-stop", 15, "hall", _news_registration),
    ("wubi-wukan-results", 27, "", _news_results),
    ("incubator-graduation", 41, "community", _news_graduation),
    ("third-gongyihui-held", 58, "stage", _news_event),
    ("procurement-contract-signed", 73, "relief", _news_contract),
    ("love-bank-milestone", 96, "bank", _news_love_bank),
    ("credit-abnormal-list", 124, "", _news_credit),
]
