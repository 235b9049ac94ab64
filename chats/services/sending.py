"""Outbound messages: queued here, sent by `chats.tasks.message_send_task` through the company's provider.

A message is sent at most once, whatever happens to the worker: `message_deliver` locks the row, marks it
`sending` and commits before calling the provider, and records the provider's id after. A retry that
finds a message still `sending` from an interrupted attempt asks the provider whether the idempotency key
was accepted (when the provider can tell) and otherwise marks it failed for a person to check and retry,
rather than risk sending it twice."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chats.clients.whatsapp import Outbound, get_whatsapp_client
from chats.models import Conversation, Message
from chats.services.common import WindowClosed, conversation_touch, enqueue_on_commit, preview_of, sender_of
from core.audit import audit_log
from core.errors import ApplicationError, PermanentClientError, TransientClientError
from core.tenancy import check_tenant

logger = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_UPLOAD = 16 * 1024 * 1024
# A `sending` message younger than this is taken to be in flight in another worker.
IN_FLIGHT = timedelta(seconds=60)
ATTACHMENT_KINDS = {"image/": "image", "audio/": "audio", "video/": "video"}


def _enqueue(tenant, message: Message) -> None:
    from chats.tasks import message_send_task

    enqueue_on_commit(message_send_task, tenant, message.pk)


def _create_outbound(*, tenant, conversation: Conversation, actor, **fields) -> Message:
    from chats.realtime import announce_message
    from crm.public import timeline_add

    sender, author_id = sender_of(actor)
    fields.setdefault("idempotency_key", uuid.uuid4().hex)
    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.OUT,
        status=Message.Status.QUEUED,
        sender=sender,
        author_id=author_id,
        **fields,
    )
    conversation_touch(conversation=conversation, message=message, inbound=False)
    timeline_add(
        tenant=tenant,
        lead=conversation.lead,
        kind="whatsapp_out",
        actor=actor,
        body=preview_of(message),
        data={"conversation": conversation.pk, "message": message.pk},
    )
    _enqueue(tenant, message)
    announce_message(message=message, event="MESSAGE_NEW")
    return message


@transaction.atomic
def message_send_text(*, tenant, conversation: Conversation, text: str, actor) -> Message:
    """Queues a free-form text to the lead and returns it (status `queued`; the send task does the rest).
    Raises WindowClosed outside the 24-hour window, ApplicationError for an empty or too long text."""
    check_tenant(tenant)
    text = (text or "").strip()
    if not text:
        raise ApplicationError(_("Write a message first."))
    if len(text) > MAX_TEXT:
        raise ApplicationError(_("A WhatsApp message can have at most 4,096 characters."))
    if not conversation.window_open:
        raise WindowClosed()
    return _create_outbound(tenant=tenant, conversation=conversation, actor=actor, kind=Message.Kind.TEXT, text=text)


@transaction.atomic
def message_send_media(*, tenant, conversation: Conversation, upload, caption: str = "", actor) -> Message:
    """Queues a file (image, audio, video or any document) with an optional caption. Same window rule."""
    check_tenant(tenant)
    if not conversation.window_open:
        raise WindowClosed()
    if upload.size > MAX_UPLOAD:
        raise ApplicationError(_("Attachments can be at most 16 MB."))
    mime = (getattr(upload, "content_type", "") or "application/octet-stream")[:100]
    kind = next((k for prefix, k in ATTACHMENT_KINDS.items() if mime.startswith(prefix)), "document")
    name = (upload.name or "file")[-200:]
    message = Message(media_mime=mime, media_name=name, media_size=upload.size, media_state=Message.MediaState.READY)
    message.media_file.save(name, upload, save=False)
    return _create_outbound(
        tenant=tenant,
        conversation=conversation,
        actor=actor,
        kind=kind,
        text=(caption or "").strip()[:1024],
        media_file=message.media_file.name,
        media_mime=mime,
        media_name=name,
        media_size=upload.size,
        media_state=Message.MediaState.READY,
    )


@transaction.atomic
def message_send_template(
    *,
    tenant,
    conversation: Conversation,
    name: str,
    language: str,
    components: list | None,
    actor,
    idempotency_key: str | None = None,
    text: str = "",
) -> Message:
    """Queues an approved template (allowed in or out of the window). With an `idempotency_key` already
    used, returns that message instead of queuing another (callers may repeat themselves safely).
    `text` is how the inbox shows it (the rendered template, when the caller knows it)."""
    check_tenant(tenant)
    if not name or not language:
        raise ApplicationError(_("A template needs a name and a language."))
    if idempotency_key:
        existing = Message.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    payload = {"template": {"name": name, "language": language, "components": components or []}}
    return _create_outbound(
        tenant=tenant,
        conversation=conversation,
        actor=actor,
        kind=Message.Kind.TEMPLATE,
        text=text or name,
        payload=payload,
        **({"idempotency_key": idempotency_key[:100]} if idempotency_key else {}),
    )


@transaction.atomic
def message_retry(*, tenant, message: Message, actor) -> Message:
    """Sends a failed message again, under a new idempotency key (the person decided it did not arrive)."""
    check_tenant(tenant)
    message = Message.objects.select_for_update().get(pk=message.pk)
    if not message.can_retry:
        raise ApplicationError(_("Only a failed message can be sent again."))
    if message.kind != Message.Kind.TEMPLATE and not message.conversation.window_open:
        raise WindowClosed()
    message.status = Message.Status.QUEUED
    message.error = message.error_code = ""
    message.failed_at = None
    message.idempotency_key = uuid.uuid4().hex
    message.save(update_fields=["status", "error", "error_code", "failed_at", "idempotency_key", "updated_at"])
    audit_log(action="chats.message_retry", actor=actor, obj=message.conversation.lead)
    _enqueue(tenant, message)
    from chats.realtime import announce_message

    announce_message(message=message, event="MESSAGE_STATUS")
    return message


def _outbound(message: Message) -> Outbound:
    lead = message.conversation.lead
    template = message.payload.get("template") or {}
    media = b""
    if message.media_file:
        with message.media_file.open("rb") as handle:
            media = handle.read()
    return Outbound(
        to=lead.phone,
        kind="template" if message.kind == Message.Kind.TEMPLATE else message.kind,
        text=message.text,
        template_name=template.get("name", ""),
        template_language=template.get("language", ""),
        components=template.get("components") or [],
        media=media,
        media_mime=message.media_mime,
        media_name=message.media_name,
    )


def _mark(message_id: int, **fields) -> Message:
    from chats.realtime import announce_message

    with transaction.atomic():
        message = Message.objects.select_for_update().select_related("conversation__lead").get(pk=message_id)
        for name, value in fields.items():
            setattr(message, name, value)
        message.save()
        announce_message(message=message, event="MESSAGE_STATUS")
    return message


def _fail(message_id: int, error: str, code: str = "") -> str:
    _mark(message_id, status=Message.Status.FAILED, error=error[:500], error_code=code[:32], failed_at=timezone.now())
    return "failed"


def message_deliver(*, tenant, message_id: int, last_attempt: bool = False) -> str:
    """Sends one queued message through the provider, at most once. Returns what happened: `sent`,
    `failed`, `done` (nothing to do), `in_flight` (another worker is sending it: try later). Raises
    TransientClientError when the provider could not take it now (the task retries); on the last attempt
    the message is marked failed instead."""
    check_tenant(tenant)
    with transaction.atomic():
        message = Message.objects.select_for_update().select_related("conversation__lead").filter(pk=message_id).first()
        if message is None or message.direction != Message.Direction.OUT:
            return "done"
        if message.status not in (Message.Status.QUEUED, Message.Status.SENDING):
            return "done"
        conversation = message.conversation
        try:
            client = get_whatsapp_client(
                tenant, provider=conversation.provider, phone_number_id=conversation.phone_number_id
            )
        except PermanentClientError as error:
            message.status, message.error, message.failed_at = (
                Message.Status.FAILED,
                error.message[:500],
                timezone.now(),
            )
            message.save(update_fields=["status", "error", "failed_at", "updated_at"])
            from chats.realtime import announce_message

            announce_message(message=message, event="MESSAGE_STATUS")
            return "failed"
        if message.status == Message.Status.SENDING:
            if message.send_started_at and timezone.now() - message.send_started_at < IN_FLIGHT:
                return "in_flight"
            # An earlier attempt stopped between calling the provider and recording its answer.
            found = client.lookup(idempotency_key=message.idempotency_key) if client.supports_lookup else None
            if found is not None:
                message.status, message.provider_message_id = Message.Status.SENT, found.provider_message_id
                message.sent_at = timezone.now()
                message.save(update_fields=["status", "provider_message_id", "sent_at", "updated_at"])
                from chats.realtime import announce_message

                announce_message(message=message, event="MESSAGE_STATUS")
                return "sent"
            if not client.supports_lookup:
                message.status, message.failed_at = Message.Status.FAILED, timezone.now()
                message.error = _(
                    "The send was interrupted and WhatsApp cannot tell whether it arrived. Check with the lead, "
                    "then send it again if needed."
                )
                message.error_code = "interrupted"
                message.save(update_fields=["status", "error", "error_code", "failed_at", "updated_at"])
                from chats.realtime import announce_message

                announce_message(message=message, event="MESSAGE_STATUS")
                return "failed"
        message.status = Message.Status.SENDING
        message.send_started_at = timezone.now()
        message.send_attempts += 1
        message.save(update_fields=["status", "send_started_at", "send_attempts", "updated_at"])
        outbound = _outbound(message)
        key = message.idempotency_key
    # `sending` is committed: from here on, a crash leaves a trace that the next attempt reads.
    try:
        result = client.send(outbound, idempotency_key=key)
    except PermanentClientError as error:
        return _fail(message_id, error.message, error.code)
    except TransientClientError as error:
        if error.code == "timeout":
            # The provider may have taken it: leave it `sending`, so the retry looks before sending again.
            if last_attempt:
                return _fail(message_id, error.message, error.code)
            raise
        if last_attempt:
            return _fail(message_id, error.message, error.code)
        _mark(message_id, status=Message.Status.QUEUED, error=error.message[:500])
        raise
    _mark(
        message_id,
        status=Message.Status.SENT,
        provider_message_id=result.provider_message_id,
        sent_at=timezone.now(),
        error="",
        error_code="",
    )
    return "sent"
