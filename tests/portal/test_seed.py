from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.test import override_settings

from core.models import Region, Role, RoleAssignment, User
from orgs.models import Membership, Organization


def row_counts():
    return {model._meta.label: model.objects.count() for model in apps.get_models() if model._meta.app_label in {
        "core", "orgs", "portal", "wagtailcore", "auth"
    }}


@pytest.fixture
def seeded(db):
    call_command("seed_demo", "--no-progress", stdout=StringIO())


def test_seed_demo_run_twice_leaves_the_same_row_counts(seeded):
    first = row_counts()
    call_command("seed_demo", "--no-progress", stdout=StringIO())
    assert row_counts() == first
    assert first["core.User"] == 9


def test_seed_demo_creates_communities_and_committees_under_every_district(seeded):
    for district in Region.objects.filter(level=Region.Level.DISTRICT):
        subs = district.get_children()
        assert subs.exists(), district.name
        assert all(sub.level == Region.Level.SUBDISTRICT and sub.code.startswith(district.code) for sub in subs)
        assert all(sub.get_children().filter(level=Region.Level.COMMITTEE).count() == 3 for sub in subs)


def test_seed_demo_creates_one_account_per_role(seeded):
    assert User.objects.filter(is_superuser=True).count() == 1
    for role in (Role.OFFICER, Role.REVIEWER, Role.VOLUNTEER, Role.MERCHANT):
        assert RoleAssignment.objects.filter(role=role).exists(), role
    nanming_officer = User.objects.get(phone="13800000003")
    assert [r.code for r in nanming_officer.jurisdictions] == ["520102"]
    member_of = set(Membership.objects.filter(user__phone="13800000008").values_list("organization__name", flat=True))
    assert "阳光助残服务社" in member_of


def test_seed_demo_has_applications_in_every_state_and_some_overdue(seeded):
    import datetime

    from orgs.models import Application

    states = set(Application.objects.values_list("status", flat=True))
    # 已受理 is passed through on acceptance (受理 starts the review), so no application rests there.
    assert states == {s for s, _ in Application.Status.choices} - {Application.Status.ACCEPTED}
    today = datetime.date.today()
    assert Application.objects.filter(status__in=Application.OPEN, due_on__lt=today).count() >= 4


def test_seed_demo_is_deterministic_for_a_seed(db):
    call_command("seed_demo", "--no-progress", "--seed", "7", stdout=StringIO())
    names_7 = list(Region.objects.filter(level=Region.Level.COMMITTEE).order_by("code").values_list("name", flat=True))
    codes = list(Organization.objects.order_by("name").values_list("credit_code", flat=True))
    assert len(names_7) > 0 and all(c is None or len(c) == 18 for c in codes)
    from orgs.codes import is_valid_credit_code

    assert all(is_valid_credit_code(c) for c in codes if c)


def test_seed_demo_refuses_production_settings(db):
    with override_settings(PORTAL_ENV="production"), pytest.raises(CommandError, match="生产环境"):
        call_command("seed_demo", "--no-progress")
    assert not User.objects.exists()


def test_if_empty_skips_a_database_that_has_users(outsider, capsys):
    call_command("seed_demo", "--if-empty", "--no-progress")
    assert User.objects.count() == 1
    assert "13800000003" in capsys.readouterr().out  # the demo accounts are printed all the same
