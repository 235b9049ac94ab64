"""The agent of one company never reads or writes another's data, and its records show only to that
company's owners."""

from __future__ import annotations

import pytest
from django.db import connection

from agenda.models import Appointment
from chats.agent.clients import fakes
from chats.agent.clients.fakes import call, say
from chats.agent.runner import agent_answer
from chats.models import AgentRun, AgentSettings, Message
from chats.tests.factories import make_conversation, make_inbound
from core.models import AuditEntry
from core.tenancy import TenantRequired
from tenants.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(agent_on, clock, service, seller_a, sent_tasks):
    conversation = make_conversation(agent_on, phone="+34611000222", seller_id=seller_a.user_id)
    make_inbound(conversation, "Quiero una cita el martes a las 11")
    fakes.install(
        call("book_appointment", service_id=service.pk, start="2027-03-02T11:00", professional_id=seller_a.user_id),
        say("Reservado para el martes a las 11:00."),
    )
    agent_answer(tenant=agent_on, conversation_id=conversation.pk)
    return conversation


def test_an_acme_run_never_touches_globex(answered, globex, in_schema):
    assert AgentRun.objects.count() == 1
    with in_schema(globex):
        assert AgentRun.objects.count() == 0
        assert Message.objects.count() == 0
        assert Appointment.objects.count() == 0
        assert not AuditEntry.objects.filter(actor_kind="agent").exists()


def test_the_agent_refuses_to_run_for_a_company_it_is_not_in(answered, globex):
    with pytest.raises(TenantRequired):
        agent_answer(tenant=globex, conversation_id=answered.pk)
    connection.set_tenant(globex)
    globex.ai_enabled = True
    assert agent_answer(tenant=globex, conversation_id=answered.pk).status == "gone"


def test_runs_page_only_for_the_companys_owners(answered, owner, seller_a, globex_owner, client_for, acme, globex):
    url = f"/chats/agent/conversations/{answered.pk}/runs/"
    page = client_for(owner).get(url)
    assert page.status_code == 200
    assert b"book_appointment" in page.content
    assert b'data-testid="run-cost"' in page.content
    assert client_for(seller_a).get(url).status_code == 403
    assert client_for(globex_owner.user, acme).get(url).status_code == 403
    assert client_for(globex_owner).get(url).status_code == 404  # globex's own host: no such conversation
    anonymous = client_for(owner)
    anonymous.logout()
    response = anonymous.get(url)
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_agent_panel_on_the_conversation_shows_to_owners_only(answered, owner, seller_a, client_for):
    url = f"/chats/{answered.pk}/"
    owner_page = client_for(owner).get(url).content.decode()
    assert 'data-testid="agent-panel"' in owner_page
    assert 'data-tool="book_appointment"' in owner_page
    seller_page = client_for(seller_a).get(url)
    assert seller_page.status_code == 200
    assert b'data-testid="agent-panel"' not in seller_page.content
    assert b"book_appointment" not in seller_page.content


def test_agent_settings_page_totals_count_only_this_companys_runs(answered, owner, globex_owner, client_for, english):
    from chats.models import AgentRun

    run = AgentRun.objects.get()
    page = client_for(owner).get("/chats/agent/settings/").content.decode()
    assert f"1 run · {run.tokens_in} in / {run.tokens_out} out tokens · ${run.cost:.4f}" in page
    globex_page = client_for(globex_owner).get("/chats/agent/settings/").content.decode()
    assert 'data-testid="agent-company-totals">0 runs · 0 in / 0 out tokens' in globex_page


def test_agent_settings_page(owner, seller, globex_owner, client_for, acme, tenant, english):
    client = client_for(owner)
    assert client.get("/chats/agent/settings/").status_code == 200
    response = client.post("/chats/agent/settings/", {"tone": "Cercano y breve, sin emojis."})
    assert response.status_code == 302
    assert AgentSettings.objects.get().tone == "Cercano y breve, sin emojis."
    entry = AuditEntry.objects.get(action="agent.settings")
    assert entry.changes["tone"]["after"] == "Cercano y breve, sin emojis."
    # Too long: a clear error and the stored tone kept.
    response = client.post("/chats/agent/settings/", {"tone": "x" * 1001})
    assert response.status_code == 200
    assert b"at most 1000 characters" in response.content or b"at most 1,000 characters" in response.content
    assert AgentSettings.objects.get().tone == "Cercano y breve, sin emojis."
    for who, host_tenant in ((seller, None), (globex_owner.user, acme)):
        assert client_for(who, host_tenant).post("/chats/agent/settings/", {"tone": "hacked"}).status_code == 403
    assert AgentSettings.objects.get().tone == "Cercano y breve, sin emojis."
    assert owner.role == Role.OWNER


def test_transcription_cost_shows_to_owners_beside_the_agents_cost_and_stays_in_its_company(
    answered, owner, seller_a, globex_owner, client_for, english, acme, globex, in_schema
):
    from decimal import Decimal

    from django.core.files.base import ContentFile

    from chats.agent.transcription import message_transcribe

    fakes.FakeTranscriber.TRANSCRIPTS[b"x" * 360_000] = "Quiero cambiar la cita"
    voice = make_inbound(answered, "", kind="voice", media_mime="audio/ogg")
    voice.media_file.save("note.ogg", ContentFile(b"x" * 360_000), save=True)
    connection.set_tenant(acme)
    assert message_transcribe(tenant=acme, message=voice) == "Quiero cambiar la cita"
    voice.refresh_from_db()
    # The fake reports 360,000 bytes as 90 s: a minute and a half of whisper-1 at $0.006 a minute.
    assert (voice.transcription_seconds, voice.transcription_cost) == (Decimal("90.00"), Decimal("0.009000"))
    shown = 'data-testid="transcription-totals">1 voice note transcribed · 1.5 min · $0.0090</span>'
    assert shown in client_for(owner).get(f"/chats/{answered.pk}/").content.decode()
    assert shown in client_for(owner).get(f"/chats/agent/conversations/{answered.pk}/runs/").content.decode()
    assert shown in client_for(owner).get("/chats/agent/settings/").content.decode()
    seller_page = client_for(seller_a).get(f"/chats/{answered.pk}/")
    assert seller_page.status_code == 200
    assert b"transcription-totals" not in seller_page.content
    assert b"transcription-totals" not in client_for(globex_owner).get("/chats/agent/settings/").content
    with in_schema(globex):
        assert not Message.objects.filter(transcription_cost__isnull=False).exists()
