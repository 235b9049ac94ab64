"""Chats: WhatsApp conversations, webhooks, human override and the AI agent (not built yet)."""
