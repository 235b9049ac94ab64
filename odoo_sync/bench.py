"""What `manage.py bench_odoo` seeds and measures: confirmed, delivered orders pushed to the fake Odoo."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from decimal import Decimal

from crm.models import Lead, Product, SalesDocument, Stage
from crm.services.sales_documents import document_create
from crm.services.sales_documents_flow import delivery_validate, order_confirm, order_deliver
from odoo_sync.models import SyncExternal
from odoo_sync.services.steps import DOCUMENT

PRODUCTS = [("Oak chair", "CH-1", "100"), ("Oak table", "TB-1", "250"), ("Lamp", "LP-1", "40"), ("Rug", "RG-1", "90")]


def seed_orders(*, count: int, actor, rng: random.Random) -> list[SalesDocument]:
    """`count` leads, each with a confirmed order of two or three product lines, delivered in full."""
    products = [
        Product.objects.create(name=name, sku=sku, unit_price=Decimal(price), tax_rate=Decimal("21"))
        for name, sku, price in PRODUCTS
    ]
    stage = Stage.objects.get(key="won")
    orders = []
    for n in range(count):
        first, last = f"Client{n}", "Bench"
        lead = Lead.objects.create(
            phone=f"+3469{n:07d}",
            first_name=first,
            last_name=last,
            email=f"client{n}@bench.example",
            company=f"Bench {n} SL",
            stage=stage,
        )
        lines = [
            {"product": product, "quantity": Decimal(rng.randint(1, 5))}
            for product in rng.sample(products, rng.randint(2, 3))
        ]
        order = order_confirm(document=document_create(lead=lead, kind="order", actor=actor, lines=lines), actor=actor)
        delivery_validate(document=order_deliver(document=order, actor=actor), actor=actor)
        orders.append(SalesDocument.objects.select_related("lead", "parent").get(pk=order.pk))
    return orders


@dataclass(frozen=True)
class Progress:
    done: int
    failed: int
    waiting: int


def progress(order_ids: list[int]) -> Progress:
    rows = SyncExternal.objects.filter(local_type=DOCUMENT, local_id__in=order_ids)
    done = rows.filter(status=SyncExternal.Status.DONE).count()
    failed = rows.filter(status=SyncExternal.Status.FAILED).count()
    return Progress(done, failed, len(order_ids) - done - failed)


def wait_until_finished(order_ids: list[int], *, timeout: float) -> Progress:
    deadline = time.monotonic() + timeout
    state = progress(order_ids)
    while state.waiting and time.monotonic() < deadline:
        time.sleep(0.1)
        state = progress(order_ids)
    return state
