"""``{% share_meta as meta %}``: the values templates/includes/meta.html prints (see :func:`portal.seo.share_meta`).

Used in base.html's <head>. A page's own title and description are taken, in this order, from the context variables
``share_title``/``share_description``, from the child template's ``{% block title %}``/``{% block description %}``
when it overrides them, and from the Wagtail ``page``; ``share_image`` (a Wagtail image or a URL), ``share_type``
and ``canonical_url`` may be set the same way.
"""

import html
import re

from django import template
from django.template.base import NodeList
from django.template.loader_tags import BLOCK_CONTEXT_KEY, BlockNode
from django.utils.html import strip_tags

from portal import seo

register = template.Library()

TITLE_TAIL = re.compile(r"[\s·|\-–—]+$")


def _overridden_block(context, name: str) -> str:
    """The rendered text of ``{% block name %}`` when a child template overrides base.html's; "" otherwise."""
    block_context = context.render_context.get(BLOCK_CONTEXT_KEY)
    if block_context is None or len(block_context.blocks.get(name, ())) < 2:
        return ""
    text = BlockNode(name, NodeList()).render(context)
    # Back to plain text (no tags, entities decoded): meta.html escapes it again when it prints it.
    return " ".join(html.unescape(strip_tags(text)).split())


@register.simple_tag(takes_context=True)
def share_meta(context):
    request = context.get("request")
    if request is None:
        return {}
    title = context.get("share_title") or ""
    if not title:
        # Titles end with " · " before base.html appends the portal's name.
        title = TITLE_TAIL.sub("", _overridden_block(context, "title"))
    return seo.share_meta(
        request,
        page=context.get("page"),
        title=title,
        description=context.get("share_description") or _overridden_block(context, "description"),
        image=context.get("share_image"),
        og_type=context.get("share_type") or "",
        url=context.get("canonical_url") or "",
    )
