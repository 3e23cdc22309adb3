"""The reviewer's pages through HTTP: only the organization's name and the call before the conflict declaration,
nothing after a declared conflict, the application and the scoring form after declaring none, the other reviewers'
scores only after one's own are in, and 404 for another reviewer's review and its documents."""

import re

import pytest
from django.urls import reverse

from grants import services
from grants.models import Review

from .helpers import make_call, reviewer_user, submitted

pytestmark = pytest.mark.django_db
RState = Review.Status


@pytest.fixture
def call(city_officer):
    return make_call(created_by=city_officer, title="2026 年公益创投")


@pytest.fixture
def application(call, city_officer, applicant, org_a):
    application = submitted(call, org_a, applicant)
    services.screen(application, acting_user=city_officer, passed=True)
    return application


@pytest.fixture
def colleague(db):
    return reviewer_user("钱专家")


@pytest.fixture
def reviews(application, city_officer, reviewer, colleague):
    services.assign_reviewers(application, [reviewer, colleague], acting_user=city_officer)
    return {r.reviewer_id: r for r in Review.objects.filter(application=application)}


def page(review):
    return reverse("grants:review", args=[review.pk])


def score_data(call, marks, rationale="依据申报书"):
    data = {"step": "score", "comment": "项目设计合理。"}
    for criterion in call.criteria.all():
        data |= {f"s{criterion.pk}": str(marks), f"r{criterion.pk}": rationale}
    return data


def test_the_review_list_shows_the_assigned_reviews_with_their_status(client, reviewer, reviews, application):
    client.force_login(reviewer)
    text = client.get(reverse("grants:reviews")).text
    assert "阳光助残服务社" in text and "2026 年公益创投" in text and "待声明" in text
    assert page(reviews[reviewer.pk]) in text and page(next(r for k, r in reviews.items() if k != reviewer.pk)) not in text


def test_before_declaring_the_reviewer_sees_only_the_organization_name_and_the_call(client, reviewer, reviews, application):
    client.force_login(reviewer)
    review = reviews[reviewer.pk]
    text = client.get(page(review)).text
    assert "阳光助残服务社" in text and "2026 年公益创投" in text and 'name="has_conflict"' in text
    assert application.project_title not in text and "为辖区残疾人提供陪伴" not in text and "人员劳务" not in text
    document = application.documents.first()
    assert client.get(reverse("grants:review_document", args=[review.pk, document.pk])).status_code == 404


def test_after_declaring_a_conflict_the_page_says_withdrawn_and_shows_nothing_of_the_application(client, reviewer, reviews, application):
    client.force_login(reviewer)
    review = reviews[reviewer.pk]
    missing = client.post(page(review), {"step": "declare", "has_conflict": "yes", "statement": ""})
    assert missing.status_code == 400 and "请说明利益冲突的情况" in missing.text
    assert re.search(r'value="yes"[^>]*checked', missing.text)
    assert client.post(page(review), {"step": "declare", "has_conflict": "yes", "statement": "曾任该组织理事"}).status_code == 302
    text = client.get(page(review)).text
    assert "已回避" in text and application.project_title not in text and "人员劳务" not in text
    assert 'name="step" value="score"' not in text
    document = application.documents.first()
    assert client.get(reverse("grants:review_document", args=[review.pk, document.pk])).status_code == 404
    assert client.post(page(review), score_data(application.call, 8)).status_code == 302
    assert Review.objects.get(pk=review.pk).status == RState.CONFLICTED


def test_after_declaring_no_conflict_the_reviewer_reads_the_application_and_scores_each_criterion(client, reviewer, reviews, application):
    client.force_login(reviewer)
    review = reviews[reviewer.pk]
    client.post(page(review), {"step": "declare", "has_conflict": "no"})
    text = client.get(page(review)).text
    assert application.project_title in text and "人员劳务" in text and "120 人" in text
    document = application.documents.first()
    download = reverse("grants:review_document", args=[review.pk, document.pk])
    assert download in text and client.get(download).status_code == 200
    call = application.call
    first = call.criteria.first()
    bad = score_data(call, 8, rationale="理由充分") | {f"s{first.pk}": "12"}
    response = client.post(page(review), bad)
    text = response.text
    assert response.status_code == 400
    assert text.index(first.name) < text.index("的得分不能超过 10 分") < text.index(call.criteria.last().name)
    assert 'value="12"' in text and "理由充分" in text
    assert client.post(page(review), score_data(call, 8)).status_code == 302
    review.refresh_from_db()
    assert review.status == RState.SUBMITTED and str(review.total) == "80.00"


def test_other_reviewers_scores_are_visible_only_after_submitting_ones_own(client, reviewer, colleague, reviews, application):
    call = application.call
    theirs = reviews[colleague.pk]
    services.declare_conflict(theirs, acting_user=colleague, has_conflict=False)
    services.submit_review(theirs, acting_user=colleague, scores={c.pk: (7, "执行能力一般") for c in call.criteria.all()})
    client.force_login(reviewer)
    mine = reviews[reviewer.pk]
    client.post(page(mine), {"step": "declare", "has_conflict": "no"})
    before = client.get(page(mine)).text
    assert "钱专家" not in before and "70.00" not in before and "执行能力一般" not in before
    client.post(page(mine), score_data(call, 9))
    after = client.get(page(mine)).text
    assert "其他专家评分" in after and "钱专家" in after and "70.00" in after and "90.00" in after


def test_another_reviewers_review_is_404(client, reviewer, colleague, reviews, application, outsider, applicant):
    theirs = reviews[colleague.pk]
    services.declare_conflict(theirs, acting_user=colleague, has_conflict=False)
    document = application.documents.first()
    for person in (reviewer, outsider, applicant):
        client.force_login(person)
        assert client.get(page(theirs)).status_code == 404
        assert client.post(page(theirs), {"step": "declare", "has_conflict": "yes", "statement": "x"}).status_code == 404
        assert client.get(reverse("grants:review_document", args=[theirs.pk, document.pk])).status_code == 404
    client.logout()
    assert client.get(page(theirs)).status_code == 302
    assert Review.objects.get(pk=theirs.pk).status == RState.DECLARED
