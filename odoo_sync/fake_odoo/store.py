"""The fake Odoo's state: an in-memory database of the models the sync uses, and the subset of their
methods it calls, behaving as Odoo 14 to 19 do where the sync can tell (field names per version,
wizards returned instead of validating, private methods refused, ids of created records...).

Not a mock: records persist across calls, searches run real domains, confirming an order makes its
delivery, the invoicing wizard makes the invoice from the order's lines, posting numbers it, and tests
"pay" invoices through `register_payment` as a person would in Odoo.
"""

from __future__ import annotations

import copy
import itertools
import operator as operators
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


class OdooError(Exception):
    """An exception Odoo raises inside a method; `kind` picks how each protocol reports it."""

    kind = "internal"
    name = "builtins.Exception"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UserError(OdooError):
    kind = "user"
    name = "odoo.exceptions.UserError"


class ValidationError(UserError):
    name = "odoo.exceptions.ValidationError"


class AccessError(OdooError):
    kind = "access"
    name = "odoo.exceptions.AccessError"


class MissingError(UserError):
    kind = "missing"
    name = "odoo.exceptions.MissingError"


class AccessDenied(OdooError):
    kind = "denied"
    name = "odoo.exceptions.AccessDenied"


class SerializationFailure(OdooError):
    name = "psycopg2.errors.SerializationFailure"


class InternalError(OdooError):
    name = "builtins.ValueError"


ERRORS = {cls.__name__: cls for cls in (UserError, ValidationError, AccessError, MissingError, InternalError)}


@dataclass
class Faults:
    """What the fake does wrong, set by tests (and the bench) while it runs.

    - `down`: every request answers HTTP 503 (a proxy in front of a stopped Odoo).
    - `slow`: seconds to wait before answering each request.
    - `fail`: {"model.method": ("UserError", "message")}: that call raises until cleared.
    - `crash_after`: {"model.method": n}: the next n such calls run and commit, then the connection
      drops without an answer (the caller cannot know the record exists).
    - `none_result`: {"model.method"}: the method answers None (XML-RPC then cannot marshal it).
    - `serialization_failures`: the next n object calls fail as a concurrent update Odoo gave up on.
    """

    down: bool = False
    slow: float = 0.0
    fail: dict = field(default_factory=dict)
    crash_after: dict = field(default_factory=dict)
    none_result: set = field(default_factory=set)
    serialization_failures: int = 0


M2O, O2M, M2M = "m2o", "o2m", "m2m"


def _money(value) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


class FakeOdoo:
    """The database. Thread-safe: the HTTP server calls it from one thread per request."""

    def __init__(
        self,
        *,
        version: str = "17.0",
        database: str = "odoo",
        login: str = "admin",
        secret: str = "admin-api-key",  # noqa: S107 (the fake's own key, for tests)
        apps: tuple[str, ...] = ("base", "sale", "sale_management", "stock", "account", "crm"),
        sales_taxes: tuple[float, ...] = (21.0, 10.0, 4.0, 0.0),
        sms_confirmation: bool = True,
    ):
        self.version = version
        self.major = int(version.split(".")[0].split("~")[-1].replace("saas", "") or 0)
        self.database = database
        self.login = login
        self.secret = secret
        self.uid = 2
        self.sms_confirmation = sms_confirmation
        self.faults = Faults()
        self.calls: Counter = Counter()
        self.lock = threading.RLock()
        self._ids = itertools.count(1)
        self._sequences: Counter = Counter()
        self.tables: dict[str, dict[int, dict]] = {model: {} for model in self.schema()}
        for name in apps:
            self._insert("ir.module.module", {"name": name, "state": "installed", "shortdesc": name.title()})
        self._insert("res.users", {"login": login, "name": "Administrator"})
        for rate in sales_taxes:
            self.add_tax(rate)

    # ---- schema --------------------------------------------------------------------------------
    def schema(self) -> dict[str, dict[str, str | tuple]]:
        if getattr(self, "_schema", None) is None:
            self._schema = self._build_schema()
        return self._schema

    def _build_schema(self) -> dict[str, dict[str, str | tuple]]:
        line_tax = "tax_ids" if self.major >= 19 else "tax_id"
        move_quantity = "quantity" if self.major >= 17 else "quantity_done"
        stock_move = {
            "picking_id": (M2O, "stock.picking"),
            "product_id": (M2O, "product.product"),
            "sale_line_id": (M2O, "sale.order.line"),
            "product_uom_qty": "float",
            move_quantity: "float",
            "state": "char",
        }
        if self.major >= 17:
            stock_move["picked"] = "bool"
        return {
            "ir.module.module": {"name": "char", "state": "char", "shortdesc": "char"},
            "res.users": {"login": "char", "name": "char"},
            "res.partner": {
                "name": "char",
                "email": "char",
                "phone": "char",
                "ref": "char",
                "is_company": "bool",
                "customer_rank": "int",
                "comment": "char",
                "active": "bool",
            },
            "account.tax": {
                "name": "char",
                "amount": "float",
                "amount_type": "char",
                "type_tax_use": "char",
                "price_include": "bool",
                "active": "bool",
            },
            "product.product": {
                "name": "char",
                "default_code": "char",
                "list_price": "float",
                "type": "char",
                "sale_ok": "bool",
                "invoice_policy": "char",
                "description_sale": "char",
                "active": "bool",
            },
            "sale.order": {
                "name": "char",
                "partner_id": (M2O, "res.partner"),
                "client_order_ref": "char",
                "state": "char",
                "order_line": (O2M, "sale.order.line", "order_id"),
                "note": "char",
                "date_order": "char",
                "amount_untaxed": "computed",
                "amount_tax": "computed",
                "amount_total": "computed",
                "invoice_ids": "computed",
                "picking_ids": "computed",
                "invoice_status": "computed",
            },
            "sale.order.line": {
                "order_id": (M2O, "sale.order"),
                "product_id": (M2O, "product.product"),
                "name": "char",
                "sequence": "int",
                "product_uom_qty": "float",
                "price_unit": "float",
                "discount": "float",
                line_tax: (M2M, "account.tax"),
                "qty_delivered": "float",
                "qty_invoiced": "float",
                "price_subtotal": "computed",
                "price_tax": "computed",
                "price_total": "computed",
            },
            "stock.picking": {
                "name": "char",
                "origin": "char",
                "sale_id": (M2O, "sale.order"),
                "partner_id": (M2O, "res.partner"),
                "state": "char",
                "picking_type_code": "char",
                "move_ids": (O2M, "stock.move", "picking_id"),
                "backorder_id": (M2O, "stock.picking"),
                "date_done": "char",
            },
            "stock.move": stock_move,
            "stock.backorder.confirmation": {"pick_ids": (M2M, "stock.picking")},
            "stock.immediate.transfer": {"pick_ids": (M2M, "stock.picking")},
            "confirm.stock.sms": {"pick_ids": (M2M, "stock.picking")},
            "sale.advance.payment.inv": {
                "advance_payment_method": "char",
                "sale_order_ids": (M2M, "sale.order"),
            },
            "account.move": {
                "name": "char",
                "move_type": "char",
                "partner_id": (M2O, "res.partner"),
                "ref": "char",
                "invoice_origin": "char",
                "state": "char",
                "payment_state": "char",
                "invoice_date": "char",
                "invoice_date_due": "char",
                "invoice_line_ids": (O2M, "account.move.line", "move_id"),
                "amount_untaxed": "computed",
                "amount_tax": "computed",
                "amount_total": "computed",
                "amount_residual": "computed",
                "amount_paid_test": "float",
            },
            "account.move.line": {
                "move_id": (M2O, "account.move"),
                "product_id": (M2O, "product.product"),
                "name": "char",
                "quantity": "float",
                "price_unit": "float",
                "discount": "float",
                "tax_ids": (M2M, "account.tax"),
                "sale_line_ids": (M2M, "sale.order.line"),
                "price_subtotal": "computed",
            },
        }

    DEFAULTS = {
        "res.partner": {"active": True, "customer_rank": 0, "is_company": False},
        "account.tax": {"active": True, "amount_type": "percent", "type_tax_use": "sale", "price_include": False},
        "product.product": {"active": True, "type": "consu", "sale_ok": True, "invoice_policy": "order"},
        "sale.order": {"state": "draft"},
        "sale.order.line": {"discount": 0.0, "qty_delivered": 0.0, "qty_invoiced": 0.0, "sequence": 10},
        "account.move": {"state": "draft", "payment_state": "not_paid", "name": "/", "amount_paid_test": 0.0},
        "account.move.line": {"discount": 0.0},
        "sale.advance.payment.inv": {"advance_payment_method": "delivered"},
    }

    # ---- helpers for tests -----------------------------------------------------------------------
    def add_tax(self, rate: float) -> int:
        with self.lock:
            return self._insert(
                "account.tax", {"name": f"{rate:g}%", "amount": float(rate), **self.DEFAULTS["account.tax"]}
            )

    def records(self, model: str, **equal) -> list[dict]:
        """Copies of the stored rows of `model` whose fields equal `equal` (x2many as id lists)."""
        with self.lock:
            return [
                {"id": rid, **copy.deepcopy(row)}
                for rid, row in sorted(self.tables[model].items())
                if all(row.get(name) == value for name, value in equal.items())
            ]

    def count(self, model: str, **equal) -> int:
        return len(self.records(model, **equal))

    def value(self, model: str, rid: int, name: str) -> Any:
        with self.lock:
            return self._compute(model, rid, self.tables[model][rid], name)

    def register_payment(self, move_id: int, amount: float) -> None:
        """A person registers a customer payment on a posted invoice."""
        with self.lock:
            move = self.tables["account.move"][move_id]
            if move["state"] != "posted":
                raise UserError("You can only register payments for posted journal entries.")
            move["amount_paid_test"] = _money(move["amount_paid_test"] + amount)
            residual = self._compute("account.move", move_id, move, "amount_residual")
            move["payment_state"] = "paid" if residual <= 0 else "partial"

    def cancel(self, model: str, rid: int) -> None:
        with self.lock:
            self.tables[model][rid]["state"] = "cancel"

    # ---- the RPC entry point ---------------------------------------------------------------------
    def authenticate(self, database: str, login: str, secret: str) -> int | bool:
        if database != self.database:
            raise InternalError(f'FATAL:  database "{database}" does not exist')
        return self.uid if (login == self.login and secret == self.secret) else False

    def check_key(self, key: str) -> bool:
        return key == self.secret

    def execute(self, model: str, method: str, args: list, kwargs: dict) -> Any:
        """`execute_kw`: one call, in one 'transaction' (the lock)."""
        key = f"{model}.{method}"
        with self.lock:
            self.calls[key] += 1
            if self.faults.serialization_failures > 0:
                self.faults.serialization_failures -= 1
                raise SerializationFailure("could not serialize access due to concurrent update")
            if key in self.faults.fail:
                error_name, message = self.faults.fail[key]
                raise ERRORS[error_name](message)
            if method.startswith("_"):
                raise AccessError(f"Private methods (such as {method}) cannot be called remotely.")
            if model not in self.tables:
                raise InternalError(f"Object {model} doesn't exist")
            kwargs = dict(kwargs or {})
            context = kwargs.pop("context", None) or {}
            handler = getattr(self, "_m_" + method.replace(".", "_"), None)
            if handler is None:
                special = getattr(self, f"_{model.replace('.', '_')}__{method}", None)
                if special is None:
                    raise AttributeError(f"The method '{method}' does not exist on the model '{model}'")
                ids = self._ids_arg(args)
                result = special(ids, context)
            else:
                result = handler(model, list(args), kwargs, context)
            if key in self.faults.none_result:
                return None
            return result

    def take_crash(self, key: str) -> bool:
        with self.lock:
            left = self.faults.crash_after.get(key, 0)
            if left <= 0:
                return False
            self.faults.crash_after[key] = left - 1
            return True

    # ---- generic ORM methods ---------------------------------------------------------------------
    @staticmethod
    def _ids_arg(args: list) -> list[int]:
        if not args:
            return []
        ids = args[0]
        return [ids] if isinstance(ids, int) else list(ids)

    def _m_create(self, model, args, kwargs, context):
        values = args[0] if args else kwargs.get("vals_list")
        if values is None:
            raise TypeError("create() missing 1 required positional argument: 'vals_list'")
        many = isinstance(values, list)
        ids = [self._create(model, dict(vals), context) for vals in (values if many else [values])]
        return ids if many else ids[0]

    def _m_write(self, model, args, kwargs, context):
        ids = self._ids_arg(args)
        values = args[1] if len(args) > 1 else kwargs.get("vals")
        for rid in ids:
            self._row(model, rid)
            self._assign(model, rid, values)
        return True

    def _m_read(self, model, args, kwargs, context):
        ids = self._ids_arg(args)
        fields = args[1] if len(args) > 1 else kwargs.get("fields")
        return [self._read_row(model, rid, fields) for rid in ids if rid in self.tables[model]]

    def _m_search(self, model, args, kwargs, context):
        domain = args[0] if args else kwargs.get("domain", [])
        return self._search(model, domain, kwargs.get("limit"), kwargs.get("order"))

    def _m_search_count(self, model, args, kwargs, context):
        return len(self._m_search(model, args, {}, context))

    def _m_search_read(self, model, args, kwargs, context):
        domain = args[0] if args else kwargs.get("domain", [])
        fields = args[1] if len(args) > 1 else kwargs.get("fields")
        ids = self._search(model, domain or [], kwargs.get("limit"), kwargs.get("order"))
        return [self._read_row(model, rid, fields) for rid in ids]

    def _m_context_get(self, model, args, kwargs, context):
        return {"lang": "en_US", "tz": "UTC", "uid": self.uid}

    # ---- storage ---------------------------------------------------------------------------------
    def _insert(self, model: str, row: dict) -> int:
        rid = next(self._ids)
        self.tables[model][rid] = row
        return rid

    def _row(self, model: str, rid: int) -> dict:
        row = self.tables[model].get(rid)
        if row is None:
            raise MissingError(f"Record does not exist or has been deleted. (Record: {model}({rid},))")
        return row

    def _field(self, model: str, name: str):
        spec = self.schema()[model].get(name)
        if spec is None and name != "id":
            raise ValueError(f"Invalid field '{name}' on model '{model}'")
        return spec

    def _create(self, model: str, values: dict, context: dict) -> int:
        row = {
            name: ([] if isinstance(spec, tuple) and spec[0] == M2M else None)
            for name, spec in self.schema()[model].items()
            if spec != "computed" and not (isinstance(spec, tuple) and spec[0] == O2M)
        }
        row.update(copy.deepcopy(self.DEFAULTS.get(model, {})))
        rid = self._insert(model, row)
        if model == "sale.order":
            row["name"] = self._next("S", 5)
        elif model == "sale.advance.payment.inv":
            row["sale_order_ids"] = list(context.get("active_ids") or [])
        elif model == "sale.order.line" and "name" not in values:
            row["name"] = ""
        self._assign(model, rid, values)
        if model == "sale.order.line" and not row.get("name") and row.get("product_id"):
            row["name"] = self.tables["product.product"][row["product_id"]]["name"]
        return rid

    def _assign(self, model: str, rid: int, values: dict) -> None:
        row = self.tables[model][rid]
        for name, value in (values or {}).items():
            spec = self._field(model, name)
            if spec == "computed":
                raise ValueError(f"Field '{name}' on model '{model}' is computed and cannot be written")
            if isinstance(spec, tuple) and spec[0] == M2O:
                if value:
                    self._row(spec[1], value)
                row[name] = value or None
            elif isinstance(spec, tuple) and spec[0] == O2M:
                for command in value or []:
                    if command[0] == 0:
                        self._create(spec[1], {**command[2], spec[2]: rid}, {})
                    else:
                        raise ValueError(f"Unsupported one2many command {command[0]}")
            elif isinstance(spec, tuple) and spec[0] == M2M:
                row[name] = self._m2m(spec[1], row.get(name) or [], value)
            else:
                row[name] = value

    def _m2m(self, comodel: str, current: list[int], commands) -> list[int]:
        ids = list(current)
        for command in commands or []:
            if isinstance(command, int):
                ids.append(command)
            elif command[0] == 6:
                ids = list(command[2])
            elif command[0] == 4:
                ids.append(command[1])
            elif command[0] == 5:
                ids = []
            elif command[0] == 3:
                ids = [i for i in ids if i != command[1]]
            else:
                raise ValueError(f"Unsupported many2many command {command[0]}")
        for rid in ids:
            self._row(comodel, rid)
        return list(dict.fromkeys(ids))

    def _next(self, prefix: str, width: int) -> str:
        self._sequences[prefix] += 1
        return f"{prefix}{self._sequences[prefix]:0{width}d}"

    def _display(self, model: str, rid: int) -> str:
        row = self.tables[model].get(rid, {})
        return str(row.get("name") or row.get("login") or f"{model},{rid}")

    def _read_row(self, model: str, rid: int, fields) -> dict:
        row = self.tables[model][rid]
        names = list(fields) if fields else list(self.schema()[model])
        result = {"id": rid}
        for name in names:
            if name == "id":
                continue
            spec = self._field(model, name)
            if spec == "computed":
                result[name] = self._compute(model, rid, row, name)
            elif isinstance(spec, tuple) and spec[0] == M2O:
                result[name] = [row[name], self._display(spec[1], row[name])] if row.get(name) else False
            elif isinstance(spec, tuple) and spec[0] == O2M:
                result[name] = sorted(cid for cid, child in self.tables[spec[1]].items() if child.get(spec[2]) == rid)
            else:
                value = row.get(name)
                result[name] = False if value is None else copy.deepcopy(value)
        return result

    # ---- domains ---------------------------------------------------------------------------------
    def _search(self, model: str, domain: list, limit=None, order=None) -> list[int]:
        rows = self.tables[model]
        ids = [rid for rid, row in rows.items() if self._match(model, rid, row, list(domain))]
        if "active" in self.schema()[model] and not any(
            isinstance(leaf, (list, tuple)) and leaf[0] == "active" for leaf in domain
        ):
            ids = [rid for rid in ids if rows[rid].get("active", True)]
        ids.sort(reverse=bool(order and "desc" in order.lower()))
        return ids[:limit] if limit else ids

    def _match(self, model: str, rid: int, row: dict, domain: list) -> bool:
        stack: list[bool] = []
        for item in reversed(domain or []):
            if item == "&":
                stack.append(stack.pop() and stack.pop())
            elif item == "|":
                stack.append(stack.pop() | stack.pop())
            elif item == "!":
                stack.append(not stack.pop())
            else:
                stack.append(self._leaf(model, rid, row, item))
        return all(stack)

    def _leaf(self, model: str, rid: int, row: dict, leaf) -> bool:
        name, operator, value = leaf
        if name == "id":
            current = rid
        else:
            spec = self._field(model, name)
            current = self._compute(model, rid, row, name) if spec == "computed" else row.get(name)
        if isinstance(current, bool) or current is None:
            current = current or False
        text = "" if current is False else str(current)
        if operator == "=":
            return current == value or (value is False and not current)
        if operator == "!=":
            return not (current == value or (value is False and not current))
        if operator == "in":
            return current in value if not isinstance(current, list) else bool(set(current) & set(value))
        if operator == "not in":
            return current not in value
        if operator == "ilike":
            return str(value).lower() in text.lower()
        if operator == "=ilike":
            return text.lower() == str(value).lower()
        if operator == "like":
            return str(value) in text
        if operator == "=like":
            pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in str(value))
            return re.fullmatch(pattern, text, re.DOTALL) is not None
        comparisons = {">": operators.gt, "<": operators.lt, ">=": operators.ge, "<=": operators.le}
        if operator in comparisons:
            return current is not False and comparisons[operator](current, value)
        raise ValueError(f"Invalid domain operator {operator!r}")

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

    # ---- business methods ------------------------------------------------------------------------
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
