"""Agent fixtures: the agenda's (a Madrid company on a fixed clock, two sellers with hours, a service, a
lead) and a clean fake OpenAI for every test."""

from __future__ import annotations

import pytest

from agenda.tests.conftest import _fresh_fake_google, clock, lead, madrid, seller_a, seller_b, service  # noqa: F401
from chats.agent.clients import fakes
from chats.tests import conftest as chats_fixtures

# The chats fixtures the pipeline tests use (company numbers, signed posts, tasks run in-line).
_fresh_provider_and_routes = chats_fixtures._fresh_provider_and_routes
numbers = chats_fixtures.numbers
public_client = chats_fixtures.public_client
post_cloud = chats_fixtures.post_cloud
run_tasks = chats_fixtures.run_tasks


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


@pytest.fixture
def agent_runs_inline(monkeypatch, run_tasks):
    """The chats tasks and the agent's run in-line, in the company they were sent in: [(name, args)]."""
    from django.db import connection
    from django_tenants.utils import tenant_context

    from chats.agent import tasks

    def inline(task):
        def delay(*args):
            run_tasks.append((task.name.rsplit(".", 1)[-1], args))
            with tenant_context(connection.tenant):
                return task.run(*args)

        return delay

    for task in (tasks.agent_reply_task, tasks.message_transcribe_task):
        monkeypatch.setattr(task, "delay", inline(task))
    return run_tasks
