"""The simulator (development): a person plays a lead writing to the company's sandbox number. Each message
becomes a Cloud-API-shaped delivery, signed with the sandbox number's secret and POSTed to the real webhook
endpoint over loopback, so it takes exactly the path a WhatsApp message takes."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid

from django.conf import settings
from django.core.cache import cache

from chats.clients.sandbox import media_key
from chats.webhooks.intake import accept_cloud, cloud_signature, sandbox_secret

SANDBOX_PREFIX = "sandbox-"


def sandbox_number_id(tenant) -> str:
    return f"{SANDBOX_PREFIX}{tenant.slug}"


def inbound_body(
    *, phone_number_id: str, phone: str, name: str, text: str = "", media: tuple[bytes, str, str] | None = None
) -> bytes:
    digits = "".join(ch for ch in phone if ch.isdigit())
    message: dict = {"from": digits, "id": f"wamid.sim.{uuid.uuid4().hex}", "timestamp": str(int(time.time()))}
    if media is not None:
        content, mime, filename = media
        media_id = uuid.uuid4().hex
        cache.set(media_key(media_id), {"content": content, "mime": mime, "name": filename}, 3600)
        kind = "image" if mime.startswith("image/") else "audio" if mime.startswith("audio/") else "document"
        message.update(type=kind, **{kind: {"id": media_id, "mime_type": mime, **({"caption": text} if text else {})}})
        if kind == "document":
            message[kind]["filename"] = filename
    else:
        message.update(type="text", text={"body": text})
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "", "phone_number_id": phone_number_id},
        "contacts": [{"profile": {"name": name}, "wa_id": digits}],
        "messages": [message],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "sandbox", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body).encode()


def webhook_url() -> str:
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT not in ("", "80", "443") else ""
    return f"http://127.0.0.1{port}/webhooks/whatsapp/cloud/"


def post(body: bytes, *, phone_number_id: str) -> int:
    """POSTs a signed delivery to the webhook endpoint over loopback and returns its status. When nothing
    listens there (tests, a management shell), the same bytes go through the intake in-process."""
    signature = cloud_signature(body, sandbox_secret(phone_number_id))
    request = urllib.request.Request(  # noqa: S310 (loopback, our own server)
        webhook_url(),
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature, "Host": settings.BASE_DOMAIN},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return accept_cloud(body, signature).status


def simulated_thread(*, tenant, phone: str):
    """The sandbox conversation of the lead with this phone, oldest first (None when there is none yet)."""
    from chats.models import Conversation
    from crm.public import lead_find_by_phone

    try:
        lead = lead_find_by_phone(tenant=tenant, phone=phone)
    except Exception:
        return None, []
    if lead is None:
        return None, []
    conversation = Conversation.objects.filter(lead=lead, provider="sandbox").first()
    if conversation is None:
        return None, []
    return conversation, list(conversation.messages.order_by("-created_at", "-pk")[:60])[::-1]
