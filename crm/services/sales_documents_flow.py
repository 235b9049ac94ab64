"""The state machine of sales documents, and the conversions that keep their chain.

    quote:       draft -> sent -> accepted | rejected          (cancelled from draft, sent, accepted)
                 accepted -> (convert) an order
    order:       draft -> confirmed -> partly delivered / delivered -> partly invoiced / invoiced
                 (the progress states follow the order's delivery notes and invoices; cancelled while
                 nothing of it is delivered or invoiced)
    delivery:    draft -> done | cancelled                     (made from a confirmed order)
    invoice:     draft -> posted -> partly paid -> paid        (cancelled only as a draft)
    credit note: draft -> posted | cancelled                   (made from a posted invoice)

A document gets its number when it leaves its draft (sent or accepted quote, confirmed order, done
delivery note, posted invoice or credit note). Invalid transitions raise ApplicationError with a message
for the person, changing nothing. Each transition is atomic, locks the documents it changes, is audited,
and is written to the lead's history."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import ApplicationError
from core.tenancy import current_tenant
from crm.documents_math import line_subtotal, round_money
from crm.models import LeadDocument, Payment, SalesDocument, SalesDocumentLine
from crm.selectors.sales_documents import POSTED_INVOICE_STATES, order_progress
from crm.services.sales_documents import (
    _person,
    document_settings,
    lock,
    new_document,
    record,
    refresh_totals,
    tenant_today,
)
from crm.services.sales_documents_numbering import number_document

Kind = SalesDocument.Kind
State = SalesDocument.State
COPIED_LINE_FIELDS = ("position", "product_id", "description", "quantity", "unit", "unit_price", "discount", "tax_rate")
ORDER_OPEN_STATES = (State.CONFIRMED, State.PARTLY_DELIVERED, State.DELIVERED, State.PARTLY_INVOICED)
MAX_PAYMENT_NOTE = 100


def _names(document: SalesDocument) -> dict:
    return {"kind": document.get_kind_display().lower(), "state": document.get_state_display().lower()}


def _refuse(message: str, document: SalesDocument):
    raise ApplicationError(message % _names(document))


def _require(document: SalesDocument, kinds: tuple, states: tuple, message: str) -> None:
    """Raises `message` (formatted with the document's kind and state) unless the document is of one of
    `kinds` and in one of `states`."""
    if document.kind not in kinds or document.state not in states:
        _refuse(message, document)


def _require_lines(document: SalesDocument) -> None:
    if not document.lines.exists():
        raise ApplicationError(_("Add at least one line first."))


def _number(document: SalesDocument) -> None:
    number_document(document, on=tenant_today())


def _set_state(document: SalesDocument, state: str, *fields: str) -> None:
    document.state = state
    document.save(update_fields=["state", *fields, "updated_at"])


def _copy_lines(
    source: SalesDocument,
    target: SalesDocument,
    *,
    quantities: dict[int, Decimal] | None = None,
    link_order: bool = False,
) -> int:
    """Copies `source`'s lines onto `target` (with `quantities[line id]` instead of theirs when given,
    skipping lines given zero). `link_order`: each copy points at the order line it comes from."""
    copies = []
    for line in SalesDocumentLine.objects.filter(document=source).order_by("position", "id"):
        quantity = line.quantity if quantities is None else quantities.get(line.pk, Decimal(0))
        if quantity <= 0:
            continue
        copy = SalesDocumentLine(document=target, **{name: getattr(line, name) for name in COPIED_LINE_FIELDS})
        copy.quantity = quantity
        if link_order:
            copy.order_line_id = line.order_line_id or (line.pk if source.kind == Kind.ORDER else None)
        copy.subtotal = line_subtotal(
            quantity=copy.quantity, unit_price=copy.unit_price, discount=copy.discount, currency=target.currency
        )
        copies.append(copy)
    SalesDocumentLine.objects.bulk_create(copies)
    refresh_totals(target)
    return len(copies)


def _open_child(document: SalesDocument, kind: str) -> SalesDocument | None:
    return (
        SalesDocument.objects.filter(parent=document, kind=kind).exclude(state=State.CANCELLED).order_by("id").first()
    )


def _draft_child(document: SalesDocument, kind: str) -> SalesDocument | None:
    return SalesDocument.objects.filter(parent=document, kind=kind, state=State.DRAFT).order_by("id").first()


# The PDF kept in the lead's history when a document is sent ---------------------------------------------


def attach_pdf(document: SalesDocument, actor) -> LeadDocument:
    """Renders the document's PDF and stores it with the lead's files. The caller deletes the file if its
    transaction fails after this (see document_send)."""
    from crm.documents_pdf import pdf_filename, render_document_pdf

    data = render_document_pdf(document=document, tenant=current_tenant())
    stored = LeadDocument(
        lead=document.lead,
        original_name=pdf_filename(document),
        content_type="application/pdf",
        size=len(data),
        uploaded_by=_person(actor),
    )
    stored.file.save(f"{uuid.uuid4().hex}.pdf", ContentFile(data), save=False)
    stored.save()
    return stored


# Quotes ---------------------------------------------------------------------------------------------------


@transaction.atomic
def document_send(*, document: SalesDocument, actor) -> SalesDocument:
    """Sends a document to the customer: a draft or sent quote becomes sent (numbered when still a draft);
    a confirmed order, a done delivery note, a posted invoice or credit note is sent as it is. Its PDF is
    stored with the lead's files and linked from the history entry."""
    document = lock(document)
    if document.kind == Kind.QUOTE:
        _require(
            document,
            (Kind.QUOTE,),
            (State.DRAFT, State.SENT),
            _("Only a draft or sent quote can be sent; this one is %(state)s."),
        )
        _require_lines(document)
        if document.state == State.DRAFT:
            _number(document)
            settings = document_settings()
            if document.due_date is None or document.due_date < document.issue_date:
                document.due_date = document.issue_date + timedelta(days=settings.quote_validity_days)
        document.state = State.SENT
    elif document.state in (State.DRAFT, State.CANCELLED):
        _refuse(_("This %(kind)s is %(state)s: it cannot be sent."), document)
    document.sent_at = timezone.now()
    document.save(update_fields=["state", "due_date", "sent_at", "updated_at"])
    stored = attach_pdf(document, actor)
    try:
        record(
            document=document,
            action="document.send",
            actor=actor,
            data={"file_id": stored.pk, "file_name": stored.original_name},
        )
    except Exception:
        stored.file.delete(save=False)
        raise
    return document


@transaction.atomic
def quote_accept(*, document: SalesDocument, actor) -> SalesDocument:
    """The customer accepted the quote (a draft is numbered on the way)."""
    document = lock(document)
    _require(
        document,
        (Kind.QUOTE,),
        (State.DRAFT, State.SENT),
        _("Only a draft or sent quote can be accepted; this %(kind)s is %(state)s."),
    )
    _require_lines(document)
    _number(document)
    _set_state(document, State.ACCEPTED)
    record(document=document, action="document.accept", actor=actor)
    return document


@transaction.atomic
def quote_reject(*, document: SalesDocument, actor, reason: str = "") -> SalesDocument:
    document = lock(document)
    _require(
        document,
        (Kind.QUOTE,),
        (State.DRAFT, State.SENT),
        _("Only a draft or sent quote can be rejected; this %(kind)s is %(state)s."),
    )
    _set_state(document, State.REJECTED)
    record(document=document, action="document.reject", actor=actor, body=(reason or "").strip()[:1000])
    return document


@transaction.atomic
def quote_convert(*, document: SalesDocument, actor) -> SalesDocument:
    """An accepted quote becomes a draft order with the same lines (once: a second order from the same
    quote is refused while the first is not cancelled). Returns the order."""
    document = lock(document)
    _require(
        document,
        (Kind.QUOTE,),
        (State.ACCEPTED,),
        _("Only an accepted quote becomes an order; this %(kind)s is %(state)s."),
    )
    existing = _open_child(document, Kind.ORDER)
    if existing is not None:
        raise ApplicationError(
            _("This quote is already order %(number)s.") % {"number": existing.display_number},
            extra={"document": existing},
        )
    order = new_document(lead=document.lead, kind=Kind.ORDER, actor=actor, parent=document)
    order.notes = document.notes
    order.save(update_fields=["notes"])
    _copy_lines(document, order)
    order.refresh_from_db()
    record(document=document, action="document.convert", actor=actor, data={"related_id": order.pk})
    record(
        document=order,
        action="document.create",
        actor=actor,
        data={"related_id": document.pk, "related_number": document.number},
    )
    return order


# Orders ---------------------------------------------------------------------------------------------------


@transaction.atomic
def order_confirm(*, document: SalesDocument, actor) -> SalesDocument:
    document = lock(document)
    _require(
        document, (Kind.ORDER,), (State.DRAFT,), _("Only a draft order can be confirmed; this %(kind)s is %(state)s.")
    )
    _require_lines(document)
    _number(document)
    _set_state(document, State.CONFIRMED)
    record(document=document, action="document.confirm", actor=actor)
    return document


def refresh_order_state(order: SalesDocument, actor) -> SalesDocument:
    """Sets a confirmed order's progress state from its delivery notes and invoices: invoiced when every
    line is invoiced, partly invoiced when something is, else delivered / partly delivered / confirmed."""
    order = lock(order)
    if order.kind != Kind.ORDER or order.state in (State.DRAFT, State.CANCELLED):
        return order
    progress = list(order_progress(order=order).values())
    if progress and all(line.invoiced >= line.ordered for line in progress):
        state = State.INVOICED
    elif any(line.invoiced > 0 for line in progress):
        state = State.PARTLY_INVOICED
    elif progress and all(line.delivered >= line.ordered for line in progress):
        state = State.DELIVERED
    elif any(line.delivered > 0 for line in progress):
        state = State.PARTLY_DELIVERED
    else:
        state = State.CONFIRMED
    if state != order.state:
        before = order.state
        _set_state(order, state)
        audit_log(
            action="document.progress", actor=actor, obj=order, changes={"state": {"before": before, "after": state}}
        )
    return order


@transaction.atomic
def order_deliver(*, document: SalesDocument, actor) -> SalesDocument:
    """A draft delivery note for what is left to deliver of a confirmed order (its quantities can be
    lowered before it is validated, for a partial delivery). Returns the delivery note."""
    order = lock(document)
    _require(
        order,
        (Kind.ORDER,),
        (*ORDER_OPEN_STATES, State.INVOICED),
        _("Only a confirmed order can be delivered; this %(kind)s is %(state)s."),
    )
    draft = _draft_child(order, Kind.DELIVERY)
    if draft is not None:
        raise ApplicationError(
            _("Delivery note %(number)s of this order is still a draft: validate or cancel it first.")
            % {"number": draft.display_number},
            extra={"document": draft},
        )
    remaining = {pk: line.to_deliver for pk, line in order_progress(order=order).items()}
    if not any(quantity > 0 for quantity in remaining.values()):
        raise ApplicationError(_("Everything on this order has been delivered."))
    delivery = new_document(lead=order.lead, kind=Kind.DELIVERY, actor=actor, parent=order)
    _copy_lines(order, delivery, quantities=remaining, link_order=True)
    delivery.refresh_from_db()
    record(document=order, action="document.deliver", actor=actor, data={"related_id": delivery.pk})
    record(
        document=delivery,
        action="document.create",
        actor=actor,
        data={"related_id": order.pk, "related_number": order.number},
    )
    return delivery


def _check_against_order(document: SalesDocument, *, field: str, message: str) -> SalesDocument:
    """Each line of a delivery note or invoice made from an order fits in what is left of its order line
    (`field`: "to_deliver" or "to_invoice"). Returns the locked order."""
    order = lock(document.parent)
    progress = order_progress(order=order)
    wanted: dict[int, Decimal] = {}
    for order_line_id, quantity in document.lines.filter(order_line__isnull=False).values_list(
        "order_line_id", "quantity"
    ):
        wanted[order_line_id] = wanted.get(order_line_id, Decimal(0)) + quantity
    for order_line_id, quantity in wanted.items():
        line = progress.get(order_line_id)
        if line is None or quantity > getattr(line, field):
            raise ApplicationError(message)
    return order


@transaction.atomic
def delivery_validate(*, document: SalesDocument, actor) -> SalesDocument:
    """The goods left: the draft delivery note is done (numbered) and its order's state follows."""
    document = lock(document)
    _require(
        document,
        (Kind.DELIVERY,),
        (State.DRAFT,),
        _("Only a draft delivery note can be validated; this %(kind)s is %(state)s."),
    )
    _require_lines(document)
    order = _check_against_order(
        document, field="to_deliver", message=_("This delivery note has more than is left to deliver on the order.")
    )
    _number(document)
    _set_state(document, State.DONE)
    record(
        document=document,
        action="document.validate",
        actor=actor,
        data={"related_id": order.pk, "related_number": order.number},
    )
    refresh_order_state(order, actor)
    return document


@transaction.atomic
def order_invoice(*, document: SalesDocument, actor) -> SalesDocument:
    """A draft invoice for what is left to invoice of a confirmed order. Returns the invoice."""
    order = lock(document)
    _require(
        order,
        (Kind.ORDER,),
        ORDER_OPEN_STATES,
        _("Only a confirmed order that is not fully invoiced can be invoiced; this %(kind)s is %(state)s."),
    )
    draft = _draft_child(order, Kind.INVOICE)
    if draft is not None:
        raise ApplicationError(
            _("Invoice %(number)s of this order is still a draft: post or cancel it first.")
            % {"number": draft.display_number},
            extra={"document": draft},
        )
    remaining = {pk: line.to_invoice for pk, line in order_progress(order=order).items()}
    if not any(quantity > 0 for quantity in remaining.values()):
        raise ApplicationError(_("Everything on this order has been invoiced."))
    invoice = new_document(lead=order.lead, kind=Kind.INVOICE, actor=actor, parent=order)
    _copy_lines(order, invoice, quantities=remaining, link_order=True)
    invoice.refresh_from_db()
    record(document=order, action="document.invoice", actor=actor, data={"related_id": invoice.pk})
    record(
        document=invoice,
        action="document.create",
        actor=actor,
        data={"related_id": order.pk, "related_number": order.number},
    )
    return invoice


# Invoices and credit notes --------------------------------------------------------------------------------


def _settle(invoice: SalesDocument) -> None:
    """A posted invoice's state from what is paid and credited: paid, partly paid or posted."""
    settled = invoice.amount_paid + invoice.amount_credited
    if settled >= invoice.total_amount:
        invoice.state = State.PAID
    elif settled > 0:
        invoice.state = State.PARTLY_PAID
    else:
        invoice.state = State.POSTED


def _post(document: SalesDocument, actor, *, action: str) -> SalesDocument:
    _require(
        document,
        (Kind.INVOICE, Kind.CREDIT_NOTE),
        (State.DRAFT,),
        _("Only a draft invoice or credit note can be posted; this %(kind)s is %(state)s."),
    )
    _require_lines(document)
    if document.total_amount <= 0:
        raise ApplicationError(_("A document with a total of zero cannot be posted."))
    order = invoice = None
    if document.kind == Kind.INVOICE and document.parent_id and document.parent.kind == Kind.ORDER:
        order = _check_against_order(
            document, field="to_invoice", message=_("This invoice has more than is left to invoice on the order.")
        )
    if document.kind == Kind.CREDIT_NOTE:
        invoice = lock(document.parent)
        if invoice.state not in POSTED_INVOICE_STATES:
            raise ApplicationError(_("Only a posted invoice can be credited."))
        if document.total_amount > invoice.total_amount - invoice.amount_credited:
            raise ApplicationError(_("A credit note cannot be larger than what is left of its invoice."))
    _number(document)
    settings = document_settings()
    if document.kind == Kind.INVOICE and (document.due_date is None or document.due_date < document.issue_date):
        document.due_date = document.issue_date + timedelta(days=settings.payment_terms_days)
    document.state = State.POSTED
    if document.kind == Kind.INVOICE:
        _settle(document)
    document.save(update_fields=["state", "due_date", "updated_at"])
    record(document=document, action=action, actor=actor)
    if invoice is not None:
        invoice.amount_credited += document.total_amount
        before = invoice.state
        _settle(invoice)
        invoice.save(update_fields=["amount_credited", "state", "updated_at"])
        audit_log(
            action="document.progress",
            actor=actor,
            obj=invoice,
            changes={"state": {"before": before, "after": invoice.state}},
        )
        if invoice.parent_id:
            order = invoice.parent
    if order is not None and order.kind == Kind.ORDER:
        refresh_order_state(order, actor)
    return document


@transaction.atomic
def document_post(*, document: SalesDocument, actor) -> SalesDocument:
    """Posts a draft invoice or credit note: numbered, dated today, due after the company's payment terms;
    from then on it cannot be changed. A credit note lowers what is due on its invoice."""
    return _post(lock(document), actor, action="document.post")


@transaction.atomic
def invoice_credit(*, document: SalesDocument, actor) -> SalesDocument:
    """A draft credit note with the lines of a posted invoice (edit it down for a partial correction).
    Returns the credit note."""
    invoice = lock(document)
    _require(
        invoice,
        (Kind.INVOICE,),
        POSTED_INVOICE_STATES,
        _("Only a posted invoice can be credited; this %(kind)s is %(state)s."),
    )
    draft = _draft_child(invoice, Kind.CREDIT_NOTE)
    if draft is not None:
        raise ApplicationError(
            _("Credit note %(number)s of this invoice is still a draft: post or cancel it first.")
            % {"number": draft.display_number},
            extra={"document": draft},
        )
    if invoice.amount_credited >= invoice.total_amount:
        raise ApplicationError(_("This invoice is fully credited already."))
    credit = new_document(lead=invoice.lead, kind=Kind.CREDIT_NOTE, actor=actor, parent=invoice)
    _copy_lines(invoice, credit, link_order=True)
    credit.refresh_from_db()
    record(document=invoice, action="document.credit", actor=actor, data={"related_id": credit.pk})
    record(
        document=credit,
        action="document.create",
        actor=actor,
        data={"related_id": invoice.pk, "related_number": invoice.number},
    )
    return credit


@transaction.atomic
def payment_record(
    *,
    document: SalesDocument,
    amount: Decimal,
    on: date,
    method: str,
    actor,
    reference: str = "",
    external: bool = False,
) -> Payment:
    """Records money received against a posted invoice; it becomes partly paid or paid. The amount must
    be more than zero and at most what is due; the date cannot be in the future."""
    invoice = lock(document)
    _require(
        invoice,
        (Kind.INVOICE,),
        (State.POSTED, State.PARTLY_PAID),
        _("Payments are recorded against posted invoices that are not fully paid; this %(kind)s is %(state)s."),
    )
    if method not in Payment.Method.values:
        raise ApplicationError(_("Choose how it was paid: cash, card or bank transfer."))
    if not isinstance(on, date):
        raise ApplicationError(_("Enter a valid date."))
    if on > tenant_today():
        raise ApplicationError(_("A payment cannot be dated in the future."))
    amount = round_money(Decimal(amount), invoice.currency)
    if amount <= 0:
        raise ApplicationError(_("The amount must be more than zero."))
    if amount > invoice.amount_due:
        raise ApplicationError(
            _("The amount is more than what is due (%(due)s).")
            % {"due": round_money(invoice.amount_due, invoice.currency)}
        )
    payment = Payment.objects.create(
        document=invoice,
        amount=amount,
        date=on,
        method=method,
        reference=(reference or "").strip()[:MAX_PAYMENT_NOTE],
        external=external,
        created_by=_person(actor),
    )
    invoice.amount_paid += amount
    _settle(invoice)
    invoice.save(update_fields=["amount_paid", "state", "updated_at"])
    record(
        document=invoice,
        action="document.payment",
        actor=actor,
        changes={"amount_paid": {"before": str(invoice.amount_paid - amount), "after": str(invoice.amount_paid)}},
        data={"amount": str(amount), "method": method, "payment_id": payment.pk},
    )
    return payment


# Cancelling -----------------------------------------------------------------------------------------------


@transaction.atomic
def document_cancel(*, document: SalesDocument, actor, reason: str = "") -> SalesDocument:
    """Cancels a document that nothing depends on yet: a quote not turned into a live order, an order with
    nothing delivered or invoiced, a draft delivery note, invoice or credit note. A posted invoice is not
    cancelled: a credit note corrects it. Cancelled documents keep their number."""
    document = lock(document)
    kind, state = document.kind, document.state
    if state == State.CANCELLED:
        _refuse(_("This %(kind)s is cancelled already."), document)
    if kind == Kind.INVOICE and state != State.DRAFT:
        raise ApplicationError(_("A posted invoice cannot be cancelled. Correct it with a credit note."))
    if kind in (Kind.DELIVERY, Kind.CREDIT_NOTE) and state != State.DRAFT:
        _refuse(_("Only a draft %(kind)s can be cancelled; this one is %(state)s."), document)
    if kind == Kind.QUOTE:
        if state == State.REJECTED:
            _refuse(_("This quote was rejected: there is nothing to cancel."), document)
        order = _open_child(document, Kind.ORDER)
        if order is not None:
            raise ApplicationError(
                _("This quote became order %(number)s: cancel the order instead.") % {"number": order.display_number}
            )
    if kind == Kind.ORDER:
        if state not in (State.DRAFT, State.CONFIRMED):
            _refuse(_("This order is %(state)s: it can no longer be cancelled."), document)
        live = (
            SalesDocument.objects.filter(parent=document)
            .exclude(state=State.CANCELLED)
            .exclude(kind=Kind.DELIVERY, state=State.DRAFT)
            .exclude(kind=Kind.INVOICE, state=State.DRAFT)
            .exists()
        )
        if live:
            raise ApplicationError(
                _("Something of this order is delivered or invoiced: it can no longer be cancelled.")
            )
        for draft in SalesDocument.objects.select_for_update().filter(parent=document, state=State.DRAFT):
            _set_state(draft, State.CANCELLED)
            record(document=draft, action="document.cancel", actor=actor, body=str(_("Its order was cancelled.")))
    _set_state(document, State.CANCELLED)
    record(document=document, action="document.cancel", actor=actor, body=(reason or "").strip()[:1000])
    return document


# From the accounting system (odoo_sync, through crm.public) ---------------------------------------------


@transaction.atomic
def mark_posted_from_external(*, document: SalesDocument, actor) -> SalesDocument:
    """The accounting system posted the invoice or credit note: a draft is posted here as well (numbered);
    one already posted, partly paid or paid is left as it is. A cancelled one raises ApplicationError."""
    document = lock(document)
    if document.kind not in (Kind.INVOICE, Kind.CREDIT_NOTE):
        raise ApplicationError(_("Only invoices and credit notes are posted."))
    if document.state == State.DRAFT:
        return _post(document, actor, action="document.external_post")
    if document.state == State.CANCELLED:
        raise ApplicationError(_("This document is cancelled here."))
    return document


@transaction.atomic
def mark_paid_from_external(*, document: SalesDocument, amount_paid: Decimal, actor) -> SalesDocument:
    """The accounting system says `amount_paid` of the invoice is paid in all. When that is more than is
    recorded here, the difference is recorded as one payment (by bank transfer, marked as from
    accounting, capped at what is due); otherwise nothing changes. Calling it again with the same amount
    changes nothing. A draft is posted first."""
    document = lock(document)
    if document.kind != Kind.INVOICE:
        raise ApplicationError(_("Only invoices are paid."))
    if document.state == State.DRAFT:
        _post(document, actor, action="document.external_post")
    if document.state == State.CANCELLED:
        raise ApplicationError(_("This document is cancelled here."))
    difference = min(round_money(Decimal(amount_paid), document.currency) - document.amount_paid, document.amount_due)
    if difference > 0:
        payment_record(
            document=document,
            amount=difference,
            on=tenant_today(),
            method=Payment.Method.TRANSFER,
            actor=actor,
            reference=str(_("From accounting")),
            external=True,
        )
    return lock(document)


@transaction.atomic
def flag_external_cancel(*, document: SalesDocument, actor, note: str) -> SalesDocument:
    """The accounting system cancelled the document. Nothing is cancelled here (a posted invoice is
    corrected with a credit note, by a person): the document shows the note until then."""
    document = lock(document)
    note = (note or "").strip()[:255] or str(_("Cancelled in the accounting system."))
    if document.external_cancel_note == note:
        return document
    before = document.external_cancel_note
    document.external_cancel_note = note
    document.save(update_fields=["external_cancel_note", "updated_at"])
    record(
        document=document,
        action="document.external_cancel",
        actor=actor,
        changes={"external_cancel_note": {"before": before, "after": note}},
        body=note,
    )
    return document
