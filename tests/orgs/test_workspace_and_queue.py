import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from orgs import applications as services
from orgs.codes import make_credit_code
from orgs.models import Application, Organization
from tests.orgs.test_applications import PDF, attach_all, service_institution

FORM = {
    "name": "南明区春晖养老服务中心", "org_kind": "service_institution", "nature": "public_benefit",
    "direct_category": "community_service", "legal_representative": "李明",
    "legal_representative_id_number": "11010519491231002X", "domicile": "贵阳市南明区花果园大街 1 号",
    "purpose": "为老年人提供居家养老服务", "business_scope": "居家养老、助餐助浴", "activity_area": "南明区",
    "funds": "100000", "individual_members": "0", "unit_members": "0", "contact_phone": "0851-88888888",
}


@pytest.fixture
def form_data(nanming):
    return {**FORM, "region": nanming.pk}


def test_applicant_starts_a_draft_uploads_the_checklist_and_submits(client, outsider, form_data):
    client.force_login(outsider)
    response = client.post(reverse("orgs:application_start", args=["establish"]), form_data)
    application = Application.objects.get()
    assert response.url == reverse("orgs:application", args=[application.pk])
    for code, _label in application.required_documents():
        upload = SimpleUploadedFile(f"{code}.pdf", PDF, content_type="application/pdf")
        client.post(reverse("orgs:application_upload", args=[application.pk]), {"requirement": code, "file": upload})
    response = client.post(reverse("orgs:application", args=[application.pk]), {**form_data, "submit": "1"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED


def test_a_bad_id_number_gives_a_chinese_field_error_and_keeps_the_draft(client, outsider, form_data):
    client.force_login(outsider)
    response = client.post(
        reverse("orgs:application_start", args=["establish"]), {**form_data, "legal_representative_id_number": "110105194912310021"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["legal_representative_id_number"] == ["公民身份号码校验位不正确，请核对后重新输入。"]
    html = response.content.decode()
    assert 'value="南明区春晖养老服务中心"' in html and "为老年人提供居家养老服务" in html


def test_missing_documents_at_submission_are_listed_and_the_edits_are_kept(client, outsider, nanming, form_data):
    application = service_institution(outsider, nanming)
    client.force_login(outsider)
    response = client.post(reverse("orgs:application", args=[application.pk]),
                           {**form_data, "business_scope": "新的业务范围", "submit": "1"})
    assert response.status_code == 400
    assert "还缺少以下材料：登记申请书、章程草案、验资证明、住所证明、负责人身份证明。" in response.content.decode()
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT and application.business_scope == "新的业务范围"


def test_a_renamed_exe_upload_shows_a_chinese_error_next_to_that_item(client, outsider, nanming):
    application = service_institution(outsider, nanming)
    client.force_login(outsider)
    fake = SimpleUploadedFile("章程.pdf", b"MZ\x90\x00" + b"\x00" * 64, content_type="application/pdf")
    response = client.post(reverse("orgs:application_upload", args=[application.pk]), {"requirement": "charter", "file": fake})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="file-charter-error"' in html and "文件内容不是 PDF、JPG、PNG 格式" in html
    assert not application.documents.exists()


def test_another_person_cannot_see_or_change_my_application(client, outsider, other_member, nanming):
    application = service_institution(outsider, nanming)
    client.force_login(other_member)
    assert client.get(reverse("orgs:application", args=[application.pk])).status_code == 404
    assert client.post(reverse("orgs:application", args=[application.pk]), FORM).status_code == 404


@pytest.fixture
def yunyan_submitted(db, yunyan):
    from tests.factories import UserFactory

    founder = UserFactory()
    application = service_institution(founder, yunyan, name="云岩区友邻社会工作服务中心")
    attach_all(application, founder)
    return services.submit(application, acting_user=founder)


def test_nanming_officer_gets_404_for_a_yunyan_application_everywhere(client, officer_nanming, yunyan_submitted):
    client.force_login(officer_nanming)
    document = yunyan_submitted.documents.first()
    assert client.get(reverse("org_applications:inspect", args=[yunyan_submitted.pk])).status_code == 404
    assert client.post(reverse("org_applications:decide", args=[yunyan_submitted.pk]), {"action": "accept"}).status_code == 404
    assert client.get(f"/api/v1/orgs/applications/{yunyan_submitted.pk}/").status_code == 404
    assert client.get(reverse("orgs:document", args=[document.pk])).status_code == 404
    listing = client.get(reverse("org_applications:index")).content.decode()
    assert "云岩区友邻社会工作服务中心" not in listing
    yunyan_submitted.refresh_from_db()
    assert yunyan_submitted.status == Application.Status.SUBMITTED


def test_the_yunyan_officer_works_the_queue_through_to_a_certificate(client, officer_yunyan, yunyan_submitted):
    client.force_login(officer_yunyan)
    listing = client.get(reverse("org_applications:index")).content.decode()
    assert "云岩区友邻社会工作服务中心" in listing
    decide = reverse("org_applications:decide", args=[yunyan_submitted.pk])
    client.post(decide, {"action": "accept"})
    client.post(decide, {"action": "correction", "text": "请补充住所使用证明原件扫描件"})
    yunyan_submitted.refresh_from_db()
    assert yunyan_submitted.status == Application.Status.CORRECTION
    services.submit(yunyan_submitted, acting_user=yunyan_submitted.applicant)
    response = client.post(decide, {"action": "approve", "credit_code": "BAD", "text": ""}, follow=True)
    assert "统一社会信用代码应为 18 位" in response.content.decode()
    code = make_credit_code("2", "520103", "MJ0000777")
    client.post(decide, {"action": "approve", "credit_code": code, "text": "符合条件"})
    organization = Organization.objects.get(credit_code=code)
    certificate = organization.certificates.get()
    pdf = client.get(reverse("orgs:certificate_pdf", args=[certificate.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and b"/FontFile2" in pdf.content  # the CJK TrueType font is embedded
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
        assert "云岩区友邻社会工作服务中心" in text and code in text and "民办非企业单位（社会服务机构）登记证书" in text
    verify = client.get(reverse("orgs:verify", args=[certificate.verification_code])).content.decode()
    assert "证书有效" in verify


def test_the_export_of_the_queue_holds_only_the_jurisdictions_rows(client, officer_nanming, officer_yunyan, yunyan_submitted):
    client.force_login(officer_yunyan)
    mine = client.get(reverse("org_applications:index"), {"export": "csv"})
    assert "云岩区友邻社会工作服务中心" in b"".join(mine.streaming_content).decode("utf-8-sig")
    client.force_login(officer_nanming)
    theirs = client.get(reverse("org_applications:index"), {"export": "csv"})
    assert "云岩区友邻社会工作服务中心" not in b"".join(theirs.streaming_content).decode("utf-8-sig")


def test_overdue_filter_shows_only_items_past_their_limit(client, officer_yunyan, yunyan_submitted):
    import datetime

    services.accept(yunyan_submitted, officer=officer_yunyan)
    Application.objects.filter(pk=yunyan_submitted.pk).update(due_on=datetime.date.today() - datetime.timedelta(days=3))
    client.force_login(officer_yunyan)
    overdue = client.get(reverse("org_applications:index"), {"overdue": "overdue"}).content.decode()
    assert "云岩区友邻社会工作服务中心" in overdue and "超期 3 天" in overdue
    near = client.get(reverse("org_applications:index"), {"overdue": "near"}).content.decode()
    assert "云岩区友邻社会工作服务中心" not in near


def test_applicant_sees_the_correction_notice_in_the_workspace(client, officer_yunyan, yunyan_submitted):
    services.accept(yunyan_submitted, officer=officer_yunyan)
    services.request_correction(yunyan_submitted, officer=officer_yunyan, items="请补充理事会名单")
    client.force_login(yunyan_submitted.applicant)
    home = client.get(reverse("orgs:workspace")).content.decode()
    assert "需要补正" in home
    detail = client.get(reverse("orgs:application", args=[yunyan_submitted.pk])).content.decode()
    assert "请补充理事会名单" in detail and "保存并提交" in detail


def test_the_workspace_invite_form_adds_a_member_and_bad_phones_get_a_chinese_message(client, org_a, org_b, outsider):
    from orgs.models import Membership
    from tests.factories import MembershipFactory

    head = MembershipFactory(organization=org_a, role=Membership.Role.HEAD).user
    client.force_login(head)
    url = reverse("orgs:invite_member", args=[org_a.pk])
    response = client.post(url, {"phone": "123", "role": "handler"}, follow=True)
    assert "请输入有效的中国大陆手机号码" in response.content.decode()
    client.post(url, {"phone": outsider.phone, "role": "handler"})
    assert org_a.memberships.filter(user=outsider).exists()
    client.force_login(outsider)  # now a member of A, never of B
    assert client.post(reverse("orgs:invite_member", args=[org_b.pk]), {"phone": head.phone}).status_code == 404
    assert not org_b.memberships.filter(user=head).exists()


def test_starting_from_the_workspace_keeps_the_chosen_service_fields(client, outsider, form_data):
    from orgs.models import ServiceField

    elderly = ServiceField.objects.get(code="elderly")
    client.force_login(outsider)
    client.post(reverse("orgs:application_start", args=["establish"]), {**form_data, "service_fields": [elderly.pk]})
    assert list(Application.objects.get().service_fields.all()) == [elderly]


def test_opening_the_review_page_with_an_id_number_is_audited(client, officer_yunyan, yunyan_submitted):
    from core.models import AuditEntry

    client.force_login(officer_yunyan)
    client.get(reverse("org_applications:inspect", args=[yunyan_submitted.pk]))
    entry = AuditEntry.objects.get(action="personal_data.view")
    assert entry.actor == officer_yunyan and entry.object_id == str(yunyan_submitted.pk)


def test_reading_a_notification_marks_it_read_and_nobody_else_can(client, officer_yunyan, yunyan_submitted, outsider):
    from core.models import Notification

    services.accept(yunyan_submitted, officer=officer_yunyan)
    notification = Notification.objects.get(user=yunyan_submitted.applicant)
    client.force_login(outsider)
    assert client.post(reverse("orgs:notification_read", args=[notification.pk])).status_code == 404
    client.force_login(yunyan_submitted.applicant)
    client.post(reverse("orgs:notification_read", args=[notification.pk]))
    notification.refresh_from_db()
    assert notification.read_at is not None
