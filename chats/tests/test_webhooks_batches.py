"""The webhook's cheap path per delivery: the signature checked from the per-process route cache (no
database), the committed deliveries sent to the worker a few per message with statuses on a queue of their
own, the batch task, and the processing's query counts."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import tenant_context

import chats.webhooks.asgi as fast
from chats.models import Conversation, Message
from chats.tests.conftest import APP_SECRET, CLOUD_NUMBER_ID, contract
from chats.tests.test_webhooks import cloud_payload, message
from chats.webhooks import intake
from chats.webhooks.intake import Checked, Outcome, cloud_signature
from webhooks.models import WebhookEvent


def test_a_cached_number_is_checked_without_the_database(numbers, django_assert_num_queries):
    body = contract("whatsapp_cloud_webhook_text.json")
    signature = cloud_signature(body, APP_SECRET)
    with pytest.raises(intake.RouteNotCached):
        intake.check_cloud(body, signature, cached_only=True)
    assert isinstance(intake.check_cloud(body, signature), Checked)
    with django_assert_num_queries(0):
        assert isinstance(intake.check_cloud(body, signature, cached_only=True), Checked)
        assert intake.check_cloud(body, "sha256=" + "0" * 64, cached_only=True) == Outcome(status=403)
    assert WebhookEvent.objects.count() == 0


def test_the_fast_path_reads_a_number_not_cached_in_a_thread(numbers, monkeypatch):
    body = contract("whatsapp_cloud_webhook_text.json")
    signature = cloud_signature(body, APP_SECRET)
    threaded = []

    def inline(fn, thread_sensitive=False):
        async def run(*args):
            return fn(*args)

        return run

    def in_thread(check, body, signature):  # the database read, as the thread does it
        threaded.append(signature)
        return "read in a thread"

    monkeypatch.setattr(fast, "sync_to_async", inline)
    monkeypatch.setattr(fast, "_check", in_thread)

    def checked():
        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(fast._checked(intake.check_cloud, body, signature))
        finally:
            loop.close()

    assert checked() == "read in a thread"
    assert intake.check_cloud(body, signature).route.phone_number_id == CLOUD_NUMBER_ID  # now cached
    cached = checked()
    assert isinstance(cached, Checked)
    assert cached.route.tenant.schema_name == "acme"
    assert threaded == [signature]


def test_only_deliveries_without_messages_count_as_statuses():
    assert intake.only_statuses("status:delivered")
    assert intake.only_statuses("status:read+status:sent")
    assert intake.only_statuses("whatsapp.message.updated")
    assert not intake.only_statuses("text")
    assert not intake.only_statuses("status:read+text")
    assert not intake.only_statuses("whatsapp.inbound_message.received")


def test_committed_deliveries_go_to_the_worker_per_company_in_small_batches_statuses_apart(acme, globex, monkeypatch):
    from chats.tasks import webhook_events_task

    sent = []
    monkeypatch.setattr(
        webhook_events_task,
        "apply_async",
        lambda args, queue: sent.append((connection.schema_name, args[0], queue)),
    )
    outcomes = [Outcome(status=200, event_id=n, tenant=acme, kind="text") for n in range(1, 6)]
    outcomes += [Outcome(status=200, event_id=6, tenant=acme, kind="status:delivered")]
    outcomes += [Outcome(status=200, event_id=7, tenant=globex, kind="audio")]
    outcomes += [Outcome(status=200, duplicate=True), Outcome(status=200, event_id=8)]  # nothing to process
    outcomes += [Outcome(status=200, event_id=n, tenant=acme, kind="image") for n in range(9, 14)]
    outcomes += [Outcome(status=200, event_id=14, tenant=acme, kind="status:read+status:sent")]

    assert intake.enqueue_many(outcomes) == 4
    default = settings.CELERY_TASK_DEFAULT_QUEUE
    assert sent == [
        (acme.schema_name, [1, 2, 3, 4, 5, 9, 10, 11], default),
        (acme.schema_name, [12, 13], default),
        (acme.schema_name, [6, 14], f"{default}.statuses"),
        (globex.schema_name, [7], default),
    ]


def test_workers_read_the_status_queue_after_the_default_one():
    from config.celery import app

    default = settings.CELERY_TASK_DEFAULT_QUEUE
    assert [queue.name for queue in app.conf.task_queues] == [default, f"{default}.statuses"]
    assert app.conf.broker_transport_options["queue_order_strategy"] == "priority"


@pytest.fixture
def stored(numbers, post_cloud, queued, acme):
    """A text from a lead and a status of a message not sent (yet), stored and not processed."""
    now = str(int(time.time()))
    assert post_cloud(cloud_payload(message("text", {"body": "Hola"}, mid="wamid.B1"))).status_code == 200
    assert (
        post_cloud(cloud_payload(statuses=[{"id": "wamid.NOPE", "status": "read", "timestamp": now}])).status_code
        == 200
    )
    connection.set_schema_to_public()
    text, status = WebhookEvent.objects.order_by("pk")
    return text, status


def test_a_batch_is_processed_in_its_company_and_an_overtaking_status_tried_again_alone(stored, acme, monkeypatch):
    from chats.tasks import webhook_event_task, webhook_events_task

    text, status = stored
    later = []
    monkeypatch.setattr(webhook_event_task, "apply_async", lambda args, countdown: later.append((args, countdown)))
    with tenant_context(acme):
        assert webhook_events_task.run([text.pk, status.pk]) == {"processed": 1, "retrying": 1}
        assert webhook_events_task.run([text.pk]) == {"processed": 1}  # again: nothing done twice
        assert Message.objects.get().text == "Hola"
    assert later == [((status.pk, True), 15)]
    text.refresh_from_db()
    assert (text.status, text.attempts) == ("processed", 1)


def test_a_batch_sent_in_another_company_processes_nothing(stored, acme, globex, monkeypatch):
    from chats.tasks import webhook_event_task, webhook_events_task

    text, status = stored
    monkeypatch.setattr(webhook_event_task, "apply_async", lambda *args, **kwargs: pytest.fail("nothing to retry"))
    with tenant_context(globex):
        assert webhook_events_task.run([text.pk, status.pk]) == {"missing": 2}
        assert Message.objects.count() == 0
    connection.set_schema_to_public()
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"received"}
    with tenant_context(acme):
        assert Message.objects.count() == 0


def test_a_batch_goes_on_past_a_delivery_whose_processing_raises(stored, acme, monkeypatch):
    from chats import services
    from chats.tasks import webhook_events_task

    text, status = stored
    real = services.event_process

    def flaky(*, tenant, event_id, replay=False):
        if event_id == status.pk:
            raise RuntimeError("database went away")
        return real(tenant=tenant, event_id=event_id, replay=replay)

    monkeypatch.setattr(services, "event_process", flaky)
    with tenant_context(acme):
        assert webhook_events_task.run([status.pk, text.pk]) == {"error": 1, "processed": 1}
    status.refresh_from_db()
    assert status.status == "received"  # the sweep sends it again


def _receive(tenant, mid: str, at: datetime):
    from chats.services import message_receive
    from chats.webhooks.parsing import InboundItem

    return message_receive(
        tenant=tenant,
        provider="whatsapp_cloud",
        item=InboundItem(
            provider_message_id=mid, phone_number_id=CLOUD_NUMBER_ID, from_phone="34611222333", text=mid, timestamp=at
        ),
    )


def test_the_reply_window_starts_at_the_latest_inbound_message_whatever_the_order(numbers, acme):
    with tenant_context(acme):
        _receive(acme, "wamid.NEW", datetime(2026, 12, 3, 12, 0, tzinfo=UTC))
        _receive(acme, "wamid.OLD", datetime(2026, 12, 3, 11, 0, tzinfo=UTC))
        conversation = Conversation.objects.get()
        assert conversation.last_inbound_at == datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
        assert conversation.unread_count == 2


def test_a_text_from_a_known_lead_and_a_status_cost_few_queries(numbers, acme, django_assert_num_queries):
    from chats.services import status_apply
    from chats.webhooks.parsing import StatusItem

    with tenant_context(acme):
        _receive(acme, "wamid.FIRST", datetime(2026, 12, 3, 11, 0, tzinfo=UTC))
        # existing?, lead, conversation, savepoint + insert + release, conversation update + read back,
        # lead's last contact, history entry
        with django_assert_num_queries(10):
            _receive(acme, "wamid.SECOND", datetime(2026, 12, 3, 12, 0, tzinfo=UTC))
        sent = Message.objects.create(
            conversation=Conversation.objects.get(), direction="out", text="Hi", status="sent",
            provider_message_id="wamid.OUT", sender="user",
        )  # fmt: skip
        with django_assert_num_queries(2):  # the message with its conversation and lead, locked; the update
            status_apply(
                tenant=acme, item=StatusItem(provider_message_id="wamid.OUT", phone_number_id="", status="read")
            )
        sent.refresh_from_db()
        assert sent.status == "read"
        assert sent.read_at is not None
