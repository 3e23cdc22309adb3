"""Uploaded files (DESIGN.md §5): type checked by content, size limited, stored outside the public media path,
served only through views that check permission, with a SHA-256 kept so tampering is visible."""

import hashlib
import os
import re
import unicodedata
import uuid

from django import forms
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
EXTENSIONS = {"pdf": ".pdf", "jpg": ".jpg", "png": ".png"}
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
# Control characters, path separators and the characters Windows refuses in a file name.
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


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


def safe_name(name: str, *, limit: int = 200) -> str:
    """The name a user's file is shown and downloaded under: no directories (``../../x.pdf`` is ``x.pdf``, on
    either slash), no control or reserved characters, no leading dots, at most ``limit`` characters with the
    extension kept. Only for display and the download's Content-Disposition; on disk files get random names."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip().lstrip(".").strip()
    if not name:
        return "文件"
    stem, ext = os.path.splitext(name)
    if len(ext) > 10:
        stem, ext = name, ""
    return stem[: max(1, limit - len(ext))] + ext


class DocumentFileField(forms.FileField):
    """A form field for a private document: refuses, next to the field and in Chinese, a file whose content is
    not PDF, JPG or PNG (whatever its name says), an empty one, or one over the size limit."""

    def __init__(self, *args, max_bytes: int = MAX_UPLOAD_BYTES, **kwargs):
        self.max_bytes = max_bytes
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("help_text", _("PDF、JPG 或 PNG，单个不超过 %(mb)d MB。") % {"mb": max_bytes // 1024 // 1024})
        messages = {"required": _("请选择要上传的文件。"), "empty": _("文件是空的，请重新选择。"),
                    "invalid": _("没有收到文件，请重新选择。")}
        kwargs["error_messages"] = {**messages, **kwargs.get("error_messages", {})}
        super().__init__(*args, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value:
            validate_document(value, max_bytes=self.max_bytes)


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
    document.original_name = safe_name(upload.name)
    document.content_type = CONTENT_TYPES[kind]
    document.size = upload.size
    document.sha256 = sha256_of(upload)
    document.uploaded_by = uploaded_by
    # The stored name is random (private_upload_path) with the extension of what the content *is*: a JPEG
    # uploaded as "x.pdf" is kept as <random>.jpg, so nothing downstream trusts the user's extension.
    document.file.save(f"upload{EXTENSIONS[kind]}", upload, save=False)
    document.save()
    return document
