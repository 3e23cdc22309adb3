"""What 孵化资助 adds to other apps' pages without them importing it: the organization's incubation history and
its grants on its public profile, and the 孵化资助申报 and 资助评审 links in the organization workspace."""

from django.template.loader import render_to_string

from orgs.profile_sections import register, register_workspace_link

from .models import ApplicationStatus, GrantApplication, Residency

register_workspace_link("孵化资助申报", "grants:workspace", order=30)
register_workspace_link("资助评审", "grants:reviews", order=35)

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
