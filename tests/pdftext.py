"""Text of a PDF, by poppler's pdftotext (installed by .ci/run); tests that read PDFs skip without it."""

import shutil
import subprocess  # nosec B404 - runs a fixed local tool on test data

import pytest


def pdf_text(content: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(  # noqa: S603 - fixed argv  # nosec B603 B607
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True  # noqa: S607
    ).stdout.decode()
