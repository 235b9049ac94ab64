"""In-memory stand-ins for OpenAI, used by tests and the demo (settings.CHATS_AGENT_LLM /
settings.CHATS_TRANSCRIBER point here there).

`ScriptedChatModel` is a real LangChain `BaseChatModel`: it goes through `bind_tools` and `invoke` like
ChatOpenAI, and answers from a script. A step is an AIMessage (build them with `say` and `call`), an
exception to raise (an OpenAI time-out: `timeout_error()`), or a function of the messages it was sent
returning either. Every call's messages and bound tools are kept for assertions. `install(*steps)` makes
the next agent runs (in any thread) use one scripted model; with none installed the fake answers politely
in the language the system prompt asks for, so the demo works without a key.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

from chats.agent.clients.openai import LangChainChatClient, Transcript

_ids = itertools.count(1)


def say(text: str, *, tokens_in: int = 120, tokens_out: int = 30) -> AIMessage:
    return AIMessage(
        content=text,
        usage_metadata={"input_tokens": tokens_in, "output_tokens": tokens_out, "total_tokens": tokens_in + tokens_out},
    )


def call(name: str, *, tokens_in: int = 150, tokens_out: int = 20, **args) -> AIMessage:
    """A turn asking for one tool call (several: `calls`)."""
    return calls((name, args), tokens_in=tokens_in, tokens_out=tokens_out)


def calls(*pairs: tuple[str, dict], tokens_in: int = 150, tokens_out: int = 20) -> AIMessage:
    return AIMessage(
        content="",
        tool_calls=[
            {"name": name, "args": args, "id": f"call_fake_{next(_ids)}", "type": "tool_call"} for name, args in pairs
        ],
        usage_metadata={"input_tokens": tokens_in, "output_tokens": tokens_out, "total_tokens": tokens_in + tokens_out},
    )


def timeout_error() -> Exception:
    """What the OpenAI SDK raises when the API does not answer in time."""
    import httpx2
    import openai

    return openai.APITimeoutError(request=httpx2.Request("POST", "https://api.openai.com/v1/chat/completions"))


GREETINGS = {
    "es": "¡Hola! Gracias por escribirnos. ¿En qué podemos ayudarte?",
    "en": "Hello! Thanks for writing to us. How can we help you?",
    "fr": "Bonjour ! Merci de nous écrire. Comment pouvons-nous vous aider ?",
}


def _default_answer(messages: list[BaseMessage]) -> AIMessage:
    system = str(messages[0].content) if messages else ""
    for code, marker in (("fr", "French"), ("en", "English"), ("es", "Spanish")):
        if f"Reply in {marker}" in system:
            return say(GREETINGS[code])
    return say(GREETINGS["en"])


class ScriptedChatModel(BaseChatModel):
    script: list[Any] = Field(default_factory=list)
    received: list[list[BaseMessage]] = Field(default_factory=list)
    bound_tools: list[dict] = Field(default_factory=list)
    # Set while a call waits (tests holding the model mid-thought): entered, then released.
    entered: Any = None
    release: Any = None

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    def bind_tools(self, tools, *, tool_choice=None, **kwargs):
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        self.bound_tools = formatted
        return self.bind(tools=formatted, **kwargs)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        self.received.append(list(messages))
        if self.entered is not None:
            self.entered.set()
        if self.release is not None:
            self.release.wait(timeout=30)
            self.release = None
        step = self.script.pop(0) if self.script else _default_answer
        if callable(step) and not isinstance(step, BaseMessage):
            step = step(messages)
        if isinstance(step, BaseException):
            raise step
        return ChatResult(generations=[ChatGeneration(message=step)])


_installed: dict[str, ScriptedChatModel | None] = {"model": None}
_lock = threading.Lock()


def install(*steps: AIMessage | Exception | Callable) -> ScriptedChatModel:
    """The model the next agent runs use (until `uninstall`)."""
    model = ScriptedChatModel(script=list(steps))
    with _lock:
        _installed["model"] = model
    return model


def uninstall() -> None:
    with _lock:
        _installed["model"] = None


def fake_chat_client(*, tenant, model: str) -> LangChainChatClient:
    with _lock:
        chat_model = _installed["model"] or ScriptedChatModel()
    return LangChainChatClient(chat_model=chat_model, model=model)


class FakeTranscriber:
    """Transcribes known audio bytes to their text (`TRANSCRIPTS`), anything else to a fixed sentence;
    `FAIL` makes the next call raise."""

    TRANSCRIPTS: dict[bytes, str] = {}
    FAIL: list[Exception] = []
    calls: list[bytes] = []

    def __init__(self, *, tenant=None):
        self.tenant = tenant

    def transcribe(self, *, audio: bytes, filename: str, content_type: str) -> Transcript:
        FakeTranscriber.calls.append(audio)
        if FakeTranscriber.FAIL:
            raise FakeTranscriber.FAIL.pop(0)
        text = FakeTranscriber.TRANSCRIPTS.get(audio, "Hola, quería información sobre sus servicios.")
        return Transcript(text=text, language="", seconds=round(len(audio) / 4000, 1), model="whisper-1")

    @classmethod
    def reset(cls) -> None:
        cls.TRANSCRIPTS.clear()
        cls.FAIL.clear()
        cls.calls.clear()
