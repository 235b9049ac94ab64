"""The AI sales agent: answers WhatsApp leads in their language, books through the agenda, scores and hands
off through the CRM and chats services. `runner` is the entry point (called by `tasks`), `tools` what it may
do, `prompt` what it is told, `language` the per-message language detector, `clients/` OpenAI and Whisper
(with in-memory fakes)."""
