"""Headless Debian Chromium through Playwright's Python package (its own browser download does not work
here). Browser tests skip, saying why, where there is no Chromium."""

import os
import shutil
from pathlib import Path

import pytest

from .pages import DEMO_PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium package to run browser tests")
    playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    # Playwright runs an event loop in this thread; the live server's ORM calls happen in their own thread,
    # the test's own ORM calls here are synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS




@pytest.fixture
def demo_people(transactional_db):
    """What the browser tests need of the demo world, without building all of it: the 南明区 officer with the demo
    password, and a few organizations for the home page's figures."""
    from core.models import Region, Role, User
    from core.services import grant_role
    from tests.factories import OrganizationFactory

    officer = User.objects.create_user(phone="13800000003", password=DEMO_PASSWORD, name="刘南明")
    nanming = Region.objects.get(code="520102")
    grant_role(officer, Role.OFFICER, acting_user=None, region=nanming)
    OrganizationFactory.create_batch(3, region=nanming)
    return {"officer": officer}
