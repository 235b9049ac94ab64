"""Provider payloads read into plain records. Nothing here touches the database.

Cloud API (Meta): `entry[].changes[].value` with `metadata.phone_number_id`, `contacts`, `messages`,
`statuses`, `errors`. YCloud: one event per delivery, `type` `whatsapp.inbound_message.received` (field
`whatsappInboundMessage`) or `whatsapp.message.updated` (field `whatsappMessage`). Kinds documented by
the providers: text, image, audio (voice notes flagged `voice`), video, document, sticker, location,
contacts, interactive (button_reply, list_reply, nfm_reply), button (template quick reply), reaction,
order, system, unsupported/unknown; statuses sent, delivered, read, failed (with errors)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

CLOUD = "whatsapp_cloud"
YCLOUD = "ycloud"

HANDLED_KINDS = {
    "text", "image", "audio", "voice", "video", "document", "sticker", "location", "contacts",
    "interactive", "button", "reaction", "unsupported",
}  # fmt: skip
MEDIA_KINDS = {"image", "audio", "video", "document", "sticker"}


class PayloadError(ValueError):
    """The payload is not what the provider documents."""


@dataclass
class InboundItem:
    provider_message_id: str
    phone_number_id: str
    from_phone: str
    name: str = ""
    kind: str = "text"
    text: str = ""
    timestamp: datetime | None = None
    payload: dict = field(default_factory=dict)
    media_id: str = ""
    media_url: str = ""
    media_mime: str = ""
    media_name: str = ""
    referral: dict = field(default_factory=dict)
    reply_to: str = ""
    unhandled: str = ""  # the provider's type when it is not one we know


@dataclass
class StatusItem:
    provider_message_id: str
    phone_number_id: str
    status: str
    timestamp: datetime | None = None
    error_code: str = ""
    error_message: str = ""
    external_id: str = ""
    alt_ids: tuple[str, ...] = ()


@dataclass
class Delivery:
    provider: str
    phone_number_id: str
    dedupe_key: str
    kind: str
    messages: list[InboundItem] = field(default_factory=list)
    statuses: list[StatusItem] = field(default_factory=list)
    unhandled: list[str] = field(default_factory=list)


def _load(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise PayloadError(f"not JSON: {error}") from error
    if not isinstance(data, dict):
        raise PayloadError("not a JSON object")
    return data


def _epoch(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _iso(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _digest(parts: list[str], body: bytes) -> str:
    source = "\n".join(sorted(parts)).encode() if parts else body
    return hashlib.sha256(source).hexdigest()


def _message_fields(item: InboundItem, message: dict) -> None:
    """Fills kind, text, payload and media from one message object (same shape on both providers, YCloud
    uses camelCase in a few places)."""
    kind = str(message.get("type") or "")
    item.kind = kind
    body = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind == "text":
        item.text = str(body.get("body") or "")
    elif kind in MEDIA_KINDS:
        item.media_id = str(body.get("id") or "")
        item.media_url = str(body.get("link") or body.get("url") or "")
        item.media_mime = str(body.get("mime_type") or body.get("mimeType") or "")
        item.media_name = str(body.get("filename") or "")
        item.text = str(body.get("caption") or "")
        if kind == "audio" and body.get("voice"):
            item.kind = "voice"
        if kind == "sticker":
            item.payload = {"animated": bool(body.get("animated"))}
    elif kind == "location":
        item.payload = {
            key: body.get(key)
            for key in ("latitude", "longitude", "name", "address", "url")
            if body.get(key) is not None
        }
        item.text = str(body.get("name") or body.get("address") or "")
    elif kind == "contacts":
        contacts = message.get("contacts") or []
        people = []
        for contact in contacts if isinstance(contacts, list) else []:
            name = (contact.get("name") or {}).get("formatted_name") or (contact.get("name") or {}).get(
                "first_name", ""
            )
            phones = [p.get("phone") or p.get("wa_id") for p in contact.get("phones") or [] if isinstance(p, dict)]
            people.append({"name": str(name or ""), "phones": [str(p) for p in phones if p]})
        item.payload = {"contacts": people}
        item.text = ", ".join(filter(None, (p["name"] for p in people)))
    elif kind == "interactive":
        reply_type = str(body.get("type") or "")
        reply = body.get(reply_type) if isinstance(body.get(reply_type), dict) else {}
        item.payload = {"type": reply_type, "id": str(reply.get("id") or ""), "title": str(reply.get("title") or "")}
        if reply.get("description"):
            item.payload["description"] = str(reply["description"])
        if reply_type == "nfm_reply":
            item.payload["response"] = reply.get("response_json") or ""
        item.text = item.payload["title"] or str(reply.get("body") or "")
    elif kind == "button":
        item.kind = "interactive"
        item.payload = {"type": "button", "id": str(body.get("payload") or ""), "title": str(body.get("text") or "")}
        item.text = item.payload["title"]
    elif kind == "reaction":
        item.payload = {"emoji": str(body.get("emoji") or ""), "message_id": str(body.get("message_id") or "")}
        item.text = item.payload["emoji"]
    elif kind == "unsupported":
        errors = message.get("errors") or []
        item.payload = {"errors": errors if isinstance(errors, list) else []}
    else:
        item.unhandled = kind or "(no type)"
        item.kind = "unsupported"
        item.payload = {"type": kind}
    context = message.get("context")
    if isinstance(context, dict) and context.get("id"):
        item.reply_to = str(context["id"])
    referral = message.get("referral")
    if isinstance(referral, dict):
        item.referral = {key: str(value) for key, value in referral.items() if isinstance(value, str | int)}


def parse_cloud(body: bytes) -> Delivery:
    data = _load(body)
    if data.get("object") != "whatsapp_business_account" or not isinstance(data.get("entry"), list):
        raise PayloadError("not a WhatsApp Business Account notification")
    messages: list[InboundItem] = []
    statuses: list[StatusItem] = []
    unhandled: list[str] = []
    number_id = ""
    for entry in data["entry"]:
        for change in (entry or {}).get("changes") or []:
            value = (change or {}).get("value") or {}
            if (change or {}).get("field") != "messages":
                unhandled.append(f"field {change.get('field')!r}")
                continue
            metadata = value.get("metadata") or {}
            change_number = str(metadata.get("phone_number_id") or "")
            number_id = number_id or change_number
            names = {
                str(c.get("wa_id")): str((c.get("profile") or {}).get("name") or "")
                for c in value.get("contacts") or []
                if isinstance(c, dict)
            }
            for message in value.get("messages") or []:
                if not isinstance(message, dict) or not message.get("id") or not message.get("from"):
                    raise PayloadError("a message without id or sender")
                item = InboundItem(
                    provider_message_id=str(message["id"]),
                    phone_number_id=change_number,
                    from_phone=str(message["from"]),
                    name=names.get(str(message["from"]), ""),
                    timestamp=_epoch(message.get("timestamp")),
                )
                _message_fields(item, message)
                if item.unhandled:
                    unhandled.append(f"message type {item.unhandled!r}")
                messages.append(item)
            for status in value.get("statuses") or []:
                if not isinstance(status, dict) or not status.get("id") or not status.get("status"):
                    raise PayloadError("a status without id or value")
                errors = status.get("errors") or []
                first = errors[0] if errors and isinstance(errors[0], dict) else {}
                detail = (
                    (first.get("error_data") or {}).get("details") if isinstance(first.get("error_data"), dict) else ""
                )
                statuses.append(
                    StatusItem(
                        provider_message_id=str(status["id"]),
                        phone_number_id=change_number,
                        status=str(status["status"]),
                        timestamp=_epoch(status.get("timestamp")),
                        error_code=str(first.get("code") or ""),
                        error_message=str(detail or first.get("message") or first.get("title") or ""),
                    )
                )
            if value.get("errors"):
                unhandled.append("account errors")
    keys = [f"m:{m.provider_message_id}" for m in messages] + [
        f"s:{s.provider_message_id}:{s.status}" for s in statuses
    ]
    kind = "+".join(sorted({m.kind for m in messages} | {f"status:{s.status}" for s in statuses})) or "other"
    return Delivery(
        provider=CLOUD,
        phone_number_id=number_id,
        dedupe_key=f"cloud:{_digest(keys, body)}",
        kind=kind[:64],
        messages=messages,
        statuses=statuses,
        unhandled=unhandled,
    )


YCLOUD_STATUS = {"accepted": "sent", "sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed"}


def ycloud_number(data: dict) -> str:
    """The company's number a YCloud event is about (the receiving number for inbound messages)."""
    inbound = data.get("whatsappInboundMessage")
    if isinstance(inbound, dict):
        return str(inbound.get("to") or "")
    message = data.get("whatsappMessage")
    if isinstance(message, dict):
        return str(message.get("from") or "")
    return ""


def parse_ycloud(body: bytes) -> Delivery:
    data = _load(body)
    event_type = str(data.get("type") or "")
    event_id = str(data.get("id") or "")
    number = ycloud_number(data)
    delivery = Delivery(
        provider=YCLOUD,
        phone_number_id=number,
        dedupe_key=f"ycloud:{event_id[:100]}" if event_id else f"ycloud:{_digest([], body)}",
        kind=event_type[:64] or "other",
    )
    if event_type == "whatsapp.inbound_message.received":
        message = data.get("whatsappInboundMessage")
        if not isinstance(message, dict) or not message.get("from"):
            raise PayloadError("an inbound message without sender")
        profile = message.get("customerProfile") or {}
        item = InboundItem(
            provider_message_id=str(message.get("wamid") or message.get("id") or ""),
            phone_number_id=number,
            from_phone=str(message["from"]),
            name=str(profile.get("name") or "") if isinstance(profile, dict) else "",
            timestamp=_iso(message.get("sendTime")),
        )
        if not item.provider_message_id:
            raise PayloadError("an inbound message without id")
        _message_fields(item, message)
        if item.unhandled:
            delivery.unhandled.append(f"message type {item.unhandled!r}")
        delivery.messages.append(item)
    elif event_type == "whatsapp.message.updated":
        message = data.get("whatsappMessage")
        if not isinstance(message, dict) or not message.get("status"):
            raise PayloadError("a message update without status")
        status = YCLOUD_STATUS.get(str(message["status"]))
        if status is None:
            delivery.unhandled.append(f"status {message['status']!r}")
        else:
            delivery.statuses.append(
                StatusItem(
                    provider_message_id=str(message.get("wamid") or message.get("id") or ""),
                    alt_ids=tuple(str(message[k]) for k in ("id", "wamid") if message.get(k)),
                    phone_number_id=number,
                    status=status,
                    timestamp=_iso(message.get("updateTime") or message.get("sendTime")),
                    error_code=str(message.get("errorCode") or ""),
                    error_message=str(message.get("errorMessage") or ""),
                    external_id=str(message.get("externalId") or ""),
                )
            )
    else:
        delivery.unhandled.append(f"event type {event_type!r}")
    return delivery
