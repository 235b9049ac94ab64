"""Agent fixtures: the agenda's (a Madrid company on a fixed clock, two sellers with hours, a service, a
lead) and a clean fake OpenAI for every test."""

from __future__ import annotations

import pytest

from agenda.tests.conftest import _fresh_fake_google, clock, lead, madrid, seller_a, seller_b, service  # noqa: F401
from chats.agent.clients import fakes


@pytest.fixture(autouse=True)
def _clean_fakes():
    fakes.uninstall()
    fakes.FakeTranscriber.reset()
    yield
    fakes.uninstall()
    fakes.FakeTranscriber.reset()


@pytest.fixture
def agent_on(madrid):  # noqa: F811 (the agenda fixture, imported above)
    """acme (in Madrid, on the agenda's fixed clock when `clock` is used) with its agent switched on."""
    madrid.ai_enabled = True
    madrid.save(update_fields=["ai_enabled"])
    return madrid


@pytest.fixture
def sent_tasks(monkeypatch):
    """Background tasks recorded, not run (the send task, the agent's tasks): [(name, args)]."""
    from chats import tasks as chat_tasks
    from chats.agent import tasks as agent_tasks

    sent = []
    for task in (chat_tasks.message_send_task, agent_tasks.agent_reply_task, agent_tasks.message_transcribe_task):
        name = task.name.rsplit(".", 1)[-1]
        monkeypatch.setattr(task, "delay", lambda *args, name=name: sent.append((name, args)))
    return sent
