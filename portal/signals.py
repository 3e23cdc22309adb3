"""What makes the anonymous page cache stale (:mod:`portal.cache`): connected in :meth:`PortalConfig.ready`.

Every Wagtail page change bumps the cache generation: published, unpublished, moved, slug changed, saved (which
also covers a direct ``page.save()`` of live fields and a revision being saved) and deleted. So does saving or
deleting a row of each model named in ``PORTAL_PAGE_CACHE_INVALIDATED_BY`` ("app_label.ModelName"): the domain data
the public pages show (organizations and their credit listings, calls, procurement projects and contracts,
activities, campaigns and results), the site settings in every footer (changed, not first created with their
defaults), images and documents, view restrictions.
"""

from django.apps import apps
from django.conf import settings
from django.db.models.signals import post_delete, post_save
from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
from wagtail.models import Page
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from .cache import bump_generation

DISPATCH_UID = "portal.page_cache"


def invalidate(sender=None, created=False, **kwargs) -> None:
    # A site setting's row is created with its defaults the first time a page reads it (get_or_create while
    # rendering): that changes nothing any page shows, and bumping there would make the page just rendered stale.
    if created and isinstance(sender, type) and issubclass(sender, (BaseSiteSetting, BaseGenericSetting)):
        return
    bump_generation()


def invalidate_for_page(sender, instance=None, **kwargs) -> None:
    # post_save/post_delete of a page arrive with the concrete page class as sender; other models are ignored.
    if isinstance(instance, Page):
        bump_generation()


def connect() -> None:
    for signal in (page_published, page_unpublished, page_slug_changed, post_page_move):
        signal.connect(invalidate, dispatch_uid=DISPATCH_UID)
    post_save.connect(invalidate_for_page, dispatch_uid=f"{DISPATCH_UID}:pages")
    post_delete.connect(invalidate_for_page, dispatch_uid=f"{DISPATCH_UID}:pages")
    for label in getattr(settings, "PORTAL_PAGE_CACHE_INVALIDATED_BY", ()):
        model = apps.get_model(label)
        post_save.connect(invalidate, sender=model, dispatch_uid=f"{DISPATCH_UID}:{label}")
        post_delete.connect(invalidate, sender=model, dispatch_uid=f"{DISPATCH_UID}:{label}")
