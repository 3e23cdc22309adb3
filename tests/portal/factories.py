"""factory_boy factories for the CMS pages. Each page is added under its parent with treebeard (``add_child``) and
published, as an editor would; pass ``live=False`` for a draft. Index pages are found or made once per test."""

import datetime
import io

import factory
from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.images.models import Image

from portal.models import (
    EventIndexPage,
    EventPage,
    HomePage,
    NewsIndexPage,
    NewsPage,
    PolicyIndexPage,
    PolicyPage,
    ShowcaseIndexPage,
    ShowcaseProjectPage,
    StandardPage,
)
from tests.factories import OrganizationFactory


def home() -> HomePage:
    return HomePage.objects.get()


def index(model, title: str, slug: str):
    """The one index page of ``model`` under the home page, made on first use."""
    existing = model.objects.first()
    if existing is not None:
        return existing
    parent = home()
    page = model(title=title, slug=slug)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def news_index() -> NewsIndexPage:
    return index(NewsIndexPage, "新闻动态", "news")


def policy_index() -> PolicyIndexPage:
    return index(PolicyIndexPage, "政策法规", "policies")


def showcase_index() -> ShowcaseIndexPage:
    return index(ShowcaseIndexPage, "公益项目", "showcase")


def event_index() -> EventIndexPage:
    return index(EventIndexPage, "公益活动", "events")


def make_image(title: str = "测试图片", size=(1200, 800), color=(46, 125, 50)) -> Image:
    """A real JPEG stored as a Wagtail image (no downloads)."""
    buffer = io.BytesIO()
    PILImage.new("RGB", size, color).save(buffer, "JPEG")
    return Image.objects.create(title=title, file=ImageFile(buffer, name="test.jpg"))


class PageFactory(factory.django.DjangoModelFactory):
    """Adds the page under ``parent`` (default: the model's index page) and publishes it unless ``live=False``."""

    class Meta:
        abstract = True

    @classmethod
    def _parent(cls):
        return home()

    @classmethod
    def _create(cls, model_class, *args, parent=None, live=True, **kwargs):
        parent = parent or cls._parent()
        page = model_class(*args, **kwargs)
        parent.add_child(instance=page)
        revision = page.save_revision()
        if live:
            revision.publish()
        else:
            page.live = False
            page.save(update_fields=["live"])
        page.refresh_from_db()
        return page


class StandardPageFactory(PageFactory):
    class Meta:
        model = StandardPage

    title = factory.Sequence(lambda n: f"办事指南{n}")
    slug = factory.Sequence(lambda n: f"guide-{n}")
    intro = "办事指南导语"


class NewsPageFactory(PageFactory):
    class Meta:
        model = NewsPage

    title = factory.Sequence(lambda n: f"民政新闻{n}")
    slug = factory.Sequence(lambda n: f"news-{n}")
    date = factory.LazyFunction(timezone.localdate)
    intro = "新闻摘要"

    @classmethod
    def _parent(cls):
        return news_index()


class PolicyPageFactory(PageFactory):
    class Meta:
        model = PolicyPage

    title = factory.Sequence(lambda n: f"社会组织管理办法{n}")
    slug = factory.Sequence(lambda n: f"policy-{n}")
    issuer = "贵阳市民政局"
    document_number = factory.Sequence(lambda n: f"筑民发〔2026〕{n + 1}号")
    issued_on = datetime.date(2026, 3, 1)

    @classmethod
    def _parent(cls):
        return policy_index()


class ShowcaseProjectPageFactory(PageFactory):
    class Meta:
        model = ShowcaseProjectPage

    title = factory.Sequence(lambda n: f"社区公益项目{n}")
    slug = factory.Sequence(lambda n: f"project-{n}")
    organization = factory.SubFactory(OrganizationFactory)
    summary = "为社区老人提供助餐与陪伴服务"
    people_reached = 120

    @classmethod
    def _parent(cls):
        return showcase_index()


class EventPageFactory(PageFactory):
    class Meta:
        model = EventPage

    title = factory.Sequence(lambda n: f"筑城公益汇{n}")
    slug = factory.Sequence(lambda n: f"event-{n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))
    ends_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=8))
    venue = "贵阳国际生态会议中心"

    @classmethod
    def _parent(cls):
        return event_index()
