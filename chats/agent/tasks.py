"""The agent's Celery entry points. Arguments are ids; the company travels with each task
(tenant-schemas-celery) and is read with `current_tenant()`: sent from `chats.agent.receivers` inside the
company, they run in its schema."""

from __future__ import annotations

import logging

from celery import shared_task

from chats.agent.clients.openai import PermanentClientError, TransientClientError
from core.tenancy import current_tenant

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=1)
def agent_reply_task(self, conversation_id: int) -> str:
    """Answers the lead's pending messages of one conversation (chats.agent.runner.agent_answer). A run that
    fails hands the conversation to a person instead of retrying. A task finding another run in progress
    looks once more after the lock's lifetime: should that run's worker have died, the lock has expired
    by then and these messages are answered (a live run has answered them, and the look finds nothing)."""
    from chats.agent.runner import LOCK_SECONDS, agent_answer

    status = agent_answer(tenant=current_tenant(), conversation_id=conversation_id).status
    if status == "busy" and self.request.retries < self.max_retries and not self.request.is_eager:
        raise self.retry(countdown=LOCK_SECONDS + 5)
    return status


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(TransientClientError,),
    retry_backoff=5,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=3,
)
def message_transcribe_task(self, message_id: int) -> str:
    """Transcribes one voice note, then lets the agent answer the conversation when it is on. Without a key,
    or after the retries, the agent still answers (it reads that a voice note came)."""
    from chats.agent.runner import agent_may_answer
    from chats.agent.transcription import message_transcribe
    from chats.models import Message

    tenant = current_tenant()
    message = Message.objects.select_related("conversation").filter(pk=message_id).first()
    if message is None:
        return "gone"
    status = "transcribed"
    try:
        if not message_transcribe(tenant=tenant, message=message):
            status = "empty"
    except PermanentClientError as error:
        logger.info("voice note %s not transcribed: %s", message_id, error)
        status = "refused"
    except TransientClientError:
        if self.request.retries < self.max_retries:
            raise
        status = "unreachable"
    if agent_may_answer(tenant=tenant, conversation=message.conversation):
        agent_reply_task.delay(message.conversation_id)
    return status
