"""Incubator grants as 360Giving open data (360Giving Data Standard 1.4.3; schema and licence vendored under
``grants/standards/360giving-1.4.3/``), served at ``/api/v1/grants.360giving.json``.

Every award under a published or finished call is one grant. The choices the standard leaves to the publisher:

- Identifiers. A grant is ``360G-<prefix>-<application number>`` (the number is public, stable and unique across
  calls); ``<prefix>`` is ``settings.PORTAL_360GIVING_PREFIX``. A recipient registered with a 统一社会信用代码 is
  ``CN-USCC-<code>``; an organization without one (a filed 社区社会组织 has a filing number) has no register in the
  org-id.guide lists, so — as the 360Giving organisation-identifier guidance says for organisations without a
  registered number — it gets an identifier under our own prefix, ``360G-<prefix>-ORG-<filing number or id>``.
  The funder is the civil-affairs bureau of the call's region, ``360G-<prefix>-MZJ-<division code>``, named
  ``<region>民政局`` (the bureau has a credit code, but the portal does not record it).
- Money is CNY in numbers with two decimals (``12345.00``; JSON numbers, never strings). ``amountAwarded`` is the
  award, ``amountAppliedFor`` the request, ``amountDisbursed`` what the grantee holds now: payments less clawbacks,
  which is ``Award.paid_total``.
- Transactions. Each paid tranche is one ``disbursementTransaction`` (positive, dated the day it was paid). A
  clawback (追回) is a *negative* disbursement transaction dated the day it was recovered, with the reason as its
  description: the money came back along the same channel, the transactions still add up to ``amountDisbursed``
  as the standard asks, and ``amountAwarded`` keeps the decision that was made. Stopped and pending tranches are
  not transactions (nothing moved).
- Places. ``recipientOrganization[].location`` and ``beneficiaryLocation`` are the organization's region: its
  name, ``countryCode`` CN and ``geoCode`` the national division code (GB/T 2260, or the twelve-digit statistical
  code below district level). ``geoCodeType`` is left out: its codelist only knows UK gazetteers.
  ``addressLocality`` is the city (市) and ``addressRegion`` the district or county (区县) of that region.
- ``plannedDates`` come from the application's start and end dates when it gave them; ``grantProgramme`` is the
  call (code = the call's id); ``fromOpenCall`` is always "Yes": every call is an open call for applications.
- The publisher is the bureau at the top of the region tree (贵阳市民政局 for the reference data).

A package of no grants is still served, but the 360Giving package schema wants at least one grant, so it only
validates once something has been awarded.

The whole package is built in three queries whatever the number of grants (awards with their application,
organization, regions and call in one; their disbursements in a second; the publisher's region in a third). The
view first asks one aggregate query for a fingerprint of everything the package shows; the fingerprint is the
ETag (a matching ``If-None-Match`` costs that one query) and the cache key of the built body.
"""

import datetime
import hashlib
import json
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Substr
from django.utils import timezone

from core.models import Region

from .models import Award, Disbursement, FundingCall

SCHEMA_VERSION = "1.4"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
CURRENCY = "CNY"
PUBLIC_CALL_STATUSES = (FundingCall.Status.PUBLISHED, FundingCall.Status.FINISHED)
CACHE_SECONDS = 300
CITY_DEPTH, DISTRICT_DEPTH = 1, 2


def prefix() -> str:
    return settings.PORTAL_360GIVING_PREFIX


def grant_id(application) -> str:
    return f"360G-{prefix()}-{application.number}"


def organization_id(organization) -> str:
    if organization.credit_code:
        return f"CN-USCC-{organization.credit_code}"
    return f"360G-{prefix()}-ORG-{organization.filing_number or organization.pk}"


def bureau_id(region) -> str:
    return f"360G-{prefix()}-MZJ-{region.code}"


def bureau_name(region) -> str:
    return f"{region.name}民政局"


def _ancestor_name(depth: int) -> Subquery:
    """The name of the organization region's ancestor at ``depth`` (its city or district), from the path."""
    return Subquery(Region.objects.filter(
        path=Substr(OuterRef("application__organization__region__path"), 1, Region.steplen * depth), depth=depth,
    ).values("name")[:1])


def public_awards() -> QuerySet:
    """Awards under calls the public may see: every grant the package publishes."""
    return Award.objects.filter(application__call__status__in=PUBLIC_CALL_STATUSES)


def awards_for_export() -> QuerySet:
    disbursements = Disbursement.objects.select_related("tranche").order_by("paid_on", "pk")
    return (
        public_awards()
        .select_related("application", "application__organization", "application__organization__region",
                        "application__call", "application__call__region")
        .annotate(org_city=_ancestor_name(CITY_DEPTH), org_district=_ancestor_name(DISTRICT_DEPTH))
        .prefetch_related(Prefetch("disbursements", queryset=disbursements))
        .order_by("application__call_id", "awarded_at", "pk")
    )


def _moment(value: datetime.datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def _location(region) -> dict:
    return {"name": region.name, "geoCode": region.code, "countryCode": "CN"}


def _transaction(award, disbursement, funder: str, recipient: str) -> dict:
    if disbursement.kind == Disbursement.Kind.PAYMENT:
        tranche = disbursement.tranche
        description = f"第 {tranche.sequence} 期拨付（{tranche.get_condition_display()} {tranche.percent}%）"
    else:
        description = f"追回：{disbursement.reason}"
    if disbursement.reference:
        description += f"，凭证号 {disbursement.reference}"
    return {
        "id": f"{grant_id(award.application)}-D{disbursement.pk}",
        "transactionDate": disbursement.paid_on.isoformat(),
        "currency": CURRENCY,
        "value": disbursement.amount,
        "description": description,
        "provider": funder,
        "recipient": recipient,
        "dateModified": _moment(disbursement.recorded_at),
    }


def grant(award, *, base_url: str = "") -> dict:
    """One award as a 360Giving grant (money as Decimal; :func:`dumps` writes it as a number)."""
    application = award.application
    call = application.call
    organization = application.organization
    region = organization.region
    funder, recipient = bureau_id(call.region), organization_id(organization)
    disbursements = list(award.disbursements.all())
    recipient_row = {"id": recipient, "name": organization.name, "organisationType": str(organization.get_kind_display())}
    if getattr(award, "org_city", None):
        recipient_row["addressLocality"] = award.org_city
    if getattr(award, "org_district", None):
        recipient_row["addressRegion"] = award.org_district
    recipient_row["addressCountry"] = "中国"
    recipient_row["location"] = [_location(region)]
    programme = {"code": str(call.pk), "title": call.title, "description": str(call.get_kind_display())}
    if base_url:
        programme["url"] = f"{base_url}/api/v1/grants/calls/{call.pk}"
    row = {
        "id": grant_id(application),
        "title": application.project_title,
        "description": application.summary.strip() or application.project_title,
        "currency": CURRENCY,
        "amountAppliedFor": application.requested_amount,
        "amountAwarded": award.amount,
        "amountDisbursed": award.paid_total,
        "awardDate": timezone.localdate(award.awarded_at).isoformat(),
    }
    if application.starts_on or application.ends_on:
        planned = {}
        if application.starts_on:
            planned["startDate"] = application.starts_on.isoformat()
        if application.ends_on:
            planned["endDate"] = application.ends_on.isoformat()
        row["plannedDates"] = [planned]
    row.update({
        "recipientOrganization": [recipient_row],
        "beneficiaryLocation": [_location(region)],
        "fundingOrganization": [{"id": funder, "name": bureau_name(call.region)}],
        "grantProgramme": [programme],
        "fromOpenCall": "Yes",
        "disbursementTransaction": [_transaction(award, d, funder, recipient) for d in disbursements],
        "dateModified": _moment(max([application.updated_at, award.awarded_at, *(d.recorded_at for d in disbursements)])),
    })
    if base_url:
        row["dataSource"] = f"{base_url}/api/v1/grants.360giving.json"
    return row


def publisher_region() -> Region | None:
    return Region.objects.filter(depth=1).order_by("path").first()


def build_package(*, base_url: str = "") -> dict:
    """The 360Giving grant package of every public award, in three queries."""
    grants = [grant(award, base_url=base_url) for award in awards_for_export()]
    top = publisher_region()
    name = bureau_name(top) if top else "民政局"
    package = {
        "version": SCHEMA_VERSION,
        "title": f"{name}社会组织孵化资助数据",
        "description": "社会组织孵化资助（初创补贴、开办扶持、专项扶持、以奖代补、公益创投）的资助决定、分期拨付与追回，"
                       "按 360Giving 数据标准 1.4 发布。金额单位为人民币元（CNY）。",
        "identifier": f"360G-{prefix()}-grants",
        "issued": timezone.localdate().isoformat(),
        "publisher": {"name": name, "identifier": bureau_id(top) if top else f"360G-{prefix()}",
                      "prefix": f"360G-{prefix()}"},
        "license": LICENSE,
        "grants": grants,
    }
    if base_url:
        package["publisher"]["website"] = f"{base_url}/"
        package["downloadURL"] = f"{base_url}/api/v1/grants.360giving.json"
        package["accessURL"] = f"{base_url}/"
    return package


def _encode(value) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def dumps(package: dict) -> str:
    """JSON text with every Decimal written as a number with two decimals (``10000.00``, ``-500.00``): the
    standard wants numbers, and a float would print ``10000.0``."""
    return _encode(package)


def fingerprint() -> str:
    """A digest of everything the package shows, from one aggregate query: how many public awards and
    disbursements there are and when their applications, calls and organizations last changed. It changes
    whenever the package would, so it serves as ETag and cache key."""
    facts = public_awards().aggregate(
        awards=Count("pk", distinct=True), last_award=Max("pk"), last_disbursement=Max("disbursements__pk"),
        disbursements=Count("disbursements", distinct=True), agreements=Count("pk", distinct=True, filter=Q(agreement_signed_on__isnull=False)),
        application_changed=Max("application__updated_at"), call_changed=Max("application__call__updated_at"),
        organization_changed=Max("application__organization__updated_at"),
    )
    text = json.dumps({**facts, "prefix": prefix(), "day": timezone.localdate()}, default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def package_body(etag: str, *, base_url: str = "") -> bytes:
    """The package as UTF-8 JSON, built once per fingerprint and base URL and kept in the cache."""
    key = f"grants:360giving:{etag}:{hashlib.sha256(base_url.encode()).hexdigest()[:12]}"
    body = cache.get(key)
    if body is None:
        body = dumps(build_package(base_url=base_url)).encode()
        cache.set(key, body, CACHE_SECONDS)
    return body
