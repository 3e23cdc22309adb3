"""Fixtures of the grants tests."""

import random
import time
from io import StringIO

import pytest

from grants import demo
from portal.management.commands.seed_demo import Command


@pytest.fixture
def seeded(db):
    """The demo's registry, then the grants demo (孵化与资助 and 政府购买服务), timed."""
    command = Command(stdout=StringIO())
    command.scale = {"organizations": 160}
    rng = random.Random(2026)
    for step in (command.seed_regions, command.seed_accounts, command.seed_organizations, command.seed_registry):
        step(rng)
    started = time.monotonic()
    counts = demo.build(random.Random(11))
    return {"counts": counts, "seconds": time.monotonic() - started}
