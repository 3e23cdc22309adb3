"""The 孵化资助 pages through HTTP: the public calls, call and bases pages (with fixed query counts), the
organization's workspace from the eligibility verdict to a submitted application, errors by the field with the
typed input kept, the mid-term report, private downloads, the profile section, and 404 for other organizations."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from grants import incubation, services
from grants.models import FundingCall, GrantApplication, GrantReport, IncubationBase
from grants.profile import grants_section
from orgs.models import Organization
from tests.factories import OrganizationFactory

from .helpers import funded, make_call, pdf, report

pytestmark = pytest.mark.django_db
Status = GrantApplication.Status


@pytest.fixture
def call(city_officer):
    return make_call(created_by=city_officer, title="2026 年公益创投", budget="500000")


def lines_data(rows, *, initial=0, total=None):
    data = {"lines-TOTAL_FORMS": str(total or len(rows)), "lines-INITIAL_FORMS": str(initial),
            "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "60"}
    for index, (item, amount, note) in enumerate(rows):
        data |= {f"lines-{index}-item": item, f"lines-{index}-amount": amount, f"lines-{index}-note": note}
    return data


PARTICULARS = {
    "project_title": "社区助残陪伴计划", "summary": "为辖区残疾人提供陪伴与康复服务。", "requested_amount": "20000",
    "beneficiaries_target": "120", "activities_target": "24", "contact_name": "吴经办", "contact_phone": "13800138000",
}


def in_progress(call, officer, organization, user):
    """A funded application of ``organization`` whose first tranche is paid: reports are open."""
    award = funded(call, officer, organization=organization, user=user, amount=Decimal("20000"))
    services.pay_tranche(award.tranches.get(sequence=1), acting_user=officer, paid_on=timezone.localdate())
    award.refresh_from_db()
    return award


# --- public pages -------------------------------------------------------------------------------------------
def test_the_public_call_list_shows_an_open_call_with_its_countdown_and_hides_drafts(client, city_officer):
    now = timezone.now()
    make_call(created_by=city_officer, title="2026 年公益创投", closes_at=now + datetime.timedelta(days=3, hours=5, minutes=30))
    make_call(created_by=city_officer, title="尚未发布的以奖代补", publish=False)
    past = make_call(created_by=city_officer, title="2025 年初创补贴")
    FundingCall.objects.filter(pk=past.pk).update(opens_at=now - datetime.timedelta(days=300),
                                                  closes_at=now - datetime.timedelta(days=200))
    response = client.get(reverse("grants:calls"))
    text = response.text
    assert response.status_code == 200
    assert "2026 年公益创投" in text and "3 天 5 小时" in text and "data-closes=" in text
    assert text.index("2026 年公益创投") < text.index("往期计划") < text.index("2025 年初创补贴")
    assert "尚未发布的以奖代补" not in text
    draft = FundingCall.objects.get(title="尚未发布的以奖代补")
    assert client.get(reverse("grants:call", args=[draft.pk])).status_code == 404


def test_the_call_page_explains_the_rules_rubric_documents_tranches_and_awards(client, city_officer, applicant, org_a):
    call = make_call(created_by=city_officer, title="2026 年初创补贴", kind=FundingCall.Kind.STARTUP, budget="300000",
                     max_months_established=24, eligible_kinds=["community", "service_institution"])
    Organization.objects.filter(pk=org_a.pk).update(established_on=datetime.date(2025, 6, 1))
    org_a.refresh_from_db()
    in_progress(call, city_officer, org_a, applicant)
    text = client.get(reverse("grants:call", args=[call.pk])).text
    assert "不超过 24 个月" in text and "社区社会组织" in text and "面向贵阳市" in text
    assert "项目设计" in text and "60 分" in text and "项目申报书" in text
    assert "协议签订后拨付资助金额的 50%" in text and "中期报告合格后拨付资助金额的 30%" in text
    assert "阳光助残服务社" in text and "社区助残陪伴计划" in text and "¥20,000.00" in text
    assert "¥280,000.00" in text  # remaining


@pytest.mark.parametrize("size", [2, 12])
def test_public_pages_and_the_profile_section_run_a_fixed_number_of_queries(
        client, rf, city_officer, size, django_assert_max_num_queries, django_assert_num_queries):
    weights = [100 // size] * (size - 1) + [100 - 100 // size * (size - 1)]
    criteria = [(weight, f"评分项{i}") for i, weight in enumerate(weights)]
    call = make_call(created_by=city_officer, budget="1000000", criteria=criteria,
                     documents=[f"材料{i}" for i in range(size)])
    for i in range(size):
        organization = OrganizationFactory(name=f"获资助组织{i}")
        funded(call, city_officer, organization=organization, amount=Decimal("1000"), marks=(8,))
        make_call(created_by=city_officer, title=f"其他计划{i}")
        base = IncubationBase.objects.create(name=f"孵化基地{i}", level=IncubationBase.Level.DISTRICT,
                                             region=organization.region, operator="运营单位", capacity=5)
        incubation.admit(base, organization, acting_user=city_officer, admitted_on=timezone.localdate())
    assert client.get(reverse("grants:calls")).status_code == 200  # the first request creates the site settings
    for url in (reverse("grants:calls"), reverse("grants:call", args=[call.pk]), reverse("grants:bases")):
        with django_assert_max_num_queries(6):
            response = client.get(url)
        assert response.status_code == 200
    assert f"获资助组织{size - 1}" in response.text and "剩余 4 个名额" in response.text
    with django_assert_num_queries(2):
        section = grants_section(rf.get("/"), organization)
    assert "¥1,000.00" in section and f"孵化基地{size - 1}" in section


def test_the_bases_page_shows_capacity_places_left_and_residents_by_level(client, city_officer, org_a, nanming, city):
    district_base = IncubationBase.objects.create(name="南明区社会组织孵化园", level=IncubationBase.Level.DISTRICT,
                                                  region=nanming, operator="南明区社工协会", capacity=3)
    IncubationBase.objects.create(name="贵阳市社会组织孵化中心", level=IncubationBase.Level.CITY, region=city,
                                  operator="市社会组织服务中心", capacity=10)
    incubation.admit(district_base, org_a, acting_user=city_officer, admitted_on=timezone.localdate())
    text = client.get(reverse("grants:bases")).text
    assert text.index("市级孵化基地") < text.index("区级孵化基地")
    assert "剩余 2 个名额" in text and "阳光助残服务社" in text
    filtered = client.get(reverse("grants:bases"), {"level": "city"}).text
    assert "贵阳市社会组织孵化中心" in filtered and "南明区社会组织孵化园" not in filtered


# --- the organization's workspace ---------------------------------------------------------------------------
def test_an_eligible_member_starts_fills_uploads_and_submits_an_application(client, call, applicant, org_a):
    client.force_login(applicant)
    workspace = client.get(reverse("grants:workspace")).text
    start = reverse("grants:application_start", args=[call.pk, org_a.pk])
    assert "符合申报条件" in workspace and start in workspace
    response = client.post(start)
    application = GrantApplication.objects.get(organization=org_a, call=call)
    assert response.status_code == 302 and response.url == reverse("grants:application", args=[application.pk])
    page = reverse("grants:application", args=[application.pk])
    more = client.post(page, PARTICULARS | lines_data([("人员劳务", "12000", "2 人 × 6 个月")]) | {"add_row": "1"})
    assert more.status_code == 200 and 'name="lines-1-item"' in more.text and 'value="人员劳务"' in more.text
    requirement = call.required_documents.get()
    rows = [("人员劳务", "12000", "2 人 × 6 个月"), ("活动物料", "8000", "")]
    saved = client.post(page, PARTICULARS | lines_data(rows) | {f"doc-{requirement.pk}": pdf("申报书.pdf"), "save": "1"})
    assert saved.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.DRAFT and application.budget_lines.count() == 2
    assert application.documents.get().original_name == "申报书.pdf"
    submitted = client.post(page, PARTICULARS | lines_data(rows, initial=2) | {"submit": "1"})
    assert submitted.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    text = client.get(page).text
    assert "已提交" in text and "资格审查记录" in text and "活动物料" in text and 'name="project_title"' not in text
    download = client.get(reverse("grants:document", args=[application.documents.get().pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_budget_lines_that_do_not_add_up_show_the_message_by_the_budget_section_and_keep_the_input(client, call, applicant, org_a):
    application = services.start_application(call, org_a, acting_user=applicant)
    requirement = call.required_documents.get()
    services.attach_document(application, requirement, pdf(), acting_user=applicant)
    client.force_login(applicant)
    response = client.post(reverse("grants:application", args=[application.pk]),
                           PARTICULARS | lines_data([("人员劳务", "5000", "半年")]) | {"submit": "1"})
    text = response.text
    assert response.status_code == 400
    error = text.index('id="budget-error"')
    assert text.index('id="budget"') < error < text.index('name="lines-0-item"') < text.index('id="documents"')
    assert "预算明细合计 ¥5,000.00，与申请金额 ¥20,000.00 不一致" in text[error:error + 300]
    assert 'value="社区助残陪伴计划"' in text and 'value="5000"' in text and 'value="半年"' in text
    application.refresh_from_db()
    assert application.status == Status.DRAFT and application.project_title == "社区助残陪伴计划"


def test_a_file_that_is_not_a_document_is_refused_by_its_checklist_item_and_the_particulars_are_kept(client, call, applicant, org_a):
    application = services.start_application(call, org_a, acting_user=applicant)
    requirement = call.required_documents.get()
    client.force_login(applicant)
    fake = SimpleUploadedFile("申报书.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(reverse("grants:application", args=[application.pk]),
                           PARTICULARS | lines_data([("人员劳务", "20000", "")]) | {f"doc-{requirement.pk}": fake, "save": "1"})
    text = response.text
    assert response.status_code == 400
    assert text.index(f'id="doc-{requirement.pk}"') < text.index("文件内容不是") < text.index("</fieldset>", text.index('id="documents"'))
    assert 'value="社区助残陪伴计划"' in text
    assert not application.documents.exists()


def test_an_ineligible_organization_sees_each_failing_rule_and_its_start_is_refused_naming_the_rule(client, city_officer, applicant, org_a):
    call = make_call(created_by=city_officer, title="2026 年初创补贴", kind=FundingCall.Kind.STARTUP,
                     max_months_established=24, eligible_kinds=["community"], require_residency=True)
    Organization.objects.filter(pk=org_a.pk).update(established_on=datetime.date(2019, 1, 1))
    client.force_login(applicant)
    text = client.get(reverse("grants:workspace")).text
    assert "暂不符合申报条件" in text
    assert "本计划面向社区社会组织" in text and "成立于 2019-01-01" in text and "不在任何孵化基地入驻" in text
    start = reverse("grants:application_start", args=[call.pk, org_a.pk])
    assert start not in text
    response = client.post(start)
    assert response.status_code == 400
    assert "资格条件“组织类型”未满足" in response.text and "资格条件“在孵要求”未满足" in response.text
    assert not GrantApplication.objects.exists()


def test_another_organizations_member_gets_404_on_the_application_its_documents_and_its_reports(
        client, call, city_officer, applicant, org_a, other_member, reviewer, org_b):
    award = in_progress(call, city_officer, org_a, applicant)
    application = award.application
    midterm = report(award, user=applicant)
    urls = [
        reverse("grants:application", args=[application.pk]),
        reverse("grants:document", args=[application.documents.first().pk]),
        reverse("grants:report", args=[application.pk, "midterm"]),
        reverse("grants:report_document", args=[midterm.documents.get().pk]),
    ]
    assert all(client.get(url).status_code == 302 for url in urls)  # anonymous: sign in first
    client.force_login(applicant)
    assert [client.get(url).status_code for url in urls] == [200, 200, 200, 200]
    for person in (other_member, reviewer):
        client.force_login(person)
        assert [client.get(url).status_code for url in urls] == [404, 404, 404, 404]
    client.force_login(other_member)
    assert client.post(urls[0], PARTICULARS | {"save": "1"}).status_code == 404
    assert client.post(urls[2], {"outcomes": "冒名", "save": "1"}).status_code == 404
    assert client.post(reverse("grants:application_start", args=[call.pk, org_a.pk])).status_code == 404
    assert GrantReport.objects.get(pk=midterm.pk).outcomes == "完成计划的一半。"


def test_a_funded_organization_submits_a_midterm_report_with_evidence(client, call, city_officer, applicant, org_a):
    award = in_progress(call, city_officer, org_a, applicant)
    page = reverse("grants:report", args=[award.application_id, "midterm"])
    client.force_login(applicant)
    record = client.get(reverse("grants:application", args=[award.application_id])).text
    assert "评审得分 <strong>75.00</strong>" in record and f"XY-{award.application.number}" in record
    assert "协议签订后" in record and "已拨付" in record and "¥10,000.00" in record and "中期报告" in record
    assert "申报目标：120 人" in client.get(page).text
    typed = {"beneficiaries_reached": "65", "activities_held": "13", "spent_amount": "9000.50",
             "outcomes": "开展陪伴服务 13 场，服务 65 人。", "problems": ""}
    refused = client.post(page, typed | {"submit": "1"})
    assert refused.status_code == 400
    text = refused.text
    assert text.index('id="evidence"') < text.index("请上传至少一份佐证材料") and 'value="65"' in text
    submitted = client.post(page, typed | {"file": pdf("签到表.pdf"), "submit": "1"})
    assert submitted.status_code == 302
    midterm = GrantReport.objects.get(application=award.application, kind=GrantReport.Kind.MIDTERM)
    assert (midterm.status, midterm.beneficiaries_reached, midterm.spent_amount) == ("submitted", 65, Decimal("9000.50"))
    assert midterm.documents.get().original_name == "签到表.pdf"
    services.assess_report(midterm, acting_user=city_officer, score=80, assessment="进度符合计划")
    text = client.get(page).text
    assert "B（合格）" in text and "进度符合计划" in text and "65 人" in text
    final = client.get(reverse("grants:report", args=[award.application_id, "final"]))
    assert final.status_code == 200 and 'name="outcomes"' in final.text


def test_the_profile_section_shows_the_incubation_history_and_an_awarded_grant(client, call, city_officer, applicant, org_a, nanming):
    base = IncubationBase.objects.create(name="南明区社会组织孵化园", level=IncubationBase.Level.DISTRICT, region=nanming,
                                         operator="南明区社工协会", capacity=3)
    residency = incubation.admit(base, org_a, acting_user=city_officer, admitted_on=datetime.date(2025, 3, 1))
    incubation.leave(residency, acting_user=city_officer, left_on=datetime.date(2026, 3, 1), graduated=True,
                     outcome="excellent", assessment="运营规范")
    in_progress(call, city_officer, org_a, applicant)
    text = client.get(reverse("orgs:profile", args=[org_a.pk])).text
    assert "孵化与资助" in text and "南明区社会组织孵化园" in text and "已出壳" in text and "优秀" in text
    assert "2026 年公益创投" in text and "社区助残陪伴计划" in text and "¥20,000.00" in text and "执行中" in text


def test_the_workspace_links_to_grants_from_the_organization_workspace(client, applicant):
    client.force_login(applicant)
    text = client.get(reverse("orgs:workspace")).text
    assert "孵化资助申报" in text and reverse("grants:workspace") in text
