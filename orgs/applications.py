"""Services that move registration and filing applications (DESIGN.md §3): each is atomic, locks the row it
moves, checks the actor, goes through core.workflow.move and writes its audit rows."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from core import audit
from core.dates import add_years
from core.files import store
from core.notify import notify
from core.sequences import next_value
from core.workflow import move

from .codes import credit_code_problem
from .exceptions import ApplicationIncomplete, CreditCodeError, DomainError, PermissionDenied
from .models import Application, ApplicationDocument, Certificate, Membership, Organization, StatusChange
from .permissions import may_decide, may_edit
from .requirements import condition_problems

CERTIFICATE_YEARS = 5
PARTICULARS = [
    "name", "nature", "direct_category", "business_supervisor", "legal_representative", "domicile", "purpose",
    "business_scope", "activity_area", "funds", "individual_members", "unit_members", "is_charity", "contact_phone",
]


def _move(application, to, *, actor, reason="", **extra):
    return move(
        application, to, transitions=Application.TRANSITIONS, history=StatusChange, history_fk="application",
        actor=actor, reason=reason, action_prefix=f"application.{application.kind}", extra_fields=extra,
    )


def _locked(application: Application) -> Application:
    # Row lock on PostgreSQL; on SQLite the IMMEDIATE transaction already holds the one write lock.
    return (
        Application.objects.select_for_update(of=("self",)).select_related("region", "organization").get(pk=application.pk)
    )


def _link(application) -> str:
    return f"/orgs/workspace/applications/{application.pk}/"


@transaction.atomic
def start_application(
    *, applicant, kind: str, region, organization: Organization | None = None, service_fields=None, **particulars
):
    """A new draft. For 变更 and 注销 the applicant must act for the organization, whose particulars are copied."""
    if organization is not None:
        if not organization.memberships.filter(user=applicant).exists():
            raise PermissionDenied("只能为本人所属的组织提出申请。")
        for field in PARTICULARS:
            particulars.setdefault(field, getattr(organization, field))
        particulars.setdefault("org_kind", organization.kind)
        region = organization.region
    application = Application.objects.create(
        applicant=applicant, kind=kind, region=region, organization=organization, **particulars
    )
    if service_fields is not None:
        application.service_fields.set(service_fields)
    elif organization is not None:
        application.service_fields.set(organization.service_fields.all())
    audit.record("application.create", actor=applicant, obj=application, after={"kind": kind, "name": application.name})
    return application


@transaction.atomic
def save_draft(application: Application, *, acting_user, save_form) -> Application:
    """Save the applicant's edits (``save_form`` writes the validated form); only while 草稿 or 需补正."""
    application = _locked(application)
    if not may_edit(acting_user, application):
        raise PermissionDenied("只有申请人或本组织成员可以修改申请。")
    if not application.is_editable:
        raise DomainError("申请已提交，当前不能修改。")
    save_form(application)
    audit.record("application.save", actor=acting_user, obj=application)
    return application


@transaction.atomic
def attach_document(application: Application, requirement: str, upload, *, acting_user) -> ApplicationDocument:
    application = _locked(application)
    if not may_edit(acting_user, application):
        raise PermissionDenied("只有申请人或本组织成员可以上传材料。")
    if not application.is_editable:
        raise DomainError("申请已提交，当前不能上传材料。")
    if requirement not in dict(application.required_documents()):
        raise DomainError("该材料不在本申请的材料清单中。")
    document = store(ApplicationDocument(application=application, requirement=requirement), upload,
                     uploaded_by=acting_user)
    audit.record(
        "application.document", actor=acting_user, obj=application,
        after={"requirement": requirement, "name": document.original_name, "sha256": document.sha256},
    )
    return document


def missing_documents(application: Application) -> list[str]:
    present = set(application.documents.values_list("requirement", flat=True))
    return [label for code, label in application.required_documents() if code not in present]


@transaction.atomic
def submit(application: Application, *, acting_user) -> Application:
    """草稿 → 已提交, or 需补正 → 审查中 (the correction is back). Refused until every required document is
    there and the conditions for the kind are met; the error names each gap."""
    application = _locked(application)
    if not may_edit(acting_user, application):
        raise PermissionDenied("只有申请人或本组织成员可以提交申请。")
    errors = dict(condition_problems(application))
    missing = missing_documents(application)
    if missing:
        errors["documents"] = "还缺少以下材料：" + "、".join(missing) + "。"
    if errors:
        raise ApplicationIncomplete("申请尚不能提交，请按提示补充。", errors)
    now = timezone.now()
    if application.status == Application.Status.CORRECTION:
        # The days the file spent with the applicant do not count against the statutory limit.
        returned = application.history.filter(to_status=Application.Status.CORRECTION).latest("at", "pk").at
        paused = (timezone.localdate() - timezone.localdate(returned)).days
        due_on = application.due_on + datetime.timedelta(days=paused) if application.due_on else None
        return _move(application, Application.Status.REVIEWING, actor=acting_user, reason="已补正", due_on=due_on)
    return _move(application, Application.Status.SUBMITTED, actor=acting_user, submitted_at=now)


def _officer(application, actor):
    if not may_decide(actor, application):
        raise PermissionDenied("该申请不在您的辖区内。")


def _require(reason: str, what: str) -> str:
    if not (reason or "").strip():
        raise DomainError(f"请填写{what}。")
    return reason.strip()


@transaction.atomic
def accept(application: Application, *, officer) -> Application:
    """已提交 → 已受理 → 审查中; the statutory limit starts today."""
    application = _locked(application)
    _officer(application, officer)
    today = timezone.localdate()
    _move(
        application, Application.Status.ACCEPTED, actor=officer, accepted_at=timezone.now(),
        due_on=today + datetime.timedelta(days=application.statutory_days),
    )
    _move(application, Application.Status.REVIEWING, actor=officer, reason="受理后进入审查")
    notify(application.applicant, f"您的{application.get_kind_display()}申请已受理",
           f"“{application.name}”已于 {today:%Y年%m月%d日} 受理，法定办结期限为 {application.due_on:%Y年%m月%d日}。",
           _link(application))
    return application


def _decide_with_text(application, *, officer, to, text, what, outcome, **extra):
    """A decision that must say why (不予受理, 退回补正, 不予): lock, check the officer and the text, move, and tell
    the applicant what was decided and why."""
    application = _locked(application)
    _officer(application, officer)
    text = _require(text, what)
    fields = {name: text for name in extra.pop("text_fields", ())}
    _move(application, to, actor=officer, reason=text, **fields, **extra)
    notify(application.applicant, f"您的{application.get_kind_display()}申请{outcome}", text, _link(application))
    return application


@transaction.atomic
def reject_intake(application: Application, *, officer, reason: str) -> Application:
    return _decide_with_text(
        application, officer=officer, to=Application.Status.REJECTED, text=reason, what="不予受理的理由",
        outcome="不予受理", decided_at=timezone.now(), text_fields=("decision_reason",),
    )


@transaction.atomic
def request_correction(application: Application, *, officer, items: str) -> Application:
    return _decide_with_text(
        application, officer=officer, to=Application.Status.CORRECTION, text=items, what="需补正的内容",
        outcome="需要补正", text_fields=("correction_items",),
    )


@transaction.atomic
def deny(application: Application, *, officer, reason: str) -> Application:
    return _decide_with_text(
        application, officer=officer, to=Application.Status.DENIED, text=reason, what="不予登记的理由",
        outcome="未予准许", decided_at=timezone.now(), text_fields=("decision_reason",),
    )


@transaction.atomic
def record_committee_opinion(application: Application, *, officer, opinion: str) -> Application:
    """备案: the community service centre records the residents' committee's opinion before it decides."""
    application = _locked(application)
    _officer(application, officer)
    if application.kind != Application.Kind.FILING:
        raise DomainError("只有备案申请需要记录居（村）委会意见。")
    opinion = _require(opinion, "居（村）委会意见")
    before = application.committee_opinion
    application.committee_opinion = opinion
    application.save(update_fields=["committee_opinion", "updated_at"])
    audit.record("application.committee_opinion", actor=officer, obj=application, before={"opinion": before},
                 after={"opinion": opinion})
    return application


@transaction.atomic
def approve(application: Application, *, officer, credit_code: str = "", note: str = "") -> Certificate | None:
    """审查中 → 准予, and its effect: create (成立、备案), update (变更) or close (注销) the organization; issue the
    certificate (and void the old one). Two officers approving at once: the second finds the row already
    准予 and gets InvalidTransition."""
    application = _locked(application)
    _officer(application, officer)
    if application.kind == Application.Kind.FILING and not application.committee_opinion.strip():
        raise DomainError("备案前须先听取并记录居（村）委会意见。")
    _move(application, Application.Status.APPROVED, actor=officer, reason=note, decided_at=timezone.now(),
          decision_reason=note)
    today = timezone.localdate()
    if application.kind == Application.Kind.ESTABLISH:
        organization = _create_organization(application, credit_code=credit_code, today=today, officer=officer)
    elif application.kind == Application.Kind.FILING:
        organization = _create_organization(application, credit_code="", today=today, officer=officer)
    else:
        organization = Organization.objects.select_for_update().get(pk=application.organization_id)
    certificate = None
    if application.kind == Application.Kind.DEREGISTER:
        before = organization.status
        organization.status = Organization.Status.DEREGISTERED
        organization.save(update_fields=["status", "updated_at"])
        _void_certificates(organization, "注销登记", officer)
        audit.record("organization.deregister", actor=officer, obj=organization, before={"status": before},
                     after={"status": organization.status})
    else:
        if application.kind == Application.Kind.CHANGE:
            _apply_change(application, organization, officer)
            _void_certificates(organization, "变更登记后换发新证", officer)
        certificate = _issue_certificate(application, organization, today=today, officer=officer)
    application.organization = organization
    application.save(update_fields=["organization", "updated_at"])
    notify(application.applicant, f"您的{application.get_kind_display()}申请已准予",
           f"“{organization.name}”{application.get_kind_display()}已准予。", _link(application))
    return certificate


def authority_name(region) -> str:
    """The body that decides: the community service centre for filings, else the district's or city's bureau."""
    from core.models import Region

    if region.level in (Region.Level.SUBDISTRICT, Region.Level.COMMITTEE):
        district = Region.objects.filter(code=region.code[:6]).first()
        return f"{district.name if district else ''}民政局"
    return f"{region.name}民政局"


def _create_organization(application, *, credit_code: str, today, officer) -> Organization:
    registered = application.kind == Application.Kind.ESTABLISH
    if registered:
        credit_code = (credit_code or "").strip().upper()
        problem = credit_code_problem(credit_code, application.org_kind)
        if problem:
            raise CreditCodeError(problem)
        if Organization.objects.filter(credit_code=credit_code).exists():
            raise CreditCodeError("该统一社会信用代码已被其他组织使用。")
    values = {field: getattr(application, field) for field in PARTICULARS}
    organization = Organization(
        **values, kind=application.org_kind, region=application.region, established_on=today,
        status=Organization.Status.REGISTERED if registered else Organization.Status.FILED,
    )
    if registered:
        organization.credit_code = credit_code
        organization.registration_authority = authority_name(application.region)
    else:
        centre = application.region
        organization.filing_number = f"{centre.code}-BA-{next_value(f'filing:{centre.code}'):04d}"
        organization.registration_authority = f"{centre.name}社区服务中心"
    try:
        # Savepoint: a code taken by a concurrent approval becomes a domain error, not a broken transaction.
        with transaction.atomic():
            organization.save()
    except IntegrityError as exc:
        raise CreditCodeError("该统一社会信用代码已被其他组织使用。") from exc
    organization.service_fields.set(application.service_fields.all())
    Membership.objects.get_or_create(
        user=application.applicant, organization=organization, defaults={"role": Membership.Role.HEAD}
    )
    audit.record("organization.create", actor=officer, obj=organization,
                 after={"name": organization.name, "credit_code": organization.credit_code,
                        "filing_number": organization.filing_number})
    return organization


def _apply_change(application, organization, officer):
    before = {field: getattr(organization, field) for field in PARTICULARS}
    for field in PARTICULARS:
        setattr(organization, field, getattr(application, field))
    organization.save()
    organization.service_fields.set(application.service_fields.all())
    after = {field: getattr(organization, field) for field in PARTICULARS}
    changed = {k: v for k, v in after.items() if before[k] != v}
    audit.record("organization.change", actor=officer, obj=organization,
                 before={k: before[k] for k in changed}, after=changed)


def _void_certificates(organization, reason: str, officer):
    now = timezone.now()
    for certificate in organization.certificates.filter(voided_at__isnull=True):
        certificate.voided_at = now
        certificate.void_reason = reason
        certificate.save(update_fields=["voided_at", "void_reason"])
        audit.record("certificate.void", actor=officer, obj=certificate, reason=reason)


KIND_ABBREVIATION = {"social_group": "ST", "service_institution": "MF", "foundation": "JJ", "community": "BA"}


def _issue_certificate(application, organization, *, today, officer) -> Certificate:
    registered = organization.kind != Organization.Kind.COMMUNITY
    series = f"certificate:{organization.region.code[:6]}:{today.year}"
    number = f"{organization.region.code[:6]}{KIND_ABBREVIATION[organization.kind]}{today.year}{next_value(series):05d}"
    valid_until = add_years(today, CERTIFICATE_YEARS) - datetime.timedelta(days=1) if registered else None
    certificate = Certificate.objects.create(
        organization=organization, application=application, number=number, issued_on=today, valid_until=valid_until,
        kind=Certificate.Kind.REGISTRATION if registered else Certificate.Kind.FILING,
        issuer=organization.registration_authority,
    )
    organization.certificate_number = number
    organization.certificate_valid_until = valid_until
    organization.save(update_fields=["certificate_number", "certificate_valid_until", "updated_at"])
    audit.record("certificate.issue", actor=officer, obj=certificate, after={"number": number})
    return certificate
