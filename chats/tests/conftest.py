"""Chats fixtures: connected numbers for acme (Cloud API and YCloud, the contract files' numbers) and
globex (another number), the fake provider reset per test, and background tasks run in-line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from chats.clients.fakes import FakeWhatsAppClient
from chats.webhooks import intake
from tenants.models import Credential, WhatsAppNumber
from tenants.vault import vault_set

CONTRACTS = Path(__file__).parent / "contracts"
CLOUD_NUMBER_ID = "106540352242922"  # metadata.phone_number_id of every Cloud contract file
YCLOUD_NUMBER = "BUSINESS-PHONE-NUMBER"  # whatsappInboundMessage.to of the YCloud contract file
GLOBEX_NUMBER_ID = "999000111222333"
APP_SECRET = "acme-app-secret-0123456789"
YCLOUD_SECRET = "whsec_acme_0123456789"
GLOBEX_SECRET = "globex-app-secret-9876543210"


def contract(name: str) -> bytes:
    return (CONTRACTS / name).read_bytes()


@pytest.fixture(autouse=True)
def _fresh_provider_and_routes():
    FakeWhatsAppClient.reset()
    intake.routes_clear()
    yield
    FakeWhatsAppClient.reset()
    intake.routes_clear()


@pytest.fixture
def numbers(acme, globex, owner, globex_owner):
    """acme: Cloud API number 106540352242922 and YCloud number BUSINESS-PHONE-NUMBER; globex: another
    Cloud API number with its own secret."""
    vault_set(
        tenant=acme,
        kind=Credential.Kind.WHATSAPP_CLOUD,
        values={
            "phone_number_id": CLOUD_NUMBER_ID,
            "access_token": "EAA-test",
            "app_secret": APP_SECRET,
            "verify_token": "vibecoding",
        },
        actor=owner.user,
    )
    vault_set(
        tenant=acme,
        kind=Credential.Kind.YCLOUD,
        values={"phone_number": YCLOUD_NUMBER, "api_key": "yc-key", "webhook_secret": YCLOUD_SECRET},
        actor=owner.user,
    )
    vault_set(
        tenant=globex,
        kind=Credential.Kind.WHATSAPP_CLOUD,
        values={
            "phone_number_id": GLOBEX_NUMBER_ID,
            "access_token": "EAA-globex",
            "app_secret": GLOBEX_SECRET,
            "verify_token": "globex-token",
        },
        actor=globex_owner.user,
    )
    connection.set_schema_to_public()
    WhatsAppNumber.objects.create(
        tenant=acme, provider="whatsapp_cloud", phone_number_id=CLOUD_NUMBER_ID, display_phone="+15550783881"
    )
    WhatsAppNumber.objects.create(
        tenant=acme, provider="ycloud", phone_number_id=YCLOUD_NUMBER, display_phone="+15550000001"
    )
    WhatsAppNumber.objects.create(
        tenant=globex, provider="whatsapp_cloud", phone_number_id=GLOBEX_NUMBER_ID, display_phone="+15550999999"
    )
    return {"acme": acme, "globex": globex}


@pytest.fixture
def public_client():
    return Client(HTTP_HOST="localhost")


@pytest.fixture
def post_cloud(public_client):
    def post(body: bytes, *, secret: str = APP_SECRET, signature: str | None = None):
        header = signature if signature is not None else intake.cloud_signature(body, secret)
        return public_client.post(
            "/webhooks/whatsapp/cloud/", data=body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=header
        )

    return post


@pytest.fixture
def post_ycloud(public_client):
    def post(body: bytes, *, secret: str = YCLOUD_SECRET, signature: str | None = None, at: int | None = None):
        header = signature if signature is not None else intake.ycloud_signature(body, secret, at or int(time.time()))
        return public_client.post(
            "/webhooks/whatsapp/ycloud/", data=body, content_type="application/json", HTTP_YCLOUD_SIGNATURE=header
        )

    return post


@pytest.fixture
def run_tasks(monkeypatch):
    """Background tasks run in-line, in the company they were sent in (as tenant-schemas-celery would).
    Returns the list of (task name, args) sent."""
    from chats import tasks

    sent = []

    def inline(task):
        def delay(*args):
            sent.append((task.name.rsplit(".", 1)[-1], args))
            tenant = connection.tenant
            with tenant_context(tenant):
                if task is tasks.message_send_task:
                    from chats.services import message_deliver

                    return message_deliver(tenant=tenant, message_id=args[0])
                if task is tasks.media_download_task:
                    from chats.services.media import media_download

                    return media_download(tenant=tenant, message_id=args[0])
                from chats.services import event_process

                return event_process(tenant=tenant, event_id=args[0], replay=args[1] if len(args) > 1 else False)

        return delay

    for task in (tasks.webhook_event_task, tasks.message_send_task, tasks.media_download_task):
        monkeypatch.setattr(task, "delay", inline(task))
    return sent


@pytest.fixture
def queued(monkeypatch):
    """Background tasks recorded, not run: [(task name, args)]."""
    from chats import tasks

    sent = []

    def recorder(name):
        return lambda *args: sent.append((name, args))

    for task in (tasks.webhook_event_task, tasks.message_send_task, tasks.media_download_task):
        monkeypatch.setattr(task, "delay", recorder(task.name.rsplit(".", 1)[-1]))
    return sent
