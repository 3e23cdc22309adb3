"""Who may see what. Every queryset a view, export or API returns goes through :func:`visible_to` first
(DESIGN.md §2): a superuser sees everything; an officer sees the rows in their jurisdictions' subtrees;
an organization member sees their organizations' rows; anybody sees the rows they own."""

import re

from django.apps import apps
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from .models import Region


def membership_model():
    """The orgs app's Membership, looked up by name so that core never imports a domain app."""
    return apps.get_model(settings.PORTAL_MEMBERSHIP_MODEL)


def under_paths_q(paths, region_field: str = "region") -> Q:
    """Rows whose ``region_field`` (``"self"`` when the rows are regions) lies under any of the region ``paths``;
    matches nothing for no paths."""
    key = "path__startswith" if region_field in ("", "self") else f"{region_field}__path__startswith"
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{key: path})
    return q


def jurisdiction_q(user, region_field: str = "region") -> Q:
    """Rows whose ``region_field`` lies under one of the officer's jurisdictions; matches nothing for
    a user who is not an officer."""
    return under_paths_q([region.path for region in user.jurisdictions], region_field)


def member_q(user, organization_field: str) -> Q:
    """Rows whose ``organization_field`` is an organization the user is a member of.

    An EXISTS subquery rather than a join, so rows are never duplicated and no DISTINCT is needed.
    """
    target = "pk" if organization_field in ("", "pk", "self") else f"{organization_field}_id"
    memberships = membership_model().objects.filter(user=user, organization_id=OuterRef(target))
    return Q(Exists(memberships))


def visible_to(
    user,
    queryset: QuerySet,
    *,
    region: str | None = "region",
    organization: str | None = None,
    owner: str | None = None,
    public: Q | None = None,
) -> QuerySet:
    """Restrict ``queryset`` to the rows ``user`` may see.

    ``region``: the path to the row's Region, or ``"self"`` when the rows are regions (officers see their
    subtree); ``organization``: the path to
    the row's Organization, or ``"self"`` when the rows are organizations (members see their own);
    ``owner``: the path to the owning user; ``public``: rows anybody may see (e.g. published ones).
    Pass ``None`` to leave a rule out. Anonymous users see only ``public`` rows.
    """
    if user.is_authenticated and user.is_superuser:
        return queryset
    q = Q(pk__in=[])
    if public is not None:
        q |= public
    if user.is_authenticated:
        if region is not None:
            q |= jurisdiction_q(user, region)
        if organization is not None:
            q |= member_q(user, organization)
        if owner is not None:
            q |= Q(**{owner: user})
    return queryset.filter(q)


def get_visible_or_404(user, queryset: QuerySet, /, **lookup):
    """The one row ``lookup`` names, if ``user`` may see it; otherwise 404, never 403, so that guessing
    ids reveals nothing (DESIGN.md §2). Pass the scoping keywords of :func:`visible_to` in ``lookup``
    under the names ``region``, ``organization``, ``owner`` and ``public``."""
    scope = {key: lookup.pop(key) for key in ("region", "organization", "owner", "public") if key in lookup}
    try:
        return visible_to(user, queryset, **scope).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404 from exc


def can_administer_region(user, region: Region | None) -> bool:
    """Superusers administer everything; officers the nodes under their jurisdictions; nobody else."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return region is not None and any(region.path.startswith(j.path) for j in user.jurisdictions)


ASCII_ID = re.compile(r"[0-9]{1,9}")


def id_or_404(value) -> int:
    """A row id from a query string or a form field; anything else ("abc", "²", a 20-digit number that the
    database cannot hold) is a 404, never a 500."""
    if not ASCII_ID.fullmatch(str(value or "")):
        raise Http404
    return int(value)
