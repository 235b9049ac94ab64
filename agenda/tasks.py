"""Agenda background tasks: entry points taking ids; the tenant travels with each task
(tenant-schemas-celery) and beat runs the schedules in every company."""

from __future__ import annotations

import logging

from celery import shared_task

from agenda.clients.google_calendar import TransientClientError
from core.tenancy import current_tenant

logger = logging.getLogger(__name__)
GOOGLE_MAX_RETRIES = 6


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(TransientClientError,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=GOOGLE_MAX_RETRIES,
)
def appointment_google_sync_task(self, appointment_id: int) -> str:
    """Mirrors one appointment to Google (agenda.google.sync_appointment): idempotent, retried with
    backoff while Google is unreachable; marked failed on the appointment when it gives up."""
    from agenda.google import mark_sync_failed, sync_appointment

    try:
        return sync_appointment(tenant=current_tenant(), appointment_id=appointment_id)
    except TransientClientError as error:
        if self.request.retries >= GOOGLE_MAX_RETRIES:
            mark_sync_failed(appointment_id=appointment_id, reason=str(error))
            return "failed"
        raise


@shared_task(acks_late=True)
def agenda_reminders_task() -> dict:
    """Every minute: due tasks, sellers' 30-minute reminders, and the lead reminder hooks."""
    from agenda.reminders import remind_due_tasks, remind_sellers, run_lead_reminders

    tenant = current_tenant()
    return {
        "tasks": remind_due_tasks(tenant=tenant),
        "sellers": remind_sellers(tenant=tenant),
        "leads": run_lead_reminders(tenant=tenant),
    }


@shared_task(acks_late=True)
def inactivity_alerts_task() -> int:
    from agenda.reminders import alert_inactive_leads

    return alert_inactive_leads(tenant=current_tenant())
