"""Factories and helpers for products and sales documents. Use inside a tenant (the `tenant` fixture).

Documents are made through the services, as the product makes them, so numbers, totals, chain, history
and audit are the real ones."""

from __future__ import annotations

from decimal import Decimal

import factory

from crm.models import Product, SalesDocument
from crm.services.sales_documents import document_create
from crm.services.sales_documents_flow import (
    delivery_validate,
    document_post,
    order_confirm,
    order_deliver,
    order_invoice,
    quote_accept,
    quote_convert,
)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    unit_price = Decimal("100.00")
    tax_rate = Decimal("21.00")
    unit = "unit"


def line(description: str = "Consulting", quantity="1", unit_price="100", discount="0", tax_rate="21", **extra):
    return {
        "description": description,
        "quantity": Decimal(quantity),
        "unit_price": Decimal(unit_price),
        "discount": Decimal(discount),
        "tax_rate": Decimal(tax_rate),
        **extra,
    }


def make_document(lead, actor, kind=SalesDocument.Kind.QUOTE, lines=None) -> SalesDocument:
    return document_create(lead=lead, kind=kind, actor=actor, lines=lines if lines is not None else [line()])


def confirmed_order(lead, actor, lines=None) -> SalesDocument:
    quote = make_document(lead, actor, lines=lines)
    quote_accept(document=quote, actor=actor)
    order = quote_convert(document=quote, actor=actor)
    return order_confirm(document=order, actor=actor)


def delivered(order, actor) -> SalesDocument:
    return delivery_validate(document=order_deliver(document=order, actor=actor), actor=actor)


def posted_invoice(order, actor) -> SalesDocument:
    return document_post(document=order_invoice(document=order, actor=actor), actor=actor)
