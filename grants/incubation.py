"""Services of the incubation bases (DESIGN.md §4.2): admit an organization, log the services it receives,
graduate it (出壳) or record its withdrawal. Each is atomic, checks the officer's jurisdiction over the base
and writes its audit row."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import F

from core import audit
from orgs.models import Organization

from .exceptions import CapacityExceeded, GrantsError, PermissionDenied
from .models import IncubationBase, Residency, ResidencyService
from .permissions import may_manage_base


def _officer(user, base: IncubationBase):
    if not may_manage_base(user, base):
        raise PermissionDenied("只能管理本辖区的孵化基地。")


def _locked_base(base: IncubationBase) -> IncubationBase:
    # The base row is the lock that serializes admissions (PostgreSQL row lock; SQLite's IMMEDIATE transaction
    # already holds the single write lock). The CHECK residents <= capacity backs it.
    return IncubationBase.objects.select_for_update().select_related("region").get(pk=base.pk)


@transaction.atomic
def admit(base: IncubationBase, organization: Organization, *, acting_user, admitted_on: datetime.date,
          planned_until: datetime.date | None = None, note: str = "") -> Residency:
    base = _locked_base(base)
    _officer(acting_user, base)
    if not base.is_active:
        raise GrantsError(f"{base.name}已停止运营，不能接收入驻。")
    if not organization.is_active:
        raise GrantsError(f"{organization.name}已注销或撤销，不能入驻。")
    if planned_until and planned_until <= admitted_on:
        raise GrantsError("计划孵化期须晚于入驻日期。")
    if base.residents >= base.capacity:
        raise CapacityExceeded(f"{base.name}已满：可入驻 {base.capacity} 家，现有 {base.residents} 家在孵。")
    try:
        with transaction.atomic():  # savepoint: the partial unique index decides between two admissions
            residency = Residency.objects.create(
                base=base, organization=organization, admitted_on=admitted_on, planned_until=planned_until,
                admission_note=note, admitted_by=acting_user,
            )
    except IntegrityError:
        current = Residency.objects.filter(organization=organization, status=Residency.Status.RESIDENT).select_related("base").first()
        where = current.base.name if current else "其他基地"
        raise GrantsError(f"{organization.name}已在{where}入驻，出壳或退出后才能入驻其他基地。") from None
    IncubationBase.objects.filter(pk=base.pk).update(residents=F("residents") + 1)
    audit.record("incubation.admit", actor=acting_user, obj=residency, region=base.region,
                 after={"base": base.pk, "organization": organization.pk, "admitted_on": admitted_on.isoformat()})
    return residency


def _locked_residency(residency: Residency) -> Residency:
    return Residency.objects.select_for_update().select_related("base", "base__region", "organization").get(pk=residency.pk)


@transaction.atomic
def log_service(residency: Residency, *, acting_user, kind: str, provided_on: datetime.date, description: str,
                hours=None) -> ResidencyService:
    residency = _locked_residency(residency)
    _officer(acting_user, residency.base)
    if residency.status != Residency.Status.RESIDENT:
        raise GrantsError("该组织已离开基地，不能再登记孵化服务。")
    if provided_on < residency.admitted_on:
        raise GrantsError(f"服务日期不能早于入驻日期 {residency.admitted_on:%Y-%m-%d}。")
    if not (description or "").strip():
        raise GrantsError("请填写服务内容。")
    service = ResidencyService.objects.create(
        residency=residency, kind=kind, provided_on=provided_on, description=description.strip(), hours=hours,
        recorded_by=acting_user,
    )
    audit.record("incubation.service", actor=acting_user, obj=residency, region=residency.base.region,
                 after={"kind": kind, "provided_on": provided_on.isoformat(), "description": service.description})
    return service


@transaction.atomic
def leave(residency: Residency, *, acting_user, left_on: datetime.date, graduated: bool, outcome: str = "",
          assessment: str = "") -> Residency:
    """Graduation (出壳, with an outcome and a written assessment) or withdrawal (with the reason in
    ``assessment``); either frees the place."""
    residency = _locked_residency(residency)
    base = _locked_base(residency.base)
    _officer(acting_user, base)
    if residency.status != Residency.Status.RESIDENT:
        raise GrantsError("该组织已离开基地。")
    if left_on < residency.admitted_on:
        raise GrantsError(f"出壳（退出）日期不能早于入驻日期 {residency.admitted_on:%Y-%m-%d}。")
    if not (assessment or "").strip():
        raise GrantsError("请填写出壳评估意见。" if graduated else "请填写退出原因。")
    if graduated and outcome not in Residency.Outcome.values:
        raise GrantsError("请选择出壳评估结论。")
    before = residency.status
    residency.status = Residency.Status.GRADUATED if graduated else Residency.Status.WITHDRAWN
    residency.left_on = left_on
    residency.outcome = outcome if graduated else ""
    residency.assessment = assessment.strip()
    residency.save(update_fields=["status", "left_on", "outcome", "assessment"])
    IncubationBase.objects.filter(pk=base.pk).update(residents=F("residents") - 1)
    audit.record(f"incubation.{residency.status}", actor=acting_user, obj=residency, region=base.region,
                 before={"status": before},
                 after={"status": residency.status, "left_on": left_on.isoformat(), "outcome": residency.outcome})
    return residency
