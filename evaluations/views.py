"""Public and member pages of evaluations: campaigns, results, rating, posters and reports, scoring by
officers and experts, and an organization's own 等级评估 (apply, results, 复核). Thin: forms validate,
services change state, permissions scope."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from core.middleware import client_ip
from core.models import Region
from core.permissions import member_q
from grants.exports import attachment
from orgs.models import Organization

from . import exports, pdf, services
from .exceptions import DomainError, RatingRefused
from .forms import DeclarationForm, RatingForm, ReviewRequestForm, ScoreForm
from .models import Campaign, ConflictDeclaration, Rating, Result, Score
from .permissions import results_of_member, scorable_results, scores_in
from .queries import dimension_averages, public_campaigns, ranking

PAGE_SIZE = 30


def campaigns(request):
    page = Paginator(public_campaigns().order_by("-year", "-opens_at", "-pk"), 20).get_page(request.GET.get("page"))
    return render(request, "evaluations/campaigns.html", {"page_obj": page, "now": timezone.now()})


def _public_campaign(pk: int) -> Campaign:
    return get_object_or_404(public_campaigns(), pk=pk)


def campaign(request, pk: int):
    """While open: the organizations in scope with a 'rate' link. Once published: the ranking."""
    campaign = _public_campaign(pk)
    dimensions = list(campaign.dimensions.all())
    q = (request.GET.get("q") or "").strip()[:40]
    kind = request.GET.get("kind") or ""
    district = request.GET.get("district") or ""
    if campaign.results_public:
        results = ranking(campaign)
    else:
        results = Result.objects.filter(campaign=campaign).select_related("organization", "district").order_by("organization__name")
    if q:
        results = results.filter(organization__name__icontains=q)
    if kind in Organization.Kind.values:
        results = results.filter(org_kind=kind)
    if district:
        results = results.filter(district__code=district)
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in {"q": q, "kind": kind, "district": district}.items() if v})
    return render(request, "evaluations/campaign.html", {
        "campaign": campaign, "dimensions": dimensions, "page_obj": page, "query": query,
        "q": q, "kind": kind, "district": district, "kinds": Organization.Kind.choices,
        "districts": Region.objects.filter(level=Region.Level.DISTRICT).order_by("code"),
        "rating_open": campaign.kind == Campaign.Kind.PUBLIC and campaign.window_open(),
    })


def _result_or_404(campaign: Campaign, org_pk: int) -> Result:
    return get_object_or_404(Result.objects.select_related("organization__region", "district"), campaign=campaign,
                             organization_id=org_pk)


@login_required
def rate(request, pk: int, org_pk: int):
    campaign = _public_campaign(pk)
    if campaign.kind != Campaign.Kind.PUBLIC:
        raise Http404
    result = _result_or_404(campaign, org_pk)
    organization = result.organization
    here = reverse("evaluations:rate", args=[pk, org_pk])
    if request.user.phone_verified_at is None:
        messages.info(request, "参与群众评价须先验证手机号码，验证后将回到评价页面。")
        return redirect(f"{reverse('accounts:phone_verify')}?{urlencode({'next': here})}")
    dimensions = list(campaign.dimensions.all())
    existing = Rating.objects.filter(campaign=campaign, organization=organization, user=request.user).first()
    initial = {}
    if existing:
        initial = {f"d{key}": value for key, value in existing.values.items()} | {"comment": existing.comment}
    form = RatingForm(request.POST or None, dimensions=dimensions, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_rating(
                campaign, organization, acting_user=request.user, values=form.dimension_values(),
                comment=form.cleaned_data["comment"], client_address=client_ip(request),
            )
        except RatingRefused as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"感谢参与！您对“{organization.name}”的评价已{'更新' if existing else '提交'}。")
            return redirect("evaluations:campaign", pk=campaign.pk)
    return render(request, "evaluations/rate.html", {
        "campaign": campaign, "organization": organization, "form": form, "existing": existing,
        "window_open": campaign.window_open(),
    }, status=400 if request.method == "POST" else 200)


def _pdf(content: bytes, filename: str, inline: bool = True) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    return response


def poster(request, pk: int, org_pk: int):
    campaign = _public_campaign(pk)
    if campaign.kind != Campaign.Kind.PUBLIC:
        raise Http404
    result = _result_or_404(campaign, org_pk)
    return _pdf(pdf.render_poster(campaign, result.organization), f"poster-{campaign.year}-{org_pk}.pdf")


def report(request, pk: int):
    campaign = _public_campaign(pk)
    if not campaign.results_public:
        raise Http404
    content = pdf.render_campaign_report(
        campaign, list(campaign.dimensions.all()), ranking(campaign), dimension_averages(campaign)
    )
    return _pdf(content, f"campaign-{campaign.year}-{campaign.pk}.pdf")


def results_export(request, pk: int, fmt: str):
    """The published ranking as open data (CSV with a UTF-8 BOM, or XLSX); 404 until the results are public."""
    campaign = _public_campaign(pk)
    if not campaign.results_public:
        raise Http404
    return attachment(exports.results_sheet(campaign), fmt, exports.filenames(campaign, fmt))


def organization_report(request, pk: int, org_pk: int):
    campaign = _public_campaign(pk)
    if not campaign.results_public:
        raise Http404
    result = _result_or_404(campaign, org_pk)
    content = pdf.render_organization_report(
        campaign, list(campaign.dimensions.all()), result, dimension_averages(campaign)
    )
    return _pdf(content, f"result-{campaign.year}-{org_pk}.pdf")


# --- officers and experts score ---------------------------------------------------------------------------
SCORING_STATES = [Campaign.Status.OPEN, Campaign.Status.CLOSED, Campaign.Status.COMPUTED]


@login_required
def scoring(request):
    """The campaigns this person scores in: as an assigned expert, or as an officer of the region."""
    candidates = Campaign.objects.filter(status__in=SCORING_STATES).select_related("region")
    mine = [c for c in candidates if scores_in(request.user, c) and scorable_results(request.user, c).exists()]
    return render(request, "evaluations/scoring.html", {"campaigns": mine})


def _scoring_campaign(request, pk: int) -> Campaign:
    campaign = get_object_or_404(Campaign.objects.filter(status__in=SCORING_STATES).select_related("region"), pk=pk)
    if not scores_in(request.user, campaign):
        raise Http404
    return campaign


@login_required
def scoring_list(request, pk: int):
    campaign = _scoring_campaign(request, pk)
    declared = ConflictDeclaration.objects.filter(campaign=campaign, organization=OuterRef("organization"), scorer=request.user)
    scored = Score.objects.filter(campaign=campaign, organization=OuterRef("organization"), scorer=request.user)
    results = (
        scorable_results(request.user, campaign)
        .annotate(declared=Exists(declared), scored=Exists(scored))
        .order_by("scored", "organization__name")
    )
    q = (request.GET.get("q") or "").strip()[:40]
    if q:
        results = results.filter(organization__name__icontains=q)
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "evaluations/scoring_list.html", {"campaign": campaign, "page_obj": page, "q": q})


@login_required
def score(request, pk: int, org_pk: int):
    campaign = _scoring_campaign(request, pk)
    result = get_object_or_404(scorable_results(request.user, campaign), organization_id=org_pk)
    organization = result.organization  # scorable_results is exactly what this person may score
    dimensions = list(campaign.dimensions.all())
    declaration = ConflictDeclaration.objects.filter(campaign=campaign, organization=organization, scorer=request.user).first()
    existing = Score.objects.filter(campaign=campaign, organization=organization, scorer=request.user).first()
    declaration_form = DeclarationForm(request.POST if request.POST.get("step") == "declare" else None)
    initial = {}
    if existing:
        initial = {f"d{k}": v for k, v in existing.values.items()} | {f"n{k}": v for k, v in existing.notes.items()}
    score_form = ScoreForm(request.POST if request.POST.get("step") == "score" else None, dimensions=dimensions, initial=initial)
    if request.method == "POST":
        target = declaration_form if request.POST.get("step") == "declare" else score_form
        if target.is_valid():
            try:
                if target is declaration_form:
                    services.declare_conflict(campaign, organization, acting_user=request.user,
                                              has_conflict=declaration_form.cleaned_data["has_conflict"],
                                              statement=declaration_form.cleaned_data["statement"])
                    messages.success(request, "声明已记录。")
                else:
                    services.submit_score(campaign, organization, acting_user=request.user,
                                          values=score_form.values(), notes=score_form.notes())
                    messages.success(request, f"已保存对“{organization.name}”的评分。")
                    return redirect("evaluations:scoring_list", pk=campaign.pk)
            except DomainError as error:
                target.add_error(None, error.message)
            else:
                return redirect("evaluations:score", pk=campaign.pk, org_pk=organization.pk)
    return render(request, "evaluations/score.html", {
        "campaign": campaign, "organization": organization, "result": result, "declaration": declaration,
        "declaration_form": declaration_form, "score_form": score_form, "existing": existing,
        "dimension_rows": [(d, score_form[f"d{d.pk}"], score_form[f"n{d.pk}"]) for d in dimensions],
    })


# --- an organization's own evaluations -------------------------------------------------------------------
@login_required
def mine(request):
    """The member's organizations: open 等级评估 to apply for (with the reasons when not eligible), their
    results, and review requests during the posting period."""
    organizations = list(Organization.objects.filter(member_q(request.user, "pk")).select_related("region"))
    campaigns = list(Campaign.objects.filter(kind=Campaign.Kind.GRADING, status=Campaign.Status.OPEN).select_related("region"))
    applied = set(Result.objects.filter(campaign__in=campaigns, organization__in=organizations)
                  .values_list("campaign_id", "organization_id"))
    offers = []
    for campaign in campaigns:
        for organization in organizations:
            if not organization.region.path.startswith(campaign.region.path):
                continue
            problems = [] if (campaign.pk, organization.pk) in applied else services.grading_problems(organization, campaign)
            offers.append({"campaign": campaign, "organization": organization,
                           "applied": (campaign.pk, organization.pk) in applied, "problems": problems})
    results = results_of_member(request.user).select_related("district").prefetch_related("review_requests").order_by("-campaign__year", "organization__name")
    return render(request, "evaluations/mine.html", {"offers": offers, "results": results, "today": timezone.localdate()})


@login_required
@require_POST
def apply(request, pk: int, org_pk: int):
    campaign = get_object_or_404(Campaign.objects.filter(kind=Campaign.Kind.GRADING), pk=pk)
    organization = get_object_or_404(Organization.objects.filter(member_q(request.user, "pk")), pk=org_pk)
    try:
        services.apply_for_grading(campaign, organization, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"“{organization.name}”已申请参加{campaign.title}。")
    return redirect("evaluations:mine")


@login_required
def review_request(request, result_pk: int):
    result = get_object_or_404(results_of_member(request.user).filter(campaign__kind=Campaign.Kind.GRADING), pk=result_pk)
    form = ReviewRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_review(result, acting_user=request.user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form.add_error("reason", error.message)
        else:
            messages.success(request, "复核申请已提交，处理结果将通过站内通知告知。")
            return redirect("evaluations:mine")
    return render(request, "evaluations/review_request.html", {"result": result, "form": form})
