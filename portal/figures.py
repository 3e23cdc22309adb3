"""Live figures for the home page, computed from the database and cached.

Each domain app may offer a ``stats.home_figures()`` returning :class:`Figure` rows; this module asks every
app that has one, in the order of INSTALLED_APPS. A figure appears once the domain that owns its rows
exists, so the page never shows a number that is not computed from real rows.
"""

import importlib
from dataclasses import asdict

from django.apps import apps
from django.conf import settings
from django.core.cache import cache

from core.figures import Figure

CACHE_KEY = "portal:home-figures:v1"


def compute_figures() -> list[Figure]:
    figures: list[Figure] = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.stats")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.stats":
                raise
            continue
        provider = getattr(module, "home_figures", None)
        if provider is not None:
            figures.extend(provider())
    return sorted(figures, key=lambda figure: figure.order)


def live_figures() -> list[dict]:
    """The figures as dicts, from the cache when fresh (PORTAL_FIGURES_CACHE_SECONDS)."""
    return cache.get_or_set(
        CACHE_KEY, lambda: [asdict(f) for f in compute_figures()], settings.PORTAL_FIGURES_CACHE_SECONDS
    )
