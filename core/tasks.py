"""Core background tasks. The tenant travels with each task (tenant-schemas-celery)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.models import AuditEntry


@shared_task(acks_late=True)
def audit_purge_task(days: int | None = None) -> int:
    """Deletes audit entries older than AUDIT_RETENTION_DAYS in the current tenant. Idempotent."""
    keep = days or getattr(settings, "AUDIT_RETENTION_DAYS", 730)
    deleted, _ = AuditEntry.objects.filter(created_at__lt=timezone.now() - timedelta(days=keep)).delete()
    return deleted


@shared_task
def current_schema_task() -> str:
    """Answers the schema the worker ran it in: used by operations checks and the tenancy tests."""
    return connection.schema_name
