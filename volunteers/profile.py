"""What 爱心银行 adds to other apps' pages without them importing it: the organization's upcoming volunteer
activities on its public profile, and a 志愿活动管理 link in the organization workspace."""

from django.template.loader import render_to_string
from django.utils import timezone

from orgs.profile_sections import register, register_workspace_link

from .models import Activity

register_workspace_link("志愿活动管理", "volunteers:manage", order=50)


@register(order=60)
def upcoming_activities(request, organization) -> str:
    """One query: the organization's published activities with a shift still to come."""
    activities = list(
        Activity.objects.filter(organization=organization, status=Activity.Status.PUBLISHED,
                                shifts__ends_at__gt=timezone.now()).distinct().order_by("starts_on", "pk")[:5]
    )
    if not activities:
        return ""
    return render_to_string("volunteers/profile_section.html", {"activities": activities}, request=request)
