"""Fixtures of the CRM tests (the shared ones, tenants and people, are in the root conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploads (documents, import files) go to a fresh temporary directory. django-tenants' storage caches
    its root and ignores a MEDIA_ROOT change (its reset hook passes the wrong argument to Django's), but
    does reset on a MULTITENANT_RELATIVE_MEDIA_ROOT change, so set that one too (to its default)."""
    settings.MEDIA_ROOT = str(tmp_path)
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
    return tmp_path
