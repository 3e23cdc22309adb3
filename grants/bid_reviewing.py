"""The bid reviewer's pages (评审专家 › 投标评审): the bid reviews assigned to them, grouped by project, and one
review in three steps, as for grant reviews (grants.reviewing).

Before declaring, the page shows only the bidding organization's name and the project — enough to judge a
conflict of interest — and the declaration. After a declared conflict it says 已回避 and shows nothing of the bid.
After declaring none, the bid (price, proposal, files) and the scoring form on the project's technical criteria;
once submitted, the reviewer's own scores. Every review is fetched through ``bid_reviews_of``, which only holds
reviews of this reviewer whose project's bid window has closed: another reviewer's review is a 404, and no bid
is ever shown before the deadline."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from core.exceptions import DomainError
from core.files import download

from . import procurement
from .models import BidDocument, BidReview, ProcurementProject
from .permissions import bid_reviews_of
from .procurement_forms import BidDeclarationForm, BidScoreForm
from .reviewing import OPENED, TODO_FIRST

RState = BidReview.Status  # the grant review's states: its ordering (to do first) and "opened" states serve here too


@login_required
def reviews(request):
    queryset = (bid_reviews_of(request.user)
                .select_related("bid__project", "bid__project__purchaser", "bid__organization")
                .annotate(todo=TODO_FIRST)
                .order_by("-bid__project__bids_close_at", "bid__project_id", "todo", "bid__organization__name", "pk"))
    groups: list[dict] = []
    for review in queryset[:500]:
        project = review.bid.project
        if not groups or groups[-1]["project"].pk != project.pk:
            groups.append({"project": project, "reviews": [], "todo": 0})
        groups[-1]["reviews"].append(review)
        groups[-1]["todo"] += review.status in (RState.ASSIGNED, RState.DECLARED)
    return render(request, "grants/procurement/review_list.html", {"groups": groups})


def _review_or_404(request, pk: int) -> BidReview:
    return get_object_or_404(
        bid_reviews_of(request.user).select_related("bid", "bid__project", "bid__project__purchaser",
                                                    "bid__project__category", "bid__organization"),
        pk=pk,
    )


def _page(request, review, *, declaration_form=None, score_form=None, status=200):
    bid = review.bid
    project = bid.project
    context = {"review": review, "project": project, "organization": bid.organization}
    if review.status == RState.ASSIGNED:
        context["declaration_form"] = declaration_form or BidDeclarationForm()
    elif review.status in OPENED:
        criteria = list(project.criteria.all())
        context.update(bid=bid, criteria=criteria, documents=list(bid.documents.all()))
        if review.status == RState.DECLARED:
            context["scoring_open"] = project.status == ProcurementProject.Status.EVALUATING
            if context["scoring_open"]:
                context["score_form"] = score_form or BidScoreForm(criteria=criteria)
        else:
            mine = {score.criterion_id: score for score in review.scores.all()}
            context["my_scores"] = [(c, mine.get(c.pk)) for c in criteria]
    return render(request, "grants/procurement/review_bid.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def review(request, pk: int):
    review = _review_or_404(request, pk)
    if request.method != "POST":
        return _page(request, review)
    step = request.POST.get("step")
    if step == "declare" and review.status == RState.ASSIGNED:
        form = BidDeclarationForm(request.POST)
        if form.is_valid():
            has_conflict = form.cleaned_data["has_conflict"]
            try:
                procurement.declare_bid_conflict(review, acting_user=request.user, has_conflict=has_conflict,
                                                 statement=form.cleaned_data["statement"])
            except DomainError as error:
                form.add_error("statement" if getattr(error, "field", None) == "statement" else None, error.message)
            else:
                messages.success(request, "已声明存在利益冲突，本项评审已回避。" if has_conflict
                                 else "已声明无利益冲突，请阅读投标文件后评分。")
                return redirect("grants:bid_review", pk=pk)
        return _page(request, review, declaration_form=form, status=400)
    if step == "score" and review.status == RState.DECLARED:
        form = BidScoreForm(request.POST, criteria=list(review.bid.project.criteria.all()))
        if form.is_valid():
            try:
                procurement.submit_bid_review(review, acting_user=request.user, scores=form.scores(),
                                              comment=form.cleaned_data["comment"])
            except DomainError as error:
                errors = getattr(error, "errors", None) or {}
                for field, message in errors.items():
                    form.add_error(field if field in form.fields else None, message)
                if not errors:
                    form.add_error(None, error.message)
            else:
                messages.success(request, "评分已提交。")
                return redirect("grants:bid_review", pk=pk)
        return _page(request, review, score_form=form, status=400)
    messages.error(request, {RState.CONFLICTED: "您已声明存在利益冲突并回避，不能评审该投标。",
                             RState.SUBMITTED: "评分已提交，不能修改。",
                             RState.WITHDRAWN: "该评审已撤回。"}.get(review.status, "请先声明是否存在利益冲突。"))
    return redirect("grants:bid_review", pk=pk)


@login_required
def review_document(request, pk: int, doc_pk: int):
    """A file of the bid under review, for its reviewer once they declared no conflict."""
    review = get_object_or_404(bid_reviews_of(request.user).filter(status__in=OPENED), pk=pk)
    document = get_object_or_404(BidDocument.objects.filter(bid_id=review.bid_id), pk=doc_pk)
    return download(document)
