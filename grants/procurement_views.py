"""Public pages of 政府购买服务 (DESIGN.md §4.3): the announcements list, one announcement (采购公告) with its
documents, the award announcement (中标结果公告), the contract announcement (合同公告), and the satisfaction survey
of the people served with its printable QR poster.

Thin views: every object comes through grants.permissions (public_projects, public_contracts), so a planned
project, a draft contract or an id under the wrong parent is a 404. Bids stay sealed until the deadline: before
it, no page says who bid or at what price, not even how many. Each page runs a fixed number of queries whatever
the number of projects, bids, documents, deliverables or milestones."""

from django import forms
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from core import ratelimit
from core.exceptions import DomainError
from core.files import download
from core.money import format_yuan
from core.phone import mask_phone, normalize_phone
from core.qr import qr_svg

from . import procurement as services
from .exceptions import ProcurementRefused
from .models import (
    Bid,
    BidReview,
    Contract,
    MatchingFund,
    PerformanceEvaluation,
    ProcurementProject,
    ProjectDocument,
)
from .permissions import public_contracts, public_projects
from .procurement_filters import ProjectFilter
from .views import time_left

PAGE_SIZE = 20
P = ProcurementProject.Status
AWARD_PUBLIC = [P.AWARDED, P.CONTRACTED]


# --- the announcements ---------------------------------------------------------------------------------------
def announced_projects():
    """public_projects() less any project cancelled before it was ever announced (PUBLIC includes 已取消, which
    a planned project may reach without an announcement)."""
    return public_projects().filter(announced_at__isnull=False)


def procurements(request):
    """Public projects, newest announcement first, filtered and paginated. Queries: the filter's two choice
    lists, the count and the page (with purchaser, region and category joined)."""
    now = timezone.now()
    queryset = announced_projects().select_related("purchaser", "region", "category").order_by("-announced_at", "-pk")
    filterset = ProjectFilter(request.GET or None, queryset=queryset)
    if filterset.is_bound and filterset.is_valid():
        queryset = filterset.qs
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    for project in page.object_list:
        project.left = time_left(project.bids_close_at, now) if project.accepting_bids(now) else None
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(request, "grants/procurement/public_list.html", {
        "form": filterset.form, "page_obj": page, "query": query, "now": now,
        "counting": any(project.left for project in page.object_list),
    })


def eligibility_in_words(project: ProcurementProject) -> list[tuple[str, str]]:
    """The project's provider rules as (label, sentence), in the words of grants.eligibility.evaluate_bidder."""
    rules = [("组织状态", "已登记或已备案的社会组织；已注销或撤销的组织不能投标。")]
    if project.eligible_kinds:
        rules.append(("组织类型", f"限{'、'.join(project.kind_labels())}投标。"))
    else:
        rules.append(("组织类型", "社会团体、社会服务机构、基金会、社区社会组织均可投标。"))
    if project.exclude_credit_listed:
        rules.append(("信用状况", "列入活动异常名录或严重违法失信名单期间不能投标。"))
    if project.min_grade:
        rules.append(("评价等级", f"最近一次五比五看评价等级和最近一次合同绩效评价等级均须达到“{project.get_min_grade_display()}”"
                                 "及以上；尚无评价等级的组织不受此限。"))
    rules.append(("每个组织限投一份", "每个组织在本项目中只能投标一次，截止前可以修改或撤回。"))
    rules.append(("报价", f"报价不得超过采购预算 {format_yuan(project.budget)}，超过的为无效投标。"))
    return rules


def _history(project: ProcurementProject) -> list:
    """The status changes, without who made them (the public sees what happened and why, not which officer)."""
    return list(project.history.order_by("at", "pk"))


def procurement(request, pk: int):
    """The announcement (采购公告). Queries: the project (with purchaser, category and the winning bid's
    organization), its rubric, its documents, its history, and after the deadline one count of bids (and the
    contract's id once signed)."""
    project = get_object_or_404(
        announced_projects().select_related("purchaser", "purchaser__region", "region", "category",
                                         "winning_bid", "winning_bid__organization"), pk=pk)
    now = timezone.now()
    sealed = project.is_sealed(now)
    bids = None
    if not sealed:
        bids = Bid.objects.filter(project=project).aggregate(
            submitted=Count("pk", filter=Q(status=Bid.Status.SUBMITTED)),
            valid=Count("pk", filter=Q(status=Bid.Status.SUBMITTED, valid=True)))
    contract_pk = None
    if project.status == P.CONTRACTED:
        contract_pk = public_contracts().filter(project=project).values_list("pk", flat=True).first()
    accepting = project.accepting_bids(now)
    return render(request, "grants/procurement/public_project.html", {
        "project": project, "now": now, "sealed": sealed, "bids": bids, "accepting": accepting,
        "upcoming": project.status == P.ANNOUNCED and project.bids_open_at and now < project.bids_open_at,
        "left": time_left(project.bids_close_at, now) if accepting else None,
        "rules": eligibility_in_words(project), "criteria": list(project.criteria.all()),
        "documents": list(project.documents.order_by("pk")), "history": _history(project),
        "award_public": project.status in AWARD_PUBLIC and project.winning_bid_id is not None,
        "contract_pk": contract_pk,
    })


def procurement_document(request, pk: int, doc_pk: int):
    """A document of a public project; a document of another project under this id is a 404."""
    document = get_object_or_404(ProjectDocument.objects.filter(project__in=announced_projects()), project_id=pk,
                                 pk=doc_pk)
    return download(document)


def procurement_award(request, pk: int):
    """中标结果公告, once awarded. Bidder names, prices and scores are public after the award; reviewers are
    counted, never named. Queries: the project, the ranking, the invalid bids, the reviewer count, the award's
    status change."""
    project = get_object_or_404(
        announced_projects().filter(status__in=AWARD_PUBLIC, winning_bid__isnull=False)
        .select_related("purchaser", "category", "winning_bid", "winning_bid__organization"), pk=pk)
    ranking = list(services.ranking(project))
    invalid = list(Bid.objects.filter(project=project, status=Bid.Status.SUBMITTED, valid=False)
                   .select_related("organization").order_by("organization__name", "pk"))
    reviewers = (BidReview.objects.filter(bid__project=project, status=BidReview.Status.SUBMITTED)
                 .values("reviewer").distinct().count())
    change = project.history.filter(to_status=P.AWARDED).order_by("-at", "-pk").only("reason", "at").first()
    winner = project.winning_bid
    return render(request, "grants/procurement/public_award.html", {
        "project": project, "winner": winner, "ranking": ranking, "invalid": invalid, "reviewers": reviewers,
        "reason": change.reason if change and winner.rank != 1 else "",
        "awarded_at": project.awarded_at or (change.at if change else None),
    })


# --- the contract --------------------------------------------------------------------------------------------
def _amendment_rows(amendment) -> list[tuple[str, str, str]]:
    """(term, before, after) of one amendment, with the contract's field labels."""
    rows = []
    for name, change in (amendment.changes or {}).items():
        if name.startswith("milestone_"):
            label = f"第 {name.removeprefix('milestone_')} 期付款金额"
        else:
            try:
                label = str(Contract._meta.get_field(name).verbose_name)
            except Exception:  # noqa: BLE001 - a term renamed since; show its key
                label = name
        before, after = change.get("before"), change.get("after")
        if name == "value" or name.startswith("milestone_"):
            before, after = format_yuan(before) if before else "—", format_yuan(after) if after else "—"
        elif name == "continuing":
            before, after = ("是" if before else "否"), ("是" if after else "否")
        rows.append((label, str(before if before not in (None, "") else "—"), str(after if after not in (None, "") else "—")))
    return rows


def _terms(contract: Contract) -> list[tuple[str, str]]:
    """The Art. 23 terms in the article's order, each as (label, text)."""
    terms = []
    for field, label in Contract.ARTICLE_23:
        if field == "ends_on":
            if contract.starts_on and contract.ends_on:
                text = (f"{contract.starts_on:%Y年%m月%d日} 至 {contract.ends_on:%Y年%m月%d日}"
                        f"（共 {services.term_days(contract.starts_on, contract.ends_on)} 天"
                        f"{'，跨年度连续服务' if contract.continuing else ''}）")
            else:
                text = ""
        elif field == "value":
            text = format_yuan(contract.value) if contract.value is not None else ""
        else:
            text = getattr(contract, field) or ""
        terms.append((label, text))
    return terms


def contract(request, pk: int):
    """合同公告 of a signed contract. Queries: the contract (with project, purchaser, organization and its
    evaluation), deliverables, milestones with their payments, amendments, social money by source."""
    item = get_object_or_404(
        public_contracts().select_related("project", "project__purchaser", "project__category", "organization",
                                          "evaluation").prefetch_related("deliverables", "matching_funds"), pk=pk)
    try:
        evaluation = item.evaluation
    except PerformanceEvaluation.DoesNotExist:
        evaluation = None
    amendments = list(item.amendments.only("contract_id", "sequence", "reason", "changes", "amended_at"))
    matching = list(MatchingFund.objects.filter(contract=item).values("source").annotate(total=Sum("amount"))
                    .order_by("source"))
    sources = dict(MatchingFund.Source.choices)
    return render(request, "grants/procurement/public_contract.html", {
        "contract": item, "project": item.project, "terms": _terms(item),
        "deliverables": list(item.deliverables.all()),
        "milestones": list(item.milestones.select_related("payment")),
        "amendments": [(a, _amendment_rows(a)) for a in amendments],
        "matching": [(sources.get(row["source"], row["source"]), row["total"]) for row in matching],
        "evaluation": evaluation,
        "finished": evaluation is not None and evaluation.status == PerformanceEvaluation.Status.FINISHED,
    })


# --- the satisfaction survey ---------------------------------------------------------------------------------
RATINGS = [(5, _("非常满意")), (4, _("满意")), (3, _("一般")), (2, _("不满意")), (1, _("非常不满意"))]


class SurveyForm(forms.Form):
    """The survey of the people served: a phone number (proven by a texted code), a rating and a comment.
    ``step`` "code" only needs the phone; "answer" needs everything but the comment."""

    phone = forms.CharField(label=_("手机号码"), max_length=20, error_messages={"required": _("请填写手机号码。")},
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel",
                                                          "placeholder": _("11 位手机号码")}))
    code = forms.CharField(label=_("短信验证码"), max_length=6, error_messages={"required": _("请填写短信验证码。")},
                           help_text=_("先点“获取验证码”，验证码 10 分钟内有效。"),
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))
    rating = forms.TypedChoiceField(label=_("您对本项服务的满意程度"), choices=RATINGS, coerce=int,
                                    widget=forms.RadioSelect, error_messages={"required": _("请选择满意程度。"),
                                                                              "invalid_choice": _("请选择满意程度。")})
    comment = forms.CharField(label=_("意见建议"), max_length=300, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}), help_text=_("选填，300 字以内。"))

    def __init__(self, *args, step: str = "answer", **kwargs):
        super().__init__(*args, **kwargs)
        if step == "code":
            self.fields["code"].required = False
            self.fields["rating"].required = False


def _survey_evaluation(token: str) -> PerformanceEvaluation:
    return get_object_or_404(
        PerformanceEvaluation.objects.filter(contract__in=public_contracts())
        .select_related("contract", "contract__organization", "contract__project__purchaser"), survey_token=token)


def _refused(form: SurveyForm, error: DomainError) -> None:
    """Put a service's refusal next to the field it names, or above the form."""
    errors = getattr(error, "errors", None) or {getattr(error, "field", None): str(error)}
    for field, message in errors.items():
        form.add_error(field if field in form.fields else None, message)


def survey(request, token: str):
    """GET shows the form; POST action=code texts a code to the phone, action=answer records the answer (one
    per phone). Refusals are shown by their field with everything typed kept, status 400."""
    evaluation = _survey_evaluation(token)
    context = {"evaluation": evaluation, "contract": evaluation.contract}
    template = "grants/procurement/survey.html"
    if request.GET.get("done") and request.method == "GET":
        return render(request, template, context | {"done": True})
    if not evaluation.survey_open():
        return render(request, template, context | {"closed": True}, status=400 if request.method == "POST" else 200)
    if request.method != "POST":
        return render(request, template, context | {"form": SurveyForm()})
    action = request.POST.get("action")
    form = SurveyForm(request.POST, step="code" if action == "code" else "answer")
    if action not in ("code", "answer"):
        form.is_valid()
        form.add_error(None, "请点击“获取验证码”或“提交评价”。")
        return render(request, template, context | {"form": form}, status=400)
    if not form.is_valid():
        return render(request, template, context | {"form": form}, status=400)
    data = form.cleaned_data
    address = request.META.get("REMOTE_ADDR", "")
    try:
        if action == "code":
            services.send_survey_code(evaluation, data["phone"], client_address=address)
        else:
            # Code guesses are limited here as well: the service's per-code attempt counter is written inside
            # the transaction its refusal rolls back (see the report), so it never reaches its limit.
            ratelimit.check("survey.answer.phone", f"{evaluation.pk}:{normalize_phone(data['phone'])}", limit=5,
                            window=600, message="验证码错误次数过多，请 10 分钟后重新获取验证码。")
            ratelimit.check("survey.answer.address", f"{evaluation.pk}:{address or '-'}", limit=30, window=600,
                            message="尝试次数过多，请 10 分钟后再试。")
            services.answer_survey(evaluation, phone=data["phone"], code=data["code"], rating=data["rating"],
                                      comment=data["comment"])
    except DomainError as error:
        evaluation.refresh_from_db()
        if isinstance(error, ProcurementRefused) and not evaluation.survey_open():
            return render(request, template, context | {"closed": True}, status=400)
        if isinstance(error, ratelimit.RateLimited) and action == "answer":
            form.add_error("code", str(error))
        else:
            _refused(form, error)
        return render(request, template, context | {"form": form}, status=400)
    if action == "answer":
        return redirect(f"{reverse('grants:survey', args=[token])}?done=1")
    # The code is on its way: the same form again, what was typed kept, no errors for the parts not yet filled.
    initial = {"phone": data["phone"], "rating": data.get("rating"), "comment": data.get("comment", "")}
    return render(request, template, context | {"form": SurveyForm(initial=initial),
                                                "sent_to": mask_phone(data["phone"])})


def survey_poster(request, token: str):
    """An A4 poster with a big QR code of the survey's absolute address, for the service site's wall."""
    evaluation = _survey_evaluation(token)
    url = request.build_absolute_uri(reverse("grants:survey", args=[token]))
    return render(request, "grants/procurement/survey_poster.html", {
        "evaluation": evaluation, "contract": evaluation.contract, "url": url,
        "qr": qr_svg(url, label=f"满意度调查二维码：{evaluation.contract.title}"),
        "open": evaluation.survey_open(),
    })
