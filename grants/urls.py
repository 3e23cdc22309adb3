from django.urls import path, register_converter

from . import reviewing, views, workspace

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
]
