"""Fixtures of the marketing tests: a fake Graph API on loopback (the real client's SDK session points at
it), the platform's Meta app settings, and acme connected to it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from marketing.clients.fakes import FakeGraph, FakeGraphServer
from marketing.models import AdAccount, MetaConnection
from tenants.models import Credential
from tenants.vault import vault_set

APP_SECRET = "test-app-secret"
TOKEN = "acme-system-token"


@pytest.fixture
def meta_app(settings):
    settings.META_APP_ID = "4242"
    settings.META_APP_SECRET = APP_SECRET
    settings.META_WEBHOOK_VERIFY_TOKEN = "verify-me"
    return settings


@pytest.fixture
def graph():
    """A pretend Meta with one EUR account, a campaign, an ad set and two ads, two days of insights."""
    g = FakeGraph()
    g.tokens.add(TOKEN)
    account = g.add_account("act_111", "Acme ads", "EUR")
    campaign = g.add_campaign(account["id"], "c1", "Spring", daily_budget="2550")
    adset = g.add_adset(campaign, "s1", "Madrid")
    g.ad1 = g.add_ad(adset, "a1", "Video")
    g.ad2 = g.add_ad(adset, "a2", "Carousel")
    g.day = date(2026, 11, 20)
    g.add_insight(g.ad1, g.day, spend="12.34", impressions="1500", clicks="31", reach="1200", leads=2)
    g.add_insight(g.ad2, g.day, spend="0.66", impressions="20", clicks="1", reach="19")
    g.add_insight(g.ad1, g.day - timedelta(days=1), spend="7", impressions="700", clicks="7", reach="650")
    return g


@pytest.fixture
def graph_server(graph, meta_app):
    with FakeGraphServer(graph) as url:
        meta_app.META_GRAPH_URL = url
        yield graph


@pytest.fixture
def connected(tenant, graph_server):
    """acme connected with a system user token, following act_111."""
    vault_set(tenant=tenant, kind=Credential.Kind.META, values={"access_token": TOKEN}, actor=None)
    connection = MetaConnection.objects.create(method=MetaConnection.Method.MANUAL, meta_user_name="Fake")
    AdAccount.objects.create(meta_id="act_111", name="Acme ads", currency="EUR", selected=True)
    return connection
