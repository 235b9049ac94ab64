"""One answer per burst: the agent reads every message of the lead not yet answered, thinks with its tools,
re-reads before replying (messages that came in meanwhile join the same answer), and replies once.

`agent_answer(tenant=, conversation_id=)` is what the Celery task calls. Per conversation a Redis lock
lets one run at a time; what is pending is marked per message (each run records the messages it read:
the lead's recent messages no run has read, after the last reply of a person, are pending). A task that finds the lock
taken returns at once: the run holding it re-reads pending messages before replying and once more after
releasing the lock, so no message is left unanswered and none is answered twice.

Everything the agent does goes through `chats.agent.tools` as `core.actors.AGENT`; the run, its tool calls,
tokens and cost are recorded (`chats.models.agent`). An OpenAI error or time-out, a missing key, or a run
that cannot finish hands the conversation to a person (`conversation_handoff`) and tells the lead, in their
language, that a colleague will answer.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from chats.agent.clients.openai import PermanentClientError, TransientClientError, get_chat_client
from chats.agent.language import LANGUAGES, detect_language
from chats.agent.pricing import run_cost
from chats.agent.prompt import build_system_prompt
from chats.agent.tools import AgentContext, run_tool, tool_specs
from core.actors import AGENT
from core.tenancy import check_tenant

logger = logging.getLogger(__name__)

MAX_ROUNDS = 8  # model calls per run; a run still calling tools after that hands off
RUN_BUDGET_SECONDS = 240  # no model call starts after this; with one call's time-out and retry, a run ends
LOCK_SECONDS = 360  # before its lock expires (a lock outliving a dead worker frees the conversation then)
_clock = time.monotonic
HISTORY = 20  # earlier messages of the conversation given as context
IN, OUT = "in", "out"  # chats.models.Message.Direction
STAFF = "user"  # chats.models.Message.Sender of a person of the company
ANSWER_WINDOW = timedelta(hours=24)  # WhatsApp's customer-service window
MAX_REPLY = 4096  # WhatsApp's longest text
AUDIO_KINDS = ("audio", "voice")
SILENT_KINDS = ("reaction", "system")  # a system notice (a changed number) is not the lead writing


@dataclass
class Outcome:
    status: str  # replied, handed_off, failed, busy, silent, idle, gone
    run_id: int | None = None


def _lock(tenant, conversation_id: int):
    from django_redis import get_redis_connection

    name = f"{settings.CACHE_KEY_PREFIX}:{tenant.schema_name}:chats:agent:{conversation_id}"
    return get_redis_connection("default").lock(name, timeout=LOCK_SECONDS, thread_local=False)


def agent_may_answer(*, tenant, conversation) -> bool:
    """The company's agent is on and no person has taken this conversation over (or it was handed off)."""
    if not tenant.ai_enabled:
        return False
    if getattr(conversation, "agent_silenced", False):
        return False
    until = getattr(conversation, "takeover_until", None)
    return not (until is not None and until > timezone.now())


def _conversation(conversation_id: int):
    from chats.models import Conversation

    return Conversation.objects.select_related("lead").filter(pk=conversation_id).first()


def pending_messages(conversation) -> list:
    """The lead's messages no run has read yet, oldest first: those of the last 24 hours (older ones can
    no longer be answered freely) after the last message a person of the company sent (they answered
    those). Read per message, not from a high-water mark: two messages stored by two workers may commit
    in the opposite order of their ids, and the one committed last is still pending."""
    from chats.models import Message

    people = Message.objects.filter(conversation=conversation, direction=OUT, sender=STAFF)
    after = people.order_by("-id").values_list("id", flat=True).first() or 0
    # A reaction (a thumbs-up on a reply) asks for no answer.
    return list(
        Message.objects.filter(
            conversation=conversation, direction=IN, pk__gt=after, created_at__gte=timezone.now() - ANSWER_WINDOW
        )
        .exclude(kind__in=SILENT_KINDS)
        .filter(agent_runs__isnull=True)
        .order_by("created_at", "id")
    )


def message_text(message) -> str:
    """What the agent reads of a message: its text, a voice note's transcript, or what it is."""
    text = (getattr(message, "text", "") or "").strip()
    transcript = (getattr(message, "transcript", "") or "").strip()
    if transcript:
        return f"{text}\n(voice note) {transcript}".strip() if text else f"(voice note) {transcript}"
    if getattr(message, "kind", "") == "order":
        payload = message.payload or {}
        items = ", ".join(
            f"{item.get('quantity')} x {item.get('name') or item.get('retailer_id')}"
            for item in payload.get("items", [])
        )
        cart = f"(catalog order: {items}; total {payload.get('total', '')} {payload.get('currency', '')})"
        return f"{text}\n{cart}".strip()
    if text:
        return text
    return f"({message.kind or 'message'} without text)"


def _history(conversation, *, before_id: int) -> list[dict]:
    from chats.models import Message

    earlier = list(
        Message.objects.filter(conversation=conversation, pk__lt=before_id).order_by("-created_at", "-id")[:HISTORY]
    )
    turns = []
    for message in reversed(earlier):
        role = "user" if message.direction == IN else "assistant"
        turns.append({"role": role, "content": message_text(message)})
    return turns


def _language(*, tenant, lead, messages) -> str:
    """The language of the lead's newest message that reads clearly as one, else the lead's known one,
    else the company's."""
    for message in reversed(messages):
        detected = detect_language(message_text(message))
        if detected:
            return detected
    if getattr(lead, "language", "") in LANGUAGES:
        return lead.language
    return tenant.language if tenant.language in LANGUAGES else "es"


def _times(alternatives: list[dict], *, tenant, language: str) -> list[str]:
    from datetime import datetime

    from agenda.selectors import zone_of

    zone = zone_of(tenant)
    shown = []
    with translation.override(language):
        for slot in alternatives[:3]:
            moment = datetime.fromisoformat(slot["start"]).replace(tzinfo=zone)
            shown.append(f"{formats.date_format(moment, 'l j F')} {moment:%H:%M}")
    return shown


def _with_alternatives(text: str, ctx: AgentContext) -> str:
    """A reply after a refused booking always offers the next free times: added when the model left them out."""
    if not ctx.pending_alternatives:
        return text
    if any(slot["start"][11:16] in text for slot in ctx.pending_alternatives[:3]):
        return text
    times = _times(ctx.pending_alternatives, tenant=ctx.tenant, language=ctx.language)
    with translation.override(ctx.language):
        offer = _("That time cannot be booked. These times are free: %(times)s. Which one suits you?") % {
            "times": "; ".join(times)
        }
    return f"{text}\n\n{offer}".strip()


def holding_message(language: str) -> str:
    with translation.override(language):
        return _("Thank you for your message. A colleague will answer you shortly.")


def _send(*, tenant, conversation, text: str, language: str):
    from chats.models import Message
    from chats.services import message_send_text

    message = message_send_text(tenant=tenant, conversation=conversation, text=text, actor=AGENT)
    if message is not None and getattr(message, "pk", None) and hasattr(message, "language"):
        Message.objects.filter(pk=message.pk).update(language=language)
    return message


def _note_languages(*, tenant, lead, messages) -> None:
    """Records each message's language when it reads clearly as one, and the lead's when their newest such
    message changed it (a message too short to tell changes nothing)."""
    from chats.models import Message

    newest = None
    for message in messages:
        detected = detect_language(message_text(message))
        if detected:
            newest = detected
            if message.language != detected:
                Message.objects.filter(pk=message.pk).update(language=detected)
    if newest and lead.language != newest:
        from django.core.exceptions import ValidationError

        from core.errors import ApplicationError
        from crm.public import lead_update

        try:
            lead_update(tenant=tenant, lead=lead, actor=AGENT, language=newest)
        except (ApplicationError, ValidationError) as error:  # a lead with facts its form would refuse
            logger.warning("language of lead %s not recorded: %s", lead.pk, error)


def _transcribe_pending(*, tenant, messages) -> None:
    from chats.agent.transcription import message_transcribe

    for message in messages:
        if message.kind in AUDIO_KINDS and not (message.transcript or "").strip():
            try:
                message.transcript = message_transcribe(tenant=tenant, message=message)
            except (TransientClientError, PermanentClientError) as error:
                logger.warning("voice note %s not transcribed: %s", message.pk, error)


def agent_answer(*, tenant, conversation_id: int) -> Outcome:
    """Answers the lead's pending messages of one conversation, once. Safe to call any number of times at
    once for the same conversation."""
    check_tenant(tenant)
    conversation = _conversation(conversation_id)
    if conversation is None:
        return Outcome("gone")
    outcome = Outcome("idle")
    lock = _lock(tenant, conversation_id)
    while True:
        conversation = _conversation(conversation_id)
        if not agent_may_answer(tenant=tenant, conversation=conversation):
            return outcome if outcome.run_id else Outcome("silent")
        if not pending_messages(conversation):
            return outcome
        if not lock.acquire(blocking=False):
            # Another run holds the conversation: it reads these messages before it replies or right after.
            return outcome if outcome.run_id else Outcome("busy")
        try:
            while True:
                conversation = _conversation(conversation_id)
                if not agent_may_answer(tenant=tenant, conversation=conversation):
                    break
                pending = pending_messages(conversation)
                if not pending:
                    break
                outcome = _run(tenant=tenant, conversation=conversation, pending=pending)
        finally:
            try:
                lock.release()
            except Exception:  # expired after LOCK_SECONDS: another run may hold it now
                logger.warning("agent lock of conversation %s had expired", conversation_id)
        # Loop: a message stored while the lock was being released found it taken and left it to us.


def _run(*, tenant, conversation, pending: list) -> Outcome:
    from chats.models import AgentRun, AgentToolCall

    lead = conversation.lead
    _transcribe_pending(tenant=tenant, messages=pending)
    language = _language(tenant=tenant, lead=lead, messages=pending)
    run = AgentRun.objects.create(
        conversation=conversation, trigger_message=pending[-1], messages_read=len(pending), language=language
    )
    read = list(pending)  # recorded on the run when it ends: a worker dying mid-run leaves them pending
    ctx = AgentContext(tenant=tenant, conversation=conversation, lead=lead, language=language)
    position = 0
    try:
        # Staff-facing records (timeline, audit) in the company's language; the reply in the lead's.
        with translation.override(tenant.language):
            _note_languages(tenant=tenant, lead=lead, messages=pending)
            client = get_chat_client(tenant)
            run.model = client.model
            tone = _tone()
            messages = [
                {
                    "role": "system",
                    "content": build_system_prompt(tenant=tenant, lead=ctx.lead, language=language, tone=tone),
                },
                *_history(conversation, before_id=pending[0].pk),
                *({"role": "user", "content": message_text(message)} for message in pending),
            ]
            reply = None
            started = _clock()
            for _round in range(MAX_ROUNDS):
                if _clock() - started > RUN_BUDGET_SECONDS:
                    break
                completion = client.complete(messages=messages, tools=tool_specs())
                run.model_calls += 1
                run.tokens_in += completion.tokens_in
                run.tokens_out += completion.tokens_out
                if completion.tool_calls:
                    messages.append(
                        {
                            "role": "assistant",
                            "content": completion.text,
                            "tool_calls": [{"id": c.id, "name": c.name, "args": c.args} for c in completion.tool_calls],
                        }
                    )
                    for call in completion.tool_calls:
                        result, error = run_tool(ctx, call.name, call.args)
                        position += 1
                        AgentToolCall.objects.create(
                            run=run, position=position, name=call.name[:64], args=_jsonable(call.args),
                            result=_jsonable(result), error=error,
                        )  # fmt: skip
                        messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
                    continue
                seen = {message.pk for message in read}
                newer = [] if ctx.handed_off else [m for m in pending_messages(conversation) if m.pk not in seen]
                if newer:
                    # The lead wrote again while the agent was thinking: one answer for all of it.
                    read.extend(newer)
                    _transcribe_pending(tenant=tenant, messages=newer)
                    messages.extend({"role": "user", "content": message_text(message)} for message in newer)
                    run.trigger_message = newer[-1]
                    run.messages_read += len(newer)
                    continue
                reply = _with_alternatives(completion.text, ctx)[:MAX_REPLY]
                break
            if reply is None:
                run.error = f"The agent did not finish within {MAX_ROUNDS} model calls or {RUN_BUDGET_SECONDS} s."
                _handoff(ctx, reason=_("The AI agent could not finish its answer."))
                reply = holding_message(language)
            elif not reply:
                if not ctx.handed_off:
                    run.error = "The model answered nothing."
                    _handoff(ctx, reason=_("The AI agent could not finish its answer."))
                reply = holding_message(language)
            if reply:
                run.reply_message = _send(tenant=tenant, conversation=conversation, text=reply, language=language)
            run.outcome = AgentRun.Outcome.HANDED_OFF if ctx.handed_off else AgentRun.Outcome.REPLIED
    except (TransientClientError, PermanentClientError) as error:
        run.error = str(error)[:2000]
        run.outcome = AgentRun.Outcome.FAILED
        _fail_over(ctx, reason=_("The AI agent could not reach OpenAI (%(error)s).") % {"error": error})
    except Exception as error:  # a bug or the database: the lead still gets a person
        logger.exception("agent run on conversation %s failed", conversation.pk)
        run.error = f"{type(error).__name__}: {error}"[:2000]
        run.outcome = AgentRun.Outcome.FAILED
        _fail_over(ctx, reason=_("The AI agent failed (%(error)s).") % {"error": type(error).__name__})
    finally:
        run.read_messages.add(*read)
        run.handed_off = ctx.handed_off
        run.finished_at = timezone.now()
        run.cost = run_cost(model=run.model, tokens_in=run.tokens_in, tokens_out=run.tokens_out)
        run.save()
        _announce(tenant=tenant, conversation=conversation, run_id=run.pk)
    return Outcome(run.outcome, run.pk)


def _announce(*, tenant, conversation, run_id: int) -> None:
    from chats.agent.realtime import announce_run

    try:
        with translation.override(tenant.language):
            announce_run(conversation=conversation, run_id=run_id)
    except Exception:  # the panel is a view of what is recorded; the run itself stands
        logger.exception("agent run %s not announced", run_id)


def _prompt(ctx: AgentContext, *, tone: str) -> str:
    return build_system_prompt(tenant=ctx.tenant, lead=ctx.lead, language=ctx.language, tone=tone)


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))


def _tone() -> str:
    from chats.models import AgentSettings

    return AgentSettings.objects.order_by("pk").values_list("tone", flat=True).first() or ""


def _handoff(ctx: AgentContext, *, reason: str) -> None:
    from chats.services import conversation_handoff

    if not ctx.handed_off:
        conversation_handoff(tenant=ctx.tenant, conversation=ctx.conversation, actor=AGENT, reason=str(reason)[:255])
        ctx.handed_off = True


def _fail_over(ctx: AgentContext, *, reason: str) -> None:
    """After an error: a person takes the conversation, and the lead hears that one will answer."""
    try:
        with translation.override(ctx.tenant.language):
            _handoff(ctx, reason=reason)
    except Exception:
        logger.exception("hand-off of conversation %s failed", ctx.conversation.pk)
    try:
        _send(
            tenant=ctx.tenant, conversation=ctx.conversation, text=holding_message(ctx.language), language=ctx.language
        )
    except Exception:
        logger.exception("holding message on conversation %s not sent", ctx.conversation.pk)
