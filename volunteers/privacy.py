"""爱心银行's part of a person's 个人信息保护法 requests (called by :mod:`core.privacy`, which imports no domain app):
the volunteer's rows for their own-data download, what must be settled before an erasure, and the
pseudonymization itself.

Pseudonymization keeps the :class:`~volunteers.models.Volunteer` row, its number, region, points account and
every sign-up, service record, correction, transfer, voucher, award and certificate that points at it, so the
ledger, the hours and the certificates others verified stay exactly as they were; only what identifies the
person (real name, ID number, phone, skills, the consent to show the name) is replaced or cleared. An unspent
balance stays on the account (decided: the ledger keeps balancing, nobody can spend it, and an expiry run treats
it like any other balance).
"""

from django.db.models import Q
from django.utils import timezone

from core.privacy import rows

from . import services
from .models import Award, Certificate, Correction, ServiceRecord, SignUp, Volunteer, Voucher

OPEN_SIGNUPS = [SignUp.Status.CONFIRMED, SignUp.Status.WAITLISTED]


def export_sections(user) -> dict[str, list[dict]]:
    """The volunteer's own rows, their ID number unmasked (it is theirs); empty for a user who never registered."""
    volunteer = Volunteer.objects.filter(user=user).select_related("region").first()
    if volunteer is None:
        return {}
    profile = rows(Volunteer.objects.filter(pk=volunteer.pk))
    for item in profile:
        item["region_name"] = volunteer.region.full_name
        item["points_balance"] = services.volunteer_balance(volunteer)
    ledger = [
        {"id": t.pk, "created_at": t.created_at, "source": t.source, "source_label": str(t.get_source_display()),
         "source_ref": t.source_ref, "change": t.change, "memo": t.memo}
        for t in services.statement(volunteer).order_by("created_at", "pk")
    ]
    return {
        "volunteer_profile": profile,
        "signups": rows(SignUp.objects.filter(volunteer=volunteer)),
        "service_records": rows(ServiceRecord.objects.filter(volunteer=volunteer)),
        "corrections": rows(Correction.objects.filter(record__volunteer=volunteer)),
        "ledger_entries": ledger,
        "redemptions": rows(Voucher.objects.filter(volunteer=volunteer), exclude=("request_fingerprint",)),
        "awards": rows(Award.objects.filter(volunteer=volunteer)),
        "certificates": rows(Certificate.objects.filter(volunteer=volunteer), exclude=("token",)),
    }


def erasure_obstacles(user) -> list[str]:
    """Promises still open to or from others: unused vouchers (a merchant holds stock for them) and places on
    shifts not yet over (an organizer counts on them)."""
    volunteer = Volunteer.objects.filter(user=user).first()
    if volunteer is None:
        return []
    problems = []
    vouchers = Voucher.objects.filter(volunteer=volunteer, status=Voucher.Status.ISSUED).count()
    if vouchers:
        problems.append(f"您还有 {vouchers} 张未使用的兑换券，请先使用或取消后再申请注销。")
    signups = SignUp.objects.filter(
        Q(volunteer=volunteer, status__in=OPEN_SIGNUPS, shift__ends_at__gt=timezone.now())
    ).count()
    if signups:
        problems.append(f"您还有 {signups} 个尚未结束的活动报名，请先取消报名或待活动结束后再申请注销。")
    return problems


def pseudonymize(user, *, pseudonym: str, acting_user) -> dict:
    """Replace what identifies the volunteer, inside the caller's transaction (core.privacy.erase holds the user
    row's lock); return the region for the audit row and what was kept, for the officers who read it."""
    volunteer = Volunteer.objects.select_for_update().filter(user=user).first()
    if volunteer is None:
        return {}
    Volunteer.objects.filter(pk=volunteer.pk).update(
        real_name=pseudonym, id_number=None, phone="", skills="", public_name_consent=False,
        pseudonymized_at=timezone.now(),
    )
    return {
        "region": volunteer.region,
        "volunteer_number": volunteer.number,
        "points_balance_kept": services.volunteer_balance(volunteer),
        "service_records_kept": ServiceRecord.objects.filter(volunteer=volunteer).count(),
    }
