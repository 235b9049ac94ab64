"""Checks the Odoo push and pull steps against a real Odoo, by hand (never in CI: it writes records).

    .venv/bin/python scripts/odoo_verify.py --url http://127.0.0.1:8069 --database crmtest \
        --user admin --secret admin --protocol xmlrpc [--tax 15]

Runs what a push does for an invoice made from an order (partner, products, confirmed sale.order, a
partial delivery then the rest, the invoice through Odoo's wizard, posted), then again with no memory
of it (nothing is created twice), then as if a worker had died after each create (the records are found
by their references), registers a payment in Odoo through its own wizard and reads the invoice back
as the pull does; and checks that a method answering None over XML-RPC is taken as done. Prints what it
saw, one line per check, and exits 1 on the first failure. Every record it makes carries a run number.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

import django

django.setup()

from odoo_sync.clients.odoo import OdooConfig, transport_for  # noqa: E402
from odoo_sync.services.steps import (  # noqa: E402
    DeliveryData,
    InvoiceData,
    LineData,
    Link,
    OrderData,
    PartnerData,
    ProductData,
    Pusher,
)


class MemoryLinks:
    """sync_external stand-in: what this run knows exists in Odoo."""

    def __init__(self):
        self.links = {}

    def get(self, local_type, local_id):
        return self.links.get((local_type, local_id))

    def set(self, local_type, local_id, *, model, external_id, ref=""):
        self.links[(local_type, local_id)] = Link(external_id, ref)

    def guard(self, local_type, local_id):
        from contextlib import nullcontext

        return nullcontext()


class Forgetful(MemoryLinks):
    """Never remembers anything: every step must find its record in Odoo by its reference."""

    def set(self, local_type, local_id, *, model, external_id, ref=""):
        pass


def check(label: str, ok: bool, detail="") -> None:
    print(f"{'ok ' if ok else 'FAIL'} {label}{': ' if detail != '' else ''}{detail}", flush=True)
    if not ok:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--database", default="")
    parser.add_argument("--user", default="")
    parser.add_argument("--secret", required=True)
    parser.add_argument("--protocol", choices=["xmlrpc", "jsonrpc", "json2"], default="xmlrpc")
    parser.add_argument("--tax", default="15", help="a sales tax rate (%%) the Odoo has")
    args = parser.parse_args()
    client = transport_for(OdooConfig(args.url, args.database, args.user, args.secret, args.protocol, 60))
    run = random.randint(10_000, 99_999)  # noqa: S311
    version = client.version()
    check("version", True, f"{version.version} (major {version.major}) over {args.protocol}")

    partner = PartnerData(run, f"Verify {run}", phone=f"+34600{run}", email=f"verify{run}@example.com")
    chair = ProductData(run, f"Chair {run}", sku=f"CH-{run}", unit_price=Decimal("100"))
    table = ProductData(run + 1, f"Table {run}", sku=f"TB-{run}", unit_price=Decimal("250"))
    rate = Decimal(args.tax)
    lines = (
        LineData(1, chair, "Chair", Decimal("4"), Decimal("100"), Decimal("10"), rate),
        LineData(2, table, "Table", Decimal("1"), Decimal("250"), Decimal("0"), rate),
        LineData(3, ProductData(None, "Assembly"), "Assembly", Decimal("1"), Decimal("50"), Decimal("0"), Decimal("0")),
    )
    order = OrderData(run, f"SO-V{run}", partner, lines)
    first = DeliveryData(run + 10, f"DN-V{run}-1", ((1, Decimal("2")), (2, Decimal("1")), (3, Decimal("1"))))
    second = DeliveryData(run + 11, f"DN-V{run}-2", ((1, Decimal("2")),))
    invoice = InvoiceData(run + 20, f"INV-V{run}", partner, lines)

    pusher = Pusher(client, MemoryLinks())
    order_link = pusher.order(order)
    state = client.read("sale.order", [order_link.external_id], ["state", "amount_total"])[0]
    check("sale.order confirmed", state["state"] == "sale", f"{order_link.external_ref} {state}")
    for delivery in (first, second):
        link = pusher.delivery(delivery, order_link)
        picking = client.read("stock.picking", [link.external_id], ["state", "origin", "backorder_id"])[0]
        check(f"stock.picking validated for {delivery.number}", picking["state"] == "done", picking)
    move = pusher.invoice(invoice, order_link)
    check("account.move posted through the wizard", move["state"] == "posted", move)
    expected = Decimal("660") + (Decimal("610") * rate / 100)
    check(
        "invoice total", Decimal(str(move["amount_total"])) == expected.quantize(Decimal("0.01")), move["amount_total"]
    )

    again = Pusher(client, Forgetful())
    again.order(order)
    again.invoice(invoice, order_link)
    counts = {
        "res.partner": len(client.search_read("res.partner", [("phone", "=", partner.phone)], ["id"])),
        "sale.order": len(client.search_read("sale.order", [("client_order_ref", "=", order.number)], ["id"])),
        "account.move": len(client.search_read("account.move", [("ref", "=", invoice.number)], ["id"])),
        "product.product": len(
            client.search_read("product.product", [("default_code", "in", [chair.sku, table.sku])], ["id"])
        ),
    }
    check(
        "pushed again with no memory: nothing twice",
        counts == {"res.partner": 1, "sale.order": 1, "account.move": 1, "product.product": 2},
        counts,
    )

    # A second invoice run cut after the wizard made the draft: the next run adopts that draft.
    order2 = OrderData(run + 30, f"SO-V{run}-B", partner, lines[:1])
    order2_link = pusher.order(order2)
    context = {
        "active_model": "sale.order",
        "active_ids": [order2_link.external_id],
        "active_id": order2_link.external_id,
    }
    wizard = client.create("sale.advance.payment.inv", {"advance_payment_method": "delivered"}, context=context)
    client.call("sale.advance.payment.inv", "create_invoices", [wizard], context=context)
    move2 = Pusher(client, MemoryLinks()).invoice(
        InvoiceData(run + 31, f"INV-V{run}-B", partner, lines[:1]), order2_link
    )
    invoices = client.read("sale.order", [order2_link.external_id], ["invoice_ids"])[0]["invoice_ids"]
    check(
        "a draft left by a killed worker is adopted, not doubled",
        len(invoices) == 1 and move2["ref"] == f"INV-V{run}-B",
        move2,
    )

    # The customer pays in Odoo (its own payment wizard), and the pull reads it back.
    pay_context = {"active_model": "account.move", "active_ids": [move["id"]], "active_id": move["id"]}
    payment = client.create("account.payment.register", {}, context=pay_context)
    client.call("account.payment.register", "action_create_payments", [payment], context=pay_context)
    paid = client.read("account.move", [move["id"]], ["state", "payment_state", "amount_residual"])[0]
    check("payment registered in Odoo read back", paid["payment_state"] in ("paid", "in_payment"), paid)

    if args.protocol == "xmlrpc":
        # Seen against Odoo 17: a None result is a Fault over XML-RPC; the client takes it as done.
        storable = {"detailed_type": "product"} if version.major in (15, 16, 17) else {"type": "product"}
        if version.major >= 18:
            storable = {"type": "consu", "is_storable": True}
        product = client.create("product.product", {"name": f"Stocked {run}", **storable})
        location = client.search_read("stock.location", [("usage", "=", "internal")], ["id"], limit=1)[0]["id"]
        quant = client.create("stock.quant", {"product_id": product, "location_id": location, "inventory_quantity": 7})
        result = client.call("stock.quant", "action_apply_inventory", [quant])
        on_hand = client.read("stock.quant", [quant], ["quantity"])[0]["quantity"]
        check(
            "a None answer over XML-RPC is taken as done",
            result is None and on_hand == 7,
            f"{result!r}, quantity {on_hand}",
        )
    print(f"all checks passed on {version.version} over {args.protocol} ({client.calls} calls)")


if __name__ == "__main__":
    main()
