"""The webhook fast path in front of Django (chats/webhooks/asgi.py): routing, answers, group commit, the
task sent after answering; and the sweep of deliveries whose processing task was never sent."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

import chats.webhooks.asgi as fast
from chats.tests.conftest import APP_SECRET, contract
from chats.webhooks import intake
from chats.webhooks.intake import Outcome, cloud_signature
from webhooks.models import WebhookEvent


def run_async(coroutine):
    """asyncio.run in a thread of its own: the test thread may already carry an event loop (an earlier
    test's, in a whole-suite run), and asyncio.run refuses to start inside one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def run_app(body: bytes, signature: str, host: str = "localhost", path: str = "/webhooks/whatsapp/cloud/") -> dict:
    """Calls the fast path (in front of a stand-in for Django) as the server would."""
    sent, passed_on = [], []

    async def django(scope, receive, send):
        passed_on.append(scope["path"])
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    headers = [(b"host", host.encode()), (b"x-hub-signature-256", signature.encode())]
    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    run_async(fast.WebhookFastPath(django)(scope, receive, send))
    return {"status": sent[0]["status"], "django": bool(passed_on)}


@pytest.fixture
def fake_storage(monkeypatch):
    """The fast path's database work replaced: checks answer as given, stores record what they got."""
    record = {"checked": [], "stored": []}

    async def checked(check_fn, body, signature):
        record["checked"].append(signature)
        return Outcome(status=403) if signature == "bad" else "checked-delivery"

    async def store(item):
        record["stored"].append(item)
        return record["answer"]

    monkeypatch.setattr(fast, "_checked", checked)
    monkeypatch.setattr(fast._writer, "store", store)
    return record


def test_a_stored_delivery_is_answered(fake_storage, acme):
    fake_storage["answer"] = Outcome(status=200, event_id=7, tenant=acme)
    assert run_app(b"{}", "good") == {"status": 200, "django": False}
    assert fake_storage["stored"] == ["checked-delivery"]


def test_a_bad_signature_is_refused_and_nothing_stored(fake_storage):
    assert run_app(b"{}", "bad")["status"] == 403
    assert fake_storage["stored"] == []


def test_other_hosts_paths_and_methods_go_to_django(fake_storage):
    assert run_app(b"{}", "good", host="acme.localhost") == {"status": 404, "django": True}
    assert run_app(b"{}", "good", path="/login/") == {"status": 404, "django": True}
    assert fake_storage["checked"] == []


def test_a_body_too_large_is_refused(fake_storage, monkeypatch):
    monkeypatch.setattr(fast, "MAX_BODY", 10)
    assert run_app(b"x" * 11, "good")["status"] == 413
    assert fake_storage["checked"] == []


def test_deliveries_arriving_together_are_committed_together_then_sent(monkeypatch, acme):
    """Each batch is one store; its answers are given and then the deliveries that name a company (not a
    redelivery) are sent to the worker, once per batch."""
    events = []

    def store(items):
        events.append(("stored", len(items)))
        return [
            Outcome(status=200, duplicate=True) if item == "again" else Outcome(status=200, event_id=n, tenant=acme)
            for n, item in enumerate(items)
        ]

    def inline(fn, thread_sensitive=False):
        async def run(*args):
            return fn(*args)

        return run

    monkeypatch.setattr(fast, "sync_to_async", inline)
    monkeypatch.setattr(fast, "_store", store)
    monkeypatch.setattr(fast, "_enqueue", lambda outcomes: events.append(("sent", [o.event_id for o in outcomes])))
    writer = fast._GroupCommit()

    async def answered(item):
        outcome = await writer.store(item)
        events.append(("answered", outcome.event_id))
        return outcome

    async def scenario():
        first = await answered("alone")
        together = await asyncio.gather(*(answered(f"item {n}") for n in range(4)), answered("again"))
        await asyncio.gather(*writer.sending)
        writer.task.cancel()
        return first, together

    first, together = run_async(scenario())
    assert first.status == 200
    assert [outcome.event_id for outcome in together] == [0, 1, 2, 3, None]
    assert events[:3] == [("stored", 1), ("answered", 0), ("sent", [0])]
    assert events[3] == ("stored", 5)
    assert sorted(events[4:], key=str) == sorted(
        [("answered", n) for n in (0, 1, 2, 3, None)] + [("sent", [0, 1, 2, 3])], key=str
    )


def test_store_many_keeps_one_row_per_delivery_key(numbers, acme):
    text, image = contract("whatsapp_cloud_webhook_text.json"), contract("whatsapp_cloud_webhook_status_sent.json")
    first = intake.check_cloud(text, cloud_signature(text, APP_SECRET))
    other = intake.check_cloud(image, cloud_signature(image, APP_SECRET))
    outcomes = intake.store_many([first, other, first])
    assert [o.duplicate for o in outcomes] == [False, False, True]
    assert outcomes[0].tenant == acme
    again = intake.store_many([first])
    assert again[0].duplicate
    assert WebhookEvent.objects.count() == 2


def test_the_sweep_sends_deliveries_left_waiting(numbers, queued, acme, globex):
    from chats.tasks import webhook_sweep_task

    body = contract("whatsapp_cloud_webhook_text.json")
    outcome = intake.accept_cloud(body, cloud_signature(body, APP_SECRET), defer=True)
    with tenant_context(acme):
        assert webhook_sweep_task.run() == 0  # too fresh: its task is on its way
    WebhookEvent.objects.filter(pk=outcome.event_id).update(received_at=timezone.now() - timedelta(minutes=5))
    with tenant_context(globex):
        assert webhook_sweep_task.run() == 0  # another company's
    with tenant_context(acme):
        assert webhook_sweep_task.run() == 1
    assert queued == [("webhook_event_task", (outcome.event_id, False))]
