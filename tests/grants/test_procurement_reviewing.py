"""The bid reviewer's pages through HTTP: only the bidder's name and the project before the conflict declaration,
nothing of the bid after a declared conflict, the bid and the scoring form after declaring none, the reviewer's own
scores once submitted, no bid at all before the deadline, and 404 for another reviewer's review and its files."""

from decimal import Decimal

import pytest
from django.urls import reverse

from grants import procurement
from grants.models import Bid, BidReview, BidScore

from .procurement_helpers import bid, bidder, make_project, opened, pdf, reviewer_user

pytestmark = pytest.mark.django_db
RState = BidReview.Status


@pytest.fixture
def project(db):
    return make_project(title="社区居家养老服务项目")


@pytest.fixture
def bids(project):
    organization, user = bidder(name="观山湖区乐龄社工服务中心")
    first = procurement.save_bid(project, organization, acting_user=user, price="256789.50",
                                 proposal="配备 6 名专职社工，每周上门探访。", uploads=[pdf("服务方案.pdf")])
    second = bid(project, price="280000")
    return first, second


@pytest.fixture
def colleague(db):
    return reviewer_user("钱专家")


@pytest.fixture
def reviews(project, bids, reviewer, colleague):
    officer = project.created_by
    opened(project, officer)
    procurement.assign_bid_reviewers(project, [reviewer, colleague], acting_user=officer)
    return BidReview.objects.filter(bid=bids[0])


def mine(reviews, reviewer) -> BidReview:
    return reviews.get(reviewer=reviewer)


def page(review):
    return reverse("grants:bid_review", args=[review.pk])


def score_data(project, share=Decimal("0.8"), rationale="方案完整，措施可行。"):
    data = {"step": "score", "comment": "总体较好。"}
    for criterion in project.criteria.all():
        data |= {f"score_{criterion.pk}": str(criterion.weight * share), f"rationale_{criterion.pk}": rationale}
    return data


def test_the_list_groups_the_reviewers_bids_by_project_with_their_status(client, reviewer, reviews):
    client.force_login(reviewer)
    text = client.get(reverse("grants:bid_reviews")).text
    assert text.count("社区居家养老服务项目") == 1 and "观山湖区乐龄社工服务中心" in text and "待声明" in text
    assert page(mine(reviews, reviewer)) in text
    assert "¥256,789.50" not in text and "256789" not in text


def test_before_declaring_the_reviewer_sees_only_the_bidder_and_the_project(client, reviewer, reviews):
    client.force_login(reviewer)
    text = client.get(page(mine(reviews, reviewer))).text
    assert "观山湖区乐龄社工服务中心" in text and "社区居家养老服务项目" in text and "利益冲突声明" in text
    assert "256,789.50" not in text and "每周上门探访" not in text and "服务方案.pdf" not in text
    document = mine(reviews, reviewer).bid.documents.get()
    url = reverse("grants:bid_review_document", args=[mine(reviews, reviewer).pk, document.pk])
    assert client.get(url).status_code == 404


def test_declaring_no_conflict_then_scoring_sets_the_bids_technical_score(client, reviewer, colleague, reviews, project,
                                                                         bids):
    review = mine(reviews, reviewer)
    client.force_login(reviewer)
    response = client.post(page(review), {"step": "declare", "has_conflict": "no"}, follow=True)
    assert "已声明无利益冲突" in response.text
    text = response.text
    assert "¥256,789.50" in text and "每周上门探访" in text and "服务方案.pdf" in text and "技术评分" in text
    document = review.bid.documents.get()
    download = client.get(reverse("grants:bid_review_document", args=[review.pk, document.pk]))
    assert download.status_code == 200 and download["X-Content-SHA256"] == document.sha256
    too_high = score_data(project) | {f"score_{project.criteria.first().pk}": "41"}
    refused = client.post(page(review), too_high)
    assert refused.status_code == 400 and "不能超过 40 分" in refused.text and "方案完整，措施可行。" in refused.text
    response = client.post(page(review), score_data(project), follow=True)
    assert "评分已提交" in response.text and "我的评分" in response.text and "80.00" in response.text
    review.refresh_from_db()
    assert review.status == RState.SUBMITTED and review.total == Decimal("80.00")
    assert BidScore.objects.filter(review=review).count() == project.criteria.count()
    bids[0].refresh_from_db()
    assert bids[0].technical_score == Decimal("80.00")


def test_declaring_a_conflict_shows_withdrawn_and_nothing_of_the_bid(client, reviewer, reviews):
    review = mine(reviews, reviewer)
    client.force_login(reviewer)
    missing = client.post(page(review), {"step": "declare", "has_conflict": "yes", "statement": " "})
    assert missing.status_code == 400 and 'id="id_statement_error"' in missing.text
    response = client.post(page(review), {"step": "declare", "has_conflict": "yes",
                                          "statement": "曾在该组织担任理事。"}, follow=True)
    text = response.text
    assert "已回避" in text and "曾在该组织担任理事。" in text
    assert "256,789.50" not in text and "每周上门探访" not in text and "服务方案.pdf" not in text
    review.refresh_from_db()
    assert review.status == RState.CONFLICTED
    scoring = client.post(page(review), {"step": "score"}, follow=True)
    assert "回避" in scoring.text and not BidScore.objects.filter(review=review).exists()
    document = review.bid.documents.get()
    assert client.get(reverse("grants:bid_review_document", args=[review.pk, document.pk])).status_code == 404


def test_another_reviewers_review_is_404(client, reviewer, colleague, reviews):
    theirs = mine(reviews, colleague)
    procurement.declare_bid_conflict(theirs, acting_user=colleague, has_conflict=False)
    client.force_login(reviewer)
    assert client.get(page(theirs)).status_code == 404
    assert client.post(page(theirs), {"step": "declare", "has_conflict": "yes", "statement": "x"}).status_code == 404
    document = theirs.bid.documents.get()
    assert client.get(reverse("grants:bid_review_document", args=[theirs.pk, document.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == RState.DECLARED


def test_no_bid_and_no_price_reach_a_reviewer_before_the_deadline(client, reviewer, project, bids):
    # The services cannot assign a reviewer before the deadline; even a row put there by hand stays hidden.
    sneaked = BidReview.objects.create(bid=bids[0], reviewer=reviewer, assigned_by=project.created_by)
    client.force_login(reviewer)
    response = client.get(reverse("grants:bid_reviews"))
    assert response.status_code == 200 and "目前没有分配给您的投标评审任务" in response.text
    assert "256,789.50" not in response.text and "观山湖区乐龄社工服务中心" not in response.text
    assert client.get(page(sneaked)).status_code == 404
    assert Bid.objects.get(pk=bids[0].pk).technical_score is None


def test_the_review_pages_need_a_login(client, reviews, reviewer):
    for url in (reverse("grants:bid_reviews"), page(mine(reviews, reviewer))):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response.url
