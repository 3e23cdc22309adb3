"""Sections other apps add to an organization's public profile (the 五比五看 results and the evaluation
grade, later a grant or contract summary) without orgs importing them (DESIGN.md §3: dependencies point
one way). An app registers a function in its ``AppConfig.ready``; the function takes the request and the
organization and returns rendered HTML, or "" to add nothing. Each must stay within a fixed number of
queries, because the profile page does.
"""

from collections.abc import Callable

from django.urls import reverse
from django.utils.safestring import SafeString

Section = Callable[..., str]
_sections: list[tuple[int, Section]] = []


def register(order: int = 100):
    def decorator(func: Section) -> Section:
        _sections.append((order, func))
        _sections.sort(key=lambda item: item[0])
        return func

    return decorator


def render_sections(request, organization) -> list[SafeString]:
    """Each section returns ``render_to_string`` output, already a SafeString with its data escaped."""
    return [html for _, func in _sections if (html := func(request, organization))]


# Links other apps add to the organization workspace (机构工作台): (order, label, url name), e.g. 我的评估.
_workspace_links: list[tuple[int, str, str]] = []


def register_workspace_link(label: str, url_name: str, order: int = 100) -> None:
    _workspace_links.append((order, label, url_name))
    _workspace_links.sort(key=lambda item: item[0])


def workspace_links() -> list[tuple[str, str]]:
    return [(label, reverse(url_name)) for _, label, url_name in _workspace_links]
