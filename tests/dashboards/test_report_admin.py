"""The officers' pages of the yearly statistical report in the Wagtail admin: request through the form, follow the
progress, download with the digest; another district's report is a 404, and only officers get in."""

import hashlib
from urllib.parse import unquote

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboards import report_hooks, reports
from dashboards.models import YearlyReport
from tests.dashboards.test_report import YEAR, _remove_report_files  # noqa: F401  (autouse: removes the files)
from tests.factories import UserFactory

INDEX = "/admin/yearly-reports/"


def download_url(report, kind):
    return reverse("yearly_reports:download", args=[report.pk, kind])


def built(region, officer, django_capture_on_commit_callbacks) -> YearlyReport:
    with django_capture_on_commit_callbacks(execute=True):
        report = reports.request_report(region, YEAR, acting_user=officer)
    report.refresh_from_db()
    assert report.status == YearlyReport.Status.DONE
    return report


def fake_done(region, officer, n=1):
    """Finished rows for the listing (their files are never opened)."""
    return [YearlyReport.objects.create(
        region=region, year=YEAR - (i % 5), requested_by=officer, status=YearlyReport.Status.DONE, progress=100,
        xlsx_file=f"dashboards/yearlyreport/fake{i}.xlsx", pdf_file=f"dashboards/yearlyreport/fake{i}.pdf",
        xlsx_sha256="a" * 64, pdf_sha256="b" * 64, xlsx_size=1000, pdf_size=2000) for i in range(n)]


def test_an_officer_requests_a_report_through_the_form_and_downloads_both_files(
        client, nanming, officer_nanming, django_capture_on_commit_callbacks):
    client.force_login(officer_nanming)
    page = client.get(INDEX)
    assert page.status_code == 200
    assert "生成年度统计报表" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(INDEX, {"region": nanming.pk, "year": YEAR})
    assert response.status_code == 302 and response["Location"] == INDEX

    report = YearlyReport.objects.get()
    assert (report.region, report.year, report.requested_by) == (nanming, YEAR, officer_nanming)
    assert report.status == YearlyReport.Status.DONE and report.progress == 100
    listing = client.get(INDEX).content.decode()
    assert "已完成" in listing and report.xlsx_sha256 in listing and report.pdf_sha256 in listing
    assert 'http-equiv="refresh"' not in listing  # nothing left to wait for

    for kind, magic in (("xlsx", b"PK"), ("pdf", b"%PDF-")):
        response = client.get(download_url(report, kind))
        assert response.status_code == 200
        content = b"".join(response.streaming_content)
        assert content.startswith(magic)
        assert hashlib.sha256(content).hexdigest() == getattr(report, f"{kind}_sha256") == response["X-Content-SHA256"]
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert f"南明区{YEAR}年度统计报表.{kind}" in unquote(disposition)


def test_a_pending_report_shows_its_progress_and_the_page_refreshes(client, nanming, officer_nanming):
    YearlyReport.objects.create(region=nanming, year=YEAR, requested_by=officer_nanming,
                                status=YearlyReport.Status.RUNNING, progress=42, progress_message="写入工作表“社会组织”")
    client.force_login(officer_nanming)
    page = client.get(INDEX).content.decode()
    assert 'http-equiv="refresh"' in page
    assert 'value="42"' in page and "42%" in page and "写入工作表“社会组织”" in page
    assert download_url(YearlyReport.objects.get(), "xlsx") not in page


@pytest.mark.parametrize(("data", "field_error"), [
    ({"region": "", "year": str(YEAR)}, "请选择辖区。"),
    ({"year": "公元二〇二六"}, "请选择列表中的年度。"),
    ({"year": "1990"}, "请选择列表中的年度。"),
])
def test_bad_input_is_a_chinese_error_by_the_field_and_a_400(client, nanming, officer_nanming, data, field_error):
    client.force_login(officer_nanming)
    data = {"region": nanming.pk, **data}
    response = client.post(INDEX, data)
    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert not YearlyReport.objects.exists()


def test_another_districts_region_is_not_a_choice(client, nanming, yunyan, officer_nanming):
    client.force_login(officer_nanming)
    page = client.get(INDEX).content.decode()
    assert f'value="{nanming.pk}"' in page and f'value="{yunyan.pk}"' not in page
    response = client.post(INDEX, {"region": yunyan.pk, "year": YEAR})
    assert response.status_code == 400
    assert "请选择您管辖的区划。" in response.content.decode()
    assert not YearlyReport.objects.exists()


def test_a_report_already_being_built_is_refused_by_the_year_field(client, nanming, officer_nanming):
    reports.request_report(nanming, YEAR, acting_user=officer_nanming)  # stays queued: on_commit never runs here
    client.force_login(officer_nanming)
    response = client.post(INDEX, {"region": nanming.pk, "year": YEAR})
    assert response.status_code == 400
    assert "正在生成中" in response.content.decode()
    assert YearlyReport.objects.count() == 1


def test_another_districts_report_is_a_404_and_invisible_in_the_list(
        client, nanming, yunyan, officer_nanming, officer_yunyan, city_officer, django_capture_on_commit_callbacks):
    theirs = built(yunyan, officer_yunyan, django_capture_on_commit_callbacks)
    client.force_login(officer_nanming)

    for kind in ("xlsx", "pdf"):
        assert client.get(download_url(theirs, kind)).status_code == 404
    assert client.post(reverse("yearly_reports:retry", args=[theirs.pk])).status_code == 404
    assert theirs.xlsx_sha256 not in client.get(INDEX).content.decode()
    assert client.get(f"{INDEX}abc/download/xlsx/").status_code == 404
    assert client.get(f"{INDEX}{theirs.pk}/download/docx/").status_code == 404

    client.force_login(city_officer)  # the city covers 云岩区
    assert client.get(download_url(theirs, "pdf")).status_code == 200


def test_an_unfinished_or_failed_report_has_no_download(client, nanming, officer_nanming):
    failed = YearlyReport.objects.create(region=nanming, year=YEAR, requested_by=officer_nanming,
                                         status=YearlyReport.Status.FAILED, error="RuntimeError: 读取失败")
    client.force_login(officer_nanming)
    assert client.get(download_url(failed, "xlsx")).status_code == 404
    page = client.get(INDEX).content.decode()
    assert "生成失败" in page and "RuntimeError: 读取失败" in page and "重新生成" in page


def test_a_failed_report_is_retried_from_the_list(client, nanming, officer_nanming, django_capture_on_commit_callbacks):
    failed = YearlyReport.objects.create(region=nanming, year=YEAR, requested_by=officer_nanming,
                                         status=YearlyReport.Status.FAILED, error="RuntimeError")
    client.force_login(officer_nanming)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("yearly_reports:retry", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == YearlyReport.Status.DONE and failed.error == ""


def test_people_who_are_not_officers_get_no_access(client, nanming, officer_nanming, outsider, applicant):
    report = fake_done(nanming, officer_nanming)[0]
    for user in (outsider, applicant):
        client.force_login(user)
        for url in (INDEX, download_url(report, "xlsx")):
            response = client.get(url)
            assert response.status_code in (302, 403) and b"SHA-256" not in response.content
            if response.status_code == 302:
                assert "login" in response["Location"]
        assert client.post(INDEX, {"region": nanming.pk, "year": YEAR}).status_code in (302, 403)
    # An admin user who is not an officer (an editor) is refused by the page itself: Wagtail turns the refusal into
    # a redirect to the admin home with its "no permission" message.
    editor = UserFactory(name="编辑")
    editor.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    client.force_login(editor)
    for url in (INDEX, download_url(report, "pdf")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.post(INDEX, {"region": nanming.pk, "year": YEAR}).status_code == 302
    assert YearlyReport.objects.count() == 1


def test_the_menu_item_is_shown_to_officers_and_superusers_only(nanming, officer_nanming, outsider, admin_user):
    item = report_hooks.register_report_menu_item()
    assert item.label == "年度统计报表"
    request = RequestFactory().get("/admin/")
    for user, shown in ((officer_nanming, True), (admin_user, True), (outsider, False)):
        request.user = user
        assert item.is_shown(request) is shown


def test_the_list_is_newest_first_and_paginated(client, nanming, officer_nanming):
    rows = fake_done(nanming, officer_nanming, n=25)
    client.force_login(officer_nanming)
    first = client.get(INDEX).content.decode()
    assert download_url(rows[-1], "xlsx") in first and download_url(rows[0], "xlsx") not in first
    second = client.get(INDEX + "?p=2").content.decode()
    assert download_url(rows[0], "xlsx") in second


def test_the_list_costs_the_same_queries_for_one_report_or_twenty(client, nanming, officer_nanming):
    client.force_login(officer_nanming)
    fake_done(nanming, officer_nanming, n=1)
    client.get(INDEX)  # warm per-process caches (content types, site)
    with CaptureQueriesContext(connection) as one:
        assert client.get(INDEX).status_code == 200
    fake_done(nanming, officer_nanming, n=19)
    with CaptureQueriesContext(connection) as twenty:
        page = client.get(INDEX)
    assert page.status_code == 200 and page.content.decode().count("SHA-256") == 40
    assert len(twenty) == len(one), [q["sql"] for q in twenty.captured_queries]
