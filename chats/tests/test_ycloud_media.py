"""Files sent through YCloud: the real client against a loopback server that answers as YCloud's API does
(media upload, then `sendDirectly` with the returned media id), from the composer to the provider's id."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chats.clients import whatsapp
from chats.clients.whatsapp import Outbound, YCloudClient, ycloud_message_body
from chats.models import Conversation, Message
from chats.services import message_deliver, message_send_media
from chats.tests.conftest import YCLOUD_NUMBER
from chats.tests.factories import make_conversation
from core.errors import PermanentClientError


class FakeYCloud(BaseHTTPRequestHandler):
    requests: list = []
    upload_answer: dict = {"id": "ycmedia-1"}

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        if self.path.endswith("/upload"):
            answer = type(self).upload_answer
        else:
            sent = json.loads(body)
            answer = {"id": "yc-msg-1", "wamid": "wamid.YC1", "status": "accepted", "to": sent["to"]}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def ycloud_api(monkeypatch):
    handler = type("Handler", (FakeYCloud,), {"requests": [], "upload_answer": {"id": "ycmedia-1"}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(whatsapp, "YCLOUD_URL", f"http://127.0.0.1:{server.server_port}/v2")
    yield handler
    server.shutdown()
    server.server_close()


@pytest.fixture
def ycloud_conversation(tenant, numbers, settings):
    from django.db import connection

    settings.CHATS_WHATSAPP_CLIENT = "real"
    connection.set_tenant(tenant)
    conversation = make_conversation(tenant)
    Conversation.objects.filter(pk=conversation.pk).update(provider="ycloud", phone_number_id=YCLOUD_NUMBER)
    conversation.refresh_from_db()
    return conversation


def test_ycloud_media_bodies_use_the_uploaded_id_with_caption_and_filename():
    document = Outbound(to="34611222333", kind="document", text="Your offer", media_name="offer.pdf")
    assert ycloud_message_body(document, sender="+15550000001", idempotency_key="k", media_id="m1") == {
        "from": "+15550000001", "to": "+34611222333", "externalId": "k", "type": "document",
        "document": {"id": "m1", "caption": "Your offer", "filename": "offer.pdf"},
    }  # fmt: skip
    audio = Outbound(to="+34611222333", kind="audio", text="ignored", media_name="note.ogg")
    assert ycloud_message_body(audio, sender="+1", idempotency_key="k", media_id="m2")["audio"] == {"id": "m2"}
    image = Outbound(to="+34611222333", kind="image")
    assert ycloud_message_body(image, sender="+1", idempotency_key="k", media_link="https://x/y.png")["image"] == {
        "link": "https://x/y.png"
    }
    with pytest.raises(PermanentClientError):
        ycloud_message_body(Outbound(to="+3461", kind="sticker"), sender="+1", idempotency_key="k")


@pytest.mark.parametrize(
    ("name", "mime", "kind", "caption"),
    [
        ("photo.jpg", "image/jpeg", "image", "Our shop"),
        ("offer.pdf", "application/pdf", "document", "The offer"),
        ("note.ogg", "audio/ogg", "audio", ""),
        ("tour.mp4", "video/mp4", "video", "A tour"),
    ],
)
def test_a_file_sent_on_a_ycloud_conversation_is_uploaded_then_sent_by_its_media_id(
    name, mime, kind, caption, tenant, ycloud_conversation, owner, queued, ycloud_api
):
    conversation = ycloud_conversation
    content = b"\x00binary\r\n--not-a-boundary\r\n" + name.encode()
    message = message_send_media(
        tenant=tenant,
        conversation=conversation,
        upload=SimpleUploadedFile(name, content, content_type=mime),
        caption=caption,
        actor=owner.user,
    )
    assert message_deliver(tenant=tenant, message_id=message.pk) == "sent"
    message.refresh_from_db()
    assert (message.status, message.provider_message_id, message.kind) == ("sent", "wamid.YC1", kind)
    (upload_path, upload_headers, upload_body), (send_path, _send_headers, send_body) = ycloud_api.requests
    assert upload_path == f"/v2/whatsapp/media/{YCLOUD_NUMBER}/upload"
    assert upload_headers["x-api-key"] == "yc-key"
    assert upload_headers["content-type"].startswith("multipart/form-data; boundary=")
    boundary = upload_headers["content-type"].split("boundary=", 1)[1].encode()
    assert upload_body.startswith(b"--" + boundary + b"\r\n")
    assert f'name="file"; filename="{name}"\r\nContent-Type: {mime}\r\n\r\n'.encode() in upload_body
    assert b"\r\n\r\n" + content + b"\r\n--" + boundary + b"--\r\n" in upload_body
    assert send_path == "/v2/whatsapp/messages/sendDirectly"
    expected = {"id": "ycmedia-1"}
    if caption and kind != "audio":
        expected["caption"] = caption
    if kind == "document":
        expected["filename"] = name
    assert json.loads(send_body) == {
        "from": YCLOUD_NUMBER,
        "to": "+34611222333",
        "externalId": message.idempotency_key,
        "type": kind,
        kind: expected,
    }


def test_an_upload_answered_without_an_id_fails_the_message_and_sends_nothing(
    tenant, ycloud_conversation, owner, queued, ycloud_api
):
    ycloud_api.upload_answer = {}
    conversation = ycloud_conversation
    message = message_send_media(
        tenant=tenant,
        conversation=conversation,
        upload=SimpleUploadedFile("a.png", b"png", content_type="image/png"),
        actor=owner.user,
    )
    assert message_deliver(tenant=tenant, message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert (message.status, message.error) == ("failed", "YCloud did not return a media id")
    assert [path for path, _headers, _body in ycloud_api.requests] == [f"/v2/whatsapp/media/{YCLOUD_NUMBER}/upload"]
    assert Message.objects.filter(provider_message_id__startswith="wamid").count() == 0


def test_the_client_quotes_the_number_in_the_upload_path(ycloud_api):
    client = YCloudClient(api_key="k", phone_number="+15550000001")
    media_id = client._upload(Outbound(to="+1", kind="image", media=b"x", media_mime="image/png", media_name="x.png"))
    assert media_id == "ycmedia-1"
    assert ycloud_api.requests[0][0] == "/v2/whatsapp/media/+15550000001/upload"
