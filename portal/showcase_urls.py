"""The workspace's showcase pages (公益项目展示), mounted at /showcase/workspace/."""

from django.urls import path

from . import showcase_views as views

app_name = "showcase"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/<int:organization_id>/", views.new, name="new"),
    path("<int:pk>/", views.edit, name="edit"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
