"""Template context every page needs: the navigation of the public site."""

from django.urls import NoReverseMatch, reverse

from .navigation import NAVIGATION

# Pages that live under another area's URL but belong to this entry (购买服务's contracts, survey and workspace sit
# under /grants/, which is 孵化资助's prefix).
ALSO_UNDER = {"grants:procurements": ("/grants/contracts/", "/grants/survey/", "/grants/workspace/procurements/",
                                      "/grants/workspace/contracts/", "/grants/bid-reviews/")}


def site(request):
    items = []
    for label, url_name in NAVIGATION:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            # A domain area appears in the menu once its app provides the page.
            continue
        prefixes = [url] if url != "/" else []
        prefixes += ALSO_UNDER.get(url_name, ())
        match = max((len(p) for p in prefixes if request.path.startswith(p)), default=0)
        items.append({"label": label, "url": url, "match": match, "active": request.path == url})
    # Only the entry with the longest matching prefix is active (/grants/procurements/ is not also /grants/).
    best = max(items, key=lambda item: item["match"], default=None)
    if best is not None and best["match"]:
        best["active"] = True
    return {"nav_items": items}
