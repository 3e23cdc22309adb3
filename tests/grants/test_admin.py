"""The officers' 孵化资助 admin: calls created with their rubric and published, the ranking board and its
all-or-nothing bulk award, every step of an application's page through POSTs, bases and their capacity, and the
scoping that answers 404 outside the officer's jurisdiction and sends non-officers to the sign-in page."""

import datetime
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from grants import services
from grants.models import (
    Award,
    Criterion,
    Disbursement,
    FundingCall,
    GrantApplication,
    GrantReport,
    IncubationBase,
    Residency,
    Review,
    Tranche,
)
from tests.factories import OrganizationFactory

from .helpers import funded, make_call, report, scored, submitted

pytestmark = pytest.mark.django_db
Status = GrantApplication.Status


def call_form(region, *, title="2027 年社区微创投", criteria=((60, "项目设计"), (40, "执行能力")), **overrides):
    now = timezone.localtime()
    data = {
        "kind": "venture", "year": "2027", "title": title, "region": region.pk, "description": "面向社区社会组织。",
        "budget": "200000", "max_amount": "30000",
        "opens_at": (now + datetime.timedelta(days=1)).strftime("%Y-%m-%d %H:%M"),
        "closes_at": (now + datetime.timedelta(days=30)).strftime("%Y-%m-%d %H:%M"),
        "eligible_kinds": ["community", "service_institution"], "max_months_established": "24",
        "exclude_credit_listed": "on", "tranche_agreement_percent": "50", "tranche_midterm_percent": "30",
        "tranche_final_percent": "20", "band_a": "85", "band_b": "60",
        "criteria-TOTAL_FORMS": str(len(criteria)), "criteria-INITIAL_FORMS": "0", "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "1000",
        "required_documents-TOTAL_FORMS": "1", "required_documents-INITIAL_FORMS": "0",
        "required_documents-MIN_NUM_FORMS": "0", "required_documents-MAX_NUM_FORMS": "1000",
        "required_documents-0-name": "项目申报书", "required_documents-0-required": "on",
        "required_documents-0-note": "", "required_documents-0-ORDER": "1", "required_documents-0-id": "",
    }
    for index, (weight, name) in enumerate(criteria):
        data.update({f"criteria-{index}-name": name, f"criteria-{index}-weight": str(weight),
                     f"criteria-{index}-max_score": "10", f"criteria-{index}-description": "",
                     f"criteria-{index}-ORDER": str(index + 1), f"criteria-{index}-id": ""})
    return {**data, **overrides}


def inspect(name, obj):
    return reverse(f"{name}:inspect", args=[obj.pk])


# --- calls ---------------------------------------------------------------------------------------------------
def test_criteria_totalling_90_come_back_with_the_chinese_error_by_the_rubric_and_the_typed_values_kept(
        client, city_officer, city):
    client.force_login(city_officer)
    response = client.post(reverse("grant_calls:add"), call_form(city, criteria=((60, "项目设计"), (30, "执行能力"))))
    page = response.content.decode()
    assert response.status_code == 200
    assert "评分细则的权重合计须为 100 分，目前合计 90 分" in page
    # at the head of the rubric's inline panel, just before its rows
    assert 0 < page.index('id="id_criteria-FORMS"') - page.index("目前合计 90 分") < 300
    assert "2027 年社区微创投" in page and "执行能力" in page and 'value="30"' in page
    assert not FundingCall.objects.exists()


def test_a_cap_above_the_budget_and_a_window_ending_before_it_opens_are_refused_by_their_fields(client, city_officer, city):
    client.force_login(city_officer)
    now = timezone.localtime()
    response = client.post(reverse("grant_calls:add"), call_form(
        city, max_amount="300000", closes_at=(now - datetime.timedelta(days=1)).strftime("%Y-%m-%d %H:%M")))
    page = response.content.decode()
    assert response.status_code == 200
    assert "单项资助上限不能超过资金总额 ¥200,000.00" in page
    assert "申报截止时间须晚于开始时间" in page
    assert not FundingCall.objects.exists()


def test_a_district_officer_cannot_set_a_call_in_another_district(client, officer_nanming, yunyan):
    client.force_login(officer_nanming)
    response = client.post(reverse("grant_calls:add"), call_form(yunyan))
    assert response.status_code == 200
    assert "只能选择本人辖区内的区划" in response.content.decode()
    assert not FundingCall.objects.exists()


def test_a_valid_call_is_created_with_its_rubric_and_published_from_its_page(client, city_officer, city):
    client.force_login(city_officer)
    response = client.post(reverse("grant_calls:add"), call_form(city))
    call = FundingCall.objects.get()
    assert response.status_code == 302 and response.url == inspect("grant_calls", call)
    assert call.created_by == city_officer and call.status == FundingCall.Status.DRAFT
    assert call.eligible_kinds == ["community", "service_institution"]
    assert [(c.name, c.weight) for c in call.criteria.all()] == [("项目设计", 60), ("执行能力", 40)]
    assert [d.name for d in call.required_documents.all()] == ["项目申报书"]
    assert AuditEntry.objects.filter(action="grants.call.create", object_id=str(call.pk)).exists()

    response = client.post(inspect("grant_calls", call), {"action": "publish"})
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.status == FundingCall.Status.PUBLISHED
    page = client.get(inspect("grant_calls", call)).content.decode()
    assert "已发布" in page and "资助计划已发布" in page
    assert client.get(reverse("grant_calls:edit", args=[call.pk])).status_code == 404  # only drafts are edited


def test_editing_a_draft_call_replaces_its_rubric_and_writes_an_audit_row(client, city_officer, city):
    call = make_call(publish=False, created_by=city_officer)
    client.force_login(city_officer)
    criteria = list(call.criteria.all())
    data = call_form(city, title="改名后的计划", criteria=((50, "项目设计"), (50, "执行能力")))
    data.update({"criteria-INITIAL_FORMS": "2", "criteria-0-id": str(criteria[0].pk),
                 "criteria-1-id": str(criteria[1].pk), "required_documents-TOTAL_FORMS": "0"})
    response = client.post(reverse("grant_calls:edit", args=[call.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    call.refresh_from_db()
    assert call.title == "改名后的计划"
    assert [c.weight for c in call.criteria.all()] == [50, 50]
    entry = AuditEntry.objects.get(action="grants.call.edit", object_id=str(call.pk))
    assert entry.before["title"] == "2026 年公益创投" and entry.after["title"] == "改名后的计划"


def test_publishing_a_call_whose_rubric_is_short_shows_why_and_leaves_it_a_draft(client, city_officer):
    call = make_call(publish=False, criteria=((60, "项目设计"),))
    client.force_login(city_officer)
    response = client.post(inspect("grant_calls", call), {"action": "publish"}, follow=True)
    assert "权重合计须为 100 分，目前合计 60 分" in response.content.decode()
    call.refresh_from_db()
    assert call.status == FundingCall.Status.DRAFT


@pytest.fixture
def ranked_call(city_officer):
    call = make_call(created_by=city_officer, budget="50000")
    applications = [scored(call, city_officer, marks=(mark, mark)) for mark in (7, 9, 8)]
    return call, {app.score: app for app in applications}


def test_the_ranking_board_lists_scored_applications_best_first(client, city_officer, ranked_call):
    call, by_score = ranked_call
    client.force_login(city_officer)
    page = client.get(inspect("grant_calls", call)).content.decode()
    board = page[page.index('id="ranking-board"'):]
    positions = [board.index(by_score[Decimal(score)].number) for score in ("90.00", "80.00", "70.00")]
    assert positions == sorted(positions)
    assert board.count('name="selected"') == 3 and "批量资助" in board


def test_a_bulk_award_over_the_remaining_budget_awards_nothing_and_says_so(client, city_officer, ranked_call):
    call, by_score = ranked_call
    client.force_login(city_officer)
    data = {"action": "award", "selected": [str(a.pk) for a in by_score.values()]}
    data.update({f"amount-{a.pk}": "20000" for a in by_score.values()})
    response = client.post(inspect("grant_calls", call), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "所选 3 项合计 ¥60,000.00，超过资助计划剩余预算 ¥50,000.00" in page
    assert page.count("checked") >= 3  # the ticks are kept
    assert not Award.objects.exists()
    call.refresh_from_db()
    assert call.awarded_total == 0


def test_a_bulk_award_within_the_budget_awards_the_ticked_applications_at_the_typed_amounts(
        client, city_officer, ranked_call):
    call, by_score = ranked_call
    best, second = by_score[Decimal("90.00")], by_score[Decimal("80.00")]
    client.force_login(city_officer)
    response = client.post(inspect("grant_calls", call), {
        "action": "award", "selected": [str(best.pk), str(second.pk)],
        f"amount-{best.pk}": "20000", f"amount-{second.pk}": "15000.50",
    })
    assert response.status_code == 302
    amounts = dict(Award.objects.values_list("application_id", "amount"))
    assert amounts == {best.pk: Decimal("20000.00"), second.pk: Decimal("15000.50")}
    call.refresh_from_db()
    assert call.awarded_total == Decimal("35000.50")
    assert GrantApplication.objects.get(pk=by_score[Decimal("70.00")].pk).status == Status.SCORED


def test_a_bulk_award_with_a_malformed_amount_names_the_application_and_awards_nothing(client, city_officer, ranked_call):
    call, by_score = ranked_call
    best = by_score[Decimal("90.00")]
    client.force_login(city_officer)
    for typed in ("两万", "NaN"):
        response = client.post(inspect("grant_calls", call),
                               {"action": "award", "selected": [str(best.pk)], f"amount-{best.pk}": typed})
        assert response.status_code == 400
        assert f"申报 {best.number} 的资助金额“{typed}”不是正确的金额" in response.content.decode()
    assert not Award.objects.exists()


# --- applications ------------------------------------------------------------------------------------------
def _post(client, application, action, **fields):
    data = {"action": action}
    data.update({key if key == "report" else f"{action}-{key}": value for key, value in fields.items()})
    return client.post(inspect("grant_applications", application), data)


def test_the_application_page_takes_a_grant_from_screening_to_a_clawback(client, city_officer, reviewer):
    call = make_call(created_by=city_officer)
    application = submitted(call)
    client.force_login(city_officer)
    today = timezone.localdate().isoformat()

    assert _post(client, application, "screen", decision="pass", note="材料齐全").status_code == 302
    application.refresh_from_db()
    assert application.status == Status.REVIEWING and application.screening_note == "材料齐全"

    assert _post(client, application, "assign", reviewers=[reviewer.pk]).status_code == 302
    review = Review.objects.get(application=application, reviewer=reviewer)
    services.declare_conflict(review, acting_user=reviewer, has_conflict=False)
    services.submit_review(review, acting_user=reviewer, scores={c.pk: (8, "设计合理") for c in call.criteria.all()})

    assert _post(client, application, "award", amount="20000", note="").status_code == 302
    award = Award.objects.get(application=application)
    assert award.amount == Decimal("20000.00")

    assert _post(client, application, "sign", number="XY-2026-001", signed_on=today).status_code == 302
    first, second, _third = award.tranches.all()
    assert _post(client, application, "pay", tranche=first.pk, paid_on=today, reference="BK001").status_code == 302
    application.refresh_from_db()
    assert application.status == Status.IN_PROGRESS

    midterm = report(award)
    response = _post(client, application, "assess", report=midterm.pk, **{f"{midterm.pk}-score": "80",
                                                                           f"{midterm.pk}-assessment": "进度符合计划"})
    assert response.status_code == 302
    midterm.refresh_from_db()
    assert (midterm.status, midterm.grade) == (GrantReport.Status.ASSESSED, "B")

    assert _post(client, application, "pay", tranche=second.pk, paid_on=today, reference="BK002").status_code == 302
    response = _post(client, application, "clawback", amount="1000", reason="活动物料票据不合规", paid_on=today)
    assert response.status_code == 302
    award.refresh_from_db()
    assert award.paid_total == Decimal("15000.00")  # 10000 + 6000 − 1000
    assert list(Disbursement.objects.filter(award=award).values_list("kind", "amount")) == [
        ("payment", Decimal("10000.00")), ("payment", Decimal("6000.00")), ("clawback", Decimal("-1000.00"))]
    assert Tranche.objects.get(pk=second.pk).status == Tranche.Status.PAID

    page = client.get(inspect("grant_applications", application)).content.decode()
    assert "赵评审" in page and "设计合理" in page and "XY-2026-001" in page and "活动物料票据不合规" in page
    document = application.documents.get()
    download = client.get(reverse("grant_applications:document", args=[document.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_refused_award_comes_back_by_the_amount_with_the_typed_value_kept(client, city_officer):
    call = make_call(created_by=city_officer)
    application = scored(call, city_officer)
    client.force_login(city_officer)
    response = _post(client, application, "award", amount="25000", note="")
    page = response.content.decode()
    assert response.status_code == 400
    assert "不能超过申请金额 ¥20,000.00" in page and 'value="25000"' in page
    application.refresh_from_db()
    assert application.status == Status.SCORED and not Award.objects.exists()


def test_paying_the_second_tranche_before_the_midterm_is_assessed_is_refused_with_the_reason(client, city_officer):
    call = make_call(created_by=city_officer)
    award = funded(call, city_officer)
    first, second, _third = award.tranches.all()
    services.pay_tranche(first, acting_user=city_officer, paid_on=timezone.localdate())
    client.force_login(city_officer)
    response = _post(client, award.application, "pay", tranche=second.pk, paid_on=timezone.localdate().isoformat())
    assert response.status_code == 400
    assert "中期报告尚未评定" in response.content.decode()
    assert Tranche.objects.get(pk=second.pk).status == Tranche.Status.PENDING


def test_failing_screening_without_a_reason_is_a_field_error(client, city_officer):
    application = submitted(make_call(created_by=city_officer))
    client.force_login(city_officer)
    response = _post(client, application, "screen", decision="fail", note="")
    assert response.status_code == 400
    assert "资格审查不通过时须填写理由" in response.content.decode()
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_taking_an_application_up_leaves_it_in_screening_until_the_conclusion(client, city_officer):
    application = submitted(make_call(created_by=city_officer))
    client.force_login(city_officer)
    assert _post(client, application, "begin").status_code == 302
    application.refresh_from_db()
    assert application.status == Status.SCREENING
    assert "受理，开始资格审查" not in client.get(inspect("grant_applications", application)).content.decode()
    assert _post(client, application, "screen", decision="pass", note="").status_code == 302
    application.refresh_from_db()
    assert application.status == Status.REVIEWING
    assert list(application.history.values_list("to_status", flat=True)) == [
        Status.SUBMITTED, Status.SCREENING, Status.REVIEWING]


def test_the_application_index_lists_only_the_officers_jurisdiction(client, officer_nanming, officer_yunyan, nanming, yunyan):
    mine = submitted(make_call(region=nanming, created_by=officer_nanming))
    theirs = submitted(make_call(region=yunyan, created_by=officer_yunyan),
                       organization=OrganizationFactory(region=yunyan))
    client.force_login(officer_nanming)
    page = client.get(reverse("grant_applications:index")).content.decode()
    assert mine.number in page and theirs.number not in page
    index = reverse("grant_applications:index")
    assert mine.number in client.get(f"{index}?call={mine.call_id}&status=submitted").content.decode()
    assert mine.number not in client.get(f"{index}?status=declined").content.decode()
    assert theirs.number not in client.get(f"{index}?call={theirs.call_id}").content.decode()


def test_an_officer_of_another_district_gets_404_for_a_call_an_application_and_a_base_elsewhere(
        client, officer_nanming, officer_yunyan, nanming):
    call = make_call(region=nanming, created_by=officer_nanming, publish=False)
    Criterion.objects.filter(call=call).update(weight=50)
    published = make_call(region=nanming, created_by=officer_nanming, title="南明区公益创投")
    application = submitted(published)
    base = IncubationBase.objects.create(name="南明区社会组织孵化基地", level="district", region=nanming,
                                         operator="南明区社会组织服务中心", capacity=5)
    client.force_login(officer_yunyan)
    for url in (inspect("grant_calls", call), reverse("grant_calls:edit", args=[call.pk]),
                inspect("grant_applications", application), inspect("incubation_bases", base),
                reverse("incubation_bases:edit", args=[base.pk]),
                reverse("grant_applications:document", args=[application.documents.get().pk]),
                reverse("grant_calls:export") + f"?what=applications&call={published.pk}"):
        assert client.get(url).status_code == 404, url
    assert client.post(inspect("grant_calls", call), {"action": "publish"}).status_code == 404
    assert client.post(inspect("grant_applications", application),
                       {"action": "screen", "screen-decision": "pass"}).status_code == 404
    call.refresh_from_db()
    application.refresh_from_db()
    assert call.status == FundingCall.Status.DRAFT and application.status == Status.SUBMITTED


# --- bases ---------------------------------------------------------------------------------------------------
@pytest.fixture
def base(nanming):
    return IncubationBase.objects.create(name="南明区社会组织孵化基地", level="district", region=nanming,
                                         operator="南明区社会组织服务中心", capacity=1)


def test_an_officer_creates_a_base_within_their_jurisdiction(client, officer_nanming, nanming):
    client.force_login(officer_nanming)
    response = client.post(reverse("incubation_bases:add"), {
        "name": "花果园社区孵化站", "level": "community", "region": nanming.pk, "operator": "花果园社区服务中心",
        "address": "", "contact_phone": "", "capacity": "8", "introduction": "", "is_active": "on",
    })
    base = IncubationBase.objects.get(name="花果园社区孵化站")
    assert response.status_code == 302 and base.residents == 0 and base.capacity == 8
    assert AuditEntry.objects.filter(action="incubation.base.create", object_id=str(base.pk)).exists()


def test_admitting_into_a_full_base_shows_the_capacity_message(client, officer_nanming, base, org_a, nanming):
    client.force_login(officer_nanming)
    today = timezone.localdate().isoformat()
    response = client.post(inspect("incubation_bases", base), {
        "action": "admit", "admit-organization": org_a.credit_code, "admit-admitted_on": today})
    assert response.status_code == 302
    other = OrganizationFactory(name="青禾社区服务社", region=nanming)
    response = client.post(inspect("incubation_bases", base), {
        "action": "admit", "admit-organization": "青禾社区服务社", "admit-admitted_on": today})
    page = response.content.decode()
    assert response.status_code == 400
    assert "南明区社会组织孵化基地已满：可入驻 1 家，现有 1 家在孵" in page and 'value="青禾社区服务社"' in page
    assert list(Residency.objects.values_list("organization_id", flat=True)) == [org_a.pk]
    assert not Residency.objects.filter(organization=other).exists()


def test_a_resident_receives_a_service_and_graduates_freeing_its_place(client, officer_nanming, base, org_a):
    client.force_login(officer_nanming)
    today = timezone.localdate()
    from grants import incubation

    residency = incubation.admit(base, org_a, acting_user=officer_nanming, admitted_on=today - datetime.timedelta(days=30))
    url = inspect("incubation_bases", base)
    prefix = f"service-{residency.pk}"
    assert client.post(url, {"action": "service", "residency": residency.pk, f"{prefix}-kind": "mentoring",
                             f"{prefix}-provided_on": today.isoformat(), f"{prefix}-hours": "2",
                             f"{prefix}-description": "财务制度辅导"}).status_code == 302
    prefix = f"leave-{residency.pk}"
    refused = client.post(url, {"action": "leave", "residency": residency.pk, f"{prefix}-how": "graduated",
                                f"{prefix}-left_on": today.isoformat(), f"{prefix}-assessment": "运营规范"})
    assert refused.status_code == 400 and "出壳时请选择评估结论" in refused.content.decode()
    assert client.post(url, {"action": "leave", "residency": residency.pk, f"{prefix}-how": "graduated",
                             f"{prefix}-left_on": today.isoformat(), f"{prefix}-outcome": "excellent",
                             f"{prefix}-assessment": "运营规范"}).status_code == 302
    residency.refresh_from_db()
    base.refresh_from_db()
    assert residency.status == Residency.Status.GRADUATED and residency.services.get().description == "财务制度辅导"
    assert base.residents == 0


# --- who may come in ---------------------------------------------------------------------------------------
def test_officers_reach_the_grants_admin_and_reviewers_and_outsiders_are_sent_to_sign_in(
        client, city_officer, reviewer, outsider):
    urls = [reverse("grant_calls:index"), reverse("grant_calls:add"), reverse("grant_applications:index"),
            reverse("incubation_bases:index"), reverse("grant_calls:export") + "?what=calls"]
    client.force_login(city_officer)
    assert [client.get(url).status_code for url in urls] == [200] * len(urls)
    menu = client.get(reverse("wagtailadmin_home")).content.decode()  # the sidebar is JSON, Chinese \u-escaped
    assert json.dumps("孵化资助") in menu and reverse("grant_calls:index") in menu
    for person in (reviewer, outsider):
        client.force_login(person)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302 and reverse("wagtailadmin_login") in response.url, (person, url)
