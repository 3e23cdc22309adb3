"""Dashboard tests compute every figure fresh: no cached figures between a change and the assertion."""

import pytest


@pytest.fixture(autouse=True)
def _no_dashboard_cache(settings):
    settings.PORTAL_DASHBOARD_CACHE_SECONDS = 0
