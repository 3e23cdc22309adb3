"""Uploaded files (DESIGN.md §5): type checked by content, size limited, stored outside the public media path,
served only through views that check permission, with a SHA-256 kept so tampering is visible."""

import hashlib
import os
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD_BYTES = 20 * 1024 * 1024

# Magic numbers of the formats officers accept: what a file *is*, whatever its name says.
SIGNATURES = {
    "pdf": (b"%PDF-",),
    "jpg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


@deconstructible
class PrivateStorage(FileSystemStorage):
    """Files under PRIVATE_MEDIA_ROOT, which no URL maps to; views stream them after a permission check."""

    def __init__(self, **kwargs):
        kwargs.setdefault("location", settings.PRIVATE_MEDIA_ROOT)
        kwargs.setdefault("base_url", None)
        super().__init__(**kwargs)


private_storage = PrivateStorage()


def sniff_type(head: bytes) -> str | None:
    for kind, magics in SIGNATURES.items():
        if any(head.startswith(magic) for magic in magics):
            return kind
    return None


def validate_document(upload, *, allowed=("pdf", "jpg", "png"), max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """Check an uploaded file by its content and size; return its true type (``pdf``, ``jpg``, ``png``)."""
    if upload.size > max_bytes:
        raise ValidationError(
            _("文件过大（%(size).1f MB），单个文件不能超过 %(limit)d MB。")
            % {"size": upload.size / 1024 / 1024, "limit": max_bytes // 1024 // 1024},
            code="file_too_large",
        )
    if upload.size == 0:
        raise ValidationError(_("文件是空的，请重新选择。"), code="file_empty")
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(16)
    upload.seek(position)
    kind = sniff_type(head)
    if kind not in allowed:
        names = "、".join(k.upper() for k in allowed)
        raise ValidationError(
            _("文件内容不是 %(names)s 格式（只看文件内容，不看扩展名），请上传扫描件或照片。") % {"names": names},
            code="file_type",
        )
    return kind


def sha256_of(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(65536), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def private_upload_path(instance, filename: str) -> str:
    """A random name under a dated folder: the user's file name is kept in the row, never on disk."""
    _, ext = os.path.splitext(filename)
    ext = ext.lower() if ext.lower() in {".pdf", ".jpg", ".jpeg", ".png"} else ""
    return f"{instance._meta.app_label}/{instance._meta.model_name}/{uuid.uuid4().hex}{ext}"


def download(document) -> FileResponse:
    """Stream a private file as an attachment under its original name, with its SHA-256 in a header. The caller
    has already fetched ``document`` through a permission-scoped queryset."""
    return send_private(document.file, filename=document.original_name, content_type=document.content_type,
                        sha256=document.sha256)


def send_private(stored, *, filename: str, content_type: str, sha256: str) -> FileResponse:
    """Stream a stored private file (a FieldFile) as an attachment named ``filename`` (RFC 6266, so a Chinese name
    survives) with its SHA-256 in ``X-Content-SHA256``; a file missing from the disk is a 404, not a 500."""
    try:
        handle = stored.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-SHA256"] = sha256
    return response


def store(document, upload, *, uploaded_by):
    """Check ``upload`` by content and size, then save it as ``document`` (an unsaved row of a model with the
    file, original_name, content_type, size, sha256 and uploaded_by fields) under a private random name."""
    kind = validate_document(upload)
    document.original_name = upload.name[:200]
    document.content_type = CONTENT_TYPES[kind]
    document.size = upload.size
    document.sha256 = sha256_of(upload)
    document.uploaded_by = uploaded_by
    document.file.save(upload.name, upload, save=False)
    document.save()
    return document
