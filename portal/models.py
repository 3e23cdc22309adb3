"""CMS pages of the public site and the site-wide settings shown in the header and footer."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from .blocks import BodyStreamBlock


class HomePage(Page):
    """The front page: what the portal is for, live figures from the database, and the editors' content.

    The figures are computed from the rows (see :mod:`portal.figures`) and cached, so editors never type
    a number that could go stale.
    """

    hero_title = models.CharField(_("主标题"), max_length=80, default="社会组织与购买服务管理门户")
    hero_text = models.CharField(_("副标题"), max_length=200, blank=True)
    body = StreamField(BodyStreamBlock(), blank=True, verbose_name=_("正文"))

    content_panels = [*Page.content_panels, FieldPanel("hero_title"), FieldPanel("hero_text"), FieldPanel("body")]
    max_count = 1
    subpage_types = ["portal.StandardPage"]

    class Meta:
        verbose_name = _("首页")

    def get_context(self, request, *args, **kwargs):
        from .figures import live_figures

        context = super().get_context(request, *args, **kwargs)
        context["figures"] = live_figures()
        context["menu_pages"] = self.get_children().live().in_menu().specific()
        return context


class StandardPage(Page):
    """An ordinary content page (办事指南, 关于我们, 联系方式 …) written by editors."""

    intro = models.CharField(_("导语"), max_length=250, blank=True)
    body = StreamField(BodyStreamBlock(), blank=True, verbose_name=_("正文"))

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    subpage_types = ["portal.StandardPage"]

    class Meta:
        verbose_name = _("普通页面")


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
