"""The 评价与评估 section of an organization's public profile: campaigns open for rating it, its published
results across the years, and moderated public comments. Three queries whatever the history."""

from django.template.loader import render_to_string
from django.utils import timezone

from orgs import profile_sections

from .models import RESULTS_PUBLIC, Campaign, Rating, Result

COMMENTS_SHOWN = 5

profile_sections.register_workspace_link("我的评估", "evaluations:mine", order=10)
profile_sections.register_workspace_link("评分任务", "evaluations:scoring", order=20)


@profile_sections.register(order=50)
def evaluation_section(request, organization) -> str:
    now = timezone.now()
    open_campaigns = list(Campaign.objects.filter(
        kind=Campaign.Kind.PUBLIC, status=Campaign.Status.OPEN, opens_at__lte=now, closes_at__gte=now,
        results__organization=organization,
    ))
    results = list(
        Result.objects.filter(organization=organization,
                              campaign__status__in=RESULTS_PUBLIC)
        .select_related("campaign").order_by("-campaign__year", "-campaign__pk")
    )
    comments = list(
        Rating.objects.filter(organization=organization, comment_status=Rating.CommentStatus.APPROVED, excluded=False)
        .only("comment", "created_at").order_by("-created_at")[:COMMENTS_SHOWN]
    )
    if not (open_campaigns or results or comments):
        return ""
    return render_to_string("evaluations/profile_section.html", {
        "org": organization, "open_campaigns": open_campaigns, "results": results, "comments": comments,
    }, request=request)
