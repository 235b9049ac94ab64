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
