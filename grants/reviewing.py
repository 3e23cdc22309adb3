"""The reviewer's side of 孵化资助 (评审专家): the reviews assigned to them and one review, in three steps.

Before declaring, the page shows only the applicant organization's name and the call — enough to judge a
conflict of interest — and the declaration. After a declared conflict it says 已回避 and shows nothing of the
application. After declaring none, the full application and the scoring form; the other reviewers' scores only
once the reviewer's own are in. Every review is fetched through ``reviews_of``: another reviewer's is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404, redirect, render

from core.exceptions import DomainError
from core.files import download
from core.money import to_yuan

from . import services
from .forms import DeclarationForm, ReviewForm
from .models import ApplicationDocument, Review
from .permissions import reviews_of
from .workspace import checklist_of

RState = Review.Status
OPENED = [RState.DECLARED, RState.SUBMITTED]  # the states in which the application is open to the reviewer

TODO_FIRST = Case(
    When(status=RState.ASSIGNED, then=Value(0)), When(status=RState.DECLARED, then=Value(1)),
    default=Value(2), output_field=IntegerField(),
)


@login_required
def reviews(request):
    queryset = (reviews_of(request.user).select_related("application__call", "application__organization")
                .annotate(todo=TODO_FIRST).order_by("todo", "-assigned_at", "-pk"))
    page = Paginator(queryset, 30).get_page(request.GET.get("page"))
    return render(request, "grants/reviews.html", {"page_obj": page})


def _review_or_404(request, pk: int) -> Review:
    return get_object_or_404(
        reviews_of(request.user).select_related(
            "application", "application__call", "application__organization", "application__region", "declaration"
        ),
        pk=pk,
    )


def _declaration(review):
    try:
        return review.declaration
    except Review.declaration.RelatedObjectDoesNotExist:
        return None


def _others(review, criteria) -> list[dict]:
    """The other reviewers' submitted reviews: name, total and the score on each criterion."""
    others = (Review.objects.filter(application_id=review.application_id, status=RState.SUBMITTED)
              .exclude(pk=review.pk).select_related("reviewer")
              .prefetch_related("scores"))
    rows = []
    for other in others:
        by_criterion = {score.criterion_id: score for score in other.scores.all()}
        rows.append({"review": other, "scores": [(c, by_criterion.get(c.pk)) for c in criteria]})
    return rows


def _page(request, review, *, declaration_form=None, score_form=None, status=200):
    application = review.application
    context = {"review": review, "application": application, "call": application.call,
               "organization": application.organization, "declaration": _declaration(review)}
    if review.status == RState.ASSIGNED:
        context["declaration_form"] = declaration_form or DeclarationForm()
    elif review.status in OPENED:
        criteria = list(application.call.criteria.all())
        lines = list(application.budget_lines.all())
        context.update(criteria=criteria, lines=lines, lines_total=to_yuan(sum(line.amount for line in lines)),
                       checklist=checklist_of(application))
        if review.status == RState.DECLARED:
            context["score_form"] = score_form or ReviewForm(criteria=criteria)
        else:
            mine = {score.criterion_id: score for score in review.scores.all()}
            context["my_scores"] = [(c, mine.get(c.pk)) for c in criteria]
            context["others"] = _others(review, criteria)
    return render(request, "grants/review.html", context, status=status)


@login_required
def review(request, pk: int):
    review = _review_or_404(request, pk)
    if request.method != "POST":
        return _page(request, review)
    step = request.POST.get("step")
    if step == "declare" and review.status == RState.ASSIGNED:
        form = DeclarationForm(request.POST)
        if form.is_valid():
            has_conflict = form.cleaned_data["has_conflict"]
            try:
                services.declare_conflict(review, acting_user=request.user, has_conflict=has_conflict,
                                          statement=form.cleaned_data["statement"])
            except DomainError as error:
                form.add_error("statement" if has_conflict else None, error.message)
            else:
                messages.success(request, "已声明存在利益冲突，本项评审已回避。" if has_conflict
                                 else "已声明无利益冲突，请阅读申报材料后评分。")
                return redirect("grants:review", pk=pk)
        return _page(request, review, declaration_form=form, status=400)
    if step == "score" and review.status == RState.DECLARED:
        form = ReviewForm(request.POST, criteria=list(review.application.call.criteria.all()))
        if form.is_valid():
            try:
                services.submit_review(review, acting_user=request.user, scores=form.scores(),
                                       comment=form.cleaned_data["comment"])
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "评审意见已提交。")
                return redirect("grants:review", pk=pk)
        return _page(request, review, score_form=form, status=400)
    messages.error(request, {RState.CONFLICTED: "您已声明存在利益冲突并回避，不能评审该申报。",
                             RState.SUBMITTED: "评审已提交，不能修改。"}.get(review.status, "请先声明是否存在利益冲突。"))
    return redirect("grants:review", pk=pk)


@login_required
def review_document(request, pk: int, doc_pk: int):
    """A document of the application under review, for its reviewer once they declared no conflict."""
    review = get_object_or_404(reviews_of(request.user).filter(status__in=OPENED), pk=pk)
    document = get_object_or_404(ApplicationDocument.objects.filter(application_id=review.application_id), pk=doc_pk)
    return download(document)
