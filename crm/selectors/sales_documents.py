"""Sales document reads: the filtered list, the orders' kanban, a document with its lines, chain, history and
an order's progress (what is delivered and invoiced of each line). Each read is a fixed number of
queries, whatever the number of documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, QuerySet, Subquery, Sum, Window
from django.db.models.functions import RowNumber

from core.models import AuditEntry
from crm.documents_access import visible_documents
from crm.documents_math import document_totals
from crm.models import Lead, Payment, Product, SalesDocument, SalesDocumentLine

Kind = SalesDocument.Kind
State = SalesDocument.State

SORTS = {
    "date": ("issue_date", "id"),
    "number": ("number", "id"),
    "total": ("total_amount", "id"),
    "customer": ("customer_name", "id"),
    "state": ("state", "id"),
}
POSTED_INVOICE_STATES = (State.POSTED, State.PARTLY_PAID, State.PAID)
KANBAN_STATES = (
    State.DRAFT,
    State.CONFIRMED,
    State.PARTLY_DELIVERED,
    State.DELIVERED,
    State.PARTLY_INVOICED,
    State.INVOICED,
)
KANBAN_CARDS = 20


@dataclass
class DocumentFilters:
    kind: str = ""
    state: str = ""
    search: str = ""  # number or customer
    lead_id: int | None = None
    seller_id: int | None = None  # 0: without a seller
    date_from: date | None = None
    date_to: date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    sync_state: str = ""
    sort: str = "-date"
    extra: dict = field(default_factory=dict)


def filter_documents(documents: QuerySet[SalesDocument], filters: DocumentFilters) -> QuerySet[SalesDocument]:
    if filters.kind:
        documents = documents.filter(kind=filters.kind)
    if filters.state:
        documents = documents.filter(state=filters.state)
    search = (filters.search or "").strip()
    if search:
        documents = documents.filter(Q(number__icontains=search) | Q(customer_name__icontains=search))
    if filters.lead_id:
        documents = documents.filter(lead_id=filters.lead_id)
    if filters.seller_id == 0:
        documents = documents.filter(seller__isnull=True)
    elif filters.seller_id:
        documents = documents.filter(seller_id=filters.seller_id)
    if filters.date_from:
        documents = documents.filter(issue_date__gte=filters.date_from)
    if filters.date_to:
        documents = documents.filter(issue_date__lte=filters.date_to)
    if filters.amount_min is not None:
        documents = documents.filter(total_amount__gte=filters.amount_min)
    if filters.amount_max is not None:
        documents = documents.filter(total_amount__lte=filters.amount_max)
    if filters.sync_state:
        from crm.documents_hooks import filter_by_sync_state

        documents = filter_by_sync_state(documents, filters.sync_state)
    return documents


def sort_documents(documents: QuerySet[SalesDocument], sort: str) -> QuerySet[SalesDocument]:
    descending = sort.startswith("-")
    columns = SORTS.get(sort.lstrip("-"), SORTS["date"])
    return documents.order_by(*(f"-{column}" if descending else column for column in columns))


def document_list(*, membership, filters: DocumentFilters) -> QuerySet[SalesDocument]:
    """The list page's rows: visible to the member, filtered, sorted, with the lead and seller."""
    documents = filter_documents(visible_documents(membership=membership), filters)
    return sort_documents(documents, filters.sort).select_related("lead", "seller")


def document_detail(*, membership, document_id: int) -> SalesDocument | None:
    return (
        visible_documents(membership=membership)
        .select_related("lead", "lead__stage", "seller", "parent", "created_by")
        .filter(pk=document_id)
        .first()
    )


def document_lines(*, document: SalesDocument) -> list[SalesDocumentLine]:
    return list(
        SalesDocumentLine.objects.filter(document=document).select_related("product").order_by("position", "id")
    )


def document_tax_totals(*, document: SalesDocument, lines: list[SalesDocumentLine], rounding: str):
    """The totals with the tax of each rate, from lines already read."""
    return document_totals(
        ((line.subtotal, line.tax_rate) for line in lines), currency=document.currency, rounding=rounding
    )


def document_chain(*, document: SalesDocument) -> list[SalesDocument]:
    """Every document of the chain this one belongs to (the quote, its order, the order's delivery notes
    and invoices, their credit notes), oldest first. One query, through `root`."""
    root = document.chain_root_id
    return list(
        SalesDocument.objects.filter(Q(pk=root) | Q(root_id=root))
        .only("id", "kind", "number", "state", "issue_date", "total_amount", "currency", "parent_id", "root_id")
        .order_by("created_at", "id")
    )


def document_history(*, document: SalesDocument, limit: int = 100) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(object_type=SalesDocument._meta.label_lower, object_id=str(document.pk)).order_by(
            "-created_at", "-id"
        )[:limit]
    )


def document_payments(*, document: SalesDocument) -> list[Payment]:
    return list(Payment.objects.filter(document=document).select_related("created_by").order_by("date", "id"))


@dataclass(frozen=True)
class LineProgress:
    ordered: Decimal
    delivered: Decimal = Decimal(0)
    invoiced: Decimal = Decimal(0)
    delivering: Decimal = Decimal(0)  # in draft delivery notes
    invoicing: Decimal = Decimal(0)  # in draft invoices

    @property
    def to_deliver(self) -> Decimal:
        return max(Decimal(0), self.ordered - self.delivered)

    @property
    def to_invoice(self) -> Decimal:
        return max(Decimal(0), self.ordered - self.invoiced)


def order_progress(*, order: SalesDocument, lines: list[SalesDocumentLine] | None = None) -> dict[int, LineProgress]:
    """For each line of `order` (by id): the quantity ordered, delivered (done delivery notes), invoiced
    (posted invoices less posted credit notes), and in drafts. Two queries (one when `lines` are given)."""
    if lines is None:
        lines = list(SalesDocumentLine.objects.filter(document=order).only("id", "quantity"))
    rows = (
        SalesDocumentLine.objects.filter(order_line__document=order)
        .values("order_line_id", "document__kind", "document__state")
        .annotate(quantity=Sum("quantity"))
        .order_by()
    )
    sums: dict[int, dict[str, Decimal]] = {}
    for row in rows:
        kind, state, quantity = row["document__kind"], row["document__state"], row["quantity"]
        bucket = sums.setdefault(row["order_line_id"], {})
        key = None
        if kind == Kind.DELIVERY and state == State.DONE:
            key = "delivered"
        elif kind == Kind.DELIVERY and state == State.DRAFT:
            key = "delivering"
        elif kind == Kind.INVOICE and state in POSTED_INVOICE_STATES:
            key = "invoiced"
        elif kind == Kind.INVOICE and state == State.DRAFT:
            key = "invoicing"
        elif kind == Kind.CREDIT_NOTE and state == State.POSTED:
            key, quantity = "invoiced", -quantity
        if key:
            bucket[key] = bucket.get(key, Decimal(0)) + quantity
    return {line.pk: LineProgress(ordered=line.quantity, **sums.get(line.pk, {})) for line in lines}


def lead_documents(*, membership, lead: Lead, limit: int = 50) -> list[SalesDocument]:
    """The lead's documents this member may see, newest first (for the lead page)."""
    return list(
        visible_documents(membership=membership)
        .filter(lead=lead)
        .only("id", "kind", "number", "state", "issue_date", "total_amount", "currency", "lead_id")
        .order_by("-issue_date", "-id")[:limit]
    )


@dataclass
class KanbanColumn:
    state: str
    label: str
    count: int
    total: Decimal
    cards: list[SalesDocument]


def orders_kanban(*, membership, filters: DocumentFilters, per_column: int = KANBAN_CARDS) -> list[KanbanColumn]:
    """The orders by state (cancelled ones left out): each column's count and total (one grouped query)
    and its newest `per_column` cards (one query with a row number per state)."""
    orders = filter_documents(
        visible_documents(membership=membership),
        DocumentFilters(**{**filters.__dict__, "kind": Kind.ORDER, "state": ""}),
    )
    orders = orders.filter(state__in=KANBAN_STATES)
    stats = {
        row["state"]: row
        for row in orders.values("state").annotate(count=Count("id"), total=Sum("total_amount")).order_by()
    }
    # Ranked on the narrow rows first (ids only), then only the cards shown are read with their lead.
    ranked = (
        orders.annotate(
            rank=Window(RowNumber(), partition_by=[F("state")], order_by=[F("issue_date").desc(), F("id").desc()])
        )
        .filter(rank__lte=per_column)
        .values("id")
    )
    cards: dict[str, list[SalesDocument]] = {}
    shown = SalesDocument.objects.filter(pk__in=Subquery(ranked)).select_related("lead", "seller")
    for order in shown.order_by("-issue_date", "-id"):
        cards.setdefault(order.state, []).append(order)
    labels = dict(State.choices)
    return [
        KanbanColumn(
            state=state,
            label=str(labels[state]),
            count=stats.get(state, {}).get("count", 0),
            total=stats.get(state, {}).get("total") or Decimal(0),
            cards=cards.get(state, []),
        )
        for state in KANBAN_STATES
    ]


def products_for_lines() -> list[Product]:
    """The active products a draft line may take."""
    return list(
        Product.objects.filter(active=True).only("id", "name", "sku", "unit_price", "tax_rate").order_by("name", "id")
    )


def documents_for_sync(*, ids) -> list[SalesDocument]:
    """Documents by id with their lead, parent, lines (and products) and payments, for the accounting sync."""
    return list(
        SalesDocument.objects.filter(pk__in=list(ids))
        .select_related("lead", "parent", "seller")
        .prefetch_related(
            Prefetch("lines", queryset=SalesDocumentLine.objects.select_related("product").order_by("position", "id")),
            Prefetch("payments", queryset=Payment.objects.order_by("date", "id")),
        )
        .order_by("id")
    )
