"""Fast generation of products and sales documents for the documents benchmark.

`seed_documents` writes chains of documents (a quote, often its order, the order's delivery notes and
invoices, sometimes a credit note) with their lines, numbers, totals and a few audit entries per
document straight into the current tenant's tables with PostgreSQL COPY, like crm.seeding does for leads:
data generation, not user activity (no history entries, no live events). Every document is consistent
(state valid for its kind, numbered unless a draft, totals computed from its lines by documents_math).
Run it inside a tenant schema and a transaction, on a tenant that has leads."""

from __future__ import annotations

import random
import time as clock
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from core.models import AuditEntry
from crm.documents_math import PER_RATE, document_totals, line_subtotal
from crm.models import DocumentSequence, Lead, Product, SalesDocument, SalesDocumentLine
from crm.seeding import _reserve_ids, copy_rows

Kind = SalesDocument.Kind
State = SalesDocument.State
TAX_RATES = (Decimal(21), Decimal(21), Decimal(21), Decimal(10), Decimal(4), Decimal(0))
QUOTE_STATES = [(State.DRAFT, 10), (State.SENT, 25), (State.ACCEPTED, 45), (State.REJECTED, 15), (State.CANCELLED, 5)]
ORDER_STATES = [
    (State.CONFIRMED, 15), (State.PARTLY_DELIVERED, 10), (State.DELIVERED, 15), (State.PARTLY_INVOICED, 10),
    (State.INVOICED, 45), (State.CANCELLED, 5),
]  # fmt: skip
INVOICE_STATES = [(State.DRAFT, 5), (State.POSTED, 25), (State.PARTLY_PAID, 15), (State.PAID, 55)]


@dataclass(frozen=True)
class DocumentSeedResult:
    products: int
    documents: int
    lines: int
    seconds: float


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def seed_products(*, count: int, rng: random.Random) -> list[Product]:
    now = timezone.now()
    products = [
        Product(
            name=f"Product {n:04d}",
            sku=f"P-{n:05d}",
            description="",
            unit_price=Decimal(rng.randint(500, 200_000)) / 100,
            tax_rate=rng.choice(TAX_RATES),
            unit="unit",
            active=rng.random() > 0.05,
            created_at=now,
            updated_at=now,
        )
        for n in range(1, count + 1)
    ]
    return Product.objects.bulk_create(products)


class _Numbers:
    def __init__(self, year: int):
        self.year = year
        self.last: dict[str, int] = {}

    def next(self, kind: str) -> str:
        self.last[kind] = self.last.get(kind, 0) + 1
        return f"{SalesDocument.PREFIXES[kind]}-{self.year}-{self.last[kind]:04d}"


@transaction.atomic
def seed_documents(
    *,
    documents: int,
    lines: int,
    rng: random.Random,
    currency: str = "EUR",
    products: int = 200,
    today: date | None = None,
    days: int = 330,
    audit_per_document: int = 2,
    batch_size: int = 5000,
) -> DocumentSeedResult:
    """About `documents` documents with `lines` lines in all (chains are kept whole, so the counts can be
    a few over), over the last `days` days, on the tenant's leads (the lead's seller is the document's)."""
    started = clock.monotonic()
    today = today or timezone.localdate()
    catalogue = seed_products(count=products, rng=rng)
    leads = list(Lead.objects.values_list("id", "seller_id", "company", "first_name", "last_name"))
    if not leads:
        raise ValueError("seed leads first")
    per_document = max(1.0, lines / max(1, documents))
    numbers = _Numbers(today.year)
    first_day = max(today - timedelta(days=days), today.replace(month=1, day=1))
    span = max(0, (today - first_day).days)
    pending_docs: list[SalesDocument] = []
    pending_lines: list[SalesDocumentLine] = []
    pending_audit: list[AuditEntry] = []
    made_documents = made_lines = 0
    # Chains oldest first, so that numbers follow dates.
    offsets = sorted((rng.randint(0, span) for _ in range(documents)), reverse=True)
    position = 0
    while made_documents < documents:
        issued = today - timedelta(days=offsets[min(position, len(offsets) - 1)])
        position += 1
        lead = rng.choice(leads)
        count = max(1, min(12, round(rng.gauss(per_document, 2))))
        items = [_item(rng, catalogue) for _ in range(count)]
        chain = _chain(rng, lead=lead, items=items, issued=issued, numbers=numbers, currency=currency)
        ids = _reserve_ids(SalesDocument, len(chain))
        for (document, _document_lines), document_id in zip(chain, ids, strict=True):
            document.pk = document_id
        for document, document_lines in chain:
            document.parent_id = document.parent.pk if document.parent is not None else None
            document.root_id = chain[0][0].pk if document is not chain[0][0] else None
            for line in document_lines:
                line.document_id = document.pk
            pending_docs.append(document)
            pending_lines.extend(document_lines)
            pending_audit.extend(_audit(document, audit_per_document))
        made_documents += len(chain)
        made_lines += sum(len(document_lines) for _, document_lines in chain)
        if len(pending_docs) >= batch_size:
            _flush(pending_docs, pending_lines, pending_audit)
    _flush(pending_docs, pending_lines, pending_audit)
    for kind, last in numbers.last.items():
        DocumentSequence.objects.update_or_create(kind=kind, year=numbers.year, defaults={"last_number": last})
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in (SalesDocument, SalesDocumentLine, AuditEntry, Product):
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
    return DocumentSeedResult(
        products=len(catalogue),
        documents=made_documents,
        lines=made_lines,
        seconds=round(clock.monotonic() - started, 2),
    )


def _flush(documents: list, lines: list, audit: list) -> None:
    # Parents before children: the foreign keys are checked at the end of the transaction anyway.
    copy_rows(SalesDocument, documents)
    copy_rows(SalesDocumentLine, lines, with_pk=False)
    copy_rows(AuditEntry, audit, with_pk=False)
    documents.clear()
    lines.clear()
    audit.clear()


def _item(rng: random.Random, catalogue: list[Product]) -> dict:
    if rng.random() < 0.8:
        product = rng.choice(catalogue)
        return {
            "product_id": product.pk,
            "description": product.name,
            "unit_price": product.unit_price,
            "tax_rate": product.tax_rate,
            "quantity": Decimal(rng.choice([1, 1, 1, 2, 2, 3, 5, 10])),
            "discount": Decimal(rng.choice([0, 0, 0, 5, 10])),
        }
    return {
        "product_id": None,
        "description": "Service",
        "unit_price": Decimal(rng.randint(1_000, 100_000)) / 100,
        "tax_rate": rng.choice(TAX_RATES),
        "quantity": Decimal(1),
        "discount": Decimal(0),
    }


def _document(kind, state, *, lead, issued, numbers, currency, parent=None) -> SalesDocument:
    lead_id, seller_id, company, first, last = lead
    moment = timezone.make_aware(datetime.combine(issued, datetime.min.time())) + timedelta(hours=9)
    return SalesDocument(
        kind=kind,
        state=state,
        number="" if state == State.DRAFT or (kind == Kind.QUOTE and state == State.CANCELLED) else numbers.next(kind),
        lead_id=lead_id,
        seller_id=seller_id,
        issue_date=issued,
        due_date=issued + timedelta(days=30) if kind in (Kind.QUOTE, Kind.INVOICE) else None,
        currency=currency,
        customer_name=(company or f"{first} {last}".strip())[:200],
        parent=parent,
        created_at=moment,
        updated_at=moment,
    )


def _lines(document: SalesDocument, items: list[dict], share: Decimal = Decimal(1)) -> list[SalesDocumentLine]:
    made = []
    for position, item in enumerate(items, start=1):
        quantity = max(Decimal(1), (item["quantity"] * share).quantize(Decimal(1)))
        made.append(
            SalesDocumentLine(
                position=position,
                product_id=item["product_id"],
                description=item["description"],
                quantity=quantity,
                unit="unit",
                unit_price=item["unit_price"],
                discount=item["discount"],
                tax_rate=item["tax_rate"],
                subtotal=line_subtotal(
                    quantity=quantity,
                    unit_price=item["unit_price"],
                    discount=item["discount"],
                    currency=document.currency,
                ),
            )
        )
    totals = document_totals(
        ((line.subtotal, line.tax_rate) for line in made), currency=document.currency, rounding=PER_RATE
    )
    document.untaxed_amount, document.tax_amount, document.total_amount = totals.untaxed, totals.tax, totals.total
    return made


def _chain(rng, *, lead, items, issued, numbers, currency) -> list[tuple[SalesDocument, list[SalesDocumentLine]]]:
    def make(kind, state, parent=None, share=Decimal(1)):
        document = _document(kind, state, lead=lead, issued=issued, numbers=numbers, currency=currency, parent=parent)
        chain.append((document, _lines(document, items, share)))
        return document

    chain: list = []
    if rng.random() < 0.12:  # an invoice without an order
        invoice = make(Kind.INVOICE, _weighted(rng, INVOICE_STATES))
        _pay(rng, invoice)
        return chain
    quote_state = _weighted(rng, QUOTE_STATES)
    quote = make(Kind.QUOTE, quote_state)
    if quote_state != State.ACCEPTED or rng.random() < 0.15:
        return chain
    order_state = _weighted(rng, ORDER_STATES)
    order = make(Kind.ORDER, order_state, parent=quote)
    if order_state in (State.PARTLY_DELIVERED, State.DELIVERED, State.INVOICED) or rng.random() < 0.3:
        partly = order_state == State.PARTLY_DELIVERED
        make(Kind.DELIVERY, State.DONE, parent=order, share=Decimal("0.5") if partly else Decimal(1))
    if order_state in (State.PARTLY_INVOICED, State.INVOICED):
        partly = order_state == State.PARTLY_INVOICED
        invoice = make(
            Kind.INVOICE,
            _weighted(rng, INVOICE_STATES[1:]),
            parent=order,
            share=Decimal("0.5") if partly else Decimal(1),
        )
        _pay(rng, invoice)
        if invoice.state == State.POSTED and rng.random() < 0.08:
            credit = make(Kind.CREDIT_NOTE, State.POSTED, parent=invoice)
            invoice.amount_credited, invoice.state = credit.total_amount, State.PAID
    return chain


def _pay(rng, invoice: SalesDocument) -> None:
    if invoice.state == State.PAID:
        invoice.amount_paid = invoice.total_amount
    elif invoice.state == State.PARTLY_PAID:
        invoice.amount_paid = (invoice.total_amount * Decimal(rng.choice([25, 50, 75])) / 100).quantize(Decimal("0.01"))


def _audit(document: SalesDocument, count: int) -> list[AuditEntry]:
    actions = ["document.create", "document.update", "document.send", "document.post", "document.payment"]
    return [
        AuditEntry(
            created_at=document.created_at + timedelta(minutes=n),
            actor_id=document.seller_id,
            actor_kind="user",
            actor_label="Bench Seller",
            action=actions[n % len(actions)],
            object_type="crm.salesdocument",
            object_id=str(document.pk),
            object_repr=f"{document.get_kind_display()} {document.number}",
            changes={},
            ip=None,
            request_id="",
        )
        for n in range(count)
    ]
