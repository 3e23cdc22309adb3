"""The CMS side of the showcase moderation (portal.showcase): the organization workspace links to the showcase
pages, and a showcase index page made in the admin gets the 公益项目审核 workflow at once, so that edits made in
the admin are moderated too."""

from wagtail import hooks

from orgs.profile_sections import register_workspace_link

from .models import ShowcaseIndexPage

register_workspace_link("公益项目展示", "showcase:index", order=40)


@hooks.register("after_create_page")
def assign_showcase_workflow(request, page):
    if isinstance(page.specific, ShowcaseIndexPage):
        from .showcase import ensure_workflow

        ensure_workflow()
