"""Reading back from Odoo what became of the documents sent there: invoices posted there are posted
here ("contabilizado"), paid ones paid (from Odoo's payment state and amount residual), cancelled ones
flagged for a person; deliveries likewise. Where the two sides disagree the row says why
(`mismatch`), for the accountant's reconciliation list.

`company_pull` runs from beat for every company with an Odoo connection; `document_refresh` is the
manual "refresh from Odoo" of one document."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import SYSTEM
from core.audit import audit_log
from core.errors import ApplicationError, ClientError
from core.tenancy import check_tenant, current_tenant
from crm import public as crm
from crm.models import SalesDocument
from odoo_sync import notify
from odoo_sync.clients.odoo import get_odoo_client
from odoo_sync.models import SyncExternal
from odoo_sync.services.steps import DOCUMENT, MOVE_FIELDS

logger = logging.getLogger(__name__)

State = SalesDocument.State
PICKING_FIELDS = ["name", "state"]
READ_FIELDS = {"account.move": MOVE_FIELDS, "stock.picking": PICKING_FIELDS}
PAID_STATES = ("paid", "in_payment", "partial")
CENT = Decimal("0.01")
BATCH = 200


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def _invoice_mismatch(document: SalesDocument, row: SyncExternal) -> list[str]:
    differences = []
    odoo_total = row.remote_amount_total or Decimal(0)
    odoo_paid = odoo_total - (row.remote_amount_residual or Decimal(0))
    if abs(_money(document.total_amount) - odoo_total) >= CENT:
        differences.append(
            _("Total: %(here)s here, %(odoo)s in Odoo.") % {"here": _money(document.total_amount), "odoo": odoo_total}
        )
    if row.remote_state == "cancel" and document.state != State.CANCELLED:
        differences.append(_("Cancelled in Odoo, not here."))
    if row.remote_state == "posted" and document.state == State.CANCELLED:
        differences.append(_("Cancelled here, posted in Odoo."))
    if row.remote_state == "draft":
        differences.append(_("Back to draft in Odoo."))
    if row.remote_payment_state == "reversed":
        differences.append(_("Reversed in Odoo by a credit note."))
    if row.remote_state == "posted" and _money(document.amount_paid) - odoo_paid >= CENT:
        differences.append(
            _("Paid: %(here)s here, %(odoo)s in Odoo.") % {"here": _money(document.amount_paid), "odoo": odoo_paid}
        )
    return differences


def apply_invoice(*, document: SalesDocument, row: SyncExternal, move: dict, actor) -> SalesDocument:
    """Records Odoo's view of the invoice on `row` and brings the local invoice along: posted there ->
    posted here, paid (in full or in part) there -> that amount paid here, cancelled there -> flagged."""
    tenant = current_tenant()
    row.remote_state = str(move.get("state") or "")
    row.remote_payment_state = str(move.get("payment_state") or "")
    row.remote_amount_total = _money(move.get("amount_total"))
    row.remote_amount_residual = _money(move.get("amount_residual"))
    row.pulled_at = timezone.now()
    if move.get("name") and move["name"] != "/":
        row.external_ref = str(move["name"])[:128]
    problems = []
    try:
        if row.remote_state == "cancel":
            note = _("Cancelled in Odoo (%(name)s).") % {"name": row.external_ref or row.external_id}
            document = crm.document_flag_external_cancel(tenant=tenant, document=document, actor=actor, note=note)
        elif row.remote_state == "posted" and document.state != State.CANCELLED:
            if document.state == State.DRAFT:
                document = crm.document_mark_posted_from_external(tenant=tenant, document=document, actor=actor)
            paid = row.remote_amount_total - row.remote_amount_residual
            if row.remote_payment_state in PAID_STATES and paid > 0:
                document = crm.document_mark_paid_from_external(
                    tenant=tenant, document=document, amount_paid=paid, actor=actor
                )
    except ApplicationError as error:
        problems.append(error.message)
    row.mismatch = " ".join(problems + _invoice_mismatch(document, row))
    row.save()
    return document


def apply_delivery(*, document: SalesDocument, row: SyncExternal, picking: dict, actor) -> SalesDocument:
    tenant = current_tenant()
    row.remote_state = str(picking.get("state") or "")
    row.pulled_at = timezone.now()
    differences = []
    if row.remote_state == "cancel":
        note = _("Cancelled in Odoo (%(name)s).") % {"name": row.external_ref or row.external_id}
        document = crm.document_flag_external_cancel(tenant=tenant, document=document, actor=actor, note=note)
        differences.append(_("Cancelled in Odoo, not here."))
    elif row.remote_state != "done":
        differences.append(_("Not validated in Odoo (its state is %(state)s).") % {"state": row.remote_state})
    row.mismatch = " ".join(differences)
    row.save()
    return document


def _apply(document: SalesDocument, row: SyncExternal, record: dict, actor) -> SalesDocument:
    if row.external_model == "account.move":
        return apply_invoice(document=document, row=row, move=record, actor=actor)
    return apply_delivery(document=document, row=row, picking=record, actor=actor)


def _missing(row: SyncExternal) -> None:
    row.remote_state, row.pulled_at = "missing", timezone.now()
    row.mismatch = _("Deleted in Odoo.")
    row.save()


@dataclass(frozen=True)
class PullSummary:
    read: int = 0
    mismatches: int = 0
    error: str = ""


def company_pull(*, tenant, actor=SYSTEM) -> PullSummary:
    """Reads every synced invoice and delivery of the company back from Odoo, one call per model and
    batch, and applies what changed. An Odoo error stops the pull (the next run tries again) and is
    returned, never raised."""
    from odoo_sync.realtime import announce

    check_tenant(tenant)
    rows = list(
        SyncExternal.objects.filter(
            local_type=DOCUMENT,
            system=SyncExternal.System.ODOO,
            status=SyncExternal.Status.DONE,
            external_model__in=list(READ_FIELDS),
            external_id__isnull=False,
        ).order_by("id")
    )
    if not rows:
        return PullSummary()
    documents = SalesDocument.objects.select_related("lead").in_bulk([row.local_id for row in rows])
    read = 0
    try:
        client = get_odoo_client(tenant)
        for model, fields in READ_FIELDS.items():
            model_rows = [row for row in rows if row.external_model == model and row.local_id in documents]
            for start in range(0, len(model_rows), BATCH):
                batch = model_rows[start : start + BATCH]
                records = {r["id"]: r for r in client.read(model, [row.external_id for row in batch], fields)}
                for row in batch:
                    read += 1
                    before = (row.remote_state, row.remote_payment_state, row.remote_amount_residual, row.mismatch)
                    document = documents[row.local_id]
                    if row.external_id not in records:
                        _missing(row)
                    else:
                        document = _apply(document, row, records[row.external_id], actor)
                    after = (row.remote_state, row.remote_payment_state, row.remote_amount_residual, row.mismatch)
                    if before != after:
                        announce(document=document, row=row)
                        notify.needs_attention(document=document, row=row)
    except ClientError as error:
        logger.warning("odoo pull stopped", extra={"error": error.message, "code": error.code})
        return PullSummary(read=read, error=error.message)
    mismatches = SyncExternal.objects.filter(local_type=DOCUMENT, system=SyncExternal.System.ODOO).exclude(mismatch="")
    return PullSummary(read=read, mismatches=mismatches.count())


def document_refresh(*, tenant, document: SalesDocument, actor) -> SyncExternal:
    """The manual "refresh from Odoo" of one document sent there. Raises ApplicationError (with Odoo's
    message when Odoo failed) when it cannot."""
    from odoo_sync.realtime import announce

    check_tenant(tenant)
    row = SyncExternal.objects.filter(
        local_type=DOCUMENT, local_id=document.pk, system=SyncExternal.System.ODOO, status=SyncExternal.Status.DONE
    ).first()
    if row is None or row.external_model not in READ_FIELDS:
        raise ApplicationError(_("This document is not in Odoo yet."))
    try:
        records = get_odoo_client(tenant).read(row.external_model, [row.external_id], READ_FIELDS[row.external_model])
    except ClientError as error:
        raise ApplicationError(_("Odoo could not be read: %(error)s") % {"error": error.message}) from error
    if records:
        document = _apply(document, row, records[0], actor)
    else:
        _missing(row)
    audit_log(
        action="odoo.refresh",
        actor=actor,
        obj=document,
        changes={"state": row.remote_state, "payment_state": row.remote_payment_state, "mismatch": row.mismatch},
    )
    announce(document=document, row=row)
    return row


def reconciliation_note_set(*, tenant, row: SyncExternal, note: str, actor) -> SyncExternal:
    """The accountant's note on a difference between the two sides."""
    check_tenant(tenant)
    note = (note or "").strip()
    if note == row.note:
        return row
    before, row.note = row.note, note
    row.save(update_fields=["note", "updated_at"])
    audit_log(action="odoo.note", actor=actor, obj=row, changes={"note": {"before": before, "after": note}})
    return row
