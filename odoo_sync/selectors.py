"""Reads of the Odoo sync: a document's sync state (the documents pages show it, see
crm.documents_hooks), the Odoo overview, the documents ready to send and the reconciliation list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from crm.models import SalesDocument
from odoo_sync.models import SyncExternal
from odoo_sync.services.push import SENDABLE, refusal
from odoo_sync.services.steps import DOCUMENT

Status = SyncExternal.Status
NOT_SENT = "not_sent"
MISMATCH = "mismatch"
SHOWN_KINDS = (SalesDocument.Kind.ORDER, SalesDocument.Kind.INVOICE, SalesDocument.Kind.DELIVERY)
STATUS_LABELS = {
    NOT_SENT: _("Not sent to Odoo"),
    Status.PENDING: _("Waiting to send"),
    Status.IN_PROGRESS: _("Sending to Odoo"),
    Status.DONE: _("In Odoo"),
    Status.FAILED: _("Sending failed"),
}
SYNC_STATE_CHOICES = [
    (NOT_SENT, _("Not sent to Odoo")),
    (Status.PENDING, _("Waiting to send")),
    (Status.IN_PROGRESS, _("Sending to Odoo")),
    (Status.DONE, _("In Odoo")),
    (Status.FAILED, _("Sending failed")),
    (MISMATCH, _("Differs from Odoo")),
]
REFRESHABLE = ("account.move", "stock.picking")
# Odoo's state codes as people read them (invoices, pickings) and its invoice payment states.
REMOTE_STATES = {
    "draft": _("Draft"),
    "posted": _("Posted"),
    "cancel": _("Cancelled"),
    "done": _("Done"),
    "assigned": _("Ready"),
    "confirmed": _("Waiting"),
    "waiting": _("Waiting"),
    "missing": _("Deleted in Odoo"),
}
PAYMENT_STATES = {
    "not_paid": _("Not paid"),
    "partial": _("Partly paid"),
    "in_payment": _("In payment"),
    "paid": _("Paid"),
    "reversed": _("Reversed"),
}


def remote_label(state: str, payment_state: str = "") -> str:
    """Odoo's state (and payment state) in words, "Posted · Paid"; an unknown code as Odoo gave it."""
    parts = [str(REMOTE_STATES.get(state, state))] if state else []
    if payment_state:
        parts.append(str(PAYMENT_STATES.get(payment_state, payment_state)))
    return " · ".join(parts)


@dataclass(frozen=True)
class SyncState:
    """What a document's page shows of its Odoo sync."""

    document_id: int
    status: str
    label: str
    error: str = ""
    odoo_model: str = ""
    odoo_id: int | None = None
    odoo_ref: str = ""
    attempts: int = 0
    updated_at: datetime | None = None
    pulled_at: datetime | None = None
    remote_state: str = ""
    remote_payment_state: str = ""
    remote_amount_total: Decimal | None = None
    remote_amount_residual: Decimal | None = None
    mismatch: str = ""
    note: str = ""
    refusal: str = ""
    sendable_kind: bool = False

    @property
    def busy(self) -> bool:
        return self.status in (Status.PENDING, Status.IN_PROGRESS)

    @property
    def can_send(self) -> bool:
        return self.sendable_kind and not self.refusal and self.status in (NOT_SENT, Status.FAILED)

    @property
    def remote_label(self) -> str:
        return remote_label(self.remote_state, self.remote_payment_state)

    @property
    def can_refresh(self) -> bool:
        return self.status == Status.DONE and self.odoo_model in REFRESHABLE


def _rows(document_ids) -> QuerySet[SyncExternal]:
    return SyncExternal.objects.filter(local_type=DOCUMENT, local_id__in=list(document_ids), system="odoo")


def sync_state_for(document: SalesDocument, row: SyncExternal | None) -> SyncState:
    status = row.status if row is not None else NOT_SENT
    common = {
        "document_id": document.pk,
        "status": status,
        "label": str(STATUS_LABELS.get(status, status)),
        "refusal": refusal(document) if document.kind in SENDABLE else "",
        "sendable_kind": document.kind in SENDABLE,
    }
    if row is None:
        return SyncState(**common)
    return SyncState(
        **common,
        error=row.last_error,
        odoo_model=row.external_model,
        odoo_id=row.external_id,
        odoo_ref=row.external_ref,
        attempts=row.attempts,
        updated_at=row.updated_at,
        pulled_at=row.pulled_at,
        remote_state=row.remote_state,
        remote_payment_state=row.remote_payment_state,
        remote_amount_total=row.remote_amount_total,
        remote_amount_residual=row.remote_amount_residual,
        mismatch=row.mismatch,
        note=row.note,
    )


def document_sync_state(document: SalesDocument) -> SyncState | None:
    """The sync state shown on a document's page (None for the kinds that never go to Odoo)."""
    if document.kind not in SHOWN_KINDS:
        return None
    return sync_state_for(document, _rows([document.pk]).first())


def document_sync_states(documents) -> dict[int, str]:
    """{document id: sync state label} for a page of documents, in one query."""
    documents = [d for d in documents if d.kind in SHOWN_KINDS]
    rows = {row.local_id: row for row in _rows([d.pk for d in documents])}
    states = {}
    for document in documents:
        state = sync_state_for(document, rows.get(document.pk))
        if state.status == NOT_SENT and not state.sendable_kind:
            continue
        states[document.pk] = state.label
    return states


def filter_documents_by_sync_state(documents: QuerySet[SalesDocument], state: str) -> QuerySet[SalesDocument]:
    """The documents list's "sync state" filter; an unknown state filters nothing."""
    rows = SyncExternal.objects.filter(local_type=DOCUMENT, local_id=OuterRef("pk"), system="odoo")
    if state == NOT_SENT:
        return documents.filter(kind__in=list(SENDABLE)).exclude(Exists(rows))
    if state == MISMATCH:
        return documents.filter(Exists(rows.exclude(mismatch="")))
    if state in Status.values:
        return documents.filter(Exists(rows.filter(status=state)))
    return documents


def document_url(document: SalesDocument) -> str:
    try:
        return reverse("crm:document-detail", args=[document.pk])
    except NoReverseMatch:
        return ""


@dataclass(frozen=True)
class SyncRow:
    row: SyncExternal
    document: SalesDocument
    state: SyncState
    url: str


def sync_rows(*, status: str = "", limit: int = 100) -> list[SyncRow]:
    """The company's documents that went (or are going) to Odoo: failed first, then waiting, then the
    most recently changed."""
    rows = SyncExternal.objects.filter(local_type=DOCUMENT, system="odoo")
    if status in Status.values:
        rows = rows.filter(status=status)
    rows = list(rows.order_by("-updated_at", "-id")[:limit])
    order = {Status.FAILED: 0, Status.IN_PROGRESS: 1, Status.PENDING: 2, Status.DONE: 3}
    rows.sort(key=lambda row: order.get(row.status, 9))
    documents = SalesDocument.objects.select_related("lead", "parent").in_bulk([row.local_id for row in rows])
    return [
        SyncRow(
            row,
            documents[row.local_id],
            sync_state_for(documents[row.local_id], row),
            document_url(documents[row.local_id]),
        )
        for row in rows
        if row.local_id in documents
    ]


def ready_to_send(*, limit: int = 100) -> list[SalesDocument]:
    """Orders and invoices that may be sent and never were (or whose last push failed)."""
    sent = SyncExternal.objects.filter(local_type=DOCUMENT, local_id=OuterRef("pk"), system="odoo").exclude(
        status=Status.FAILED
    )
    wanted = Q()
    for kind, states in SENDABLE.items():
        wanted |= Q(kind=kind, state__in=states)
    documents = (
        SalesDocument.objects.filter(wanted)
        .exclude(Exists(sent))
        .select_related("lead", "parent")
        .order_by("-issue_date", "-id")
    )
    return [document for document in documents[: limit * 2] if not refusal(document)][:limit]


def status_counts() -> dict[str, int]:
    """How many documents are in each sync status, and how many differ from Odoo (one query)."""
    rows = SyncExternal.objects.filter(local_type=DOCUMENT, system="odoo")
    aggregates = {status: Count("id", filter=Q(status=status)) for status in Status.values}
    return rows.aggregate(**aggregates, **{MISMATCH: Count("id", filter=~Q(mismatch=""))})


def reconciliation_rows() -> list[SyncRow]:
    """Documents whose amounts or states differ between here and Odoo, most recent first."""
    rows = list(
        SyncExternal.objects.filter(local_type=DOCUMENT, system="odoo")
        .exclude(mismatch="")
        .order_by("-pulled_at", "-id")
    )
    documents = SalesDocument.objects.select_related("lead").in_bulk([row.local_id for row in rows])
    return [
        SyncRow(
            row,
            documents[row.local_id],
            sync_state_for(documents[row.local_id], row),
            document_url(documents[row.local_id]),
        )
        for row in rows
        if row.local_id in documents
    ]


def sync_row_for_note(*, pk: int) -> SyncExternal | None:
    return SyncExternal.objects.filter(pk=pk, local_type=DOCUMENT, system="odoo").exclude(mismatch="", note="").first()
