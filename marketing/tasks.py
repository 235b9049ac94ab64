"""Marketing tasks: entry points taking ids (the company travels with tenant-schemas-celery)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import translation

from core.errors import TransientClientError
from core.tenancy import current_tenant


def _language() -> str:
    return current_tenant().language or settings.LANGUAGE_CODE


@shared_task(acks_late=True)
def meta_sync_task(force: bool = False) -> dict:
    """Beat, in every company (and on demand from the hub): syncs the followed Meta ad accounts. Companies
    without a connection are skipped; errors are recorded on the connection, never raised."""
    from marketing.services.sync import company_sync

    summary = company_sync(tenant=current_tenant(), force=force)
    return {"insights": summary.insights, "skipped": summary.skipped, "error": summary.error}


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(TransientClientError,),
    retry_backoff=5,
    retry_backoff_max=600,
    max_retries=6,
)
def leadgen_process_task(self, event_id: int) -> dict:
    """Fetches one lead-ads lead from Graph and records it (idempotent: a processed event is left alone)."""
    from marketing.services.leadgen import leadgen_process

    with translation.override(_language()):
        status = leadgen_process(tenant=current_tenant(), event_id=event_id, final=self.request.retries >= 6)
    return {"status": status}


@shared_task(acks_late=True)
def rule_fire_task(rule_id: int, lead_id: int, key: str) -> str:
    from marketing.services.rules import rule_fire

    with translation.override(_language()):
        return rule_fire(tenant=current_tenant(), rule_id=rule_id, lead_id=lead_id, key=key)


@shared_task(acks_late=True)
def rules_scan_task() -> int:
    """Beat, in every company: stage-reached, no-reply and no-show rules."""
    from marketing.models import AutomationRule
    from marketing.services.rules import rules_scan

    if not AutomationRule.objects.filter(active=True).exists():
        return 0
    with translation.override(_language()):
        return rules_scan(tenant=current_tenant())


@shared_task(acks_late=True)
def template_batch_task(batch_id: int) -> dict:
    """Sends one template batch (idempotent: a redelivery sends nothing twice)."""
    from marketing.services.templates import template_batch_run

    with translation.override(_language()):
        batch = template_batch_run(tenant=current_tenant(), batch_id=batch_id)
    return {"sent": batch.sent, "skipped": batch.skipped_opted_out, "failed": batch.failed}
