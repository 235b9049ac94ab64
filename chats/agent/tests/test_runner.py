"""The agent end to end with a scripted fake chat model (no network): it books real slots, offers the next
ones when a slot was just taken, hands off, answers in the lead's language, hands off on OpenAI errors,
reads voice notes, and records every run."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from langchain_core.messages import SystemMessage, ToolMessage

from agenda.models import Appointment
from agenda.services import appointment_book
from chats.agent.clients import fakes
from chats.agent.clients.fakes import call, say, timeout_error
from chats.agent.runner import agent_answer, holding_message, pending_messages
from chats.models import AgentRun, AgentToolCall, Message
from chats.tests.factories import make_conversation, make_inbound
from core.models import AuditEntry, Notification
from crm.models import Lead, TimelineEntry
from crm.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(agent_on, clock, seller_a, sent_tasks):
    return make_conversation(agent_on, phone="+34611000111", seller_id=seller_a.user_id)


def _replies(conversation) -> list[Message]:
    return list(Message.objects.filter(conversation=conversation, direction="out").order_by("id"))


def test_books_a_real_slot_and_records_the_run(agent_on, conversation, service, seller_a):
    make_inbound(conversation, "Hola, quiero una cita mañana a las 11")
    model = fakes.install(
        call("check_availability", service_id=service.pk, date_from="2027-03-02", date_to="2027-03-02"),
        call("book_appointment", service_id=service.pk, start="2027-03-02T11:00", professional_id=seller_a.user_id),
        say("¡Listo! Te esperamos el martes 2 de marzo a las 11:00.", tokens_in=400, tokens_out=25),
    )

    outcome = agent_answer(tenant=agent_on, conversation_id=conversation.pk)

    assert outcome.status == "replied"
    appointment = Appointment.objects.get(lead=conversation.lead)
    assert (appointment.start, appointment.seller_id) == (datetime(2027, 3, 2, 10, 0, tzinfo=UTC), seller_a.user_id)
    assert appointment.source == "agent"
    [reply] = _replies(conversation)
    assert reply.text == "¡Listo! Te esperamos el martes 2 de marzo a las 11:00."
    assert (reply.sender, reply.language) == ("agent", "es")
    run = AgentRun.objects.get(conversation=conversation)
    assert (run.outcome, run.model, run.model_calls, run.handed_off) == ("replied", "gpt-4o-mini", 3, False)
    assert (run.tokens_in, run.tokens_out) == (150 + 150 + 400, 20 + 20 + 25)
    assert run.cost == Decimal("0.000144")  # 700 x 0.15 + 65 x 0.60 per million
    assert run.reply_message == reply
    assert run.finished_at is not None
    calls = list(AgentToolCall.objects.filter(run=run).order_by("position"))
    assert [c.name for c in calls] == ["check_availability", "book_appointment"]
    assert calls[0].result["free_slots"][0]["start"] == "2027-03-02T09:00"
    assert calls[1].result["ok"] is True
    assert calls[1].error == ""
    # The model was given the tools, the company's prompt and the lead's message.
    assert {tool["function"]["name"] for tool in model.bound_tools} >= {"book_appointment", "derivhumano"}
    system = model.received[0][0]
    assert isinstance(system, SystemMessage)
    assert "First visit (id" in system.content
    assert "Reply in Spanish" in system.content
    assert model.received[0][-1].content == "Hola, quiero una cita mañana a las 11"
    assert TimelineEntry.objects.filter(lead=conversation.lead, kind="appointment_booked").count() == 1
    assert AuditEntry.objects.filter(action="appointment.book", actor_kind="agent").count() == 1
    assert pending_messages(conversation) == []


def test_a_slot_taken_meanwhile_is_answered_with_the_next_free_ones(agent_on, conversation, service, seller_a):
    make_inbound(conversation, "Quiero el martes a las 11")
    other = LeadFactory(phone="+34600000555")

    def someone_books_first(messages):
        appointment_book(
            tenant=agent_on, lead=other, service=service, start=datetime(2027, 3, 2, 10, 0, tzinfo=UTC),
            seller_id=seller_a.user_id, actor=None, source="staff",
        )  # fmt: skip
        return call(
            "book_appointment", service_id=service.pk, start="2027-03-02T11:00", professional_id=seller_a.user_id
        )

    def offer_the_alternatives(messages):
        result = json.loads(next(m for m in reversed(messages) if isinstance(m, ToolMessage)).content)
        first = result["alternatives"][0]["start"][11:]
        return say(f"Las 11:00 se acaban de ocupar. ¿Te va bien a las {first}?")

    fakes.install(someone_books_first, offer_the_alternatives)

    assert agent_answer(tenant=agent_on, conversation_id=conversation.pk).status == "replied"

    [reply] = _replies(conversation)
    assert reply.text == "Las 11:00 se acaban de ocupar. ¿Te va bien a las 11:30?"
    assert not Appointment.objects.filter(lead=conversation.lead).exists()
    [tool_call] = AgentToolCall.objects.filter(run__conversation=conversation)
    assert tool_call.result["reason"] == "taken"
    assert tool_call.error == tool_call.result["error"]


def test_a_reply_that_forgets_the_alternatives_gets_them_added(agent_on, conversation, service, seller_a):
    make_inbound(conversation, "Quiero el martes a las 11")
    appointment_book(
        tenant=agent_on, lead=LeadFactory(phone="+34600000556"), service=service,
        start=datetime(2027, 3, 2, 10, 0, tzinfo=UTC), seller_id=seller_a.user_id, actor=None, source="staff",
    )  # fmt: skip
    fakes.install(
        call("book_appointment", service_id=service.pk, start="2027-03-02T11:00", professional_id=seller_a.user_id),
        say("Lo siento, no ha sido posible."),
    )

    agent_answer(tenant=agent_on, conversation_id=conversation.pk)

    [reply] = _replies(conversation)
    assert reply.text.startswith("Lo siento, no ha sido posible.\n\n")
    assert "11:30" in reply.text
    assert "12:00" in reply.text


def test_derivhumano_hands_off_and_silences_the_agent(agent_on, conversation, seller_a):
    make_inbound(conversation, "Quiero hablar con una persona, por favor")
    fakes.install(
        call("derivhumano", reason="Pide hablar con una persona"), say("Te paso con un compañero ahora mismo.")
    )

    outcome = agent_answer(tenant=agent_on, conversation_id=conversation.pk)

    assert outcome.status == "handed_off"
    conversation.refresh_from_db()
    assert conversation.agent_silenced
    assert conversation.handoff_reason == "Pide hablar con una persona"
    [reply] = _replies(conversation)
    assert reply.text == "Te paso con un compañero ahora mismo."
    run = AgentRun.objects.get(conversation=conversation)
    assert (run.outcome, run.handed_off) == ("handed_off", True)
    notification = Notification.objects.get(user_id=seller_a.user_id, kind="chats.handoff")
    assert notification.url.endswith(f"/{conversation.pk}/")
    assert AuditEntry.objects.get(action="chats.handoff").actor_kind == "agent"
    # The lead writes again: the agent stays silent, records nothing and sends nothing.
    make_inbound(conversation, "¿Hola?")
    assert agent_answer(tenant=agent_on, conversation_id=conversation.pk).status == "silent"
    assert AgentRun.objects.filter(conversation=conversation).count() == 1
    assert len(_replies(conversation)) == 1


def test_a_french_message_gets_a_french_reply_whatever_the_company_language(agent_on, conversation):
    assert agent_on.language == "es"
    make_inbound(conversation, "Bonjour, je voudrais un rendez-vous demain matin, s'il vous plaît")
    model = fakes.install()  # the fake answers in the language the prompt asks for

    agent_answer(tenant=agent_on, conversation_id=conversation.pk)

    [reply] = _replies(conversation)
    assert reply.text == fakes.GREETINGS["fr"]
    assert reply.language == "fr"
    assert "Reply in French" in model.received[0][0].content
    assert AgentRun.objects.get(conversation=conversation).language == "fr"
    assert Message.objects.get(conversation=conversation, direction="in").language == "fr"
    assert Lead.objects.get(pk=conversation.lead_id).language == "fr"


def test_an_openai_timeout_hands_off_and_tells_the_lead(agent_on, conversation, seller_a):
    make_inbound(conversation, "Hola, ¿tenéis hueco el jueves?")
    fakes.install(timeout_error())

    outcome = agent_answer(tenant=agent_on, conversation_id=conversation.pk)

    assert outcome.status == "failed"
    run = AgentRun.objects.get(conversation=conversation)
    assert (run.outcome, run.handed_off) == ("failed", True)
    assert "APITimeoutError" in run.error
    conversation.refresh_from_db()
    assert conversation.agent_silenced
    [reply] = _replies(conversation)
    assert reply.text == holding_message("es")
    assert Notification.objects.filter(user_id=seller_a.user_id, kind="chats.handoff").count() == 1
    assert pending_messages(conversation) == []  # read, handed to a person: not answered again


def test_a_company_without_an_openai_key_hands_off(agent_on, conversation, settings):
    settings.CHATS_AGENT_LLM = "real"
    make_inbound(conversation, "Hello, do you have time on Thursday?")

    assert agent_answer(tenant=agent_on, conversation_id=conversation.pk).status == "failed"

    run = AgentRun.objects.get(conversation=conversation)
    assert "no API key" in run.error
    [reply] = _replies(conversation)
    assert reply.text == holding_message("en")


def test_a_model_that_never_stops_calling_tools_hands_off(agent_on, conversation, service):
    make_inbound(conversation, "Hola")
    fakes.install(*[call("list_services") for _ in range(20)])

    assert agent_answer(tenant=agent_on, conversation_id=conversation.pk).status == "handed_off"

    run = AgentRun.objects.get(conversation=conversation)
    assert run.model_calls == 8
    assert "did not finish" in run.error
    assert _replies(conversation)[0].text == holding_message("es")


def test_an_empty_answer_hands_off_rather_than_leave_the_lead_unanswered(agent_on, conversation):
    make_inbound(conversation, "Hola")
    fakes.install(say(""))

    assert agent_answer(tenant=agent_on, conversation_id=conversation.pk).status == "handed_off"

    assert AgentRun.objects.get(conversation=conversation).error == "The model answered nothing."
    assert _replies(conversation)[0].text == holding_message("es")


def test_a_run_past_its_time_budget_hands_off(agent_on, conversation, service, monkeypatch):
    from chats.agent import runner

    make_inbound(conversation, "Hola")
    ticks = iter([0.0, 1.0, runner.RUN_BUDGET_SECONDS + 1.0])
    monkeypatch.setattr(runner, "_clock", lambda: next(ticks))
    model = fakes.install(call("list_services"), call("list_services"), say("tarde"))

    assert agent_answer(tenant=agent_on, conversation_id=conversation.pk).status == "handed_off"

    assert len(model.received) == 1  # the second call would have started past the budget
    assert "240 s" in AgentRun.objects.get(conversation=conversation).error


def test_a_voice_note_is_transcribed_and_read_by_the_agent(agent_on, conversation):
    fakes.FakeTranscriber.TRANSCRIPTS[b"OggS-voice"] = "Hola, quería pedir cita para el jueves"
    voice = make_inbound(conversation, "", kind="voice", media_mime="audio/ogg")
    voice.media_file.save("note.ogg", ContentFile(b"OggS-voice"), save=True)
    model = fakes.install(say("¡Claro! ¿Por la mañana o por la tarde?"))

    agent_answer(tenant=agent_on, conversation_id=conversation.pk)

    voice.refresh_from_db()
    assert voice.transcript == "Hola, quería pedir cita para el jueves"
    # The fake reports 10 bytes as 0.0 s: an unknown length records no seconds and no cost, not a free one.
    assert (voice.transcription_seconds, voice.transcription_cost) == (None, None)
    assert model.received[0][-1].content == "(voice note) Hola, quería pedir cita para el jueves"
    assert fakes.FakeTranscriber.calls == [b"OggS-voice"]


def test_a_short_message_keeps_the_leads_known_language(agent_on, conversation):
    lead = conversation.lead
    lead.language = "fr"
    lead.save()
    make_inbound(conversation, "ok 👍")
    model = fakes.install()

    agent_answer(tenant=agent_on, conversation_id=conversation.pk)

    assert "Reply in French" in model.received[0][0].content
    assert Lead.objects.get(pk=lead.pk).language == "fr"
    assert _replies(conversation)[0].language == "fr"


def test_a_reaction_alone_gets_no_answer(agent_on, conversation):
    make_inbound(conversation, "", kind="reaction", payload={"emoji": "👍"})
    assert agent_answer(tenant=agent_on, conversation_id=conversation.pk).status == "idle"
    assert _replies(conversation) == []


def test_pending_is_per_message_whatever_the_order_of_ids(agent_on, conversation):
    earlier = make_inbound(conversation, "Primero")  # stored by one worker, committed last
    later = make_inbound(conversation, "Segundo")
    run = AgentRun.objects.create(conversation=conversation, trigger_message=later)
    run.read_messages.add(later)  # a run read the later one before the earlier one was visible

    assert pending_messages(conversation) == [earlier]


def test_messages_a_person_answered_or_too_old_are_not_pending(agent_on, conversation, owner, clock):
    from datetime import timedelta

    from chats.services import message_send_text

    make_inbound(conversation, "¿Hola?")
    message_send_text(tenant=agent_on, conversation=conversation, text="Hola, soy Ana", actor=owner.user)
    assert pending_messages(conversation) == []
    fresh = make_inbound(conversation, "Gracias")
    assert pending_messages(conversation) == [fresh]
    clock.set(clock.now + timedelta(hours=25))
    assert pending_messages(conversation) == []


def test_nothing_happens_while_the_agent_is_off(madrid, clock, seller_a, sent_tasks):
    conversation = make_conversation(madrid, phone="+34611000112", seller_id=seller_a.user_id)
    make_inbound(conversation, "Hola")
    assert madrid.ai_enabled is False

    assert agent_answer(tenant=madrid, conversation_id=conversation.pk).status == "silent"

    assert not AgentRun.objects.exists()
    assert _replies(conversation) == []


def test_the_receiver_wakes_the_agent_or_transcribes_first(agent_on, conversation, sent_tasks):
    from chats.agent.receivers import agent_on_inbound

    text = make_inbound(conversation, "Hola")
    voice = make_inbound(conversation, "", kind="voice")
    reaction = make_inbound(conversation, "", kind="reaction", payload={"emoji": "👍"})
    agent_on_inbound(tenant=agent_on, message=text)
    agent_on_inbound(tenant=agent_on, message=voice)
    agent_on_inbound(tenant=agent_on, message=reaction)
    assert sent_tasks == [("agent_reply_task", (conversation.pk,)), ("message_transcribe_task", (voice.pk,))]

    sent_tasks.clear()
    conversation.takeover_until = timezone.now() + timezone.timedelta(hours=1)
    conversation.save()
    agent_on_inbound(tenant=agent_on, message=text)
    assert sent_tasks == []


def test_a_task_finding_the_conversation_busy_looks_again_after_the_lock_lifetime(agent_on, conversation, monkeypatch):
    from chats.agent import runner
    from chats.agent.tasks import agent_reply_task

    monkeypatch.setattr(runner, "agent_answer", lambda **kwargs: runner.Outcome("busy"))
    retried = []

    def retry(**kwargs):
        retried.append(kwargs)
        return RuntimeError("retry")

    monkeypatch.setattr(agent_reply_task, "retry", retry)
    agent_reply_task.push_request(retries=0, is_eager=False)
    try:
        with pytest.raises(RuntimeError):
            agent_reply_task.run(conversation.pk)
    finally:
        agent_reply_task.pop_request()
    assert retried == [{"countdown": runner.LOCK_SECONDS + 5}]

    agent_reply_task.push_request(retries=1, is_eager=False)
    try:
        assert agent_reply_task.run(conversation.pk) == "busy"  # looked once already: done
    finally:
        agent_reply_task.pop_request()
    assert len(retried) == 1


def test_each_run_refreshes_the_owners_panel_live(agent_on, conversation, monkeypatch):
    from chats.agent import realtime

    published = []
    monkeypatch.setattr(realtime, "publish", lambda **kwargs: published.append(kwargs))
    make_inbound(conversation, "Hola")
    fakes.install(call("list_services"), say("Tenemos primera visita."))

    agent_answer(tenant=agent_on, conversation_id=conversation.pk)

    [event] = published
    assert (event["topic"], event["event"], event["roles"]) == ("chats", "AGENT_RUN", ("owner",))
    html = event["html"]()  # rendered per language by core.realtime.publish
    assert f'id="agent-panel-{conversation.pk}"' in html
    assert 'hx-swap-oob="true"' in html
    assert 'data-tool="list_services"' in html
