"""The whole 成立登记 path in a real browser, as an applicant and a district officer would do it."""

import shutil
import subprocess

import pytest
from django.urls import reverse

from orgs.codes import make_credit_code
from orgs.models import Application
from tests.browser.pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_apply_correct_approve_and_verify_in_the_browser(browser, live_server, artifacts, tmp_path, demo_people):
    base = live_server.url
    document = tmp_path / "材料.pdf"
    document.write_bytes(PDF)

    applicant = browser.new_context(viewport={"width": 390, "height": 900}, accept_downloads=True).new_page()
    applicant.goto(base + "/accounts/signup/")
    applicant.fill("input[name=phone]", "139 1234 5678")
    applicant.fill("input[name=name]", "李明")
    applicant.fill("input[name=password1]", "Qianling#2026")
    applicant.fill("input[name=password2]", "Qianling#2026")
    applicant.click("main button[type=submit]")
    applicant.wait_for_url("**/accounts/")

    applicant.goto(base + reverse("orgs:application_new"))
    applicant.check("input[name=kind][value=establish]")
    applicant.click("main button[type=submit]")
    applicant.wait_for_url("**/new/establish/")
    applicant.fill("input[name=name]", "南明区春晖养老服务中心")
    applicant.select_option("select[name=org_kind]", "service_institution")
    applicant.select_option("select[name=region]", label="南明区")
    applicant.select_option("select[name=direct_category]", "community_service")
    applicant.fill("input[name=legal_representative]", "李明")
    applicant.fill("input[name=legal_representative_id_number]", "11010519491231002X")
    applicant.fill("input[name=domicile]", "贵阳市南明区花果园大街 1 号")
    applicant.fill("textarea[name=purpose]", "为老年人提供居家养老服务")
    applicant.fill("textarea[name=business_scope]", "居家养老、助餐助浴")
    applicant.fill("input[name=funds]", "100000")
    applicant.click("main button[type=submit]")
    applicant.wait_for_url("**/workspace/applications/*/")
    application = Application.objects.get(name="南明区春晖养老服务中心")

    for code, _label in application.required_documents():
        applicant.set_input_files(f"#file-{code}", str(document))
        applicant.click(f"form:has(#file-{code}) button[type=submit]")
        applicant.wait_for_load_state()
    applicant.screenshot(path=str(artifacts / "application-documents-phone.png"), full_page=True)
    applicant.click("button[name=submit]")
    applicant.wait_for_load_state()
    assert "申请已提交" in applicant.content()

    officer = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()
    sign_in(officer, base, "13800000003", "Demo@2026")
    review = base + reverse("org_applications:inspect", args=[application.pk])
    officer.goto(review)
    officer.click("button[value=accept]")
    officer.wait_for_load_state()
    officer.fill("textarea[name=text]", "请补充住所使用证明的原件扫描件")
    officer.click("button[value=correction]")
    officer.wait_for_load_state()
    officer.screenshot(path=str(artifacts / "admin-review.png"), full_page=True)

    applicant.goto(base + reverse("orgs:application", args=[application.pk]))
    assert "请补充住所使用证明的原件扫描件" in applicant.content()
    applicant.set_input_files("#file-domicile_proof", str(document))
    applicant.click("form:has(#file-domicile_proof) button[type=submit]")
    applicant.wait_for_load_state()
    applicant.click("button[name=submit]")
    applicant.wait_for_load_state()

    code = make_credit_code("2", "520102", "MJ0001234")
    officer.goto(review)
    officer.fill("input[name=credit_code]", code)
    officer.fill("textarea[name=text]", "材料齐全，符合登记条件")
    officer.click("button[value=approve]")
    officer.wait_for_load_state()
    assert "已准予" in officer.content()

    applicant.goto(base + reverse("orgs:application", args=[application.pk]))
    with applicant.expect_download() as download_info:
        applicant.click("text=下载 PDF")
    pdf_path = tmp_path / "certificate.pdf"
    download_info.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, check=True).stdout.decode()
        assert "南明区春晖养老服务中心" in text and code in text
    applicant.click("text=在线核验")
    applicant.wait_for_load_state()
    assert "证书有效" in applicant.content()
    applicant.screenshot(path=str(artifacts / "verify-phone.png"), full_page=True)
