"""Sending documents to Odoo: the accountant's press claims a `sync_external` row and enqueues a push;
the push (in a Celery task) runs the steps of `odoo_sync.services.steps` for the document's chain.

The claim is race-free (the unique row, locked): a second press while a push is waiting or running does
nothing, a document already in Odoo is not sent again, a failed one is sent again. A claim carries a
token that only its own task run holds; a message for an older claim finds another token and stops.
A claim whose task was lost (its broker message gone) is taken again after CLAIM_LEASE."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import ApplicationError, ClientError, PermanentClientError, TransientClientError
from core.tenancy import check_tenant
from crm import public as crm
from crm.models import SalesDocument
from odoo_sync import notify
from odoo_sync.clients.odoo import get_odoo_client
from odoo_sync.models import SyncExternal
from odoo_sync.services import links as link_store
from odoo_sync.services.steps import (
    DOCUMENT,
    DeliveryData,
    InvoiceData,
    LineData,
    OrderData,
    PartnerData,
    ProductData,
    Pusher,
)

logger = logging.getLogger(__name__)

Kind, State, Status = SalesDocument.Kind, SalesDocument.State, SyncExternal.Status
CLAIM_LEASE = timedelta(minutes=30)
ORDER_STATES = (State.CONFIRMED, State.PARTLY_DELIVERED, State.DELIVERED, State.PARTLY_INVOICED, State.INVOICED)
INVOICE_STATES = (State.DRAFT, State.POSTED, State.PARTLY_PAID, State.PAID)
SENDABLE = {Kind.ORDER: ORDER_STATES, Kind.INVOICE: INVOICE_STATES}
MAX_ERROR = 2000


def refusal(document: SalesDocument) -> str:
    """Why this document cannot be sent to Odoo, or "" when it can."""
    if document.kind not in SENDABLE:
        return _("Only orders and invoices are sent to Odoo.")
    if document.state not in SENDABLE[document.kind]:
        return _("A %(kind)s in the state %(state)s is not sent to Odoo.") % {
            "kind": document.get_kind_display().lower(),
            "state": document.get_state_display().lower(),
        }
    return ""


def odoo_reference(document: SalesDocument) -> str:
    """What the push writes on the Odoo record to find it again: the number, or a draft's own reference."""
    return document.number or f"CRM-{document.kind.upper()}-{document.pk}"


@dataclass
class SendResult:
    queued: list[SalesDocument] = field(default_factory=list)
    already: list[SalesDocument] = field(default_factory=list)
    refused: list[tuple[SalesDocument, str]] = field(default_factory=list)


@transaction.atomic
def sync_request(*, tenant, documents: list[SalesDocument], actor) -> SendResult:
    """The accountant's "send to Odoo" on one or several documents. Claims each sendable document's
    sync_external row and enqueues its push after commit. Documents waiting, being sent or already in
    Odoo are left alone (`already`), others are `refused` with the reason. Audited per queued document."""
    from odoo_sync.realtime import announce
    from odoo_sync.tasks import push_document_task

    check_tenant(tenant)
    result = SendResult()
    sendable = []
    for document in documents:
        reason = refusal(document)
        if reason:
            result.refused.append((document, reason))
        else:
            sendable.append(document)
    if not sendable:
        return result
    SyncExternal.objects.bulk_create(
        [SyncExternal(local_type=DOCUMENT, local_id=d.pk, status=Status.FAILED) for d in sendable],
        ignore_conflicts=True,
    )
    rows = {
        row.local_id: row
        for row in SyncExternal.objects.select_for_update().filter(
            local_type=DOCUMENT, local_id__in=[d.pk for d in sendable], system=SyncExternal.System.ODOO
        )
    }
    now = timezone.now()
    for document in sendable:
        row = rows[document.pk]
        live = (
            row.status in (Status.PENDING, Status.IN_PROGRESS) and row.claimed_at and now - row.claimed_at < CLAIM_LEASE
        )
        if row.status == Status.DONE or live:
            result.already.append(document)
            continue
        row.status, row.claim_token, row.claimed_at = Status.PENDING, uuid.uuid4().hex, now
        row.last_error = ""
        row.save(update_fields=["status", "claim_token", "claimed_at", "last_error", "updated_at"])
        audit_log(action="odoo.send", actor=actor, obj=document, changes={"reference": odoo_reference(document)})
        announce(document=document, row=row)
        transaction.on_commit(lambda sync_id=row.pk, token=row.claim_token: push_document_task.delay(sync_id, token))
        result.queued.append(document)
    return result


# ---- the push ------------------------------------------------------------------------------------


def _partner(document: SalesDocument) -> PartnerData:
    lead = document.lead
    name = (document.customer_name or lead.company or lead.full_name or lead.phone).strip()
    return PartnerData(local_id=lead.pk, name=name[:200], phone=lead.phone, email=lead.email)


def _positions(document: SalesDocument) -> dict[int, int]:
    """{line id: position} as the push numbers a document's lines (Odoo's order line `sequence`)."""
    return {line.pk: line.position or index for index, line in enumerate(document.lines.all(), start=1)}


def _lines(document: SalesDocument) -> tuple[LineData, ...]:
    positions = _positions(document)
    lines = []
    for line in document.lines.all():
        product = line.product
        if product is not None:
            data = ProductData(product.pk, product.name, product.sku, product.unit_price, product.description)
        else:
            data = ProductData(None, line.description[:200] or _("Sales item (CRM)"))
        lines.append(
            LineData(
                position=positions[line.pk],
                product=data,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                tax_rate=line.tax_rate,
            )
        )
    return tuple(lines)


def _order_data(order: SalesDocument) -> OrderData:
    return OrderData(order.pk, odoo_reference(order), _partner(order), _lines(order), order.notes)


def _deliveries(order: SalesDocument) -> list[SalesDocument]:
    ids = order.children.filter(kind=Kind.DELIVERY, state=State.DONE).order_by("id").values_list("pk", flat=True)
    return crm.documents_for_sync(tenant=_tenant(), ids=list(ids))


def _delivery_data(delivery: SalesDocument, order: SalesDocument) -> DeliveryData:
    positions = _positions(order)
    quantities = tuple(
        (positions.get(line.order_line_id, line.position), line.quantity)
        for line in delivery.lines.all()
        if line.order_line_id in positions
    )
    return DeliveryData(delivery.pk, odoo_reference(delivery), quantities)


def _invoice_data(invoice: SalesDocument) -> InvoiceData:
    return InvoiceData(
        invoice.pk,
        odoo_reference(invoice),
        _partner(invoice),
        _lines(invoice),
        invoice.issue_date,
        invoice.due_date,
        aliases=(f"CRM-{invoice.kind.upper()}-{invoice.pk}",),
    )


def _tenant():
    from core.tenancy import current_tenant

    return current_tenant()


def _push_order(pusher: Pusher, order: SalesDocument):
    link = pusher.order(_order_data(order))
    for delivery in _deliveries(order):
        pusher.delivery(_delivery_data(delivery, order), link)
    return link


def _run(pusher: Pusher, document: SalesDocument) -> dict:
    """Pushes the document's chain; returns what Odoo says of the document itself."""
    if document.kind == Kind.ORDER:
        link = _push_order(pusher, document)
        return {"model": "sale.order", "id": link.external_id, "name": link.external_ref}
    order_link = None
    if document.parent_id:
        order = crm.documents_for_sync(tenant=_tenant(), ids=[document.parent_id])[0]
        if order.kind != Kind.ORDER:
            raise ApplicationError(_("Only invoices made from an order, or on their own, are sent to Odoo."))
        order_link = _push_order(pusher, order)
    move = pusher.invoice(_invoice_data(document), order_link)
    return {"model": "account.move", **move}


@dataclass(frozen=True)
class PushOutcome:
    status: str
    message: str = ""
    calls: int = 0


def document_push(*, sync_id: int, token: str, actor=None) -> PushOutcome:
    """One attempt at the claimed push `sync_id`. Runs outside any transaction on purpose: every link
    to an Odoo record is committed as soon as it is known.

    Returns `done`, `failed` (a permanent error: Odoo's message is on the row) or `skipped` (another run
    holds this claim, or the claim is no longer this token's). Raises TransientClientError after writing
    it on the row (still pending): the task retries with backoff."""
    from odoo_sync.services.pull import apply_invoice

    row = SyncExternal.objects.filter(pk=sync_id).first()
    if row is None or row.claim_token != token or row.status not in (Status.PENDING, Status.IN_PROGRESS):
        return PushOutcome("skipped")
    if not link_store.try_lock(row.local_type, row.local_id):
        return PushOutcome("skipped")  # the same claim is running elsewhere (a message delivered twice)
    try:
        row.refresh_from_db()
        if row.claim_token != token or row.status not in (Status.PENDING, Status.IN_PROGRESS):
            return PushOutcome("skipped")
        row.status, row.attempts = Status.IN_PROGRESS, row.attempts + 1
        row.save(update_fields=["status", "attempts", "updated_at"])
        documents = crm.documents_for_sync(tenant=_tenant(), ids=[row.local_id])
        if not documents:
            return _fail(row, _("The document no longer exists."), actor=actor, document=None)
        document = documents[0]
        _announce(document, row)
        client = None
        try:
            reason = refusal(document)
            if reason:
                raise ApplicationError(reason)
            client = get_odoo_client(_tenant())
            pusher = Pusher(client, link_store.SyncLinks(main=(row.local_type, row.local_id)))
            remote = _run(pusher, document)
            row.refresh_from_db()
            if remote["model"] == "account.move":
                document = apply_invoice(document=document, row=row, move=remote, actor=actor)
                _rewrite_reference(client, document, remote)
        except TransientClientError as error:
            _still_pending(row, error.message, document)
            raise
        except (ClientError, ApplicationError) as error:
            return _fail(row, error.message, actor=actor, document=document, calls=client.calls if client else 0)
        except Exception:
            logger.exception("odoo push failed unexpectedly", extra={"sync": row.pk})
            return _fail(row, _("The push stopped on an unexpected error."), actor=actor, document=document)
        row.status, row.claim_token, row.last_error = Status.DONE, "", ""
        row.save()
        audit_log(
            action="odoo.pushed",
            actor=actor,
            obj=document,
            changes={"odoo": f"{row.external_model}#{row.external_id}", "reference": row.external_ref},
        )
        crm.timeline_add(
            tenant=_tenant(),
            lead=document.lead,
            kind="odoo",
            actor=actor,
            body=_("%(document)s is in Odoo as %(odoo)s.") % {"document": document, "odoo": row.external_ref},
            data={"document": document.pk, "odoo_model": row.external_model, "odoo_id": row.external_id},
        )
        _announce(document, row)
        return PushOutcome("done", calls=client.calls)
    finally:
        link_store.unlock(row.local_type, row.local_id)


def _rewrite_reference(client, document: SalesDocument, move: dict) -> None:
    """A draft sent before it had a number is numbered here once Odoo posts it: Odoo's `ref` follows.
    Cosmetic (the link is kept in sync_external), so Odoo refusing it does not fail the push."""
    if document.number and move.get("ref") != document.number:
        try:
            client.write("account.move", [move["id"]], {"ref": document.number})
        except PermanentClientError:
            logger.warning("odoo kept the draft reference", extra={"document": document.pk})


def _announce(document, row) -> None:
    from odoo_sync.realtime import announce

    announce(document=document, row=row)


def _still_pending(row: SyncExternal, message: str, document) -> None:
    row.status, row.last_error = Status.PENDING, message[:MAX_ERROR]
    row.save(update_fields=["status", "last_error", "updated_at"])
    if document is not None:
        _announce(document, row)


def _fail(row: SyncExternal, message: str, *, actor, document, calls: int = 0) -> PushOutcome:
    row.status, row.claim_token, row.last_error = Status.FAILED, "", message[:MAX_ERROR]
    row.save(update_fields=["status", "claim_token", "last_error", "updated_at"])
    if document is not None:
        audit_log(action="odoo.push_failed", actor=actor, obj=document, changes={"error": row.last_error})
        _announce(document, row)
        notify.push_failed(document=document, row=row)
    return PushOutcome("failed", message=row.last_error, calls=calls)


def push_give_up(*, sync_id: int, token: str) -> None:
    """The task ran out of retries on transient errors: the row fails with the last error, for a person
    to send it again later."""
    row = SyncExternal.objects.filter(pk=sync_id, claim_token=token).first()
    if row is None or row.status == Status.DONE:
        return
    message = _("Odoo could not be reached after several attempts: %(error)s") % {"error": row.last_error}
    documents = crm.documents_for_sync(tenant=_tenant(), ids=[row.local_id])
    _fail(row, message, actor=None, document=documents[0] if documents else None)
