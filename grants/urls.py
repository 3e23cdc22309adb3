from django.urls import path, register_converter

from . import bid_reviewing, procurement_views, procurement_workspace, reviewing, views, workspace

app_name = "grants"


class ReportKind:
    regex = "midterm|final"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ReportKind, "report_kind")

urlpatterns = [
    # public
    path("", views.calls, name="calls"),
    path("calls/<int:pk>/", views.call, name="call"),
    path("bases/", views.bases, name="bases"),
    # the organization (member of the applicant)
    path("workspace/", workspace.workspace, name="workspace"),
    path("workspace/calls/<int:pk>/apply/<int:org_pk>/", workspace.application_start, name="application_start"),
    path("workspace/applications/<int:pk>/", workspace.application, name="application"),
    path("workspace/applications/<int:pk>/reports/<report_kind:kind>/", workspace.report, name="report"),
    path("workspace/documents/<int:pk>/", workspace.document, name="document"),
    path("workspace/report-documents/<int:pk>/", workspace.report_document, name="report_document"),
    # the reviewer
    path("reviews/", reviewing.reviews, name="reviews"),
    path("reviews/<int:pk>/", reviewing.review, name="review"),
    path("reviews/<int:pk>/documents/<int:doc_pk>/", reviewing.review_document, name="review_document"),
    # 政府购买服务 — public announcements, contracts and the satisfaction survey
    path("procurements/", procurement_views.procurements, name="procurements"),
    path("procurements/<int:pk>/", procurement_views.procurement, name="procurement"),
    path("procurements/<int:pk>/documents/<int:doc_pk>/", procurement_views.procurement_document,
         name="procurement_document"),
    path("procurements/<int:pk>/award/", procurement_views.procurement_award, name="procurement_award"),
    path("contracts/<int:pk>/", procurement_views.contract, name="contract"),
    path("survey/<str:token>/", procurement_views.survey, name="survey"),
    path("survey/<str:token>/poster/", procurement_views.survey_poster, name="survey_poster"),
    # the bidding / contracted organization
    path("workspace/procurements/", procurement_workspace.procurements, name="procurement_workspace"),
    path("workspace/procurements/<int:pk>/bid/<int:org_pk>/", procurement_workspace.bid, name="bid"),
    path("workspace/bid-documents/<int:pk>/", procurement_workspace.bid_document, name="bid_document"),
    path("workspace/contracts/<int:pk>/", procurement_workspace.contract, name="contract_workspace"),
    path("workspace/delivery-evidence/<int:pk>/", procurement_workspace.delivery_evidence, name="delivery_evidence"),
    # the bid reviewer
    path("bid-reviews/", bid_reviewing.reviews, name="bid_reviews"),
    path("bid-reviews/<int:pk>/", bid_reviewing.review, name="bid_review"),
    path("bid-reviews/<int:pk>/documents/<int:doc_pk>/", bid_reviewing.review_document, name="bid_review_document"),
]
