from django.urls import path, register_converter

from . import views, workspace

app_name = "orgs"


class ExportFormat:
    regex = "csv|xlsx"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ExportFormat, "fmt")

urlpatterns = [
    path("", views.directory, name="directory"),
    path("export.<fmt:fmt>", views.directory_export, name="export"),
    path("<int:pk>/", views.profile, name="profile"),
    path("verify/<str:code>/", views.verify, name="verify"),
    path("workspace/", workspace.home, name="workspace"),
    path("workspace/organizations/<int:pk>/members/", workspace.invite_member, name="invite_member"),
    path("workspace/organizations/<int:pk>/annual/<int:year>/", workspace.annual_report, name="annual_report"),
    path("workspace/applications/new/", workspace.new_application, name="application_new"),
    path("workspace/applications/new/<str:kind>/", workspace.start_application, name="application_start"),
    path("workspace/applications/<int:pk>/", workspace.application_detail, name="application"),
    path("workspace/applications/<int:pk>/upload/", workspace.upload_document, name="application_upload"),
    path("workspace/documents/<int:pk>/", workspace.document_download, name="document"),
    path("workspace/certificates/<int:pk>.pdf", workspace.certificate_pdf, name="certificate_pdf"),
    path("workspace/notifications/<int:pk>/read/", workspace.notification_read, name="notification_read"),
]
