"""The shape of a home-page figure, shared by every app's ``stats.home_figures()`` (see portal.figures)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: str
    unit: str = ""
    order: int = 100  # position on the page, smallest first
