from django.urls import path, register_converter

from . import views

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
]
