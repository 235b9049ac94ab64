"""Products: create, edit (archive by making inactive) and the CSV import (checked and previewed first, then
applied at once: a product whose internal reference exists is updated, any other row is created)."""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from core.audit import audit_log, diff
from core.errors import ApplicationError
from crm.csvfiles import decode, unescape_cell
from crm.documents_math import parse_decimal
from crm.importing.columns import header_key
from crm.models import Product

PRODUCT_FIELDS = ("name", "sku", "description", "unit_price", "tax_rate", "unit", "active")
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
IMPORT_FOLDER = "product-imports"
_TOKEN = re.compile(r"^[0-9a-f]{32}$")

HEADER_ALIASES = {
    "name": ["name", "product", "product_name", "nombre", "producto", "nom", "produit", "designation", "articulo"],
    "sku": ["sku", "reference", "internal_reference", "ref", "code", "referencia", "codigo", "reference_interne"],
    "description": ["description", "descripcion", "details", "detalle"],
    "unit_price": ["unit_price", "price", "precio", "precio_unitario", "prix", "prix_unitaire", "pvp"],
    "tax_rate": ["tax_rate", "tax", "vat", "iva", "tva", "impuesto", "taxe", "tax_%", "iva_%"],
    "unit": ["unit", "unidad", "unite", "uom"],
    "active": ["active", "activo", "actif", "enabled"],
}
_ALIAS = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
_TRUE = {"1", "yes", "y", "true", "si", "sí", "oui", "x", "active", "activo", "actif"}
_FALSE = {"0", "no", "n", "false", "non", "inactive", "inactivo", "inactif", "archived"}


def _clean_fields(fields: dict) -> dict:
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown product fields: {', '.join(sorted(unknown))}")
    clean = dict(fields)
    for name in ("name", "sku", "unit"):
        if name in clean:
            clean[name] = (clean[name] or "").strip()
    if "name" in clean and not clean["name"]:
        raise ApplicationError(_("Give the product a name."))
    return clean


def _check_sku(sku: str, *, exclude_id: int | None = None) -> None:
    if not sku:
        return
    other = Product.objects.annotate(key=Lower("sku")).filter(key=sku.lower()).exclude(pk=exclude_id).first()
    if other is not None:
        raise ApplicationError(
            _("Another product has this internal reference: %(name)s.") % {"name": other.name}, extra={"product": other}
        )


def _validate(product: Product) -> None:
    try:
        product.full_clean(validate_constraints=False)
    except ValidationError as error:
        messages = [
            f"{product._meta.get_field(name).verbose_name}: {' '.join(errors)}"
            for name, errors in error.message_dict.items()
        ]
        raise ApplicationError(" ".join(messages)) from error


@transaction.atomic
def product_create(*, actor, **fields) -> Product:
    """Adds a product. Its internal reference, when given, must be unique (whatever the case)."""
    fields = _clean_fields(fields)
    _check_sku(fields.get("sku", ""))
    product = Product(**fields)
    _validate(product)
    product.save()
    audit_log(action="product.create", actor=actor, obj=product)
    return product


@transaction.atomic
def product_update(*, product: Product, actor, **fields) -> Product:
    """Edits a product (documents already made keep their own copy of its name and price)."""
    fields = _clean_fields(fields)
    product = Product.objects.select_for_update().get(pk=product.pk)
    if "sku" in fields:
        _check_sku(fields["sku"], exclude_id=product.pk)
    before = {name: getattr(product, name) for name in fields}
    for name, value in fields.items():
        setattr(product, name, value)
    _validate(product)
    changes = diff(before, fields)
    if changes:
        product.save()
        audit_log(action="product.update", actor=actor, obj=product, changes=changes)
    return product


# CSV import ------------------------------------------------------------------------------------------------


@dataclass
class ProductRow:
    number: int
    values: dict[str, str]
    fields: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    existing: Product | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ProductSheet:
    token: str
    name: str
    headers: list[str]
    mapping: list[str | None]
    rows: list[ProductRow]

    @property
    def to_create(self) -> int:
        return sum(1 for row in self.rows if row.ok and row.existing is None)

    @property
    def to_update(self) -> int:
        return sum(1 for row in self.rows if row.ok and row.existing is not None)

    @property
    def with_errors(self) -> int:
        return sum(1 for row in self.rows if not row.ok)


def _read(data: bytes) -> tuple[list[str], list[str | None], list[list[str]]]:
    if len(data) > MAX_IMPORT_BYTES:
        raise ApplicationError(_("The file is larger than 2 MB. Split it into smaller files."))
    text = decode(data)
    if not text.strip():
        raise ApplicationError(_("The file is empty."))
    first = text.splitlines()[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if any(row)]
    except csv.Error as error:
        raise ApplicationError(_("The file could not be read as CSV: %(error)s") % {"error": error}) from error
    headers = [cell.strip() for cell in rows[0]]
    mapping, taken = [], set()
    for header in headers:
        name = _ALIAS.get(header_key(header))
        name = None if name in taken else name
        taken.add(name)
        mapping.append(name)
    if "name" not in mapping:
        raise ApplicationError(_("No name column found. Name one of the columns “name”, “nombre” or “nom”."))
    body = rows[1:]
    if not body:
        raise ApplicationError(_("The file has a header but no rows."))
    if len(body) > MAX_IMPORT_ROWS:
        raise ApplicationError(
            _("The file has more than %(max)s rows. Split it into smaller files.") % {"max": f"{MAX_IMPORT_ROWS:,}"}
        )
    return headers, mapping, body


def _check_row(number: int, values: dict[str, str]) -> ProductRow:
    row = ProductRow(number=number, values=values)
    row.fields["name"] = values.get("name", "")[:200]
    if not row.fields["name"]:
        row.errors.append(_("The name is missing."))
    if len(values.get("name", "")) > 200:
        row.errors.append(_("The name is longer than 200 characters."))
    for name, limit in (("sku", 64), ("unit", 20), ("description", 10_000)):
        if values.get(name):
            if len(values[name]) > limit:
                row.errors.append(_("“%(value)s” is too long.") % {"value": values[name][:40]})
            row.fields[name] = values[name][:limit]
    for name, places, ceiling in (("unit_price", 4, Decimal("9999999999")), ("tax_rate", 3, Decimal(100))):
        if values.get(name):
            raw = values[name].replace("€", "").replace("$", "").replace("%", "").strip()
            try:
                number_value = parse_decimal(raw, places=places)
            except ValueError:
                row.errors.append(_("“%(value)s” is not a number.") % {"value": values[name][:40]})
                continue
            if not (0 <= number_value <= ceiling):
                row.errors.append(_("“%(value)s” is out of range.") % {"value": values[name][:40]})
            row.fields[name] = number_value
    if values.get("active"):
        flag = values["active"].strip().lower()
        if flag in _TRUE or flag in _FALSE:
            row.fields["active"] = flag in _TRUE
        else:
            row.errors.append(_("“%(value)s” is not yes or no.") % {"value": values["active"][:40]})
    return row


def _check(data: bytes, *, name: str, token: str) -> ProductSheet:
    headers, mapping, body = _read(data)
    rows, seen = [], {}
    for index, cells in enumerate(body):
        values = {field: unescape_cell(cell.strip()) for field, cell in zip(mapping, cells, strict=False) if field}
        row = _check_row(index + 2, values)
        sku = row.fields.get("sku", "").lower()
        if sku and sku in seen:
            row.errors.append(_("Same internal reference as row %(row)s.") % {"row": seen[sku]})
        elif sku:
            seen[sku] = row.number
        rows.append(row)
    existing = {
        product.sku.lower(): product
        for product in Product.objects.annotate(key=Lower("sku")).filter(key__in=list(seen))
    }
    for row in rows:
        row.existing = existing.get(row.fields.get("sku", "").lower()) if row.ok else None
    return ProductSheet(token=token, name=name, headers=headers, mapping=mapping, rows=rows)


def _path(token: str) -> str:
    return f"{IMPORT_FOLDER}/{token}.csv"


def product_import_preview(*, name: str, data: bytes) -> ProductSheet:
    """Checks an uploaded product file and keeps it (in the company's storage, under a random token)
    until it is applied or discarded. Raises ApplicationError, keeping nothing, when it cannot be read."""
    if not (name or "").lower().endswith(".csv"):
        raise ApplicationError(_("Upload a .csv file (in your spreadsheet: File › Save as › CSV)."))
    token = uuid.uuid4().hex
    sheet = _check(data, name=name[:255], token=token)
    default_storage.save(_path(token), ContentFile(data))
    return sheet


def product_import_load(*, token: str, name: str = "") -> ProductSheet:
    """The preview of a kept upload again. Raises ApplicationError when the token names none."""
    if not _TOKEN.match(token or "") or not default_storage.exists(_path(token)):
        raise ApplicationError(_("This upload is no longer available. Upload the file again."))
    with default_storage.open(_path(token), "rb") as stored:
        data = stored.read()
    return _check(data, name=name, token=token)


@transaction.atomic
def product_import_apply(*, token: str, actor, name: str = "") -> tuple[int, int, int]:
    """Applies a kept upload: rows whose internal reference exists update that product, other valid rows
    create one, rows with errors are skipped. Returns (created, updated, skipped). The upload is deleted."""
    sheet = product_import_load(token=token, name=name)
    created = updated = 0
    for row in sheet.rows:
        if not row.ok:
            continue
        try:
            with transaction.atomic():
                if row.existing is not None:
                    # Matched by its reference whatever the case: the stored reference stays as it is.
                    fields = {name: value for name, value in row.fields.items() if name != "sku"}
                    product_update(product=row.existing, actor=actor, **fields)
                    updated += 1
                else:
                    product_create(actor=actor, **row.fields)
                    created += 1
        except ApplicationError:
            continue
    skipped = len(sheet.rows) - created - updated
    audit_log(
        action="product.import",
        actor=actor,
        object_type="crm.product",
        object_repr=name[:255],
        changes={
            "created": {"before": None, "after": created},
            "updated": {"before": None, "after": updated},
            "skipped": {"before": None, "after": skipped},
        },
    )
    path = _path(token)
    transaction.on_commit(lambda: default_storage.delete(path))
    return created, updated, skipped


def product_import_discard(*, token: str) -> None:
    if _TOKEN.match(token or ""):
        default_storage.delete(_path(token))
