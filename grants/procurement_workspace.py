"""The organization's side of 政府购买服务 (机构工作台 › 政府购买服务): the open projects with the eligibility verdict
for each of the member's organizations, the bid (price, proposal, files; revisable and withdrawable until the
deadline, which the service checks at the moment the bid arrives), the organization's bids and contracts, and
the contract page where the organization logs deliveries with evidence, reports milestones delivered and records
the social money it raised.

Views validate and call grants.procurement with ``acting_user=request.user``; every object is fetched through the
member-scoped querysets of grants.permissions, so another organization's bid, contract or file is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.exceptions import DomainError
from core.files import download
from core.permissions import id_or_404, member_q
from orgs.models import Organization

from . import procurement
from .exceptions import BidClosed, NotEligible
from .models import (
    Bid,
    BidDocument,
    Contract,
    DeliveryLog,
    Milestone,
    PerformanceEvaluation,
    ProcurementProject,
)
from .permissions import biddable_projects, bids_of_member, contracts_of_member, public_projects
from .procurement_forms import BidForm, DeliveryForm, MatchingFundForm, MilestoneForm
from .views import time_left

P = ProcurementProject.Status
DECIDED = {P.AWARDED, P.CONTRACTED}


def _member_organizations(user):
    return Organization.objects.filter(member_q(user, "pk"))


def _rules(project: ProcurementProject) -> tuple:
    """What a project's eligibility verdict depends on besides the organization: projects with the same rules get
    the same checks, so the list asks the database once per organization and rule set, not once per project."""
    return (tuple(project.eligible_kinds or ()), project.exclude_credit_listed, project.min_grade)


def _failures(checks) -> list:
    return [check for check in checks if not check.passed]


def _add_errors(form, error: DomainError) -> None:
    """Put a service's refusal next to the fields it names (the rest, and a plain refusal, above the form)."""
    errors = getattr(error, "errors", None) or {}
    placed = False
    for field, message in errors.items():
        form.add_error(field if field in form.fields else None, message)
        placed = True
    if not placed:
        form.add_error(None, error.message)


# --- the list -----------------------------------------------------------------------------------------------
@login_required
def procurements(request):
    user = request.user
    now = timezone.now()
    organizations = list(_member_organizations(user).order_by("name", "pk"))
    projects = list(biddable_projects(now).select_related("purchaser", "category").order_by("bids_close_at", "pk"))
    bids = list(bids_of_member(user).select_related("project", "organization").order_by("-revised_at", "-pk"))
    contracts = list(contracts_of_member(user).select_related("project", "organization").order_by("-created_at", "-pk"))
    by_key = {(b.project_id, b.organization_id): b for b in bids}
    blocks = []
    for organization in organizations:
        verdicts: dict[tuple, list] = {}
        offers = []
        for project in projects:
            rules = _rules(project)
            if rules not in verdicts:
                verdicts[rules] = procurement.bidder_checks(project, organization)
            checks = verdicts[rules]
            existing = by_key.get((project.pk, organization.pk))
            offers.append({"project": project, "checks": checks, "failures": _failures(checks), "existing": existing,
                           "left": time_left(project.bids_close_at, now)})
        blocks.append({
            "organization": organization, "offers": offers,
            "bids": [{"bid": b, "decided": b.project.status in DECIDED, "won": b.project.winning_bid_id == b.pk}
                     for b in bids if b.organization_id == organization.pk],
            "contracts": [c for c in contracts if c.organization_id == organization.pk],
        })
    return render(request, "grants/procurement/workspace_procurements.html", {"blocks": blocks})


# --- the bid ------------------------------------------------------------------------------------------------
def _initial(bid: Bid | None) -> dict:
    if bid is None or bid.status == Bid.Status.WITHDRAWN:
        return {}
    return {"price": bid.price, "proposal": bid.proposal}


def _bid_page(request, project, organization, *, form=None, refusal="", unsent=None, status=200):
    now = timezone.now()
    bid = (bids_of_member(request.user).filter(project=project, organization=organization)
           .prefetch_related("documents").first())
    accepting = project.accepting_bids(now)
    checks = procurement.bidder_checks(project, organization) if accepting else []
    failures = _failures(checks)
    if accepting and not failures and form is None:
        form = BidForm(initial=_initial(bid), project=project)
    context = {
        "project": project, "organization": organization, "bid": bid, "accepting": accepting, "checks": checks,
        "failures": failures, "form": form if accepting and not failures else None, "refusal": refusal,
        "left": time_left(project.bids_close_at, now) if project.bids_close_at else None,
        "criteria": list(project.criteria.all()), "decided": project.status in DECIDED,
        "won": bid is not None and project.winning_bid_id == bid.pk, "unsent": unsent,
    }
    return render(request, "grants/procurement/workspace_bid.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def bid(request, pk: int, org_pk: int):
    organization = get_object_or_404(_member_organizations(request.user), pk=org_pk)
    project = get_object_or_404(public_projects().select_related("purchaser", "category"), pk=pk)
    if request.method != "POST":
        return _bid_page(request, project, organization)
    here = reverse("grants:bid", kwargs={"pk": pk, "org_pk": org_pk})
    if request.POST.get("action") == "withdraw":
        existing = get_object_or_404(bids_of_member(request.user).select_related("organization", "project"),
                                     project=project, organization=organization)
        try:
            procurement.withdraw_bid(existing, acting_user=request.user)
        except DomainError as error:
            return _bid_page(request, project, organization, refusal=error.message, status=400)
        messages.success(request, "投标已撤回。截止前仍可重新投标。")
        return redirect(here)
    form = BidForm(request.POST, request.FILES, project=project)
    if not form.is_valid():
        return _bid_page(request, project, organization, form=form, status=400)
    try:
        saved = procurement.save_bid(project, organization, acting_user=request.user,
                                     price=form.cleaned_data["price"], proposal=form.cleaned_data["proposal"],
                                     uploads=form.cleaned_data["files"])
    except BidClosed as error:
        # The deadline passed between opening the form and posting it: nothing was saved. What was typed is
        # shown back (read-only) so that it is not lost to the person who typed it.
        unsent = {"price": form.cleaned_data["price"], "proposal": form.cleaned_data["proposal"]}
        return _bid_page(request, project, organization, form=form, refusal=error.message, unsent=unsent, status=400)
    except NotEligible as error:
        for _rule, message in error.failures:
            form.add_error(None, message)
        return _bid_page(request, project, organization, form=form, status=400)
    except ValidationError as error:
        form.add_error("files", error.messages)
        return _bid_page(request, project, organization, form=form, status=400)
    except DomainError as error:
        _add_errors(form, error)
        return _bid_page(request, project, organization, form=form, status=400)
    if saved.revisions:
        messages.success(request, f"投标已修改（第 {saved.revisions} 次修改）。截止前仍可修改或撤回。")
    else:
        messages.success(request, "投标已提交。截止前仍可修改或撤回；截止后开标。")
    return redirect(here)


@login_required
def bid_document(request, pk: int):
    document = get_object_or_404(BidDocument.objects.filter(bid__in=bids_of_member(request.user)), pk=pk)
    return download(document)


# --- the contract -------------------------------------------------------------------------------------------
def _evaluation(contract: Contract) -> PerformanceEvaluation | None:
    return PerformanceEvaluation.objects.filter(contract=contract).first()


def _contract_page(request, contract, *, delivery_form=None, milestone_forms=None, matching_form=None, status=200):
    active = contract.status == Contract.Status.ACTIVE
    milestone_forms = milestone_forms or {}
    milestones = list(contract.milestones.all())
    rows = []
    for milestone in milestones:
        # A form that came back refused is shown whatever the state now (the refusal and the typed report with
        # it); a fresh one only where a report can be made.
        form = milestone_forms.get(milestone.pk)
        if form is None and active and milestone.status == Milestone.Status.PENDING:
            form = MilestoneForm(auto_id=f"id_m{milestone.pk}_%s")
        rows.append({"milestone": milestone, "form": form})
    context = {
        "contract": contract, "project": contract.project, "active": active,
        "deliverables": list(contract.deliverables.all()), "milestones": rows,
        "logs": list(DeliveryLog.objects.filter(deliverable__contract=contract).select_related("deliverable")
                     .order_by("-delivered_on", "-pk")),
        "payments": list(contract.payments.select_related("milestone")),
        "funds": list(contract.matching_funds.all()),
        "amendments": list(contract.amendments.all()),
        "evaluation": _evaluation(contract),
        "delivery_form": delivery_form or (DeliveryForm(contract=contract) if active else None),
        "matching_form": (matching_form or MatchingFundForm()) if contract.status != Contract.Status.DRAFT else None,
    }
    return render(request, "grants/procurement/workspace_contract.html", context, status=status)


def _post_delivery(request, contract):
    form = DeliveryForm(request.POST, request.FILES, contract=contract)
    if form.is_valid():
        data = form.cleaned_data
        try:
            procurement.log_delivery(data["deliverable"], acting_user=request.user, quantity=data["quantity"],
                                     delivered_on=data["delivered_on"], description=data["description"],
                                     upload=data["evidence"])
        except ValidationError as error:
            form.add_error("evidence", error.messages)
        except DomainError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"已登记“{data['deliverable'].name}”{data['quantity']}{data['deliverable'].unit}。")
            return None
    return _contract_page(request, contract, delivery_form=form, status=400)


def _post_milestone(request, contract):
    milestone = get_object_or_404(Milestone.objects.filter(contract=contract), pk=id_or_404(request.POST.get("milestone")))
    form = MilestoneForm(request.POST, auto_id=f"id_m{milestone.pk}_%s")
    if form.is_valid():
        try:
            procurement.submit_milestone(milestone, acting_user=request.user, report=form.cleaned_data["report"])
        except DomainError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"第 {milestone.sequence} 期“{milestone.title}”已提交交付，等待购买主体确认。")
            return None
    return _contract_page(request, contract, milestone_forms={milestone.pk: form}, status=400)


def _post_matching(request, contract):
    form = MatchingFundForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            procurement.record_matching_fund(contract, acting_user=request.user, source=data["source"],
                                             funder=data["funder"], amount=data["amount"],
                                             received_on=data["received_on"])
        except DomainError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"已登记“{data['funder']}”的配套资金。")
            return None
    return _contract_page(request, contract, matching_form=form, status=400)


ACTIONS = {"delivery": _post_delivery, "milestone": _post_milestone, "matching": _post_matching}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def contract(request, pk: int):
    contract = get_object_or_404(
        contracts_of_member(request.user).select_related("project", "project__purchaser", "organization")
        .prefetch_related("deliverables", "matching_funds"), pk=pk)
    if request.method != "POST":
        return _contract_page(request, contract)
    handler = ACTIONS.get(request.POST.get("action", ""))
    if handler is None:
        return _contract_page(request, contract, status=400)
    response = handler(request, contract)
    return response or redirect("grants:contract_workspace", pk=pk)


@login_required
def delivery_evidence(request, pk: int):
    log = get_object_or_404(
        DeliveryLog.objects.filter(deliverable__contract__in=contracts_of_member(request.user)), pk=pk)
    return download(log)
