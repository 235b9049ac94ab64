"""The real OpenAI clients (ChatOpenAI through LangChain, and the OpenAI SDK's Whisper call) against a
loopback server that answers as OpenAI's API does: the wire format, the key from the vault, tokens, time-outs."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.files.base import ContentFile

from chats.agent.clients import openai as openai_client
from chats.agent.runner import agent_answer, holding_message
from chats.models import AgentRun, AgentToolCall, Message
from chats.tests.factories import make_conversation, make_inbound
from tenants.models import Credential
from tenants.vault import vault_set

pytestmark = pytest.mark.django_db


class FakeOpenAI(BaseHTTPRequestHandler):
    answers: list = []
    requests: list = []
    delay: float = 0.0

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        state = type(self)  # one class per test: a late thread of an earlier test never takes this test's answers
        state.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        time.sleep(state.delay)
        answer = state.answers.pop(0)
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def completion(*, content=None, tool_calls=None, prompt_tokens=100, completion_tokens=10) -> dict:
    message = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
            for i, (name, args) in enumerate(tool_calls)
        ]
    return {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "created": 1_800_000_000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


@pytest.fixture
def openai_server(settings):
    handler = type("FakeOpenAIOfThisTest", (FakeOpenAI,), {"answers": [], "requests": [], "delay": 0.0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.CHATS_AGENT_LLM = "real"
    settings.CHATS_TRANSCRIBER = "real"
    settings.CHATS_OPENAI_BASE_URL = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield handler
    server.shutdown()
    server.server_close()


@pytest.fixture
def keyed(agent_on, owner):
    vault_set(
        tenant=agent_on, kind=Credential.Kind.OPENAI, values={"api_key": "sk-acme-loopback-0001"}, actor=owner.user
    )
    return agent_on


@pytest.fixture
def conversation(keyed, clock, seller_a, sent_tasks):
    return make_conversation(keyed, phone="+34611000333", seller_id=seller_a.user_id)


def test_the_real_chat_client_calls_tools_and_replies(openai_server, keyed, conversation, service):
    make_inbound(conversation, "Hola, ¿qué servicios tenéis?")
    openai_server.answers = [
        completion(tool_calls=[("list_services", {})], prompt_tokens=900, completion_tokens=12),
        completion(content="Tenemos primera visita por 50 €.", prompt_tokens=1000, completion_tokens=15),
    ]

    assert agent_answer(tenant=keyed, conversation_id=conversation.pk).status == "replied"

    assert Message.objects.get(conversation=conversation, direction="out").text == "Tenemos primera visita por 50 €."
    run = AgentRun.objects.get(conversation=conversation)
    assert (run.model, run.tokens_in, run.tokens_out) == ("gpt-4o-mini", 1900, 27)
    assert AgentToolCall.objects.get(run=run).result["services"][0]["name"] == "First visit"
    [(path, headers, body), (_path2, _headers2, second)] = openai_server.requests
    assert path == "/v1/chat/completions"
    assert headers["authorization"] == "Bearer sk-acme-loopback-0001"
    sent = json.loads(body)
    assert sent["model"] == "gpt-4o-mini"
    assert "book_appointment" in {tool["function"]["name"] for tool in sent["tools"]}
    assert sent["messages"][0]["role"] == "system"
    assert sent["messages"][-1] == {"role": "user", "content": "Hola, ¿qué servicios tenéis?"}
    tool_turn = json.loads(second)["messages"][-1]
    assert tool_turn["role"] == "tool"
    assert tool_turn["tool_call_id"] == "call_0"


def test_the_company_model_from_the_vault_is_used(openai_server, keyed, conversation, owner):
    vault_set(tenant=keyed, kind=Credential.Kind.OPENAI, values={"model": "gpt-4.1-mini"}, actor=owner.user)
    make_inbound(conversation, "Hello")
    openai_server.answers = [completion(content="Hi!")]

    agent_answer(tenant=keyed, conversation_id=conversation.pk)

    assert json.loads(openai_server.requests[0][2])["model"] == "gpt-4.1-mini"
    assert AgentRun.objects.get(conversation=conversation).cost == Decimal("0.000056")  # 100 x 0.40 + 10 x 1.60


def test_an_openai_that_does_not_answer_in_time_hands_off(openai_server, keyed, conversation, monkeypatch):
    monkeypatch.setattr(openai_client, "CHAT_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(openai_client, "MAX_RETRIES", 0)
    openai_server.delay = 1.0
    openai_server.answers = [completion(content="too late")]
    make_inbound(conversation, "Hola")

    assert agent_answer(tenant=keyed, conversation_id=conversation.pk).status == "failed"

    run = AgentRun.objects.get(conversation=conversation)
    assert "Timeout" in run.error
    assert Message.objects.get(conversation=conversation, direction="out").text == holding_message("es")


def test_the_real_whisper_client_transcribes_a_voice_note(openai_server, keyed, conversation):
    from chats.agent.transcription import message_transcribe

    voice = make_inbound(conversation, "", kind="voice", media_mime="audio/ogg")
    voice.media_file.save("note.ogg", ContentFile(b"OggS-real-bytes"), save=True)
    openai_server.answers = [{"text": " Quería una cita el jueves. ", "language": "spanish", "duration": 2.5}]

    assert message_transcribe(tenant=keyed, message=voice) == "Quería una cita el jueves."

    voice.refresh_from_db()
    assert voice.transcript == "Quería una cita el jueves."
    # Billed on the audio's length the API reports: 2.5 s of whisper-1 at $0.006 a minute.
    assert (voice.transcription_seconds, voice.transcription_cost) == (Decimal("2.50"), Decimal("0.000250"))
    [(path, headers, body)] = openai_server.requests
    assert path == "/v1/audio/transcriptions"
    assert headers["authorization"] == "Bearer sk-acme-loopback-0001"
    assert b"OggS-real-bytes" in body
    assert b"whisper-1" in body
