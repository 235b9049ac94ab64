"""Webhook intake: the contract files' exact bytes, signatures, redeliveries, isolation, every kind."""

from __future__ import annotations

import json
import time

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from chats.models import Conversation, Message
from chats.tests.conftest import APP_SECRET, CLOUD_NUMBER_ID, GLOBEX_SECRET, YCLOUD_SECRET, contract
from crm.models import Lead, TimelineEntry
from webhooks.models import WebhookEvent

CLOUD_FILES = {
    "whatsapp_cloud_webhook_text.json": ("in", "text", "Does it come in another color?"),
    "whatsapp_cloud_webhook_text_ctwa_referral.json": ("in", "text", "Can I get more info about this?"),
    "whatsapp_cloud_webhook_audio.json": ("in", "voice", ""),
    "whatsapp_cloud_webhook_image.json": ("in", "image", "Taj Mahal"),
    "whatsapp_cloud_webhook_status_sent.json": ("status", "sent", ""),
}


def cloud_payload(*messages, statuses=(), number_id=CLOUD_NUMBER_ID, name="Ana Test") -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": number_id},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": messages[0]["from"]}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body).encode()


def message(
    kind: str, content: dict | None = None, *, mid: str = "wamid.X1", sender: str = "34611222333", **extra
) -> dict:
    data = {"from": sender, "id": mid, "timestamp": str(int(time.time())), "type": kind, **extra}
    if content is not None:
        data[kind] = content
    return data


@pytest.mark.parametrize("name", sorted(CLOUD_FILES))
def test_each_cloud_contract_posted_three_times_is_stored_and_processed_once(
    name, numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme
):
    body = contract(name)
    with django_capture_on_commit_callbacks(execute=True):
        answers = [post_cloud(body).status_code for _ in range(3)]
    assert answers == [200, 200, 200]
    assert WebhookEvent.objects.count() == 1
    event = WebhookEvent.objects.get()
    assert bytes(event.body) == body
    assert event.tenant_id == acme.pk
    assert [task for task, _args in run_tasks].count("webhook_event_task") == 1
    direction, kind, text = CLOUD_FILES[name]
    with tenant_context(acme):
        if direction == "in":
            stored = Message.objects.get()
            assert (stored.direction, stored.kind, stored.text) == ("in", kind, text)
            assert stored.conversation.lead.phone == "+16505551234"
            assert stored.conversation.lead.source == "whatsapp"
            assert stored.conversation.lead.first_name == "Sheena"
            assert stored.conversation.unread_count == 1
            assert TimelineEntry.objects.filter(kind="whatsapp_in", lead=stored.conversation.lead).count() == 1
            event.refresh_from_db()
            assert event.status == "processed", event.error
        else:
            # A status for a message this company never sent: kept with its error, replayable.
            assert Message.objects.count() == 0
            event.refresh_from_db()
            assert event.status == "failed"
            assert "unknown message wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=" in event.error


@pytest.mark.parametrize("name", sorted(CLOUD_FILES))
def test_wrong_missing_or_altered_signature_is_refused_and_nothing_stored(
    name, numbers, post_cloud, queued, django_capture_on_commit_callbacks
):
    from chats.webhooks.intake import cloud_signature

    body = contract(name)
    altered = body.replace(b"16505551234", b"16505559999")
    assert altered != body
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert post_cloud(body, secret="not-the-secret").status_code == 403
        assert post_cloud(body, signature="").status_code == 403
        assert post_cloud(body, signature="sha256=" + "0" * 64).status_code == 403
        assert post_cloud(altered, signature=cloud_signature(body, APP_SECRET)).status_code == 403
    assert callbacks == []
    assert WebhookEvent.objects.count() == 0
    assert queued == []


def test_contract_verification_handshake(numbers, public_client):
    spec = json.loads(contract("whatsapp_cloud_webhook_verification.json"))["get_verification_request"]["query"]
    answer = public_client.get("/webhooks/whatsapp/cloud/", spec)
    assert answer.status_code == 200
    assert answer.content == b"1158201444"
    wrong = public_client.get("/webhooks/whatsapp/cloud/", {**spec, "hub.verify_token": "guess"})
    assert wrong.status_code == 403
    assert b"1158201444" not in wrong.content


def test_ycloud_contract_posted_three_times_is_stored_once_and_kept_with_its_error(
    numbers, post_ycloud, run_tasks, django_capture_on_commit_callbacks, acme
):
    body = contract("ycloud_webhook_inbound_text.json")
    with django_capture_on_commit_callbacks(execute=True):
        answers = [post_ycloud(body).status_code for _ in range(3)]
    assert answers == [200, 200, 200]
    event = WebhookEvent.objects.get()
    assert event.dedupe_key == "ycloud:evt_eEkn26qar3nOB8md"
    event.refresh_from_db()
    # The documentation's placeholder sender is not a phone number: nothing invented, the error kept.
    assert event.status == "failed"
    assert "message wamid.HBgNODi..." in event.error
    with tenant_context(acme):
        assert Message.objects.count() == 0


def test_ycloud_bad_stale_or_altered_signature_is_refused(
    numbers, post_ycloud, queued, django_capture_on_commit_callbacks
):
    from chats.webhooks.intake import ycloud_signature

    body = contract("ycloud_webhook_inbound_text.json")
    stamp = int(time.time())
    altered = body.replace(b'"OK"', b'"KO"')
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert post_ycloud(body, secret="wrong").status_code == 403
        assert post_ycloud(body, signature="").status_code == 403
        assert post_ycloud(body, at=int(time.time()) - 3600).status_code == 403
        assert post_ycloud(altered, signature=ycloud_signature(body, YCLOUD_SECRET, stamp)).status_code == 403
        assert post_ycloud(body, signature=f"t={stamp},s=" + "0" * 64).status_code == 403
    assert callbacks == []
    assert WebhookEvent.objects.count() == 0
    assert queued == []


def test_ycloud_inbound_and_status_with_a_real_number(
    numbers, post_ycloud, run_tasks, django_capture_on_commit_callbacks, acme
):
    inbound = json.loads(contract("ycloud_webhook_inbound_text.json"))
    inbound["id"] = "evt_real_1"
    inbound["whatsappInboundMessage"].update({"from": "+34611222333", "wamid": "wamid.Y1", "text": {"body": "Hola"}})
    with django_capture_on_commit_callbacks(execute=True):
        assert post_ycloud(json.dumps(inbound).encode()).status_code == 200
    with tenant_context(acme):
        stored = Message.objects.get()
        assert (stored.text, stored.conversation.provider, stored.conversation.lead.phone) == (
            "Hola",
            "ycloud",
            "+34611222333",
        )
        outbound = Message.objects.create(
            conversation=stored.conversation, direction="out", kind="text", text="Hi", status="sent",
            provider_message_id="wamid.OUT1", sender="user", idempotency_key="k-ycloud-1",
        )  # fmt: skip
    update = {
        "id": "evt_real_2",
        "type": "whatsapp.message.updated",
        "whatsappMessage": {
            "id": "yc1", "wamid": "wamid.OUT1", "from": "BUSINESS-PHONE-NUMBER", "to": "+34611222333",
            "status": "failed", "errorCode": "131047", "errorMessage": "Re-engagement message",
            "externalId": "k-ycloud-1",
        },
    }  # fmt: skip
    connection.set_schema_to_public()
    with django_capture_on_commit_callbacks(execute=True):
        assert post_ycloud(json.dumps(update).encode()).status_code == 200
    with tenant_context(acme):
        outbound.refresh_from_db()
        assert (outbound.status, outbound.error_code, outbound.error) == ("failed", "131047", "Re-engagement message")


def test_a_webhook_for_acmes_number_never_touches_globex(
    numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme, globex
):
    with django_capture_on_commit_callbacks(execute=True):
        assert post_cloud(contract("whatsapp_cloud_webhook_text.json")).status_code == 200
        # globex's secret cannot sign for acme's number
        assert post_cloud(contract("whatsapp_cloud_webhook_image.json"), secret=GLOBEX_SECRET).status_code == 403
    with tenant_context(globex):
        assert Message.objects.count() == 0
        assert Conversation.objects.count() == 0
        assert not Lead.objects.filter(phone="+16505551234").exists()
    with tenant_context(acme):
        assert Message.objects.count() == 1
    assert WebhookEvent.objects.get().tenant_id == acme.pk


def test_unknown_number_is_refused(numbers, post_cloud):
    body = cloud_payload(message("text", {"body": "hi"}), number_id="123")
    assert post_cloud(body).status_code == 403
    assert WebhookEvent.objects.count() == 0


def _deliver(post_cloud, django_capture_on_commit_callbacks, *messages, statuses=()):
    with django_capture_on_commit_callbacks(execute=True):
        assert post_cloud(cloud_payload(*messages, statuses=statuses)).status_code == 200
    connection.set_schema_to_public()
    return WebhookEvent.objects.order_by("-pk").first()


def test_every_documented_kind_is_stored(numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme):
    deliveries = [
        message(
            "interactive", {"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes please"}}, mid="w1"
        ),
        message(
            "interactive",
            {"type": "list_reply", "list_reply": {"id": "slot-2", "title": "Tue 10:00", "description": "Cut"}},
            mid="w2",
        ),
        message("button", {"payload": "CONFIRM", "text": "Confirm"}, mid="w3"),
        message("reaction", {"message_id": "wamid.OUT", "emoji": "👍"}, mid="w4"),
        message("sticker", {"mime_type": "image/webp", "id": "st1", "animated": False}, mid="w5"),
        message("location", {"latitude": 40.4, "longitude": -3.7, "name": "Office", "address": "Gran Vía 1"}, mid="w6"),
        message(
            "contacts",
            None,
            mid="w7",
            contacts=[{"name": {"formatted_name": "Luis P"}, "phones": [{"phone": "+34600000001"}]}],
        ),
        message("unsupported", None, mid="w8", errors=[{"code": 131051, "title": "Message type unknown"}]),
        message("video", {"mime_type": "video/mp4", "id": "v1", "caption": "look"}, mid="w9"),
        message("document", {"mime_type": "application/pdf", "id": "d1", "filename": "offer.pdf"}, mid="w10"),
    ]
    for item in deliveries:
        event = _deliver(post_cloud, django_capture_on_commit_callbacks, item)
        assert event.status == "processed", event.error
    with tenant_context(acme):
        stored = {m.provider_message_id: m for m in Message.objects.all()}
        assert (stored["w1"].kind, stored["w1"].text, stored["w1"].payload["id"]) == (
            "interactive",
            "Yes please",
            "yes",
        )
        assert stored["w2"].payload == {
            "type": "list_reply",
            "id": "slot-2",
            "title": "Tue 10:00",
            "description": "Cut",
        }
        assert (stored["w3"].kind, stored["w3"].payload["id"]) == ("interactive", "CONFIRM")
        assert (stored["w4"].kind, stored["w4"].payload) == ("reaction", {"emoji": "👍", "message_id": "wamid.OUT"})
        assert (stored["w5"].kind, stored["w5"].media_id, stored["w5"].media_state) == ("sticker", "st1", "failed")
        assert stored["w6"].payload["latitude"] == 40.4
        assert stored["w6"].text == "Office"
        assert stored["w7"].payload == {"contacts": [{"name": "Luis P", "phones": ["+34600000001"]}]}
        assert stored["w8"].kind == "unsupported"
        assert (stored["w9"].kind, stored["w9"].text) == ("video", "look")
        assert (stored["w10"].kind, stored["w10"].media_name) == ("document", "offer.pdf")
        assert Conversation.objects.count() == 1
        assert Conversation.objects.get().unread_count == 10


def test_an_unknown_message_type_is_kept_with_its_error_and_can_be_replayed(
    numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme
):
    event = _deliver(
        post_cloud, django_capture_on_commit_callbacks, message("order", {"catalog_id": "1"}, mid="w-order")
    )
    assert event.status == "failed"
    assert "not handled: message type 'order'" in event.error
    with tenant_context(acme):
        assert Message.objects.get().kind == "unsupported"
        from chats.services import event_process

        assert event_process(tenant=acme, event_id=event.pk, replay=True) == "failed"
        assert Message.objects.count() == 1  # a replay stores nothing twice


def test_failed_status_with_error_code_and_replay_after_the_message_exists(
    numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme
):
    failed = {
        "id": "wamid.SENT1", "status": "failed", "timestamp": str(int(time.time())), "recipient_id": "34611222333",
        "errors": [
            {"code": 131026, "title": "Message undeliverable", "error_data": {"details": "Receiver is incapable"}}
        ],
    }  # fmt: skip
    event = _deliver(post_cloud, django_capture_on_commit_callbacks, statuses=[failed])
    assert event.status == "failed"
    with tenant_context(acme):
        _deliver_inbound_in(acme)
        conversation = Conversation.objects.get()
        sent = Message.objects.create(
            conversation=conversation, direction="out", kind="text", text="Hi", status="sent",
            provider_message_id="wamid.SENT1", sender="user", idempotency_key="k1",
        )  # fmt: skip
        from chats.services import event_process

        assert event_process(tenant=acme, event_id=event.pk, replay=True) == "processed"
        sent.refresh_from_db()
        assert (sent.status, sent.error_code, sent.error) == ("failed", "131026", "Receiver is incapable")


def _deliver_inbound_in(tenant):
    from chats.services import message_receive
    from chats.webhooks.parsing import InboundItem

    message_receive(
        tenant=tenant,
        provider="whatsapp_cloud",
        item=InboundItem(
            provider_message_id="wamid.IN1", phone_number_id=CLOUD_NUMBER_ID, from_phone="34611222333", text="hi"
        ),
    )


def test_statuses_only_move_forward(numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme):
    with tenant_context(acme):
        _deliver_inbound_in(acme)
        sent = Message.objects.create(
            conversation=Conversation.objects.get(), direction="out", kind="text", text="Hi", status="sent",
            provider_message_id="wamid.S2", sender="user", idempotency_key="k2",
        )  # fmt: skip
    connection.set_schema_to_public()
    now = str(int(time.time()))
    _deliver(
        post_cloud,
        django_capture_on_commit_callbacks,
        statuses=[{"id": "wamid.S2", "status": "read", "timestamp": now}],
    )
    _deliver(
        post_cloud,
        django_capture_on_commit_callbacks,
        statuses=[{"id": "wamid.S2", "status": "delivered", "timestamp": now}],
    )
    with tenant_context(acme):
        sent.refresh_from_db()
        assert sent.status == "read"
        assert sent.read_at is not None


def test_click_to_whatsapp_referral_fills_the_leads_ad_attribution(
    numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme
):
    with django_capture_on_commit_callbacks(execute=True):
        post_cloud(contract("whatsapp_cloud_webhook_text_ctwa_referral.json"))
    with tenant_context(acme):
        lead = Lead.objects.get(phone="+16505551234")
        assert lead.meta_ad_id == "120226305854810726"
        assert lead.ad_headline == "Chat with us"
        assert lead.ad_body == "Summer Succulents are here!"
        assert lead.click_id.startswith("Aff-n8ZTODiE79d22")


def test_a_delivery_that_is_not_json_is_refused(numbers, post_cloud):
    assert post_cloud(b"not json").status_code == 403
    assert WebhookEvent.objects.count() == 0


def test_a_signed_but_malformed_delivery_is_kept_with_its_error(
    numbers, post_cloud, queued, django_capture_on_commit_callbacks
):
    body = json.dumps(
        {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": CLOUD_NUMBER_ID}, "messages": [{"type": "text"}]}}]}]}
    ).encode()  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert post_cloud(body).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == "failed"
    assert "a message without id or sender" in event.error
    assert queued == []


def test_a_status_that_overtakes_its_send_is_tried_again(numbers, post_cloud, queued, acme):
    from chats.tasks import webhook_event_task

    now = str(int(time.time()))
    post_cloud(cloud_payload(statuses=[{"id": "wamid.LATE", "status": "delivered", "timestamp": now}]))
    event = WebhookEvent.objects.get()
    with tenant_context(acme):
        result = webhook_event_task.apply(args=[event.pk])
    event.refresh_from_db()
    assert result.get(propagate=False) == "failed"
    assert event.attempts == 4  # the first try and three retries (eager: no waiting)
    assert event.status == "failed"


def test_a_message_that_fails_to_process_does_not_fail_the_task(numbers, post_cloud, run_tasks, monkeypatch, acme):
    def broken(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr("chats.services.inbound.message_receive", broken)
    post_cloud(cloud_payload(message("text", {"body": "hi"}, mid="w-broken")))
    event = WebhookEvent.objects.get()
    from chats.services import event_process

    with tenant_context(acme):
        assert event_process(tenant=acme, event_id=event.pk) == "failed"
    event.refresh_from_db()
    assert "RuntimeError: database hiccup" in event.error


def test_media_is_downloaded_through_the_provider_into_the_companys_files_before_the_hooks_run(
    numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme
):
    import chats.hooks
    from chats.clients.fakes import FakeWhatsAppClient
    from chats.clients.whatsapp import MediaFile

    FakeWhatsAppClient.media["1003383421387256"] = MediaFile(content=b"\xff\xd8taj-mahal", mime="image/jpeg")
    seen = []

    def receiver(*, tenant, message):
        seen.append((message.kind, message.media_state))

    chats.hooks._receivers.append(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            post_cloud(contract("whatsapp_cloud_webhook_image.json"))
    finally:
        chats.hooks._receivers.remove(receiver)
    assert seen == [("image", "ready")]
    with tenant_context(acme):
        image = Message.objects.get()
        assert (image.media_state, image.media_mime, image.media_size, image.text) == (
            "ready",
            "image/jpeg",
            11,
            "Taj Mahal",
        )
        assert image.media_file.read() == b"\xff\xd8taj-mahal"
        assert "/acme/chats/" in image.media_file.path  # the tenant storage keeps each company apart
        image.media_file.delete(save=False)
