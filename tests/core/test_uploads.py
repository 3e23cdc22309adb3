"""Uploads (issue 11 item 3), for every private upload kind — 登记备案申请材料, 资助申报材料, 资助报告佐证, 采购文件,
投标文件, 履约佐证: type checked by content and size limited by the form field, in Chinese; safe names; stored under
random names outside the public media directory; downloaded only through permission-checked views as attachments,
another organization's or district's id answering 404; the SHA-256 the officer's admin shows is the file's.
(Showcase photos are public Wagtail images by design and are not covered here.)"""

import hashlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.files import MAX_UPLOAD_BYTES, safe_name, store
from grants.forms import DocumentUploadForm as GrantDocumentUploadForm
from grants.forms import UploadForm
from grants.models import ApplicationDocument as GrantApplicationDocument
from grants.models import BidDocument, DeliveryLog, ProjectDocument, ReportDocument
from grants.procurement_admin_forms import DocumentForm
from grants.procurement_forms import BidForm, DeliveryForm
from orgs.forms import DocumentUploadForm
from orgs.models import ApplicationDocument
from tests import test_permission_matrix
from tests.orgs.test_applications import service_institution

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
TEXT = "这是一段纯文本，不是 PDF。".encode()
matrix_world = test_permission_matrix.world  # the permission matrix's world, as a fixture of this module
RANDOM_NAME = re.compile(r"^[a-z]+/[a-z]+/[0-9a-f]{32}\.(pdf|jpg|png)$")

# Every form field through which a private file enters the portal.
FIELDS = {
    "登记备案申请材料": (DocumentUploadForm, "file"),
    "资助申报材料": (GrantDocumentUploadForm, "file"),
    "资助报告佐证": (UploadForm, "file"),
    "采购文件": (DocumentForm, "file"),
    "投标文件": (BidForm, "files"),
    "履约佐证": (DeliveryForm, "evidence"),
}


def clean(kind: str, upload):
    form_class, name = FIELDS[kind]
    field = form_class.base_fields[name]
    return field.clean([upload] if name == "files" else upload)


@pytest.mark.parametrize("kind", FIELDS)
@pytest.mark.parametrize("content", [EXE, TEXT], ids=["exe", "txt"])
def test_a_file_renamed_to_pdf_is_refused_by_the_field_in_chinese(kind, content):
    with pytest.raises(ValidationError) as error:
        clean(kind, SimpleUploadedFile("申报书.pdf", content, content_type="application/pdf"))
    assert "文件内容不是 PDF、JPG、PNG 格式" in " ".join(error.value.messages)


@pytest.fixture(scope="module")
def oversize():
    return PDF + b"0" * (MAX_UPLOAD_BYTES + 1 - len(PDF))


@pytest.mark.parametrize("kind", FIELDS)
def test_an_oversize_file_is_refused_by_the_field_in_chinese(kind, oversize):
    with pytest.raises(ValidationError) as error:
        clean(kind, SimpleUploadedFile("大文件.pdf", oversize, content_type="application/pdf"))
    assert "单个文件不能超过 20 MB" in " ".join(error.value.messages)


@pytest.mark.parametrize("kind", FIELDS)
def test_a_real_pdf_passes_the_field(kind):
    cleaned = clean(kind, SimpleUploadedFile("申报书.pdf", PDF, content_type="application/pdf"))
    assert (cleaned[0] if isinstance(cleaned, list) else cleaned).size == len(PDF)


@pytest.mark.parametrize(("typed", "shown"), [
    ("../../x.pdf", "x.pdf"),
    ("..\\..\\x.pdf", "x.pdf"),
    ("C:\\Users\\张三\\身份证.jpg", "身份证.jpg"),
    ('a"b<c>\r\nd.pdf', "a_b_c_d.pdf"),
    ("...", "文件"),
    ("章" * 300 + ".pdf", "章" * 196 + ".pdf"),
])
def test_file_names_are_made_safe(typed, shown):
    assert safe_name(typed) == shown


def test_the_upload_page_refuses_a_renamed_exe_next_to_the_field_and_keeps_a_path_name_safe(client, applicant, nanming):
    application = service_institution(applicant, nanming)
    url = reverse("orgs:application_upload", args=[application.pk])
    client.force_login(applicant)
    refused = client.post(url, {"requirement": "charter", "file": SimpleUploadedFile("章程.pdf", EXE)})
    assert refused.status_code == 400 and "文件内容不是 PDF、JPG、PNG 格式" in refused.content.decode()
    assert not ApplicationDocument.objects.exists()

    client.post(url, {"requirement": "charter", "file": SimpleUploadedFile("..\\..\\x.pdf", PDF)})
    document = ApplicationDocument.objects.get()
    assert document.original_name == "x.pdf"
    assert RANDOM_NAME.match(document.file.name), document.file.name


def documents(world):
    """Each private upload kind of the permission-matrix world: the row, who may download it (and the URL), who
    must get 404 (another organization's member, another district's officer), and the officer's page showing it."""
    people, kwargs = world
    org_doc = ApplicationDocument.objects.get(pk=kwargs["document"]["pk"])
    grant_doc = GrantApplicationDocument.objects.get(pk=kwargs["grant_document"]["pk"])
    report_doc = ReportDocument.objects.get(pk=kwargs["grant_report_document"]["pk"])
    project_doc = ProjectDocument.objects.get(pk=kwargs["project_document_pk"]["pk"])
    bid_doc = BidDocument.objects.get(pk=kwargs["bid_document"]["pk"])
    delivery = DeliveryLog.objects.get(pk=kwargs["delivery"]["pk"])
    return [
        (org_doc, [("applicant", "orgs:document"), ("officer_nanming", "orgs:document")],
         [("other_member", "orgs:document"), ("officer_yunyan", "orgs:document")],
         reverse("org_applications:inspect", args=[org_doc.application_id])),
        (grant_doc, [("applicant", "grants:document"), ("officer_nanming", "grant_applications:document")],
         [("other_member", "grants:document"), ("officer_yunyan", "grant_applications:document")],
         reverse("grant_applications:inspect", args=[grant_doc.application_id])),
        (report_doc, [("applicant", "grants:report_document"), ("officer_nanming", "grant_applications:report_document")],
         [("other_member", "grants:report_document"), ("officer_yunyan", "grant_applications:report_document")],
         reverse("grant_applications:inspect", args=[report_doc.report.application_id])),
        (project_doc, [("officer_nanming", "procurement_projects:document")],
         [("officer_yunyan", "procurement_projects:document")],
         reverse("procurement_projects:inspect", args=[project_doc.project_id])),
        (bid_doc, [("applicant", "grants:bid_document"), ("officer_nanming", "procurement_projects:bid_document")],
         [("other_member", "grants:bid_document"), ("officer_yunyan", "procurement_projects:bid_document")],
         reverse("procurement_projects:inspect", args=[bid_doc.bid.project_id])),
        (delivery, [("applicant", "grants:delivery_evidence"), ("officer_nanming", "procurement_contracts:evidence")],
         [("other_member", "grants:delivery_evidence"), ("officer_yunyan", "procurement_contracts:evidence")],
         reverse("procurement_contracts:inspect", args=[delivery.deliverable.contract_id])),
    ]


def test_every_private_upload_kind_is_stored_privately_served_as_an_attachment_and_scoped(client, matrix_world):
    people, _kwargs = matrix_world
    private_root = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    public_root = Path(settings.MEDIA_ROOT).resolve()
    assert not private_root.is_relative_to(public_root) and not public_root.is_relative_to(private_root)
    seen = set()
    for document, allowed, refused, admin_page in documents(matrix_world):
        kind = type(document).__name__
        seen.add(f"{type(document)._meta.app_label}.{kind}")
        path = Path(document.file.path).resolve()
        assert path.is_relative_to(private_root) and not path.is_relative_to(public_root), kind
        assert RANDOM_NAME.match(document.file.name), (kind, document.file.name)
        content = path.read_bytes()
        assert hashlib.sha256(content).hexdigest() == document.sha256, kind
        for persona, name in allowed:
            client.force_login(people[persona])
            response = client.get(reverse(name, args=[document.pk]))
            assert response.status_code == 200, (kind, persona, name)
            assert response["Content-Disposition"].startswith("attachment;"), (kind, name)
            assert response["X-Content-SHA256"] == document.sha256
            assert b"".join(response.streaming_content) == content
        for persona, name in refused:
            client.force_login(people[persona])
            assert client.get(reverse(name, args=[document.pk])).status_code == 404, (kind, persona, name)
        client.force_login(people["officer_nanming"])
        html = client.get(admin_page).content.decode()
        assert document.sha256 in html, (kind, admin_page)  # the whole digest, so it can be compared
    assert seen == {"orgs.ApplicationDocument", "grants.ApplicationDocument", "grants.ReportDocument",
                    "grants.ProjectDocument", "grants.BidDocument", "grants.DeliveryLog"}
    # Nothing private is reachable under the public media URL.
    client.logout()
    org_doc = documents(matrix_world)[0][0]
    assert client.get(settings.MEDIA_URL + org_doc.file.name).status_code == 404


def test_the_store_keeps_a_safe_name_and_stores_by_content_for_every_kind(matrix_world):
    """A name with directories and reserved characters is shown safe; the stored name is random and its extension
    is what the content is (a PNG sent as .pdf is kept as .png)."""
    people, _kwargs = matrix_world
    user = people["applicant"]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    for document, *_rest in documents(matrix_world):
        model = type(document)
        fresh = model(**{f.attname: getattr(document, f.attname) for f in model._meta.concrete_fields
                         if f.attname not in ("id", "file", "original_name", "content_type", "size", "sha256",
                                              "uploaded_by_id", "uploaded_at")})
        if model is DeliveryLog:
            fresh.delivered_on = timezone.localdate()
        stored = store(fresh, SimpleUploadedFile("..\\..\\evil<1>.pdf", png), uploaded_by=user)
        assert stored.original_name == "evil_1_.pdf", model
        assert stored.file.name.endswith(".png") and RANDOM_NAME.match(stored.file.name), stored.file.name
        assert stored.content_type == "image/png"
        assert Path(stored.file.path).read_bytes() == png
