"""Every kind the providers document: stored, acknowledged, or kept with a clear "not handled" error.
Cloud API: request_welcome, system, order, unknown, unsupported variants, nfm_reply, `errors` arrays on
statuses and on the whole change, other statuses and fields. YCloud: every `whatsapp.message.updated`
status, the reaction and interactive variants, and events not handled."""

from __future__ import annotations

import json
import time

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from chats.models import Conversation, Message
from chats.tests.test_webhooks import _deliver, _deliver_inbound_in, cloud_payload, message
from crm.models import Lead
from webhooks.models import WebhookEvent


def _outbound(acme, *, wamid: str, status: str = "sent", key: str = "k-out") -> Message:
    with tenant_context(acme):
        _deliver_inbound_in(acme)
        return Message.objects.create(
            conversation=Conversation.objects.get(), direction="out", kind="text", text="Hi", status=status,
            provider_message_id=wamid, sender="user", idempotency_key=key,
        )  # fmt: skip


def test_request_welcome_is_acknowledged_and_stores_nothing(
    numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme
):
    event = _deliver(
        post_cloud, django_capture_on_commit_callbacks, message("request_welcome", None, mid="wamid.WELCOME")
    )
    assert (event.status, event.error, event.kind) == ("processed", "", "request_welcome")
    with tenant_context(acme):
        assert Message.objects.count() == 0
        assert Conversation.objects.count() == 0
        assert not Lead.objects.filter(phone="+34611222333").exists()


def test_a_changed_user_id_without_a_phone_is_shown_and_kept_with_a_not_handled_error(
    numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme
):
    # A number change is handled (chats/tests/test_number_change.py); a new business-scoped user id names
    # no phone, so there is nothing to change on the lead.
    system = {"body": "Ana changed her user id", "user_id": "US.2", "previous_user_id": "US.1",
              "type": "user_changed_user_id"}  # fmt: skip
    event = _deliver(post_cloud, django_capture_on_commit_callbacks, message("system", system, mid="wamid.SYS"))
    assert event.status == "failed"
    assert event.error == "not handled: system message 'user_changed_user_id' (new WhatsApp id US.2)"
    with tenant_context(acme):
        stored = Message.objects.get()
        assert (stored.kind, stored.text) == ("unsupported", "Ana changed her user id")
        assert stored.payload == {"type": "system", "system": system}
        assert Lead.objects.get().phone == "+34611222333"


def test_an_order_without_items_is_kept_with_a_not_handled_error(
    numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme
):
    # Orders with items become a quote (chats/tests/test_orders.py).
    order = {"catalog_id": "cat-9", "text": "For Friday please", "product_items": []}
    event = _deliver(post_cloud, django_capture_on_commit_callbacks, message("order", order, mid="wamid.ORDER"))
    assert (event.status, event.error) == ("failed", "not handled: message type 'order' (catalog cat-9, no items)")
    with tenant_context(acme):
        stored = Message.objects.get()
        assert (stored.kind, stored.text, stored.payload) == (
            "unsupported",
            "For Friday please",
            {"type": "order", "order": order},
        )


def test_unknown_and_unsupported_variants_are_stored_as_unsupported(
    numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme
):
    unknown_errors = [{"code": 131051, "details": "Message type is not currently supported", "title": "Unsupported"}]
    edit_errors = [{"code": 131051, "title": "Message type unknown", "message": "Message type unknown"}]
    first = _deliver(
        post_cloud, django_capture_on_commit_callbacks, message("unknown", None, mid="w-unk", errors=unknown_errors)
    )
    second = _deliver(
        post_cloud,
        django_capture_on_commit_callbacks,
        message("unsupported", {"type": "edit"}, mid="w-edit", errors=edit_errors),
    )
    assert (first.status, second.status) == ("processed", "processed")
    with tenant_context(acme):
        stored = {m.provider_message_id: m for m in Message.objects.all()}
        assert (stored["w-unk"].kind, stored["w-unk"].payload) == ("unsupported", {"errors": unknown_errors})
        assert (stored["w-edit"].kind, stored["w-edit"].payload) == (
            "unsupported",
            {"errors": edit_errors, "type": "edit"},
        )


def test_a_flow_reply_keeps_its_answers(numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme):
    flow = {"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": '{"slot": "tue"}'}}
    event = _deliver(post_cloud, django_capture_on_commit_callbacks, message("interactive", flow, mid="w-flow"))
    assert event.status == "processed", event.error
    with tenant_context(acme):
        stored = Message.objects.get()
        assert (stored.kind, stored.text) == ("interactive", "Sent")
        assert stored.payload == {"type": "nfm_reply", "id": "", "title": "", "response": '{"slot": "tue"}',
                                  "name": "flow"}  # fmt: skip


def test_every_error_of_a_failed_status_is_kept(
    numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme
):
    sent = _outbound(acme, wamid="wamid.F2")
    connection.set_schema_to_public()
    failed = {"id": "wamid.F2", "status": "failed", "timestamp": str(int(time.time())), "errors": [
        {"code": 131049, "title": "Not delivered", "message": "Not delivered to maintain healthy ecosystem engagement"},
        {"code": 131026, "title": "Message undeliverable", "error_data": {"details": "Receiver is incapable"}},
    ]}  # fmt: skip
    event = _deliver(post_cloud, django_capture_on_commit_callbacks, statuses=[failed])
    assert event.status == "processed", event.error
    with tenant_context(acme):
        sent.refresh_from_db()
        assert (sent.status, sent.error_code) == ("failed", "131049")
        assert sent.error == ("Not delivered to maintain healthy ecosystem engagement; 131026 Receiver is incapable")


@pytest.mark.parametrize("status", ["deleted", "warning"])
def test_a_status_that_is_not_a_delivery_step_is_kept_and_changes_nothing(
    status, numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme
):
    sent = _outbound(acme, wamid="wamid.S3", status="delivered")
    connection.set_schema_to_public()
    item = {"id": "wamid.S3", "status": status, "timestamp": str(int(time.time())),
            "errors": [{"code": 131000, "title": "Something went wrong"}]}  # fmt: skip
    event = _deliver(post_cloud, django_capture_on_commit_callbacks, statuses=[item])
    assert (event.status, event.error) == (
        "failed",
        f"not handled: status '{status}' of message wamid.S3: 131000 Something went wrong",
    )
    with tenant_context(acme):
        sent.refresh_from_db()
        assert (sent.status, sent.error) == ("delivered", "")


def test_account_errors_and_other_fields_are_kept_with_their_text(
    numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme
):
    body = json.loads(cloud_payload(message("text", {"body": "hola"}, mid="w-acc")))
    body["entry"][0]["changes"][0]["value"]["errors"] = [
        {"code": 131000, "title": "Something went wrong", "error_data": {"details": "Try again later"}}
    ]
    body["entry"][0]["changes"].append({"field": "message_template_status_update", "value": {"event": "APPROVED"}})
    with django_capture_on_commit_callbacks(execute=True):
        assert post_cloud(json.dumps(body).encode()).status_code == 200
    connection.set_schema_to_public()
    event = WebhookEvent.objects.get()
    assert event.status == "failed"
    assert event.error == (
        "not handled: account errors: 131000 Try again later\nnot handled: field 'message_template_status_update'"
    )
    with tenant_context(acme):
        assert Message.objects.get().text == "hola"  # what could be read was stored


# YCloud


def _ycloud(post_ycloud, django_capture_on_commit_callbacks, event: dict) -> WebhookEvent:
    with django_capture_on_commit_callbacks(execute=True):
        assert post_ycloud(json.dumps(event).encode()).status_code == 200
    connection.set_schema_to_public()
    return WebhookEvent.objects.get(dedupe_key=f"ycloud:{event['id']}")


def _ycloud_inbound(event_id: str, wamid: str, kind: str, content: dict) -> dict:
    return {
        "id": event_id, "type": "whatsapp.inbound_message.received", "apiVersion": "v2",
        "createTime": "2026-12-03T12:00:00.000Z",
        "whatsappInboundMessage": {
            "id": f"yc-{wamid}", "wamid": wamid, "wabaId": "WABA-ID", "from": "+34611222333",
            "customerProfile": {"name": "Ana"}, "to": "BUSINESS-PHONE-NUMBER",
            "sendTime": "2026-12-03T12:00:00.000Z", "type": kind, kind: content,
        },
    }  # fmt: skip


def _ycloud_update(event_id: str, status: str, **fields) -> dict:
    return {
        "id": event_id, "type": "whatsapp.message.updated", "apiVersion": "v2",
        "createTime": "2026-12-03T12:00:00.000Z",
        "whatsappMessage": {
            "id": "yc-out-1", "wamid": "wamid.YOUT", "from": "BUSINESS-PHONE-NUMBER", "to": "+34611222333",
            "status": status, "externalId": "k-yc", "updateTime": "2026-12-03T12:00:05.000Z", **fields,
        },
    }  # fmt: skip


@pytest.mark.parametrize(
    ("status", "expected"),
    [("accepted", "sent"), ("sent", "sent"), ("delivered", "delivered"), ("read", "read"), ("failed", "failed")],
)
def test_every_ycloud_message_status(
    status, expected, numbers, post_ycloud, run_tasks, django_capture_on_commit_callbacks, acme
):
    sending = _outbound(acme, wamid="", status="sending", key="k-yc")
    connection.set_schema_to_public()
    api_error = {
        "message": "(#131056) pair rate limit hit", "type": "OAuthException", "code": "131056",
        "error_data": {"messaging_product": "whatsapp", "details": "Too many messages to this number"},
    }  # fmt: skip
    extra = {"errorCode": "131056", "errorMessage": "(#131056) pair rate limit hit", "whatsappApiError": api_error}
    event = _ycloud(post_ycloud, django_capture_on_commit_callbacks, _ycloud_update(f"evt_{status}", status, **extra))
    assert event.status == "processed", event.error
    with tenant_context(acme):
        sending.refresh_from_db()
        assert (sending.status, sending.provider_message_id) == (expected, "wamid.YOUT")
        if status == "failed":
            assert (sending.error_code, sending.error) == ("131056", "Too many messages to this number")
        else:
            assert (sending.error_code, sending.error) == ("", "")


def test_a_ycloud_status_or_event_not_handled_is_kept_with_its_error(
    numbers, post_ycloud, run_tasks, django_capture_on_commit_callbacks, acme
):
    sent = _outbound(acme, wamid="wamid.YOUT", key="k-yc")
    connection.set_schema_to_public()
    odd = _ycloud(post_ycloud, django_capture_on_commit_callbacks, _ycloud_update("evt_odd", "deleted"))
    assert (odd.status, odd.error) == ("failed", "not handled: status 'deleted'")
    other = {"id": "evt_tpl", "type": "whatsapp.template.reviewed", "apiVersion": "v2",
             "whatsappTemplate": {"name": "hello", "status": "APPROVED"}}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        # No number in the event: nothing routes it to a company, so it is refused and nothing is stored.
        assert post_ycloud(json.dumps(other).encode()).status_code == 403
    assert not WebhookEvent.objects.filter(dedupe_key="ycloud:evt_tpl").exists()
    with tenant_context(acme):
        sent.refresh_from_db()
        assert sent.status == "sent"


@pytest.mark.parametrize(
    ("kind", "content", "expected_kind", "payload", "text"),
    [
        ("reaction", {"message_id": "wamid.YOUT", "emoji": "❤️"}, "reaction",
         {"emoji": "❤️", "message_id": "wamid.YOUT"}, "❤️"),
        ("reaction", {"messageId": "wamid.YOUT", "emoji": "👍"}, "reaction",
         {"emoji": "👍", "message_id": "wamid.YOUT"}, "👍"),
        ("reaction", {"message_id": "wamid.YOUT", "emoji": ""}, "reaction", {"emoji": "", "message_id": "wamid.YOUT"},
         ""),
        ("interactive", {"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}}, "interactive",
         {"type": "button_reply", "id": "yes", "title": "Yes"}, "Yes"),
        ("interactive", {"type": "button_reply", "buttonReply": {"id": "no", "title": "No"}}, "interactive",
         {"type": "button_reply", "id": "no", "title": "No"}, "No"),
        ("interactive", {"type": "list_reply", "list_reply": {"id": "s2", "title": "Tue", "description": "10:00"}},
         "interactive", {"type": "list_reply", "id": "s2", "title": "Tue", "description": "10:00"}, "Tue"),
        ("interactive", {"type": "list_reply", "listReply": {"id": "s3", "title": "Wed"}}, "interactive",
         {"type": "list_reply", "id": "s3", "title": "Wed"}, "Wed"),
        ("button", {"payload": "STOP", "text": "Stop promotions"}, "interactive",
         {"type": "button", "id": "STOP", "title": "Stop promotions"}, "Stop promotions"),
    ],
)  # fmt: skip
def test_ycloud_reaction_and_interactive_variants(
    kind, content, expected_kind, payload, text, numbers, post_ycloud, run_tasks, django_capture_on_commit_callbacks,
    acme,
):  # fmt: skip
    event = _ycloud(
        post_ycloud, django_capture_on_commit_callbacks, _ycloud_inbound("evt_in_1", "wamid.YIN1", kind, content)
    )
    assert event.status == "processed", event.error
    with tenant_context(acme):
        stored = Message.objects.get()
        assert (stored.kind, stored.payload, stored.text, stored.conversation.provider) == (
            expected_kind,
            payload,
            text,
            "ycloud",
        )


def test_ycloud_system_and_request_welcome(numbers, post_ycloud, run_tasks, django_capture_on_commit_callbacks, acme):
    system = {"type": "user_changed_user_id", "previous_user_id": "US.1", "user_id": "US.2"}
    changed = _ycloud(
        post_ycloud, django_capture_on_commit_callbacks, _ycloud_inbound("evt_sys", "wamid.YSYS", "system", system)
    )
    assert (changed.status, changed.error) == (
        "failed",
        "not handled: system message 'user_changed_user_id' (new WhatsApp id US.2)",
    )
    welcome = _ycloud(
        post_ycloud,
        django_capture_on_commit_callbacks,
        _ycloud_inbound("evt_welcome", "wamid.YWEL", "request_welcome", {}),
    )
    assert (welcome.status, welcome.error) == ("processed", "")
    with tenant_context(acme):
        assert list(Message.objects.values_list("provider_message_id", "kind")) == [("wamid.YSYS", "unsupported")]
