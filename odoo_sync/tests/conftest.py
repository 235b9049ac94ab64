"""Fixtures of the Odoo sync tests: a fake Odoo on loopback per test, and a tenant's credentials
pointing at it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from crm.models import SalesDocument
from crm.services.sales_documents import line_delete, line_update
from crm.services.sales_documents_flow import delivery_validate, document_post, order_deliver, order_invoice
from crm.tests.documents_factories import ProductFactory, confirmed_order
from crm.tests.factories import LeadFactory
from odoo_sync.fake_odoo import FakeOdoo, FakeOdooServer
from tenants.models import Credential, Role
from tenants.vault import vault_set


@pytest.fixture(autouse=True)
def _forget_odoo_sessions():
    """Each test meets its fake Odoo afresh (a port can be reused by a server of another version)."""
    from odoo_sync.clients import odoo

    odoo._SESSIONS.clear()
    yield
    odoo._SESSIONS.clear()


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


@dataclass
class World:
    """acme's documents for the sync tests: a lead with two products on a confirmed order."""

    accountant: object
    lead: object
    chair: object
    table: object
    order: object

    def deliver(self, quantities: dict[int, str] | None = None):
        """Validates a delivery note of the order; `quantities` {order line position: quantity} makes it
        partial."""
        delivery = order_deliver(document=self.order, actor=self.accountant.user)
        for line in delivery.lines.select_related("order_line"):
            if quantities is not None:
                wanted = quantities.get(line.order_line.position, "0")
                if Decimal(wanted) == 0:
                    line_delete(document=delivery, line_id=line.pk, actor=self.accountant.user)
                else:
                    quantity = Decimal(wanted)
                    line_update(document=delivery, line_id=line.pk, actor=self.accountant.user, quantity=quantity)
        return delivery_validate(document=delivery, actor=self.accountant.user)

    def invoice(self):
        invoice = order_invoice(document=self.order, actor=self.accountant.user)
        return document_post(document=invoice, actor=self.accountant.user)

    def refresh(self, document):
        return SalesDocument.objects.get(pk=document.pk)


@pytest.fixture
def world(tenant, make_member) -> World:
    accountant = make_member(tenant, Role.ACCOUNTANT)
    lead = LeadFactory(phone="+34611222333", email="ana@hooli.example", company="Hooli SL")
    chair = ProductFactory(name="Oak chair", sku="CH-1", unit_price=Decimal("100"), tax_rate=Decimal("21"))
    table = ProductFactory(name="Oak table", sku="TB-1", unit_price=Decimal("250"), tax_rate=Decimal("21"))
    order = confirmed_order(
        lead,
        accountant.user,
        lines=[{"product": chair, "quantity": Decimal("4"), "discount": Decimal("10")}, {"product": table}],
    )
    return World(accountant, lead, chair, table, order)


@pytest.fixture
def enqueued(monkeypatch):
    """The push tasks sent (sync id, token): nothing reaches the broker; tests run the pushes themselves."""
    sent: list[tuple[int, str]] = []
    monkeypatch.setattr("odoo_sync.tasks.push_document_task.delay", lambda *args: sent.append(args))
    return sent


@pytest.fixture
def send(enqueued, django_capture_on_commit_callbacks):
    """send(documents, actor) presses "send to Odoo" in acme and runs its on-commit work (the pushes it
    enqueues land in `enqueued`)."""
    from odoo_sync.services.push import sync_request

    def press(documents, actor, *, tenant=None):
        from core.tenancy import current_tenant

        with django_capture_on_commit_callbacks(execute=True):
            return sync_request(tenant=tenant or current_tenant(), documents=list(documents), actor=actor)

    return press
