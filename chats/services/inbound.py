"""Inbound processing, inside the company's schema: a stored webhook delivery becomes leads, messages
and status changes. Runs in the worker (chats.tasks.webhook_event_task), and again on a replay."""

from __future__ import annotations

import logging

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from chats.models import Conversation, Message
from chats.services.common import conversation_touch, enqueue_on_commit, preview_of, run_on_commit
from chats.services.inbound_kinds import number_change_apply, number_change_prepare, order_convert, order_items
from chats.unread import unread_announce
from chats.webhooks.parsing import CLOUD, Delivery, InboundItem, PayloadError, StatusItem, parse_cloud, parse_ycloud
from core.actors import lead_actor
from core.errors import ApplicationError
from core.tenancy import check_tenant
from webhooks.models import WebhookEvent

logger = logging.getLogger(__name__)

STATUS_ORDER = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4}
TIMED_STATUSES = {"sent", "delivered", "read"}  # Message.<status>_at


def parse(event: WebhookEvent) -> Delivery:
    body = bytes(event.body)
    return parse_cloud(body) if event.provider in (CLOUD, "sandbox") else parse_ycloud(body)


def event_process(*, tenant, event_id: int, replay: bool = False) -> str:
    """Processes one stored delivery for `tenant`: returns the event's new status. A delivery already
    processed is left alone unless `replay`. Errors are recorded on the event (never raised), so it can
    be looked at and replayed from the admin.

    The commit does not wait for the disk flush (synchronous_commit off for this transaction only): the
    delivery itself was flushed when the webhook stored it, and should a crash lose the last moment's
    processing, its event is still `received` and the sweep processes it again."""
    check_tenant(tenant)
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().filter(pk=event_id, tenant_id=tenant.pk).first()
        if event is None:
            return "missing"
        if event.status == WebhookEvent.Status.PROCESSED and not replay:
            return event.status
        if not connection.savepoint_ids:  # the outermost transaction: the caller has no writes of its own in it
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        event.attempts += 1
        errors: list[str] = []
        try:
            delivery = parse(event)
        except PayloadError as error:
            delivery = None
            errors.append(f"unreadable payload: {error}")
        if delivery is not None:
            errors.extend(f"not handled: {what}" for what in delivery.unhandled)
            for item in delivery.messages:
                try:
                    with transaction.atomic():
                        message_receive(tenant=tenant, provider=event.provider, item=item)
                except (ApplicationError, ValueError) as error:
                    errors.append(f"message {item.provider_message_id}: {getattr(error, 'message', error)}")
                except Exception as error:  # kept on the event for a replay, never a task failing forever
                    logger.exception("inbound message failed", extra={"event": event.pk})
                    errors.append(f"message {item.provider_message_id}: {type(error).__name__}: {error}")
            for status in delivery.statuses:
                try:
                    with transaction.atomic():
                        if status_apply(tenant=tenant, item=status) is None:
                            errors.append(f"status {status.status} for unknown message {status.provider_message_id}")
                except Exception as error:
                    logger.exception("status failed", extra={"event": event.pk})
                    errors.append(f"status {status.provider_message_id}: {type(error).__name__}: {error}")
        event.status = WebhookEvent.Status.FAILED if errors else WebhookEvent.Status.PROCESSED
        event.error = "\n".join(errors)[:10_000]
        event.processed_at = timezone.now()
        event.save(update_fields=["status", "error", "attempts", "processed_at"])
        return event.status


def _conversation(*, lead, provider: str, phone_number_id: str) -> Conversation:
    from tenants.models import WhatsAppNumber

    conversation = Conversation.objects.filter(lead=lead, provider=provider, phone_number_id=phone_number_id).first()
    if conversation is not None:
        return conversation
    number = WhatsAppNumber.objects.filter(provider=provider, phone_number_id=phone_number_id).first()
    try:
        with transaction.atomic():
            return Conversation.objects.create(
                lead=lead,
                provider=provider,
                phone_number_id=phone_number_id,
                business_phone=number.display_phone if number else "",
            )
    except IntegrityError:
        return Conversation.objects.get(lead=lead, provider=provider, phone_number_id=phone_number_id)


def _name_fields(name: str) -> dict:
    first, _, last = " ".join(name.split()).partition(" ")
    return {"first_name": first[:80], "last_name": last[:80]}


def message_receive(*, tenant, provider: str, item: InboundItem) -> Message | None:
    """Stores one inbound message (once: a redelivered id returns None): finds or creates the lead by
    phone (source whatsapp), fills a click-to-WhatsApp ad's attribution, files the message in the lead's
    conversation with this number and in the lead's history, and after commit downloads its media (if
    any), announces it to the inbox and runs the inbound hooks (the AI agent).

    A number change (kind `system`) is filed on the lead with the old phone, whose phone moves to the new
    one, and wakes no hook; a catalog order (kind `order`) becomes a history entry and a draft quote
    (chats.services.inbound_kinds)."""
    from chats.realtime import announce_message
    from crm.public import lead_set_attribution, lead_touch_contact, lead_upsert_by_phone, timeline_add

    check_tenant(tenant)
    existing = Message.objects.filter(
        direction=Message.Direction.IN, provider_message_id=item.provider_message_id
    ).first()
    if existing is not None:
        return None
    actor = lead_actor(item.name)
    change = None
    if item.kind == Message.Kind.SYSTEM:
        change = number_change_prepare(
            tenant=tenant, from_phone=item.from_phone, new_wa_id=item.payload.get("new_wa_id", "")
        )
        lead = change.lead
    else:
        lead, _created = lead_upsert_by_phone(
            tenant=tenant,
            phone="+" + item.from_phone.lstrip("+"),
            actor=actor,
            source="whatsapp",
            fields=_name_fields(item.name),
        )
    referral = item.referral
    if referral and referral.get("source_type") == "ad":
        lead_set_attribution(
            tenant=tenant,
            lead=lead,
            actor=actor,
            meta_ad_id=referral.get("source_id", ""),
            ad_headline=referral.get("headline", ""),
            ad_body=referral.get("body", ""),
            click_id=referral.get("ctwa_clid", ""),
            utm_source="facebook",
            utm_medium="click_to_whatsapp",
        )
    conversation = _conversation(lead=lead, provider=provider, phone_number_id=item.phone_number_id)
    payload = dict(item.payload)
    if change is not None:
        payload.update(change.payload())
    elif item.kind == Message.Kind.ORDER:
        payload = order_items(tenant=tenant, payload=payload)
    if item.referral:
        payload["referral"] = item.referral
    has_media = bool(item.media_id or item.media_url)
    if has_media:
        payload["media_url"] = item.media_url
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                direction=Message.Direction.IN,
                kind=item.kind,
                text=item.text,
                payload=payload,
                media_id=item.media_id[:128],
                media_mime=item.media_mime[:100],
                media_name=item.media_name[:255],
                media_state=Message.MediaState.PENDING if has_media else Message.MediaState.NONE,
                status=Message.Status.RECEIVED,
                provider_message_id=item.provider_message_id,
                reply_to=item.reply_to[:255],
                sender=Message.Sender.SYSTEM if change is not None else Message.Sender.LEAD,
                provider_time=item.timestamp,
            )
    except IntegrityError:
        return None  # the same message, stored by a concurrent delivery
    conversation.lead = lead  # announce_message reads its seller
    conversation_touch(conversation=conversation, message=message, inbound=True)
    if change is not None:
        # A notice from WhatsApp, not the lead writing: no contact, and the agent is not woken.
        number_change_apply(tenant=tenant, change=change, conversation=conversation, message=message)
    else:
        lead_touch_contact(tenant=tenant, lead=lead, at=item.timestamp or message.created_at)
    if item.kind == Message.Kind.ORDER:
        order_convert(tenant=tenant, lead=lead, conversation=conversation, message=message, actor=actor)
    elif change is None:
        timeline_add(
            tenant=tenant,
            lead=lead,
            kind="whatsapp_in",
            actor=actor,
            body=preview_of(message),
            data={"conversation": conversation.pk, "message": message.pk},
        )
    announce_message(message=message, event="MESSAGE_NEW")
    unread_announce(conversation=conversation)
    if has_media:
        from chats.tasks import media_download_task

        enqueue_on_commit(media_download_task, tenant, message.pk)
    elif change is None:
        run_on_commit(tenant, _fire, tenant=tenant, message_id=message.pk)
    return message


def _fire(*, tenant, message_id: int) -> None:
    from chats.hooks import fire_inbound

    message = Message.objects.select_related("conversation__lead").filter(pk=message_id).first()
    if message is not None:
        fire_inbound(tenant=tenant, message=message)


def status_apply(*, tenant, item: StatusItem) -> Message | None:
    """Moves an outbound message's status forward (sent < delivered < read; failed, with the provider's
    error, from any state). None when no message has this id."""
    from chats.realtime import announce_message

    check_tenant(tenant)
    ids = {item.provider_message_id, *item.alt_ids} - {""}
    # The conversation and lead come along for the announcement; only the message's row is locked.
    query = (
        Message.objects.select_for_update(of=("self",))
        .select_related("conversation__lead")
        .filter(direction=Message.Direction.OUT)
    )
    message = query.filter(provider_message_id__in=ids).first() if ids else None
    if message is None and item.external_id:
        message = query.filter(idempotency_key=item.external_id).first()
    if message is None:
        return None
    at = item.timestamp or timezone.now()
    if item.status == "failed":
        message.status = Message.Status.FAILED
        message.error = (item.error_message or "failed")[:500]
        message.error_code = item.error_code[:32]
        message.failed_at = at
        fields = ["status", "error", "error_code", "failed_at"]
    elif item.status in STATUS_ORDER and STATUS_ORDER[item.status] > STATUS_ORDER.get(message.status, -1):
        message.status = item.status
        fields = ["status"]
        if item.status in TIMED_STATUSES:
            setattr(message, f"{item.status}_at", at)
            fields.append(f"{item.status}_at")
    else:
        return message
    if not message.provider_message_id and item.provider_message_id:
        message.provider_message_id = item.provider_message_id
        fields.append("provider_message_id")
    message.save(update_fields=[*fields, "updated_at"])
    announce_message(message=message, event="MESSAGE_STATUS")
    return message
