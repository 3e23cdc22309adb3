"""Shared fixtures: the reference regions and one persona per role (DEVELOPERS.md)."""

import pytest
from django.core.cache import cache

from core.models import Role
from core.services import grant_role

from .factories import PASSWORD, MembershipFactory, OrganizationFactory, UserFactory, district


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests start from emptied tables; put the migrations' reference rows back."""
    marker = request.node.get_closest_marker("django_db")
    marked = marker is not None and bool(marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    if marked or "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        from .reference import ensure_reference_data

        request.getfixturevalue("transactional_db")
        ensure_reference_data()
        yield
        # SQLite's flush empties tables with DELETE, which the ledger's and OCDS's append-only triggers refuse: drop the
        # triggers for the flush that follows (ensure_reference_data puts them back for the next test).
        from django.db import connection

        from grants import ocds
        from volunteers.ledger import drop_triggers

        if connection.vendor == "sqlite":
            drop_triggers()
            ocds.drop_triggers()
        return
    yield


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def city(db):
    return district("520100")


@pytest.fixture
def nanming(db):
    return district("520102")


@pytest.fixture
def yunyan(db):
    return district("520103")


@pytest.fixture
def org_a(nanming):
    return OrganizationFactory(name="阳光助残服务社", region=nanming)


@pytest.fixture
def org_b(yunyan):
    return OrganizationFactory(name="云岩区社区养老服务中心", region=yunyan)


@pytest.fixture
def applicant(org_a):
    """A member (经办人) of organization A, in 南明区."""
    return MembershipFactory(organization=org_a, user=UserFactory(name="吴经办")).user


@pytest.fixture
def other_member(org_b):
    """A member of organization B, in 云岩区."""
    return MembershipFactory(organization=org_b, user=UserFactory(name="钱经办")).user


def _with_role(role, region=None, **kwargs):
    user = UserFactory(**kwargs)
    grant_role(user, role, acting_user=None, region=region)
    return user


@pytest.fixture
def officer_nanming(nanming):
    return _with_role(Role.OFFICER, nanming, name="刘南明")


@pytest.fixture
def officer_yunyan(yunyan):
    return _with_role(Role.OFFICER, yunyan, name="王云岩")


@pytest.fixture
def city_officer(city):
    return _with_role(Role.OFFICER, city, name="陈市干")


@pytest.fixture
def reviewer(db):
    return _with_role(Role.REVIEWER, name="赵评审")


@pytest.fixture
def volunteer(db):
    return _with_role(Role.VOLUNTEER, name="孙志愿")


@pytest.fixture
def merchant(db):
    return _with_role(Role.MERCHANT, name="周商家")


@pytest.fixture
def outsider(db):
    """A signed-up member of the public with no role."""
    return UserFactory(name="郑公众")


@pytest.fixture
def admin_user(db):
    return UserFactory(name="管理员", is_superuser=True, is_staff=True)
