"""The webhook fast path in front of Django (chats/webhooks/asgi.py), and the sweep of deliveries whose
processing task was never sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import HttpCommunicator
from django.utils import timezone
from django_tenants.utils import tenant_context

from chats.tests.conftest import APP_SECRET, contract
from chats.webhooks.intake import cloud_signature
from config.asgi import application
from webhooks.models import WebhookEvent


@pytest.fixture(autouse=True)
def _same_thread(monkeypatch):
    """The fast path stores in a thread pool; here it runs on the test's thread, inside its transaction."""
    monkeypatch.setattr(
        "chats.webhooks.asgi.sync_to_async", lambda fn, thread_sensitive=False: sync_to_async(fn, thread_sensitive=True)
    )


def post(body: bytes, signature: str, host: str = "localhost"):
    headers = [
        (b"host", host.encode()),
        (b"content-type", b"application/json"),
        (b"x-hub-signature-256", signature.encode()),
    ]

    async def scenario():
        return await HttpCommunicator(
            application, "POST", "/webhooks/whatsapp/cloud/", body=body, headers=headers
        ).get_response()

    return async_to_sync(scenario)()


def test_a_delivery_is_stored_answered_and_then_sent_to_the_worker_once(numbers, queued, acme):
    body = contract("whatsapp_cloud_webhook_text.json")
    answers = [post(body, cloud_signature(body, APP_SECRET))["status"] for _ in range(3)]
    assert answers == [200, 200, 200]
    event = WebhookEvent.objects.get()
    assert (event.tenant_id, event.status, bytes(event.body)) == (acme.pk, "received", body)
    assert queued == [("webhook_event_task", (event.pk, False))]


def test_a_bad_signature_is_refused_by_the_fast_path(numbers, queued):
    body = contract("whatsapp_cloud_webhook_image.json")
    assert post(body, cloud_signature(body, "wrong"))["status"] == 403
    assert post(body + b" ", cloud_signature(body, APP_SECRET))["status"] == 403
    assert WebhookEvent.objects.count() == 0
    assert queued == []


def test_a_company_host_is_not_a_webhook_host(numbers, queued):
    body = contract("whatsapp_cloud_webhook_text.json")
    assert post(body, cloud_signature(body, APP_SECRET), host="acme.localhost")["status"] in (403, 404)
    assert WebhookEvent.objects.count() == 0


def test_the_sweep_sends_deliveries_left_waiting(numbers, queued, acme, globex):
    body = contract("whatsapp_cloud_webhook_text.json")
    post(body, cloud_signature(body, APP_SECRET))
    queued.clear()
    event = WebhookEvent.objects.get()
    from chats.tasks import webhook_sweep_task

    with tenant_context(acme):
        assert webhook_sweep_task.run() == 0  # too fresh: its task is on its way
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - timedelta(minutes=5))
    with tenant_context(globex):
        assert webhook_sweep_task.run() == 0  # another company's
    with tenant_context(acme):
        assert webhook_sweep_task.run() == 1
    assert queued == [("webhook_event_task", (event.pk, False))]
