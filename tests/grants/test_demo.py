"""The 孵化与资助 demo data, built on top of seed_demo's first steps (regions, demo accounts, the demo organizations and
a small registry), so it runs in seconds; seed_demo's own test runs the whole command."""

import random

import pytest
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from core.models import User
from grants import demo, eligibility
from grants.models import (
    ApplicationStatus,
    Award,
    ConflictDeclaration,
    Disbursement,
    FundingCall,
    GrantApplication,
    GrantReport,
    IncubationBase,
    ReportStatusChange,
    Residency,
    ResidencyService,
    Review,
    ReviewStatusChange,
    Tranche,
    TrancheStatusChange,
)
from grants.permissions import open_calls
from orgs.models import Organization

pytestmark = pytest.mark.django_db


def test_every_stage_of_a_grant_appears(seeded):
    statuses = set(GrantApplication.objects.values_list("status", flat=True))
    assert statuses == set(ApplicationStatus.values)
    assert Tranche.objects.filter(status=Tranche.Status.STOPPED).exists()
    assert Disbursement.objects.filter(kind=Disbursement.Kind.CLAWBACK).count() == 1
    assert GrantReport.objects.filter(status=GrantReport.Status.SUBMITTED, kind=GrantReport.Kind.MIDTERM).exists()
    assert GrantReport.objects.filter(grade="C").count() == 1
    # A reviewer declared a conflict, and their review counts for nothing.
    conflicted = ConflictDeclaration.objects.get(has_conflict=True)
    assert conflicted.review.status == Review.Status.CONFLICTED and conflicted.review.total is None
    assert conflicted.review.application.score_count == 2
    # The demo reviewer has a review waiting for their declaration.
    assert Review.objects.filter(reviewer__phone=demo.REVIEWER, status=Review.Status.ASSIGNED).exists()


def test_the_money_adds_up(seeded):
    for call in FundingCall.objects.all():
        awarded = Award.objects.filter(application__call=call).aggregate(s=Sum("amount"))["s"] or 0
        assert call.awarded_total == awarded <= call.budget
    awards = Award.objects.annotate(moved=Sum("disbursements__amount"))
    assert awards.exists()
    for award in awards:
        assert award.paid_total == (award.moved or 0) <= award.amount
        assert award.tranches.aggregate(s=Sum("amount"))["s"] == award.amount
        paid = award.tranches.filter(status=Tranche.Status.PAID)
        assert paid.count() == award.disbursements.filter(kind=Disbursement.Kind.PAYMENT).count()
    completed = Award.objects.filter(application__status=ApplicationStatus.COMPLETED)
    assert completed.count() >= 2 and all(a.paid_total == a.amount for a in completed)


def test_the_closed_calls_are_last_years_and_the_open_call_closes_in_about_a_month(seeded):
    now = timezone.now()
    last_year = timezone.localdate().year - 1
    closed = FundingCall.objects.filter(year=last_year)
    assert {c.kind for c in closed} == {FundingCall.Kind.STARTUP, FundingCall.Kind.VENTURE}
    assert all(c.closes_at < now and c.closes_at.year == last_year for c in closed)
    [current] = open_calls()
    assert 28 <= (current.closes_at - now).days <= 31
    assert set(current.applications.values_list("status", flat=True)) == {
        ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED, ApplicationStatus.SCREENING, ApplicationStatus.REVIEWING}
    # Nothing happened in the future, and no award was made before its call closed.
    assert not Disbursement.objects.filter(paid_on__gt=timezone.localdate()).exists()
    assert not GrantApplication.objects.filter(submitted_at__gt=now).exists()
    assert not GrantApplication.objects.filter(Q(submitted_at__lt=F("call__opens_at")) | Q(submitted_at__gt=F("call__closes_at"))).exists()
    assert not Award.objects.filter(awarded_at__lt=F("application__call__closes_at")).exists()
    assert not Award.objects.filter(agreement_signed_on__isnull=False, awarded_at__date__gt=F("agreement_signed_on")).exists()


def test_bases_at_every_level_never_over_capacity_with_services_and_graduations(seeded):
    bases = IncubationBase.objects.annotate(open=Count("residencies", filter=Q(residencies__status=Residency.Status.RESIDENT)))
    assert {b.level for b in bases} == set(IncubationBase.Level.values)
    assert bases.filter(level=IncubationBase.Level.DISTRICT).count() >= 3
    assert not bases.exclude(residents=F("open")).exists()
    assert not bases.filter(residents__gt=F("capacity")).exists()
    graduated = Residency.objects.filter(status=Residency.Status.GRADUATED)
    assert graduated.exists() and not graduated.filter(Q(outcome="") | Q(assessment="")).exists()
    assert Residency.objects.filter(status=Residency.Status.WITHDRAWN).exists()
    assert not Residency.objects.annotate(n=Count("services")).filter(n=0).exists()
    assert not ResidencyService.objects.filter(provided_on__lt=F("residency__admitted_on")).exists()
    # The startup call asked for residency: its applicants were resident when they applied.
    startup = GrantApplication.objects.filter(call__kind=FundingCall.Kind.STARTUP)
    assert startup.exists() and all(
        any(check["rule"] == "residency" and check["passed"] for check in a.eligibility) for a in startup)


def test_the_demo_member_can_apply_to_the_open_call_for_their_organization(seeded):
    member = User.objects.get(phone=demo.DEMO_MEMBER)
    organization = Organization.objects.get(name=demo.DEMO_ORGANIZATION, memberships__user=member)
    [current] = open_calls()
    checks = eligibility.evaluate(current, organization)
    assert eligibility.failures(checks) == []
    assert not current.applications.filter(organization=organization).exists()
    # … and their organization has a finished grant from last year to look back on.
    assert GrantApplication.objects.get(organization=organization, call__kind=FundingCall.Kind.VENTURE,
                                        applicant=member).status == ApplicationStatus.COMPLETED


def test_running_it_again_adds_nothing_and_it_takes_seconds(seeded):
    assert seeded["seconds"] < 30
    models = (IncubationBase, Residency, ResidencyService, FundingCall, GrantApplication, Award, Disbursement, User)
    counts = {model: model.objects.count() for model in models}
    assert demo.build(random.Random(11)) is None
    assert {model: model.objects.count() for model in models} == counts


def test_no_workflow_history_of_the_demo_lies_in_the_future_or_before_its_call_opened(seeded):
    now = timezone.now()
    for model, call_path in ((ReviewStatusChange, "review__application__call"), (ReportStatusChange, "report__application__call"),
                             (TrancheStatusChange, "tranche__award__application__call")):
        rows = model.objects.all()
        assert rows.exists()
        assert not rows.filter(at__gt=now).exists()
        assert not rows.filter(at__lt=F(f"{call_path}__opens_at")).exists()
