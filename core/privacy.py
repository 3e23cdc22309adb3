"""个人信息保护法 requests of a signed-in person (issue 11 item 4): download everything the portal holds about
them (Art. 45, 查阅、复制、转移), and ask for erasure (Art. 47, 删除) — which the portal carries out by
pseudonymization, because the volunteer-service records and the points ledger must be kept
(《志愿服务条例》第十九条, and the books must balance).

``core`` imports no domain app (DESIGN.md §3). Domain rows are reached by name through the app registry, as
:mod:`core.invariants` does; an app with its own rules (爱心银行) provides a module listed in
:data:`DOMAIN_MODULES` with ``export_sections(user)``, ``erasure_obstacles(user)`` and
``pseudonymize(user, *, pseudonym, acting_user)``.

Decisions (README "Decisions", docs/security.md):

- The export carries the person's own ID number and phone unmasked; another person's ID number that they typed
  (an organization's legal representative) is masked — it is not their personal information.
- Erasure is for volunteers and members of the public. Officers, reviewers, merchants' staff, organization
  members and administrators are refused with the reason: their names sign decisions, reviews and vouchers that
  others rely on; their roles and memberships must first be ended by whoever granted them.
- An unspent points balance stays on the pseudonymized account: the ledger keeps balancing and nobody can spend it.
- The audit log is not rewritten: it is append-only evidence and holds masked numbers only.
"""

import csv
import io
import json
import zipfile
from importlib import import_module

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from . import audit
from .exceptions import DomainError
from .models import AuditEntry, Notification, PhoneVerification, Role
from .sequences import next_value

FORMAT_VERSION = 1
# Domain apps with their own privacy module (export sections, erasure rules, pseudonymization).
DOMAIN_MODULES = {"volunteers": "volunteers.privacy"}
# Roles whose holders cannot erase themselves: their acts are relied on by others (see the module docstring).
BLOCKING_ROLES = {Role.OFFICER: "民政干部", Role.REVIEWER: "评审专家", Role.MERCHANT: "爱心商家经办人"}
ERASED_PHONE_PREFIX = "0"  # no mobile number starts with 0, so a placeholder can never collide or sign in


class ErasureRefused(DomainError):
    """The account cannot be erased now; the message says why and what to do first."""


# --- export ---------------------------------------------------------------------------------------------------
def rows(queryset, *, exclude=(), masked=None) -> list[dict]:
    """Every concrete field of each row (foreign keys as ids), for JSON and CSV; ``masked`` maps a field to the
    function that masks it (another person's number typed by this one)."""
    fields = [f.attname for f in queryset.model._meta.concrete_fields if f.attname not in exclude]
    result = []
    for row in queryset.order_by("pk").values(*fields):
        for field, mask in (masked or {}).items():
            if row.get(field):
                row[field] = mask(row[field])
        result.append(row)
    return result


def _domain_model(label: str):
    app_label, name = label.split(".")
    return apps.get_model(app_label, name) if apps.is_installed(app_label) else None


def _domain_modules():
    return [import_module(path) for app_label, path in DOMAIN_MODULES.items() if apps.is_installed(app_label)]


def _mask_id(value: str) -> str:
    value = (value or "").strip()
    return f"{value[:4]}{'*' * 10}{value[-4:]}" if len(value) == 18 else "******"


def _account(user) -> list[dict]:
    return [{
        "id": user.pk, "phone": user.phone, "name": user.name, "email": user.email,
        "date_joined": user.date_joined, "last_login": user.last_login, "phone_verified_at": user.phone_verified_at,
        "is_active": user.is_active, "is_superuser": user.is_superuser,
    }]


def _roles(user) -> list[dict]:
    return [{"role": a.role, "role_label": str(a.get_role_display()), "region": a.region.full_name if a.region_id else "",
             "granted_at": a.granted_at} for a in user.role_assignments.select_related("region").order_by("pk")]


def _domain_sections(user) -> dict[str, list[dict]]:
    """The rows of the other apps that name this user, reached by name (the apps may be absent)."""
    sections: dict[str, list[dict]] = {}
    Membership = _domain_model("orgs.Membership")
    if Membership is not None:
        sections["memberships"] = [
            {"organization_id": m.organization_id, "organization": m.organization.name, "role": m.role,
             "joined_at": m.joined_at}
            for m in Membership.objects.filter(user=user).select_related("organization").order_by("pk")
        ]
    tables = [
        # section, model, field naming the user, fields left out, fields masked
        ("org_applications", "orgs.Application", "applicant", (), {"legal_representative_id_number": _mask_id}),
        ("org_application_documents", "orgs.ApplicationDocument", "uploaded_by", ("file",), None),
        ("grant_applications", "grants.GrantApplication", "applicant", (), None),
        ("grant_reviews", "grants.Review", "reviewer", (), None),
        ("bid_reviews", "grants.BidReview", "reviewer", (), None),
        ("ratings", "evaluations.Rating", "user", (), None),
        ("evaluation_scores", "evaluations.Score", "scorer", (), None),
        ("evaluation_review_requests", "evaluations.ReviewRequest", "requested_by", (), None),
    ]
    for section, label, user_field, exclude, masked in tables:
        model = _domain_model(label)
        if model is not None:
            sections[section] = rows(model.objects.filter(**{user_field: user}), exclude=exclude, masked=masked)
    return sections


def personal_data(user) -> dict:
    """Everything the portal holds about ``user``, as sections of rows (no side effects; see :func:`export`)."""
    from wagtail.models import APIToken

    sections = {"account": _account(user), "roles": _roles(user)}
    sections.update(_domain_sections(user))
    for module in _domain_modules():
        sections.update(module.export_sections(user))
    sections["notifications"] = rows(Notification.objects.filter(user=user))
    sections["api_tokens"] = rows(APIToken.objects.filter(user=user), exclude=("key_hash",))
    sections["activity_log"] = rows(AuditEntry.objects.filter(actor=user), exclude=("actor_id", "content_type_id"))
    return {"format_version": FORMAT_VERSION, "generated_at": timezone.now(), "subject": user.pk,
            "sections": sections}


@transaction.atomic
def export(user, *, acting_user) -> dict:
    """The person's own data for download, audited ("personal_data.export"). Only the person themself may."""
    if acting_user.pk != user.pk:
        raise DomainError("只能下载本人的个人信息。")
    data = personal_data(user)
    audit.record("personal_data.export", actor=acting_user, obj=user,
                 after={"sections": {name: len(items) for name, items in data["sections"].items()}})
    return data


def as_json(data: dict) -> bytes:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


def as_zip(data: dict) -> bytes:
    """``data.json`` plus one CSV per non-empty section, UTF-8 with a BOM so that Excel reads Chinese."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", as_json(data))
        for name, items in data["sections"].items():
            if not items:
                continue
            text = io.StringIO()
            columns = list(dict.fromkeys(key for item in items for key in item))
            writer = csv.DictWriter(text, fieldnames=columns)
            writer.writeheader()
            for item in items:
                writer.writerow({key: _cell(item.get(key)) for key in columns})
            archive.writestr(f"{name}.csv", "\ufeff" + text.getvalue())
    return buffer.getvalue()


def _cell(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return "" if value is None else value


# --- erasure --------------------------------------------------------------------------------------------------
def erasure_obstacles(user) -> list[str]:
    """Why ``user`` cannot be erased now (an empty list when they can), each a Chinese sentence saying what to
    do first."""
    problems = []
    if user.is_superuser or user.is_staff:
        problems.append("系统管理员账号不能自助注销，请由其他管理员停用。")
    held = {a.role for a in user.role_assignments.all()}
    for role, label in BLOCKING_ROLES.items():
        if role in held:
            problems.append(f"您是{label}，经手的审批、评审或核销需要保留经办人，请先由授权单位撤销该角色后再申请注销。")
    Membership = _domain_model("orgs.Membership")
    if Membership is not None and Membership.objects.filter(user=user).exists():
        problems.append("您是社会组织的经办人或负责人，请先由组织负责人将您移出组织（或移交工作）后再申请注销。")
    Merchant = _domain_model("volunteers.Merchant")
    if Merchant is not None and Merchant.objects.filter(members=user).exists() and Role.MERCHANT not in held:
        problems.append("您是爱心商家的经办人，请先由商家或民政干部将您移出后再申请注销。")
    for module in _domain_modules():
        problems += module.erasure_obstacles(user)
    return problems


def _forget_sign_in_attempts(phone: str) -> None:
    """django-axes keeps sign-in attempts by the number typed; the erased number's rows go with it."""
    if not apps.is_installed("axes"):
        return
    for name in ("AccessAttempt", "AccessLog", "AccessFailureLog"):
        try:
            model = apps.get_model("axes", name)
        except LookupError:
            continue
        model.objects.filter(username=phone).delete()


def pseudonym_for(user, number: int) -> str:
    volunteer = _domain_model("volunteers.Volunteer")
    if volunteer is not None and volunteer.objects.filter(user=user).exists():
        return f"已注销志愿者#{number}"
    return f"已注销用户#{number}"


@transaction.atomic
def erase(user, *, acting_user, password: str) -> str:
    """Pseudonymize ``user`` at their own request, re-confirmed by their password; return the pseudonym.

    The name becomes "已注销志愿者#<n>" (or "已注销用户#<n>"); phone, e-mail and the volunteer's ID number and
    phone are replaced by non-identifying unique placeholders or cleared; the account is deactivated with an
    unusable password (so every session ends and nobody can sign in), API tokens are revoked, phone codes and
    notifications deleted. Service records, ledger transfers, vouchers, ratings and certificates keep their
    rows and keys, so every balance and total is unchanged. One audit row ("personal_data.erase") in the
    volunteer's region lets the officers of that region see that it happened.
    """
    from wagtail.models import APIToken

    if acting_user.pk != user.pk:
        raise ErasureRefused("只能由本人申请注销。")
    # Lock the user row: two erasure requests (double click, two tabs) run one after the other, and the second
    # finds the account already deactivated.
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise ErasureRefused("该账号已注销。")
    if not user.check_password(password or ""):
        raise ErasureRefused("密码不正确，请重新输入。", code="password")
    problems = erasure_obstacles(user)
    if problems:
        raise ErasureRefused(problems[0])
    old_phone = user.phone
    number = next_value("erasure")
    pseudonym = pseudonym_for(user, number)
    region, kept = None, {}
    for module in _domain_modules():
        outcome = module.pseudonymize(user, pseudonym=pseudonym, acting_user=acting_user) or {}
        region = outcome.pop("region", None) or region
        kept.update(outcome)
    user.name = pseudonym
    user.phone = f"{ERASED_PHONE_PREFIX}{number:010d}"
    user.email = ""
    user.phone_verified_at = None
    user.is_active = False
    user.set_unusable_password()  # changes the session hash: every open session of this account ends
    user.save()
    for token in APIToken.objects.filter(user=user, revoked_at__isnull=True):
        token.revoke()
    PhoneVerification.objects.filter(user=user).delete()
    Notification.objects.filter(user=user).delete()
    _forget_sign_in_attempts(old_phone)
    # The row names the pseudonym only (actor and object are the erased account): the log keeps no copy of what
    # was erased, and the region's officers see that an erasure happened and what was kept.
    audit.record("personal_data.erase", actor=user, obj=user, region=region,
                 after={"pseudonym": pseudonym, "erasure_number": number, **kept})
    return pseudonym
