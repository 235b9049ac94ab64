"""The development sandbox provider: a loopback stand-in for WhatsApp.

Outbound messages are accepted at once (the simulator shows them from the conversation), remembered by
idempotency key (so an interrupted send is found again instead of repeated), and reported back as
`delivered` then `read` through the real webhook intake, signed like the Cloud API with the number's
sandbox secret: the same path a real status takes. Media sent by the simulator are kept in the cache."""

from __future__ import annotations

import json
import time
import uuid

from django.core.cache import cache

from chats.clients.whatsapp import SANDBOX, MediaFile, Outbound, SendResult
from core.errors import PermanentClientError

KEEP = 7 * 24 * 3600


def _key(schema: str, idempotency_key: str) -> str:
    return f"chats:sandbox:sent:{schema}:{idempotency_key}"


def media_key(media_id: str) -> str:
    return f"chats:sandbox:media:{media_id}"


def status_body(*, phone_number_id: str, wamid: str, status: str, recipient: str) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "", "phone_number_id": phone_number_id},
        "statuses": [
            {"id": wamid, "status": status, "timestamp": str(int(time.time())), "recipient_id": recipient.lstrip("+")}
        ],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "sandbox", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body).encode()


class SandboxClient:
    provider = SANDBOX
    supports_lookup = True

    def __init__(self, *, tenant, phone_number_id: str):
        self.tenant = tenant
        self.phone_number_id = phone_number_id

    def send(self, message: Outbound, *, idempotency_key: str) -> SendResult:
        from django_tenants.utils import tenant_context

        from chats.tasks import sandbox_status_task

        wamid = f"wamid.sandbox.{uuid.uuid4().hex}"
        cache.set(_key(self.tenant.schema_name, idempotency_key), wamid, KEEP)
        with tenant_context(self.tenant):
            for status, delay in (("delivered", 1), ("read", 3)):
                sandbox_status_task.apply_async(args=[self.phone_number_id, wamid, status, message.to], countdown=delay)
        return SendResult(provider_message_id=wamid)

    def lookup(self, *, idempotency_key: str) -> SendResult | None:
        wamid = cache.get(_key(self.tenant.schema_name, idempotency_key))
        return SendResult(provider_message_id=wamid) if wamid else None

    def download_media(self, *, media_id: str, url: str = "") -> MediaFile:
        stored = cache.get(media_key(media_id))
        if not stored:
            raise PermanentClientError("the sandbox no longer has this file", code="404")
        return MediaFile(content=stored["content"], mime=stored["mime"], filename=stored.get("name", ""))
