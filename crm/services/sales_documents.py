"""Sales documents: creating one for a lead, editing a draft's header and lines (totals kept in step), and
the record every change leaves (audit log, and the lead's history).

Only drafts are edited; leaving the draft (sending, confirming, validating, posting) and everything after
is in `crm.services.sales_documents_flow`. Every writer locks the document row first, so an edit and a
transition of the same document never interleave."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log, diff
from core.errors import ApplicationError
from core.tenancy import current_tenant
from crm.documents_math import MAX_AMOUNT, PER_RATE, document_totals, line_subtotal
from crm.models import DocumentSettings, Lead, Product, SalesDocument, SalesDocumentLine, TimelineEntry
from crm.services.timeline import timeline_add

TIMELINE_KIND = "sales_document"
# A draft edited again by the same person within this time adds no new "edited" entry to the history.
EDIT_ENTRY_WINDOW = timedelta(minutes=30)
MAX_LINES = 500
MAX_DESCRIPTION = 2000
MAX_QUANTITY = Decimal("999999999")
MAX_UNIT_PRICE = Decimal("9999999999")
HEADER_FIELDS = ("due_date", "notes", "customer_name", "customer_details")
LINE_FIELDS = ("description", "quantity", "unit", "unit_price", "discount", "tax_rate")

Kind = SalesDocument.Kind
State = SalesDocument.State


# Company, dates, settings -------------------------------------------------------------------------------


def document_settings() -> DocumentSettings:
    """The company's document settings (defaults when it never saved them)."""
    return DocumentSettings.objects.order_by("pk").first() or DocumentSettings()


def tenant_today(tenant=None) -> date:
    """Today in the company's time zone: the date printed on what is issued now."""
    tenant = tenant or current_tenant()
    try:
        zone = ZoneInfo(tenant.timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return timezone.now().astimezone(zone).date()


def _person(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


# The record every change leaves -------------------------------------------------------------------------


def add_to_history(*, document: SalesDocument, action: str, actor, body: str = "", data: dict | None = None) -> None:
    """A `sales_document` entry in the lead's history: what happened (`action`, e.g. "document.send") to
    the document, with its number, state and total at that moment."""
    timeline_add(
        lead=document.lead,
        kind=TIMELINE_KIND,
        actor=actor,
        body=body,
        data={
            "document_id": document.pk,
            "kind": document.kind,
            "number": document.number,
            "action": action.removeprefix("document."),
            "state": document.state,
            "total": str(document.total_amount),
            "currency": document.currency,
            **(data or {}),
        },
    )


def record(
    *,
    document: SalesDocument,
    action: str,
    actor,
    changes: dict | None = None,
    data: dict | None = None,
    body: str = "",
) -> None:
    """Audits `action` (a code declared in crm/manifest.py) on the document and writes it to the lead's
    history."""
    audit_log(action=action, actor=actor, obj=document, changes=changes)
    add_to_history(document=document, action=action, actor=actor, body=body, data=data)


def _record_edit(document: SalesDocument, actor, action: str, changes: dict) -> None:
    """Every edit of a draft is audited; the history gets one "edited" entry per editing session rather
    than one per keystroke: none when the lead's latest entry already says this person edited this draft
    in the last EDIT_ENTRY_WINDOW."""
    audit_log(action=action, actor=actor, obj=document, changes=changes)
    latest = (
        TimelineEntry.objects.filter(lead_id=document.lead_id)
        .order_by("-created_at", "-id")
        .values("kind", "data", "actor_id", "created_at")
        .first()
    )
    person = _person(actor)
    recent = (
        latest is not None
        and latest["kind"] == TIMELINE_KIND
        and latest["data"].get("document_id") == document.pk
        and latest["data"].get("action") in ("update", "create")
        and latest["actor_id"] == (person.pk if person else None)
        and latest["created_at"] > timezone.now() - EDIT_ENTRY_WINDOW
    )
    if not recent:
        add_to_history(document=document, action="document.update", actor=actor)


def lock(document: SalesDocument) -> SalesDocument:
    """The document, re-read with its row locked until the transaction ends."""
    return SalesDocument.objects.select_for_update(of=("self",)).select_related("lead").get(pk=document.pk)


def require_draft(document: SalesDocument) -> None:
    if document.state != State.DRAFT:
        if document.kind == Kind.INVOICE and document.state in (State.POSTED, State.PARTLY_PAID, State.PAID):
            raise ApplicationError(_("A posted invoice cannot be changed. Correct it with a credit note."))
        raise ApplicationError(
            _("Only a draft can be changed; this %(kind)s is %(state)s.")
            % {"kind": document.get_kind_display().lower(), "state": document.get_state_display().lower()}
        )


# Totals ---------------------------------------------------------------------------------------------------


def refresh_totals(document: SalesDocument, *, settings: DocumentSettings | None = None) -> SalesDocument:
    """Recomputes and stores the document's untaxed amount, taxes and total from its lines."""
    settings = settings or document_settings()
    lines = SalesDocumentLine.objects.filter(document=document).values_list("subtotal", "tax_rate")
    totals = document_totals(lines, currency=document.currency, rounding=settings.tax_rounding or PER_RATE)
    if totals.total > MAX_AMOUNT:
        raise ApplicationError(_("The document's total is too large."))
    document.untaxed_amount, document.tax_amount, document.total_amount = totals.untaxed, totals.tax, totals.total
    document.save(update_fields=["untaxed_amount", "tax_amount", "total_amount", "updated_at"])
    return document


def _check_line(line: SalesDocumentLine) -> None:
    if line.quantity is None or line.quantity <= 0:
        raise ApplicationError(_("The quantity must be more than zero."))
    if line.quantity > MAX_QUANTITY:
        raise ApplicationError(_("The quantity is too large."))
    if line.unit_price is None or line.unit_price < 0:
        raise ApplicationError(_("The unit price cannot be negative."))
    if line.unit_price > MAX_UNIT_PRICE:
        raise ApplicationError(_("The unit price is too large."))
    for value in (line.discount, line.tax_rate):
        if value is None or not (0 <= value <= 100):
            raise ApplicationError(_("Discounts and tax rates are percentages between 0 and 100."))
    if len(line.description or "") > MAX_DESCRIPTION:
        raise ApplicationError(_("A description can have at most 2,000 characters."))
    if not (line.description or "").strip() and line.product_id is None:
        raise ApplicationError(_("Choose a product or describe the line."))


def _compute_line(line: SalesDocumentLine, currency: str) -> None:
    _check_line(line)
    line.subtotal = line_subtotal(
        quantity=line.quantity, unit_price=line.unit_price, discount=line.discount, currency=currency
    )
    if line.subtotal > MAX_AMOUNT:
        raise ApplicationError(_("This line's amount is too large."))


# Creating -------------------------------------------------------------------------------------------------


def customer_name_for(lead: Lead) -> str:
    return (lead.company or lead.full_name or lead.phone)[:200]


def new_document(
    *, lead: Lead, kind: str, actor, parent: SalesDocument | None = None, seller_id: int | None = None
) -> SalesDocument:
    """An unsaved-lines draft of `kind` for `lead`, saved, in the company's currency, dated today, with the
    lead's seller; a document made from `parent` keeps its customer, seller and chain."""
    tenant = current_tenant()
    settings = document_settings()
    today = tenant_today(tenant)
    document = SalesDocument(
        kind=kind,
        lead=lead,
        state=State.DRAFT,
        issue_date=today,
        currency=parent.currency if parent else tenant.currency,
        seller_id=parent.seller_id if parent else (seller_id if seller_id is not None else lead.seller_id),
        customer_name=parent.customer_name if parent else customer_name_for(lead),
        customer_details=parent.customer_details if parent else "",
        parent=parent,
        root_id=(parent.root_id or parent.pk) if parent else None,
        created_by=_person(actor),
    )
    if kind == Kind.QUOTE:
        document.due_date = today + timedelta(days=settings.quote_validity_days)
    document.save()
    return document


@transaction.atomic
def document_create(
    *,
    lead: Lead,
    kind: str,
    actor,
    seller_id: int | None = None,
    lines: list[dict] | None = None,
    notes: str = "",
    origin: tuple[str, str] | None = None,
) -> SalesDocument:
    """Starts a draft quote, order or invoice for `lead` (delivery notes and credit notes are made from an
    order or an invoice, see the flow services). `lines` are dicts of line fields and/or a `product`;
    `origin` is (type, id) of what another app made it for. Audited and in the lead's history."""
    if kind not in (Kind.QUOTE, Kind.ORDER, Kind.INVOICE):
        raise ApplicationError(_("A delivery note or a credit note is made from an order or an invoice."))
    if len(lines or []) > MAX_LINES:
        raise ApplicationError(_("A document can have at most %(max)s lines.") % {"max": MAX_LINES})
    document = new_document(lead=lead, kind=kind, actor=actor, seller_id=seller_id)
    fields = []
    if notes:
        document.notes = notes[:10_000]
        fields.append("notes")
    if origin is not None:
        document.origin_type, document.origin_id = str(origin[0])[:64], str(origin[1])[:64]
        fields += ["origin_type", "origin_id"]
    if fields:
        document.save(update_fields=fields)
    settings = document_settings()
    for position, values in enumerate(lines or [], start=1):
        _add_line(document, position=position, settings=settings, **values)
    refresh_totals(document, settings=settings)
    record(document=document, action="document.create", actor=actor)
    return document


APPOINTMENT_ORIGIN = "agenda.appointment"


def appointment_invoice(*, appointment_id: int) -> SalesDocument | None:
    """The live (not cancelled) invoice made for this agenda appointment, if any."""
    return (
        SalesDocument.objects.filter(origin_type=APPOINTMENT_ORIGIN, origin_id=str(appointment_id), kind=Kind.INVOICE)
        .exclude(state=State.CANCELLED)
        .order_by("id")
        .first()
    )


@transaction.atomic
def invoice_for_appointment(*, appointment, actor) -> SalesDocument:
    """ "Invoice this visit": a draft invoice for the appointment's lead, with one line for its service (name,
    day and time, the service's price, the company's default tax rate), the appointment's seller, and the
    appointment recorded as its origin. Once per appointment (a cancelled invoice does not count); a
    cancelled or missed appointment is not invoiced. Raises ApplicationError otherwise, with the existing
    invoice in `extra["document"]`."""
    from agenda.models import Appointment

    appointment = (
        Appointment.objects.select_for_update(of=("self",)).select_related("lead", "service").get(pk=appointment.pk)
    )
    if appointment.status in (Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW):
        raise ApplicationError(_("A cancelled or missed appointment is not invoiced."))
    existing = appointment_invoice(appointment_id=appointment.pk)
    if existing is not None:
        raise ApplicationError(
            _("This visit is already on invoice %(number)s.") % {"number": existing.display_number},
            extra={"document": existing},
        )
    tenant = current_tenant()
    try:
        zone = ZoneInfo(tenant.timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    when = appointment.start.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    document = new_document(lead=appointment.lead, kind=Kind.INVOICE, actor=actor, seller_id=appointment.seller_id)
    document.origin_type, document.origin_id = APPOINTMENT_ORIGIN, str(appointment.pk)
    document.save(update_fields=["origin_type", "origin_id"])
    settings = document_settings()
    _add_line(
        document,
        position=1,
        settings=settings,
        description=f"{appointment.service.name} · {when}",
        quantity=Decimal(1),
        unit_price=Decimal(appointment.service.price),
    )
    refresh_totals(document, settings=settings)
    record(document=document, action="document.create", actor=actor, data={"appointment_id": appointment.pk})
    return document


# Header ---------------------------------------------------------------------------------------------------


@transaction.atomic
def document_update(*, document: SalesDocument, actor, **fields) -> SalesDocument:
    """Edits a draft's due date (validity of a quote), notes and customer. Audits what changed."""
    unknown = set(fields) - set(HEADER_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown document fields: {', '.join(sorted(unknown))}")
    document = lock(document)
    require_draft(document)
    if "due_date" in fields and fields["due_date"] is not None:
        if not isinstance(fields["due_date"], date) or isinstance(fields["due_date"], datetime):
            raise ApplicationError(_("Enter a valid date."))
        if fields["due_date"] < document.issue_date:
            raise ApplicationError(_("The due date cannot be before the document's date."))
    for name in ("notes", "customer_details"):
        if name in fields:
            fields[name] = (fields[name] or "")[:10_000]
    if "customer_name" in fields:
        fields["customer_name"] = (fields["customer_name"] or "").strip()[:200]
    before = {name: getattr(document, name) for name in fields}
    for name, value in fields.items():
        setattr(document, name, value)
    changes = diff(before, fields)
    if changes:
        document.save(update_fields=[*fields, "updated_at"])
        _record_edit(document, actor, "document.update", changes)
    return document


# Lines ----------------------------------------------------------------------------------------------------


def _add_line(
    document: SalesDocument,
    *,
    position: int,
    settings: DocumentSettings,
    product: Product | None = None,
    order_line: SalesDocumentLine | None = None,
    **values,
) -> SalesDocumentLine:
    unknown = set(values) - set(LINE_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown line fields: {', '.join(sorted(unknown))}")
    line = SalesDocumentLine(document=document, position=position, product=product, order_line=order_line)
    if product is not None:
        line.description = product.name + (f"\n{product.description}" if product.description else "")
        line.unit_price, line.tax_rate, line.unit = product.unit_price, product.tax_rate, product.unit
    else:
        line.tax_rate = settings.default_tax_rate
    for name, value in values.items():
        if value is not None:
            setattr(line, name, value)
    line.description = (line.description or "").strip()
    _compute_line(line, document.currency)
    line.save()
    return line


@transaction.atomic
def line_add(*, document: SalesDocument, actor, product: Product | None = None, **values) -> SalesDocumentLine:
    """Adds a line at the end of a draft: a product (its name, price, tax and unit, unless given) or free
    text. Refreshes the totals; audited."""
    document = lock(document)
    require_draft(document)
    if product is not None and not product.active:
        raise ApplicationError(_("This product is archived."))
    count = document.lines.count()
    if count >= MAX_LINES:
        raise ApplicationError(_("A document can have at most %(max)s lines.") % {"max": MAX_LINES})
    last = document.lines.order_by("-position").values_list("position", flat=True).first() or 0
    if product is None and not (values.get("description") or "").strip():
        values["description"] = str(_("New line"))
    line = _add_line(document, position=last + 1, settings=document_settings(), product=product, **values)
    refresh_totals(document)
    _record_edit(
        document,
        actor,
        "document.line.add",
        {"line": {"before": None, "after": line.description.splitlines()[0] if line.description else ""}},
    )
    return line


def _line_of(document: SalesDocument, line_id: int) -> SalesDocumentLine:
    line = SalesDocumentLine.objects.filter(document=document, pk=line_id).select_related("product").first()
    if line is None:
        raise ApplicationError(_("This line is no longer on the document."))
    return line


@transaction.atomic
def line_update(*, document: SalesDocument, line_id: int, actor, **values) -> SalesDocumentLine:
    """Changes a draft line's description, quantity, unit, unit price, discount or tax rate. On a delivery
    note only the quantity (and description) change: prices belong to the order."""
    unknown = set(values) - set(LINE_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown line fields: {', '.join(sorted(unknown))}")
    document = lock(document)
    require_draft(document)
    if document.kind == Kind.DELIVERY:
        values = {name: value for name, value in values.items() if name in ("quantity", "description")}
    line = _line_of(document, line_id)
    before = {name: getattr(line, name) for name in values}
    for name, value in values.items():
        setattr(line, name, value.strip() if isinstance(value, str) else value)
    _compute_line(line, document.currency)
    changes = diff(before, {name: getattr(line, name) for name in values})
    if changes:
        line.save()
        refresh_totals(document)
        _record_edit(
            document, actor, "document.line.update", {f"line {line.position} {k}": v for k, v in changes.items()}
        )
    return line


@transaction.atomic
def line_set_product(*, document: SalesDocument, line_id: int, product: Product | None, actor) -> SalesDocumentLine:
    """Puts `product` on a draft line, taking its description, unit price, tax rate and unit (None: the
    line becomes free text, keeping its values)."""
    document = lock(document)
    require_draft(document)
    if document.kind == Kind.DELIVERY:
        raise ApplicationError(_("A delivery note's lines come from its order."))
    line = _line_of(document, line_id)
    if product is not None and not product.active:
        raise ApplicationError(_("This product is archived."))
    before = str(line.product) if line.product_id else None
    line.product = product
    if product is not None:
        line.description = product.name + (f"\n{product.description}" if product.description else "")
        line.unit_price, line.tax_rate, line.unit = product.unit_price, product.tax_rate, product.unit
    elif not line.description:
        line.description = str(_("New line"))
    _compute_line(line, document.currency)
    line.save()
    refresh_totals(document)
    _record_edit(
        document,
        actor,
        "document.line.update",
        {f"line {line.position} product": {"before": before, "after": str(product) if product else None}},
    )
    return line


@transaction.atomic
def line_delete(*, document: SalesDocument, line_id: int, actor) -> None:
    document = lock(document)
    require_draft(document)
    line = _line_of(document, line_id)
    label = line.description.splitlines()[0] if line.description else ""
    line.delete()
    refresh_totals(document)
    _record_edit(document, actor, "document.line.delete", {"line": {"before": label, "after": None}})


# The company's document settings --------------------------------------------------------------------------

SETTINGS_FIELDS = (
    "legal_name", "address", "tax_id", "email", "phone", "bank_details", "payment_terms_days",
    "quote_validity_days", "default_tax_rate", "tax_rounding", "footer",
)  # fmt: skip


@transaction.atomic
def document_settings_update(*, actor, **fields) -> DocumentSettings:
    """Saves what the company's documents print and how they compute (numbered documents keep their
    totals: a new rounding applies to the totals computed from then on). Audits the changed fields."""
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown settings: {', '.join(sorted(unknown))}")
    settings = DocumentSettings.objects.select_for_update().order_by("pk").first() or DocumentSettings()
    before = {name: getattr(settings, name) for name in fields}
    for name, value in fields.items():
        setattr(settings, name, value)
    try:
        settings.full_clean()
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages)) from error
    changes = diff(before, fields)
    if changes or settings.pk is None:
        settings.save()
        audit_log(action="document.settings", actor=actor, obj=settings, changes=changes)
    return settings
