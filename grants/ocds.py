"""Open Contracting Data Standard 1.1 releases of procurement projects and their contracts (DESIGN.md §4.3).

At each event the service appends one release (:func:`publish`): a complete snapshot of the project as it stands,
tagged with the event (planning, tender, tenderUpdate, tenderCancellation, award, contract, contractAmendment,
implementation, contractTermination). Releases are rows of :class:`~grants.models.OcdsRelease`, never edited
(triggers on SQLite and PostgreSQL refuse UPDATE and DELETE). The packages are assembled from those rows:

- release package ``/api/v1/ocds/releases.json`` (``?since=`` an ISO date-time: releases dated after it);
- record package ``/api/v1/ocds/records.json``: per ocid, every release and the compiled release (since each
  release is a complete snapshot, the compiled release is the latest one re-tagged ``compiled``).

Identifiers: ``ocid`` = ``settings.PORTAL_OCDS_PREFIX`` (``ocds-`` + six lowercase letters or digits) + ``-`` +
the project number; an organization is ``CN-USCC-<统一社会信用代码>`` (org-id.guide's list for China) when it has
one, else a local id. Money is CNY. Payments are ``contracts[].implementation.transactions`` (without ``source``:
the schema wants a URI of the data source there, and the treasury has none to give); milestones of the
payment schedule are ``contracts[].milestones`` (type financing) and the performance evaluation is an
``implementation.milestones`` entry of type assessment.
"""

from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core import triggers

from .models import (
    Bid,
    Contract,
    ContractPayment,
    Milestone,
    OcdsRelease,
    PerformanceEvaluation,
    ProcurementMethod,
    ProcurementProject,
)

TRIGGER_TABLE = OcdsRelease._meta.db_table
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS grants_ocdsrelease_no_update BEFORE UPDATE ON {TRIGGER_TABLE}
        BEGIN SELECT RAISE(ABORT, 'OCDS releases are append-only'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS grants_ocdsrelease_no_delete BEFORE DELETE ON {TRIGGER_TABLE}
        BEGIN SELECT RAISE(ABORT, 'OCDS releases are append-only'); END""",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS grants_ocdsrelease_no_update", "DROP TRIGGER IF EXISTS grants_ocdsrelease_no_delete"]
POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION grants_ocdsrelease_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'OCDS releases are append-only'; END; $$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS grants_ocdsrelease_no_update ON {TRIGGER_TABLE}",
    f"""CREATE TRIGGER grants_ocdsrelease_no_update BEFORE UPDATE OR DELETE ON {TRIGGER_TABLE}
        FOR EACH ROW EXECUTE FUNCTION grants_ocdsrelease_append_only()""",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS grants_ocdsrelease_no_update ON {TRIGGER_TABLE}",
    "DROP FUNCTION IF EXISTS grants_ocdsrelease_append_only()",
]

# 采购方式 → OCDS procurementMethod (closed codelist): 公开招标 is open; 邀请招标 invites qualified suppliers
# (selective); 竞争性谈判, 竞争性磋商 and 询价 are held with suppliers the purchaser selects (limited); 单一来源 is
# direct. The Chinese name goes in procurementMethodDetails.
METHODS = {
    ProcurementMethod.OPEN: "open", ProcurementMethod.INVITED: "selective",
    ProcurementMethod.NEGOTIATION: "limited", ProcurementMethod.CONSULTATION: "limited",
    ProcurementMethod.INQUIRY: "limited", ProcurementMethod.SINGLE: "direct",
}
TENDER_STATUS = {
    "planned": "planned", "announced": "active", "closed": "active", "evaluating": "active",
    "awarded": "complete", "contracted": "complete", "failed": "unsuccessful", "cancelled": "cancelled",
}
CONTRACT_STATUS = {"draft": "pending", "active": "active", "completed": "terminated", "terminated": "terminated"}
MILESTONE_STATUS = {"pending": "scheduled", "submitted": "scheduled", "confirmed": "met", "paid": "met"}


def prefix() -> str:
    return settings.PORTAL_OCDS_PREFIX


def ocid_of(project: ProcurementProject) -> str:
    return f"{prefix()}-{project.number}"


def _iso(moment) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _date(day) -> str:
    """A date as the start of that day in the portal's time zone (OCDS dates are date-times)."""
    return f"{day.isoformat()}T00:00:00+08:00"


def _money(amount) -> dict:
    return {"amount": float(Decimal(amount).quantize(Decimal("0.01"))), "currency": "CNY"}


def _url(path: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def _org_party(organization) -> tuple[str, dict]:
    if organization.credit_code:
        identifier = {"scheme": "CN-USCC", "id": organization.credit_code, "legalName": organization.name}
        party_id = f"CN-USCC-{organization.credit_code}"
    else:
        identifier = {"id": str(organization.pk), "legalName": organization.name}
        party_id = f"{prefix()}-org-{organization.pk}"
    return party_id, {"id": party_id, "name": organization.name, "identifier": identifier,
                      "address": {"region": organization.region.name, "countryName": "中国"}}


def _buyer_party(purchaser) -> tuple[str, dict]:
    party_id = (f"CN-USCC-{purchaser.credit_code}" if purchaser.credit_code else f"{prefix()}-purchaser-{purchaser.pk}")
    party = {"id": party_id, "name": purchaser.name,
             "address": {"region": purchaser.region.name, "countryName": "中国"},
             "contactPoint": {"name": purchaser.contact_name, "telephone": purchaser.contact_phone},
             "roles": ["buyer", "procuringEntity", "payer"]}
    if purchaser.credit_code:
        party["identifier"] = {"scheme": "CN-USCC", "id": purchaser.credit_code, "legalName": purchaser.name}
    return party_id, party


def _document(document, document_type: str, url: str) -> dict:
    return {"id": f"{document_type}-{document.pk}", "documentType": document_type, "title": getattr(
        document, "title", "") or document.original_name, "url": url, "format": document.content_type,
        "datePublished": _iso(document.uploaded_at),
        "description": f"SHA-256 {document.sha256}"}


def build(project: ProcurementProject) -> dict:
    """The project's complete release content (without id, date and tag) from the rows as they stand now."""
    project = (ProcurementProject.objects.select_related("purchaser__region", "category", "region",
                                                         "winning_bid__organization__region")
               .prefetch_related("documents").get(pk=project.pk))
    buyer_id, buyer = _buyer_party(project.purchaser)
    parties = {buyer_id: buyer}
    tender = {
        "id": project.number,
        "title": project.title,
        "description": project.description,
        "status": TENDER_STATUS[project.status],
        "procuringEntity": {"id": buyer_id, "name": project.purchaser.name},
        "value": _money(project.budget),
        "procurementMethod": METHODS[project.method],
        "procurementMethodDetails": project.get_method_display(),
        "mainProcurementCategory": "services",
        "awardCriteria": "ratedCriteria",
        "awardCriteriaDetails": (f"综合评分法：价格分 {project.price_weight}%（最低有效报价得满分，其余按最低报价/投标报价计），"
                                 f"技术分 {project.technical_weight}%（"
                                 + "、".join(f"{c.name}{c.weight}分" for c in project.criteria.all()) + "）"),
        "items": [{"id": "1", "description": project.title,
                   "classification": {"scheme": "CN-GPS-CATALOGUE", "id": project.category.code,
                                      "description": project.category.name}}],
        "documents": [_document(d, "biddingDocuments", _url(reverse("grants:procurement_document",
                                                                       args=[project.pk, d.pk])))
                      for d in project.documents.all()],
    }
    if project.bids_open_at and project.bids_close_at:
        tender["tenderPeriod"] = {"startDate": _iso(project.bids_open_at), "endDate": _iso(project.bids_close_at)}
    if not project.is_sealed():
        bids = list(Bid.objects.filter(project=project, status=Bid.Status.SUBMITTED).select_related("organization__region"))
        tender["numberOfTenderers"] = len(bids)
        tender["tenderers"] = []
        for bid in bids:
            party_id, party = _org_party(bid.organization)
            parties.setdefault(party_id, party).setdefault("roles", []).append("tenderer")
            tender["tenderers"].append({"id": party_id, "name": bid.organization.name})
    release = {
        "initiationType": "tender",
        "language": "zh",
        "buyer": {"id": buyer_id, "name": project.purchaser.name},
        "planning": {"budget": {"description": project.budget_line, "amount": _money(project.budget)},
                     "rationale": f"政府购买服务指导性目录：{project.category}"},
        "tender": tender,
    }
    if project.winning_bid_id:
        bid = project.winning_bid
        party_id, party = _org_party(bid.organization)
        roles = parties.setdefault(party_id, party).setdefault("roles", [])
        roles.append("supplier")
        release["awards"] = [{
            "id": f"{project.number}-award", "title": f"{project.title}中标结果",
            "status": "cancelled" if project.status == ProcurementProject.Status.CANCELLED else "active",
            "date": _iso(project.awarded_at), "value": _money(bid.price),
            "suppliers": [{"id": party_id, "name": bid.organization.name}],
            "description": f"综合得分 {bid.total_score}，排名第 {bid.rank}。",
        }]
        contract = Contract.objects.filter(project=project).exclude(status=Contract.Status.DRAFT).first()
        if contract is not None:
            release["contracts"] = [_contract(contract, project, buyer_id, party_id, roles)]
    for party in parties.values():
        party["roles"] = sorted(set(party.get("roles", [])))
    release["parties"] = list(parties.values())
    return release


def _contract(contract: Contract, project, buyer_id: str, supplier_id: str, supplier_roles: list) -> dict:
    data = {
        "id": contract.number, "awardID": f"{project.number}-award", "title": contract.title,
        "description": contract.service_content, "status": CONTRACT_STATUS[contract.status],
        "period": {"startDate": _date(contract.starts_on), "endDate": _date(contract.ends_on)},
        "value": _money(contract.value), "dateSigned": _date(contract.signed_on),
        "items": [{"id": str(d.pk), "description": d.name, "quantity": d.target, "unit": {"name": d.unit}}
                  for d in contract.deliverables.all()],
        "milestones": [
            {"id": f"milestone-{m.sequence}", "title": m.title, "type": "financing", "dueDate": _date(m.due_on),
             "status": MILESTONE_STATUS[m.status], "value": _money(m.amount),
             **({"dateMet": _iso(m.confirmed_at)} if m.confirmed_at else {})}
            for m in Milestone.objects.filter(contract=contract).order_by("sequence")
        ],
    }
    amendments = list(contract.amendments.all())
    if amendments:
        data["amendments"] = [{"id": str(a.sequence), "date": _iso(a.amended_at), "rationale": a.reason,
                               "description": "；".join(f"{k}: {v['before']} → {v['after']}" for k, v in a.changes.items())}
                              for a in amendments]
    implementation = {}
    payments = list(ContractPayment.objects.filter(contract=contract).select_related("milestone").order_by("paid_on", "pk"))
    if payments:
        supplier_roles.append("payee")
        implementation["transactions"] = [
            {"id": f"{contract.number}-payment-{p.pk}", "date": _date(p.paid_on),
             "value": _money(p.amount), "payer": {"id": buyer_id, "name": project.purchaser.name},
             "payee": {"id": supplier_id, "name": contract.organization.name}}
            for p in payments
        ]
    evaluation = PerformanceEvaluation.objects.filter(contract=contract,
                                                      status=PerformanceEvaluation.Status.FINISHED).first()
    if evaluation is not None:
        implementation["milestones"] = [{
            "id": "performance-evaluation", "title": "绩效评价", "type": "assessment",
            "status": "met" if evaluation.grade != PerformanceEvaluation.Grade.FAIL else "notMet",
            "dateMet": _iso(evaluation.finished_at),
            "description": (f"综合得分 {evaluation.final_score}，等级 {evaluation.get_grade_display()}，满意率 "
                            f"{evaluation.satisfaction}%（{evaluation.responses} 份答卷）；尾款支付比例 "
                            f"{PerformanceEvaluation.PAYMENT_PERCENT[evaluation.grade]}%。"),
        }]
    if implementation:
        data["implementation"] = implementation
    return data


def publish(project: ProcurementProject, tags: list[str]) -> OcdsRelease:
    """Append the release of an event; the caller's transaction holds the project's lock, so releases of one
    project are numbered in order."""
    now = timezone.now()
    ocid = ocid_of(project)
    count = OcdsRelease.objects.filter(project=project).count() + 1
    release_id = f"{ocid}-{count:03d}"
    data = {"ocid": ocid, "id": release_id, "date": _iso(now), "tag": list(tags), **build(project)}
    return OcdsRelease.objects.create(project=project, ocid=ocid, release_id=release_id, date=now, tags=list(tags),
                                      data=data)


def _package_meta(path: str) -> dict:
    return {
        "uri": _url(path),
        "version": "1.1",
        "publishedDate": _iso(timezone.now()),
        "publisher": {"name": settings.PORTAL_OCDS_PUBLISHER},
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "publicationPolicy": _url("/open-data/"),
    }


def release_package(since=None, *, path: str = "/api/v1/ocds/releases.json") -> dict:
    releases = OcdsRelease.objects.order_by("date", "pk")
    if since is not None:
        releases = releases.filter(date__gt=since)
    return {**_package_meta(path), "releases": [r.data for r in releases.only("data").iterator(chunk_size=500)]}


def record_package(*, path: str = "/api/v1/ocds/records.json") -> dict:
    records: dict[str, list[dict]] = {}
    for release in OcdsRelease.objects.order_by("ocid", "date", "pk").only("ocid", "data").iterator(chunk_size=500):
        records.setdefault(release.ocid, []).append(release.data)
    out = []
    for ocid, releases in records.items():
        compiled = {**releases[-1], "id": f"{ocid}-compiled", "tag": ["compiled"]}
        out.append({"ocid": ocid, "releases": releases, "compiledRelease": compiled})
    return {**_package_meta(path), "records": out}


def install_triggers(conn=None) -> None:
    """Make the table refuse UPDATE and DELETE (run by the migration; tests re-run it after a flush)."""
    triggers.run({"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}, conn)


def drop_triggers(conn=None) -> None:
    """Only for emptying a SQLite test database between transactional tests (its flush deletes row by row)."""
    triggers.run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}, conn)
