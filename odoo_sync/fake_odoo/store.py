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
from typing import Any

from odoo_sync.fake_odoo.base import (
    ERRORS,
    M2M,
    M2O,
    O2M,
    AccessError,
    Faults,
    InternalError,
    MissingError,
    SerializationFailure,
    UserError,
    _money,
)
from odoo_sync.fake_odoo.business import BusinessMethods


class FakeOdoo(BusinessMethods):
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
