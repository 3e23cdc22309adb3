"""The officers' side of evaluations in the Wagtail admin: campaigns (create, edit, open, close, compute,
publish, finalize, decide review requests) and the rating review queue (flags and comments). Scoped to
the officer's jurisdiction; every button calls a service."""

import django_filters
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic import CreateView, EditView, InspectView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from core import audit
from core.admin_exports import ExportingIndexView
from core.admin_policies import OfficerViewPolicy
from core.exceptions import DomainError
from core.models import Role

from . import services
from .admin_forms import CampaignForm
from .forms import ModerateForm, ResolveForm, ReviewDecisionForm
from .models import Campaign, Flag, Rating, ReviewRequest
from .permissions import campaigns_for_officer, may_manage, ratings_for_officer

# Only a draft is edited: once open, ratings and scores are keyed to its dimensions and scope.
EDITABLE = {Campaign.Status.DRAFT}


class CampaignPolicy(ModelPermissionPolicy):
    """Officers add campaigns and edit those of their jurisdiction while draft or open; nobody deletes one."""

    def user_has_permission(self, user, action):
        if action == "delete":
            return False
        return user.is_active and (user.is_superuser or user.has_role(Role.OFFICER))

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "change":
            return self.user_has_permission(user, action) and may_manage(user, instance) and instance.status in EDITABLE
        return self.user_has_permission(user, action)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return any(self.user_has_permission_for_instance(user, a, instance) for a in actions)

    def instances_user_has_permission_for(self, user, action):
        return campaigns_for_officer(user)


class CampaignIndexView(ExportingIndexView):
    def get_base_queryset(self):
        return campaigns_for_officer(self.request.user).annotate(organizations=Count("results"))


class CampaignCreateView(CreateView):
    @transaction.atomic  # the campaign, its dimensions and its audit row together, or none of them
    def save_instance(self):
        return services.campaign_created(super().save_instance(), acting_user=self.request.user)


class CampaignEditView(EditView):
    def get_object(self, queryset=None):
        # Only drafts of the officer's jurisdiction: an open campaign answers 404 here.
        editable = campaigns_for_officer(self.request.user).filter(status__in=EDITABLE)
        return get_object_or_404(editable, pk=unquote(str(self.kwargs[self.pk_url_kwarg])))

    @transaction.atomic  # the change and its audit row together
    def save_instance(self):
        campaign = super().save_instance()
        audit.record("evaluations.campaign.edit", actor=self.request.user, obj=campaign, region=campaign.region,
                     after={"title": campaign.title, "opens_at": campaign.opens_at, "closes_at": campaign.closes_at})
        return campaign


class CampaignInspectView(InspectView):
    template_name = "evaluations/admin/campaign.html"

    def get_object(self, queryset=None):
        return get_object_or_404(campaigns_for_officer(self.request.user), pk=unquote(str(self.pk)))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign = self.object
        open_flags = Flag.objects.filter(rating=OuterRef("pk"), resolution="")
        ratings = Rating.objects.filter(campaign=campaign)
        context.update({
            "campaign": campaign,
            "manager": may_manage(self.request.user, campaign),
            "dimensions": campaign.dimensions.all(),
            "history": campaign.history.select_related("actor"),
            "counts": {
                "results": campaign.results.count(),
                "valid": campaign.results.filter(valid=True).count(),
                "ratings": ratings.count(),
                "excluded": ratings.filter(excluded=True).count(),
                "flagged": ratings.filter(Exists(open_flags)).count(),
                "comments": ratings.filter(comment_status=Rating.CommentStatus.PENDING).count(),
            },
            "reviews": ReviewRequest.objects.filter(result__campaign=campaign).select_related("result__organization", "requested_by"),
            "review_form": ReviewDecisionForm(),
            "top": campaign.results.filter(valid=True).select_related("organization", "district").order_by("-total")[:20],
            "running": campaign.compute_state in (Campaign.ComputeState.QUEUED, Campaign.ComputeState.RUNNING),
            "action_url": reverse("campaigns:act", args=[campaign.pk]),
            "queue_url": reverse("rating_review:index") + f"?campaign={campaign.pk}",
        })
        return context


class CampaignViewSet(ModelViewSet):
    model = Campaign
    icon = "crosshairs"
    menu_label = _("五比五看评价")
    menu_order = 220
    add_to_admin_menu = True
    index_view_class = CampaignIndexView
    add_view_class = CampaignCreateView
    edit_view_class = CampaignEditView
    inspect_view_class = CampaignInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    permission_policy = CampaignPolicy(Campaign)
    list_per_page = 30
    list_export = ["title", "kind", "year", "region", "status", "organizations", "opens_at", "closes_at",
                   "public_weight", "min_raters", "published_at"]
    export_headings = {"organizations": "参评组织"}
    export_filename = "评价活动"
    edit_handler = ObjectList([
        MultiFieldPanel([FieldRowPanel([FieldPanel("kind"), FieldPanel("year")]), FieldPanel("title"),
                         FieldPanel("description")], heading=_("基本信息")),
        MultiFieldPanel([FieldPanel("region"), FieldPanel("scope_kinds"), FieldPanel("scope_funded"),
                         FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")])], heading=_("范围与时间")),
        MultiFieldPanel([FieldRowPanel([FieldPanel("public_weight"), FieldPanel("min_raters")]),
                         FieldRowPanel([FieldPanel("band_excellent"), FieldPanel("band_good"), FieldPanel("band_pass")]),
                         FieldPanel("posting_days")], heading=_("计分规则")),
        InlinePanel("dimensions", label=_("评价维度"), heading=_("评价维度（留空则使用默认维度）")),
        FieldPanel("experts"),
    ], base_form_class=CampaignForm)
    list_display = [
        TitleColumn("title", label=_("名称"), url_name="campaigns:inspect"),
        Column("kind", label=_("类型"), accessor="get_kind_display"),
        Column("region", label=_("范围")),
        Column("status", label=_("状态"), accessor="get_status_display"),
        Column("organizations", label=_("参评组织")),
        DateColumn("closes_at", label=_("截止时间"), sort_key="closes_at"),
    ]

    def get_common_view_kwargs(self, **kwargs):
        # Campaigns are never deleted and their history is the workflow's own: no delete, history or usage pages.
        return super().get_common_view_kwargs(**{"history_url_name": None, "usage_url_name": None,
                                                 "delete_url_name": None, **kwargs})

    def get_urlpatterns(self):
        allowed = {"index", "index_results", "inspect", "add", "edit"}
        patterns = [p for p in super().get_urlpatterns() if p.name in allowed]
        return [*patterns, path("<int:pk>/act/", campaign_action, name="act"),
                path("reviews/<int:pk>/", decide_review, name="decide_review")]


ACTIONS = {
    "open": (services.open_campaign, "评价活动已开始，参评组织已纳入范围。"),
    "close": (services.close_campaign, "评价已截止。"),
    "compute": (services.request_computation, "结果计算已排队，完成后本页显示结果。"),
    "publish": (services.publish_results, "结果已发布。"),
    "finalize": (services.finalize_grading, "已定级，评估等级已写入各组织信息，有效期五年。"),
}


def campaign_action(request, pk: int):
    campaign = get_object_or_404(campaigns_for_officer(request.user), pk=pk)
    if request.method == "POST" and request.POST.get("action") in ACTIONS:
        service, done = ACTIONS[request.POST["action"]]
        try:
            service(campaign, acting_user=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, done)
    return redirect("campaigns:inspect", campaign.pk)


def decide_review(request, pk: int):
    review = get_object_or_404(
        ReviewRequest.objects.filter(result__campaign__in=campaigns_for_officer(request.user)), pk=pk
    )
    if request.method == "POST":
        form = ReviewDecisionForm(request.POST)
        if form.is_valid():
            try:
                services.decide_review(review, acting_user=request.user, change=form.cleaned_data["change"],
                                       response=form.cleaned_data["response"], new_total=form.cleaned_data["new_total"])
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, "复核意见已保存，并通知申请组织。")
        else:
            messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
    return redirect("campaigns:inspect", review.result.campaign_id)


register_permission_policy(Campaign, CampaignViewSet.permission_policy)
campaign_viewset = CampaignViewSet("campaigns", url_prefix="campaigns")


@hooks.register("register_admin_viewset")
def register_campaign_viewset():
    return campaign_viewset


# --- the rating review queue ------------------------------------------------------------------------------
def review_queue(user):
    """Ratings in the officer's jurisdiction with an open flag or a comment awaiting moderation."""
    open_flags = Flag.objects.filter(rating=OuterRef("pk"), resolution="")
    return (
        ratings_for_officer(user)
        .annotate(flagged=Exists(open_flags))
        .filter(Q(flagged=True) | Q(comment_status=Rating.CommentStatus.PENDING))
    )


class RatingFilterSet(WagtailFilterSet):
    campaign = django_filters.ModelChoiceFilter(label=_("评价活动"), queryset=Campaign.objects.filter(kind=Campaign.Kind.PUBLIC))
    issue = django_filters.ChoiceFilter(
        label=_("待办"), method="filter_issue", choices=[("flag", _("异常评价")), ("comment", _("待审核留言"))],
    )

    class Meta:
        model = Rating
        fields = ["campaign", "issue"]

    def filter_issue(self, queryset, name, value):
        return queryset.filter(flagged=True) if value == "flag" else queryset.filter(comment_status=Rating.CommentStatus.PENDING)


class FlagsColumn(Column):
    def get_value(self, instance):
        return "；".join(f.get_kind_display() for f in instance.flags.all() if not f.resolution) or "—"


class RatingQueueView(ExportingIndexView):
    # The open flags, as the list's 异常 column shows them (prefetched below).
    export_accessors = {"flags": lambda rating: "；".join(
        flag.get_kind_display() for flag in rating.flags.all() if not flag.resolution)}

    def get_base_queryset(self):
        return review_queue(self.request.user).prefetch_related("flags").order_by("-updated_at", "-pk")


class RatingInspectView(InspectView):
    template_name = "evaluations/admin/rating.html"

    def get_object(self, queryset=None):
        return get_object_or_404(ratings_for_officer(self.request.user), pk=unquote(str(self.pk)))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rating = self.object
        names = {str(d.pk): d.name for d in rating.campaign.dimensions.all()}
        context.update({
            "rating": rating, "scores": [(names.get(k, k), v) for k, v in rating.values.items()],
            "flags": rating.flags.select_related("resolved_by"), "resolve_form": ResolveForm(),
            "moderate_form": ModerateForm(), "act_url": reverse("rating_review:act", args=[rating.pk]),
            "same_address": Rating.objects.filter(campaign=rating.campaign, client_address=rating.client_address).count()
            if rating.client_address else 0,
        })
        return context


class RatingReviewViewSet(ModelViewSet):
    model = Rating
    icon = "warning"
    menu_label = _("评价审核")
    menu_order = 221
    add_to_admin_menu = True
    index_view_class = RatingQueueView
    inspect_view_class = RatingInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    filterset_class = RatingFilterSet
    form_fields = ["exclusion_reason"]  # required by ModelViewSet; the form views are not routed
    list_per_page = 50
    list_export = ["organization", "campaign", "flags", "comment_status", "comment", "client_address", "created_at",
                   "updated_at"]
    export_headings = {"flags": "异常"}
    export_filename = "评价审核"
    list_display = [
        TitleColumn("organization", label=_("组织"), url_name="rating_review:inspect"),
        Column("campaign", label=_("评价活动")),
        FlagsColumn("flags", label=_("异常")),
        Column("comment_status", label=_("留言"), accessor="get_comment_status_display"),
        Column("client_address", label=_("来源地址")),
        DateColumn("updated_at", label=_("时间"), sort_key="updated_at"),
    ]

    def get_urlpatterns(self):
        patterns = [p for p in super().get_urlpatterns() if p.name in {"index", "index_results", "inspect"}]
        return [*patterns, path("<int:pk>/act/", rating_action, name="act")]


def rating_action(request, pk: int):
    rating = get_object_or_404(ratings_for_officer(request.user), pk=pk)
    if request.method == "POST":
        form = (ModerateForm if request.POST.get("step") == "moderate" else ResolveForm)(request.POST)
        if not form.is_valid():
            messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        else:
            try:
                if isinstance(form, ModerateForm):
                    services.moderate_comment(rating, acting_user=request.user, approve=form.cleaned_data["decision"] == "approve",
                                              reason=form.cleaned_data["reason"])
                    messages.success(request, "留言审核结果已保存。")
                else:
                    services.resolve_flags(rating, acting_user=request.user, exclude=form.cleaned_data["decision"] == "exclude",
                                           reason=form.cleaned_data["reason"])
                    messages.success(request, "处理结果已记录。")
            except DomainError as error:
                messages.error(request, error.message)
    return redirect("rating_review:inspect", rating.pk)


register_permission_policy(Rating, OfficerViewPolicy(Rating))
rating_viewset = RatingReviewViewSet("rating_review", url_prefix="rating-review")


@hooks.register("register_admin_viewset")
def register_rating_viewset():
    return rating_viewset
