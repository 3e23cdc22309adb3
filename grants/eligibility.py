"""The eligibility rules of a funding call or a procurement project, evaluated for one organization (DESIGN.md
§4.2, §4.3).

Each rule answers with its name, whether it holds and a Chinese sentence that explains the answer, so the
workspace can show an organization why it may not apply before it starts, and the submission service can
refuse with the same words. The result is stored on the application as the record of its 资格审查."""

import datetime
from dataclasses import asdict, dataclass

from django.utils import timezone

from orgs.models import CreditListing, Organization

from .models import FundingCall, GrantApplication, ProcurementProject, Residency
from .models.procurement import GRADE_RANK


@dataclass(frozen=True)
class Check:
    rule: str
    label: str
    passed: bool
    detail: str


def months_between(start: datetime.date, end: datetime.date) -> int:
    """Whole months from ``start`` to ``end`` (a month counts once its day is reached)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


def evaluate(call: FundingCall, organization: Organization, *, today: datetime.date | None = None,
             application: GrantApplication | None = None) -> list[Check]:
    """Every rule of ``call`` checked for ``organization`` on ``today``; ``application`` is the one being
    submitted, which the one-per-call rule does not count against itself."""
    today = today or timezone.localdate()
    checks = [_active(organization, "申报")]
    if call.eligible_kinds:
        checks.append(_kind(call, organization, "本计划"))
    region = call.region
    in_region = organization.region.path.startswith(region.path)
    checks.append(Check("region", "所在区划", in_region,
                        f"本计划面向{region.name}的组织；该组织位于{organization.region.name}。"))
    if call.max_months_established is not None or call.min_months_established is not None:
        if organization.established_on is None:
            checks.append(Check("age", "成立时间", False, "该组织未登记成立日期，无法核对成立时间要求。"))
        else:
            months = months_between(organization.established_on, today)
            ok = True
            wanted = []
            if call.max_months_established is not None:
                ok = ok and months <= call.max_months_established
                wanted.append(f"不超过 {call.max_months_established} 个月")
            if call.min_months_established is not None:
                ok = ok and months >= call.min_months_established
                wanted.append(f"不少于 {call.min_months_established} 个月")
            checks.append(Check("age", "成立时间", ok,
                                f"本计划要求成立时间{'、'.join(wanted)}；该组织成立于 {organization.established_on:%Y-%m-%d}，"
                                f"已 {months} 个月。"))
    if call.exclude_credit_listed:
        checks.append(_credit(organization, "申报"))
    if call.require_residency:
        residency = Residency.objects.filter(organization=organization, status=Residency.Status.RESIDENT).select_related("base").first()
        checks.append(Check("residency", "在孵要求", residency is not None,
                            f"在孵于{residency.base.name}。" if residency
                            else "本计划只面向孵化基地在孵组织；该组织目前不在任何孵化基地入驻。"))
    others = GrantApplication.objects.filter(call=call, organization=organization)
    if application is not None:
        others = others.exclude(pk=application.pk)
    existing = others.first()
    checks.append(Check("once", "每个组织限报一项", existing is None,
                        "本组织在本计划中尚无其他申报。" if existing is None
                        else f"每个组织在同一资助计划中只能申报一次；本组织已有申报 {existing.number}。"))
    return checks


def _active(organization: Organization, verb: str) -> Check:
    ok = organization.is_active
    return Check("active", "组织状态", ok, f"组织状态为“{organization.get_status_display()}”"
                 + ("。" if ok else f"，已注销或撤销的组织不能{verb}。"))


def _kind(rules, organization: Organization, whose: str) -> Check:
    """``rules`` is a call or a procurement project: both keep ``eligible_kinds`` and ``kind_labels()``."""
    allowed = "、".join(rules.kind_labels())
    ok = organization.kind in rules.eligible_kinds
    return Check("kind", "组织类型", ok, f"{whose}面向{allowed}；该组织为{organization.get_kind_display()}。")


def _credit(organization: Organization, verb: str) -> Check:
    listing = CreditListing.objects.filter(organization=organization, removed_on__isnull=True).first()
    return Check("credit", "信用状况", listing is None,
                 "未列入活动异常名录或严重违法失信名单。" if listing is None
                 else f"该组织于 {listing.listed_on:%Y-%m-%d} 被列入{listing.get_kind_display()}，列入期间不能{verb}。")


def provider_grades(organization: Organization) -> dict[str, tuple[str, str] | None]:
    """The organization's latest published 五比五看 grade and latest contract performance grade, each as
    (grade, where from) or None when it has none yet."""
    from evaluations.models import RESULTS_PUBLIC, Result

    from .models import PerformanceEvaluation

    result = (Result.objects.filter(organization=organization, campaign__status__in=RESULTS_PUBLIC,
                                    grade__in=list(GRADE_RANK)).select_related("campaign")
              .order_by("-campaign__closes_at", "-pk").first())
    evaluation = (PerformanceEvaluation.objects.filter(contract__organization=organization,
                                                       status=PerformanceEvaluation.Status.FINISHED)
                  .select_related("contract").order_by("-finished_at", "-pk").first())
    return {
        "campaign": (result.grade, f"{result.campaign}：{result.get_grade_display()}") if result else None,
        "performance": ((evaluation.grade, f"合同 {evaluation.contract.number} 绩效评价：{evaluation.get_grade_display()}")
                        if evaluation else None),
    }


def evaluate_bidder(project: ProcurementProject, organization: Organization) -> list[Check]:
    """Every provider rule of ``project`` checked for ``organization``: status, kind, credit lists and the lowest
    grade (its latest 五比五看 grade and latest performance grade, where it has them, must both reach it)."""
    checks = [_active(organization, "投标")]
    if project.eligible_kinds:
        checks.append(_kind(project, organization, "本项目"))
    if project.exclude_credit_listed:
        checks.append(_credit(organization, "投标"))
    if project.min_grade:
        wanted = GRADE_RANK[project.min_grade]
        label = project.get_min_grade_display()
        grades = provider_grades(organization)
        low = [source for grade, source in filter(None, grades.values()) if GRADE_RANK.get(grade, 0) < wanted]
        known = [source for _grade, source in filter(None, grades.values())]
        detail = (f"本项目要求评价等级不低于“{label}”；" + ("、".join(low) + "，未达到。" if low
                  else ("、".join(known) + "。" if known else "该组织尚无评价等级，不受此限。")))
        checks.append(Check("grade", "评价等级", not low, detail))
    return checks


def failures(checks: list[Check]) -> list[tuple[str, str]]:
    return [(check.rule, f"资格条件“{check.label}”未满足：{check.detail}") for check in checks if not check.passed]


def as_record(checks: list[Check]) -> list[dict]:
    return [asdict(check) for check in checks]
