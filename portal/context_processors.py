"""Template context every page needs: the navigation of the public site."""

from django.urls import NoReverseMatch, reverse

from .navigation import NAVIGATION


def site(request):
    items = []
    for label, url_name in NAVIGATION:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            # A domain area appears in the menu once its app provides the page.
            continue
        items.append({"label": label, "url": url, "active": request.path == url or (url != "/" and request.path.startswith(url))})
    return {"nav_items": items}
