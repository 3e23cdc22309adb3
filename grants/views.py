"""Public pages of 孵化资助: the funding calls (open ones first, with the time left), one call with its rules,
rubric, documents, tranches and awards, and the incubation bases with their residents. Each page runs a fixed
number of queries whatever the number of calls, awards or bases."""

from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import urlencode

from core.money import format_yuan

from .filters import BaseFilter, CallFilter
from .models import Award, FundingCall, IncubationBase, Residency, Tranche
from .permissions import public_calls

PAGE_SIZE = 20
Status = FundingCall.Status


def time_left(closes_at, now) -> dict:
    """What the countdown shows before any script runs: whole days and hours (and minutes on the last day)."""
    seconds = max(int((closes_at - now).total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    return {"days": days, "hours": hours, "minutes": rest // 60, "closed": seconds == 0}


def calls(request):
    """Open calls first (closing soonest first) with a countdown, then upcoming calls, then past ones, paginated;
    the filter applies to all three."""
    now = timezone.now()
    filterset = CallFilter(request.GET or None, queryset=public_calls().select_related("region"))
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else public_calls().select_related("region")
    open_now = list(queryset.filter(status=Status.PUBLISHED, opens_at__lte=now, closes_at__gt=now).order_by("closes_at", "pk")[:50])
    for call in open_now:
        call.left = time_left(call.closes_at, now)
    upcoming = list(queryset.filter(status=Status.PUBLISHED, opens_at__gt=now).order_by("opens_at", "pk")[:50])
    past = queryset.exclude(status=Status.PUBLISHED, closes_at__gt=now).order_by("-closes_at", "-pk")
    page = Paginator(past, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(request, "grants/calls.html", {
        "filter": filterset, "form": filterset.form, "open_calls": open_now, "upcoming": upcoming, "page_obj": page,
        "query": query, "now": now,
    })


def rules_in_words(call: FundingCall) -> list[tuple[str, str]]:
    """The call's eligibility rules as (label, sentence), in the words of grants.eligibility."""
    rules = [("组织状态", "已登记或已备案的社会组织；已注销或撤销的组织不能申报。")]
    if call.eligible_kinds:
        rules.append(("组织类型", f"限{'、'.join(call.kind_labels())}申报。"))
    else:
        rules.append(("组织类型", "社会团体、社会服务机构、基金会、社区社会组织均可申报。"))
    rules.append(("所在区划", f"面向{call.region.name}（含下辖区县、街道和社区）的组织。"))
    wanted = []
    if call.max_months_established is not None:
        wanted.append(f"不超过 {call.max_months_established} 个月")
    if call.min_months_established is not None:
        wanted.append(f"不少于 {call.min_months_established} 个月")
    if wanted:
        rules.append(("成立时间", f"截至申报之日，成立时间{'、'.join(wanted)}。"))
    if call.exclude_credit_listed:
        rules.append(("信用状况", "列入活动异常名录或严重违法失信名单期间不能申报。"))
    if call.require_residency:
        rules.append(("在孵要求", "须为孵化基地的在孵组织。"))
    rules.append(("每个组织限报一项", "每个组织在本计划中只能申报一次。"))
    if call.max_amount is not None:
        rules.append(("单项资助上限", f"每个项目申请金额不超过 {format_yuan(call.max_amount)}。"))
    return rules


def tranche_schedule(call: FundingCall) -> list[tuple[str, int]]:
    return [(str(Tranche.Condition(condition).label), percent) for condition, percent in call.tranche_plan()]


def call(request, pk: int):
    """One published or finished call; drafts are 404. Four queries: the call, its rubric, its checklist, its
    awards."""
    funding_call = get_object_or_404(public_calls().select_related("region"), pk=pk)
    now = timezone.now()
    awards = list(
        Award.objects.filter(application__call=funding_call)
        .select_related("application", "application__organization")
        .order_by("-amount", "application__organization__name", "pk")
    )
    return render(request, "grants/call.html", {
        "call": funding_call, "now": now, "is_open": funding_call.is_open(now),
        "left": time_left(funding_call.closes_at, now) if funding_call.is_open(now) else None,
        "upcoming": funding_call.status == Status.PUBLISHED and funding_call.opens_at > now,
        "rules": rules_in_words(funding_call), "criteria": list(funding_call.criteria.all()),
        "documents": list(funding_call.required_documents.all()), "tranches": tranche_schedule(funding_call),
        "awards": awards,
    })


LEVEL_ORDER = Case(
    When(level=IncubationBase.Level.CITY, then=Value(0)),
    When(level=IncubationBase.Level.DISTRICT, then=Value(1)),
    default=Value(2), output_field=IntegerField(),
)


def bases(request):
    """Active incubation bases, 市级 then 区级 then 社区级, with capacity, places left and current residents.
    Two queries for the list whatever its size (the bases; their open residencies with the organizations)."""
    residents = Residency.objects.filter(status=Residency.Status.RESIDENT).select_related("organization").order_by("admitted_on", "pk")
    queryset = (
        IncubationBase.objects.filter(is_active=True).select_related("region")
        .annotate(level_order=LEVEL_ORDER).order_by("level_order", "name")
        .prefetch_related(Prefetch("residencies", queryset=residents, to_attr="current"))
    )
    filterset = BaseFilter(request.GET or None, queryset=queryset)
    if filterset.is_bound and filterset.is_valid():
        queryset = filterset.qs
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(request, "grants/bases.html", {"form": filterset.form, "page_obj": page, "query": query})
