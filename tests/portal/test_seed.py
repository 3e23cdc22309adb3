"""seed_demo is expensive (it builds ~600 organizations and applications through the services), so the suite runs
it twice in one test and checks everything against that data."""

import datetime
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from core.models import Region, Role, RoleAssignment, User
from evaluations.models import Campaign, Flag
from orgs.codes import is_valid_credit_code
from orgs.models import Application, Membership, Organization


def row_counts():
    return {model._meta.label: model.objects.count() for model in apps.get_models() if model._meta.app_label in {
        "core", "orgs", "portal", "wagtailcore", "auth", "volunteers"
    }}


def test_seed_demo_builds_the_demo_world_and_a_second_run_adds_nothing(db):
    analyzed = []

    def watch(execute, sql, params, many, context):
        if sql == "ANALYZE":
            analyzed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        call_command("seed_demo", "--no-progress", stdout=StringIO())
    first = row_counts()
    # On PostgreSQL the rows written in bulk get planner statistics at once (core.backup.refresh_planner_statistics).
    assert len(analyzed) == (1 if connection.vendor == "postgresql" else 0)
    call_command("seed_demo", "--no-progress", stdout=StringIO())
    assert row_counts() == first
    # The demo accounts; 137… are demo raters, 136… demo volunteers and 135… grant applicants, who cannot sign in.
    demo_crowd = ("135", "136", "137")
    assert User.objects.exclude(phone__regex=rf"^({'|'.join(demo_crowd)})").count() == 9

    # Communities and committees under every district.
    for district in Region.objects.filter(level=Region.Level.DISTRICT):
        subs = district.get_children()
        assert subs.exists(), district.name
        assert all(sub.level == Region.Level.SUBDISTRICT and sub.code.startswith(district.code) for sub in subs)
        assert all(sub.get_children().filter(level=Region.Level.COMMITTEE).count() == 3 for sub in subs)

    # One account per role.
    assert User.objects.filter(is_superuser=True).count() == 1
    for role in (Role.OFFICER, Role.REVIEWER, Role.VOLUNTEER, Role.MERCHANT):
        assert RoleAssignment.objects.filter(role=role).exists(), role
    assert [r.code for r in User.objects.get(phone="13800000003").jurisdictions] == ["520102"]
    member_of = set(Membership.objects.filter(user__phone="13800000008").values_list("organization__name", flat=True))
    assert "阳光助残服务社" in member_of

    # About 600 organizations with valid codes, and applications in every state, some overdue.
    assert 600 <= Organization.objects.count() <= 700
    codes = Organization.objects.exclude(credit_code=None).values_list("credit_code", "kind")
    assert all(is_valid_credit_code(code, kind) for code, kind in codes)
    states = set(Application.objects.values_list("status", flat=True))
    # 已受理 is passed through on acceptance (受理 starts the review), so no application rests there.
    assert states == {s for s, _ in Application.Status.choices} - {Application.Status.ACCEPTED}
    overdue = Application.objects.filter(status__in=Application.OPEN, due_on__lt=datetime.date.today())
    assert overdue.count() >= 4

    # Evaluations: a published 2025 campaign, an open 2026 one with ratings and a flagged burst, graded organizations.
    past = Campaign.objects.get(kind=Campaign.Kind.PUBLIC, year=2025)
    assert past.status == Campaign.Status.PUBLISHED and past.results.filter(valid=True).count() > 100
    current = Campaign.objects.get(kind=Campaign.Kind.PUBLIC, year=2026)
    assert current.status == Campaign.Status.OPEN and current.ratings.exists()
    assert Flag.objects.filter(rating__campaign=current, resolution="").exists()
    assert Organization.objects.exclude(grade="").count() >= 12
    assert User.objects.get(phone="13800000009").phone_verified_at is not None


def test_the_demo_generator_gives_the_same_organizations_for_the_same_seed(db):
    import random

    from orgs import demo

    def generate(seed):
        demo.build(random.Random(seed), 40)
        rows = list(Organization.objects.order_by("name").values_list("name", "kind", "region__code", "credit_code"))
        Organization.service_fields.through.objects.all().delete()
        Organization.objects.all().delete()
        return rows

    first, again, other = generate(7), generate(7), generate(8)
    assert len(first) == 40 and first == again
    assert first != other
    assert all(is_valid_credit_code(code, kind) for _name, kind, _region, code in first if code)


def test_seed_demo_refuses_production_settings(db):
    with override_settings(PORTAL_ENV="production"), pytest.raises(CommandError, match="生产环境"):
        call_command("seed_demo", "--no-progress")
    assert not User.objects.exists()


def test_if_empty_skips_a_database_that_has_users(outsider, capsys):
    call_command("seed_demo", "--if-empty", "--no-progress")
    assert User.objects.count() == 1
    assert "13800000003" in capsys.readouterr().out  # the demo accounts are printed all the same
