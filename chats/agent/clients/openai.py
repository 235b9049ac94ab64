"""OpenAI behind two small interfaces: a tool-calling chat client and a voice-note transcriber.

`get_chat_client(tenant)` / `get_transcriber(tenant)` build the real clients from the company's vault
credential (kind `openai`: `api_key`, optional `model`), or what settings.CHATS_AGENT_LLM /
settings.CHATS_TRANSCRIBER name (dotted paths of factories taking `tenant` and `model`; tests and the demo
use `chats.agent.clients.fakes`). The chat client wraps any LangChain `BaseChatModel` (ChatOpenAI for real,
the scripted fake in tests), so the tool loop in `chats.agent.runner` is the same code either way and never
sees a vendor type. Vendor errors become TransientClientError (time-out, connection, rate limit, 5xx) or
PermanentClientError (no key, bad key, bad request). Every call has a time-out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

CHAT_TIMEOUT_SECONDS = 30
TRANSCRIBE_TIMEOUT_SECONDS = 60
MAX_RETRIES = 1  # one quick retry inside the call; after that the conversation goes to a person


class TransientClientError(Exception):
    """OpenAI did not answer in time, or answered 429/5xx."""


class PermanentClientError(Exception):
    """No usable key, a refused key, or a request OpenAI will never accept."""


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    args: dict


@dataclass(frozen=True)
class Completion:
    """One answer of the model: text for the lead, or tool calls to run first."""

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    tokens_in: int = 0
    tokens_out: int = 0


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str = ""
    seconds: float = 0.0  # the audio's length, as the API reports it (what it bills)
    model: str = ""


class ChatClient(Protocol):
    model: str

    def complete(self, *, messages: list[dict], tools: list[dict]) -> Completion:
        """`messages`: dicts with `role` (system, user, assistant, tool) and `content`; an assistant turn may
        carry `tool_calls` ([{id, name, args}]), a tool turn its `tool_call_id`. `tools`: OpenAI function
        specs ({"type": "function", "function": {name, description, parameters}})."""


class Transcriber(Protocol):
    def transcribe(self, *, audio: bytes, filename: str, content_type: str) -> Transcript: ...


def _classify(error: Exception) -> Exception:
    """A vendor error as TransientClientError or PermanentClientError (the message never holds the key)."""
    import openai

    transient = (openai.APITimeoutError, openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError)
    name = type(error).__name__
    if isinstance(error, transient):
        return TransientClientError(f"OpenAI: {name}")
    if isinstance(error, openai.APIStatusError):
        return PermanentClientError(f"OpenAI: {name} ({error.status_code})")
    if isinstance(error, openai.OpenAIError):
        return PermanentClientError(f"OpenAI: {name}")
    if isinstance(error, TimeoutError):
        return TransientClientError("OpenAI: time-out")
    return error


def _to_langchain(messages: list[dict]):
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    converted = []
    for message in messages:
        role, content = message["role"], message.get("content", "")
        if role == "system":
            converted.append(SystemMessage(content=content))
        elif role == "user":
            converted.append(HumanMessage(content=content))
        elif role == "assistant":
            calls = [
                {"id": call["id"], "name": call["name"], "args": call["args"], "type": "tool_call"}
                for call in message.get("tool_calls", ())
            ]
            converted.append(AIMessage(content=content, tool_calls=calls))
        elif role == "tool":
            converted.append(ToolMessage(content=content, tool_call_id=message["tool_call_id"]))
        else:
            raise ValueError(f"unknown role {role!r}")
    return converted


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for part in content or ():
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict) and part.get("type") == "text":
            parts.append(part.get("text", ""))
    return "".join(parts)


@dataclass
class LangChainChatClient:
    """A ChatClient over a LangChain chat model that supports tool calling (`bind_tools`)."""

    chat_model: Any
    model: str
    calls: int = field(default=0)

    def complete(self, *, messages: list[dict], tools: list[dict]) -> Completion:
        bound = self.chat_model.bind_tools(tools) if tools else self.chat_model
        self.calls += 1
        try:
            answer = bound.invoke(_to_langchain(messages))
        except Exception as error:  # vendor errors are classified; anything else is a bug and propagates
            classified = _classify(error)
            if classified is error:
                raise
            raise classified from error
        usage = getattr(answer, "usage_metadata", None) or {}
        calls = []
        for call in getattr(answer, "tool_calls", None) or ():
            args = call.get("args") or {}
            if isinstance(args, str):
                try:
                    args = json.loads(args)
                except ValueError:
                    args = {"_unreadable": args}
            calls.append(ToolCall(id=call.get("id") or f"call_{len(calls)}", name=call["name"], args=args))
        for invalid in getattr(answer, "invalid_tool_calls", None) or ():
            calls.append(
                ToolCall(
                    id=invalid.get("id") or f"invalid_{len(calls)}",
                    name=invalid.get("name") or "",
                    args={"_unreadable": invalid.get("args") or ""},
                )
            )
        return Completion(
            text=_text_of(answer.content).strip(),
            tool_calls=tuple(calls),
            tokens_in=int(usage.get("input_tokens") or 0),
            tokens_out=int(usage.get("output_tokens") or 0),
        )


def _base_url() -> str | None:
    """OpenAI's API, or what settings.CHATS_OPENAI_BASE_URL names (a compatible proxy; tests: a loopback server)."""
    return getattr(settings, "CHATS_OPENAI_BASE_URL", "") or None


def _openai_values(tenant) -> dict:
    from tenants.models import Credential
    from tenants.vault import vault_get

    values = vault_get(tenant=tenant, kind=Credential.Kind.OPENAI) or {}
    if not values.get("api_key"):
        raise PermanentClientError("OpenAI: the company has no API key in the vault")
    return values


def chat_model_name(tenant) -> str:
    """The model the company's agent uses: the vault credential's `model`, else the site default."""
    from tenants.models import Credential
    from tenants.vault import vault_get

    values = vault_get(tenant=tenant, kind=Credential.Kind.OPENAI) or {}
    return (values.get("model") or "").strip() or settings.CHATS_AGENT_DEFAULT_MODEL


def get_chat_client(tenant) -> ChatClient:
    """The company's chat client. Raises PermanentClientError when it has no OpenAI key."""
    model = chat_model_name(tenant)
    choice = getattr(settings, "CHATS_AGENT_LLM", "real")
    if choice != "real":
        return import_string(choice)(tenant=tenant, model=model)
    from langchain_openai import ChatOpenAI

    values = _openai_values(tenant)
    chat_model = ChatOpenAI(
        model=model,
        api_key=values["api_key"],
        base_url=_base_url(),
        timeout=CHAT_TIMEOUT_SECONDS,
        max_retries=MAX_RETRIES,
        temperature=0.3,
    )
    return LangChainChatClient(chat_model=chat_model, model=model)


@dataclass
class WhisperTranscriber:
    api_key: str
    model: str = "whisper-1"

    def transcribe(self, *, audio: bytes, filename: str, content_type: str) -> Transcript:
        import openai

        client = openai.OpenAI(
            api_key=self.api_key, base_url=_base_url(), timeout=TRANSCRIBE_TIMEOUT_SECONDS, max_retries=MAX_RETRIES
        )
        try:
            result = client.audio.transcriptions.create(
                model=self.model, file=(filename, audio, content_type), response_format="verbose_json"
            )
        except Exception as error:
            classified = _classify(error)
            if classified is error:
                raise
            raise classified from error
        return Transcript(
            text=(getattr(result, "text", "") or "").strip(),
            language=getattr(result, "language", "") or "",
            seconds=float(getattr(result, "duration", 0) or 0),
            model=self.model,
        )


def get_transcriber(tenant) -> Transcriber:
    """The company's Whisper client. Raises PermanentClientError when it has no OpenAI key."""
    choice = getattr(settings, "CHATS_TRANSCRIBER", "real")
    if choice != "real":
        return import_string(choice)(tenant=tenant)
    return WhisperTranscriber(api_key=_openai_values(tenant)["api_key"])
