"""Every change to funding calls, grant applications, reviews, awards, payments and reports (DESIGN.md §3, §4.2).

Each function is atomic, checks who acts, moves workflows through core.workflow.move, writes the audit row and
raises a domain error with a Chinese message that names the rule. Money rules hold under concurrency: an award
locks its call's row and a payment its award's row, and CHECK constraints back both."""

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from core import audit
from core.files import store
from core.models import Role
from core.money import format_yuan, to_yuan
from core.notify import notify
from core.sequences import next_value
from core.workflow import move
from orgs.models import Organization

from . import eligibility, rubric
from .exceptions import (
    ApplicationIncomplete,
    BudgetExceeded,
    CallInvalid,
    GrantsError,
    NotEligible,
    PaymentRefused,
    PermissionDenied,
    ReportRefused,
    ReviewRefused,
)
from .models import (
    ApplicationDocument,
    ApplicationStatusChange,
    Award,
    BudgetLine,
    CallStatusChange,
    ConflictDeclaration,
    Disbursement,
    FundingCall,
    GrantApplication,
    GrantReport,
    ReportDocument,
    ReportStatusChange,
    Review,
    ReviewScore,
    ReviewStatusChange,
    Tranche,
    TrancheStatusChange,
)
from .permissions import may_act_for, may_manage_call

Status = GrantApplication.Status
WORKSPACE = "/grants/workspace/applications/{pk}/"


# --- calls --------------------------------------------------------------------------------------------------
def call_problems(call: FundingCall, criteria=None) -> dict[str, str]:
    """What stops ``call`` being published, by form field: the rubric weights must total 100, the tranche
    percentages too, the cap must fit the budget. ``criteria`` are (weight, name) pairs from a form not yet saved."""
    problems: dict[str, str] = {}
    if criteria is None:
        criteria = [(c.weight, c.name) for c in call.criteria.all()]
    rubric_problem = rubric.total_problem([weight for weight, _name in criteria],
                                          empty="评分细则不能为空：请至少设置一个评分项。", label="评分细则的权重")
    if rubric_problem:
        problems["criteria"] = rubric_problem
    percents = (call.tranche_agreement_percent or 0) + (call.tranche_midterm_percent or 0) + (call.tranche_final_percent or 0)
    if percents != 100:
        problems["tranche_final_percent"] = f"三期拨付比例合计须为 100%，目前合计 {percents}%。"
    if not call.tranche_agreement_percent:
        # The first payment is what starts the project (协议签订 → 执行中); without it nothing could follow.
        problems["tranche_agreement_percent"] = "协议签订后拨付比例须大于 0：项目在首期资金拨付后进入执行。"
    if call.max_amount is not None and call.budget is not None and call.max_amount > call.budget:
        problems["max_amount"] = f"单项资助上限不能超过资金总额 {format_yuan(call.budget)}。"
    if call.opens_at and call.closes_at and call.closes_at <= call.opens_at:
        problems["closes_at"] = "申报截止时间须晚于开始时间。"
    if call.band_b is not None and call.band_a is not None and not 0 < call.band_b < call.band_a <= 100:
        problems["band_a"] = "评定档次须满足 0 < B 档最低分 < A 档最低分 ≤ 100。"
    return problems


def _locked_call(call: FundingCall) -> FundingCall:
    # The call's row is the lock every award takes first (PostgreSQL row lock; on SQLite the IMMEDIATE
    # transaction already holds the one write lock), so two awards never both see the same remaining budget.
    return FundingCall.objects.select_for_update().select_related("region").get(pk=call.pk)


def _move_call(call, to, *, actor, reason=""):
    return move(call, to, transitions=FundingCall.TRANSITIONS, history=CallStatusChange, history_fk="call",
                actor=actor, reason=reason, action_prefix="grants.call")


@transaction.atomic
def call_created(call: FundingCall, *, acting_user) -> FundingCall:
    """The admin's create view saved a draft call; check the officer's jurisdiction and record who did it."""
    if not may_manage_call(acting_user, call):
        raise PermissionDenied("只能在本人辖区内发布资助计划。")
    call.created_by = acting_user
    call.save(update_fields=["created_by"])
    audit.record("grants.call.create", actor=acting_user, obj=call, region=call.region,
                 after={"title": call.title, "budget": str(call.budget), "kind": call.kind})
    return call


@transaction.atomic
def publish_call(call: FundingCall, *, acting_user) -> FundingCall:
    call = _locked_call(call)
    if not may_manage_call(acting_user, call):
        raise PermissionDenied("只能管理本辖区的资助计划。")
    problems = call_problems(call)
    if problems:
        raise CallInvalid("资助计划尚不能发布：" + "；".join(problems.values()), problems)
    return _move_call(call, FundingCall.Status.PUBLISHED, actor=acting_user)


@transaction.atomic
def finish_call(call: FundingCall, *, acting_user, reason: str = "") -> FundingCall:
    """End a call after its awards: applications still under review or scored become 未获资助."""
    call = _locked_call(call)
    if not may_manage_call(acting_user, call):
        raise PermissionDenied("只能管理本辖区的资助计划。")
    if call.is_open():
        raise GrantsError("申报尚未截止，不能结束该计划。")
    undecided = GrantApplication.objects.filter(
        call=call, status__in=[Status.SUBMITTED, Status.SCREENING, Status.REVIEWING, Status.SCORED]
    )
    for application in undecided.select_for_update():
        _move(application, Status.DECLINED, actor=acting_user, reason="资助计划已结束，未获资助。")
        _tell(application, "资助申报结果", f"您的申报“{application.project_title}”未获资助。")
    return _move_call(call, FundingCall.Status.FINISHED, actor=acting_user, reason=reason)


# --- applications -------------------------------------------------------------------------------------------
def _move(application, to, *, actor, reason="", **extra):
    return move(application, to, transitions=GrantApplication.TRANSITIONS, history=ApplicationStatusChange,
                history_fk="application", actor=actor, reason=reason, action_prefix="grants.application",
                extra_fields=extra)


def _locked(application: GrantApplication) -> GrantApplication:
    # Row lock on PostgreSQL; on SQLite the IMMEDIATE transaction already holds the one write lock.
    return (GrantApplication.objects.select_for_update(of=("self",))
            .select_related("call", "call__region", "organization", "region").get(pk=application.pk))


def _tell(application, title: str, body: str):
    link = WORKSPACE.format(pk=application.pk)
    for membership in application.organization.memberships.select_related("user"):
        notify(membership.user, title, body, link)


def _member(user, application):
    if not may_act_for(user, application.organization):
        raise PermissionDenied("只有申报组织的成员可以办理。")


def _manager(user, application):
    if not may_manage_call(user, application.call):
        raise PermissionDenied("只能办理本辖区资助计划的申报。")


def refuse_if_ineligible(call, organization, *, application=None) -> list[eligibility.Check]:
    checks = eligibility.evaluate(call, organization, application=application)
    failed = eligibility.failures(checks)
    if failed:
        raise NotEligible("不符合本计划的申报条件：" + "；".join(message for _rule, message in failed), failed)
    return checks


@transaction.atomic
def start_application(call: FundingCall, organization: Organization, *, acting_user, project_title: str = "",
                      summary: str = "", requested_amount=None) -> GrantApplication:
    """A draft for ``organization``; refused at once when the organization cannot apply, with every reason."""
    if not may_act_for(acting_user, organization):
        raise PermissionDenied("只能为本人所属的组织申报。")
    if not call.is_open():
        raise GrantsError("该资助计划当前不在申报期内。")
    refuse_if_ineligible(call, organization)
    try:
        with transaction.atomic():  # savepoint: the unique constraint decides between two simultaneous starts
            application = GrantApplication.objects.create(
                call=call, organization=organization, region=organization.region, applicant=acting_user,
                number=f"{call.year}ZZ{next_value(f'grant-application-{call.year}'):05d}",
                project_title=project_title or f"{organization.name}{call.get_kind_display()}项目",
                summary=summary, requested_amount=to_yuan(requested_amount or call.max_amount or call.budget),
            )
    except IntegrityError:
        raise NotEligible("每个组织在同一资助计划中只能申报一次。", [("once", "每个组织在同一资助计划中只能申报一次。")]) from None
    audit.record("grants.application.create", actor=acting_user, obj=application,
                 after={"call": call.pk, "organization": organization.pk})
    return application


APPLICATION_FIELDS = ["project_title", "summary", "requested_amount", "beneficiaries_target", "activities_target",
                      "other_targets", "starts_on", "ends_on", "contact_name", "contact_phone"]


@transaction.atomic
def save_application(application: GrantApplication, *, acting_user, data: dict,
                     budget_lines: list[dict] | None = None) -> GrantApplication:
    """Save a draft's particulars and, when given, replace its budget lines (item, amount, note)."""
    application = _locked(application)
    _member(acting_user, application)
    if not application.is_editable:
        raise GrantsError("申报已提交，不能再修改。")
    before = {field: str(getattr(application, field)) for field in APPLICATION_FIELDS}
    for field in APPLICATION_FIELDS:
        if field in data:
            setattr(application, field, data[field])
    application.requested_amount = to_yuan(application.requested_amount)
    application.save()
    if budget_lines is not None:
        application.budget_lines.all().delete()
        BudgetLine.objects.bulk_create([
            BudgetLine(application=application, item=line["item"], amount=to_yuan(line["amount"]),
                       note=line.get("note", ""), sort_order=index)
            for index, line in enumerate(budget_lines)
        ])
    audit.record("grants.application.save", actor=acting_user, obj=application, before=before,
                 after={field: str(getattr(application, field)) for field in APPLICATION_FIELDS})
    return application


@transaction.atomic
def attach_document(application: GrantApplication, requirement, upload, *, acting_user) -> ApplicationDocument:
    application = _locked(application)
    _member(acting_user, application)
    if not application.is_editable:
        raise GrantsError("申报已提交，不能再上传材料。")
    if requirement.call_id != application.call_id:
        raise GrantsError("该材料不在本计划的材料清单中。")
    document = store(ApplicationDocument(application=application, requirement=requirement), upload,
                     uploaded_by=acting_user)
    audit.record("grants.application.document", actor=acting_user, obj=application,
                 after={"requirement": requirement.name, "name": document.original_name, "sha256": document.sha256})
    return document


def submission_problems(application: GrantApplication) -> dict[str, str]:
    """What stops a draft being submitted, by form field: the budget lines must add up to the request, the
    request must fit the call's cap, the targets and the required documents must be there."""
    problems: dict[str, str] = {}
    call = application.call
    if not (application.summary or "").strip():
        problems["summary"] = "请填写项目概述。"
    requested = to_yuan(application.requested_amount)
    if call.max_amount is not None and requested > call.max_amount:
        problems["requested_amount"] = f"申请金额 {format_yuan(requested)} 超过本计划单项资助上限 {format_yuan(call.max_amount)}。"
    lines_total = to_yuan(application.budget_lines.aggregate(total=Sum("amount"))["total"])
    if lines_total != requested:
        problems["budget_lines"] = (f"预算明细合计 {format_yuan(lines_total)}，与申请金额 {format_yuan(requested)} 不一致："
                                    "各项预算之和须等于申请金额。")
    if not application.beneficiaries_target and not application.activities_target:
        problems["beneficiaries_target"] = "请填写项目目标：计划服务人数或活动场次。"
    if application.starts_on and application.ends_on and application.ends_on <= application.starts_on:
        problems["ends_on"] = "项目结束日期须晚于开始日期。"
    present = set(application.documents.values_list("requirement_id", flat=True))
    missing = [doc.name for doc in call.required_documents.all() if doc.required and doc.pk not in present]
    if missing:
        problems["documents"] = "还缺少以下材料：" + "、".join(missing) + "。"
    return problems


@transaction.atomic
def submit_application(application: GrantApplication, *, acting_user) -> GrantApplication:
    """草稿 → 已提交. The window is checked on the server at this moment, the eligibility rules are evaluated and
    kept on the application, and every gap is named."""
    application = _locked(application)
    _member(acting_user, application)
    call = application.call
    if not call.is_open():
        raise GrantsError(f"申报已于 {timezone.localtime(call.closes_at):%Y-%m-%d %H:%M} 截止，不能再提交。"
                          if timezone.now() >= call.closes_at else "该资助计划当前不在申报期内。")
    checks = refuse_if_ineligible(call, application.organization, application=application)
    problems = submission_problems(application)
    if problems:
        raise ApplicationIncomplete("申报尚不能提交，请按提示补充。", problems)
    application = _move(application, Status.SUBMITTED, actor=acting_user, submitted_at=timezone.now(),
                        eligibility=eligibility.as_record(checks))
    _tell(application, "资助申报已提交", f"“{application.project_title}”已提交，申报编号 {application.number}。")
    return application


@transaction.atomic
def begin_screening(application: GrantApplication, *, acting_user) -> GrantApplication:
    """已提交 → 资格审查: the officer has taken the application up; it rests there until the conclusion."""
    application = _locked(application)
    _manager(acting_user, application)
    return _move(application, Status.SCREENING, actor=acting_user, reason="开始资格审查")


@transaction.atomic
def screen(application: GrantApplication, *, acting_user, passed: bool, note: str = "") -> GrantApplication:
    """资格审查: the officer confirms the application may go to review, or declines it with the reason."""
    application = _locked(application)
    _manager(acting_user, application)
    if not passed and not (note or "").strip():
        raise GrantsError("资格审查不通过时须填写理由。")
    if application.status == Status.SUBMITTED:
        application = _move(application, Status.SCREENING, actor=acting_user, reason="开始资格审查")
    if application.status != Status.SCREENING:
        raise GrantsError("只有已提交或资格审查中的申报可以作出资格审查结论。")
    if passed:
        return _move(application, Status.REVIEWING, actor=acting_user, reason=note or "资格审查通过",
                     screening_note=note)
    application = _move(application, Status.DECLINED, actor=acting_user, reason=note, screening_note=note)
    _tell(application, "资格审查未通过", f"“{application.project_title}”资格审查未通过：{note}")
    return application


# --- review -------------------------------------------------------------------------------------------------
@transaction.atomic
def assign_reviewers(application: GrantApplication, reviewers, *, acting_user) -> list[Review]:
    """Assign reviewers (评审专家 or officers). A member of the applicant organization is refused outright; a
    scored application goes back to 评审中 when a new reviewer joins."""
    application = _locked(application)
    _manager(acting_user, application)
    if application.status not in (Status.REVIEWING, Status.SCORED):
        raise ReviewRefused("资格审查通过后才能分配评审专家。")
    created = []
    for reviewer in reviewers:
        if application.organization.memberships.filter(user=reviewer).exists():
            raise ReviewRefused(f"{reviewer}是申报组织的成员，存在利益冲突，不能评审该申报。")
        if may_manage_call(reviewer, application.call):
            # Separation of duties: whoever runs the call sees every score in the admin, so cannot be a reviewer.
            raise ReviewRefused(f"{reviewer}负责管理本资助计划，不能担任其评审专家。")
        if not (reviewer.has_role(Role.REVIEWER) or reviewer.jurisdictions):
            raise ReviewRefused(f"{reviewer}不是评审专家，不能分配。")
        review, new = Review.objects.get_or_create(application=application, reviewer=reviewer,
                                                   defaults={"assigned_by": acting_user})
        if new:
            created.append(review)
            audit.record("grants.review.assign", actor=acting_user, obj=application,
                         after={"reviewer": reviewer.pk, "review": review.pk})
            notify(reviewer, "新的评审任务", f"请评审“{application.project_title}”（{application.call}）。",
                   f"/grants/reviews/{review.pk}/")
    if created and application.status == Status.SCORED:
        _move(application, Status.REVIEWING, actor=acting_user, reason="增加评审专家")
    return created


def _move_review(review: Review, to: str, *, actor, region, reason: str = "", extra_fields=None) -> Review:
    return move(review, to, transitions=Review.TRANSITIONS, history=ReviewStatusChange, history_fk="review",
                actor=actor, reason=reason, action_prefix="grants.review", extra_fields=extra_fields, region=region)


def _move_tranche(tranche: Tranche, to: str, *, actor, region, reason: str = "", extra_fields=None) -> Tranche:
    return move(tranche, to, transitions=Tranche.TRANSITIONS, history=TrancheStatusChange, history_fk="tranche",
                actor=actor, reason=reason, action_prefix="grants.tranche", extra_fields=extra_fields, region=region)


def _move_report(report: GrantReport, to: str, *, actor, region, reason: str = "", extra_fields=None) -> GrantReport:
    return move(report, to, transitions=GrantReport.TRANSITIONS, history=ReportStatusChange, history_fk="report",
                actor=actor, reason=reason, action_prefix=f"grants.report.{report.kind}", extra_fields=extra_fields,
                region=region)


def _locked_review(review: Review) -> tuple[Review, GrantApplication]:
    """The review and its application, both locked, the application first (the lock order of every service that
    touches an application and a row under it), so a declaration never moves a stale application."""
    application = _locked(review.application)
    review = Review.objects.select_for_update(of=("self",)).get(pk=review.pk)
    review.application = application
    return review, application


@transaction.atomic
def declare_conflict(review: Review, *, acting_user, has_conflict: bool, statement: str = "") -> ConflictDeclaration:
    """The reviewer's declaration, made once before the application opens to them. A conflict closes the review
    (回避): the application stays hidden from them and their scores never count."""
    review, application = _locked_review(review)
    if review.reviewer_id != acting_user.pk:
        raise PermissionDenied("只能为分配给本人的评审作出声明。")
    if review.status != Review.Status.ASSIGNED:
        raise ReviewRefused("您已作出声明，声明不能更改。")
    statement = (statement or "").strip()
    if has_conflict and not statement:
        raise ReviewRefused("请说明利益冲突的情况（例如：曾在申报组织任职、与其负责人有亲属关系）。")
    declaration = ConflictDeclaration.objects.create(review=review, has_conflict=has_conflict, statement=statement)
    _move_review(review, Review.Status.CONFLICTED if has_conflict else Review.Status.DECLARED, actor=acting_user,
                 reason=statement, region=application.region)
    audit.record("grants.review.declare", actor=acting_user, obj=application, region=application.region,
                 after={"review": review.pk, "has_conflict": has_conflict, "statement": statement})
    if has_conflict:
        _refresh_aggregate(application, actor=acting_user)
    return declaration


def review_total(review: Review, scores: dict) -> Decimal:
    """A reviewer's weighted score out of 100: each criterion's score over its maximum, times its weight."""
    total = Decimal("0")
    for criterion in review.application.call.criteria.all():
        total += Decimal(criterion.weight) * Decimal(scores[criterion.pk]) / Decimal(criterion.max_score)
    return total.quantize(Decimal("0.01"))


@transaction.atomic
def submit_review(review: Review, *, acting_user, scores: dict, comment: str = "") -> Review:
    """Scores per criterion with a written rationale: ``scores`` maps a criterion id to (score, rationale).
    Once submitted the review is final; the application's aggregate is recomputed, and when every
    non-conflicted reviewer has submitted the application is 已评分."""
    review, application = _locked_review(review)
    if review.reviewer_id != acting_user.pk:
        raise PermissionDenied("只能提交分配给本人的评审。")
    if review.status == Review.Status.ASSIGNED:
        raise ReviewRefused("评分前请先声明与申报组织是否存在利益冲突。")
    if review.status == Review.Status.CONFLICTED:
        raise ReviewRefused("您已声明存在利益冲突，不能评审该申报。")
    if review.status == Review.Status.SUBMITTED:
        raise ReviewRefused("评审已提交，不能修改。")
    if application.status != Status.REVIEWING:
        raise ReviewRefused("该申报当前不在评审阶段。")
    cleaned: dict[int, Decimal] = {}
    rows = []
    for criterion in review.application.call.criteria.all():
        raw, rationale = scores.get(criterion.pk, (None, ""))
        if raw in (None, ""):
            raise ReviewRefused(f"请为“{criterion.name}”评分。")
        try:
            value = Decimal(str(raw))
        except ArithmeticError:
            raise ReviewRefused(f"“{criterion.name}”的得分须为数字。") from None
        if not Decimal("0") <= value <= criterion.max_score:
            raise ReviewRefused(f"“{criterion.name}”的得分须在 0–{criterion.max_score} 之间，收到 {value}。")
        if not (rationale or "").strip():
            raise ReviewRefused(f"请填写“{criterion.name}”的评分理由。")
        cleaned[criterion.pk] = value
        rows.append(ReviewScore(review=review, criterion=criterion, score=value, rationale=rationale.strip()[:2000]))
    ReviewScore.objects.bulk_create(rows)
    _move_review(review, Review.Status.SUBMITTED, actor=acting_user, region=application.region,
                 extra_fields={"total": review_total(review, cleaned), "comment": (comment or "").strip(),
                               "submitted_at": timezone.now()})
    audit.record("grants.review.submit", actor=acting_user, obj=application, region=application.region,
                 after={"review": review.pk, "total": str(review.total),
                        "scores": {str(k): str(v) for k, v in cleaned.items()}})
    _refresh_aggregate(application, actor=acting_user)
    return review


@transaction.atomic
def withdraw_review(review: Review, *, acting_user, reason: str) -> Review:
    """Take back a review the reviewer has not submitted (they cannot be reached, or declined late), so that one
    silent reviewer never holds an application in 评审中; the aggregate is recomputed without it."""
    review, application = _locked_review(review)
    _manager(acting_user, application)
    if review.status not in (Review.Status.ASSIGNED, Review.Status.DECLARED):
        raise ReviewRefused("只能撤回尚未提交的评审。")
    if not (reason or "").strip():
        raise ReviewRefused("请填写撤回理由。")
    _move_review(review, Review.Status.WITHDRAWN, actor=acting_user, reason=reason.strip(), region=application.region)
    notify(review.reviewer, "评审任务已撤回", f"“{application.project_title}”的评审任务已撤回：{reason.strip()}")
    _refresh_aggregate(application, actor=acting_user)
    return review


def _refresh_aggregate(application: GrantApplication, *, actor):
    """Recompute the mean and spread of the submitted reviews (conflicted and withdrawn ones never count); when
    none is outstanding and at least one is in, the application is 已评分. The caller holds its lock."""
    reviews = list(Review.objects.filter(application=application)
                   .exclude(status__in=[Review.Status.CONFLICTED, Review.Status.WITHDRAWN]))
    totals = [r.total for r in reviews if r.status == Review.Status.SUBMITTED]
    fields = {
        "score": (sum(totals) / len(totals)).quantize(Decimal("0.01")) if totals else None,
        "score_min": min(totals) if totals else None,
        "score_max": max(totals) if totals else None,
        "score_count": len(totals),
    }
    GrantApplication.objects.filter(pk=application.pk).update(**fields)
    for name, value in fields.items():
        setattr(application, name, value)
    outstanding = any(r.status != Review.Status.SUBMITTED for r in reviews)
    if totals and not outstanding and application.status == Status.REVIEWING:
        _move(application, Status.SCORED, actor=actor, reason="评审专家均已提交评分")


def ranking(call: FundingCall):
    """The call's reviewed applications, best aggregate first (ties: the smaller request, then the earlier
    submission)."""
    return (GrantApplication.objects.filter(call=call, score__isnull=False)
            .select_related("organization", "region").order_by("-score", "requested_amount", "submitted_at", "pk"))


# --- awards -------------------------------------------------------------------------------------------------
def _tranche_plan(call: FundingCall, amount: Decimal) -> list[tuple[str, int, Decimal]]:
    """(condition, percent, amount) per tranche; the last takes the rounding so the tranches add up exactly."""
    plan = call.tranche_plan()
    rows, allotted = [], Decimal("0")
    for index, (condition, percent) in enumerate(plan):
        share = amount - allotted if index == len(plan) - 1 else to_yuan(amount * percent / 100)
        allotted += share
        rows.append((condition, percent, share))
    return rows


def _award_locked(call: FundingCall, application: GrantApplication, amount, *, acting_user, note: str) -> Award:
    """Award within a transaction that already holds the call's lock."""
    if application.call_id != call.pk:
        raise GrantsError("该申报不属于本资助计划。")
    if application.status != Status.SCORED:
        raise GrantsError(f"申报 {application.number} 当前状态为“{application.get_status_display()}”，评审完成（已评分）后才能资助。")
    amount = to_yuan(amount if amount not in (None, "") else application.requested_amount)
    if amount <= 0:
        raise GrantsError("资助金额须大于零。")
    if amount > application.requested_amount:
        raise GrantsError(f"资助金额 {format_yuan(amount)} 不能超过申请金额 {format_yuan(application.requested_amount)}。")
    if call.max_amount is not None and amount > call.max_amount:
        raise GrantsError(f"资助金额 {format_yuan(amount)} 超过本计划单项资助上限 {format_yuan(call.max_amount)}。")
    remaining = call.budget - call.awarded_total
    if amount > remaining:
        raise BudgetExceeded(
            f"资助总额不能超过资助计划预算：预算 {format_yuan(call.budget)}，已资助 {format_yuan(call.awarded_total)}，"
            f"剩余 {format_yuan(remaining)}，本次 {format_yuan(amount)}（申报 {application.number}）。"
        )
    try:
        with transaction.atomic():  # savepoint: the CHECK awarded_total <= budget is the last word
            FundingCall.objects.filter(pk=call.pk).update(awarded_total=F("awarded_total") + amount)
            award = Award.objects.create(application=application, amount=amount, awarded_by=acting_user)
    except IntegrityError:
        raise BudgetExceeded(f"资助总额不能超过资助计划预算 {format_yuan(call.budget)}。") from None
    call.awarded_total += amount
    Tranche.objects.bulk_create([
        Tranche(award=award, sequence=index, condition=condition, percent=percent, amount=share)
        for index, (condition, percent, share) in enumerate(_tranche_plan(call, amount), start=1)
    ])
    _move(application, Status.AWARDED, actor=acting_user, reason=note or f"资助 {format_yuan(amount)}",
          decision_note=note)
    audit.record("grants.award", actor=acting_user, obj=award, region=call.region,
                 after={"application": application.pk, "amount": str(amount), "call_awarded_total": str(call.awarded_total)})
    _tell(application, "获得资助", f"“{application.project_title}”获资助 {format_yuan(amount)}，请签订资助协议。")
    return award


@transaction.atomic
def award(application: GrantApplication, *, acting_user, amount=None, note: str = "") -> Award:
    """Award ``amount`` (default: the request) to a scored application, within the call's remaining budget."""
    call = _locked_call(application.call)  # the call first, always: one lock order for every award
    if not may_manage_call(acting_user, call):
        raise PermissionDenied("只能办理本辖区资助计划的申报。")
    application = _locked(application)
    return _award_locked(call, application, amount, acting_user=acting_user, note=note)


@transaction.atomic
def award_in_bulk(call: FundingCall, choices: list[tuple[GrantApplication, object]], *, acting_user) -> list[Award]:
    """Award several applications from the ranking at once, all or none: if any one is refused (the budget runs
    out, a wrong state), nothing is awarded and the error names it."""
    call = _locked_call(call)
    if not may_manage_call(acting_user, call):
        raise PermissionDenied("只能办理本辖区资助计划的申报。")
    if not choices:
        raise GrantsError("请至少选择一项申报。")
    total = sum(to_yuan(amount if amount not in (None, "") else application.requested_amount)
                for application, amount in choices)
    if total > call.budget - call.awarded_total:
        raise BudgetExceeded(
            f"所选 {len(choices)} 项合计 {format_yuan(total)}，超过资助计划剩余预算 {format_yuan(call.budget - call.awarded_total)}"
            f"（预算 {format_yuan(call.budget)}，已资助 {format_yuan(call.awarded_total)}）。"
        )
    return [_award_locked(call, _locked(application), amount, acting_user=acting_user, note="批量资助")
            for application, amount in choices]


@transaction.atomic
def decline(application: GrantApplication, *, acting_user, reason: str) -> GrantApplication:
    application = _locked(application)
    _manager(acting_user, application)
    if not (reason or "").strip():
        raise GrantsError("请填写未获资助的理由。")
    application = _move(application, Status.DECLINED, actor=acting_user, reason=reason, decision_note=reason)
    _tell(application, "资助申报结果", f"“{application.project_title}”未获资助：{reason}")
    return application


# --- agreement, tranches and disbursements ------------------------------------------------------------------
def _locked_award(award: Award) -> Award:
    # The award's row serializes its payments; the CHECK 0 <= paid_total <= amount backs it.
    return Award.objects.select_for_update(of=("self",)).select_related("application__call__region", "application__region").get(pk=award.pk)


@transaction.atomic
def sign_agreement(award: Award, *, acting_user, number: str, signed_on: datetime.date) -> Award:
    award = _locked_award(award)
    application = _locked(award.application)
    _manager(acting_user, application)
    if not (number or "").strip():
        raise PaymentRefused("请填写协议编号。")
    if signed_on > timezone.localdate():
        raise PaymentRefused("协议签订日期不能晚于今天。")
    award.agreement_number, award.agreement_signed_on = number.strip(), signed_on
    award.save(update_fields=["agreement_number", "agreement_signed_on"])
    _move(application, Status.AGREEMENT, actor=acting_user, reason=f"协议 {award.agreement_number}")
    audit.record("grants.agreement", actor=acting_user, obj=award, region=award.application.region,
                 after={"number": award.agreement_number, "signed_on": signed_on.isoformat()})
    return award


def condition_holds(tranche: Tranche) -> tuple[bool, str]:
    """Whether the tranche's condition holds now, and if not, why."""
    award = tranche.award
    if tranche.condition == Tranche.Condition.AGREEMENT:
        return (award.agreement_signed_on is not None, "资助协议尚未签订。")
    kind = GrantReport.Kind.MIDTERM if tranche.condition == Tranche.Condition.MIDTERM else GrantReport.Kind.FINAL
    report = GrantReport.objects.filter(application_id=award.application_id, kind=kind).first()
    label = GrantReport.Kind(kind).label
    if report is None or report.status != GrantReport.Status.ASSESSED:
        return (False, f"{label}尚未评定。")
    return (report.passed, f"{label}评定为 {report.grade}（不合格）。")


@transaction.atomic
def pay_tranche(tranche: Tranche, *, acting_user, paid_on: datetime.date, reference: str = "") -> Disbursement:
    """Release a tranche: only when its condition holds, in order, and never above the award."""
    award = _locked_award(tranche.award)
    _manager(acting_user, award.application)
    tranche = Tranche.objects.select_for_update().get(pk=tranche.pk)
    tranche.award = award
    if tranche.status != Tranche.Status.PENDING:
        raise PaymentRefused(f"第 {tranche.sequence} 期当前为“{tranche.get_status_display()}”，不能拨付。")
    earlier = award.tranches.filter(sequence__lt=tranche.sequence, status=Tranche.Status.PENDING).first()
    if earlier:
        raise PaymentRefused(f"请先拨付第 {earlier.sequence} 期。")
    holds, why = condition_holds(tranche)
    if not holds:
        raise PaymentRefused(f"第 {tranche.sequence} 期的拨付条件（{tranche.get_condition_display()}）未满足：{why}")
    if paid_on > timezone.localdate():
        raise PaymentRefused("拨付日期不能晚于今天。")
    if award.paid_total + tranche.amount > award.amount:
        raise PaymentRefused(f"拨付后累计 {format_yuan(award.paid_total + tranche.amount)} 将超过资助金额 {format_yuan(award.amount)}。")
    disbursement = Disbursement.objects.create(
        award=award, tranche=tranche, kind=Disbursement.Kind.PAYMENT, amount=tranche.amount, paid_on=paid_on,
        reference=(reference or "").strip(), recorded_by=acting_user,
    )
    _move_tranche(tranche, Tranche.Status.PAID, actor=acting_user, region=award.application.region,
                  reason=f"拨付 {format_yuan(tranche.amount)}")
    Award.objects.filter(pk=award.pk).update(paid_total=F("paid_total") + tranche.amount)
    application = award.application
    if application.status == Status.AGREEMENT:
        _move(application, Status.IN_PROGRESS, actor=acting_user, reason="首期资金已拨付，项目进入执行")
    audit.record("grants.disbursement.payment", actor=acting_user, obj=award, region=award.application.region,
                 after={"tranche": tranche.sequence, "amount": str(tranche.amount), "paid_on": paid_on.isoformat(),
                        "paid_total": str(award.paid_total + tranche.amount)})
    _tell(application, "资助资金已拨付", f"第 {tranche.sequence} 期 {format_yuan(tranche.amount)} 已拨付。")
    return disbursement


@transaction.atomic
def claw_back(award: Award, *, acting_user, amount, reason: str, paid_on: datetime.date) -> Disbursement:
    """Recover money already paid: a negative disbursement with its reason, never more than was paid."""
    award = _locked_award(award)
    _manager(acting_user, award.application)
    amount = to_yuan(amount)
    if amount <= 0:
        raise PaymentRefused("追回金额须大于零。")
    if not (reason or "").strip():
        raise PaymentRefused("请填写追回原因。")
    if amount > award.paid_total:
        raise PaymentRefused(f"追回金额 {format_yuan(amount)} 超过已拨付金额 {format_yuan(award.paid_total)}。")
    disbursement = Disbursement.objects.create(
        award=award, kind=Disbursement.Kind.CLAWBACK, amount=-amount, paid_on=paid_on, reason=reason.strip(),
        recorded_by=acting_user,
    )
    Award.objects.filter(pk=award.pk).update(paid_total=F("paid_total") - amount)
    audit.record("grants.disbursement.clawback", actor=acting_user, obj=award, region=award.application.region,
                 after={"amount": str(-amount), "reason": reason.strip(), "paid_total": str(award.paid_total - amount)})
    _tell(award.application, "资助资金追回", f"追回 {format_yuan(amount)}：{reason.strip()}")
    return disbursement


# --- reports ------------------------------------------------------------------------------------------------
REPORT_FIELDS = ["beneficiaries_reached", "activities_held", "spent_amount", "outcomes", "problems"]


def report_closed_reason(application: GrantApplication, kind: str) -> str:
    """Why a report of ``kind`` cannot be written now ("" when it can): only while the project runs, and a final
    report only after a 合格 mid-term."""
    if application.status != Status.IN_PROGRESS:
        return "项目执行期间（首期资金拨付后）才能填写报告。"
    if kind == GrantReport.Kind.FINAL:
        midterm = GrantReport.objects.filter(application=application, kind=GrantReport.Kind.MIDTERM).first()
        if midterm is None or not midterm.passed:
            return "中期报告评定合格后才能填写结项报告。"
    return ""


def _report_open(application: GrantApplication, kind: str):
    reason = report_closed_reason(application, kind)
    if reason:
        raise ReportRefused(reason)


@transaction.atomic
def save_report(application: GrantApplication, kind: str, *, acting_user, data: dict) -> GrantReport:
    application = _locked(application)
    _member(acting_user, application)
    _report_open(application, kind)
    report, _created = GrantReport.objects.select_for_update().get_or_create(
        application=application, kind=kind, defaults={"outcomes": ""})
    if report.status != GrantReport.Status.DRAFT:
        raise ReportRefused("报告已提交，不能修改。")
    for field in REPORT_FIELDS:
        if field in data:
            setattr(report, field, data[field])
    report.spent_amount = to_yuan(report.spent_amount)
    report.save()
    audit.record(f"grants.report.{kind}.save", actor=acting_user, obj=application,
                 after={field: str(getattr(report, field)) for field in REPORT_FIELDS})
    return report


@transaction.atomic
def attach_report_document(report: GrantReport, upload, *, acting_user) -> ReportDocument:
    application = _locked(report.application)
    report = GrantReport.objects.select_for_update().get(pk=report.pk)
    _member(acting_user, application)
    if report.status != GrantReport.Status.DRAFT:
        raise ReportRefused("报告已提交，不能再上传佐证材料。")
    document = store(ReportDocument(report=report), upload, uploaded_by=acting_user)
    audit.record("grants.report.document", actor=acting_user, obj=report.application,
                 after={"report": report.pk, "name": document.original_name, "sha256": document.sha256})
    return document


@transaction.atomic
def submit_report(report: GrantReport, *, acting_user) -> GrantReport:
    application = _locked(report.application)  # the application first, then the report: one lock order
    report = GrantReport.objects.select_for_update().get(pk=report.pk)
    _member(acting_user, application)
    _report_open(application, report.kind)
    if report.status != GrantReport.Status.DRAFT:
        raise ReportRefused("报告已提交。")
    if not (report.outcomes or "").strip():
        raise ReportRefused("请填写项目成效。", field="outcomes")
    if not report.documents.exists():
        raise ReportRefused("请上传至少一份佐证材料（照片、签到表、票据等）。", field="evidence")
    _move_report(report, GrantReport.Status.SUBMITTED, actor=acting_user, region=application.region,
                 reason=f"服务 {report.beneficiaries_reached} 人，活动 {report.activities_held} 场",
                 extra_fields={"submitted_by": acting_user, "submitted_at": timezone.now()})
    return report


@transaction.atomic
def return_report(report: GrantReport, *, acting_user, reason: str) -> GrantReport:
    """Send a submitted report back to the organization for more evidence or corrections."""
    application = _locked(report.application)
    report = GrantReport.objects.select_for_update().get(pk=report.pk)
    _manager(acting_user, application)
    if report.status != GrantReport.Status.SUBMITTED:
        raise ReportRefused("只有已提交、未评定的报告可以退回。")
    if not (reason or "").strip():
        raise ReportRefused("请填写退回理由。")
    _move_report(report, GrantReport.Status.DRAFT, actor=acting_user, region=application.region, reason=reason.strip())
    _tell(application, "报告被退回", f"{report.get_kind_display()}被退回修改：{reason}")
    return report


@transaction.atomic
def assess_report(report: GrantReport, *, acting_user, score: int, assessment: str) -> GrantReport:
    """Grade a submitted report by the call's bands. A failing (C) report stops the tranches it and those after it
    would release and terminates the project; a passing final report closes it (结项)."""
    application = _locked(report.application)
    report = GrantReport.objects.select_for_update().get(pk=report.pk)
    _manager(acting_user, application)
    if report.status != GrantReport.Status.SUBMITTED:
        raise ReportRefused("只有已提交的报告可以评定。")
    if score is None or not 0 <= int(score) <= 100:
        raise ReportRefused("评定分数须在 0–100 之间。")
    if not (assessment or "").strip():
        raise ReportRefused("请填写评定意见。")
    grade = application.call.band_for(int(score))
    _move_report(report, GrantReport.Status.ASSESSED, actor=acting_user, region=application.region,
                 reason=f"{int(score)} 分，{grade} 档", extra_fields={
                     "score": int(score), "grade": grade, "assessment": assessment.strip(), "assessed_by": acting_user,
                     "assessed_at": timezone.now()})
    label = report.get_kind_display()
    if not report.passed:
        stopped = [Tranche.Condition.MIDTERM, Tranche.Condition.FINAL] if report.kind == GrantReport.Kind.MIDTERM \
            else [Tranche.Condition.FINAL]
        reason = f"{label}评定为 C（不合格），后续资金停止拨付"
        to_stop = Tranche.objects.filter(award__application=application, status=Tranche.Status.PENDING,
                                         condition__in=stopped)
        halted = []
        for tranche in to_stop.select_for_update():
            _move_tranche(tranche, Tranche.Status.STOPPED, actor=acting_user, region=application.region, reason=reason,
                          extra_fields={"stopped_reason": reason})
            halted.append({"tranche": tranche.sequence, "amount": str(tranche.amount)})
        if halted:
            audit.record("grants.tranche.stop", actor=acting_user, obj=application, after={"stopped": halted},
                         reason=reason)
        _move(application, Status.TERMINATED, actor=acting_user, reason=reason)
        _tell(application, f"{label}不合格", f"{reason}。评定意见：{report.assessment}")
    elif report.kind == GrantReport.Kind.FINAL:
        _move(application, Status.COMPLETED, actor=acting_user, reason=f"{label}评定为 {report.grade}")
        _tell(application, "项目已结项", f"{label}评定为 {report.grade}，项目结项。")
    else:
        _tell(application, f"{label}评定合格", f"{label}评定为 {report.grade}，可申请拨付下一期资金。")
    return report
