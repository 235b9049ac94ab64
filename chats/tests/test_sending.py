"""Sending: the 24-hour window, at-most-once delivery through a crash, retries, templates, failures."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chats.clients.fakes import FakeWhatsAppClient, WorkerKilled
from chats.clients.whatsapp import Outbound, cloud_message_body, parse_cloud_send_response, ycloud_message_body
from chats.models import Message
from chats.services import (
    WindowClosed,
    message_deliver,
    message_retry,
    message_send_template,
    message_send_text,
)
from chats.tests.conftest import contract
from chats.tests.factories import make_conversation
from core.actors import AGENT
from core.errors import TransientClientError
from crm.models import TimelineEntry


@pytest.fixture
def conversation(tenant, numbers):
    from django.db import connection

    connection.set_tenant(tenant)
    return make_conversation(tenant)


def test_text_is_queued_with_a_key_and_sent_once(
    tenant, conversation, owner, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = message_send_text(tenant=tenant, conversation=conversation, text="  Hello!  ", actor=owner.user)
    assert queued == [("message_send_task", (message.pk,))]
    assert (message.status, message.text, message.sender, message.author_id) == (
        "queued",
        "Hello!",
        "user",
        owner.user.pk,
    )
    assert len(message.idempotency_key) == 32
    assert TimelineEntry.objects.filter(lead=conversation.lead, kind="whatsapp_out", body="Hello!").count() == 1
    assert message_deliver(tenant=tenant, message_id=message.pk) == "sent"
    assert message_deliver(tenant=tenant, message_id=message.pk) == "done"
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.provider_message_id.startswith("wamid.fake")
    assert FakeWhatsAppClient.sends[message.idempotency_key] == 1
    assert FakeWhatsAppClient.sent[0][1].text == "Hello!"
    assert FakeWhatsAppClient.sent[0][1].to == "+34611222333"


def test_a_worker_killed_after_the_provider_accepted_never_sends_twice(tenant, conversation, owner, queued):
    message = message_send_text(tenant=tenant, conversation=conversation, text="Once", actor=owner.user)
    FakeWhatsAppClient.next_outcome = ["crash"]
    with pytest.raises(WorkerKilled):
        message_deliver(tenant=tenant, message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "sending"  # committed before the provider call
    # The broker redelivers the task (acks_late) once the send is no longer in flight.
    Message.objects.filter(pk=message.pk).update(send_started_at=message.send_started_at - timedelta(minutes=5))
    assert message_deliver(tenant=tenant, message_id=message.pk) == "sent"
    assert message_deliver(tenant=tenant, message_id=message.pk) == "done"
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.provider_message_id == FakeWhatsAppClient.accepted[message.idempotency_key]
    assert FakeWhatsAppClient.sends[message.idempotency_key] == 1


def test_after_a_crash_a_provider_that_cannot_tell_is_not_sent_again_but_marked_for_a_person(
    tenant, conversation, owner, queued
):
    FakeWhatsAppClient.reset(lookup=False)
    message = message_send_text(tenant=tenant, conversation=conversation, text="Once", actor=owner.user)
    FakeWhatsAppClient.next_outcome = ["crash"]
    with pytest.raises(WorkerKilled):
        message_deliver(tenant=tenant, message_id=message.pk)
    Message.objects.filter(pk=message.pk).update(send_started_at=message.created_at - timedelta(minutes=5))
    assert message_deliver(tenant=tenant, message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", "interrupted")
    assert FakeWhatsAppClient.sends[message.idempotency_key] == 1
    assert message.can_retry


def test_a_retry_while_another_worker_is_sending_waits(tenant, conversation, owner, queued):
    message = message_send_text(tenant=tenant, conversation=conversation, text="Once", actor=owner.user)
    FakeWhatsAppClient.next_outcome = ["crash"]
    with pytest.raises(WorkerKilled):
        message_deliver(tenant=tenant, message_id=message.pk)
    assert message_deliver(tenant=tenant, message_id=message.pk) == "in_flight"
    assert FakeWhatsAppClient.sends[message.idempotency_key] == 1


def test_transient_errors_are_retried_then_failed_with_the_reason(tenant, conversation, owner, queued):
    message = message_send_text(tenant=tenant, conversation=conversation, text="Busy", actor=owner.user)
    FakeWhatsAppClient.next_outcome = ["transient", "transient"]
    with pytest.raises(TransientClientError):
        message_deliver(tenant=tenant, message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "queued"
    assert message_deliver(tenant=tenant, message_id=message.pk, last_attempt=True) == "failed"
    message.refresh_from_db()
    assert (message.status, message.error) == ("failed", "provider busy")
    assert FakeWhatsAppClient.sends == {}


def test_a_permanent_error_fails_the_message_and_retry_sends_under_a_new_key(
    tenant, conversation, owner, queued, django_capture_on_commit_callbacks
):
    message = message_send_text(tenant=tenant, conversation=conversation, text="Nope", actor=owner.user)
    FakeWhatsAppClient.next_outcome = ["permanent"]
    assert message_deliver(tenant=tenant, message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", "131026")
    old_key = message.idempotency_key
    with django_capture_on_commit_callbacks(execute=True):
        message_retry(tenant=tenant, message=message, actor=owner.user)
    message.refresh_from_db()
    assert message.status == "queued"
    assert message.idempotency_key != old_key
    assert queued[-1] == ("message_send_task", (message.pk,))
    assert message_deliver(tenant=tenant, message_id=message.pk) == "sent"
    assert sum(FakeWhatsAppClient.sends.values()) == 1


def test_a_timeout_leaves_it_sending_so_the_retry_looks_first(tenant, conversation, owner, queued):
    message = message_send_text(tenant=tenant, conversation=conversation, text="Slow", actor=owner.user)
    FakeWhatsAppClient.next_outcome = ["timeout"]
    with pytest.raises(TransientClientError):
        message_deliver(tenant=tenant, message_id=message.pk)
    Message.objects.filter(pk=message.pk).update(send_started_at=message.created_at - timedelta(minutes=5))
    assert message_deliver(tenant=tenant, message_id=message.pk) == "sent"
    assert FakeWhatsAppClient.sends[message.idempotency_key] == 1


def test_free_text_outside_the_window_is_refused_and_nothing_is_queued(
    tenant, numbers, owner, queued, django_capture_on_commit_callbacks, english
):
    from django.db import connection

    connection.set_tenant(tenant)
    closed = make_conversation(tenant, phone="+34622333444", inbound_ago=timedelta(hours=25))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(WindowClosed) as refused:
        message_send_text(tenant=tenant, conversation=closed, text="Hello?", actor=owner.user)
    assert "template" in refused.value.message
    assert Message.objects.filter(conversation=closed).count() == 0
    assert queued == []
    never = make_conversation(tenant, phone="+34633444555", inbound_ago=None)
    assert not never.window_open
    with pytest.raises(WindowClosed):
        message_send_text(tenant=tenant, conversation=never, text="Hello?", actor=owner.user)


def test_a_template_is_allowed_outside_the_window_and_idempotent_by_key(tenant, numbers, queued):
    from django.db import connection

    connection.set_tenant(tenant)
    closed = make_conversation(tenant, inbound_ago=timedelta(days=3))
    components = [{"type": "body", "parameters": [{"type": "text", "text": "4"}]}]
    first = message_send_template(
        tenant=tenant, conversation=closed, name="reservation_confirmation", language="en_US",
        components=components, actor=AGENT, idempotency_key="campaign-7-lead-1",
    )  # fmt: skip
    again = message_send_template(
        tenant=tenant, conversation=closed, name="reservation_confirmation", language="en_US",
        components=components, actor=AGENT, idempotency_key="campaign-7-lead-1",
    )  # fmt: skip
    assert first.pk == again.pk
    assert (first.kind, first.sender, first.idempotency_key) == ("template", "agent", "campaign-7-lead-1")
    assert message_deliver(tenant=tenant, message_id=first.pk) == "sent"
    sent = FakeWhatsAppClient.sent[0][1]
    assert (sent.kind, sent.template_name, sent.template_language, sent.components) == (
        "template", "reservation_confirmation", "en_US", components,
    )  # fmt: skip


def test_cloud_template_body_matches_the_contract_and_its_response_is_read():
    request = json.loads(contract("whatsapp_template_send_request.json"))["body"]
    template = request["template"]
    outbound = Outbound(
        to="+16505551234",
        kind="template",
        template_name=template["name"],
        template_language=template["language"]["code"],
        components=template["components"],
    )
    assert cloud_message_body(outbound) == request
    result = parse_cloud_send_response(json.loads(contract("whatsapp_template_send_response.json")))
    assert result.provider_message_id == "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJBRkJENzExMTRFRjk2NTI1OTEA"


def test_ycloud_bodies_carry_the_idempotency_key():
    text = ycloud_message_body(
        Outbound(to="34611222333", kind="text", text="Hi"), sender="+15550000001", idempotency_key="k"
    )
    assert text == {
        "from": "+15550000001", "to": "+34611222333", "externalId": "k", "type": "text",
        "text": {"body": "Hi", "previewUrl": False},
    }  # fmt: skip
    template = ycloud_message_body(
        Outbound(to="+34611222333", kind="template", template_name="hello", template_language="es"),
        sender="+15550000001",
        idempotency_key="k2",
    )
    assert template["template"] == {"name": "hello", "language": {"code": "es"}}


def test_a_text_too_long_or_empty_is_refused(tenant, conversation, owner, queued, django_capture_on_commit_callbacks):
    from core.errors import ApplicationError

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ApplicationError):
            message_send_text(tenant=tenant, conversation=conversation, text="   ", actor=owner.user)
        with pytest.raises(ApplicationError):
            message_send_text(tenant=tenant, conversation=conversation, text="x" * 4097, actor=owner.user)
    assert queued == []
    assert Message.objects.count() == 0


def test_the_send_task_runs_the_delivery_in_its_company(tenant, conversation, owner, queued):
    from chats.tasks import message_send_task

    message = message_send_text(tenant=tenant, conversation=conversation, text="Task", actor=owner.user)
    assert message_send_task.run(message.pk) == "sent"
    assert message_send_task.run(message.pk) == "done"
    assert FakeWhatsAppClient.sends[message.idempotency_key] == 1
