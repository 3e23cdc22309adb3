import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.exceptions import InvalidTransition, PermissionDenied
from core.models import AuditEntry, Notification
from orgs import applications as services
from orgs.codes import make_credit_code
from orgs.exceptions import ApplicationIncomplete, CreditCodeError
from orgs.models import Application, Certificate, Organization
from tests.factories import UserFactory, community

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def pdf(name="材料.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def service_institution(applicant, region, **overrides):
    data = dict(
        name="南明区春晖养老服务中心", org_kind=Organization.Kind.SERVICE_INSTITUTION, legal_representative="李明",
        legal_representative_id_number="11010519491231002X", domicile="贵阳市南明区花果园大街 1 号",
        purpose="为老年人提供居家养老服务", business_scope="居家养老、助餐助浴、文体活动", activity_area="南明区",
        funds=Decimal("100000"), direct_category=Organization.DirectCategory.COMMUNITY_SERVICE,
    )
    data.update(overrides)
    return services.start_application(applicant=applicant, kind=Application.Kind.ESTABLISH, region=region, **data)


def attach_all(application, user):
    for code, _label in application.required_documents():
        services.attach_document(application, code, pdf(f"{code}.pdf"), acting_user=user)


@pytest.fixture
def founder(db):
    return UserFactory(name="李明")


@pytest.fixture
def draft(founder, nanming):
    return service_institution(founder, nanming)


@pytest.fixture
def submitted(draft, founder):
    attach_all(draft, founder)
    return services.submit(draft, acting_user=founder)


def test_submission_is_refused_until_every_required_document_is_uploaded(draft, founder):
    services.attach_document(draft, "application_form", pdf(), acting_user=founder)
    with pytest.raises(ApplicationIncomplete) as error:
        services.submit(draft, acting_user=founder)
    assert error.value.errors["documents"] == "还缺少以下材料：章程草案、验资证明、住所证明、负责人身份证明。"
    draft.refresh_from_db()
    assert draft.status == Application.Status.DRAFT


def test_a_renamed_executable_is_refused_by_its_content(draft, founder):
    from django.core.exceptions import ValidationError

    fake = SimpleUploadedFile("章程.pdf", b"MZ\x90\x00" + b"\x00" * 100, content_type="application/pdf")
    with pytest.raises(ValidationError, match="文件内容不是 PDF、JPG、PNG 格式"):
        services.attach_document(draft, "charter", fake, acting_user=founder)
    assert not draft.documents.exists()


def test_an_oversized_file_is_refused(draft, founder, settings):
    from django.core.exceptions import ValidationError

    big = SimpleUploadedFile("住所证明.png", PNG + b"\x00" * (20 * 1024 * 1024), content_type="image/png")
    with pytest.raises(ValidationError, match="单个文件不能超过 20 MB"):
        services.attach_document(draft, "domicile_proof", big, acting_user=founder)


def test_a_stored_document_keeps_its_hash_and_is_not_under_the_public_media_root(draft, founder, settings):
    import hashlib

    document = services.attach_document(draft, "charter", pdf("章程草案.pdf"), acting_user=founder)
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert document.original_name == "章程草案.pdf" and "章程" not in document.file.name
    assert not document.file.path.startswith(str(settings.MEDIA_ROOT))


@pytest.mark.parametrize(
    "overrides,field,fragment",
    [
        ({"org_kind": "social_group", "individual_members": 20, "unit_members": 5}, "individual_members", "50 个以上的个人会员"),
        ({"org_kind": "social_group", "individual_members": 60, "funds": Decimal("20000")}, "funds", "3 万元以上活动资金"),
        ({"org_kind": "foundation", "foundation_type": "non_public", "funds": Decimal("1000000")}, "funds", "200 万元"),
        ({"org_kind": "foundation", "foundation_type": "local_public", "funds": Decimal("3000000")}, "funds", "400 万元"),
        ({"name": "中华助老服务中心"}, "name", "不得冠以“中国”“全国”“中华”"),
    ],
)
def test_conditions_are_checked_at_submission_and_the_rule_is_quoted(founder, nanming, overrides, field, fragment):
    application = service_institution(founder, nanming, **overrides)
    attach_all(application, founder)
    with pytest.raises(ApplicationIncomplete) as error:
        services.submit(application, acting_user=founder)
    assert fragment in error.value.errors[field]


def test_the_whole_establishment_path_creates_the_organization_and_its_certificate(submitted, founder, officer_nanming):
    services.accept(submitted, officer=officer_nanming)
    submitted.refresh_from_db()
    assert submitted.status == Application.Status.REVIEWING
    assert submitted.due_on == datetime.date.today() + datetime.timedelta(days=60)
    services.request_correction(submitted, officer=officer_nanming, items="1. 章程第五条业务范围与申请表不一致")
    assert Notification.objects.filter(user=founder, title__contains="需要补正").exists()
    services.save_draft(submitted, acting_user=founder, save_form=lambda a: setattr(a, "business_scope", "居家养老") or a.save())
    services.submit(submitted, acting_user=founder)
    code = make_credit_code("2", "520102", "MJ0000123")
    certificate = services.approve(submitted, officer=officer_nanming, credit_code=code, note="材料齐全，符合条件")
    organization = Organization.objects.get(credit_code=code)
    assert organization.name == "南明区春晖养老服务中心" and organization.status == Organization.Status.REGISTERED
    assert organization.business_scope == "居家养老"
    assert organization.memberships.get().user == founder
    assert certificate.number.startswith("520102MF") and certificate.is_valid_on(datetime.date.today())
    assert organization.certificate_number == certificate.number
    moves = list(submitted.history.values_list("from_status", "to_status"))
    assert moves == [
        ("draft", "submitted"), ("submitted", "accepted"), ("accepted", "reviewing"),
        ("reviewing", "correction"), ("correction", "reviewing"), ("reviewing", "approved"),
    ]
    assert AuditEntry.objects.filter(action="application.establish.approved", actor=officer_nanming).exists()


def test_a_move_the_map_does_not_allow_is_refused(submitted, officer_nanming):
    with pytest.raises(InvalidTransition, match="不能变更为“准予”"):
        services.approve(submitted, officer=officer_nanming, credit_code=make_credit_code("2", "520102", "MJ0000124"))


def test_an_officer_of_another_district_cannot_decide(submitted, officer_yunyan):
    with pytest.raises(PermissionDenied):
        services.accept(submitted, officer=officer_yunyan)


def test_decisions_that_need_a_reason_refuse_an_empty_one(submitted, officer_nanming):
    from core.exceptions import DomainError

    with pytest.raises(DomainError, match="不予受理的理由"):
        services.reject_intake(submitted, officer=officer_nanming, reason="  ")


def test_a_bad_or_mismatched_credit_code_at_approval_is_a_domain_error_and_nothing_changes(submitted, officer_nanming):
    services.accept(submitted, officer=officer_nanming)
    with pytest.raises(CreditCodeError, match="与组织类型不符"):
        services.approve(submitted, officer=officer_nanming, credit_code=make_credit_code("1", "520102", "MJ0000125"))
    submitted.refresh_from_db()
    assert submitted.status == Application.Status.REVIEWING
    assert not Organization.objects.filter(name="南明区春晖养老服务中心").exists()


def test_a_charity_gets_thirty_days(founder, nanming, officer_nanming):
    application = service_institution(founder, nanming, is_charity=True)
    attach_all(application, founder)
    services.submit(application, acting_user=founder)
    services.accept(application, officer=officer_nanming)
    application.refresh_from_db()
    assert application.days_left() == 30


def test_filing_a_community_organization_gives_a_filing_number_and_no_credit_code(db, nanming, officer_nanming):
    centre = community(nanming, "520102001000", "花果园街道")
    founder = UserFactory()
    application = services.start_application(
        applicant=founder, kind=Application.Kind.FILING, region=centre, name="花果园邻里互助会",
        org_kind=Organization.Kind.COMMUNITY, legal_representative="张红梅",
    )
    attach_all(application, founder)
    services.submit(application, acting_user=founder)
    services.accept(application, officer=officer_nanming)
    from core.exceptions import DomainError

    with pytest.raises(DomainError, match="居（村）委会意见"):
        services.approve(application, officer=officer_nanming)
    services.record_committee_opinion(application, officer=officer_nanming, opinion="居委会同意备案，活动场所在社区活动中心")
    certificate = services.approve(application, officer=officer_nanming)
    organization = certificate.organization
    assert organization.status == Organization.Status.FILED and organization.credit_code is None
    assert organization.filing_number == "520102001000-BA-0001"
    assert certificate.kind == Certificate.Kind.FILING and certificate.valid_until is None


def test_change_reissues_the_certificate_and_deregistration_voids_it(submitted, founder, officer_nanming):
    services.accept(submitted, officer=officer_nanming)
    first = services.approve(submitted, officer=officer_nanming, credit_code=make_credit_code("2", "520102", "MJ0000126"))
    organization = first.organization
    change = services.start_application(applicant=founder, kind=Application.Kind.CHANGE, region=None,
                                        organization=organization, statement="住所变更")
    change.domicile = "贵阳市南明区新华路 8 号"
    change.save()
    attach_all(change, founder)
    services.submit(change, acting_user=founder)
    services.accept(change, officer=officer_nanming)
    second = services.approve(change, officer=officer_nanming)
    first.refresh_from_db()
    organization.refresh_from_db()
    assert first.voided_at is not None and not first.is_valid_on(datetime.date.today())
    assert second.is_valid_on(datetime.date.today()) and organization.domicile == "贵阳市南明区新华路 8 号"

    closing = services.start_application(applicant=founder, kind=Application.Kind.DEREGISTER, region=None,
                                         organization=organization, statement="完成使命，自愿注销")
    attach_all(closing, founder)
    services.submit(closing, acting_user=founder)
    services.accept(closing, officer=officer_nanming)
    assert services.approve(closing, officer=officer_nanming) is None
    organization.refresh_from_db()
    second.refresh_from_db()
    assert organization.status == Organization.Status.DEREGISTERED and second.voided_at is not None


def test_only_members_may_apply_for_an_organization(org_a, outsider):
    with pytest.raises(PermissionDenied):
        services.start_application(applicant=outsider, kind=Application.Kind.CHANGE, region=None, organization=org_a)


def test_a_responsible_person_invites_a_member_by_phone(org_a, outsider):
    from orgs.models import Membership
    from orgs.services import MembershipError, invite_member
    from tests.factories import MembershipFactory

    head = MembershipFactory(organization=org_a, role=Membership.Role.HEAD).user
    handler = MembershipFactory(organization=org_a).user
    with pytest.raises(MembershipError, match="只有本组织负责人"):
        invite_member(org_a, phone=outsider.phone, acting_user=handler)
    with pytest.raises(MembershipError, match="尚未注册"):
        invite_member(org_a, phone="13700000000", acting_user=head)
    spelled = f"+86 {outsider.phone}"
    invite_member(org_a, phone=spelled, acting_user=head)
    assert org_a.memberships.filter(user=outsider).exists()
    assert Notification.objects.filter(user=outsider, title__contains=org_a.name).exists()


def test_a_certificate_approved_on_29_february_is_valid_for_five_years(submitted, officer_nanming, monkeypatch):
    from core.dates import add_years

    assert add_years(datetime.date(2028, 2, 29), 5) == datetime.date(2033, 2, 28)
    services.accept(submitted, officer=officer_nanming)
    monkeypatch.setattr(services.timezone, "localdate", lambda *a: datetime.date(2028, 2, 29))
    certificate = services.approve(submitted, officer=officer_nanming, credit_code=make_credit_code("2", "520102", "MJ0000229"))
    assert certificate.issued_on == datetime.date(2028, 2, 29)
    assert certificate.valid_until == datetime.date(2033, 2, 27)
