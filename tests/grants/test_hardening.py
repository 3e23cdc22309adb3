"""What a read-through of the grants change found, each now a test: a call that could never start its project, a
silent reviewer holding an application, the officer running a call reviewing it, actions that are not available,
ids and counts that used to raise, spreadsheet formulas typed by applicants, stopped money without an audit row."""

import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from grants import services
from grants.exceptions import CallInvalid, ReviewRefused
from grants.models import GrantApplication, Review
from tests.factories import OrganizationFactory

from .helpers import funded, make_call, member_of, report, reviewer_user, scored, submitted

pytestmark = pytest.mark.django_db
Status = GrantApplication.Status


def test_a_call_without_an_agreement_tranche_cannot_be_published(city_officer):
    call = make_call(publish=False, tranche_agreement_percent=0, tranche_midterm_percent=50, tranche_final_percent=50)
    with pytest.raises(CallInvalid) as refused:
        services.publish_call(call, acting_user=city_officer)
    assert "协议签订后拨付比例须大于 0" in refused.value.errors["tranche_agreement_percent"]


def test_withdrawing_a_silent_reviewer_lets_the_submitted_scores_decide(client, city_officer):
    call = make_call(created_by=city_officer)
    application = submitted(call)
    services.screen(application, acting_user=city_officer, passed=True)
    quick, silent = reviewer_user("快专家"), reviewer_user("慢专家")
    services.assign_reviewers(application, [quick, silent], acting_user=city_officer)
    review = Review.objects.get(application=application, reviewer=quick)
    services.declare_conflict(review, acting_user=quick, has_conflict=False)
    services.submit_review(review, acting_user=quick, scores={c.pk: (9, "好") for c in call.criteria.all()})
    application.refresh_from_db()
    assert application.status == Status.REVIEWING
    client.force_login(city_officer)
    page = reverse("grant_applications:inspect", args=[application.pk])
    silent_review = Review.objects.get(application=application, reviewer=silent)
    assert client.post(page, {"action": "withdraw", "withdraw-review": silent_review.pk, "withdraw-reason": ""}).status_code == 400
    response = client.post(page, {"action": "withdraw", "withdraw-review": silent_review.pk, "withdraw-reason": "联系不上"})
    assert response.status_code == 302
    application.refresh_from_db()
    silent_review.refresh_from_db()
    assert silent_review.status == Review.Status.WITHDRAWN
    assert application.status == Status.SCORED and application.score == 90 and application.score_count == 1
    assert AuditEntry.objects.filter(action="grants.review.withdrawn", reason="联系不上").exists()
    assert list(silent_review.history.values_list("to_status", flat=True)) == [Review.Status.WITHDRAWN]
    with pytest.raises(ReviewRefused, match="尚未提交"):
        services.withdraw_review(review, acting_user=city_officer, reason="再撤")


def test_the_officer_who_runs_a_call_cannot_be_assigned_as_its_reviewer(city_officer, officer_yunyan, nanming):
    call = make_call(region=nanming, created_by=city_officer)
    application = submitted(call, OrganizationFactory())
    services.screen(application, acting_user=city_officer, passed=True)
    with pytest.raises(ReviewRefused, match="负责管理本资助计划"):
        services.assign_reviewers(application, [city_officer], acting_user=city_officer)
    # An officer of another district has no hand in this call and may review it.
    assert [r.reviewer for r in services.assign_reviewers(application, [officer_yunyan], acting_user=city_officer)] == [
        officer_yunyan]


def test_an_action_the_application_is_not_ready_for_is_refused_without_an_error_page(client, city_officer):
    application = scored(make_call(created_by=city_officer), city_officer)
    client.force_login(city_officer)
    page = reverse("grant_applications:inspect", args=[application.pk])
    for action, fields in (("sign", {"sign-number": "XY-1", "sign-signed_on": timezone.localdate().isoformat()}),
                           ("clawback", {"clawback-amount": "1", "clawback-reason": "x",
                                         "clawback-paid_on": timezone.localdate().isoformat()})):
        response = client.post(page, {"action": action, **fields})
        assert response.status_code == 302
        assert "不能办理这一步" in client.get(page).content.decode()
    application.refresh_from_db()
    assert application.status == Status.SCORED


@pytest.mark.parametrize(("query", "status"), [
    ("what=calls&year=%C2%B2", 200),  # a year that is not ASCII digits is ignored: every year
    ("what=applications&call=%C2%B2", 404),
    ("what=calls&call=99999999999", 404),
])
def test_odd_ids_in_an_export_link_are_not_found_rather_than_an_error(client, city_officer, query, status):
    client.force_login(city_officer)
    response = client.get(reverse("grant_calls:export") + "?" + query)
    assert response.status_code == status


def test_an_odd_report_id_on_the_application_page_is_not_found(client, city_officer):
    award = funded(make_call(created_by=city_officer), city_officer)
    client.force_login(city_officer)
    response = client.post(reverse("grant_applications:inspect", args=[award.application_id]),
                           {"action": "assess", "report": "²"})
    assert response.status_code == 404


def test_an_absurd_target_is_a_field_error_and_keeps_what_was_typed(client, city_officer):
    call = make_call(created_by=city_officer)
    organization = OrganizationFactory()
    user = member_of(organization)
    application = services.start_application(call, organization, acting_user=user)
    client.force_login(user)
    response = client.post(reverse("grants:application", args=[application.pk]), {
        "project_title": "很大的项目", "summary": "x", "requested_amount": "1000", "beneficiaries_target": "1" + "0" * 20,
        "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000",
        "lines-0-item": "物料", "lines-0-amount": "1000", "save": "1",
    })
    assert response.status_code == 400
    text = response.content.decode()
    assert "数字过大" in text and 'value="很大的项目"' in text


def test_a_title_that_looks_like_a_formula_is_plain_text_in_the_exports(client, city_officer):
    call = make_call(created_by=city_officer)
    application = submitted(call)
    GrantApplication.objects.filter(pk=application.pk).update(project_title='=HYPERLINK("http://evil.example","点我")')
    client.force_login(city_officer)
    response = client.get(reverse("grant_calls:export") + f"?what=applications&call={call.pk}")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str) and "HYPERLINK" in cell.value]
    assert cells and all(cell.data_type == "s" and cell.value.startswith("'=") for cell in cells)
    csv = client.get(reverse("grant_calls:export") + f"?what=applications&call={call.pk}&format=csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in csv and ",=HYPERLINK" not in csv


def test_a_failed_midterm_records_which_money_it_stopped(city_officer):
    award = funded(make_call(created_by=city_officer), city_officer)
    services.pay_tranche(award.tranches.get(sequence=1), acting_user=city_officer, paid_on=timezone.localdate())
    services.assess_report(report(award), acting_user=city_officer, score=40, assessment="未开展")
    entry = AuditEntry.objects.get(action="grants.tranche.stop")
    assert [row["tranche"] for row in entry.after["stopped"]] == [2, 3]
    assert "不合格" in entry.reason
