"""Chats background tasks: entry points taking ids. The tenant travels with each task
(tenant-schemas-celery); webhook tasks are sent inside the company the receiving number belongs to."""

from __future__ import annotations

import logging

from celery import shared_task

from core.errors import TransientClientError
from core.tenancy import current_tenant

logger = logging.getLogger(__name__)
SEND_MAX_RETRIES = 6


@shared_task(bind=True, acks_late=True, max_retries=3)
def webhook_event_task(self, event_id: int, replay: bool = False) -> str:
    """Turns one stored webhook delivery into messages and statuses (chats.services.event_process). A
    status can overtake the send that it reports on (the provider's webhook before its API answer is
    recorded): a delivery that failed only on statuses of unknown messages is tried again a little later."""
    from chats.services import event_process
    from webhooks.models import WebhookEvent

    outcome = event_process(tenant=current_tenant(), event_id=event_id, replay=True if self.request.retries else replay)
    if outcome == WebhookEvent.Status.FAILED and self.request.retries < self.max_retries and _overtaken(event_id):
        raise self.retry(countdown=15 * (self.request.retries + 1))
    return outcome


def _overtaken(event_id: int) -> bool:
    """The delivery failed only on statuses of messages not known (yet)."""
    from webhooks.models import WebhookEvent

    error = WebhookEvent.objects.filter(pk=event_id).values_list("error", flat=True).first() or ""
    lines = [line for line in error.splitlines() if line]
    return bool(lines) and all(line.startswith("status ") and "unknown message" in line for line in lines)


@shared_task(acks_late=True)
def webhook_events_task(event_ids: list[int]) -> dict:
    """Processes the deliveries the webhook committed together (chats.webhooks.intake.enqueue_many), one
    after the other, each as webhook_event_task does. One that failed only on statuses of unknown messages
    is handed to webhook_event_task, which tries it again later; one whose processing raised is left
    waiting for the sweep. A redelivered message is harmless: processed deliveries are skipped."""
    from chats.services import event_process
    from webhooks.models import WebhookEvent

    tenant = current_tenant()
    outcomes: dict[str, int] = {}
    for event_id in event_ids:
        try:
            outcome = event_process(tenant=tenant, event_id=event_id)
        except Exception:
            logger.exception("webhook delivery processing failed; the sweep sends it again", extra={"event": event_id})
            outcome = "error"
        if outcome == WebhookEvent.Status.FAILED and _overtaken(event_id):
            webhook_event_task.apply_async((event_id, True), countdown=15)
            outcome = "retrying"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@shared_task(bind=True, acks_late=True, max_retries=SEND_MAX_RETRIES)
def message_send_task(self, message_id: int) -> str:
    """Sends one queued message, at most once (chats.services.sending). Retried with backoff while the
    provider is unreachable; marked failed, with the reason, when it gives up."""
    from chats.services import message_deliver

    last = self.request.retries >= SEND_MAX_RETRIES
    try:
        outcome = message_deliver(tenant=current_tenant(), message_id=message_id, last_attempt=last)
    except TransientClientError as error:
        raise self.retry(exc=error, countdown=min(300, 2 ** (self.request.retries + 1))) from error
    if outcome == "in_flight" and not last:
        raise self.retry(countdown=30)
    return outcome


@shared_task(bind=True, acks_late=True, max_retries=5)
def media_download_task(self, message_id: int) -> str:
    """Downloads an inbound message's media through the provider, then runs the inbound hooks."""
    from chats.services.media import media_download

    try:
        return media_download(tenant=current_tenant(), message_id=message_id, last_attempt=self.request.retries >= 5)
    except TransientClientError as error:
        raise self.retry(exc=error, countdown=min(300, 2 ** (self.request.retries + 2))) from error


@shared_task(acks_late=True)
def sandbox_status_task(phone_number_id: str, wamid: str, status: str, recipient: str) -> int:
    """The sandbox provider reports a status of a message it took, through the real webhook intake."""
    from chats.clients.sandbox import status_body
    from chats.webhooks.intake import accept_cloud, cloud_signature, sandbox_secret

    body = status_body(phone_number_id=phone_number_id, wamid=wamid, status=status, recipient=recipient)
    return accept_cloud(body, cloud_signature(body, sandbox_secret(phone_number_id))).status


@shared_task(acks_late=True)
def webhook_sweep_task() -> int:
    """Every minute, in each company: deliveries stored more than a minute ago and still waiting (their
    task was never sent: the web process stopped right after answering, or the broker was down) are sent
    to be processed. Processing twice is harmless (event_process skips what is done)."""
    from datetime import timedelta

    from django.utils import timezone

    from chats.webhooks.intake import enqueue
    from webhooks.models import WebhookEvent

    tenant = current_tenant()
    stale = WebhookEvent.objects.filter(
        tenant_id=tenant.pk, status=WebhookEvent.Status.RECEIVED, received_at__lt=timezone.now() - timedelta(minutes=1)
    ).values_list("pk", flat=True)[:500]
    count = 0
    for event_id in stale:
        enqueue(tenant=tenant, event_id=event_id)
        count += 1
    return count
