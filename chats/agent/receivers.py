"""Connects the agent to inbound messages (imported by ChatsConfig.ready()): a voice note is transcribed
first; any other message from the lead wakes the agent when the company has it on and no person has the
conversation. `chats.hooks.fire_inbound` calls this after the message (and its media) is committed,
inside the company."""

from __future__ import annotations

from chats.agent import tasks
from chats.agent.runner import AUDIO_KINDS, IN, SILENT_KINDS, agent_may_answer
from chats.hooks import on_inbound

# Importing the tasks here registers them in every process, the workers included: Celery's autodiscovery
# reads `chats.tasks` only, and ChatsConfig.ready() imports this module.


def agent_on_inbound(*, tenant, message) -> None:
    if message.direction != IN or message.kind in SILENT_KINDS:
        return
    if message.kind in AUDIO_KINDS and not (message.transcript or "").strip():
        tasks.message_transcribe_task.delay(message.pk)
        return
    if agent_may_answer(tenant=tenant, conversation=message.conversation):
        tasks.agent_reply_task.delay(message.conversation_id)


on_inbound(agent_on_inbound)
