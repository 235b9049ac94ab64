"""Provider payloads read into plain records. Nothing here touches the database.

Cloud API (Meta): `entry[].changes[].value` with `metadata.phone_number_id`, `contacts`, `messages`,
`statuses`, `errors`. YCloud: one event per delivery, `type` `whatsapp.inbound_message.received` (field
`whatsappInboundMessage`) or `whatsapp.message.updated` (field `whatsappMessage`). Kinds documented by
the providers: text, image, audio (voice notes flagged `voice`), video, document, sticker, location,
contacts, interactive (button_reply, list_reply, nfm_reply), button (template quick reply), reaction,
order, system, request_welcome, unsupported/unknown; statuses sent, delivered, read, failed (with errors).
YCloud adds `accepted`, and spells a few content fields in camelCase (`messageId`, `buttonReply`...).

What happens to each: the message kinds of HANDLED_KINDS are stored; `request_welcome` (the person opened
the chat for the first time, with nothing written) is acknowledged and stores nothing; an `order` (a
catalog cart) becomes kind `order` with its items, and a `system` message saying the person changed number
(`user_changed_number`, with the new WhatsApp id) kind `system`: chats.services.inbound acts on both. Other
system messages (a changed business-scoped user id, which names no phone) and orders without items are
stored as an unsupported bubble that keeps the provider's object, and the delivery is kept with a "not
handled" error naming them, as is any type, status, event or field the providers may add later. Cloud
API `errors` arrays (on a message, a status or the whole change) keep every code and text."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

CLOUD = "whatsapp_cloud"
YCLOUD = "ycloud"

HANDLED_KINDS = {
    "text", "image", "audio", "voice", "video", "document", "sticker", "location", "contacts",
    "interactive", "button", "reaction", "unsupported", "system", "order",
}  # fmt: skip
MEDIA_KINDS = {"image", "audio", "video", "document", "sticker"}
IGNORED_KINDS = {"request_welcome"}  # documented, nothing to store
CLOUD_STATUSES = {"sent", "delivered", "read", "failed"}


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
    ignored: list[str] = field(default_factory=list)  # documented kinds with nothing to store


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


def _pick(body: dict, *names: str):
    """The first of `names` present in `body` (the snake_case name, then YCloud's camelCase one)."""
    for name in names:
        value = body.get(name)
        if value not in (None, ""):
            return value
    return None


def _errors_text(errors, *, first_code: bool = True) -> tuple[str, str]:
    """The first error's code, and every error as "code text" (details first, then message or title);
    without `first_code` the first one's code is left out of the text (it is kept beside it)."""
    errors = [error for error in errors if isinstance(error, dict)] if isinstance(errors, list) else []
    parts = []
    for position, error in enumerate(errors):
        data = error.get("error_data") if isinstance(error.get("error_data"), dict) else {}
        text = str(data.get("details") or error.get("message") or error.get("title") or "")
        code = str(error.get("code") or "") if position or first_code else ""
        parts.append(" ".join(filter(None, (code, text))))
    return (str(errors[0].get("code") or "") if errors else "", "; ".join(filter(None, parts)))


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
        camel = "".join(part.capitalize() if i else part for i, part in enumerate(reply_type.split("_")))
        reply = _pick(body, reply_type, camel) if reply_type else None
        reply = reply if isinstance(reply, dict) else {}
        item.payload = {"type": reply_type, "id": str(reply.get("id") or ""), "title": str(reply.get("title") or "")}
        if reply.get("description"):
            item.payload["description"] = str(reply["description"])
        if reply_type == "nfm_reply":
            item.payload["response"] = _pick(reply, "response_json", "responseJson") or ""
            if reply.get("name"):
                item.payload["name"] = str(reply["name"])
        item.text = item.payload["title"] or str(reply.get("body") or "")
    elif kind == "button":
        item.kind = "interactive"
        item.payload = {"type": "button", "id": str(body.get("payload") or ""), "title": str(body.get("text") or "")}
        item.text = item.payload["title"]
    elif kind == "reaction":
        target = _pick(body, "message_id", "messageId") or ""
        item.payload = {"emoji": str(body.get("emoji") or ""), "message_id": str(target)}
        item.text = item.payload["emoji"]
    elif kind in ("unsupported", "unknown"):  # `unknown`: the same, from older Cloud API versions
        item.kind = "unsupported"
        errors = message.get("errors") or []
        item.payload = {"errors": errors if isinstance(errors, list) else []}
        if body.get("type"):
            item.payload["type"] = str(body["type"])  # what WhatsApp could not pass on: poll, edit, pin...
    elif kind in IGNORED_KINDS:
        item.payload = {"type": kind}
    elif kind == "system" and _number_change(item, body):
        pass
    elif kind == "order" and isinstance(body.get("product_items"), list) and body["product_items"]:
        item.payload = _order(body)
        item.text = str(body.get("text") or "")
    else:
        item.kind = "unsupported"
        item.payload = {"type": kind, kind: body} if body else {"type": kind}
        if kind == "system":
            what = str(body.get("type") or "system")
            new_id = str(_pick(body, "new_wa_id", "wa_id", "user_id") or "")
            item.text = str(body.get("body") or "")
            item.unhandled = f"system message {what!r}" + (f" (new WhatsApp id {new_id})" if new_id else "")
        elif kind == "order":
            item.text = str(body.get("text") or "")
            item.unhandled = f"message type 'order' (catalog {body.get('catalog_id') or '?'}, no items)"
        else:
            item.unhandled = f"message type {kind or '(no type)'!r}"
    context = message.get("context")
    if isinstance(context, dict) and context.get("id"):
        item.reply_to = str(context["id"])
    referral = message.get("referral")
    if isinstance(referral, dict):
        item.referral = {key: str(value) for key, value in referral.items() if isinstance(value, str | int)}


NUMBER_CHANGES = {"user_changed_number", "customer_changed_number"}  # the second: older API versions


def _number_change(item: InboundItem, body: dict) -> bool:
    """A `system` message saying the person changed their number: kind `system`, the new WhatsApp id in
    the payload. False (left to the caller as not handled) for other system messages, such as a changed
    business-scoped user id, which carries no phone number."""
    if str(body.get("type") or "") not in NUMBER_CHANGES:
        return False
    new_id = str(_pick(body, "wa_id", "new_wa_id") or "").strip().removeprefix("+")
    if not new_id.isdigit() or not new_id.isascii() or not 7 <= len(new_id) <= 15:
        return False
    item.kind = "system"
    item.text = str(body.get("body") or "")
    item.payload = {"type": "user_changed_number", "new_wa_id": new_id}
    for name in ("previous_user_id", "user_id"):  # business-scoped user ids, kept for reference
        if body.get(name):
            item.payload[name] = str(body[name])
    return True


def _order(body: dict) -> dict:
    """A catalog cart as plain strings: catalog id and, per item, retailer id, quantity, price, currency."""
    items = []
    for product in body.get("product_items") or []:
        if not isinstance(product, dict):
            continue
        items.append(
            {
                "retailer_id": str(_pick(product, "product_retailer_id", "productRetailerId") or "")[:64],
                "quantity": str(product.get("quantity") if product.get("quantity") is not None else "1"),
                "price": str(_pick(product, "item_price", "itemPrice") or "0"),
                "currency": str(product.get("currency") or "").upper()[:3],
            }
        )
    return {"catalog_id": str(_pick(body, "catalog_id", "catalogId") or ""), "items": items}


def parse_cloud(body: bytes) -> Delivery:
    data = _load(body)
    if data.get("object") != "whatsapp_business_account" or not isinstance(data.get("entry"), list):
        raise PayloadError("not a WhatsApp Business Account notification")
    messages: list[InboundItem] = []
    statuses: list[StatusItem] = []
    unhandled: list[str] = []
    ignored: list[str] = []
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
                    unhandled.append(item.unhandled)
                if item.kind in IGNORED_KINDS:
                    ignored.append(item.kind)
                else:
                    messages.append(item)
            for status in value.get("statuses") or []:
                if not isinstance(status, dict) or not status.get("id") or not status.get("status"):
                    raise PayloadError("a status without id or value")
                code, text = _errors_text(status.get("errors"), first_code=False)
                if str(status["status"]) not in CLOUD_STATUSES:
                    # e.g. `deleted` (older versions) or `warning`: not a step of the message's delivery.
                    unhandled.append(
                        f"status {status['status']!r} of message {status['id']}"
                        + (f": {' '.join(filter(None, (code, text)))}" if code or text else "")
                    )
                    continue
                statuses.append(
                    StatusItem(
                        provider_message_id=str(status["id"]),
                        phone_number_id=change_number,
                        status=str(status["status"]),
                        timestamp=_epoch(status.get("timestamp")),
                        error_code=code,
                        error_message=text,
                    )
                )
            if value.get("errors"):
                unhandled.append(f"account errors: {_errors_text(value['errors'])[1] or value['errors']}")
    keys = [f"m:{m.provider_message_id}" for m in messages] + [
        f"s:{s.provider_message_id}:{s.status}" for s in statuses
    ]
    kinds = {m.kind for m in messages} | {f"status:{s.status}" for s in statuses} | set(ignored)
    kind = "+".join(sorted(kinds)) or "other"
    return Delivery(
        provider=CLOUD,
        phone_number_id=number_id,
        dedupe_key=f"cloud:{_digest(keys, body)}",
        kind=kind[:64],
        messages=messages,
        statuses=statuses,
        unhandled=unhandled,
        ignored=ignored,
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


_CHANGED_FROM = re.compile(r"\bfrom\s+\+?(\d{7,15})\s+to\b")


def _ycloud_sender(message: dict) -> str:
    """The customer's number: `from` (E.164), which YCloud documents as optional; a number-change notice
    without it names the old number in its text ("User Ana changed from 34611222333 to 34699888777")."""
    if message.get("from"):
        return str(message["from"])
    system = message.get("system")
    if message.get("type") == "system" and isinstance(system, dict):
        found = _CHANGED_FROM.search(str(system.get("body") or ""))
        if found:
            return found.group(1)
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
        sender = _ycloud_sender(message) if isinstance(message, dict) else ""
        if not sender:
            raise PayloadError("an inbound message without sender")
        profile = message.get("customerProfile") or {}
        item = InboundItem(
            provider_message_id=str(message.get("wamid") or message.get("id") or ""),
            phone_number_id=number,
            from_phone=sender,
            name=str(profile.get("name") or "") if isinstance(profile, dict) else "",
            timestamp=_iso(message.get("sendTime")),
        )
        if not item.provider_message_id:
            raise PayloadError("an inbound message without id")
        _message_fields(item, message)
        if item.unhandled:
            delivery.unhandled.append(item.unhandled)
        if item.kind in IGNORED_KINDS:
            delivery.ignored.append(item.kind)
        else:
            delivery.messages.append(item)
    elif event_type == "whatsapp.message.updated":
        message = data.get("whatsappMessage")
        if not isinstance(message, dict) or not message.get("status"):
            raise PayloadError("a message update without status")
        status = YCLOUD_STATUS.get(str(message["status"]))
        api_error = message.get("whatsappApiError") if isinstance(message.get("whatsappApiError"), dict) else {}
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
                    error_code=str(message.get("errorCode") or api_error.get("code") or ""),
                    error_message=str(
                        (api_error.get("error_data") or {}).get("details")
                        if isinstance(api_error.get("error_data"), dict) and api_error["error_data"].get("details")
                        else message.get("errorMessage") or api_error.get("message") or ""
                    ),
                    external_id=str(message.get("externalId") or ""),
                )
            )
    else:
        delivery.unhandled.append(f"event type {event_type!r}")
    return delivery
