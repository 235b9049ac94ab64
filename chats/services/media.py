"""Inbound media: fetched through the provider's API by a worker and stored with the company's files."""

from __future__ import annotations

import mimetypes

from django.core.files.base import ContentFile
from django.db import transaction

from chats.clients.whatsapp import get_whatsapp_client
from chats.models import Message
from chats.services.common import run_on_commit
from core.errors import PermanentClientError, TransientClientError
from core.tenancy import check_tenant


def media_download(*, tenant, message_id: int, last_attempt: bool = False) -> str:
    """Downloads the media of one inbound message once (`ready`), or records why it cannot (`failed`);
    then runs the inbound hooks, so the agent sees the file (and a voice note can be transcribed).
    Raises TransientClientError to be retried, until the last attempt."""
    from chats.hooks import fire_inbound
    from chats.realtime import announce_message

    check_tenant(tenant)
    message = Message.objects.select_related("conversation__lead").filter(pk=message_id).first()
    if message is None or message.media_state != Message.MediaState.PENDING:
        return "done"
    conversation = message.conversation
    try:
        client = get_whatsapp_client(
            tenant, provider=conversation.provider, phone_number_id=conversation.phone_number_id
        )
        media = client.download_media(media_id=message.media_id, url=message.payload.get("media_url", ""))
    except TransientClientError:
        if not last_attempt:
            raise
        media, error = None, "the provider could not be reached"
    except PermanentClientError as exc:
        media, error = None, exc.message
    with transaction.atomic():
        message = Message.objects.select_for_update().select_related("conversation__lead").get(pk=message_id)
        if message.media_state != Message.MediaState.PENDING:
            return "done"
        if media is None:
            message.media_state = Message.MediaState.FAILED
            message.error = error[:500]
        else:
            mime = (media.mime or message.media_mime or "application/octet-stream").split(";")[0].strip()
            extension = mimetypes.guess_extension(mime) or ""
            if mime == "audio/ogg":
                extension = ".ogg"
            name = message.media_name or media.filename or f"{message.kind}{extension}"
            message.media_file.save(name if "." in name else name + extension, ContentFile(media.content), save=False)
            message.media_mime = message.media_mime or mime
            message.media_size = len(media.content)
            message.media_state = Message.MediaState.READY
        message.save()
        announce_message(message=message, event="MESSAGE_STATUS")
        run_on_commit(tenant, fire_inbound, tenant=tenant, message=message)
    return message.media_state
