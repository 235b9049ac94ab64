"""The agent's plain parts: the language detector, the prompt, prices, and the LangChain adapter."""

from __future__ import annotations

from decimal import Decimal

import pytest
from langchain_core.messages import AIMessage

from chats.agent.clients.fakes import ScriptedChatModel, call, say, timeout_error
from chats.agent.clients.openai import LangChainChatClient, PermanentClientError, TransientClientError, _classify
from chats.agent.language import detect_language
from chats.agent.pricing import run_cost, transcription_cost
from chats.agent.prompt import build_system_prompt, business_hours
from crm.models import Tag

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hola, quiero una cita para mañana", "es"),
        ("¿Cuánto cuesta?", "es"),
        ("Buenas tardes, tienen hueco el jueves", "es"),
        ("Hi, I would like to book an appointment", "en"),
        ("How much is it?", "en"),
        ("Bonjour, je voudrais un rendez-vous", "fr"),
        ("Merci beaucoup, à demain", "fr"),
        ("Est-ce que c'est possible jeudi ?", "fr"),
        ("ok", None),
        ("10:30", None),
        ("👍", None),
        ("", None),
    ],
)
def test_detect_language(text, language):
    assert detect_language(text) == language


def test_the_prompt_carries_company_services_hours_tone_and_lead(madrid, service, lead, seller_a, seller_b, clock):
    lead.first_name, lead.last_name, lead.score, lead.score_reason = "Lucía", "Gómez", "warm", "Compara precios"
    lead.save()
    lead.tags.add(Tag.objects.create(name="VIP"))
    service.description = "Revisión completa"
    service.save()

    prompt = build_system_prompt(tenant=madrid, lead=lead, language="fr", tone="Cercano, sin emojis.")

    assert f"sales assistant of {madrid.name}" in prompt
    assert "Now: Monday 2027-03-01 09:00, time zone Europe/Madrid" in prompt
    assert f"- First visit (id {service.pk}): 50.00 {madrid.currency}, 30 min. Revisión completa" in prompt
    assert "Monday: 09:00-14:00, 15:00-18:00" in prompt  # Ana 9-13 and 15-18, Bruno 10-14
    assert "Tone, as the owner asks:\nCercano, sin emojis." in prompt
    assert "Name: Lucía Gómez" in prompt
    assert "Score: warm (Compara precios)" in prompt
    assert "Tags: VIP" in prompt
    assert "Reply in French" in prompt


def test_business_hours_count_only_people_offering_an_active_service(madrid, seller_a):
    from agenda.tests.factories import every_day, make_service, set_hours

    set_hours(seller_a, every_day(("09:00", "13:00")))
    assert business_hours(tenant=madrid)[0] == "Monday: closed"  # hours, but no service offered
    make_service(sellers=[seller_a], active=False)
    assert business_hours(tenant=madrid)[0] == "Monday: closed"
    make_service(sellers=[seller_a], name="Demo")
    assert business_hours(tenant=madrid) == [f"{day}: 09:00-13:00" for day in (
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")]  # fmt: skip


def test_run_cost_uses_the_list_price_and_no_guess():
    assert run_cost(model="gpt-4o-mini", tokens_in=1_000_000, tokens_out=1_000_000) == Decimal("0.750000")
    assert run_cost(model="gpt-4o-mini-2024-07-18", tokens_in=1000, tokens_out=0) == Decimal("0.000150")
    assert run_cost(model="gpt-4o", tokens_in=1000, tokens_out=1000) == Decimal("0.012500")
    assert run_cost(model="some-local-model", tokens_in=1000, tokens_out=1000) is None
    assert transcription_cost(seconds=30) == Decimal("0.003000")
    assert transcription_cost(seconds=95.5, model="whisper-1") == Decimal("0.009550")
    assert transcription_cost(seconds=60, model="gpt-4o-mini-transcribe") == Decimal("0.003000")
    assert transcription_cost(seconds=60, model="some-local-whisper") is None


def test_the_langchain_adapter_turns_tool_calls_and_usage_into_a_completion():
    model = ScriptedChatModel(script=[call("list_services"), say("Hola", tokens_in=10, tokens_out=2)])
    client = LangChainChatClient(chat_model=model, model="gpt-4o-mini")
    tools = [{"type": "function", "function": {"name": "list_services", "description": "x", "parameters": {}}}]

    first = client.complete(messages=[{"role": "user", "content": "hola"}], tools=tools)
    assert [c.name for c in first.tool_calls] == ["list_services"]
    assert (first.tokens_in, first.tokens_out) == (150, 20)
    second = client.complete(
        messages=[
            {"role": "system", "content": "s"},
            {"role": "user", "content": "hola"},
            {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "name": "list_services", "args": {}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "{}"},
        ],
        tools=tools,
    )
    assert (second.text, second.tool_calls, second.tokens_in) == ("Hola", (), 10)
    assert model.bound_tools[0]["function"]["name"] == "list_services"
    assert [type(m).__name__ for m in model.received[1]] == [
        "SystemMessage",
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
    ]


def test_openai_errors_are_classified():
    import httpx2
    import openai

    assert isinstance(_classify(timeout_error()), TransientClientError)
    response = httpx2.Response(401, request=httpx2.Request("POST", "https://api.openai.com/v1/chat/completions"))
    refused = openai.AuthenticationError("bad key", response=response, body=None)
    assert isinstance(_classify(refused), PermanentClientError)
    bug = ValueError("a bug")
    assert _classify(bug) is bug


def test_content_as_a_list_of_parts_is_read_as_text():
    model = ScriptedChatModel(script=[AIMessage(content=[{"type": "text", "text": "Hola "}, "mundo"])])
    completion = LangChainChatClient(chat_model=model, model="m").complete(messages=[], tools=[])
    assert completion.text == "Hola mundo"
