"""Fixtures of the Odoo sync tests: a fake Odoo on loopback per test, and a tenant's credentials
pointing at it."""

from __future__ import annotations

import pytest

from odoo_sync.fake_odoo import FakeOdoo, FakeOdooServer
from tenants.models import Credential
from tenants.vault import vault_set


@pytest.fixture
def fake_odoo():
    """A running fake Odoo 17 (`fake_odoo.store` is its database and its faults)."""
    with FakeOdooServer(FakeOdoo(version="17.0")) as server:
        yield server


@pytest.fixture
def fake_odoo19():
    with FakeOdooServer(FakeOdoo(version="19.0")) as server:
        yield server


def connect(tenant, server, *, protocol: str = "xmlrpc", secret: str | None = None) -> None:
    """Stores `tenant`'s Odoo credentials for `server`."""
    vault_set(
        tenant=tenant,
        kind=Credential.Kind.ODOO,
        values={
            "url": server.url,
            "database": server.store.database,
            "username": server.store.login,
            "api_key": secret or server.store.secret,
            "protocol": protocol,
        },
        actor=None,
    )


@pytest.fixture
def odoo_connected(acme, fake_odoo):
    """acme's Odoo credentials point at the fake (XML-RPC)."""
    connect(acme, fake_odoo)
    return fake_odoo
