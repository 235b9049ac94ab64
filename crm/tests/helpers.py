"""Fixtures and helpers shared by the lead list and import tests (import the fixtures into a module)."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.utils.functional import empty


def _forget_media_root() -> None:
    # TenantFileSystemStorage caches MEDIA_ROOT and does not clear it on setting changes.
    storage = default_storage._wrapped
    if storage is not empty:
        storage.__dict__.pop("relative_media_root", None)


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded files go to a temporary directory for the test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    _forget_media_root()
    yield tmp_path / "media"
    _forget_media_root()


def csv_bytes(*lines: str, bom: bool = False) -> bytes:
    text = "\n".join(lines) + "\n"
    return (("\ufeff" if bom else "") + text).encode("utf-8")
