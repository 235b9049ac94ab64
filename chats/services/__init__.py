"""Chats writes. Other apps (the AI agent, marketing) call these names; the modules below hold them."""

from chats.services.common import WindowClosed
from chats.services.inbound import event_process, message_receive, status_apply
from chats.services.sending import (
    message_deliver,
    message_retry,
    message_send_media,
    message_send_template,
    message_send_text,
)
from chats.services.takeover import (
    conversation_handoff,
    conversation_mark_read,
    conversation_release,
    conversation_take_over,
    message_set_transcript,
)

__all__ = [
    "WindowClosed",
    "conversation_handoff",
    "conversation_mark_read",
    "conversation_release",
    "conversation_take_over",
    "event_process",
    "message_deliver",
    "message_receive",
    "message_retry",
    "message_send_media",
    "message_send_template",
    "message_send_text",
    "message_set_transcript",
    "status_apply",
]
