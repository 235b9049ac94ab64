"""One answer per burst under real concurrency: separate connections and committed transactions, as two
workers would run the agent's task for two messages of one conversation."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.utils import timezone
from django_tenants.utils import tenant_context
from langchain_core.messages import HumanMessage

from chats.agent.clients import fakes
from chats.agent.clients.fakes import say
from chats.agent.runner import agent_answer
from chats.models import AgentRun, Message
from chats.tests.factories import make_conversation, make_inbound
from core.models import AuditEntry
from core.testing import in_own_connection, race
from crm.models import Lead
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(acme):
    """acme with its agent on, in memory only (nothing committed to the shared tenant row)."""
    tenant = Tenant.objects.get(pk=acme.pk)
    tenant.ai_enabled = True
    return tenant


@pytest.fixture
def committed(company, sent_tasks):
    """A lead and its conversation committed in acme (removed afterwards, with what the agent wrote)."""
    phone = "+3465" + timezone.now().strftime("%H%M%S%f")[-7:]
    conversation_id, lead_id = in_own_connection(
        lambda: (lambda c: (c.pk, c.lead_id))(make_conversation(company, phone=phone)), tenant=company
    )
    yield conversation_id
    in_own_connection(
        lambda: (
            Lead.objects.filter(pk=lead_id).delete(),
            AuditEntry.objects.filter(object_type="crm.lead", object_id=str(lead_id)).delete(),
        ),
        tenant=company,
    )


def _inbound(company, conversation_id: int, text: str) -> int:
    from chats.models import Conversation

    return in_own_connection(
        lambda: make_inbound(Conversation.objects.get(pk=conversation_id), text).pk, tenant=company
    )


def _outbound(company, conversation_id: int) -> list[str]:
    return in_own_connection(
        lambda: list(
            Message.objects.filter(conversation_id=conversation_id, direction="out")
            .order_by("id")
            .values_list("text", flat=True)
        ),
        tenant=company,
    )


def _user_turns(messages) -> list[str]:
    return [message.content for message in messages if isinstance(message, HumanMessage)]


def test_a_message_arriving_while_the_agent_thinks_joins_the_same_single_answer(company, committed):
    _inbound(company, committed, "Hola, ¿cuánto cuesta la primera visita?")
    model = fakes.install(
        say("Borrador que nadie debe ver"), say("La primera visita cuesta 50 €, y sí, abrimos el sábado.")
    )
    model.entered, model.release = threading.Event(), threading.Event()

    def first_worker():
        try:
            with tenant_context(company):
                return agent_answer(tenant=company, conversation_id=committed)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(first_worker)
        assert model.entered.wait(timeout=20)  # the agent is thinking about the first message
        _inbound(company, committed, "¿Y abrís el sábado?")
        second = in_own_connection(lambda: agent_answer(tenant=company, conversation_id=committed), tenant=company)
        assert second.status == "busy"  # the second worker leaves it to the run in progress
        model.release.set()
        outcome = running.result(timeout=30)

    assert outcome.status == "replied"
    assert _outbound(company, committed) == ["La primera visita cuesta 50 €, y sí, abrimos el sábado."]
    assert len(model.received) == 2
    assert _user_turns(model.received[1]) == ["Hola, ¿cuánto cuesta la primera visita?", "¿Y abrís el sábado?"]
    runs = in_own_connection(
        lambda: list(AgentRun.objects.filter(conversation_id=committed).values_list("messages_read", "outcome")),
        tenant=company,
    )
    assert runs == [(2, "replied")]


def test_two_workers_at_once_for_one_burst_answer_it_once(company, committed):
    _inbound(company, committed, "Hola")
    _inbound(company, committed, "Quería información")
    model = fakes.install(say("¡Hola! ¿Sobre qué servicio?"), say("Segunda respuesta que no debe existir"))

    results = race(lambda i: agent_answer(tenant=company, conversation_id=committed).status, times=2, tenant=company)

    assert sorted(results) in (["busy", "replied"], ["idle", "replied"])
    assert _outbound(company, committed) == ["¡Hola! ¿Sobre qué servicio?"]
    assert _user_turns(model.received[0]) == ["Hola", "Quería información"]
    assert len(model.received) == 1
