"""The fake Odoo's computed fields (amounts, an order's invoices and pickings) and business methods:
confirming an order makes its delivery, validating a picking may answer with a wizard (SMS, backorder,
immediate transfer before 17), the invoicing wizard makes the invoice from the order's lines, posting
numbers it. Mixed into `FakeOdoo`; `execute` calls a method as `_<model>__<method>(ids, context)`."""

from __future__ import annotations

import copy
from datetime import date

from odoo_sync.fake_odoo.base import UserError, _money


class BusinessMethods:
    # ---- computed fields -------------------------------------------------------------------------
    def _line_tax_rate(self, line: dict, field_name: str) -> float:
        return sum(self.tables["account.tax"][tid]["amount"] for tid in line.get(field_name) or [])

    def _sale_line_amounts(self, line: dict) -> tuple[float, float]:
        tax_field = "tax_ids" if self.major >= 19 else "tax_id"
        subtotal = _money(line["product_uom_qty"] * line["price_unit"] * (1 - (line.get("discount") or 0) / 100))
        return subtotal, _money(subtotal * self._line_tax_rate(line, tax_field) / 100)

    def _move_line_amounts(self, line: dict) -> tuple[float, float]:
        subtotal = _money(line["quantity"] * line["price_unit"] * (1 - (line.get("discount") or 0) / 100))
        return subtotal, _money(subtotal * self._line_tax_rate(line, "tax_ids") / 100)

    def _children(self, model: str, parent_field: str, parent_id: int) -> list[tuple[int, dict]]:
        return sorted((cid, c) for cid, c in self.tables[model].items() if c.get(parent_field) == parent_id)

    def _compute(self, model: str, rid: int, row: dict, name: str):
        if model == "sale.order":
            lines = [line for _cid, line in self._children("sale.order.line", "order_id", rid)]
            amounts = [self._sale_line_amounts(line) for line in lines]
            if name == "amount_untaxed":
                return _money(sum(a for a, _t in amounts))
            if name == "amount_tax":
                return _money(sum(t for _a, t in amounts))
            if name == "amount_total":
                return _money(sum(a + t for a, t in amounts))
            if name == "invoice_ids":
                return sorted(
                    mid
                    for mid, move in self.tables["account.move"].items()
                    if move.get("invoice_origin") == row["name"]
                )
            if name == "picking_ids":
                return sorted(pid for pid, p in self.tables["stock.picking"].items() if p.get("sale_id") == rid)
            if name == "invoice_status":
                pending = [line for line in lines if line["qty_invoiced"] < line["product_uom_qty"]]
                return "to invoice" if pending and row["state"] == "sale" else ("invoiced" if lines else "no")
        if model == "sale.order.line":
            subtotal, tax = self._sale_line_amounts(row)
            return {"price_subtotal": subtotal, "price_tax": tax, "price_total": _money(subtotal + tax)}[name]
        if model == "account.move.line":
            return self._move_line_amounts(row)[0]
        if model == "account.move":
            lines = [line for _cid, line in self._children("account.move.line", "move_id", rid)]
            amounts = [self._move_line_amounts(line) for line in lines]
            untaxed = _money(sum(a for a, _t in amounts))
            tax = _money(sum(t for _a, t in amounts))
            if name == "amount_untaxed":
                return untaxed
            if name == "amount_tax":
                return tax
            if name == "amount_total":
                return _money(untaxed + tax)
            if name == "amount_residual":
                if row["state"] != "posted":
                    return _money(untaxed + tax) if row["state"] == "draft" else 0.0
                return max(0.0, _money(untaxed + tax - row.get("amount_paid_test", 0.0)))
        raise ValueError(f"no computation for {model}.{name}")

    def _sale_order__action_confirm(self, ids, context):
        for rid in ids:
            order = self._row("sale.order", rid)
            if order["state"] not in ("draft", "sent"):
                raise UserError(
                    "Some orders are not in a state requiring confirmation."
                    if order["state"] != "cancel"
                    else "A cancelled order cannot be confirmed."
                )
            if not order.get("partner_id"):
                raise UserError("A customer is required to confirm the order.")
            order["state"] = "sale"
            order["date_order"] = date.today().isoformat()
            self._make_delivery(rid, order)
        return True

    def _make_delivery(self, order_id: int, order: dict) -> None:
        lines = [
            (lid, line)
            for lid, line in self._children("sale.order.line", "order_id", order_id)
            if self.tables["product.product"][line["product_id"]]["type"] in ("consu", "product")
        ]
        if not lines:
            return
        picking = {
            "name": self._next("WH/OUT/", 5),
            "origin": order["name"],
            "sale_id": order_id,
            "partner_id": order["partner_id"],
            "state": "assigned",
            "picking_type_code": "outgoing",
            "backorder_id": None,
            "date_done": None,
        }
        picking_id = self._insert("stock.picking", picking)
        for lid, line in lines:
            self._new_move(picking_id, lid, line["product_id"], line["product_uom_qty"])

    def _new_move(self, picking_id: int, line_id: int, product_id: int, quantity: float) -> int:
        move = {
            "picking_id": picking_id,
            "product_id": product_id,
            "sale_line_id": line_id,
            "product_uom_qty": quantity,
            # Odoo 17+ reserves consumables at once: the move's quantity is its demand until changed.
            self._qty_field(): quantity if self.major >= 17 else 0.0,
            "state": "assigned",
        }
        if self.major >= 17:
            move["picked"] = False
        return self._insert("stock.move", move)

    def _qty_field(self) -> str:
        return "quantity" if self.major >= 17 else "quantity_done"

    def _wizard_action(self, model: str, picking_ids: list[int], context: dict) -> dict:
        return {
            "type": "ir.actions.act_window",
            "res_model": model,
            "view_mode": "form",
            "target": "new",
            "context": {
                **context,
                "button_validate_picking_ids": picking_ids,
                "default_pick_ids": [[4, p] for p in picking_ids],
            },
        }

    def _stock_picking__button_validate(self, ids, context):
        qty = self._qty_field()
        for rid in ids:
            picking = self._row("stock.picking", rid)
            if picking["state"] in ("done", "cancel"):
                raise UserError("You cannot validate a transfer that is done or cancelled.")
        if self.sms_confirmation and not context.get("skip_sms"):
            return self._wizard_action("confirm.stock.sms", ids, context)
        for rid in ids:
            moves = [m for _mid, m in self._children("stock.move", "picking_id", rid)]
            if not any(m[qty] for m in moves):
                if self.major < 17:
                    return self._wizard_action("stock.immediate.transfer", ids, context)
                for move in moves:
                    move[qty] = move["product_uom_qty"]
            if self.major >= 17 and not any(m.get("picked") for m in moves):
                for move in moves:
                    move["picked"] = True
            short = any(m[qty] < m["product_uom_qty"] for m in moves)
            if short and not context.get("skip_backorder"):
                return self._wizard_action("stock.backorder.confirmation", ids, context)
        for rid in ids:
            self._done(rid, backorder=not context.get("cancel_backorder"))
        return True

    def _done(self, picking_id: int, *, backorder: bool) -> None:
        qty = self._qty_field()
        picking = self.tables["stock.picking"][picking_id]
        remaining = []
        for _mid, move in self._children("stock.move", "picking_id", picking_id):
            line = self.tables["sale.order.line"][move["sale_line_id"]]
            line["qty_delivered"] = _money(line["qty_delivered"] + move[qty])
            left = move["product_uom_qty"] - move[qty]
            move["state"] = "done"
            if left > 0:
                move["product_uom_qty"] = move[qty]
                remaining.append((move["sale_line_id"], move["product_id"], left))
        picking["state"] = "done"
        picking["date_done"] = date.today().isoformat()
        if backorder and remaining:
            new = dict(
                picking, name=self._next("WH/OUT/", 5), state="assigned", backorder_id=picking_id, date_done=None
            )
            new["origin"] = self.tables["sale.order"][picking["sale_id"]]["name"]
            new_id = self._insert("stock.picking", new)
            for line_id, product_id, left in remaining:
                self._new_move(new_id, line_id, product_id, left)

    def _wizard_pickings(self, model: str, ids: list[int]) -> list[int]:
        return [pid for rid in ids for pid in self._row(model, rid)["pick_ids"]]

    def _stock_backorder_confirmation__process(self, ids, context):
        pickings = self._wizard_pickings("stock.backorder.confirmation", ids)
        return self._stock_picking__button_validate(pickings, {**context, "skip_backorder": True, "skip_sms": True})

    def _stock_backorder_confirmation__process_cancel_backorder(self, ids, context):
        pickings = self._wizard_pickings("stock.backorder.confirmation", ids)
        ctx = {**context, "skip_backorder": True, "skip_sms": True, "cancel_backorder": True}
        return self._stock_picking__button_validate(pickings, ctx)

    def _stock_immediate_transfer__process(self, ids, context):
        qty = self._qty_field()
        pickings = self._wizard_pickings("stock.immediate.transfer", ids)
        for pid in pickings:
            for _mid, move in self._children("stock.move", "picking_id", pid):
                move[qty] = move["product_uom_qty"]
        return self._stock_picking__button_validate(pickings, {**context, "skip_sms": True})

    def _confirm_stock_sms__send_sms(self, ids, context):
        pickings = self._wizard_pickings("confirm.stock.sms", ids)
        return self._stock_picking__button_validate(pickings, {**context, "skip_sms": True})

    def _confirm_stock_sms__dont_send_sms(self, ids, context):
        return self._confirm_stock_sms__send_sms(ids, context)

    def _sale_advance_payment_inv__create_invoices(self, ids, context):
        tax_field = "tax_ids" if self.major >= 19 else "tax_id"
        invoice_ids = []
        for rid in ids:
            wizard = self._row("sale.advance.payment.inv", rid)
            for order_id in wizard["sale_order_ids"]:
                order = self._row("sale.order", order_id)
                if order["state"] != "sale":
                    raise UserError("You can only invoice confirmed orders.")
                lines = []
                for lid, line in self._children("sale.order.line", "order_id", order_id):
                    product = self.tables["product.product"][line["product_id"]]
                    base = line["product_uom_qty"] if product["invoice_policy"] == "order" else line["qty_delivered"]
                    quantity = base - line["qty_invoiced"]
                    if quantity > 0:
                        lines.append((lid, line, quantity))
                if not lines:
                    raise UserError(
                        "There is no invoiceable line. If a product has a Delivered quantities invoicing policy, "
                        "please make sure that a quantity has been delivered."
                    )
                move_id = self._insert(
                    "account.move",
                    {
                        **copy.deepcopy(self.DEFAULTS["account.move"]),
                        "move_type": "out_invoice",
                        "partner_id": order["partner_id"],
                        "ref": order.get("client_order_ref") or "",
                        "invoice_origin": order["name"],
                        "invoice_date": None,
                        "invoice_date_due": None,
                    },
                )
                for lid, line, quantity in lines:
                    self._insert(
                        "account.move.line",
                        {
                            "move_id": move_id,
                            "product_id": line["product_id"],
                            "name": line["name"],
                            "quantity": quantity,
                            "price_unit": line["price_unit"],
                            "discount": line.get("discount") or 0.0,
                            "tax_ids": list(line.get(tax_field) or []),
                            "sale_line_ids": [lid],
                        },
                    )
                    line["qty_invoiced"] = _money(line["qty_invoiced"] + quantity)
                invoice_ids.append(move_id)
        action = {"type": "ir.actions.act_window", "res_model": "account.move", "name": "Invoices"}
        if len(invoice_ids) == 1:
            action.update(view_mode="form", res_id=invoice_ids[0])
        else:
            action.update(view_mode="list,form", domain=[["id", "in", invoice_ids]])
        return action

    def _account_move__action_post(self, ids, context):
        for rid in ids:
            move = self._row("account.move", rid)
            if move["state"] != "draft":
                raise UserError("Only draft journal entries can be posted.")
            if not self._children("account.move.line", "move_id", rid):
                raise UserError("You need to add a line before posting.")
            move["state"] = "posted"
            move["name"] = self._next(f"INV/{date.today().year}/", 5)
            move["invoice_date"] = move.get("invoice_date") or date.today().isoformat()
        return False

    def _account_move__button_cancel(self, ids, context):
        for rid in ids:
            self._row("account.move", rid)["state"] = "cancel"
        return True
