"""The Odoo side of a push, step by step, on plain data (no ORM): partner, products, the confirmed
`sale.order`, each validated `stock.picking`, and the posted `account.move`.

Every step is idempotent the same way: it first asks `links` (the `sync_external` table) whether the
local object already has its Odoo record; then it looks in Odoo for the record by the reference the
push writes on it (phone or email for a partner, the SKU for a product, the order number in
`client_order_ref`, the delivery number in the picking's `origin`, the invoice number in `ref`); only
then does it create, and it records the link at once. A worker killed between Odoo's create and our
write therefore finds the record on the next run instead of making a second one.

Facts about Odoo's API handled here (seen against a real Odoo 17, see ../shared/contracts/README.md):
`sale.order._create_invoices` is private over RPC, so invoices come from the `sale.advance.payment.inv`
wizard; `stock.picking.button_validate` may answer with a wizard (SMS confirmation, backorder,
immediate transfer) instead of validating, so it is called with `skip_sms` and `skip_backorder`, any
wizard it still returns is processed, and the state is read back; methods whose None result XML-RPC
cannot marshal are followed by a read. Field names that changed between versions (`tax_id` ->
`tax_ids` on order lines in 19, `quantity_done` -> `quantity` + `picked` on moves in 17) follow the
server's version.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol

from django.utils.translation import gettext as _

from core.errors import PermanentClientError
from odoo_sync.clients.odoo import OdooTransport

# Local types in sync_external.
PARTNER, PRODUCT, DOCUMENT = "crm.lead", "crm.product", "crm.salesdocument"
GENERIC_PRODUCT_CODE = "CRM-ITEM"
WIZARDS = {
    "confirm.stock.sms": "dont_send_sms",
    "stock.backorder.confirmation": "process",
    "stock.immediate.transfer": "process",
}
MOVE_FIELDS = ["name", "state", "ref", "move_type", "amount_total", "amount_residual", "payment_state"]


@dataclass(frozen=True)
class PartnerData:
    local_id: int
    name: str
    phone: str = ""
    email: str = ""
    company: str = ""


@dataclass(frozen=True)
class ProductData:
    local_id: int | None  # None: a line typed without a product (one generic Odoo product stands in)
    name: str
    sku: str = ""
    unit_price: Decimal = Decimal("0")
    description: str = ""


@dataclass(frozen=True)
class LineData:
    position: int
    product: ProductData
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal = Decimal("0")
    tax_rate: Decimal = Decimal("0")


@dataclass(frozen=True)
class OrderData:
    local_id: int
    number: str
    partner: PartnerData
    lines: tuple[LineData, ...]
    notes: str = ""


@dataclass(frozen=True)
class DeliveryData:
    local_id: int
    number: str
    # (position of the order line, quantity delivered)
    quantities: tuple[tuple[int, Decimal], ...]


@dataclass(frozen=True)
class InvoiceData:
    local_id: int
    number: str
    partner: PartnerData
    lines: tuple[LineData, ...]
    issue_date: date | None = None
    due_date: date | None = None
    # Other references an earlier push may have written (a draft's, before it had a number).
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Link:
    external_id: int
    external_ref: str = ""


class Links(Protocol):
    """Where the push reads and records what exists in Odoo (sync_external)."""

    def get(self, local_type: str, local_id: int) -> Link | None: ...

    def set(self, local_type: str, local_id: int, *, model: str, external_id: int, ref: str = "") -> None: ...

    def guard(self, local_type: str, local_id: int) -> AbstractContextManager:
        """Held while finding or creating the object's Odoo record, so two workers never both create it."""


@dataclass
class Pusher:
    """One push's steps over one transport. Caches the server version and tax ids for the push."""

    client: OdooTransport
    links: Links
    _major: int | None = None
    _taxes: dict = field(default_factory=dict)

    @property
    def major(self) -> int:
        if self._major is None:
            self._major = self.client.version().major
        return self._major

    # ---- partner and products ------------------------------------------------------------------
    def partner(self, partner: PartnerData) -> int:
        link = self.links.get(PARTNER, partner.local_id)
        if link:
            return link.external_id
        with self.links.guard(PARTNER, partner.local_id):
            return self._partner(partner)

    def _partner(self, partner: PartnerData) -> int:
        link = self.links.get(PARTNER, partner.local_id)
        if link:
            return link.external_id
        terms = [("phone", "=", partner.phone)] if partner.phone else []
        if partner.email:
            terms.append(("email", "=ilike", partner.email))
        found = []
        if terms:
            domain = ["|"] * (len(terms) - 1) + terms
            found = self.client.search_read("res.partner", domain, ["name"], limit=1, order="id")
        if found:
            partner_id = found[0]["id"]
        else:
            values = {"name": partner.name, "customer_rank": 1}
            if partner.phone:
                values["phone"] = partner.phone
            if partner.email:
                values["email"] = partner.email
            partner_id = self.client.create("res.partner", values)
        self.links.set(PARTNER, partner.local_id, model="res.partner", external_id=partner_id)
        return partner_id

    def product(self, product: ProductData) -> int:
        if product.local_id is None:
            return self._product(product)
        link = self.links.get(PRODUCT, product.local_id)
        if link:
            return link.external_id
        with self.links.guard(PRODUCT, product.local_id):
            return self._product(product)

    def _product(self, product: ProductData) -> int:
        if product.local_id is not None:
            link = self.links.get(PRODUCT, product.local_id)
            if link:
                return link.external_id
        code = product.sku or (GENERIC_PRODUCT_CODE if product.local_id is None else "")
        domain = [("default_code", "=", code)] if code else [("name", "=", product.name), ("default_code", "=", False)]
        found = self.client.search_read("product.product", domain, ["name"], limit=1, order="id")
        if found:
            product_id = found[0]["id"]
        else:
            values = {
                "name": product.name if product.local_id is not None else _("Sales item (CRM)"),
                "list_price": float(product.unit_price),
                "type": "consu",
                "sale_ok": True,
            }
            if code:
                values["default_code"] = code
            if product.description:
                values["description_sale"] = product.description
            product_id = self.client.create("product.product", values)
        if product.local_id is not None:
            self.links.set(PRODUCT, product.local_id, model="product.product", external_id=product_id)
        return product_id

    def taxes(self, rate: Decimal) -> list[int]:
        if not rate:
            return []
        key = str(Decimal(rate).normalize())
        if key not in self._taxes:
            found = self.client.search_read(
                "account.tax",
                [
                    ("type_tax_use", "=", "sale"),
                    ("amount_type", "=", "percent"),
                    ("amount", "=", float(rate)),
                    ("price_include", "=", False),
                ],
                ["name"],
                limit=1,
                order="id",
            )
            if not found:
                raise PermanentClientError(
                    _(
                        "Odoo has no %(rate)s%% sales tax (excluded from the price). Create it in Odoo "
                        "(Invoicing, Configuration, Taxes), then send again."
                    )
                    % {"rate": key},
                    code="tax",
                )
            self._taxes[key] = [found[0]["id"]]
        return self._taxes[key]

    # ---- sale.order ----------------------------------------------------------------------------
    def _order_line(self, line: LineData) -> dict:
        tax_field = "tax_ids" if self.major >= 19 else "tax_id"
        return {
            "product_id": self.product(line.product),
            "name": line.description or line.product.name,
            "sequence": line.position,
            "product_uom_qty": float(line.quantity),
            "price_unit": float(line.unit_price),
            "discount": float(line.discount),
            tax_field: [(6, 0, self.taxes(line.tax_rate))],
        }

    def order(self, order: OrderData) -> Link:
        """The confirmed sale.order of `order` (found by its number in client_order_ref, or created)."""
        link = self.links.get(DOCUMENT, order.local_id)
        if link:
            return link
        with self.links.guard(DOCUMENT, order.local_id):
            return self._order(order)

    def _order(self, order: OrderData) -> Link:
        link = self.links.get(DOCUMENT, order.local_id)
        if link:
            return link
        partner_id = self.partner(order.partner)
        found = self.client.search_read(
            "sale.order", [("client_order_ref", "=", order.number)], ["name", "state"], limit=1, order="id"
        )
        if found:
            order_id, state, name = found[0]["id"], found[0]["state"], found[0]["name"]
        else:
            values = {
                "partner_id": partner_id,
                "client_order_ref": order.number,
                "order_line": [(0, 0, self._order_line(line)) for line in order.lines],
            }
            if order.notes:
                values["note"] = order.notes
            order_id, state, name = self.client.create("sale.order", values), "draft", ""
        if state == "cancel":
            raise PermanentClientError(
                _("The order %(number)s is cancelled in Odoo.") % {"number": order.number}, code="cancelled"
            )
        if state in ("draft", "sent"):
            self.client.call("sale.order", "action_confirm", [order_id])
        read = self.client.read("sale.order", [order_id], ["name", "state"])
        if not read or read[0]["state"] not in ("sale", "done"):
            state = read[0]["state"] if read else "?"
            raise PermanentClientError(
                _("Odoo did not confirm the order (its state is %(state)s).") % {"state": state}, code="state"
            )
        name = read[0]["name"]
        self.links.set(DOCUMENT, order.local_id, model="sale.order", external_id=order_id, ref=name)
        return Link(order_id, name)

    # ---- stock.picking -------------------------------------------------------------------------
    def delivery(self, delivery: DeliveryData, order: Link) -> Link:
        """The validated picking of `delivery`: the one marked with its number, or the order's next
        open delivery, with the quantities of the delivery's lines (the rest goes to a backorder)."""
        link = self.links.get(DOCUMENT, delivery.local_id)
        if link:
            return link
        with self.links.guard(DOCUMENT, delivery.local_id):
            return self._delivery(delivery, order)

    def _delivery(self, delivery: DeliveryData, order: Link) -> Link:
        link = self.links.get(DOCUMENT, delivery.local_id)
        if link:
            return link
        pickings = self.client.search_read(
            "stock.picking",
            [("sale_id", "=", order.external_id), ("picking_type_code", "=", "outgoing")],
            ["name", "state", "origin"],
            order="id",
        )
        marked = [p for p in pickings if p["origin"] in (delivery.number, f"{order.external_ref} / {delivery.number}")]
        if marked:
            picking = marked[0]
        else:
            open_pickings = [p for p in pickings if p["state"] not in ("done", "cancel")]
            if not open_pickings:
                raise PermanentClientError(
                    _("Odoo has no open delivery for the order %(order)s.") % {"order": order.external_ref},
                    code="picking",
                )
            picking = open_pickings[0]
            marker = f"{order.external_ref} / {delivery.number}" if order.external_ref else delivery.number
            self.client.write("stock.picking", [picking["id"]], {"origin": marker})
        if picking["state"] != "done":
            self._set_quantities(picking["id"], delivery, order)
            self._validate(picking["id"])
        read = self.client.read("stock.picking", [picking["id"]], ["name", "state"])
        if not read or read[0]["state"] != "done":
            state = read[0]["state"] if read else "?"
            raise PermanentClientError(
                _("Odoo did not validate the delivery (its state is %(state)s).") % {"state": state}, code="state"
            )
        self.links.set(
            DOCUMENT, delivery.local_id, model="stock.picking", external_id=picking["id"], ref=read[0]["name"]
        )
        return Link(picking["id"], read[0]["name"])

    def _set_quantities(self, picking_id: int, delivery: DeliveryData, order: Link) -> None:
        """The picking's move quantities from the delivery's lines. A delivery of everything the picking
        holds writes nothing: Odoo validates a picking's full demand by itself (17+ reserves it as the
        moves' quantity; before 17 the immediate-transfer wizard, handled in _validate, does)."""
        quantity_field = "quantity" if self.major >= 17 else "quantity_done"
        moves = self.client.search_read(
            "stock.move", [("picking_id", "=", picking_id)], ["sale_line_id", "product_uom_qty", quantity_field]
        )
        lines = self.client.search_read("sale.order.line", [("order_id", "=", order.external_id)], ["sequence"])
        position_of = {line["id"]: line["sequence"] for line in lines}
        wanted: dict[int, Decimal] = {}
        for position, quantity in delivery.quantities:
            wanted[position] = wanted.get(position, Decimal("0")) + quantity
        planned = []
        for move in moves:
            line_id = move["sale_line_id"][0] if move["sale_line_id"] else None
            demand = Decimal(str(move["product_uom_qty"]))
            planned.append((move, float(min(wanted.get(position_of.get(line_id), Decimal("0")), demand)), demand))
        if all(quantity == float(demand) for _move, quantity, demand in planned):
            return
        for move, quantity, _demand in planned:
            values = {quantity_field: quantity}
            if self.major >= 17:
                values["picked"] = quantity > 0
            self.client.write("stock.move", [move["id"]], values)

    def _validate(self, picking_id: int) -> None:
        context = {"skip_sms": True, "skip_backorder": True}
        result = self.client.call("stock.picking", "button_validate", [picking_id], context=context)
        for _round in range(3):
            if not isinstance(result, dict) or result.get("res_model") not in WIZARDS:
                return  # True, None (not marshalled) or a client action: the state read next decides
            model = result["res_model"]
            wizard_context = {**(result.get("context") or {}), **context}
            pick_ids = [command[1] for command in wizard_context.get("default_pick_ids", []) if command[0] == 4]
            wizard_id = self.client.create(
                model, {"pick_ids": [(6, 0, pick_ids or [picking_id])]}, context=wizard_context
            )
            result = self.client.call(model, WIZARDS[model], [wizard_id], context=wizard_context)

    # ---- account.move --------------------------------------------------------------------------
    def invoice(self, invoice: InvoiceData, order: Link | None) -> dict:
        """The posted out_invoice of `invoice` (by its number in `ref`; from the order through Odoo's
        invoicing wizard, or created directly when it has no order), read back."""
        with self.links.guard(DOCUMENT, invoice.local_id):
            return self._invoice(invoice, order)

    def _invoice(self, invoice: InvoiceData, order: Link | None) -> dict:
        link = self.links.get(DOCUMENT, invoice.local_id)
        move_id = link.external_id if link else None
        if move_id is None:
            move_id = self._find_invoice(invoice, order)
        if move_id is None:
            move_id = self._make_invoice(invoice, order)
        read = self.client.read("account.move", [move_id], MOVE_FIELDS)
        if not read:
            raise PermanentClientError(_("The invoice was deleted in Odoo."), code="missing")
        move = read[0]
        if move["ref"] != invoice.number and move["state"] == "draft":
            self.client.write("account.move", [move_id], {"ref": invoice.number})
        if move["state"] == "draft":
            self.client.call("account.move", "action_post", [move_id])
            move = self.client.read("account.move", [move_id], MOVE_FIELDS)[0]
        if move["state"] != "posted":
            raise PermanentClientError(
                _("Odoo did not post the invoice (its state is %(state)s).") % {"state": move["state"]}, code="state"
            )
        self.links.set(DOCUMENT, invoice.local_id, model="account.move", external_id=move_id, ref=move["name"])
        return move

    def _find_invoice(self, invoice: InvoiceData, order: Link | None) -> int | None:
        found = self.client.search_read(
            "account.move",
            [
                ("move_type", "=", "out_invoice"),
                ("ref", "in", [invoice.number, *invoice.aliases]),
                ("state", "!=", "cancel"),
            ],
            ["state"],
            limit=1,
            order="id",
        )
        if found:
            return found[0]["id"]
        if order is None:
            return None
        # A draft the wizard made before a crash, not yet marked with our number: adopt it.
        invoice_ids = self.client.read("sale.order", [order.external_id], ["invoice_ids"])[0]["invoice_ids"]
        drafts = [
            move["id"]
            for move in self.client.read("account.move", invoice_ids, ["state", "move_type", "ref"])
            if move["state"] == "draft" and move["move_type"] == "out_invoice"
        ]
        return drafts[0] if drafts else None

    def _make_invoice(self, invoice: InvoiceData, order: Link | None) -> int:
        if order is not None:
            context = {"active_model": "sale.order", "active_ids": [order.external_id], "active_id": order.external_id}
            wizard = self.client.create(
                "sale.advance.payment.inv", {"advance_payment_method": "delivered"}, context=context
            )
            action = self.client.call("sale.advance.payment.inv", "create_invoices", [wizard], context=context)
            if isinstance(action, dict) and action.get("res_id"):
                move_id = action["res_id"]
            else:
                invoice_ids = self.client.read("sale.order", [order.external_id], ["invoice_ids"])[0]["invoice_ids"]
                drafts = [
                    move["id"]
                    for move in self.client.read("account.move", invoice_ids, ["state", "move_type"])
                    if move["state"] == "draft" and move["move_type"] == "out_invoice"
                ]
                if not drafts:
                    raise PermanentClientError(_("Odoo's invoicing wizard made no invoice."), code="wizard")
                move_id = drafts[-1]
            self.client.write("account.move", [move_id], {"ref": invoice.number})
            return move_id
        values = {
            "move_type": "out_invoice",
            "partner_id": self.partner(invoice.partner),
            "ref": invoice.number,
            "invoice_line_ids": [
                (
                    0,
                    0,
                    {
                        "product_id": self.product(line.product),
                        "name": line.description or line.product.name,
                        "quantity": float(line.quantity),
                        "price_unit": float(line.unit_price),
                        "discount": float(line.discount),
                        "tax_ids": [(6, 0, self.taxes(line.tax_rate))],
                    },
                )
                for line in invoice.lines
            ],
        }
        if invoice.issue_date:
            values["invoice_date"] = invoice.issue_date.isoformat()
        if invoice.due_date:
            values["invoice_date_due"] = invoice.due_date.isoformat()
        return self.client.create("account.move", values)
