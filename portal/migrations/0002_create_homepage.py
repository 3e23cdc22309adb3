"""Replace Wagtail's welcome page with the portal's HomePage and point the default site at it."""

import uuid

from django.db import migrations


def create_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    Locale = apps.get_model("wagtailcore.Locale")
    HomePage = apps.get_model("portal.HomePage")

    if HomePage.objects.exists():
        return
    welcome = Page.objects.filter(depth=2, slug="home", content_type__app_label="wagtailcore").first()
    locale_id = welcome.locale_id if welcome else Locale.objects.order_by("pk").values_list("pk", flat=True).first()
    if welcome:
        welcome.delete()
    root = Page.objects.get(depth=1)
    siblings = Page.objects.filter(depth=2).order_by("-path").first()
    index = int(siblings.path[-4:], 36) + 1 if siblings else 1
    step = ""
    while index:
        index, digit = divmod(index, 36)
        step = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[digit] + step
    content_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="portal")
    home = HomePage.objects.create(
        title="首页",
        draft_title="首页",
        seo_title="社会组织与购买服务管理门户",
        slug="home",
        content_type=content_type,
        path=root.path + step.rjust(4, "0"),
        depth=2,
        numchild=0,
        url_path="/home/",
        locale_id=locale_id,
        translation_key=uuid.uuid4(),
        live=True,
        hero_title="社会组织与购买服务管理门户",
        hero_text="社会组织登记备案、孵化资助、政府购买服务、爱心银行与五比五看评价，一网通办。",
    )
    root.numchild = Page.objects.filter(depth=2).count()
    root.save(update_fields=["numchild"])
    Site.objects.filter(is_default_site=True).delete()
    Site.objects.create(
        hostname="localhost", port=80, root_page_id=home.pk, is_default_site=True, site_name="社会组织与购买服务管理门户"
    )


def remove_homepage(apps, schema_editor):
    HomePage = apps.get_model("portal.HomePage")
    HomePage.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("wagtailcore", "0001_initial"),
    ]
    operations = [migrations.RunPython(create_homepage, remove_homepage)]
