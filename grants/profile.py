"""What 孵化资助 and 政府购买服务 add to other apps' pages without them importing them: the organization's incubation
history and grants, and its signed purchased-service contracts, on its public profile; and the 孵化资助申报 and
资助评审 links in the organization workspace."""

from django.db.models import F
from django.template.loader import render_to_string

from orgs.profile_sections import register, register_workspace_link

from .models import ApplicationStatus, GrantApplication, PerformanceEvaluation, Residency
from .permissions import public_contracts

register_workspace_link("孵化资助申报", "grants:workspace", order=30)
register_workspace_link("资助评审", "grants:reviews", order=35)
register_workspace_link("政府购买服务", "grants:procurement_workspace", order=32)
register_workspace_link("投标评审", "grants:bid_reviews", order=36)

# Applications whose award is public: awarded and after. Drafts, pending and declined applications are the
# organization's own business.
AWARDED = [ApplicationStatus.AWARDED, ApplicationStatus.AGREEMENT, ApplicationStatus.IN_PROGRESS,
           ApplicationStatus.COMPLETED, ApplicationStatus.TERMINATED]


@register(order=40)
def grants_section(request, organization) -> str:
    """Two queries: the residencies with their bases, the awarded applications with their calls and awards."""
    residencies = list(Residency.objects.filter(organization=organization).select_related("base").order_by("-admitted_on", "-pk"))
    grants = list(
        GrantApplication.objects.filter(organization=organization, status__in=AWARDED)
        .select_related("call", "award").order_by("-call__year", "-pk")
    )
    if not (residencies or grants):
        return ""
    return render_to_string("grants/profile_section.html", {"residencies": residencies, "grants": grants},
                            request=request)


@register(order=45)
def procurement_section(request, organization) -> str:
    """One query: the organization's signed contracts (draft contracts are not public) with their project's
    purchaser and, through a left join, the grade of a finished performance evaluation."""
    contracts = list(
        public_contracts().filter(organization=organization).select_related("project__purchaser")
        .annotate(evaluation_status=F("evaluation__status"), evaluation_grade=F("evaluation__grade"),
                  evaluation_score=F("evaluation__final_score"))
        .order_by("-signed_on", "-pk")
    )
    if not contracts:
        return ""
    grades = dict(PerformanceEvaluation.Grade.choices)
    for contract in contracts:
        done = contract.evaluation_status == PerformanceEvaluation.Status.FINISHED
        contract.grade_label = str(grades.get(contract.evaluation_grade, "")) if done else ""
    return render_to_string("grants/procurement/_public_profile_contracts.html", {"contracts": contracts},
                            request=request)
