"""The part of the city a dashboard or a report covers: the subtrees of one or more regions.

Every figure, chart, drill-down link and report is computed for a :class:`Scope`, never for a user directly, so
that a report "for 南明区, 2026" is the same file whoever asks for it, and an officer's dashboard is the union of
their jurisdictions' subtrees (DESIGN.md §2: an officer sees everything *under* their node).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from core.models import Region
from core.permissions import under_paths_q


@dataclass(frozen=True)
class Scope:
    """Region path prefixes: a row is in scope when its region lies under any of them."""

    label: str
    paths: tuple[str, ...]

    @classmethod
    def for_region(cls, region: Region) -> Scope:
        return cls(label=region.name, paths=(region.path,))

    @classmethod
    def for_user(cls, user) -> Scope | None:
        """The officer's jurisdictions (a superuser: the whole tree); ``None`` for anybody else."""
        if not user.is_authenticated:
            return None
        if user.is_superuser:
            roots = list(Region.get_root_nodes())
            label = "、".join(r.name for r in roots) or _("全市")
            return cls(label=label, paths=tuple(r.path for r in roots))
        regions = list(user.jurisdictions)
        if not regions:
            return None
        return cls(label="、".join(r.name for r in regions), paths=tuple(r.path for r in regions))

    def q(self, region_field: str = "region"):
        """A filter for rows whose ``region_field`` (a path to a Region; ``"self"`` for regions) is in scope."""
        return under_paths_q(self.paths, region_field)
