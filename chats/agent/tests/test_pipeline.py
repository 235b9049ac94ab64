"""From the provider's webhook to the agent's reply at the provider: a signed delivery is stored, the inbound
hook wakes the agent (a voice note is transcribed first), and the reply goes out through the (fake)
provider. Background tasks run in-line in the company, as the worker would run them."""

from __future__ import annotations

import json
import time

import pytest
from django_tenants.utils import tenant_context

from chats.agent.clients import fakes
from chats.agent.clients.fakes import say
from chats.clients.fakes import FakeWhatsAppClient
from chats.clients.whatsapp import MediaFile
from chats.hooks import inbound_receivers
from chats.models import AgentRun, Message
from chats.tests.conftest import contract
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


def _fresh(name: str) -> bytes:
    """A contract delivery as if sent now (the 24-hour window is open)."""
    payload = json.loads(contract(name))
    for entry in payload["entry"]:
        for change in entry["changes"]:
            for message in change["value"].get("messages", []):
                message["timestamp"] = str(int(time.time()))
    return json.dumps(payload).encode()


@pytest.fixture
def acme_agent_on(acme):
    Tenant.objects.filter(pk=acme.pk).update(ai_enabled=True)
    return acme


def test_the_agent_receiver_is_registered():
    from chats.agent.receivers import agent_on_inbound

    assert agent_on_inbound in inbound_receivers()


def test_a_webhook_text_gets_the_agents_reply_through_the_provider(
    acme_agent_on,
    numbers,
    post_cloud,
    agent_runs_inline,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        assert post_cloud(_fresh("whatsapp_cloud_webhook_text.json")).status_code == 200

    names = [name for name, _args in agent_runs_inline]
    assert names.count("agent_reply_task") == 1
    with tenant_context(acme_agent_on):
        reply = Message.objects.get(direction="out")
        assert (reply.text, reply.sender, reply.language) == (fakes.GREETINGS["en"], "agent", "en")
        assert reply.status == "sent"
        assert AgentRun.objects.get().outcome == "replied"
    [(_key, outbound)] = FakeWhatsAppClient.sent
    assert outbound.text == fakes.GREETINGS["en"]


def test_a_webhook_voice_note_is_transcribed_then_answered(
    acme_agent_on,
    numbers,
    post_cloud,
    agent_runs_inline,
    django_capture_on_commit_callbacks,
):
    FakeWhatsAppClient.media["1908647269898587"] = MediaFile(content=b"OggS-fake-voice", mime="audio/ogg")
    fakes.FakeTranscriber.TRANSCRIPTS[b"OggS-fake-voice"] = "Bonjour, je voudrais un rendez-vous jeudi"

    with django_capture_on_commit_callbacks(execute=True):
        assert post_cloud(_fresh("whatsapp_cloud_webhook_audio.json")).status_code == 200

    names = [name for name, _args in agent_runs_inline]
    assert names.index("message_transcribe_task") < names.index("agent_reply_task")
    with tenant_context(acme_agent_on):
        voice = Message.objects.get(direction="in")
        assert voice.transcript == "Bonjour, je voudrais un rendez-vous jeudi"
        reply = Message.objects.get(direction="out")
        assert (reply.text, reply.language) == (fakes.GREETINGS["fr"], "fr")


def test_a_voice_note_is_transcribed_even_with_the_agent_off(
    acme,
    numbers,
    post_cloud,
    agent_runs_inline,
    django_capture_on_commit_callbacks,
):
    FakeWhatsAppClient.media["1908647269898587"] = MediaFile(content=b"OggS-fake-voice", mime="audio/ogg")
    fakes.FakeTranscriber.TRANSCRIPTS[b"OggS-fake-voice"] = "Hola, ¿abrís mañana?"
    model = fakes.install(say("no debería contestar"))

    with django_capture_on_commit_callbacks(execute=True):
        assert post_cloud(_fresh("whatsapp_cloud_webhook_audio.json")).status_code == 200

    with tenant_context(acme):
        assert Message.objects.get(direction="in").transcript == "Hola, ¿abrís mañana?"
        assert not Message.objects.filter(direction="out").exists()
        assert not AgentRun.objects.exists()
    assert model.received == []


def test_a_worker_process_knows_the_agents_tasks():
    import subprocess
    import sys

    from django.conf import settings

    code = (
        "import django; django.setup(); from config.celery import app; app.loader.import_default_modules(); "
        "print(sorted(name for name in app.tasks if name.startswith('chats.agent.')))"
    )
    env = {**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, cwd=settings.BASE_DIR
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == (
        "['chats.agent.tasks.agent_reply_task', 'chats.agent.tasks.message_transcribe_task']"
    )
