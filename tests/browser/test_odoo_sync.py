"""Sending a posted invoice to Odoo as an accountant clicks it: the document's Odoo block follows the
worker live (waiting, then in Odoo with Odoo's number), and a payment made in Odoo comes back with
"refresh from Odoo". A real Celery worker pushes to the fake Odoo the test runs on loopback."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from core.models import Notification
from crm.models import DocumentSequence, Lead, Payment, Product, SalesDocument, Stage
from odoo_sync.fake_odoo import FakeOdoo, FakeOdooServer
from odoo_sync.models import SyncExternal
from tenants.models import Credential, Tenant
from tenants.vault import vault_set

pytestmark = pytest.mark.browser


class Seeded:
    """A posted invoice in acme (lead, products, confirmed and delivered order), committed through the
    services, and the fake Odoo as acme's connection. `forget` deletes all of it again."""

    def __init__(self, committed, accountant):
        self.committed = committed
        self.accountant = accountant

    def _in_acme(self, work):
        def run():
            with tenant_context(Tenant.objects.get(slug="acme")):
                return work()

        return self.committed(run)

    def seed(self, server: FakeOdooServer) -> SalesDocument:
        from crm.services.sales_documents import document_create
        from crm.services.sales_documents_flow import (
            delivery_validate,
            document_post,
            order_confirm,
            order_deliver,
            order_invoice,
        )

        def write():
            self.sequences = {(s.kind, s.year): s.last_number for s in DocumentSequence.objects.all()}
            self.marks = {
                "document": SalesDocument.objects.order_by("-id").values_list("id", flat=True).first() or 0,
                "lead": Lead.objects.order_by("-id").values_list("id", flat=True).first() or 0,
                "product": Product.objects.order_by("-id").values_list("id", flat=True).first() or 0,
                "sync": SyncExternal.objects.order_by("-id").values_list("id", flat=True).first() or 0,
                "notification": Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0,
            }
            vault_set(
                tenant=Tenant.objects.get(slug="acme"),
                kind=Credential.Kind.ODOO,
                values={
                    "url": server.url,
                    "database": server.store.database,
                    "username": server.store.login,
                    "api_key": server.store.secret,
                    "protocol": "xmlrpc",
                },
                actor=None,
            )
            lead = Lead.objects.create(
                phone=f"+3467{random.randint(0, 9_999_999):07d}",
                first_name="Hugo",
                last_name="Lindqvist",
                email="hugo@lindqvist.example",
                company="Lindqvist AB",
                stage=Stage.objects.get(key="won"),
            )
            chair = Product.objects.create(
                name="Oak chair", sku=f"OAK-{lead.pk}", unit_price=Decimal("120"), tax_rate=Decimal("21")
            )
            actor = self.accountant
            order = document_create(
                lead=lead, kind="order", actor=actor, lines=[{"product": chair, "quantity": Decimal("3")}]
            )
            order = order_confirm(document=order, actor=actor)
            delivery_validate(document=order_deliver(document=order, actor=actor), actor=actor)
            return document_post(document=order_invoice(document=order, actor=actor), actor=actor)

        return self._in_acme(write)

    def read(self, work):
        return self._in_acme(work)

    def forget(self) -> None:
        def delete():
            documents = SalesDocument.objects.filter(pk__gt=self.marks["document"])
            ids = list(documents.values_list("pk", flat=True))
            SyncExternal.objects.filter(pk__gt=self.marks["sync"]).delete()
            # a refused push notifies every owner and accountant of acme, the fixture's founder included
            Notification.objects.filter(pk__gt=self.marks["notification"]).delete()
            Payment.objects.filter(document_id__in=ids).delete()
            for pk in sorted(ids, reverse=True):
                SalesDocument.objects.filter(pk=pk).delete()
            Lead.objects.filter(pk__gt=self.marks["lead"]).delete()
            Product.objects.filter(pk__gt=self.marks["product"]).delete()
            for sequence in DocumentSequence.objects.all():
                before = self.sequences.get((sequence.kind, sequence.year))
                if before is None:
                    sequence.delete()
                elif before != sequence.last_number:
                    sequence.last_number = before
                    sequence.save(update_fields=["last_number"])
            Credential.objects.filter(tenant__slug="acme", kind=Credential.Kind.ODOO).delete()

        self._in_acme(delete)


@pytest.fixture
def fake_odoo():
    with FakeOdooServer(FakeOdoo(version="17.0")) as server:
        yield server


@pytest.fixture
def seeded(people):
    accountant = people.member("accountant", "Alma Accountant", {"acme": "accountant"})
    seeded = Seeded(people.committed, accountant)
    try:
        yield seeded
    finally:
        if hasattr(seeded, "marks"):
            seeded.forget()


def test_an_accountant_sends_a_posted_invoice_to_odoo_and_sees_it_arrive_live(
    site, worker, people, person, seeded, fake_odoo, screenshot
):
    # given a posted invoice (from a confirmed, delivered order) and acme connected to Odoo
    invoice = seeded.seed(fake_odoo)
    context = person()
    people.sign_in(context, seeded.accountant, "acme")
    page = context.new_page()
    page.goto(site.url("acme", f"/documents/{invoice.pk}/"))
    block = page.get_by_test_id("odoo-sync")
    expect(block.get_by_test_id("odoo-status")).to_have_text("Not sent to Odoo")
    expect(block).to_have_attribute("data-ws", "open")

    # when she sends it to Odoo
    block.get_by_test_id("odoo-send").click()

    # then the block follows the worker without a reload: in Odoo, with Odoo's invoice number
    expect(block.get_by_test_id("odoo-status")).to_have_text("In Odoo")
    expect(block.get_by_test_id("odoo-ref")).to_have_text("INV/2026/00001")
    expect(block.get_by_test_id("odoo-remote-state")).to_have_text("Posted · Not paid")
    expect(block.get_by_test_id("odoo-send")).to_have_count(0)
    screenshot(page, "odoo-sent")
    store = fake_odoo.store
    assert store.count("sale.order") == 1
    assert [p["state"] for p in store.records("stock.picking")] == ["done"]
    move = store.records("account.move")[0]
    assert (move["ref"], move["state"]) == (invoice.number, "posted")

    # when the customer pays in Odoo and she refreshes from Odoo
    store.register_payment(move["id"], float(invoice.total_amount))
    block.get_by_test_id("odoo-refresh").click()

    # then the invoice is paid here too
    expect(block.get_by_test_id("odoo-remote-state")).to_have_text("Posted · Paid")
    page.reload()
    expect(page.locator("main")).to_contain_text("Paid")
    assert seeded.read(lambda: SalesDocument.objects.get(pk=invoice.pk).state) == SalesDocument.State.PAID

    # and the Odoo page lists it with its order and delivery, all in Odoo
    page.get_by_role("link", name="Odoo", exact=True).click()
    rows = page.get_by_test_id("odoo-rows").locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.get_by_test_id("odoo-status")).to_have_text(["In Odoo", "In Odoo", "In Odoo"])
    screenshot(page, "odoo-overview")


def test_a_refused_push_shows_odoos_message_and_goes_through_after_the_fix(
    site, worker, people, person, seeded, fake_odoo
):
    # given a posted invoice and an Odoo that refuses to confirm the order
    invoice = seeded.seed(fake_odoo)
    fake_odoo.store.faults.fail["sale.order.action_confirm"] = ("UserError", "The customer has no address.")
    context = person()
    people.sign_in(context, seeded.accountant, "acme")
    page = context.new_page()
    page.goto(site.url("acme", f"/documents/{invoice.pk}/"))
    block = page.get_by_test_id("odoo-sync")
    expect(block).to_have_attribute("data-ws", "open")

    # when she sends it, Odoo's message shows on the document
    block.get_by_test_id("odoo-send").click()
    expect(block.get_by_test_id("odoo-status")).to_have_text("Sending failed")
    expect(block.get_by_test_id("odoo-error")).to_have_text("The customer has no address.")

    # and once fixed in Odoo, trying again gets it there
    del fake_odoo.store.faults.fail["sale.order.action_confirm"]
    block.get_by_role("button", name="Try again").click()
    expect(block.get_by_test_id("odoo-status")).to_have_text("In Odoo")
    assert fake_odoo.store.count("sale.order") == 1
    assert fake_odoo.store.count("account.move") == 1
