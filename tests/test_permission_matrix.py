"""Every URL of the portal against every persona (issue 11): the expected status for each, generated from the URL
configuration. A URL added later without an entry here fails test_every_portal_url_has_an_entry."""

import datetime
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core import audit
from core.models import Role
from core.services import grant_role
from dashboards.reports import request_report, run_report
from evaluations.models import Result, ReviewRequest
from evaluations.services import submit_rating
from orgs import applications as services
from orgs.codes import make_credit_code
from orgs.credit import submit_annual_report
from orgs.models import AnnualReport, Application
from tests.evaluations.helpers import grading_campaign, public_campaign, values, verified_user
from tests.factories import UserFactory
from tests.orgs.test_applications import attach_all, service_institution
from tests.portal.factories import ShowcaseProjectPageFactory

PERSONAS = [
    "anonymous", "applicant", "other_member", "officer_nanming", "officer_yunyan", "city_officer", "reviewer",
    "volunteer", "other_volunteer", "merchant", "other_merchant", "outsider",
]
OFFICERS = {"officer_nanming", "officer_yunyan", "city_officer"}
NAMESPACES = {
    "accounts", "orgs", "api-v1", "audit", "org_applications", "annual_reports", "evaluations", "campaigns",
    "rating_review", "volunteers", "volunteer_admin", "volunteer_merchants", "volunteer_awards",
    "volunteer_categories", "grants", "grant_calls", "grant_applications", "incubation_bases",
    "procurement_projects", "procurement_contracts", "procurement_purchasers", "procurement_categories", "showcase",
    "dashboard_rows", "yearly_reports",
}
PROJECT_APPS = {"core", "orgs", "grants", "volunteers", "evaluations", "portal", "dashboards"}
TOP_LEVEL = {"home", "healthz", "sitemap", "sitemap_section", "robots_txt", "favicon", "search", "open-data"}


def everyone(status):
    return dict.fromkeys(PERSONAS, status)


def signed_in(status, anonymous=302):
    return {**everyone(status), "anonymous": anonymous}


def only(allowed: set, ok=200, others=404, anonymous=302):
    return {p: (ok if p in allowed else others) for p in PERSONAS} | {"anonymous": anonymous}


def admin(ok=200, scoped: set | None = None):
    """Wagtail admin pages: people without admin access are sent to the admin sign-in (302); officers outside
    the object's jurisdiction get 404."""
    result = {p: 302 for p in PERSONAS}
    for officer in OFFICERS:
        result[officer] = ok if scoped is None or officer in scoped else 404
    return result


NANMING_SIDE = {"applicant", "officer_nanming", "city_officer"}
NANMING_OFFICERS = {"officer_nanming", "city_officer"}
CITY = {"city_officer"}
VOLUNTEERS = {"volunteer", "other_volunteer"}  # both registered; "volunteer" owns the records and vouchers


def registered_only(ok=200, others=302):
    """Volunteer-centre pages: registered volunteers get the page, other signed-in people the registration form."""
    return {p: (ok if p in VOLUNTEERS else others) for p in PERSONAS} | {"anonymous": 302}


def volunteer_api(ok=200):
    return {p: (ok if p in VOLUNTEERS else 403) for p in PERSONAS} | {"anonymous": 401}

# name → (kwargs builder key, method, expected statuses)
MATRIX = {
    "home": ("none", "get", everyone(200)),
    "healthz": ("none", "get", everyone(200)),
    "sitemap": ("none", "get", everyone(200)),
    "sitemap_section": ("sitemap_section", "get", everyone(200)),
    "robots_txt": ("none", "get", everyone(200)),
    "favicon": ("none", "get", everyone(200)),
    "search": ("none", "get", everyone(200)),
    "open-data": ("none", "get", everyone(404)),  # this world has no published open data page
    "evaluations:results_export": ("campaign_csv", "get", everyone(404)),  # results not published yet
    "showcase:index": ("none", "get", signed_in(200)),
    "showcase:new": ("showcase_org", "get", only({"applicant"})),
    "showcase:edit": ("showcase_entry", "get", only({"applicant"})),
    "showcase:submit": ("showcase_entry", "get", only({"applicant"}, ok=405, others=405)),
    "showcase:withdraw": ("showcase_entry", "get", only({"applicant"}, ok=405, others=405)),
    "accounts:signup": ("none", "get", signed_in(302, anonymous=200)),
    "accounts:login": ("none", "get", signed_in(302, anonymous=200)),
    "accounts:logout": ("none", "get", everyone(405)),
    "accounts:profile": ("none", "get", signed_in(200)),
    "accounts:password_change": ("none", "get", signed_in(200)),
    "accounts:password_reset": ("none", "get", everyone(200)),
    "accounts:password_reset_done": ("none", "get", everyone(200)),
    "accounts:password_reset_confirm": ("reset", "get", everyone(200)),
    "accounts:password_reset_complete": ("none", "get", everyone(200)),
    "accounts:phone_verify": ("none", "get", signed_in(200)),
    "accounts:token_create": ("none", "get", signed_in(405)),
    "accounts:token_revoke": ("token", "get", signed_in(405)),
    "accounts:my_data": ("none", "get", signed_in(200)),
    "accounts:my_data_download": ("none", "get", signed_in(405)),  # POST only: the download is audited
    "accounts:erase": ("none", "get", signed_in(200)),  # the form, or why erasure must wait
    "orgs:directory": ("none", "get", everyone(200)),
    "orgs:export": ("export", "get", everyone(200)),
    "orgs:profile": ("organization", "get", everyone(200)),
    "orgs:verify": ("verification", "get", everyone(200)),
    "orgs:workspace": ("none", "get", signed_in(200)),
    "orgs:application_new": ("none", "get", signed_in(200)),
    "orgs:application_start": ("kind", "get", signed_in(200)),
    "orgs:application": ("application", "get", only(NANMING_SIDE)),
    "orgs:application_upload": ("application", "get", signed_in(405)),
    "orgs:document": ("document", "get", only(NANMING_SIDE)),
    "orgs:certificate_pdf": ("certificate", "get", only(NANMING_SIDE)),
    "orgs:annual_report": ("annual", "get", only({"applicant"})),
    "orgs:invite_member": ("organization", "get", signed_in(405)),
    "orgs:notification_read": ("notification", "get", signed_in(405)),
    "api-v1:api-root": ("none", "get", everyone(404)),
    "api-v1:unknown": ("none", "get", everyone(404)),  # the JSON 404 for any address no operation matches
    "api-v1:openapi-json": ("none", "get", everyone(200)),
    "api-v1:openapi-view": ("none", "get", everyone(200)),
    "api-v1:list_regions": ("none", "get", everyone(200)),
    "api-v1:get_region": ("region", "get", everyone(200)),
    "api-v1:list_organizations": ("none", "get", everyone(200)),
    "api-v1:get_organization": ("org_id", "get", everyone(200)),
    "api-v1:me": ("none", "get", signed_in(200, anonymous=401)),
    "api-v1:list_applications": ("none", "get", signed_in(200, anonymous=401)),
    "api-v1:get_application": ("application_id", "get", only(NANMING_SIDE, anonymous=401)),
    "audit:index": ("none", "get", admin()),
    "audit:index_results": ("none", "get", admin()),
    "audit:inspect": ("audit", "get", admin(scoped=NANMING_OFFICERS)),
    "org_applications:index": ("none", "get", admin()),
    "org_applications:index_results": ("none", "get", admin()),
    "org_applications:inspect": ("application", "get", admin(scoped=NANMING_OFFICERS)),
    "org_applications:decide": ("application", "get", admin(ok=302, scoped=NANMING_OFFICERS)),
    "annual_reports:index": ("none", "get", admin()),
    "annual_reports:index_results": ("none", "get", admin()),
    "annual_reports:inspect": ("report", "get", admin(scoped=NANMING_OFFICERS)),
    "annual_reports:decide": ("report", "get", admin(ok=302, scoped=NANMING_OFFICERS)),
    "evaluations:campaigns": ("none", "get", everyone(200)),
    "evaluations:campaign": ("campaign", "get", everyone(200)),
    "evaluations:report": ("campaign", "get", everyone(404)),  # results not published yet
    "evaluations:organization_report": ("campaign_org", "get", everyone(404)),
    "evaluations:poster": ("campaign_org", "get", everyone(200)),
    "evaluations:rate": ("campaign_org", "get", signed_in(302)),  # unverified phones go to verification first
    "evaluations:apply": ("grading_org", "get", signed_in(405)),
    "evaluations:mine": ("none", "get", signed_in(200)),
    "evaluations:scoring": ("none", "get", signed_in(200)),
    "evaluations:scoring_list": ("campaign", "get", only(OFFICERS | {"reviewer"})),  # reviewer: assigned expert
    "evaluations:score": ("campaign_org", "get", only(NANMING_OFFICERS | {"reviewer"})),
    "evaluations:review_request": ("result", "get", only({"applicant"})),
    "campaigns:index": ("none", "get", admin()),
    "campaigns:index_results": ("none", "get", admin()),
    "campaigns:add": ("none", "get", admin()),
    "campaigns:inspect": ("campaign", "get", admin(scoped=CITY)),
    "campaigns:edit": ("draft_campaign", "get", admin(scoped=CITY)),  # only a draft is editable
    "campaigns:act": ("campaign", "get", admin(ok=302, scoped=CITY)),
    "campaigns:decide_review": ("review", "get", admin(ok=302, scoped=CITY)),
    "rating_review:index": ("none", "get", admin()),
    "rating_review:index_results": ("none", "get", admin()),
    "rating_review:inspect": ("rating", "get", admin(scoped=NANMING_OFFICERS)),
    "rating_review:act": ("rating", "get", admin(ok=302, scoped=NANMING_OFFICERS)),
    "volunteers:activities": ("none", "get", everyone(200)),
    "volunteers:activity": ("activity", "get", everyone(200)),
    "volunteers:rewards": ("none", "get", everyone(200)),
    "volunteers:rankings": ("none", "get", everyone(200)),
    "volunteers:verify": ("cert_token", "get", everyone(200)),
    "volunteers:register": ("none", "get", {**signed_in(200), **dict.fromkeys(VOLUNTEERS, 302)}),
    "volunteers:centre": ("none", "get", registered_only()),
    "volunteers:profile": ("none", "get", registered_only()),
    "volunteers:my_code": ("none", "get", registered_only()),
    "volunteers:records": ("none", "get", registered_only()),
    "volunteers:statement": ("none", "get", registered_only()),
    "volunteers:request_correction": ("record", "get", only({"volunteer"})),
    "volunteers:issue_certificate": ("none", "get", signed_in(405)),
    "volunteers:certificate_pdf": ("certificate_pk", "get", only({"volunteer"})),
    "volunteers:voucher": ("voucher", "get", only({"volunteer"})),
    "volunteers:cancel_voucher": ("voucher", "get", signed_in(405)),
    "volunteers:sign_up": ("shift", "get", signed_in(405)),
    "volunteers:cancel_signup": ("signup", "get", signed_in(405)),
    "volunteers:shift_here": ("shift", "get", registered_only()),
    "volunteers:redeem": ("reward", "get", signed_in(405)),
    "volunteers:manage": ("none", "get", signed_in(200)),
    "volunteers:activity_new": ("none", "get", only({"applicant", "other_member"} | OFFICERS)),
    "volunteers:manage_activity": ("activity", "get", only(NANMING_SIDE)),
    "volunteers:shift_new": ("activity", "get", only(NANMING_SIDE)),
    "volunteers:cancel_activity": ("activity", "get", signed_in(405)),
    "volunteers:approve_records": ("activity", "get", signed_in(405)),
    "volunteers:roster": ("shift", "get", only(NANMING_SIDE)),
    "volunteers:scan": ("none", "get", signed_in(200)),
    "volunteers:attendance": ("signup", "get", signed_in(405)),
    "volunteers:decide_record": ("record", "get", signed_in(405)),
    "volunteers:decide_correction": ("correction", "get", signed_in(405)),
    "volunteers:merchant": ("none", "get", only({"merchant", "other_merchant"})),
    "volunteers:merchant_complete": ("none", "get", only({"merchant", "other_merchant"})),
    "volunteers:reward_new": ("merchant_pk", "get", only({"merchant"})),
    "volunteers:reward_edit": ("reward_edit", "get", only({"merchant"})),
    "volunteer_admin:index": ("none", "get", admin()),
    "volunteer_admin:index_results": ("none", "get", admin()),
    "volunteer_admin:inspect": ("volunteer_pk", "get", admin(scoped=NANMING_OFFICERS)),
    "volunteer_merchants:index": ("none", "get", admin()),
    "volunteer_merchants:index_results": ("none", "get", admin()),
    "volunteer_merchants:add": ("none", "get", admin()),
    "volunteer_merchants:inspect": ("merchant_obj", "get", admin(scoped=NANMING_OFFICERS)),
    "volunteer_merchants:edit": ("merchant_obj", "get", admin(scoped=NANMING_OFFICERS)),
    "volunteer_awards:index": ("none", "get", admin()),
    "volunteer_awards:index_results": ("none", "get", admin()),
    "volunteer_awards:add": ("none", "get", admin()),
    "volunteer_categories:index": ("none", "get", admin()),
    "volunteer_categories:index_results": ("none", "get", admin()),
    "volunteer_categories:add": ("none", "get", admin(ok=302)),  # only a superuser sets points rules
    "volunteer_categories:edit": ("category", "get", admin(ok=302)),
    "grants:calls": ("none", "get", everyone(200)),
    "grants:call": ("call", "get", everyone(200)),
    "grants:bases": ("none", "get", everyone(200)),
    "grants:workspace": ("none", "get", signed_in(200)),
    "grants:application_start": ("call_org", "get", signed_in(405)),
    "grants:application": ("grant_application", "get", only({"applicant"})),
    "grants:report": ("grant_report", "get", only({"applicant"})),
    "grants:document": ("grant_document", "get", only({"applicant"})),
    "grants:report_document": ("grant_report_document", "get", only({"applicant"})),
    "grants:reviews": ("none", "get", signed_in(200)),
    "grants:review": ("grant_review", "get", only({"reviewer"})),
    "grants:review_document": ("grant_review_document", "get", only({"reviewer"})),
    "grant_calls:index": ("none", "get", admin()),
    "grant_calls:index_results": ("none", "get", admin()),
    "grant_calls:add": ("none", "get", admin()),
    "grant_calls:edit": ("draft_call", "get", admin(scoped=NANMING_OFFICERS)),
    "grant_calls:inspect": ("call", "get", admin(scoped=NANMING_OFFICERS)),
    "grant_calls:export": ("none", "get", admin()),
    "grant_applications:index": ("none", "get", admin()),
    "grant_applications:index_results": ("none", "get", admin()),
    "grant_applications:inspect": ("grant_application", "get", admin(scoped=NANMING_OFFICERS)),
    "grant_applications:document": ("grant_document", "get", admin(scoped=NANMING_OFFICERS)),
    "grant_applications:report_document": ("grant_report_document", "get", admin(scoped=NANMING_OFFICERS)),
    "incubation_bases:index": ("none", "get", admin()),
    "incubation_bases:index_results": ("none", "get", admin()),
    "incubation_bases:add": ("none", "get", admin()),
    "incubation_bases:edit": ("base", "get", admin(scoped=NANMING_OFFICERS)),
    "incubation_bases:inspect": ("base", "get", admin(scoped=NANMING_OFFICERS)),
    "grants:procurements": ("none", "get", everyone(200)),
    "grants:procurement": ("project", "get", everyone(200)),
    "grants:procurement_document": ("project_document", "get", everyone(200)),
    "grants:procurement_award": ("project", "get", everyone(200)),
    "grants:contract": ("contract", "get", everyone(200)),
    "grants:survey": ("survey", "get", everyone(200)),
    "grants:survey_poster": ("survey", "get", everyone(200)),
    "grants:procurement_workspace": ("none", "get", signed_in(200)),
    "grants:bid": ("open_project_org", "get", only({"applicant"})),
    "grants:bid_document": ("bid_document", "get", only({"applicant"})),
    "grants:contract_workspace": ("contract", "get", only({"applicant"})),
    "grants:delivery_evidence": ("delivery", "get", only({"applicant"})),
    "grants:bid_reviews": ("none", "get", signed_in(200)),
    "grants:bid_review": ("bid_review", "get", only({"reviewer"})),
    "grants:bid_review_document": ("bid_review_document", "get", only({"reviewer"})),
    "procurement_projects:index": ("none", "get", admin()),
    "procurement_projects:index_results": ("none", "get", admin()),
    "procurement_projects:add": ("none", "get", admin()),
    "procurement_projects:edit": ("planned_project", "get", admin(scoped=NANMING_OFFICERS)),
    "procurement_projects:inspect": ("project", "get", admin(scoped=NANMING_OFFICERS)),
    "procurement_projects:export": ("none", "get", admin()),
    "procurement_projects:document": ("project_document_pk", "get", admin(scoped=NANMING_OFFICERS)),
    "procurement_projects:bid_document": ("bid_document", "get", admin(scoped=NANMING_OFFICERS)),
    "procurement_contracts:index": ("none", "get", admin()),
    "procurement_contracts:index_results": ("none", "get", admin()),
    "procurement_contracts:inspect": ("contract", "get", admin(scoped=NANMING_OFFICERS)),
    "procurement_contracts:edit": ("draft_contract", "get", admin(scoped=NANMING_OFFICERS)),
    "procurement_contracts:evidence": ("delivery", "get", admin(scoped=NANMING_OFFICERS)),
    "procurement_purchasers:index": ("none", "get", admin()),
    "procurement_purchasers:index_results": ("none", "get", admin()),
    "procurement_purchasers:add": ("none", "get", admin()),
    "procurement_purchasers:edit": ("purchaser", "get", admin(scoped=NANMING_OFFICERS)),
    "procurement_categories:index": ("none", "get", admin()),
    "procurement_categories:index_results": ("none", "get", admin()),
    "procurement_categories:add": ("none", "get", admin(ok=302)),  # only a superuser edits the catalogue
    "procurement_categories:edit": ("catalogue_item", "get", admin(ok=302)),
    "api-v1:list_grant_calls": ("none", "get", everyone(200)),
    "api-v1:get_grant_call": ("call_id", "get", everyone(200)),
    "api-v1:grants_360giving": ("none", "get", everyone(200)),
    "api-v1:ocds_releases": ("none", "get", everyone(200)),
    "api-v1:ocds_records": ("none", "get", everyone(200)),
    "api-v1:list_volunteer_activities": ("none", "get", everyone(200)),
    "api-v1:get_volunteer_activity": ("activity_id", "get", everyone(200)),
    "api-v1:sign_up_shift": ("shift_id", "get", everyone(405)),
    "api-v1:cancel_volunteer_signup": ("signup_id", "get", everyone(405)),
    "api-v1:volunteer_me": ("none", "get", volunteer_api()),
    "api-v1:volunteer_statement": ("none", "get", volunteer_api()),
    "api-v1:volunteer_vouchers": ("none", "get", volunteer_api()),
    "api-v1:list_volunteer_rewards": ("none", "get", everyone(200)),
    "api-v1:redeem_reward": ("none", "get", everyone(405)),
    # Officers' dashboard drill-down and the yearly report (issue 9): every officer sees their own scope's rows.
    # The bare URL names a chart but no bar (the bucket is a query parameter): nothing to list, so 404 for officers;
    # tests/dashboards/test_dashboard.py follows every real bar's link as each officer.
    "dashboard_rows:rows": ("rows_key", "get", admin(ok=404)),
    "yearly_reports:index": ("none", "get", admin()),
    "yearly_reports:retry": ("yearly_report", "get", admin(ok=405)),  # POST only: a GET is refused before any lookup
    "yearly_reports:download": ("yearly_report_xlsx", "get", admin(scoped=NANMING_OFFICERS)),
}


def portal_url_names():
    def walk(resolver, namespace=""):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace
                yield from walk(pattern, f"{namespace}:{inner}" if namespace and inner else inner or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    names = set(walk(get_resolver()))
    return {n for n in names if n.split(":")[0] in NAMESPACES or n in TOP_LEVEL}


def project_url_names():
    """Every named URL whose view is written in one of the project's apps (Wagtail's own admin views left out)."""
    def view_module(pattern):
        callback = pattern.callback
        for attribute in ("view_class", "cls", "__wrapped__"):
            inner = getattr(callback, attribute, None)
            if inner is not None:
                return getattr(inner, "__module__", "") or ""
        return getattr(callback, "__module__", "") or ""

    def walk(resolver, namespace=""):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace
                yield from walk(pattern, f"{namespace}:{inner}" if namespace and inner else inner or namespace)
            elif (isinstance(pattern, URLPattern) and pattern.name
                  and view_module(pattern).split(".")[0] in PROJECT_APPS):
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return set(walk(get_resolver()))


def test_every_portal_url_has_an_entry():
    missing = portal_url_names() - set(MATRIX)
    assert not missing, f"add these URLs to the permission matrix: {sorted(missing)}"
    assert not set(MATRIX) - portal_url_names(), "the matrix names URLs that no longer exist"


def test_every_url_served_by_the_projects_own_views_is_in_a_known_namespace():
    """A new namespace or top-level name (e.g. a new admin viewset) cannot slip past the matrix unlisted."""
    unknown = {n for n in project_url_names()
               if (n.split(":")[0] not in NAMESPACES if ":" in n else n not in TOP_LEVEL)}
    assert not unknown, f"add these URLs' namespaces (and the URLs) to the permission matrix: {sorted(unknown)}"


def volunteer_world(people, organization):
    """爱心银行 rows: an activity of the 南明区 organization with a shift, both volunteers registered (the first
    with a sign-up, an approved record, a correction request, a voucher and a certificate), two merchants."""
    from tests.volunteers.helpers import (
        credit,
        make_activity,
        make_merchant,
        make_reward,
        make_shift,
        register,
    )
    from volunteers import services as bank

    activity = make_activity(people["applicant"], organization)
    shift = make_shift(activity, people["applicant"])
    me = register(people["volunteer"], real_name="孙志愿")
    register(people["other_volunteer"], real_name="李志愿")
    signup = bank.sign_up(shift, volunteer=me, acting_user=people["volunteer"])
    record = credit(me, 20, organizer=people["applicant"], activity=activity)
    correction = bank.request_correction(record, acting_user=people["volunteer"], new_minutes=record.minutes + 30,
                                         reason="漏记")
    merchant = make_merchant(people["merchant"])
    make_merchant(people["other_merchant"], name="另一家爱心商家")
    reward = make_reward(merchant, people["merchant"])
    voucher = bank.redeem(reward, volunteer=me, acting_user=people["volunteer"], idempotency_key="matrix")
    certificate = bank.issue_certificate(me, acting_user=people["volunteer"])
    return {"volunteer": me, "activity": activity, "shift": shift, "signup": signup, "record": record, "correction": correction,
            "merchant": merchant, "reward": reward, "voucher": voucher, "certificate": certificate}


def grants_world(people, organization, nanming, city):
    """孵化资助 rows: a 南明区 call the organization applied to, reviewed by the reviewer persona, awarded, with
    tranche 1 paid and a mid-term report submitted; a draft call; a 南明区 base where the organization is resident."""
    from django.utils import timezone

    from grants import incubation
    from grants import services as grants
    from grants.models import GrantReport, IncubationBase
    from tests.grants.helpers import make_call, report, scored

    officer = people["officer_nanming"]
    call = make_call(region=nanming, created_by=officer)
    draft_call = make_call(region=nanming, created_by=officer, publish=False, title="未发布的计划")
    application = scored(call, officer, organization=organization, user=people["applicant"],
                         reviewers=[people["reviewer"]], marks=(8,))
    award = grants.award(application, acting_user=officer)
    grants.sign_agreement(award, acting_user=officer, number="XY-1", signed_on=timezone.localdate())
    grants.pay_tranche(award.tranches.get(sequence=1), acting_user=officer, paid_on=timezone.localdate())
    midterm = report(award, GrantReport.Kind.MIDTERM, user=people["applicant"])
    base = IncubationBase.objects.create(name="南明区社会组织孵化基地", level=IncubationBase.Level.DISTRICT, region=nanming,
                                         operator="南明区社会组织服务中心", capacity=10)
    residency = incubation.admit(base, organization, acting_user=officer, admitted_on=timezone.localdate())
    return {"call": call, "draft_call": draft_call, "application": application, "award": award, "report": midterm,
            "review": application.reviews.get(), "base": base, "residency": residency,
            "document": application.documents.first(), "report_document": midterm.documents.first()}


def procurement_world(people, organization, nanming):
    """政府购买服务 rows of a 南明区 purchaser: a 单一来源 project the organization won (its bid has a file, the
    reviewer persona reviewed it), contracted, with a delivery and an evaluation open for the survey; a second
    awarded project with a draft contract; a planned project; an announced project open for bids."""
    import datetime

    from django.utils import timezone

    from grants import procurement
    from grants.models import BidDocument, BidReview, ProcurementMethod, ProcurementProject
    from tests.grants.helpers import pdf
    from tests.grants.procurement_helpers import category, contract_form, make_project, purchaser

    officer = people["officer_nanming"]
    buyer = purchaser(region=nanming, name="南明区民政局")

    def won(title):
        project = make_project(officer=officer, buyer=buyer, method=ProcurementMethod.SINGLE, title=title)
        procurement.attach_project_document(project, pdf("采购文件.pdf"), acting_user=officer, title="采购文件")
        bid = procurement.save_bid(project, organization, acting_user=people["applicant"], price="100000",
                                   proposal="服务方案", uploads=[pdf("方案.pdf")])
        ProcurementProject.objects.filter(pk=project.pk).update(
            bids_close_at=timezone.now() - datetime.timedelta(seconds=1))
        project.refresh_from_db()
        procurement.open_bids(project, acting_user=officer)
        procurement.assign_bid_reviewers(project, [people["reviewer"]], acting_user=officer)
        review = BidReview.objects.get(bid=bid)
        procurement.declare_bid_conflict(review, acting_user=people["reviewer"], has_conflict=False)
        procurement.submit_bid_review(review, acting_user=people["reviewer"],
                                      scores={c.pk: (str(c.weight), "好") for c in project.criteria.all()})
        project.refresh_from_db()
        procurement.award_bid(project, bid, acting_user=officer)
        return project, bid, review

    project, bid, review = won("南明区居家养老服务")
    contract = procurement.draft_contract(project, acting_user=officer)
    procurement.save_contract(contract, acting_user=officer, **contract_form(contract))
    procurement.sign_contract(contract, acting_user=officer)
    delivery = procurement.log_delivery(contract.deliverables.first(), acting_user=people["applicant"], quantity=10,
                                        delivered_on=timezone.localdate(), description="上门服务", upload=pdf("签到表.pdf"))
    evaluation = procurement.start_evaluation(contract, acting_user=officer)
    second, _bid, _review = won("南明区助残服务")
    draft = procurement.draft_contract(second, acting_user=officer)
    planned = make_project(officer=officer, buyer=buyer, announce=False, title="计划中的项目")
    open_project = make_project(officer=officer, buyer=buyer, title="正在投标的项目")
    return {"project": project, "document": project.documents.get(), "bid_document": BidDocument.objects.get(bid=bid),
            "review": review, "contract": contract, "delivery": delivery, "evaluation": evaluation, "draft": draft,
            "planned": planned, "open": open_project, "purchaser": buyer, "category": category()}


@pytest.fixture
def world(db, nanming, yunyan, city, org_a, applicant, other_member):
    """One 南明区 application approved into an organization (with its certificate and a submitted annual report),
    plus an audit row of 南明区, and every persona."""
    people = {
        "applicant": applicant, "other_member": other_member,
        "officer_nanming": UserFactory(), "officer_yunyan": UserFactory(), "city_officer": UserFactory(),
        "reviewer": UserFactory(), "volunteer": UserFactory(), "other_volunteer": UserFactory(),
        "merchant": UserFactory(), "other_merchant": UserFactory(), "outsider": UserFactory(),
    }
    grant_role(people["officer_nanming"], Role.OFFICER, acting_user=None, region=nanming)
    grant_role(people["officer_yunyan"], Role.OFFICER, acting_user=None, region=yunyan)
    grant_role(people["city_officer"], Role.OFFICER, acting_user=None, region=city)
    for role in ("reviewer", "volunteer", "merchant"):
        grant_role(people[role], role, acting_user=None)
    grant_role(people["other_merchant"], Role.MERCHANT, acting_user=None)
    application = service_institution(applicant, nanming)
    attach_all(application, applicant)
    services.submit(application, acting_user=applicant)
    services.accept(application, officer=people["officer_nanming"])
    certificate = services.approve(application, officer=people["officer_nanming"],
                                   credit_code=make_credit_code("2", "520102", "MJ0000888"))
    organization = certificate.organization
    report = AnnualReport.objects.create(
        organization=organization, year=datetime.date.today().year - 1, activities="开展服务", income=Decimal(1000),
        expenditure=Decimal(900), net_assets=Decimal(100),
    )
    submit_annual_report(report, acting_user=applicant)
    from wagtail.models import APIToken

    from core.services import create_api_token

    create_api_token(applicant, name="脚本")
    from core.models import Notification

    campaign = public_campaign(people["city_officer"], city)
    campaign.experts.add(people["reviewer"])
    rating = submit_rating(campaign, organization, acting_user=verified_user(), values=values(campaign, 4))
    draft = public_campaign(people["city_officer"], city, year=2027, open_now=False)
    grading = grading_campaign(people["city_officer"], city)
    result = Result.objects.create(campaign=grading, organization=organization, org_kind=organization.kind)
    review = ReviewRequest.objects.create(result=result, requested_by=applicant, reason="请复核")
    bank = volunteer_world(people, organization)
    funding = grants_world(people, organization, nanming, city)
    buying = procurement_world(people, organization, nanming)
    showcase_entry = ShowcaseProjectPageFactory(organization=organization, live=False)
    yearly = request_report(nanming, datetime.date.today().year, acting_user=people["officer_nanming"])
    run_report(yearly.pk)  # the task is enqueued on commit, which a test transaction never reaches
    kwargs = {
        "none": {},
        "reset": {"uidb64": "MQ", "token": "set-password"},
        "token": {"pk": APIToken.objects.get(user=applicant).pk},
        "export": {"fmt": "csv"},
        "organization": {"pk": organization.pk},
        "verification": {"code": certificate.verification_code},
        "kind": {"kind": Application.Kind.ESTABLISH},
        "application": {"pk": application.pk},
        "document": {"pk": application.documents.first().pk},
        "certificate": {"pk": certificate.pk},
        "annual": {"pk": organization.pk, "year": report.year},
        "notification": {"pk": Notification.objects.filter(user=applicant).first().pk},
        "region": {"code": "520102"},
        "org_id": {"org_id": organization.pk},
        "application_id": {"application_id": application.pk},
        "audit": {"pk": audit.record("test.entry", obj=organization).pk},
        "report": {"pk": report.pk},
        "campaign": {"pk": campaign.pk},
        "campaign_csv": {"pk": campaign.pk, "fmt": "csv"},
        "sitemap_section": {"section": "organizations"},
        "showcase_org": {"organization_id": organization.pk},
        "showcase_entry": {"pk": showcase_entry.pk},
        "draft_campaign": {"pk": draft.pk},
        "campaign_org": {"pk": campaign.pk, "org_pk": organization.pk},
        "grading_org": {"pk": grading.pk, "org_pk": organization.pk},
        "result": {"result_pk": result.pk},
        "review": {"pk": review.pk},
        "rating": {"pk": rating.pk},
        "activity": {"pk": bank["activity"].pk},
        "activity_id": {"activity_id": bank["activity"].pk},
        "shift": {"pk": bank["shift"].pk},
        "shift_id": {"shift_id": bank["shift"].pk},
        "signup": {"pk": bank["signup"].pk},
        "signup_id": {"signup_id": bank["signup"].pk},
        "record": {"pk": bank["record"].pk},
        "correction": {"pk": bank["correction"].pk},
        "voucher": {"pk": bank["voucher"].pk},
        "reward": {"pk": bank["reward"].pk},
        "certificate_pk": {"pk": bank["certificate"].pk},
        "cert_token": {"token": bank["certificate"].token},
        "merchant_pk": {"merchant_pk": bank["merchant"].pk},
        "merchant_obj": {"pk": bank["merchant"].pk},
        "volunteer_pk": {"pk": bank["volunteer"].pk},
        "category": {"pk": bank["activity"].category_id},
        "reward_edit": {"merchant_pk": bank["merchant"].pk, "pk": bank["reward"].pk},
        "call": {"pk": funding["call"].pk},
        "draft_call": {"pk": funding["draft_call"].pk},
        "call_id": {"call_id": funding["call"].pk},
        "call_org": {"pk": funding["call"].pk, "org_pk": organization.pk},
        "grant_application": {"pk": funding["application"].pk},
        "grant_report": {"pk": funding["application"].pk, "kind": "midterm"},
        "grant_document": {"pk": funding["document"].pk},
        "grant_report_document": {"pk": funding["report_document"].pk},
        "grant_review": {"pk": funding["review"].pk},
        "grant_review_document": {"pk": funding["review"].pk, "doc_pk": funding["document"].pk},
        "base": {"pk": funding["base"].pk},
        "project": {"pk": buying["project"].pk},
        "planned_project": {"pk": buying["planned"].pk},
        "project_document": {"pk": buying["project"].pk, "doc_pk": buying["document"].pk},
        "project_document_pk": {"pk": buying["document"].pk},
        "contract": {"pk": buying["contract"].pk},
        "draft_contract": {"pk": buying["draft"].pk},
        "survey": {"token": buying["evaluation"].survey_token},
        "open_project_org": {"pk": buying["open"].pk, "org_pk": organization.pk},
        "bid_document": {"pk": buying["bid_document"].pk},
        "delivery": {"pk": buying["delivery"].pk},
        "bid_review": {"pk": buying["review"].pk},
        "bid_review_document": {"pk": buying["review"].pk, "doc_pk": buying["bid_document"].pk},
        "purchaser": {"pk": buying["purchaser"].pk},
        "catalogue_item": {"pk": buying["category"].pk},
        "rows_key": {"key": "org_kind"},
        "yearly_report": {"pk": yearly.pk},
        "yearly_report_xlsx": {"pk": yearly.pk, "kind": "xlsx"},
    }
    return people, kwargs


def _group(name: str) -> str:
    return name.split(":")[0] if ":" in name else "top-level"


GROUPS = sorted({_group(name) for name in MATRIX})


@pytest.mark.parametrize("group", GROUPS)
def test_urls_answer_each_persona_as_expected(client, world, group):
    """One world per URL namespace (building it is the slow part); every URL of the namespace against every
    persona, all mismatches reported together."""
    people, kwargs = world
    mismatches = {}
    for name in sorted(n for n in MATRIX if _group(n) == group):
        builder, method, expected = MATRIX[name]
        url = reverse(name, kwargs=kwargs[builder])
        got = {}
        for persona in PERSONAS:
            client.logout()
            if persona != "anonymous":
                client.force_login(people[persona])
            got[persona] = getattr(client, method)(url).status_code
        if got != expected:
            mismatches[f"{name} {url}"] = {p: (got[p], expected[p]) for p in PERSONAS if got[p] != expected[p]}
    assert not mismatches, f"(got, expected) per persona: {mismatches}"
