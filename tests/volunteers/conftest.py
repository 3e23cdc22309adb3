"""Fixtures most 爱心银行 tests share: the volunteer persona registered, and an activity of 阳光助残服务社 published by
its member (files that need another shape of either define their own)."""

import pytest

from .helpers import make_activity, register


@pytest.fixture
def member(volunteer):
    """The volunteer persona, registered with a valid ID number."""
    return register(volunteer)


@pytest.fixture
def activity(applicant, org_a):
    return make_activity(applicant, org_a)
