"""The public site's main navigation: one entry per area (DESIGN.md §1), in reading order.

Each entry names a URL; an entry whose URL does not exist yet (its domain has not landed) is left out, so
the menu never leads to a missing page.
"""

from django.utils.translation import gettext_lazy as _

NAVIGATION = [
    (_("首页"), "home"),
    (_("社会组织"), "orgs:directory"),
    (_("孵化资助"), "grants:calls"),
    (_("购买服务"), "grants:procurements"),
    (_("爱心银行"), "volunteers:activities"),
    (_("五比五看"), "evaluations:campaigns"),
    (_("公开数据"), "open-data"),
]
