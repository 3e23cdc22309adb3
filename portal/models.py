"""CMS pages of the public site and the site-wide settings shown in the header and footer."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, F, IntegerField, Prefetch, Q, Value, When
from django.db.models.functions import Cast, Coalesce
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page, PagePermissionTester, Task, TaskState
from wagtail.search import index
from wagtail.signals import page_published, page_unpublished, task_approved, task_rejected

from core.models import Region
from core.money import MoneyField
from core.permissions import can_administer_region, jurisdiction_q

from .blocks import BodyStreamBlock, EventSessionsBlock
from .seo import SHARE_IMAGE_SPEC

# --- helpers the public pages share (lists, renditions, privacy) ----------------------------------------------
PER_PAGE = 12
# A card's photo: 3:2, the small one for phones and the large one for wide screens and high-density displays.
CARD_RENDITIONS = ("fill-400x267", "fill-800x533")
# A gallery photo or a news cover at full column width (srcset width-{400,800,1200}).
GALLERY_RENDITIONS = ("width-400", "width-800", "width-1200")
# The rendition a page is shared with, prefetched with the page's own photos.
SHARE_RENDITION = SHARE_IMAGE_SPEC


def _page_of(request, queryset, per_page: int = PER_PAGE):
    """The ``?page=`` page of ``queryset``; a missing or bad number gives the first or the last page, never a 500."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def _query_string(**filters) -> str:
    """The filters as a query string for the pagination links (empty values left out)."""
    from django.utils.http import urlencode

    return urlencode({key: value for key, value in filters.items() if value})


def _view_restrictions(request=None) -> list:
    """Every view restriction of the site with its page, read once per request (one query): restrictions are few,
    and the home page needs them twice (its own check and leaving private pages out of its lists)."""
    from wagtail.models import PageViewRestriction

    if request is not None and hasattr(request, "_portal_view_restrictions"):
        return request._portal_view_restrictions
    restrictions = list(PageViewRestriction.objects.select_related("page"))
    if request is not None:
        request._portal_view_restrictions = restrictions
    return restrictions


def _private_q(request=None) -> Q:
    """Pages inside a section restricted by a view restriction, to leave out of public lists (what Wagtail's
    ``private_q`` builds, from the restrictions read once per request)."""
    q = Q()
    for restriction in _view_restrictions(request):
        q |= Q(path__startswith=restriction.page.path, depth__gte=restriction.page.depth)
    return q if q else Q(pk__in=[])


def _unrestricted(queryset):
    """``queryset`` of leaf pages without those carrying a view restriction of their own. Their ancestors'
    restrictions were checked when the page listing them was served, so this is all a list must leave out; it
    adds a subquery, not a query."""
    from wagtail.models import PageViewRestriction

    return queryset.exclude(pk__in=PageViewRestriction.objects.values("page_id"))


def _renditions(image_field: str, specs) -> Prefetch:
    """Prefetch the renditions ``specs`` of the image in ``image_field`` (which the queryset select_relates), so a
    list renders its photos in one query whatever its length."""
    from wagtail.images import get_image_model

    rendition_model = get_image_model().get_rendition_model()
    return Prefetch(f"{image_field}__renditions", queryset=rendition_model.objects.filter(filter_spec__in=specs))


def _renditions_of(specs) -> Prefetch:
    """Prefetch the renditions ``specs`` of images."""
    from wagtail.images import get_image_model

    rendition_model = get_image_model().get_rendition_model()
    return Prefetch("renditions", queryset=rendition_model.objects.filter(filter_spec__in=specs))


def _photos(specs) -> Prefetch:
    """Prefetch a showcase project's photos, their images and the renditions ``specs`` (two queries)."""
    return Prefetch(
        "photos", queryset=ShowcasePhoto.objects.select_related("image").prefetch_related(_renditions("image", specs))
    )


def _number(value) -> str:
    """1,200 or 1,200.5: grouped by thousands, without trailing zeros (the zh-hans locale groups nothing)."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _is_preview(request) -> bool:
    return bool(getattr(request, "is_preview", False))


class RoutedPage:
    """What every page type of the site shares so that serving a page takes a fixed, small number of queries.

    Wagtail routes ``/news/some-article/`` one level at a time (each level a query for the child and one for its
    specific row) and then reads the view restrictions of the page and its ancestors (two more queries).
    :meth:`HomePage.route` finds the whole chain at once and records on the page it returns whether the chain is free
    of restrictions and aliases (:attr:`_route_unrestricted`) and its ancestors (:attr:`_route_ancestors`), which
    :meth:`get_view_restrictions` and :meth:`breadcrumb_pages` then use instead of asking again. A page served any
    other way (a preview, the admin, a test calling ``serve``) has neither and falls back to Wagtail's queries."""

    def get_view_restrictions(self):
        if getattr(self, "_route_unrestricted", False):
            from wagtail.models import PageViewRestriction

            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()

    def breadcrumb_pages(self) -> list:
        """The ancestors between the home page and this page (the section index), for the breadcrumbs."""
        ancestors = getattr(self, "_route_ancestors", None)
        if ancestors is None:
            ancestors = list(self.get_ancestors())
        return ancestors[2:]


class HomePage(RoutedPage, Page):
    """The front page: what the portal is for, live figures from the database, and the editors' content.

    The figures are computed from the rows (see :mod:`portal.figures`) and cached, so editors never type
    a number that could go stale.
    """

    hero_title = models.CharField(_("主标题"), max_length=80, default="社会组织与购买服务管理门户")
    hero_text = models.CharField(_("副标题"), max_length=200, blank=True)
    body = StreamField(BodyStreamBlock(), blank=True, verbose_name=_("正文"))

    content_panels = [*Page.content_panels, FieldPanel("hero_title"), FieldPanel("hero_text"), FieldPanel("body")]
    max_count = 1
    subpage_types = [
        "portal.StandardPage", "portal.NewsIndexPage", "portal.PolicyIndexPage", "portal.ShowcaseIndexPage",
        "portal.EventIndexPage", "portal.CampaignResultsPage", "portal.OpenDataPage",
    ]

    class Meta:
        verbose_name = _("首页")

    def get_context(self, request, *args, **kwargs):
        from .figures import live_figures

        context = super().get_context(request, *args, **kwargs)
        context["figures"] = live_figures()
        context.update(self.public_sections(request))
        return context

    def route(self, request, path_components):
        """Route as Wagtail does, in fewer queries (see :class:`RoutedPage`): the home page itself checks its
        restrictions against the site's list (read once per request and used again by its lists); any page below it
        is found with its ancestors by URL path in one query, then its specific row in one more. When the chain
        cannot be found that way (a missing page, or an ancestor with a route of its own such as a RoutablePage),
        Wagtail's routing decides."""
        if not path_components:
            restricted = any(self.path.startswith(r.page.path) for r in _view_restrictions(request))
            self._route_unrestricted = not restricted and self.alias_of_id is None
            return super().route(request, path_components)
        page = self._route_chain(path_components)
        if page is None:
            return super().route(request, path_components)
        return page.route(request, [])

    def _route_chain(self, path_components):
        from django.db.models import Exists, OuterRef
        from wagtail.models import PageViewRestriction

        steps = [step for step in self.url_path.split("/") if step] + list(path_components)
        url_paths = ["/"] + ["/" + "/".join(steps[:end]) + "/" for end in range(1, len(steps) + 1)]
        chain = list(
            Page.objects.filter(url_path__in=url_paths)
            .annotate(restricted=Exists(PageViewRestriction.objects.filter(page=OuterRef("pk"))))
            .order_by("depth")
        )
        if [page.url_path for page in chain] != url_paths or any(
            not later.path.startswith(earlier.path) for earlier, later in zip(chain, chain[1:], strict=False)
        ):
            return None
        home_at = next((i for i, page in enumerate(chain) if page.pk == self.pk), None)
        if home_at is None:
            return None
        for page in chain[home_at + 1:-1]:
            model = page.specific_class
            if model is None or model.route is not Page.route:
                return None
        model = chain[-1].specific_class
        if model is None:
            return None
        # The page's own row, with what its template always shows (route_select_related) in the same query.
        target = model._default_manager.select_related(*getattr(model, "route_select_related", ())).get(pk=chain[-1].pk)
        target._route_unrestricted = not any(page.restricted or page.alias_of_id for page in chain)
        target._route_ancestors = chain[:-1]
        return target

    CHILD_INTROS = (
        "standardpage", "newsindexpage", "policyindexpage", "showcaseindexpage", "eventindexpage",
        "campaignresultspage", "opendatapage",
    )
    INDEX_MODELS = {
        "newsindexpage": "news_index", "policyindexpage": "policy_index", "showcaseindexpage": "showcase_index",
        "eventindexpage": "event_index",
    }

    def public_sections(self, request=None) -> dict:
        """What the front page lists from the CMS and the other domains, each list capped, so the page takes the
        same number of queries whatever the size of the data: featured showcase projects with their first photo,
        open funding calls, procurement announcements, upcoming volunteer activities, the latest news, the index
        pages they belong to and the pages shown in menus (both from one query of the children)."""
        from grants.permissions import open_calls, public_projects
        from volunteers.models import Activity

        private = _private_q(request)
        projects = list(
            ShowcaseProjectPage.objects.live().exclude(private)
            .select_related("organization", "service_field")
            .prefetch_related(_photos(CARD_RENDITIONS))
            .order_by("-featured", "-first_published_at", "-pk")[:6]
        )
        for project in projects:
            project.cover_photo = next(iter(project.photos.all()), None)
        # Every child type of the home page has an introduction: read it through the child tables' joins rather
        # than a query per type (.specific()).
        children = list(
            Page.objects.child_of(self).live()
            .annotate(model_name=F("content_type__model"), app_label=F("content_type__app_label"),
                      is_private=Case(When(private, then=Value(True)), default=Value(False)),
                      intro=Coalesce(*[F(f"{name}__intro") for name in self.CHILD_INTROS], Value("")))
            .order_by("path")
        )
        sections = {name: None for name in self.INDEX_MODELS.values()}
        sections.update({
            self.INDEX_MODELS[child.model_name]: child for child in children
            if child.app_label == "portal" and child.model_name in self.INDEX_MODELS and not child.is_private
        })
        today = timezone.localdate()
        return {
            **sections,
            "menu_pages": [child for child in children if child.show_in_menus],
            "featured_projects": projects,
            "open_calls": list(open_calls().select_related("region").order_by("closes_at", "pk")[:6]),
            "procurements": list(
                public_projects().select_related("purchaser").order_by("-announced_at", "-pk")[:5]
            ),
            "upcoming_activities": list(
                Activity.objects.filter(status=Activity.Status.PUBLISHED, starts_on__gte=today)
                .select_related("organization", "region").order_by("starts_on", "pk")[:5]
            ),
            "latest_news": list(
                NewsPage.objects.live().exclude(private).order_by("-date", "-first_published_at", "-pk")[:3]
            ),
        }


class StandardPage(RoutedPage, Page):
    """An ordinary content page (办事指南, 关于我们, 联系方式 …) written by editors."""

    intro = models.CharField(_("导语"), max_length=250, blank=True)
    body = StreamField(BodyStreamBlock(), blank=True, verbose_name=_("正文"))

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    subpage_types = ["portal.StandardPage"]

    class Meta:
        verbose_name = _("普通页面")


class SectionIndexPage(RoutedPage, Page):
    """What the one-per-site section pages (news, policies, showcase, events) have in common: a short introduction
    under the home page. Each lists its own children in ``get_context``."""

    intro = models.CharField(_("导语"), max_length=250, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["portal.HomePage"]
    max_count = 1

    class Meta:
        abstract = True


class NewsIndexPage(SectionIndexPage):
    """新闻动态: the list of news articles, newest first, paginated."""

    subpage_types = ["portal.NewsPage"]

    class Meta:
        verbose_name = _("新闻列表")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        news = (
            _unrestricted(NewsPage.objects.child_of(self).live())
            .select_related("cover").prefetch_related(_renditions("cover", CARD_RENDITIONS))
            .order_by("-date", "-first_published_at", "-pk")
        )
        context["page_obj"] = _page_of(request, news)
        return context


class NewsPage(RoutedPage, Page):
    """A news article (新闻动态): what the bureau announces to the public, dated and optionally illustrated."""

    date = models.DateField(_("发布日期"), default=timezone.localdate)
    intro = models.CharField(_("摘要"), max_length=250, blank=True)
    cover = models.ForeignKey(
        "wagtailimages.Image", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("题图"),
    )
    body = StreamField(BodyStreamBlock(), blank=True, verbose_name=_("正文"))

    content_panels = [*Page.content_panels, FieldPanel("date"), FieldPanel("intro"), FieldPanel("cover"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["portal.NewsIndexPage"]
    subpage_types: list[str] = []
    route_select_related = ("cover",)

    class Meta:
        verbose_name = _("新闻")

    def get_context(self, request, *args, **kwargs):
        """The cover's renditions (the page's and the share image's) in one query."""
        from django.db.models import prefetch_related_objects

        if self.cover is not None and not _is_preview(request):
            prefetch_related_objects([self.cover], _renditions_of((*GALLERY_RENDITIONS, SHARE_RENDITION)))
        return super().get_context(request, *args, **kwargs)


class PolicyIndexPage(SectionIndexPage):
    """政策法规: the policies in force and repealed, with their document numbers."""

    subpage_types = ["portal.PolicyPage"]

    class Meta:
        verbose_name = _("政策法规列表")

    def get_context(self, request, *args, **kwargs):
        """The policies, newest first, filtered by ``?validity=`` (an unknown value lists them all)."""
        context = super().get_context(request, *args, **kwargs)
        validity = request.GET.get("validity") or ""
        if validity not in PolicyPage.Validity.values:
            validity = ""
        policies = _unrestricted(PolicyPage.objects.child_of(self).live()).order_by("-issued_on", "-pk")
        if validity:
            policies = policies.filter(validity=validity)
        context.update(
            page_obj=_page_of(request, policies), validity=validity, validities=PolicyPage.Validity.choices,
            query=_query_string(validity=validity),
        )
        return context


class PolicyPage(RoutedPage, Page):
    """A policy or regulation (政策法规) as issued: who issued it, its 文号, when it took effect, whether it is
    still in force, and the original documents attached."""

    class Validity(models.TextChoices):
        IN_FORCE = "in_force", _("现行有效")
        AMENDED = "amended", _("已修订")
        REPEALED = "repealed", _("已废止")

    issuer = models.CharField(_("发文机关"), max_length=80)
    document_number = models.CharField(_("文号"), max_length=60, blank=True)
    issued_on = models.DateField(_("发布日期"))
    effective_on = models.DateField(_("施行日期"), null=True, blank=True)
    validity = models.CharField(_("效力"), max_length=16, choices=Validity.choices, default=Validity.IN_FORCE)
    intro = models.CharField(_("摘要"), max_length=250, blank=True)
    body = StreamField(BodyStreamBlock(), blank=True, verbose_name=_("正文"))

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [FieldPanel("issuer"), FieldPanel("document_number"),
             FieldRowPanel([FieldPanel("issued_on"), FieldPanel("effective_on")]), FieldPanel("validity")],
            heading=_("发文信息"),
        ),
        FieldPanel("intro"),
        FieldPanel("body"),
        InlinePanel("attachments", label=_("附件")),
    ]
    search_fields = [
        *Page.search_fields, index.SearchField("intro"), index.SearchField("body"), index.SearchField("document_number"),
        index.SearchField("issuer"),
    ]
    parent_page_types = ["portal.PolicyIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("政策法规")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # A preview shows the attachments being edited (in memory); the live page reads them with their files.
        attachments = self.attachments.all() if _is_preview(request) else self.attachments.select_related("document")
        context["attachments"] = list(attachments)
        return context


class PolicyAttachment(Orderable):
    """An original document (正式文本、解读、附表) attached to a policy page."""

    page = ParentalKey(PolicyPage, on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey("wagtaildocs.Document", on_delete=models.PROTECT, related_name="+", verbose_name=_("文件"))
    title = models.CharField(_("显示名称"), max_length=120, blank=True)

    panels = [FieldPanel("document"), FieldPanel("title")]

    class Meta(Orderable.Meta):
        verbose_name = _("附件")

    def __str__(self):
        return self.title or self.document.title


class ShowcaseIndexPage(SectionIndexPage):
    """筑城公益汇 showcase: the 公益 projects organizations have shown and officers have approved."""

    subpage_types = ["portal.ShowcaseProjectPage"]

    class Meta:
        verbose_name = _("公益项目展示列表")

    def get_context(self, request, *args, **kwargs):
        """The projects, newest first, filtered by ``?field=`` (a service field's code) and ``?district=`` (a
        district's code, matching organizations anywhere under it); an unknown code is ignored."""
        from core.models import Region
        from orgs.models import ServiceField

        context = super().get_context(request, *args, **kwargs)
        fields = list(ServiceField.objects.all())
        districts = list(Region.objects.filter(level=Region.Level.DISTRICT).order_by("code"))
        field = next((f for f in fields if f.code == request.GET.get("field")), None)
        district = next((d for d in districts if d.code == request.GET.get("district")), None)
        projects = (
            _unrestricted(ShowcaseProjectPage.objects.child_of(self).live())
            .select_related("organization", "service_field")
            .prefetch_related(_photos(CARD_RENDITIONS))
            .order_by("-first_published_at", "-pk")
        )
        if field is not None:
            projects = projects.filter(service_field=field)
        if district is not None:
            projects = projects.filter(organization__region__path__startswith=district.path)
        page = _page_of(request, projects)
        for project in page:
            project.cover_photo = next(iter(project.photos.all()), None)
        context.update(
            page_obj=page, fields=fields, districts=districts,
            field=field.code if field else "", district=district.code if district else "",
            query=_query_string(field=field.code if field else "", district=district.code if district else ""),
        )
        return context


class ShowcaseProjectPage(RoutedPage, Page):
    """A 公益 project shown to the public: which organization runs it, what it set out to do and what it achieved
    against its targets, with photos and the grant or contract that paid for it.

    Organizations propose these from their workspace (a draft revision owned by the proposing member); an officer
    of the organization's jurisdiction approves it through Wagtail's moderation workflow before it goes live, and
    every later change goes through the workflow again (see :mod:`portal.showcase`).
    """

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="showcase_pages", verbose_name=_("实施机构")
    )
    service_field = models.ForeignKey(
        "orgs.ServiceField", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("服务领域"),
    )
    summary = models.CharField(_("项目简介"), max_length=250)
    body = StreamField(BodyStreamBlock(), blank=True, verbose_name=_("项目详情"))
    started_on = models.DateField(_("开始日期"), null=True, blank=True)
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    people_reached = models.PositiveIntegerField(_("服务人数"), default=0)
    contract = models.ForeignKey(
        "grants.Contract", on_delete=models.SET_NULL, null=True, blank=True, related_name="showcase_pages",
        verbose_name=_("购买服务合同"),
    )
    grant_application = models.ForeignKey(
        "grants.GrantApplication", on_delete=models.SET_NULL, null=True, blank=True, related_name="showcase_pages",
        verbose_name=_("资助项目"),
    )
    featured = models.BooleanField(_("首页推荐"), default=False)

    content_panels = [
        *Page.content_panels,
        FieldPanel("organization"),
        FieldPanel("service_field"),
        FieldPanel("summary"),
        FieldRowPanel([FieldPanel("started_on"), FieldPanel("ended_on")]),
        FieldPanel("people_reached"),
        MultiFieldPanel([FieldPanel("contract"), FieldPanel("grant_application")], heading=_("资金来源")),
        FieldPanel("body"),
        InlinePanel("photos", label=_("照片")),
        InlinePanel("outcomes", label=_("成效指标")),
    ]
    promote_panels = [*Page.promote_panels, FieldPanel("featured")]
    route_select_related = ("organization", "service_field")
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]
    parent_page_types = ["portal.ShowcaseIndexPage"]
    subpage_types: list[str] = []

    def share_image(self):
        """The first photo, once get_context has read the photos; None sends portal.seo to its own lookup."""
        return getattr(self, "_share_image", None)

    def permissions_for_user(self, user):
        # Officers of the organization's jurisdiction may publish: see ShowcasePagePermissionTester.
        return ShowcasePagePermissionTester(user, self)

    class Meta:
        verbose_name = _("公益项目")

    def get_context(self, request, *args, **kwargs):
        """The photos with their gallery renditions, the outcomes against their targets, the contract only if it
        is public (a draft contract is the purchaser's business), the grant's call only if the call is public, and
        the organization's other live projects."""
        from grants.models import GrantApplication
        from grants.permissions import public_calls, public_contracts

        context = super().get_context(request, *args, **kwargs)
        # A preview shows the photos being edited (in memory); the live page reads them with their renditions, in a
        # queryset of its own: prefetching onto the page would hand other readers of page.photos (the share image)
        # images whose renditions are limited to the gallery's.
        photos = (
            self.photos.all() if _is_preview(request)
            else ShowcasePhoto.objects.filter(page=self).select_related("image")
            .prefetch_related(_renditions("image", (*GALLERY_RENDITIONS, SHARE_RENDITION)))
        )
        photos = list(photos)
        # The page is shared with its first photo (portal.seo), whose share rendition came with the gallery's.
        self._share_image = photos[0].image if photos else None
        outcomes = list(self.outcomes.all())
        for outcome in outcomes:
            outcome.bar = min(outcome.percent, 100)
            outcome.target_text, outcome.achieved_text = _number(outcome.target), _number(outcome.achieved)
        grant = None
        if self.grant_application_id:
            grant = (
                GrantApplication.objects.filter(pk=self.grant_application_id, call__in=public_calls())
                .select_related("call").first()
            )
        context.update(
            photos=photos,
            outcomes=outcomes,
            public_contract=public_contracts().filter(pk=self.contract_id).first() if self.contract_id else None,
            grant_call=grant.call if grant else None,
            other_projects=list(
                _unrestricted(ShowcaseProjectPage.objects.live())
                .filter(organization_id=self.organization_id).exclude(pk=self.pk)
                .select_related("service_field").order_by("-first_published_at", "-pk")[:6]
            ),
        )
        return context


class ShowcasePhoto(Orderable):
    """A photo of a showcase project; rendered at phone and desktop widths (Wagtail renditions)."""

    page = ParentalKey(ShowcaseProjectPage, on_delete=models.CASCADE, related_name="photos")
    image = models.ForeignKey("wagtailimages.Image", on_delete=models.PROTECT, related_name="+", verbose_name=_("图片"))
    caption = models.CharField(_("说明"), max_length=120, blank=True)

    panels = [FieldPanel("image"), FieldPanel("caption")]

    class Meta(Orderable.Meta):
        verbose_name = _("照片")


class ShowcaseOutcome(Orderable):
    """One outcome of a showcase project against its target (服务老人 1,200 人次, 目标 1,000 人次)."""

    page = ParentalKey(ShowcaseProjectPage, on_delete=models.CASCADE, related_name="outcomes")
    indicator = models.CharField(_("指标"), max_length=60)
    unit = models.CharField(_("单位"), max_length=16, default="人次")
    target = models.DecimalField(_("目标值"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    achieved = models.DecimalField(_("完成值"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])

    panels = [FieldRowPanel([FieldPanel("indicator"), FieldPanel("unit")]), FieldRowPanel([FieldPanel("target"), FieldPanel("achieved")])]

    class Meta(Orderable.Meta):
        verbose_name = _("成效指标")

    @property
    def percent(self) -> int:
        """Achievement as a whole percentage of the target (0 when there is no target)."""
        if not self.target:
            return 0
        return int(self.achieved * 100 / self.target)


class EventIndexPage(SectionIndexPage):
    """公益活动: the bureau's public events (筑城公益汇 and the like), upcoming first."""

    subpage_types = ["portal.EventPage"]

    class Meta:
        verbose_name = _("公益活动列表")

    def get_context(self, request, *args, **kwargs):
        """Upcoming and ongoing events first, soonest first; then past events, most recent first."""
        context = super().get_context(request, *args, **kwargs)
        now = timezone.now()
        events = (
            _unrestricted(EventPage.objects.child_of(self).live())
            .annotate(
                is_past=Case(When(ends_at__lt=now, then=Value(1)), default=Value(0), output_field=IntegerField()),
                upcoming_start=Case(When(ends_at__gte=now, then=F("starts_at")), default=None,
                                    output_field=models.DateTimeField()),
            )
            .order_by("is_past", "upcoming_start", "-starts_at", "-pk")
        )
        context.update(page_obj=_page_of(request, events), now=now)
        return context


class EventPage(RoutedPage, Page):
    """A public 公益 event with its parts (成果展演, 公益体验, 人才推介, 项目洽谈) and, once held, what it achieved:
    visitors, projects matched, donations pledged, talents presented."""

    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    venue = models.CharField(_("地点"), max_length=120)
    intro = models.CharField(_("简介"), max_length=250, blank=True)
    sessions = StreamField(EventSessionsBlock(), blank=True, verbose_name=_("活动环节"))
    body = StreamField(BodyStreamBlock(), blank=True, verbose_name=_("正文"))
    organizations = models.ManyToManyField("orgs.Organization", blank=True, related_name="+", verbose_name=_("参展机构"))
    visitors = models.PositiveIntegerField(_("参与人次"), default=0)
    projects_matched = models.PositiveIntegerField(_("项目对接数"), default=0)
    donations_pledged = MoneyField(_("意向捐赠（元）"), default=0)
    talents_presented = models.PositiveIntegerField(_("推介人才数"), default=0)

    content_panels = [
        *Page.content_panels,
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
        FieldPanel("venue"),
        FieldPanel("intro"),
        FieldPanel("sessions"),
        FieldPanel("body"),
        FieldPanel("organizations"),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("visitors"), FieldPanel("projects_matched")]),
             FieldRowPanel([FieldPanel("donations_pledged"), FieldPanel("talents_presented")])],
            heading=_("活动成效"),
        ),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("venue"), index.SearchField("body")]
    parent_page_types = ["portal.EventIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("公益活动")

    def session_groups(self) -> list[dict]:
        """The sessions grouped by kind, in the order of the kinds (成果展演, 公益体验, 人才推介, 项目洽谈), each group
        in the editors' order."""
        kind_block = self.sessions.stream_block.child_blocks["session"].child_blocks["kind"]
        groups = []
        for kind, label in kind_block.field.choices:
            sessions = [block for block in self.sessions if block.block_type == "session" and block.value.get("kind") == kind]
            if kind and sessions:
                groups.append({"kind": kind, "label": label, "sessions": sessions})
        return groups

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        now = timezone.now()
        context.update(
            session_groups=self.session_groups(),
            participants=list(self.organizations.order_by("name")),
            is_past=self.ends_at < now,
            is_ongoing=self.starts_at <= now <= self.ends_at,
            has_outcomes=bool(self.visitors or self.projects_matched or self.donations_pledged or self.talents_presented),
        )
        return context


class CampaignResultsPage(RoutedPage, Page):
    """The public page of a 五比五看 campaign's results, with the editors' introduction: the ranking itself is
    read from the campaign's published results, never typed."""

    campaign = models.ForeignKey(
        "evaluations.Campaign", on_delete=models.PROTECT, related_name="+", verbose_name=_("评价活动")
    )
    intro = models.CharField(_("导语"), max_length=250, blank=True)
    body = StreamField(BodyStreamBlock(), blank=True, verbose_name=_("正文"))

    content_panels = [*Page.content_panels, FieldPanel("campaign"), FieldPanel("intro"), FieldPanel("body")]
    parent_page_types = ["portal.HomePage"]
    subpage_types: list[str] = []

    RESULTS_PER_PAGE = 20

    class Meta:
        verbose_name = _("评价结果")

    def get_context(self, request, *args, **kwargs):
        """The ranking as the public campaign page shows it, and only once the campaign is public and its results
        published; before that the page says so and links to the campaign."""
        from evaluations.queries import public_campaigns, ranking

        context = super().get_context(request, *args, **kwargs)
        campaign = public_campaigns().filter(pk=self.campaign_id).first()
        context["public_campaign"] = campaign
        if campaign is not None and campaign.results_public:
            context.update(
                dimensions=list(campaign.dimensions.all()),
                page_obj=_page_of(request, ranking(campaign), self.RESULTS_PER_PAGE),
            )
        return context


class OpenDataPage(RoutedPage, Page):
    """公开数据: the downloads (registry, OCDS, 360Giving, evaluation results) and the API documentation, listed from
    what the portal publishes so the page never links to a dataset that does not exist."""

    intro = models.CharField(_("导语"), max_length=250, blank=True)
    body = StreamField(BodyStreamBlock(), blank=True, verbose_name=_("说明"))

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    parent_page_types = ["portal.HomePage"]
    subpage_types: list[str] = []
    max_count = 1

    class Meta:
        verbose_name = _("公开数据")

    # One address: the page lives at /open-data/ (URL name "open-data", which the site navigation and the OCDS
    # packages' publicationPolicy link to) whatever slug the editors give it. get_url_parts makes every link Wagtail
    # builds (menus, {% pageurl %}, the sitemap, the admin's "view live") point there; serve answers the slug's own
    # address with a permanent redirect to it, so there is never a second copy of the page. The view at /open-data/
    # (portal.opendata.serve) finds the live page of the request's site and serves it.
    def get_url_parts(self, request=None):
        from django.urls import reverse

        parts = super().get_url_parts(request=request)
        if parts is None or parts[2] is None:
            return parts
        site_id, root_url, _page_path = parts
        return site_id, root_url, reverse("open-data")

    def serve(self, request, *args, **kwargs):
        from django.http import HttpResponsePermanentRedirect
        from django.urls import reverse

        canonical = reverse("open-data")
        if request.path != canonical:
            return HttpResponsePermanentRedirect(canonical)
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        """The datasets, the evaluation results and the API reference, computed (see :mod:`portal.opendata`)."""
        from .opendata import page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(page_context())
        return context


@register_setting(icon="site")
class PortalSettings(BaseSiteSetting):
    """What a government portal's footer must say: who runs it, how to reach them, its ICP filing."""

    sponsor = models.CharField(_("主办单位"), max_length=80, default="贵阳市民政局")
    address = models.CharField(_("地址"), max_length=120, blank=True)
    hotline = models.CharField(_("服务热线"), max_length=40, blank=True)
    icp_number = models.CharField(_("ICP 备案号"), max_length=40, blank=True)
    notice = RichTextField(_("页脚说明"), blank=True, features=["bold", "link"])

    panels = [FieldPanel("sponsor"), FieldPanel("address"), FieldPanel("hotline"), FieldPanel("icp_number"), FieldPanel("notice")]

    class Meta:
        verbose_name = _("门户设置")


class ShowcaseApprovalTask(Task):
    """The one step of the 公益项目审核 moderation workflow (see :mod:`portal.showcase`).

    It exists because a showcase entry speaks for an organization in public, and the officers who answer for that
    organization are those whose jurisdiction covers its region: an officer of 南明区 approves a 南明区
    organization's entry, not one of 云岩区's. Pages without an organization (the showcase index itself) are
    moderated by city-level officers. Superusers may moderate everything. While an entry is on this task it is
    locked for everyone else's edits.
    """

    admin_form_fields = ["name"]

    class Meta:
        verbose_name = _("辖区民政干部审核")
        verbose_name_plural = _("辖区民政干部审核")

    @classmethod
    def jurisdiction_covers(cls, obj, user) -> bool:
        """Superusers; officers whose jurisdiction covers the organization of the entry ``obj``
        (:func:`core.permissions.can_administer_region`); for a page without an organization, city-level officers."""
        if not (getattr(user, "is_authenticated", False) and user.is_active):
            return False
        region = Region.objects.filter(organizations__showcase_pages__pk=obj.pk).first()
        if region is None:
            return user.is_superuser or any(jurisdiction.depth == 1 for jurisdiction in user.jurisdictions)
        return can_administer_region(user, region)

    def user_may_moderate(self, obj, user) -> bool:
        return self.jurisdiction_covers(obj, user)

    def user_can_access_editor(self, obj, user):
        return self.user_may_moderate(obj, user)

    def locked_for_user(self, obj, user):
        return not self.user_may_moderate(obj, user)

    def user_can_lock(self, obj, user):
        return self.user_may_moderate(obj, user)

    def get_actions(self, obj, user):
        if not self.user_may_moderate(obj, user):
            return []
        return [
            ("reject", _("退回修改"), True),
            ("approve", _("批准发布"), False),
            ("approve", _("批准并留言"), True),
        ]

    def on_action(self, task_state, user, action_name, **kwargs):
        """Wagtail's action view checks the actions against the page in its URL, not the task state's own page:
        check again against the page the task state moderates, so no officer acts outside their jurisdiction."""
        obj = task_state.workflow_state.content_object
        if action_name not in {name for name, _label, _modal in self.get_actions(obj, user)}:
            raise DjangoPermissionDenied
        return super().on_action(task_state, user, action_name, **kwargs)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        states = self.task_states.filter(status=TaskState.STATUS_IN_PROGRESS)
        if not (getattr(user, "is_authenticated", False) and user.is_active):
            return TaskState.objects.none()
        if user.is_superuser:
            return states
        jurisdictions = user.jurisdictions
        if not jurisdictions:
            return TaskState.objects.none()
        entries = ShowcaseProjectPage.objects.annotate(key=Cast("pk", output_field=models.CharField()))
        moderated = Q(workflow_state__object_id__in=entries.filter(jurisdiction_q(user, "organization__region")).values("key"))
        if any(region.depth == 1 for region in jurisdictions):
            moderated |= ~Q(workflow_state__object_id__in=entries.values("key"))
        return states.filter(moderated)

    @classmethod
    def get_description(cls):
        return _("项目所属社会组织所在辖区的民政干部可以批准或退回；无所属组织的页面由市级民政干部审核")


class ShowcasePagePermissionTester(PagePermissionTester):
    """What a user may do to a showcase entry: what Wagtail's page permissions allow, and publishing for the officers
    whose jurisdiction covers the entry's organization.

    It exists because approving the last task of a workflow publishes the revision *as the approving officer*, and
    Wagtail refuses that to a user without publish permission; a group permission would let every officer publish
    every district's entries, so the right follows the jurisdiction instead (the same rule as
    :class:`ShowcaseApprovalTask`).
    """

    def can_publish(self):
        return super().can_publish() or ShowcaseApprovalTask.jurisdiction_covers(self.page, self.user)


@receiver(task_approved, dispatch_uid="portal.showcase.task_approved")
def _showcase_task_approved(sender, instance, user=None, **kwargs):
    from .showcase import record_decision

    record_decision(instance, user=user, approved=True)


@receiver(task_rejected, dispatch_uid="portal.showcase.task_rejected")
def _showcase_task_rejected(sender, instance, user=None, **kwargs):
    from .showcase import record_decision

    record_decision(instance, user=user, approved=False)


@receiver(page_published, sender=ShowcaseProjectPage, dispatch_uid="portal.showcase.published")
def _showcase_published(sender, instance, revision=None, **kwargs):
    from .showcase import record_publication

    record_publication(instance, revision=revision, published=True)


@receiver(page_unpublished, sender=ShowcaseProjectPage, dispatch_uid="portal.showcase.unpublished")
def _showcase_unpublished(sender, instance, **kwargs):
    from .showcase import record_publication

    record_publication(instance, revision=None, published=False)
