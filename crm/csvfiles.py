"""Lead spreadsheets as CSV text: reading an uploaded file (encoding, delimiter, rows), amounts, and
writing an export safely. Which column fills which field, and reading each row into a lead, is
`crm.importing`. No queries here."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from core.errors import ApplicationError

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 50_000

MAX_COLUMNS = 200


def map_headers(headers: list[str]) -> list[str | None]:
    """The lead field each column fills by its header alone (see crm.importing.columns)."""
    from crm.importing.columns import auto_mapping

    return auto_mapping(headers)


@dataclass(frozen=True)
class Sheet:
    headers: list[str]
    mapping: list[str | None]  # the lead field each column fills (None: ignored)
    rows: list[list[str]]
    delimiter: str

    def mapped(self, mapping: list[str | None]) -> Sheet:
        """The same sheet read with another mapping (one entry per column; missing ones are ignored)."""
        padded = [*mapping[: len(self.headers)], *[None] * (len(self.headers) - len(mapping))]
        return Sheet(headers=self.headers, mapping=padded, rows=self.rows, delimiter=self.delimiter)

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(row number as a spreadsheet shows it, the header being row 1; {field: value}) per data row."""
        for index, row in enumerate(self.rows):
            values = {}
            for field, value in zip(self.mapping, row, strict=False):
                if field:
                    values[field] = unescape_cell(value.strip())
            yield index + 2, values


def decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM); Excel's Windows encoding as a fallback. Binary files, and any NUL byte
    (which no text column in PostgreSQL can hold), are refused."""
    if b"\x00" in data:
        raise ApplicationError(_("This file is not a CSV text file."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        first_line = sample.splitlines()[0] if sample else ""
        return ";" if first_line.count(";") > first_line.count(",") else ","


def read_sheet(data: bytes) -> Sheet:
    """Parses an uploaded lead file. Raises ApplicationError with a message for the person uploading."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ApplicationError(_("The file is larger than 5 MB. Split it into smaller files."))
    text = decode(data)
    if not text.strip():
        raise ApplicationError(_("The file is empty."))
    delimiter = _delimiter(text[:8192])
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if any(row)]
    except csv.Error as error:
        raise ApplicationError(_("The file could not be read as CSV: %(error)s") % {"error": error}) from error
    headers, rows = [cell.strip() for cell in rows[0]], rows[1:]
    if len(headers) > MAX_COLUMNS:
        raise ApplicationError(_("The file has more than %(max)s columns.") % {"max": MAX_COLUMNS})
    if not rows:
        raise ApplicationError(_("The file has a header but no rows."))
    if len(rows) > MAX_IMPORT_ROWS:
        raise ApplicationError(
            _("The file has more than %(max)s rows. Split it into smaller files.") % {"max": f"{MAX_IMPORT_ROWS:,}"}
        )
    return Sheet(headers=headers, mapping=map_headers(headers), rows=rows, delimiter=delimiter)


_AMOUNT_NOISE = re.compile(r"[\s€$£\u00a0]|EUR|USD|GBP|MXN|COP|ARS|CLP|PEN", re.IGNORECASE)
MAX_AMOUNT = Decimal("9999999999.99")


def parse_amount(text: str) -> Decimal:
    """'1.234,56', '1,234.56', '1500 €', '1 500' -> Decimal. The last separator followed by one or two
    digits is the decimal one; any other separator groups thousands."""
    raw = _AMOUNT_NOISE.sub("", text)
    match = re.search(r"[.,](\d{1,2})$", raw)
    if match:
        whole, cents = raw[: match.start()], match.group(1)
    else:
        whole, cents = raw, "0"
    whole = whole.replace(".", "").replace(",", "")
    if not whole.isdigit() or not cents.isdigit():
        raise ValueError(text)
    amount = Decimal(f"{whole}.{cents}")
    if amount > MAX_AMOUNT:
        raise ValueError(text)
    return amount


# Spreadsheet programs run cells starting with these as formulas; the export neutralises them.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PHONE_LIKE = re.compile(r"^\+?[\d ]+$")


def escape_cell(value: str) -> str:
    """Prefixes a quote to text a spreadsheet would evaluate. Phone numbers ('+34…') stay as they are."""
    if value and value.startswith(_FORMULA_START) and not _PHONE_LIKE.match(value):
        return "'" + value
    return value


def unescape_cell(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[list[str]], *, delimiter: str = ",") -> Iterator[str]:
    """The CSV text, one line at a time, for a streaming response. Starts with a BOM so Excel reads UTF-8."""
    writer = csv.writer(_Echo(), delimiter=delimiter)
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow([escape_cell(str(value)) for value in row])
