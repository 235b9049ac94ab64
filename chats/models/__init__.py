"""Chats models: conversations with leads and their messages (tenant schema).

The raw webhook deliveries live in the public schema (app `webhooks`), because they are stored before
the company is known. The AI agent's own models live in `chats/models/agent.py` (added by the agent)."""

from chats.models.conversations import Conversation, Message, QuickReply, media_path

__all__ = ["Conversation", "Message", "QuickReply", "media_path"]
