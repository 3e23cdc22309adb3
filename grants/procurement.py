"""Every change to procurement projects, bids, bid reviews, contracts, deliveries, payments and performance
evaluations (DESIGN.md §3, §4.3; 《政府购买服务管理办法》财政部令第102号).

Each function is atomic, checks who acts (keyword-only ``acting_user``), moves workflows through
core.workflow.move, writes the audit row, appends the OCDS release of the event (grants.ocds) in the same
transaction, and raises a domain error with a Chinese message that names the rule.

Locks: every service that touches a project, its bids or its contract locks the project row first (then the bid
review or the contract), one order everywhere, so two officers cannot award twice or pay a milestone twice; a
payment also locks its contract row, and the CHECK ``paid_total <= value`` backs the rule for any writer.
The bid deadline is read from the clock inside the service at the moment of saving, never from the form.
"""

import datetime
import hashlib
import hmac
import logging
import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core import audit, ratelimit, sms
from core.exceptions import DomainError
from core.files import store
from core.models import Role
from core.money import format_yuan, to_yuan
from core.notify import notify
from core.permissions import can_administer_region
from core.phone import is_mobile, normalize_phone
from core.sequences import next_value
from core.workflow import move
from orgs.models import Organization

from . import eligibility, ocds, rubric
from .exceptions import BidClosed, NotEligible, PermissionDenied, ProcurementRefused
from .models import (
    Bid,
    BidDocument,
    BidReview,
    BidReviewStatusChange,
    BidScore,
    Contract,
    ContractAmendment,
    ContractPayment,
    ContractStatusChange,
    Deliverable,
    DeliveryLog,
    EvaluationStatusChange,
    Indicator,
    IndicatorScore,
    MatchingFund,
    Milestone,
    MilestoneStatusChange,
    PerformanceEvaluation,
    ProcurementProject,
    ProjectDocument,
    ProjectStatusChange,
    Purchaser,
    SatisfactionResponse,
    ServiceCategory,
    SurveyCode,
    TechnicalCriterion,
)
from .permissions import may_act_for, may_manage_project

logger = logging.getLogger(__name__)
P = ProcurementProject.Status
CENT = Decimal("0.01")
WORKSPACE_BID = "/grants/workspace/procurements/{pk}/bid/{org_pk}/"
WORKSPACE_CONTRACT = "/grants/workspace/contracts/{pk}/"


# --- helpers ------------------------------------------------------------------------------------------------
def _locked_project(project: ProcurementProject) -> ProcurementProject:
    # Row lock on PostgreSQL; on SQLite the IMMEDIATE transaction already holds the one write lock.
    return (ProcurementProject.objects.select_for_update(of=("self",))
            .select_related("purchaser", "category", "region").get(pk=project.pk))


def _locked_contract(contract: Contract) -> tuple[ProcurementProject, Contract]:
    """The project, then its contract, both locked (the one lock order of this module)."""
    project = _locked_project(contract.project)
    contract = Contract.objects.select_for_update(of=("self",)).select_related("organization").get(pk=contract.pk)
    contract.project = project
    return project, contract


def _manage(user, project: ProcurementProject):
    if not may_manage_project(user, project):
        raise PermissionDenied("只能办理本辖区购买主体的采购项目和合同。")


def _member(user, organization: Organization):
    if not may_act_for(user, organization):
        raise PermissionDenied("只能以本人所在组织的名义办理。")


def _move_project(project, to, *, actor, reason="", **extra):
    return move(project, to, transitions=ProcurementProject.TRANSITIONS, history=ProjectStatusChange,
                history_fk="project", actor=actor, reason=reason, action_prefix="grants.procurement",
                extra_fields=extra)


def _move_contract(contract, to, *, actor, reason="", **extra):
    return move(contract, to, transitions=Contract.TRANSITIONS, history=ContractStatusChange, history_fk="contract",
                actor=actor, reason=reason, action_prefix="grants.contract", extra_fields=extra)


def _move_milestone(milestone, to, *, actor, region, reason="", **extra):
    return move(milestone, to, transitions=Milestone.TRANSITIONS, history=MilestoneStatusChange,
                history_fk="milestone", actor=actor, reason=reason, action_prefix="grants.milestone",
                extra_fields=extra, region=region)


def _move_review(review, to, *, actor, region, reason="", **extra):
    return move(review, to, transitions=BidReview.TRANSITIONS, history=BidReviewStatusChange, history_fk="review",
                actor=actor, reason=reason, action_prefix="grants.bid_review", extra_fields=extra, region=region)


def _tell_members(organization: Organization, title: str, body: str, link: str):
    for membership in organization.memberships.select_related("user"):
        notify(membership.user, title, body, link)


def _text(value) -> str:
    return (value or "").strip()


# --- catalogue and purchasers ------------------------------------------------------------------------------
CATALOGUE_FIELDS = ["code", "name", "description", "sort_order", "active"]
PURCHASER_FIELDS = ["name", "kind", "region", "credit_code", "address", "contact_name", "contact_phone"]


def catalogue_item_saved(category: ServiceCategory, *, acting_user, before: dict | None = None) -> ServiceCategory:
    """File a catalogue item an administrator's form has just saved (in the caller's transaction): only a
    superuser keeps the guiding catalogue; ``before`` is the row as it was, None for a new item."""
    if not acting_user.is_superuser:
        raise PermissionDenied("只有系统管理员可以维护购买服务目录。")
    audit.record("grants.service_category." + ("edit" if before is not None else "create"), actor=acting_user,
                 obj=category, before=before, after=audit.snapshot(category, CATALOGUE_FIELDS))
    return category


def purchaser_saved(purchaser: Purchaser, *, acting_user, before: dict | None = None) -> Purchaser:
    """File a purchaser an officer's form has just saved (in the caller's transaction): it must sit in the
    officer's jurisdiction."""
    if not can_administer_region(acting_user, purchaser.region):
        raise PermissionDenied("只能登记本辖区内的购买主体。")
    audit.record("grants.purchaser." + ("edit" if before is not None else "create"), actor=acting_user,
                 obj=purchaser, before=before, after=audit.snapshot(purchaser, PURCHASER_FIELDS))
    return purchaser


# --- projects -----------------------------------------------------------------------------------------------
def project_problems(project: ProcurementProject, criteria=None, *, now=None) -> dict[str, str]:
    """What stops ``project`` being announced, by form field. ``criteria`` are (weight, name) pairs from a form
    not yet saved; ``now`` is given when the window must still lie ahead (announcing)."""
    problems: dict[str, str] = {}
    if criteria is None:
        criteria = [(c.weight, c.name) for c in project.criteria.all()]
    rubric_problem = rubric.total_problem([weight for weight, _name in criteria],
                                          empty="技术评分细则不能为空：请至少设置一个评分项。", label="技术评分项分值")
    if rubric_problem:
        problems["criteria"] = rubric_problem
    if not _text(project.budget_line):
        problems["budget_line"] = "财政部令第102号第十二条：购买服务应当先有预算，请填写预算科目及资金来源。"
    if project.category_id and not project.category.active:
        problems["category"] = f"目录项“{project.category}”已停用，不能用于新的采购项目。"
    if not project.bids_open_at or not project.bids_close_at:
        problems["bids_close_at"] = "请设置投标开始和截止时间。"
    elif project.bids_close_at <= project.bids_open_at:
        problems["bids_close_at"] = "投标截止时间须晚于开始时间。"
    elif now is not None and project.bids_close_at <= now:
        problems["bids_close_at"] = "投标截止时间已过，请重新设置投标时间后再公告。"
    if project.price_weight is not None and not 10 <= project.price_weight <= 90:
        problems["price_weight"] = "价格分权重须在 10%–90% 之间。"
    return problems


PROJECT_FIELDS = ["title", "purchaser", "category", "budget", "budget_line", "method", "service_period",
                  "eligible_kinds", "exclude_credit_listed", "min_grade", "bids_open_at", "bids_close_at", "price_weight"]


def project_edited(project: ProcurementProject, *, acting_user, before: dict) -> ProcurementProject:
    """File the edit an officer's form has just saved to a planned project (in the caller's transaction); the
    region follows the purchaser."""
    _manage(acting_user, project)
    if project.status != P.PLANNED:
        raise ProcurementRefused("项目公告后不能修改，如需变更请取消后重新立项。")
    if project.region_id != project.purchaser.region_id:
        ProcurementProject.objects.filter(pk=project.pk).update(region_id=project.purchaser.region_id)
        project.region_id = project.purchaser.region_id
    audit.record("grants.procurement.edit", actor=acting_user, obj=project, before=before,
                 after={**audit.snapshot(project, PROJECT_FIELDS),
                        "criteria": [(c.name, c.weight) for c in project.criteria.all()]})
    return project


def project_created(project: ProcurementProject, *, acting_user) -> ProcurementProject:
    """Number and file a project just saved by a form (or by :func:`create_project`); the region is the
    purchaser's, so the project falls under the purchaser's officers."""
    _manage(acting_user, project)
    fields = {}
    if not project.number:
        fields["number"] = f"CG{project.created_at:%Y}{next_value(f'procurement-{project.created_at:%Y}'):05d}"
    if project.region_id != project.purchaser.region_id:
        fields["region_id"] = project.purchaser.region_id
    if fields:
        ProcurementProject.objects.filter(pk=project.pk).update(**fields)
        for name, value in fields.items():
            setattr(project, name, value)
    audit.record("grants.procurement.create", actor=acting_user, obj=project,
                 after={"number": project.number, "budget": str(project.budget), "method": project.method})
    return project


@transaction.atomic
def create_project(*, acting_user, criteria: list[tuple[str, int]], **fields) -> ProcurementProject:
    """Create a planned project with its technical rubric (for code and the demo; officers use the admin's form,
    which ends in :func:`project_created` the same way)."""
    purchaser = fields["purchaser"]
    project = ProcurementProject(region=purchaser.region, number=f"tmp-{secrets.token_hex(6)}", created_by=acting_user,
                                 **fields)
    _manage(acting_user, project)
    project.number = ""
    project.save()
    for order, (name, weight) in enumerate(criteria):
        TechnicalCriterion.objects.create(project=project, name=name, weight=weight, sort_order=order)
    return project_created(project, acting_user=acting_user)


@transaction.atomic
def attach_project_document(project: ProcurementProject, upload, *, acting_user, title: str) -> ProjectDocument:
    project = _locked_project(project)
    _manage(acting_user, project)
    if project.status not in (P.PLANNED, P.ANNOUNCED):
        raise ProcurementRefused("投标截止后不能再增加采购文件。", field="document")
    if not _text(title):
        raise ProcurementRefused("请填写文件标题。", field="title")
    document = store(ProjectDocument(project=project, title=_text(title)[:120]), upload, uploaded_by=acting_user)
    audit.record("grants.procurement.document", actor=acting_user, obj=project,
                 after={"document": document.pk, "sha256": document.sha256, "name": document.original_name})
    if project.status == P.ANNOUNCED:
        ocds.publish(project, ["tenderUpdate"])
    return document


@transaction.atomic
def announce(project: ProcurementProject, *, acting_user) -> ProcurementProject:
    """计划 → 已公告: the announcement page goes public and bids may come in from ``bids_open_at``."""
    project = _locked_project(project)
    _manage(acting_user, project)
    problems = project_problems(project, now=timezone.now())
    if problems:
        raise ProcurementRefused("采购项目尚不能公告：" + "；".join(problems.values()), errors=problems)
    _move_project(project, P.ANNOUNCED, actor=acting_user, announced_at=timezone.now())
    ocds.publish(project, ["planning", "tender"])
    return project


def bidder_checks(project: ProcurementProject, organization: Organization) -> list[eligibility.Check]:
    return eligibility.evaluate_bidder(project, organization)


@transaction.atomic
def save_bid(project: ProcurementProject, organization: Organization, *, acting_user, price, proposal: str,
             uploads=()) -> Bid:
    """Submit or revise ``organization``'s bid. The window is checked against the clock here, at the moment the
    bid reaches the server, whatever the form showed when it was opened. One bid per organization (a unique
    constraint backs it); revising replaces the price and proposal and counts the revision.

    No audit row is written here: officers read the audit log of their jurisdiction, and before the deadline
    neither the price nor the bidder may reach them. The bid keeps who submitted it, when, when it was last revised
    and how many times; :func:`open_bids` writes each bid's audit row from those when the seal is broken."""
    _member(acting_user, organization)
    project = _locked_project(project)
    now = timezone.now()
    if not project.accepting_bids(now):
        if project.bids_close_at and now >= project.bids_close_at:
            raise BidClosed(f"投标已于 {timezone.localtime(project.bids_close_at):%Y-%m-%d %H:%M:%S} 截止，"
                            "截止后提交的投标不予受理。")
        raise BidClosed("该项目当前不接受投标。")
    failed = eligibility.failures(bidder_checks(project, organization))
    if failed:
        raise NotEligible("不符合本项目的投标资格：" + "；".join(message for _rule, message in failed), failed)
    errors = {}
    try:
        price = to_yuan(price)
    except (ArithmeticError, TypeError, ValueError):
        price = None
    if price is None or price <= 0:
        errors["price"] = "请填写大于 0 的投标报价（元）。"
    elif price > project.budget:
        errors["price"] = f"投标报价 {format_yuan(price)} 超过采购预算 {format_yuan(project.budget)}，报价不得超过预算。"
    if not _text(proposal):
        errors["proposal"] = "请填写服务方案。"
    if errors:
        raise ProcurementRefused("；".join(errors.values()), errors=errors)
    bid = Bid.objects.select_for_update().filter(project=project, organization=organization).first()
    if bid is None:
        try:
            with transaction.atomic():
                bid = Bid.objects.create(project=project, organization=organization, price=price,
                                         proposal=_text(proposal), submitted_by=acting_user, submitted_at=now,
                                         revised_at=now)
        except IntegrityError:
            raise ProcurementRefused("本组织已对该项目投标，请在原投标上修改。") from None
    else:
        bid.price, bid.proposal, bid.revised_at = price, _text(proposal), now
        bid.revisions = F("revisions") + 1
        bid.status = Bid.Status.SUBMITTED
        bid.save(update_fields=["price", "proposal", "revised_at", "revisions", "status"])
        bid.refresh_from_db(fields=["revisions"])
    for upload in uploads:
        store(BidDocument(bid=bid), upload, uploaded_by=acting_user)
    return bid


@transaction.atomic
def withdraw_bid(bid: Bid, *, acting_user) -> Bid:
    """Take a bid back before the deadline (it can be submitted again while the window is open)."""
    _member(acting_user, bid.organization)
    project = _locked_project(bid.project)
    if not project.accepting_bids():
        raise BidClosed("投标已截止，不能撤回。")
    # Sealed like the bid itself: the withdrawal shows in the audit rows open_bids writes.
    Bid.objects.filter(pk=bid.pk).update(status=Bid.Status.WITHDRAWN, revised_at=timezone.now())
    bid.status = Bid.Status.WITHDRAWN
    return bid


@transaction.atomic
def open_bids(project: ProcurementProject, *, acting_user=None) -> ProcurementProject:
    """开标 once the window has closed: 已公告 → 投标截止; each submitted bid is judged valid or not (price within
    the budget, the organization still eligible), and with fewer valid bids than the method needs the project
    fails (流标). ``acting_user`` None is the daily command acting for the system."""
    project = _locked_project(project)
    if acting_user is not None:
        _manage(acting_user, project)
    elif project.status != P.ANNOUNCED:
        return project  # an officer opened it while the daily run was on its way
    now = timezone.now()
    if project.is_sealed(now):
        raise ProcurementRefused(f"投标截止时间 {timezone.localtime(project.bids_close_at):%Y-%m-%d %H:%M} 未到，不能开标。")
    _move_project(project, P.CLOSED, actor=acting_user, reason="投标截止，开标")
    valid = 0
    for bid in project.bids.select_related("organization").filter(status=Bid.Status.SUBMITTED):
        failed = eligibility.failures(bidder_checks(project, bid.organization))
        if bid.price > project.budget:
            reason = "报价超过采购预算"
        elif failed:
            reason = failed[0][1][:200]
        else:
            reason = ""
        Bid.objects.filter(pk=bid.pk).update(valid=not reason, invalid_reason=reason)
        valid += not reason
    for bid in project.bids.all():
        # The seal is broken: each bid's record enters the audit log under its submitter.
        audit.record("grants.bid.sealed_record", actor=bid.submitted_by, obj=project, after={
            "bid": bid.pk, "organization": bid.organization_id, "status": bid.status, "price": str(bid.price),
            "submitted_at": bid.submitted_at.isoformat(), "revised_at": bid.revised_at.isoformat(),
            "revisions": bid.revisions})
    audit.record("grants.procurement.open", actor=acting_user, obj=project, after={"valid_bids": valid})
    if valid < project.minimum_bids:
        _move_project(project, P.FAILED, actor=acting_user,
                      reason=f"{project.get_method_display()}须有不少于 {project.minimum_bids} 家有效投标，实际 {valid} 家，流标。")
        ocds.publish(project, ["tenderUpdate"])
    else:
        ocds.publish(project, ["tenderUpdate"])
    return project


def close_due_projects(now=None) -> int:
    """Open the bids of every announced project whose window has closed (``manage.py procurement_daily``)."""
    now = now or timezone.now()
    count = 0
    for project in ProcurementProject.objects.filter(status=P.ANNOUNCED, bids_close_at__lte=now):
        try:
            open_bids(project)
        except DomainError:
            logger.exception("开标失败：%s", project.number)  # one project's trouble never stops the others
            continue
        count += 1
    return count


@transaction.atomic
def cancel_project(project: ProcurementProject, *, acting_user, reason: str) -> ProcurementProject:
    project = _locked_project(project)
    _manage(acting_user, project)
    if not _text(reason):
        raise ProcurementRefused("请填写取消理由。", field="reason")
    was_public = project.status != P.PLANNED
    _move_project(project, P.CANCELLED, actor=acting_user, reason=_text(reason))
    if was_public:
        ocds.publish(project, ["tenderCancellation"])
    for bid in project.bids.select_related("organization"):
        _tell_members(bid.organization, "采购项目已取消", f"“{project.title}”已取消：{_text(reason)}",
                      WORKSPACE_BID.format(pk=project.pk, org_pk=bid.organization_id))
    return project


@transaction.atomic
def fail_project(project: ProcurementProject, *, acting_user, reason: str) -> ProcurementProject:
    """流标 declared by the officer (e.g. every bid found non-compliant in evaluation)."""
    project = _locked_project(project)
    _manage(acting_user, project)
    if not _text(reason):
        raise ProcurementRefused("请填写流标理由。", field="reason")
    _move_project(project, P.FAILED, actor=acting_user, reason=_text(reason))
    ocds.publish(project, ["tenderUpdate"])
    return project


# --- evaluation of bids -------------------------------------------------------------------------------------
@transaction.atomic
def assign_bid_reviewers(project: ProcurementProject, reviewers, *, acting_user) -> list[BidReview]:
    """Each reviewer gets every valid bid of the project (投标截止 → 评审 on the first assignment). A member of any
    bidder, and whoever runs the project, is refused (separation of duties)."""
    project = _locked_project(project)
    _manage(acting_user, project)
    if project.status not in (P.CLOSED, P.EVALUATING):
        raise ProcurementRefused("开标后、定标前才能分配评审专家。")
    bids = list(project.bids.filter(valid=True).select_related("organization"))
    created = []
    for reviewer in reviewers:
        if not (reviewer.has_role(Role.REVIEWER) or reviewer.jurisdictions):
            raise ProcurementRefused(f"{reviewer}不是评审专家，不能分配。")
        if may_manage_project(reviewer, project):
            raise ProcurementRefused(f"{reviewer}负责本采购项目，不能担任其评审专家。")
        for bid in bids:
            if bid.organization.memberships.filter(user=reviewer).exists():
                raise ProcurementRefused(f"{reviewer}是投标组织“{bid.organization}”的成员，不能评审本项目。")
        for bid in bids:
            review, new = BidReview.objects.get_or_create(bid=bid, reviewer=reviewer,
                                                          defaults={"assigned_by": acting_user})
            if new:
                created.append(review)
        if bids:
            audit.record("grants.bid_review.assign", actor=acting_user, obj=project, after={"reviewer": reviewer.pk})
            notify(reviewer, "新的投标评审任务", f"请评审“{project.title}”的 {len(bids)} 份投标。", "/grants/bid-reviews/")
    if project.status == P.CLOSED and created:
        _move_project(project, P.EVALUATING, actor=acting_user, reason="分配评审专家")
    _rank(project)
    return created


def _locked_review(review: BidReview) -> tuple[BidReview, ProcurementProject]:
    project = _locked_project(review.bid.project)
    review = BidReview.objects.select_for_update(of=("self",)).select_related("bid", "bid__organization").get(pk=review.pk)
    return review, project


@transaction.atomic
def declare_bid_conflict(review: BidReview, *, acting_user, has_conflict: bool, statement: str = "") -> BidReview:
    """The reviewer's declaration, once, before the bid opens to them; a conflict closes the review (回避)."""
    review, project = _locked_review(review)
    if review.reviewer_id != acting_user.pk:
        raise PermissionDenied("只能为分配给本人的评审作出声明。")
    if review.status != BidReview.Status.ASSIGNED:
        raise ProcurementRefused("您已作出声明，声明不能更改。")
    statement = _text(statement)
    if has_conflict and not statement:
        raise ProcurementRefused("请说明利益冲突的情况（例如：曾在投标组织任职、与其负责人有亲属关系）。", field="statement")
    _move_review(review, BidReview.Status.CONFLICTED if has_conflict else BidReview.Status.DECLARED,
                 actor=acting_user, region=project.region, reason=statement, has_conflict=has_conflict,
                 conflict_statement=statement, declared_at=timezone.now())
    if has_conflict:
        _rank(project)
    return review


@transaction.atomic
def submit_bid_review(review: BidReview, *, acting_user, scores: dict, comment: str = "") -> BidReview:
    """Technical scores per criterion (0 to its points) with rationales: ``scores`` maps a criterion id to
    (score, rationale). Final once submitted; the project's ranking is recomputed."""
    review, project = _locked_review(review)
    if review.reviewer_id != acting_user.pk:
        raise PermissionDenied("只能提交分配给本人的评审。")
    if review.status == BidReview.Status.ASSIGNED:
        raise ProcurementRefused("评分前请先声明与投标组织是否存在利益冲突。")
    if review.status != BidReview.Status.DECLARED:
        raise ProcurementRefused(f"该评审{review.get_status_display()}，不能评分。")
    if project.status != P.EVALUATING:
        raise ProcurementRefused("该项目当前不在评审阶段。")
    rows, total, errors = [], Decimal("0"), {}
    for criterion in project.criteria.all():
        raw, rationale = scores.get(criterion.pk, (None, ""))
        field = f"score_{criterion.pk}"
        try:
            value = Decimal(str(raw).strip())
        except (ArithmeticError, ValueError):
            errors[field] = f"请为“{criterion.name}”填写 0–{criterion.weight} 之间的得分。"
            continue
        if not value.is_finite() or not Decimal("0") <= value <= criterion.weight:
            errors[field] = f"“{criterion.name}”的得分须在 0–{criterion.weight} 之间，收到 {raw}。"
            continue
        if not _text(rationale):
            errors[f"rationale_{criterion.pk}"] = f"请填写“{criterion.name}”的评分理由。"
            continue
        total += value
        rows.append(BidScore(review=review, criterion=criterion, score=value, rationale=_text(rationale)[:2000]))
    if errors:
        raise ProcurementRefused("；".join(errors.values()), errors=errors)
    BidScore.objects.bulk_create(rows)
    _move_review(review, BidReview.Status.SUBMITTED, actor=acting_user, region=project.region,
                 total=total.quantize(CENT), comment=_text(comment), submitted_at=timezone.now())
    audit.record("grants.bid_review.submit", actor=acting_user, obj=project, region=project.region,
                 after={"review": review.pk, "bid": review.bid_id, "total": str(total.quantize(CENT))})
    _rank(project)
    return review


@transaction.atomic
def withdraw_bid_review(review: BidReview, *, acting_user, reason: str) -> BidReview:
    """Take back a review the reviewer has not submitted, so one silent reviewer never holds the award."""
    review, project = _locked_review(review)
    _manage(acting_user, project)
    if review.status not in (BidReview.Status.ASSIGNED, BidReview.Status.DECLARED):
        raise ProcurementRefused("只能撤回尚未提交的评审。")
    if not _text(reason):
        raise ProcurementRefused("请填写撤回理由。", field="reason")
    _move_review(review, BidReview.Status.WITHDRAWN, actor=acting_user, region=project.region, reason=_text(reason))
    _rank(project)
    return review


def price_score(lowest: Decimal, price: Decimal) -> Decimal:
    """综合评分法's price score out of 100: the lowest valid price scores full marks, others lowest / price."""
    return (Decimal(100) * lowest / price).quantize(CENT, rounding=ROUND_HALF_UP)


def _rank(project: ProcurementProject) -> None:
    """Recompute each valid bid's price score, technical score (the mean of the submitted, non-conflicted
    reviews, out of 100), weighted total and rank. The caller holds the project's lock."""
    bids = list(project.bids.filter(valid=True).prefetch_related("reviews"))
    if not bids:
        return
    lowest = min(bid.price for bid in bids)
    for bid in bids:
        totals = [r.total for r in bid.reviews.all() if r.status == BidReview.Status.SUBMITTED]
        bid.price_score = price_score(lowest, bid.price)
        bid.technical_score = (sum(totals) / len(totals)).quantize(CENT, rounding=ROUND_HALF_UP) if totals else None
        bid.total_score = None if bid.technical_score is None else (
            bid.price_score * project.price_weight / 100 + bid.technical_score * project.technical_weight / 100
        ).quantize(CENT, rounding=ROUND_HALF_UP)
    ranked = sorted(bids, key=lambda b: (b.total_score is None, -(b.total_score or 0), b.price, b.submitted_at, b.pk))
    for position, bid in enumerate(ranked, start=1):
        bid.rank = position if bid.total_score is not None else None
    Bid.objects.bulk_update(bids, ["price_score", "technical_score", "total_score", "rank"])


def ranking_problems(project: ProcurementProject) -> list[str]:
    """Why the project cannot be awarded yet: reviews outstanding, or a valid bid without any score."""
    problems = []
    outstanding = BidReview.objects.filter(bid__project=project, status__in=[BidReview.Status.ASSIGNED,
                                                                            BidReview.Status.DECLARED]).count()
    if outstanding:
        problems.append(f"尚有 {outstanding} 份评审未提交（可催办或撤回）。")
    unscored = project.bids.filter(valid=True, total_score__isnull=True).count()
    if unscored:
        problems.append(f"尚有 {unscored} 份有效投标没有评审得分。")
    return problems


def ranking(project: ProcurementProject):
    # Unranked bids last on every database (SQLite sorts NULL first, PostgreSQL last).
    return (project.bids.filter(valid=True).select_related("organization")
            .order_by(F("rank").asc(nulls_last=True), "price", "pk"))


@transaction.atomic
def award_bid(project: ProcurementProject, bid: Bid, *, acting_user, reason: str = "") -> ProcurementProject:
    """评审 → 已中标: the chosen bid wins and the award announcement goes public. Choosing other than the first
    ranked bid needs a written reason (it is published with the award)."""
    project = _locked_project(project)
    _manage(acting_user, project)
    bid = Bid.objects.select_related("organization").get(pk=bid.pk, project=project)
    if project.status != P.EVALUATING:
        raise ProcurementRefused(f"项目当前为“{project.get_status_display()}”，评审完成后才能定标。")
    problems = ranking_problems(project)
    if problems:
        raise ProcurementRefused("评审尚未完成：" + "".join(problems))
    if not bid.valid:
        raise ProcurementRefused("无效投标不能中标。")
    if bid.rank != 1 and not _text(reason):
        raise ProcurementRefused(f"该投标排名第 {bid.rank}，确定排名第一以外的中标人须说明理由。", field="reason")
    _move_project(project, P.AWARDED, actor=acting_user, reason=_text(reason), winning_bid=bid,
                  awarded_at=timezone.now())
    ocds.publish(project, ["award"])
    for other in project.bids.select_related("organization"):
        won = other.pk == bid.pk
        _tell_members(other.organization, "中标结果公告" if not won else "您已中标",
                      f"“{project.title}”中标人：{bid.organization}，中标金额 {format_yuan(bid.price)}。",
                      WORKSPACE_BID.format(pk=project.pk, org_pk=other.organization_id))
    return project


# --- contracts ----------------------------------------------------------------------------------------------
def term_days(starts_on: datetime.date, ends_on: datetime.date) -> int:
    return (ends_on - starts_on).days + 1


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, or beyond year 9999
        try:
            return day.replace(year=day.year + years, day=28)
        except ValueError:
            return datetime.date.max


def contract_problems(contract: Contract, *, deliverables=None, milestones=None) -> dict[str, str]:
    """What stops ``contract`` being signed (or an amendment being accepted), by field: each Art. 23 term, the
    term's length (Art. 24), the value against the winning bid, the deliverables and the payment schedule.
    ``deliverables`` and ``milestones`` are lists of dicts from a form not yet saved (else the rows)."""
    problems: dict[str, str] = {}
    for field, label in Contract.ARTICLE_23:
        value = getattr(contract, field)
        if value is None or (isinstance(value, str) and not value.strip()):
            problems[field] = f"财政部令第102号第二十三条：合同须载明“{label}”，该项不能为空。"
    if not contract.starts_on:
        problems["starts_on"] = "财政部令第102号第二十三条：合同须载明“服务期限”，请填写服务开始日期。"
    if contract.starts_on and contract.ends_on:
        if contract.ends_on < contract.starts_on:
            problems["ends_on"] = "服务结束日期不能早于开始日期。"
        elif not contract.continuing and contract.ends_on >= _add_years(contract.starts_on, 1):
            problems["ends_on"] = (f"财政部令第102号第二十四条：合同期限一般不超过 1 年，本合同 {term_days(contract.starts_on, contract.ends_on)} "
                                   "天；确属跨年度连续服务的，请勾选“跨年度连续服务”（最长 3 年）。")
        elif contract.continuing and contract.ends_on >= _add_years(contract.starts_on, 3):
            problems["ends_on"] = (f"财政部令第102号第二十四条：跨年度连续服务合同期限最长 3 年，本合同 "
                                   f"{term_days(contract.starts_on, contract.ends_on)} 天。")
    if contract.value is not None:
        if contract.value <= 0:
            problems["value"] = "合同价格须大于 0。"
        elif contract.value > contract.bid.price and "value" not in problems:
            problems["value"] = (f"合同价格 {format_yuan(contract.value)} 高于中标价 {format_yuan(contract.bid.price)}，"
                                 "合同不得改变中标结果的实质内容。")
    if deliverables is None:
        deliverables = [{"name": d.name, "target": d.target} for d in contract.deliverables.all()]
    if not deliverables:
        problems["deliverables"] = "请至少设置一项量化服务指标（如服务人数、服务人次、服务时长）及目标值。"
    elif any(not d.get("target") or int(d["target"]) <= 0 for d in deliverables):
        problems["deliverables"] = "每项服务指标须有大于 0 的目标值。"
    if milestones is None:
        milestones = [{"title": m.title, "amount": m.amount, "due_on": m.due_on} for m in contract.milestones.all()]
    if not milestones:
        problems["milestones"] = "请设置付款计划（至少一期）。"
    elif contract.value is not None:
        total = sum((to_yuan(m["amount"]) for m in milestones), Decimal("0"))
        if total != contract.value:
            problems["milestones"] = (f"付款计划合计 {format_yuan(total)}，与合同价格 {format_yuan(contract.value)} 不一致："
                                      "各期金额之和须等于合同价格。")
        elif contract.starts_on and contract.ends_on and any(
                m.get("due_on") and not contract.starts_on <= m["due_on"] <= _add_years(contract.ends_on, 1)
                for m in milestones):
            problems["milestones"] = "付款节点的计划日期须在服务期限内（尾款可在期满后一年内）。"
    return problems


@transaction.atomic
def draft_contract(project: ProcurementProject, *, acting_user) -> Contract:
    """The contract of an awarded project, pre-filled from the project and the winning bid (price = the winning
    price); the officer completes the Art. 23 terms, deliverables and schedule, then signs."""
    project = _locked_project(project)
    _manage(acting_user, project)
    if project.status != P.AWARDED:
        raise ProcurementRefused("项目定标后才能起草合同。")
    existing = Contract.objects.filter(project=project).first()
    if existing:
        return existing
    bid = project.winning_bid
    contract = Contract.objects.create(
        project=project, bid=bid, organization=bid.organization, region=project.region,
        number=f"HT{timezone.localdate():%Y}{next_value(f'contract-{timezone.localdate():%Y}'):05d}",
        title=f"{project.title}服务合同", service_content=project.description, value=bid.price,
        created_by=acting_user,
    )
    audit.record("grants.contract.draft", actor=acting_user, obj=contract, after={"number": contract.number})
    return contract


@transaction.atomic
def save_contract(contract: Contract, *, acting_user, fields: dict, deliverables: list[dict],
                  milestones: list[dict]) -> Contract:
    """Save a draft contract's terms, its deliverables and its payment schedule (each list replaces the rows).
    Incomplete terms are kept as typed; signing checks them."""
    project, contract = _locked_contract(contract)
    _manage(acting_user, project)
    if contract.status != Contract.Status.DRAFT:
        raise ProcurementRefused("合同已签订，只能通过合同变更修改。")
    editable = {"title", "service_content", "starts_on", "ends_on", "continuing", "quantity", "quality", "value",
                "settlement", "rights_obligations", "liability"}
    for name, value in fields.items():
        if name in editable:
            setattr(contract, name, value)
    # What the CHECK constraints would refuse with an error page is refused here by field.
    errors = {}
    if contract.starts_on and contract.ends_on and contract.ends_on < contract.starts_on:
        errors["ends_on"] = "服务结束日期不能早于开始日期。"
    if contract.value is not None and contract.value <= 0:
        errors["value"] = "合同价格须大于 0。"
    if errors:
        raise ProcurementRefused("；".join(errors.values()), errors=errors)
    contract.save()
    contract.deliverables.all().delete()
    Deliverable.objects.bulk_create([
        Deliverable(contract=contract, kind=d["kind"], name=d["name"], target=d["target"],
                    unit=d.get("unit") or Deliverable.UNITS.get(d["kind"], ""), sort_order=i)
        for i, d in enumerate(deliverables)
    ])
    contract.milestones.all().delete()
    Milestone.objects.bulk_create([
        Milestone(contract=contract, sequence=i, title=m["title"], due_on=m["due_on"], amount=to_yuan(m["amount"]),
                  final=i == len(milestones))
        for i, m in enumerate(milestones, start=1)
    ])
    audit.record("grants.contract.save", actor=acting_user, obj=contract,
                 after=audit.snapshot(contract, ["title", "value", "starts_on", "ends_on", "continuing"]))
    return contract


@transaction.atomic
def sign_contract(contract: Contract, *, acting_user, signed_on: datetime.date | None = None) -> Contract:
    """待签订 → 履行中, the project 已签约; refused, naming each rule, while any Art. 23 term is missing, the term
    is too long, or the schedule does not add up. The last milestone is the one the evaluation sets."""
    project, contract = _locked_contract(contract)
    _manage(acting_user, project)
    problems = contract_problems(contract)
    if problems:
        raise ProcurementRefused("合同不能签订：" + "；".join(problems.values()), errors=problems)
    signed_on = signed_on or timezone.localdate()
    _move_contract(contract, Contract.Status.ACTIVE, actor=acting_user, signed_on=signed_on)
    last = contract.milestones.order_by("-sequence").first()
    contract.milestones.update(final=False)
    Milestone.objects.filter(pk=last.pk).update(final=True)
    _move_project(project, P.CONTRACTED, actor=acting_user, reason=f"合同 {contract.number} 签订")
    ocds.publish(project, ["contract"])
    _tell_members(contract.organization, "合同已签订", f"“{contract.title}”已签订，请按合同履约并登记服务记录。",
                  WORKSPACE_CONTRACT.format(pk=contract.pk))
    return contract


AMENDABLE = {"service_content", "ends_on", "continuing", "quantity", "quality", "value", "settlement",
             "rights_obligations", "liability"}


def _jsonable(value):
    if isinstance(value, (datetime.date, Decimal)):
        return str(value)
    return value


@transaction.atomic
def amend_contract(contract: Contract, *, acting_user, reason: str, changes: dict,
                   milestone_amounts: dict[int, Decimal] | None = None) -> ContractAmendment:
    """A change to a signed contract with its reason, recorded term by term (before → after). The changed contract
    must still meet every rule of signing; a paid milestone's amount cannot change, and the value cannot drop
    below what has been paid."""
    project, contract = _locked_contract(contract)
    _manage(acting_user, project)
    if contract.status != Contract.Status.ACTIVE:
        raise ProcurementRefused("只有履行中的合同可以变更。")
    if not _text(reason):
        raise ProcurementRefused("请填写变更理由。", field="reason")
    record: dict[str, dict] = {}
    for name, value in changes.items():
        if name not in AMENDABLE:
            raise ProcurementRefused(f"“{name}”不能通过合同变更修改。")
        before = getattr(contract, name)
        if before != value:
            record[name] = {"before": _jsonable(before), "after": _jsonable(value)}
            setattr(contract, name, value)
    milestones = list(contract.milestones.all())
    schedule = []
    for milestone in milestones:
        amount = milestone.amount
        if milestone_amounts and milestone.pk in milestone_amounts:
            new = to_yuan(milestone_amounts[milestone.pk])
            if new != amount:
                if milestone.status == Milestone.Status.PAID:
                    raise ProcurementRefused(f"第 {milestone.sequence} 期已支付，金额不能变更。", field="milestones")
                record[f"milestone_{milestone.sequence}"] = {"before": str(amount), "after": str(new)}
                milestone.amount = amount = new
        schedule.append({"title": milestone.title, "amount": amount, "due_on": milestone.due_on})
    if not record:
        raise ProcurementRefused("没有需要变更的内容。")
    if contract.value is not None and contract.value < contract.paid_total:
        raise ProcurementRefused(f"变更后的合同价格不能低于已支付金额 {format_yuan(contract.paid_total)}。", field="value")
    problems = contract_problems(contract, milestones=schedule)
    if problems:
        raise ProcurementRefused("变更后的合同不符合要求：" + "；".join(problems.values()), errors=problems)
    contract.save()
    Milestone.objects.bulk_update(milestones, ["amount"])
    amendment = ContractAmendment.objects.create(
        contract=contract, sequence=contract.amendments.count() + 1, reason=_text(reason), changes=record,
        amended_by=acting_user,
    )
    audit.record("grants.contract.amend", actor=acting_user, obj=contract, reason=_text(reason), after=record)
    ocds.publish(project, ["contractAmendment"])
    return amendment


@transaction.atomic
def terminate_contract(contract: Contract, *, acting_user, reason: str) -> Contract:
    project, contract = _locked_contract(contract)
    _manage(acting_user, project)
    if not _text(reason):
        raise ProcurementRefused("请填写终止理由（如违约情形及依据的合同条款）。", field="reason")
    _move_contract(contract, Contract.Status.TERMINATED, actor=acting_user, reason=_text(reason))
    ocds.publish(project, ["contractTermination"])
    _tell_members(contract.organization, "合同已终止", f"“{contract.title}”已终止：{_text(reason)}",
                  WORKSPACE_CONTRACT.format(pk=contract.pk))
    return contract


# --- delivery -----------------------------------------------------------------------------------------------
@transaction.atomic
def log_delivery(deliverable: Deliverable, *, acting_user, quantity: int, delivered_on: datetime.date,
                 description: str, upload) -> DeliveryLog:
    """The organization records what it delivered against a target, with evidence. A negative quantity corrects
    an earlier entry (the total never goes below zero); the 服务人数 targets make the contract's people reached."""
    contract = deliverable.contract
    _member(acting_user, contract.organization)
    project, contract = _locked_contract(contract)
    deliverable = Deliverable.objects.select_for_update().get(pk=deliverable.pk, contract=contract)
    errors = {}
    if contract.status != Contract.Status.ACTIVE:
        raise ProcurementRefused("只有履行中的合同可以登记服务记录。")
    if not quantity:
        errors["quantity"] = "完成数量不能为 0（更正以前的记录请填负数）。"
    elif deliverable.delivered + quantity < 0:
        errors["quantity"] = f"更正后累计不能小于 0（目前累计 {deliverable.delivered}{deliverable.unit}）。"
    elif abs(quantity) > 1_000_000:
        errors["quantity"] = "单次登记数量不能超过 1,000,000。"
    if delivered_on > timezone.localdate():
        errors["delivered_on"] = "服务日期不能晚于今天。"
    elif delivered_on < contract.starts_on or delivered_on > contract.ends_on:
        errors["delivered_on"] = f"服务日期须在合同期限 {contract.starts_on} 至 {contract.ends_on} 之内。"
    if not _text(description):
        errors["description"] = "请填写服务记录（内容、地点、对象）。"
    if upload is None:
        errors["evidence"] = "请上传佐证材料（签到表、照片等）。"
    if errors:
        raise ProcurementRefused("；".join(errors.values()), errors=errors)
    log = store(DeliveryLog(deliverable=deliverable, quantity=quantity, delivered_on=delivered_on,
                            description=_text(description)), upload, uploaded_by=acting_user)
    Deliverable.objects.filter(pk=deliverable.pk).update(delivered=F("delivered") + quantity)
    audit.record("grants.contract.delivery", actor=acting_user, obj=contract,
                 after={"deliverable": deliverable.pk, "quantity": quantity, "sha256": log.sha256})
    return log


@transaction.atomic
def record_matching_fund(contract: Contract, *, acting_user, source: str, funder: str, amount,
                         received_on: datetime.date) -> MatchingFund:
    """Social money raised for the service, recorded by the provider or the purchaser's officer."""
    project, contract = _locked_contract(contract)
    if not (may_act_for(acting_user, contract.organization) or may_manage_project(acting_user, project)):
        raise PermissionDenied("只能为本组织或本辖区的合同登记。")
    if contract.status == Contract.Status.DRAFT:
        raise ProcurementRefused("合同签订后才能登记撬动的社会资金。")
    errors = {}
    try:
        amount = to_yuan(amount)
    except (ArithmeticError, TypeError, ValueError):
        amount = None
    if amount is None or amount <= 0:
        errors["amount"] = "请填写大于 0 的金额（元）。"
    if not _text(funder):
        errors["funder"] = "请填写出资方。"
    if received_on > timezone.localdate():
        errors["received_on"] = "到位日期不能晚于今天。"
    if errors:
        raise ProcurementRefused("；".join(errors.values()), errors=errors)
    fund = MatchingFund.objects.create(contract=contract, source=source, funder=_text(funder)[:100], amount=amount,
                                       received_on=received_on, recorded_by=acting_user)
    audit.record("grants.contract.matching", actor=acting_user, obj=contract,
                 after={"fund": fund.pk, "amount": str(amount), "funder": fund.funder})
    return fund


def _locked_milestone(milestone: Milestone) -> tuple[ProcurementProject, Contract, Milestone]:
    project, contract = _locked_contract(milestone.contract)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk, contract=contract)
    milestone.contract = contract
    return project, contract, milestone


@transaction.atomic
def submit_milestone(milestone: Milestone, *, acting_user, report: str) -> Milestone:
    """The organization reports a milestone delivered (待交付 → 待确认) with what it delivered."""
    _member(acting_user, milestone.contract.organization)
    project, contract, milestone = _locked_milestone(milestone)
    if contract.status != Contract.Status.ACTIVE:
        raise ProcurementRefused("只有履行中的合同可以提交交付。")
    if not _text(report):
        raise ProcurementRefused("请填写交付说明。", field="report")
    _move_milestone(milestone, Milestone.Status.SUBMITTED, actor=acting_user, region=contract.region,
                    report=_text(report))
    return milestone


@transaction.atomic
def confirm_milestone(milestone: Milestone, *, acting_user, reason: str = "") -> Milestone:
    """The purchaser confirms a milestone delivered (→ 已确认). The final milestone waits for the evaluation."""
    project, contract, milestone = _locked_milestone(milestone)
    _manage(acting_user, project)
    if contract.status != Contract.Status.ACTIVE:
        raise ProcurementRefused("只有履行中的合同可以确认交付。")
    if milestone.final and not _evaluation_finished(contract):
        raise ProcurementRefused("尾款节点须在绩效评价完成后确认：评价等级决定尾款支付比例。")
    if milestone.final and contract.milestones.filter(sequence__lt=milestone.sequence).exclude(
            status=Milestone.Status.PAID).exists():
        raise ProcurementRefused("尾款节点须在此前各期均已支付后确认：尾款支付后合同即履行完毕。")
    _move_milestone(milestone, Milestone.Status.CONFIRMED, actor=acting_user, region=contract.region,
                    reason=_text(reason), confirmed_by=acting_user, confirmed_at=timezone.now())
    ocds.publish(project, ["implementation"])
    return milestone


@transaction.atomic
def return_milestone(milestone: Milestone, *, acting_user, reason: str) -> Milestone:
    project, contract, milestone = _locked_milestone(milestone)
    _manage(acting_user, project)
    if not _text(reason):
        raise ProcurementRefused("请填写退回理由。", field="reason")
    _move_milestone(milestone, Milestone.Status.PENDING, actor=acting_user, region=contract.region,
                    reason=_text(reason))
    _tell_members(contract.organization, "交付被退回", f"“{milestone}”被退回：{_text(reason)}",
                  WORKSPACE_CONTRACT.format(pk=contract.pk))
    return milestone


def _evaluation_finished(contract: Contract) -> PerformanceEvaluation | None:
    return PerformanceEvaluation.objects.filter(contract=contract, status=PerformanceEvaluation.Status.FINISHED).first()


def payable(milestone: Milestone) -> Decimal:
    """What a confirmed milestone releases: its amount, or for the final milestone the share its evaluation's
    grade allows (PerformanceEvaluation.PAYMENT_PERCENT)."""
    if not milestone.final:
        return milestone.amount
    evaluation = _evaluation_finished(milestone.contract)
    if evaluation is None:
        return Decimal("0")
    percent = PerformanceEvaluation.PAYMENT_PERCENT[evaluation.grade]
    return (milestone.amount * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)


@transaction.atomic
def pay_milestone(milestone: Milestone, *, acting_user, paid_on: datetime.date, voucher: str = "",
                  amount=None) -> ContractPayment:
    """Record the payment of a confirmed milestone (已确认 → 已支付). ``amount`` defaults to what the milestone
    releases; it may be less, never more, and the contract's payments never exceed its value — the contract row
    is locked here and a CHECK backs it. After the final milestone the contract is 已完成."""
    project, contract, milestone = _locked_milestone(milestone)
    _manage(acting_user, project)
    # A terminated contract still pays what was delivered and confirmed before the termination.
    if contract.status not in (Contract.Status.ACTIVE, Contract.Status.TERMINATED):
        raise ProcurementRefused(f"合同{contract.get_status_display()}，不能再登记支付。")
    if milestone.status != Milestone.Status.CONFIRMED:
        raise ProcurementRefused(f"第 {milestone.sequence} 期当前为“{milestone.get_status_display()}”，确认交付后才能支付。")
    allowed = payable(milestone)
    try:
        amount = allowed if amount in (None, "") else to_yuan(amount)
    except (ArithmeticError, TypeError, ValueError):
        raise ProcurementRefused("请填写正确的支付金额。", field="amount") from None
    if amount < 0 or (amount == 0 and allowed > 0):
        raise ProcurementRefused("支付金额须大于 0（尾款按绩效评价等级不予支付的除外）。", field="amount")
    if contract.paid_total + amount > contract.value:
        raise ProcurementRefused(
            f"支付后累计 {format_yuan(contract.paid_total + amount)} 将超过合同价格 {format_yuan(contract.value)}："
            "合同支付不得超过合同价格。", field="amount")
    if amount > allowed:
        raise ProcurementRefused(f"本期最多支付 {format_yuan(allowed)}" + (
            "（尾款按绩效评价等级支付）。" if milestone.final else "。"), field="amount")
    if paid_on > timezone.localdate():
        raise ProcurementRefused("支付日期不能晚于今天。", field="paid_on")
    payment = ContractPayment.objects.create(contract=contract, milestone=milestone, amount=amount, paid_on=paid_on,
                                             voucher=_text(voucher)[:40], recorded_by=acting_user)
    Contract.objects.filter(pk=contract.pk).update(paid_total=F("paid_total") + amount)
    contract.paid_total += amount
    _move_milestone(milestone, Milestone.Status.PAID, actor=acting_user, region=contract.region,
                    reason=f"支付 {format_yuan(amount)}")
    audit.record("grants.contract.payment", actor=acting_user, obj=contract,
                 after={"milestone": milestone.sequence, "amount": str(amount), "paid_total": str(contract.paid_total)})
    if milestone.final and contract.status == Contract.Status.ACTIVE:
        _move_contract(contract, Contract.Status.COMPLETED, actor=acting_user, reason="尾款支付，合同履行完毕")
    ocds.publish(project, ["implementation"])
    return payment


# --- performance evaluation ---------------------------------------------------------------------------------
DEFAULT_INDICATORS = [
    ("decision", "项目立项与目标设定", 10),
    ("process", "资金管理与使用", 10),
    ("process", "组织实施与制度执行", 10),
    ("output", "服务数量完成情况", 20),
    ("output", "服务质量与时效", 10),
    ("effect", "社会效益与可持续影响", 20),
    ("satisfaction", "服务对象满意度", 20),
]


def indicator_problems(indicators: list[tuple[str, str, int]]) -> dict[str, str]:
    weights_problem = rubric.total_problem([weight for _d, _n, weight in indicators], empty="请设置绩效指标。",
                                           label="绩效指标分值")
    if weights_problem:
        return {"indicators": weights_problem}
    dimensions = {d for d, _n, _w in indicators}
    missing = [label for value, label in Indicator.Dimension.choices if value not in dimensions]
    if missing:
        return {"indicators": "绩效指标须涵盖决策、过程、产出、效益和满意度，缺少：" + "、".join(missing) + "。"}
    return {}


@transaction.atomic
def start_evaluation(contract: Contract, *, acting_user, indicators: list[tuple[str, str, int]] | None = None,
                     third_party: str = "", survey_days: int = 14) -> PerformanceEvaluation:
    """Open the performance evaluation of an active contract with its indicator set (weights total 100, every
    dimension present) and a satisfaction survey reached by link or QR poster."""
    project, contract = _locked_contract(contract)
    _manage(acting_user, project)
    if contract.status != Contract.Status.ACTIVE:
        raise ProcurementRefused("只有履行中的合同可以开展绩效评价。")
    if PerformanceEvaluation.objects.filter(contract=contract).exists():
        raise ProcurementRefused("该合同已开展绩效评价。")
    indicators = indicators or DEFAULT_INDICATORS
    problems = indicator_problems(indicators)
    if problems:
        raise ProcurementRefused(problems["indicators"], errors=problems)
    evaluation = PerformanceEvaluation.objects.create(
        contract=contract, third_party=_text(third_party)[:100], survey_token=secrets.token_urlsafe(16)[:22],
        survey_closes_at=timezone.now() + datetime.timedelta(days=survey_days), started_by=acting_user,
    )
    Indicator.objects.bulk_create([Indicator(evaluation=evaluation, dimension=d, name=n, weight=w, sort_order=i)
                                   for i, (d, n, w) in enumerate(indicators)])
    audit.record("grants.evaluation.start", actor=acting_user, obj=contract,
                 after={"evaluation": evaluation.pk, "third_party": evaluation.third_party})
    return evaluation


def _locked_evaluation(evaluation: PerformanceEvaluation):
    project, contract = _locked_contract(evaluation.contract)
    evaluation = PerformanceEvaluation.objects.select_for_update().get(pk=evaluation.pk)
    evaluation.contract = contract
    return project, contract, evaluation


@transaction.atomic
def score_indicators(evaluation: PerformanceEvaluation, *, acting_user, assessor: str,
                     scores: dict) -> list[IndicatorScore]:
    """Scores of the purchaser or of the third party (entered by the officer from its report) on every indicator
    but satisfaction: ``scores`` maps an indicator id to (score, note); a second entry replaces the first. When
    the survey has closed without a single answer, the satisfaction indicators are scored this way too (from the
    purchaser's follow-up calls), so that an evaluation can always finish."""
    project, contract, evaluation = _locked_evaluation(evaluation)
    _manage(acting_user, project)
    if evaluation.status != PerformanceEvaluation.Status.OPEN:
        raise ProcurementRefused("绩效评价已完成，不能修改评分。")
    if assessor == IndicatorScore.Assessor.THIRD_PARTY and not evaluation.third_party:
        raise ProcurementRefused("本次评价未委托第三方机构。")
    errors, saved = {}, []
    indicators = evaluation.indicators.all()
    if evaluation.survey_open() or evaluation.survey_responses.exists():
        indicators = indicators.exclude(dimension=Indicator.Dimension.SATISFACTION)
    for indicator in indicators:
        raw, note = scores.get(indicator.pk, (None, ""))
        try:
            value = Decimal(str(raw).strip())
            ok = value.is_finite() and Decimal("0") <= value <= indicator.weight
        except (ArithmeticError, ValueError):
            ok = False
        if not ok:
            errors[f"score_{indicator.pk}"] = f"“{indicator.name}”的得分须在 0–{indicator.weight} 之间。"
            continue
        row, _new = IndicatorScore.objects.update_or_create(
            indicator=indicator, assessor=assessor,
            defaults={"score": value, "note": _text(note)[:300], "scored_by": acting_user, "scored_at": timezone.now()})
        saved.append(row)
    if errors:
        raise ProcurementRefused("；".join(errors.values()), errors=errors)
    audit.record("grants.evaluation.score", actor=acting_user, obj=contract,
                 after={"assessor": assessor, "scores": {str(r.indicator_id): str(r.score) for r in saved}})
    return saved


def _phone_digest(phone: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"survey:{phone}".encode(), hashlib.sha256).hexdigest()


def send_survey_code(evaluation: PerformanceEvaluation, phone: str, *, client_address: str = "") -> None:
    """Text a 6-digit code to the phone that will answer (one code a minute per number, ten an hour per address)."""
    phone = normalize_phone(phone or "")
    if not is_mobile(phone):
        raise ProcurementRefused("请填写正确的 11 位手机号码。", field="phone")
    if not evaluation.survey_open():
        raise ProcurementRefused("满意度调查已结束。")
    digest = _phone_digest(phone)
    if SatisfactionResponse.objects.filter(evaluation=evaluation, phone_digest=digest).exists():
        raise ProcurementRefused("该手机号码已参与本次调查，每个号码只能作答一次。", field="phone")
    ratelimit.check("survey.phone", digest, limit=1, window=60, message="验证码已发送，请 1 分钟后再试。")
    ratelimit.check("survey.address", client_address or "-", limit=10, window=3600)
    code = f"{secrets.randbelow(1_000_000):06d}"
    SurveyCode.objects.create(evaluation=evaluation, phone_digest=digest, code_digest=_phone_digest(code))
    sms.send(phone, f"【筑城公益汇】您的满意度调查验证码为 {code}，10 分钟内有效。")


def answer_survey(evaluation: PerformanceEvaluation, *, phone: str, code: str, rating: int,
                  comment: str = "") -> SatisfactionResponse:
    """One answer per phone number, proven by the texted code; the unique constraint backs the rule.

    Not one transaction on purpose: a wrong code's attempt is counted and committed before the refusal is raised
    (inside an atomic block the refusal would roll the count back and the five-attempt limit would never bite);
    the answer itself is written in its own transaction."""
    phone = normalize_phone(phone or "")
    errors = {}
    if not is_mobile(phone):
        errors["phone"] = "请填写正确的 11 位手机号码。"
    if rating not in (1, 2, 3, 4, 5):
        errors["rating"] = "请选择满意程度。"
    if errors:
        raise ProcurementRefused("；".join(errors.values()), errors=errors)
    digest = _phone_digest(phone)
    with transaction.atomic():
        entry = (SurveyCode.objects.select_for_update().filter(
            evaluation=evaluation, phone_digest=digest, used=False,
            sent_at__gte=timezone.now() - datetime.timedelta(minutes=10)).order_by("-sent_at").first())
        if entry is None or entry.attempts >= 5:
            raise ProcurementRefused("验证码已失效，请重新获取。", field="code")
        matches = hmac.compare_digest(entry.code_digest, _phone_digest((code or "").strip()))
        if not matches:
            SurveyCode.objects.filter(pk=entry.pk).update(attempts=F("attempts") + 1)
    if not matches:
        raise ProcurementRefused("验证码不正确。", field="code")
    with transaction.atomic():
        # The evaluation row is locked so that an answer never lands after finish_evaluation computed the rate.
        evaluation = PerformanceEvaluation.objects.select_for_update().get(pk=evaluation.pk)
        if not evaluation.survey_open():
            raise ProcurementRefused("满意度调查已结束。")
        used = SurveyCode.objects.filter(pk=entry.pk, used=False).update(used=True)
        if not used:
            raise ProcurementRefused("验证码已使用，请重新获取。", field="code")
        try:
            with transaction.atomic():
                response = SatisfactionResponse.objects.create(evaluation=evaluation, phone_digest=digest,
                                                               rating=rating, comment=_text(comment)[:300])
        except IntegrityError:
            raise ProcurementRefused("该手机号码已参与本次调查，每个号码只能作答一次。", field="phone") from None
    return response


def satisfaction_rate(evaluation: PerformanceEvaluation) -> Decimal | None:
    """满意率: the share of answers rating 4 (满意) or 5 (非常满意), out of 100."""
    ratings = list(evaluation.survey_responses.values_list("rating", flat=True))
    if not ratings:
        return None
    return (Decimal(100) * sum(1 for r in ratings if r >= 4) / len(ratings)).quantize(CENT)


def evaluation_score(evaluation: PerformanceEvaluation, rate: Decimal | None) -> tuple[Decimal, list[str]]:
    """(final score, what is missing). Each indicator: the mean of the purchaser's and the third party's scores
    (the purchaser's alone without a third party); satisfaction indicators: their points times the 满意率."""
    missing, total = [], Decimal("0")
    for indicator in evaluation.indicators.prefetch_related("scores"):
        scores = {s.assessor: s.score for s in indicator.scores.all()}
        if indicator.dimension == Indicator.Dimension.SATISFACTION:
            if rate is not None:
                total += Decimal(indicator.weight) * rate / 100
                continue
            if evaluation.survey_open() or IndicatorScore.Assessor.PURCHASER not in scores:
                missing.append("满意度调查尚无答卷（调查截止后仍无答卷的，由购买主体按回访情况评分）")
                continue
        if IndicatorScore.Assessor.PURCHASER not in scores:
            missing.append(f"购买主体未对“{indicator.name}”评分")
            continue
        if evaluation.third_party and IndicatorScore.Assessor.THIRD_PARTY not in scores:
            missing.append(f"第三方未对“{indicator.name}”评分")
            continue
        total += sum(scores.values()) / len(scores)
    return total.quantize(CENT), missing


@transaction.atomic
def finish_evaluation(evaluation: PerformanceEvaluation, *, acting_user) -> PerformanceEvaluation:
    """Compute the final score and grade (评价中 → 已完成). The grade sets the final milestone's payment and
    becomes the provider's latest performance grade for later projects' eligibility; an OCDS milestone of type
    assessment records it."""
    project, contract, evaluation = _locked_evaluation(evaluation)
    _manage(acting_user, project)
    if evaluation.status != PerformanceEvaluation.Status.OPEN:
        raise ProcurementRefused("绩效评价已完成。")
    rate = satisfaction_rate(evaluation)
    score, missing = evaluation_score(evaluation, rate)
    if missing:
        raise ProcurementRefused("评分尚不完整：" + "；".join(missing) + "。")
    grade = PerformanceEvaluation.grade_for(score)
    move(evaluation, PerformanceEvaluation.Status.FINISHED, transitions=PerformanceEvaluation.TRANSITIONS,
         history=EvaluationStatusChange, history_fk="evaluation", actor=acting_user, action_prefix="grants.evaluation",
         region=contract.region, reason=f"综合得分 {score}，等级 {PerformanceEvaluation.Grade(grade).label}",
         extra_fields={"satisfaction": rate, "final_score": score, "grade": grade, "finished_at": timezone.now()})
    audit.record("grants.evaluation.result", actor=acting_user, obj=contract,
                 after={"score": str(score), "grade": grade, "satisfaction": str(rate),
                        "final_payment_percent": PerformanceEvaluation.PAYMENT_PERCENT[grade]})
    ocds.publish(project, ["implementation"])
    _tell_members(contract.organization, "绩效评价结果",
                  f"“{contract.title}”绩效评价得分 {score}，等级“{evaluation.get_grade_display()}”，尾款按 "
                  f"{PerformanceEvaluation.PAYMENT_PERCENT[grade]}% 支付。", WORKSPACE_CONTRACT.format(pk=contract.pk))
    return evaluation
