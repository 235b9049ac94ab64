"""Odoo sync tasks: entry points that take ids (the company travels with tenant-schemas-celery) and call
one service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.utils import translation

from core.errors import TransientClientError
from core.tenancy import current_tenant

logger = logging.getLogger(__name__)


def _language() -> str:
    return current_tenant().language or settings.LANGUAGE_CODE


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(TransientClientError,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def push_document_task(self, sync_id: int, token: str) -> dict:
    """Pushes one claimed document (see odoo_sync.services.push.document_push). Idempotent: a message
    delivered twice, or for a claim that is over, does nothing; a retry finds what Odoo already has.
    Transient errors retry with backoff; after the last one the document is marked failed."""
    from odoo_sync.services.push import document_push, push_give_up

    with translation.override(_language()):
        try:
            outcome = document_push(sync_id=sync_id, token=token)
        except TransientClientError:
            if self.request.retries >= self.max_retries:
                push_give_up(sync_id=sync_id, token=token)
                return {"status": "failed"}
            raise
    return {"status": outcome.status, "calls": outcome.calls}


@shared_task(acks_late=True)
def pull_task() -> dict:
    """Beat, in every company: reads back from Odoo the documents sent there. Companies without an Odoo
    connection are skipped."""
    from odoo_sync.services.pull import company_pull
    from tenants.models import Credential

    tenant = current_tenant()
    if not Credential.objects.filter(tenant=tenant, kind=Credential.Kind.ODOO).exists():
        return {"skipped": True}
    with translation.override(_language()):
        summary = company_pull(tenant=tenant)
    return {"read": summary.read, "mismatches": summary.mismatches, "error": summary.error}
