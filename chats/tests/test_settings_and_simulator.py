"""Connecting WhatsApp on the settings page, the test message, quick replies, the simulator and the demo."""

from __future__ import annotations

from io import StringIO

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from chats.clients.fakes import FakeWhatsAppClient
from chats.models import Conversation, Message, QuickReply
from tenants.models import Credential, Role, WhatsAppNumber
from tenants.vault import vault_get
from webhooks.models import WebhookEvent

CLOUD = {
    "phone_number_id": "123456789012345",
    "display_phone": "+34 600 111 222",
    "business_account_id": "987654321",
    "access_token": "EAA-secret-token",
    "app_secret": "app-secret-value",
    "verify_token": "verify-me-please",
}


def test_owner_connects_the_cloud_api_and_sees_the_webhook_url(owner, client_for, acme, english):
    client = client_for(owner)
    page = client.get("/chats/settings/")
    assert page.status_code == 200
    assert b"http://localhost/webhooks/whatsapp/cloud/" in page.content
    response = client.post("/chats/settings/connect/whatsapp_cloud/", CLOUD)
    assert response.status_code == 302
    number = WhatsAppNumber.objects.get(tenant=acme)
    assert (number.provider, number.phone_number_id, number.display_phone) == (
        "whatsapp_cloud", "123456789012345", "+34 600 111 222",
    )  # fmt: skip
    stored = vault_get(tenant=acme, kind=Credential.Kind.WHATSAPP_CLOUD)
    assert stored["app_secret"] == "app-secret-value"
    assert stored["business_account_id"] == "987654321"
    page = client.get("/chats/settings/").content.decode()
    assert "EAA-secret-token" not in page
    assert "app-secret-value" not in page


def test_first_connection_needs_every_secret(owner, client_for, acme, english):
    response = client_for(owner).post("/chats/settings/connect/whatsapp_cloud/", {**CLOUD, "app_secret": ""})
    assert response.status_code == 422
    assert b"app_secret" in response.content
    assert not WhatsAppNumber.objects.filter(tenant=acme).exists()


def test_a_number_of_another_company_cannot_be_taken(owner, client_for, acme, globex, english):
    WhatsAppNumber.objects.create(
        tenant=globex, provider="whatsapp_cloud", phone_number_id=CLOUD["phone_number_id"], display_phone="x"
    )
    response = client_for(owner).post("/chats/settings/connect/whatsapp_cloud/", CLOUD)
    assert response.status_code == 422
    assert b"another company" in response.content
    assert WhatsAppNumber.objects.get(phone_number_id=CLOUD["phone_number_id"]).tenant_id == globex.pk


def test_ycloud_connection_and_test_message(owner, client_for, acme, english):
    client = client_for(owner)
    values = {"phone_number": "+34 600 333 444", "api_key": "yc-key", "webhook_secret": "whsec"}
    assert client.post("/chats/settings/connect/ycloud/", values).status_code == 302
    assert WhatsAppNumber.objects.get(tenant=acme).phone_number_id == "+34600333444"
    response = client.post("/chats/settings/test/", {"provider": "ycloud", "phone": "+34 611 222 333"})
    assert response.status_code == 302
    ((_key, sent),) = FakeWhatsAppClient.sent
    assert (sent.kind, sent.template_name, sent.to) == ("template", "hello_world", "+34611222333")


def test_settings_are_for_owners_only(make_member, acme, client_for, globex_owner):
    seller = client_for(make_member(acme, Role.SELLER))
    assert seller.get("/chats/settings/").status_code == 403
    assert seller.post("/chats/settings/connect/whatsapp_cloud/", CLOUD).status_code == 403
    other = Client(HTTP_HOST="acme.localhost")
    other.force_login(globex_owner.user)
    assert other.get("/chats/settings/").status_code == 403
    assert Client(HTTP_HOST="acme.localhost").get("/chats/settings/").status_code == 302
    assert not WhatsAppNumber.objects.exists()


def test_quick_replies_are_offered_in_the_composer(owner, client_for, acme, numbers, english):
    client = client_for(owner)
    client.post("/chats/settings/quick-replies/", {"title": "Prices", "text": "Our prices start at 30 €."})
    with tenant_context(acme):
        assert QuickReply.objects.get().title == "Prices"
        from chats.tests.factories import make_conversation

        conversation = make_conversation(acme)
    page = client.get(f"/chats/{conversation.pk}/")
    assert "Our prices start at 30 €." in page.content.decode()


@pytest.fixture
def sandbox(acme):
    from chats.simulator import sandbox_number_id

    return WhatsAppNumber.objects.create(
        tenant=acme, provider="sandbox", phone_number_id=sandbox_number_id(acme), display_phone="+1 555 0100 01"
    )


def test_the_simulator_posts_a_signed_webhook_and_shows_the_answer(
    sandbox, owner, client_for, acme, run_tasks, django_capture_on_commit_callbacks, english
):
    client = client_for(owner)
    assert client.get("/chats/simulator/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/chats/simulator/", {"phone": "+34 699 000 111", "name": "Sim Lead", "text": "¿Abrís el sábado?"}
        )
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.provider, event.status, event.tenant_id) == ("sandbox", "processed", acme.pk)
    connection.set_tenant(acme)
    conversation = Conversation.objects.get()
    assert conversation.lead.phone == "+34699000111"
    assert conversation.lead.first_name == "Sim"
    inbound = Message.objects.get()
    assert inbound.text == "¿Abrís el sábado?"
    connection.set_schema_to_public()
    thread = client.get("/chats/simulator/thread/?phone=%2B34699000111").content.decode()
    assert "¿Abrís el sábado?" in thread


def test_the_simulator_is_not_there_without_a_sandbox_number(owner, client_for):
    assert client_for(owner).get("/chats/simulator/").status_code == 404


def test_the_sandbox_provider_sends_once_and_reports_statuses(
    sandbox, acme, owner, run_tasks, django_capture_on_commit_callbacks, settings
):
    from chats.clients.sandbox import SandboxClient
    from chats.clients.whatsapp import Outbound
    from chats.tasks import sandbox_status_task

    settings.CHATS_WHATSAPP_CLIENT = "real"
    with tenant_context(acme):
        client = SandboxClient(tenant=acme, phone_number_id=sandbox.phone_number_id)
        statuses = []
        original = sandbox_status_task.apply_async
        sandbox_status_task.apply_async = lambda args, countdown: statuses.append(args)
        try:
            result = client.send(Outbound(to="+34611222333", kind="text", text="hi"), idempotency_key="k-sandbox")
        finally:
            sandbox_status_task.apply_async = original
        assert client.lookup(idempotency_key="k-sandbox").provider_message_id == result.provider_message_id
        assert [status for _n, _w, status, _to in statuses] == ["delivered", "read"]
        # A status reported back goes through the real intake, signed with the sandbox secret.
        with django_capture_on_commit_callbacks(execute=True):
            assert sandbox_status_task.run(*statuses[0]) == 200
    event = WebhookEvent.objects.get()
    assert event.kind == "status:delivered"


def test_the_demo_gives_a_sandbox_number_and_conversations(acme, make_member):
    from chats import demo
    from crm import demo as crm_demo

    for key, role in (("owner", Role.OWNER), ("seller1", Role.SELLER), ("seller2", Role.SELLER)):
        make_member(acme, role, email=f"{key}@acme.test")
    with tenant_context(acme):
        crm_demo.seed(tenant=acme, stdout=StringIO())
        assert demo.seed(tenant=acme, stdout=StringIO()) == 8
        assert Conversation.objects.count() == 4
        assert Message.objects.filter(direction="out", status="read").exists()
        assert demo.seed(tenant=acme, stdout=StringIO()) == 0
    assert WhatsAppNumber.objects.filter(tenant=acme, provider="sandbox").count() == 1


def test_a_file_sent_on_a_sandbox_conversation_is_accepted_and_shown_in_the_simulator(
    sandbox, acme, owner, client_for, queued, settings, english
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chats.services import message_deliver, message_send_media
    from chats.tasks import sandbox_status_task
    from crm.public import lead_upsert_by_phone

    settings.CHATS_WHATSAPP_CLIENT = "real"
    with tenant_context(acme):
        lead, _ = lead_upsert_by_phone(tenant=acme, phone="+34699000222", source="whatsapp")
        conversation = Conversation.objects.create(
            lead=lead, provider="sandbox", phone_number_id=sandbox.phone_number_id,
            business_phone=sandbox.display_phone, last_inbound_at=timezone.now(), last_message_at=timezone.now(),
        )  # fmt: skip
        message = message_send_media(
            tenant=acme,
            conversation=conversation,
            upload=SimpleUploadedFile("offer.pdf", b"%PDF-1.4 offer", content_type="application/pdf"),
            caption="Your offer",
            actor=owner.user,
        )
        statuses = []
        original = sandbox_status_task.apply_async
        sandbox_status_task.apply_async = lambda args, countdown: statuses.append(args)
        try:
            assert message_deliver(tenant=acme, message_id=message.pk) == "sent"
        finally:
            sandbox_status_task.apply_async = original
        message.refresh_from_db()
        assert (message.kind, message.status) == ("document", "sent")
        assert message.provider_message_id.startswith("wamid.sandbox.")
        assert [(wamid, status) for _n, wamid, status, _to in statuses] == [
            (message.provider_message_id, "delivered"),
            (message.provider_message_id, "read"),
        ]
    thread = client_for(owner).get("/chats/simulator/thread/?phone=%2B34699000222").content.decode()
    assert "Your offer" in thread
