"""WhatsApp providers: the Cloud API (Meta Graph), YCloud, and the development sandbox.

`get_whatsapp_client(tenant, number)` picks the implementation: settings.CHATS_WHATSAPP_CLIENT names a
class to use instead of the real ones (tests use the in-memory fake); otherwise the number's provider
decides and the credentials come from the company's vault. Vendor and network errors become
TransientClientError (retry later) or PermanentClientError (a person must fix something). Request
bodies are built by plain functions (`cloud_message_body`, `ycloud_message_body`, sharing `_content`) that
match ../shared/contracts/whatsapp_template_send_request.json, so they are tested without a network. Files
are uploaded first (Cloud API `/{number id}/media`, YCloud `/whatsapp/media/{number}/upload`, both
multipart) and sent by the returned media id.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from core.errors import PermanentClientError, TransientClientError

CLOUD = "whatsapp_cloud"
YCLOUD = "ycloud"
SANDBOX = "sandbox"
GRAPH_URL = "https://graph.facebook.com/v23.0"
YCLOUD_URL = "https://api.ycloud.com/v2"
TIMEOUT = 15.0
MAX_MEDIA_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True)
class Outbound:
    """What to send. `kind` is text, template, image, audio, video or document."""

    to: str  # E.164 with or without "+"
    kind: str
    text: str = ""
    template_name: str = ""
    template_language: str = ""
    components: list = field(default_factory=list)
    media: bytes = b""
    media_mime: str = ""
    media_name: str = ""


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    status: str = "sent"


@dataclass(frozen=True)
class MediaFile:
    content: bytes
    mime: str
    filename: str = ""


class WhatsAppClient(Protocol):
    provider: str
    # True when the provider can say whether a message with an idempotency key was already accepted
    # (the sandbox and the fake); the real APIs cannot, so an interrupted send is never blindly repeated.
    supports_lookup: bool

    def send(self, message: Outbound, *, idempotency_key: str) -> SendResult: ...

    def lookup(self, *, idempotency_key: str) -> SendResult | None: ...

    def download_media(self, *, media_id: str, url: str = "") -> MediaFile: ...


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


MEDIA_KINDS = ("image", "audio", "video", "document")
CAPTIONED = ("image", "video", "document")


def _content(message: Outbound, *, media: dict, text: dict) -> dict:
    """The `type` and its object, as both providers spell them: `text` is the provider's text object,
    `media` the reference to an uploaded file (`{"id": ...}`) or a public link (`{"link": ...}`)."""
    if message.kind == "text":
        return {"type": "text", "text": text}
    if message.kind == "template":
        template: dict = {"name": message.template_name, "language": {"code": message.template_language}}
        if message.components:
            template["components"] = message.components
        return {"type": "template", "template": template}
    if message.kind in MEDIA_KINDS:
        media = dict(media)
        if message.text and message.kind in CAPTIONED:
            media["caption"] = message.text
        if message.kind == "document" and message.media_name:
            media["filename"] = message.media_name
        return {"type": message.kind, message.kind: media}
    raise PermanentClientError(f"cannot send a {message.kind} message")


def cloud_message_body(message: Outbound, *, media_id: str = "") -> dict:
    """The Cloud API `/messages` body (recipient digits only, as in the contract)."""
    body: dict = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": _digits(message.to)}
    body.update(_content(message, media={"id": media_id}, text={"preview_url": False, "body": message.text}))
    return body


def ycloud_message_body(
    message: Outbound, *, sender: str, idempotency_key: str, media_id: str = "", media_link: str = ""
) -> dict:
    """YCloud's `/whatsapp/messages/sendDirectly` body; `externalId` carries the idempotency key back in
    the status webhooks. A file goes as the id YCloud's media upload returned (or a public link)."""
    body: dict = {"from": sender, "to": "+" + _digits(message.to), "externalId": idempotency_key}
    media = {"id": media_id} if media_id else {"link": media_link}
    body.update(_content(message, media=media, text={"body": message.text, "previewUrl": False}))
    return body


def multipart(fields: dict[str, str], *, filename: str, mime: str, content: bytes) -> tuple[bytes, str]:
    """A `multipart/form-data` body with plain fields and one `file` part; returns it with its content
    type. Both providers' media uploads take this form."""
    boundary = uuid.uuid4().hex
    safe_name = filename.replace('"', "").replace("\r", "").replace("\n", "") or "file"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{safe_name}"\r\n'
            f"Content-Type: {mime}\r\n\r\n"
        ).encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _http(method: str, url: str, *, headers: dict, body: bytes | None = None, raw: bool = False):
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 (provider API)
            content = response.read(MAX_MEDIA_BYTES + 1)
            if raw:
                return content, response.headers.get("Content-Type", "")
            return json.loads(content or b"{}")
    except urllib.error.HTTPError as error:
        detail = error.read(20_000)
        try:
            payload = json.loads(detail)
        except ValueError:
            payload = {}
        err = payload.get("error") if isinstance(payload.get("error"), dict) else payload
        message = str(err.get("message") or f"HTTP {error.code}")[:400]
        code = str(err.get("code") or error.code)
        if error.code == 429 or error.code >= 500:
            raise TransientClientError(message, code=code) from error
        raise PermanentClientError(message, code=code) from error
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise TransientClientError(f"provider unreachable: {error}") from error
    except ValueError as error:
        raise TransientClientError("the provider answered something that is not JSON") from error


class CloudApiClient:
    provider = CLOUD
    supports_lookup = False

    def __init__(self, *, phone_number_id: str, access_token: str):
        if not phone_number_id or not access_token:
            raise PermanentClientError("WhatsApp Cloud API credentials are incomplete (number id, access token)")
        self.phone_number_id = phone_number_id
        self._token = access_token

    def _headers(self, content_type: str = "application/json") -> dict:
        return {"Authorization": f"Bearer {self._token}", "Content-Type": content_type}

    def send(self, message: Outbound, *, idempotency_key: str) -> SendResult:
        media_id = self._upload(message) if message.media else ""
        body = json.dumps(cloud_message_body(message, media_id=media_id)).encode()
        data = _http("POST", f"{GRAPH_URL}/{self.phone_number_id}/messages", headers=self._headers(), body=body)
        return parse_cloud_send_response(data)

    def lookup(self, *, idempotency_key: str) -> SendResult | None:
        return None

    def _upload(self, message: Outbound) -> str:
        body, content_type = multipart(
            {"messaging_product": "whatsapp", "type": message.media_mime},
            filename=message.media_name,
            mime=message.media_mime,
            content=message.media,
        )
        data = _http(
            "POST", f"{GRAPH_URL}/{self.phone_number_id}/media", headers=self._headers(content_type), body=body
        )
        if not data.get("id"):
            raise PermanentClientError("the Cloud API did not return a media id")
        return str(data["id"])

    def download_media(self, *, media_id: str, url: str = "") -> MediaFile:
        meta = _http("GET", f"{GRAPH_URL}/{urllib.parse.quote(media_id)}", headers=self._headers())
        if not meta.get("url"):
            raise PermanentClientError("the Cloud API has no URL for this media")
        content, mime = _http("GET", meta["url"], headers=self._headers(), raw=True)
        if len(content) > MAX_MEDIA_BYTES:
            raise PermanentClientError("media larger than 100 MB")
        return MediaFile(content=content, mime=meta.get("mime_type") or mime)


def parse_cloud_send_response(data: dict) -> SendResult:
    """`{"messages": [{"id": "wamid...", "message_status": "accepted"}]}` (contract file)."""
    messages = data.get("messages") or []
    if not messages or not messages[0].get("id"):
        raise PermanentClientError("the Cloud API accepted the request but returned no message id")
    return SendResult(provider_message_id=str(messages[0]["id"]), status="sent")


class YCloudClient:
    provider = YCLOUD
    supports_lookup = False

    def __init__(self, *, api_key: str, phone_number: str):
        if not api_key or not phone_number:
            raise PermanentClientError("YCloud credentials are incomplete (API key, number)")
        self._key = api_key
        self.phone_number = phone_number

    def _headers(self, content_type: str = "application/json") -> dict:
        return {"X-API-Key": self._key, "Content-Type": content_type}

    def send(self, message: Outbound, *, idempotency_key: str) -> SendResult:
        media_id = self._upload(message) if message.media else ""
        body = ycloud_message_body(
            message, sender=self.phone_number, idempotency_key=idempotency_key, media_id=media_id
        )
        data = _http(
            "POST",
            f"{YCLOUD_URL}/whatsapp/messages/sendDirectly",
            headers=self._headers(),
            body=json.dumps(body).encode(),
        )
        if not data.get("id"):
            raise PermanentClientError("YCloud accepted the request but returned no message id")
        return SendResult(provider_message_id=str(data.get("wamid") or data["id"]), status="sent")

    def lookup(self, *, idempotency_key: str) -> SendResult | None:
        return None

    def _upload(self, message: Outbound) -> str:
        """`POST /whatsapp/media/{phoneNumber}/upload` (multipart, one `file` part) answers `{"id": ...}`,
        usable in the message's media object for 30 days."""
        body, content_type = multipart({}, filename=message.media_name, mime=message.media_mime, content=message.media)
        number = urllib.parse.quote(self.phone_number, safe="+")
        data = _http(
            "POST", f"{YCLOUD_URL}/whatsapp/media/{number}/upload", headers=self._headers(content_type), body=body
        )
        if not data.get("id"):
            raise PermanentClientError("YCloud did not return a media id")
        return str(data["id"])

    def download_media(self, *, media_id: str, url: str = "") -> MediaFile:
        if not url:
            raise PermanentClientError("YCloud sent no link for this media")
        content, mime = _http("GET", url, headers={"X-API-Key": self._key}, raw=True)
        return MediaFile(content=content, mime=mime)


def get_whatsapp_client(tenant, *, provider: str, phone_number_id: str) -> WhatsAppClient:
    """The client for one of the company's numbers. Raises PermanentClientError when the number is not
    connected (no credentials in the vault)."""
    choice = getattr(settings, "CHATS_WHATSAPP_CLIENT", "real")
    if choice != "real":
        return import_string(choice)(tenant=tenant, provider=provider, phone_number_id=phone_number_id)
    if provider == SANDBOX:
        from chats.clients.sandbox import SandboxClient

        return SandboxClient(tenant=tenant, phone_number_id=phone_number_id)
    from tenants.models import Credential
    from tenants.vault import vault_get

    if provider == CLOUD:
        values = vault_get(tenant=tenant, kind=Credential.Kind.WHATSAPP_CLOUD) or {}
        return CloudApiClient(phone_number_id=phone_number_id, access_token=values.get("access_token", ""))
    if provider == YCLOUD:
        values = vault_get(tenant=tenant, kind=Credential.Kind.YCLOUD) or {}
        return YCloudClient(api_key=values.get("api_key", ""), phone_number=values.get("phone_number", ""))
    raise PermanentClientError(f"unknown WhatsApp provider {provider!r}")
