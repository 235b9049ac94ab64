"""Products and sales documents: quotes, orders, delivery notes, invoices and credit notes, their lines,
the payments recorded against invoices, the numbering counters and the company's document settings.

Documents are written only by `crm.services.sales_documents` (edits) and
`crm.services.sales_documents_flow` (the state machine, numbering, conversions, payments): those keep the
totals, the numbers, the chain, the lead's history and the audit log right. Amounts are Decimal, stored
with four decimal places and rounded to the currency's minor unit by the services."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import TimeStampedModel, user_reference
from crm.models.leads import Lead

MAX_MONEY = Decimal("999999999999.9999")
MONEY = {"max_digits": 16, "decimal_places": 4}
QUANTITY = {"max_digits": 12, "decimal_places": 3}
PERCENT = {"max_digits": 5, "decimal_places": 2}
# Tax rates keep three decimals: some are set to the thousandth (New York City's sales tax is 8.875 %).
TAX_RATE = {"max_digits": 6, "decimal_places": 3}


def _percent_validators():
    return [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class Product(TimeStampedModel):
    """Something the company sells: name, internal reference (SKU, unique when given), price and tax."""

    name = models.CharField(_("name"), max_length=200)
    sku = models.CharField(_("internal reference"), max_length=64, blank=True)
    description = models.TextField(_("description"), blank=True)
    unit_price = models.DecimalField(
        _("unit price"), max_digits=14, decimal_places=4, default=0, validators=[MinValueValidator(Decimal(0))]
    )
    tax_rate = models.DecimalField(_("tax rate (%)"), **TAX_RATE, default=0, validators=_percent_validators())
    unit = models.CharField(_("unit"), max_length=20, blank=True, help_text=_("For example: unit, hour, kg."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.UniqueConstraint(Lower("sku"), condition=~Q(sku=""), name="product_sku_unique_ci"),
        ]
        indexes = [models.Index(fields=["active", "name"], name="product_active_name_idx")]

    def __str__(self) -> str:
        return f"[{self.sku}] {self.name}" if self.sku else self.name


class SalesDocument(TimeStampedModel):
    """A quote, order, delivery note, invoice or credit note of a lead.

    `number` is given when the document leaves its draft (per kind and year, gap-free: Q-2026-0001,
    SO-, DN-, INV-, CN-) and is empty before. `parent` is the document it came from (quote -> order,
    order -> delivery note or invoice, invoice -> credit note) and `root` the first document of that
    chain (None for the first itself), so a whole chain reads in one query."""

    class Kind(models.TextChoices):
        QUOTE = "quote", _("Quote")
        ORDER = "order", _("Order")
        DELIVERY = "delivery", _("Delivery note")
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("document state", "Draft")
        SENT = "sent", pgettext_lazy("document state", "Sent")
        ACCEPTED = "accepted", pgettext_lazy("document state", "Accepted")
        REJECTED = "rejected", pgettext_lazy("document state", "Rejected")
        CONFIRMED = "confirmed", pgettext_lazy("document state", "Confirmed")
        PARTLY_DELIVERED = "partly_delivered", pgettext_lazy("document state", "Partly delivered")
        DELIVERED = "delivered", pgettext_lazy("document state", "Delivered")
        PARTLY_INVOICED = "partly_invoiced", pgettext_lazy("document state", "Partly invoiced")
        INVOICED = "invoiced", pgettext_lazy("document state", "Invoiced")
        DONE = "done", pgettext_lazy("document state", "Done")
        POSTED = "posted", pgettext_lazy("document state", "Posted")
        PARTLY_PAID = "partly_paid", pgettext_lazy("document state", "Partly paid")
        PAID = "paid", pgettext_lazy("document state", "Paid")
        CANCELLED = "cancelled", pgettext_lazy("document state", "Cancelled")

    # The states each kind goes through, in their usual order.
    STATES = {
        Kind.QUOTE: (State.DRAFT, State.SENT, State.ACCEPTED, State.REJECTED, State.CANCELLED),
        Kind.ORDER: (
            State.DRAFT,
            State.CONFIRMED,
            State.PARTLY_DELIVERED,
            State.DELIVERED,
            State.PARTLY_INVOICED,
            State.INVOICED,
            State.CANCELLED,
        ),
        Kind.DELIVERY: (State.DRAFT, State.DONE, State.CANCELLED),
        Kind.INVOICE: (State.DRAFT, State.POSTED, State.PARTLY_PAID, State.PAID, State.CANCELLED),
        Kind.CREDIT_NOTE: (State.DRAFT, State.POSTED, State.CANCELLED),
    }
    PREFIXES = {
        Kind.QUOTE: "Q",
        Kind.ORDER: "SO",
        Kind.DELIVERY: "DN",
        Kind.INVOICE: "INV",
        Kind.CREDIT_NOTE: "CN",
    }

    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=32, blank=True)
    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="sales_documents", verbose_name=_("lead"))
    seller = user_reference(verbose_name=_("seller"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    issue_date = models.DateField(_("date"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    customer_name = models.CharField(_("customer"), max_length=200, blank=True)
    customer_details = models.TextField(_("customer address and tax id"), blank=True)
    untaxed_amount = models.DecimalField(_("untaxed amount"), **MONEY, default=0)
    tax_amount = models.DecimalField(_("taxes"), **MONEY, default=0)
    total_amount = models.DecimalField(_("total"), **MONEY, default=0)
    amount_paid = models.DecimalField(_("amount paid"), **MONEY, default=0)
    # Of an invoice: the total of its posted credit notes.
    amount_credited = models.DecimalField(_("amount credited"), **MONEY, default=0)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("from")
    )
    root = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    notes = models.TextField(_("notes"), blank=True)
    created_by = user_reference()
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # What the document was made for outside the chain, e.g. "agenda.appointment" 12 ("invoice this visit").
    origin_type = models.CharField(_("made for"), max_length=64, blank=True)
    origin_id = models.CharField(max_length=64, blank=True)
    # Set when the accounting system says it cancelled the document: a person decides what to do here.
    external_cancel_note = models.CharField(_("cancelled in accounting"), max_length=255, blank=True)

    class Meta:
        ordering = ["-issue_date", "-id"]
        verbose_name = _("sales document")
        verbose_name_plural = _("sales documents")
        constraints = [
            models.UniqueConstraint(fields=["number"], condition=~Q(number=""), name="salesdocument_number_unique"),
        ]
        indexes = [
            models.Index(fields=["-issue_date", "-id"], name="salesdoc_date_idx"),
            models.Index(fields=["kind", "-issue_date", "-id"], name="salesdoc_kind_date_idx"),
            models.Index(fields=["kind", "state", "-issue_date"], name="salesdoc_kind_state_idx"),
            models.Index(fields=["seller", "kind", "-issue_date"], name="salesdoc_seller_idx"),
            models.Index(fields=["lead", "-issue_date"], name="salesdoc_lead_idx"),
            models.Index(fields=["root"], name="salesdoc_root_idx"),
            models.Index(fields=["kind", "total_amount"], name="salesdoc_kind_total_idx"),
            models.Index(fields=["origin_type", "origin_id"], name="salesdoc_origin_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.display_number}"

    @property
    def display_number(self) -> str:
        """The number, or "Draft #<id>" before it has one."""
        return self.number or _("Draft #%(id)s") % {"id": self.pk}

    @property
    def is_draft(self) -> bool:
        return self.state == self.State.DRAFT

    @property
    def is_editable(self) -> bool:
        """Only drafts are edited; a posted invoice is corrected with a credit note."""
        return self.state == self.State.DRAFT

    @property
    def amount_due(self) -> Decimal:
        """Of an invoice: what is left to pay once payments and credit notes are counted."""
        return max(Decimal(0), self.total_amount - self.amount_paid - self.amount_credited)

    @property
    def chain_root_id(self) -> int:
        return self.root_id or self.pk


class SalesDocumentLine(models.Model):
    """A line of a document: a product (or free text), quantity, unit price, discount and tax rate.
    `subtotal` is the untaxed amount after the discount, rounded to the currency. Lines of delivery
    notes, invoices and credit notes made from an order point at the order line in `order_line`."""

    document = models.ForeignKey(SalesDocument, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("position"), default=0)
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("product")
    )
    description = models.TextField(_("description"), blank=True)
    quantity = models.DecimalField(_("quantity"), **QUANTITY, default=1)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=4, default=0)
    discount = models.DecimalField(_("discount (%)"), **PERCENT, default=0, validators=_percent_validators())
    tax_rate = models.DecimalField(_("tax rate (%)"), **TAX_RATE, default=0, validators=_percent_validators())
    subtotal = models.DecimalField(_("subtotal"), **MONEY, default=0)
    order_line = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="followups", verbose_name=_("order line")
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("document line")
        verbose_name_plural = _("document lines")
        indexes = [models.Index(fields=["document", "position"], name="salesdocline_doc_idx")]

    def __str__(self) -> str:
        return self.description or (self.product.name if self.product_id else "")


class Payment(models.Model):
    """Money received against an invoice. `external`: recorded because the accounting system said so."""

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        CARD = "card", _("Card")
        TRANSFER = "transfer", _("Bank transfer")

    document = models.ForeignKey(SalesDocument, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount"), **MONEY)
    date = models.DateField(_("date"))
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    external = models.BooleanField(_("from accounting"), default=False)
    created_by = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return f"{self.amount} {self.date}"


class DocumentSequence(models.Model):
    """The last number given per document kind and year. Numbers are taken with an upsert that locks
    this row until the numbering transaction ends, so they are gap-free and never given twice."""

    kind = models.CharField(max_length=16)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("document numbering")
        verbose_name_plural = _("document numbering")
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="documentsequence_kind_year_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last_number}"


class DocumentSettings(models.Model):
    """One row per company: what its documents print and how they compute."""

    class TaxRounding(models.TextChoices):
        PER_RATE = "per_rate", _("Round the tax of each rate on the document's total")
        PER_LINE = "per_line", _("Round the tax of each line")

    legal_name = models.CharField(_("legal name"), max_length=200, blank=True, help_text=_("Empty: the company name."))
    address = models.TextField(_("address"), blank=True)
    tax_id = models.CharField(_("tax id"), max_length=64, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    bank_details = models.CharField(_("bank details"), max_length=255, blank=True, help_text=_("For example: IBAN."))
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), default=30, validators=[MaxValueValidator(365)]
    )
    quote_validity_days = models.PositiveSmallIntegerField(
        _("quotes valid for (days)"), default=30, validators=[MaxValueValidator(365)]
    )
    default_tax_rate = models.DecimalField(
        _("default tax rate (%)"), **TAX_RATE, default=0, validators=_percent_validators()
    )
    tax_rounding = models.CharField(
        _("tax rounding"), max_length=16, choices=TaxRounding.choices, default=TaxRounding.PER_RATE
    )
    footer = models.TextField(_("footer"), blank=True, help_text=_("Printed at the bottom of every document."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("document settings")
        verbose_name_plural = _("document settings")

    def __str__(self) -> str:
        return str(_("Document settings"))
