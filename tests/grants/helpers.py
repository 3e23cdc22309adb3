"""Builders for the grants tests: calls with a rubric and a checklist, applications taken through the real
services to any state, awards, payments and reports. Every builder goes through grants.services, so a test
that builds a state also proves the path to it works."""

import datetime
import io
from decimal import Decimal

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.models import Role
from core.services import grant_role
from grants import services
from grants.models import Criterion, FundingCall, GrantApplication, GrantReport, RequiredDocument, Review
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, district

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "材料.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def make_call(*, region=None, budget="100000", created_by=None, publish=True, criteria=((60, "项目设计"), (40, "执行能力")),
              documents=("项目申报书",), **kwargs) -> FundingCall:
    """An open call (published, window around now) of ``region`` (贵阳市 by default) with a rubric and checklist."""
    now = timezone.now()
    fields = {
        "title": "2026 年公益创投", "kind": FundingCall.Kind.VENTURE, "year": 2026, "description": "面向全市社会组织的公益创投。",
        "budget": Decimal(budget), "opens_at": now - datetime.timedelta(days=1), "closes_at": now + datetime.timedelta(days=10),
        **kwargs,
    }
    call = FundingCall.objects.create(region=region or district("520100"), **fields)
    for order, (weight, name) in enumerate(criteria):
        Criterion.objects.create(call=call, name=name, weight=weight, max_score=10, sort_order=order)
    for order, name in enumerate(documents):
        RequiredDocument.objects.create(call=call, name=name, sort_order=order)
    if publish:
        officer = created_by or officer_for(call.region)
        services.publish_call(call, acting_user=officer)
        call.refresh_from_db()
    return call


def officer_for(region):
    user = UserFactory(name="资助干部")
    grant_role(user, Role.OFFICER, acting_user=None, region=region)
    return user


def reviewer_user(name: str = "评审专家"):
    user = UserFactory(name=name)
    grant_role(user, Role.REVIEWER, acting_user=None)
    return user


def member_of(organization):
    return MembershipFactory(organization=organization).user


def draft(call, organization=None, user=None, *, amount="20000", lines=None) -> GrantApplication:
    """A complete draft (budget lines adding up, targets, every required document) ready to submit."""
    organization = organization or OrganizationFactory(established_on=datetime.date(2025, 6, 1))
    user = user or member_of(organization)
    application = services.start_application(call, organization, acting_user=user)
    amount = Decimal(amount)
    lines = lines if lines is not None else [{"item": "人员劳务", "amount": amount * 3 / 5, "note": "2 人 × 6 个月"},
                                             {"item": "活动物料", "amount": amount * 2 / 5, "note": ""}]
    services.save_application(application, acting_user=user, data={
        "project_title": "社区助残陪伴计划", "summary": "为辖区残疾人提供陪伴与康复服务。", "requested_amount": amount,
        "beneficiaries_target": 120, "activities_target": 24,
    }, budget_lines=lines)
    for requirement in call.required_documents.all():
        services.attach_document(application, requirement, pdf(), acting_user=user)
    application.refresh_from_db()
    return application


def submitted(call, organization=None, user=None, **kwargs) -> GrantApplication:
    application = draft(call, organization, user, **kwargs)
    user = user or application.applicant
    return services.submit_application(application, acting_user=user)


def scored(call, officer, *, reviewers=None, marks=(8, 7), organization=None, **kwargs) -> GrantApplication:
    """Submitted, screened, reviewed by ``reviewers`` (two new ones by default) giving every criterion the
    marks given in ``marks`` (one per reviewer); the application ends 已评分."""
    application = submitted(call, organization, **kwargs)
    services.screen(application, acting_user=officer, passed=True)
    reviewers = reviewers or [reviewer_user(f"专家{i}") for i in range(len(marks))]
    services.assign_reviewers(application, reviewers, acting_user=officer)
    for reviewer, mark in zip(reviewers, marks, strict=True):
        review = Review.objects.get(application=application, reviewer=reviewer)
        services.declare_conflict(review, acting_user=reviewer, has_conflict=False)
        services.submit_review(review, acting_user=reviewer,
                               scores={c.pk: (mark, "理由充分") for c in call.criteria.all()})
    application.refresh_from_db()
    return application


def funded(call, officer, *, amount=None, **kwargs):
    """Scored, awarded and agreement signed: tranche 1 is payable."""
    application = scored(call, officer, **kwargs)
    award = services.award(application, acting_user=officer, amount=amount)
    services.sign_agreement(award, acting_user=officer, number=f"XY-{application.number}", signed_on=timezone.localdate())
    award.refresh_from_db()
    return award


def report(award, kind=GrantReport.Kind.MIDTERM, *, user=None, reached=60):
    """A submitted report of ``kind`` with one piece of evidence."""
    application = award.application
    user = user or application.applicant
    saved = services.save_report(application, kind, acting_user=user, data={
        "beneficiaries_reached": reached, "activities_held": 12, "spent_amount": Decimal("5000"), "outcomes": "完成计划的一半。",
    })
    services.attach_report_document(saved, pdf("签到表.pdf"), acting_user=user)
    return services.submit_report(saved, acting_user=user)


def export(url_name: str, client, what: str, fmt: str = "xlsx", **params):
    """An officer's export download (``?what=…&format=…``) from the admin view ``url_name``; it must answer 200."""
    query = "&".join(f"{k}={v}" for k, v in {"what": what, "format": fmt, **params}.items())
    response = client.get(reverse(url_name) + "?" + query)
    assert response.status_code == 200, response.content[:500]
    return response


def workbook_rows(response):
    """(sheet, header row, data rows) of an XLSX download."""
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    return sheet, rows[0], rows[1:]
