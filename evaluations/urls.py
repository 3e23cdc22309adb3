from django.urls import path, re_path

from . import views

app_name = "evaluations"

urlpatterns = [
    path("", views.campaigns, name="campaigns"),
    path("mine/", views.mine, name="mine"),
    path("scoring/", views.scoring, name="scoring"),
    path("<int:pk>/", views.campaign, name="campaign"),
    path("<int:pk>/report.pdf", views.report, name="report"),
    re_path(r"^(?P<pk>[0-9]+)/results\.(?P<fmt>csv|xlsx)$", views.results_export, name="results_export"),
    path("<int:pk>/orgs/<int:org_pk>/rate/", views.rate, name="rate"),
    path("<int:pk>/orgs/<int:org_pk>/poster.pdf", views.poster, name="poster"),
    path("<int:pk>/orgs/<int:org_pk>/report.pdf", views.organization_report, name="organization_report"),
    path("<int:pk>/orgs/<int:org_pk>/apply/", views.apply, name="apply"),
    path("<int:pk>/scoring/", views.scoring_list, name="scoring_list"),
    path("<int:pk>/orgs/<int:org_pk>/score/", views.score, name="score"),
    path("results/<int:result_pk>/review/", views.review_request, name="review_request"),
]
