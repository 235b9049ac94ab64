"""Lead spreadsheets: reading an uploaded CSV (encoding, delimiter, header mapping), checking its rows,
and writing the export. No queries here: the import service and the export pass in what they need."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ApplicationError
from core.phones import normalize_phone
from core.text import fold
from crm.models import Stage

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 50_000

# The lead fields a column can fill, in the order the preview shows them.
IMPORT_FIELDS = {
    "phone": gettext_lazy("Phone"),
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "full_name": gettext_lazy("Full name"),
    "email": gettext_lazy("Email"),
    "company": gettext_lazy("Company"),
    "stage": gettext_lazy("Stage"),
    "expected_value": gettext_lazy("Expected value"),
    "score": gettext_lazy("Score"),
    "score_reason": gettext_lazy("Score reason"),
    "tags": gettext_lazy("Tags"),
    "language": gettext_lazy("Language"),
    "notes": gettext_lazy("Summary"),
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
    "utm_term": "utm_term",
    "utm_content": "utm_content",
}

# Header names (folded: lower-case, no accents, words joined by "_") in English, Spanish and French.
HEADER_ALIASES = {
    "phone": [
        "phone", "phone_number", "telephone", "tel", "telefono", "numero", "numero_de_telefono", "movil",
        "mobile", "cellphone", "celular", "whatsapp", "portable", "mobile_phone",
    ],
    "first_name": ["first_name", "firstname", "given_name", "nombre", "prenom"],
    "last_name": ["last_name", "lastname", "surname", "family_name", "apellido", "apellidos", "nom", "nom_de_famille"],
    "full_name": ["name", "full_name", "contact", "nombre_completo", "nom_complet", "contacto"],
    "email": ["email", "e_mail", "mail", "email_address", "correo", "correo_electronico", "courriel", "adresse_email"],
    "company": [
        "company", "company_name", "empresa", "compania", "societe", "entreprise", "organisation", "organization",
    ],
    "stage": ["stage", "etapa", "etape", "status", "estado", "statut"],
    "expected_value": [
        "expected_value", "value", "amount", "valor", "valor_esperado", "importe", "valeur", "montant",
    ],
    "score": ["score", "rating", "temperature", "puntuacion", "calificacion", "temperatura"],
    "score_reason": ["score_reason", "motivo_puntuacion", "raison_du_score"],
    "tags": ["tags", "tag", "labels", "etiquetas", "etiqueta", "etiquettes", "etiquette"],
    "language": ["language", "lang", "idioma", "langue"],
    "notes": ["notes", "note", "comments", "comment", "summary", "notas", "comentarios", "commentaires", "resume"],
    "utm_source": ["utm_source"],
    "utm_medium": ["utm_medium"],
    "utm_campaign": ["utm_campaign"],
    "utm_term": ["utm_term"],
    "utm_content": ["utm_content"],
}  # fmt: skip

_ALIAS_TO_FIELD = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
_NON_WORD = re.compile(r"[^a-z0-9]+")


def header_key(header: str) -> str:
    """'Téléphone ' -> 'telephone', 'First Name' -> 'first_name', 'E-mail' -> 'e_mail'."""
    return _NON_WORD.sub("_", fold(header)).strip("_")


def map_headers(headers: list[str]) -> list[str | None]:
    """The lead field each column fills (None: ignored). A field is filled by its first column only."""
    taken: set[str] = set()
    mapping: list[str | None] = []
    for header in headers:
        field = _ALIAS_TO_FIELD.get(header_key(header))
        if field in taken:
            field = None
        if field:
            taken.add(field)
        mapping.append(field)
    return mapping


@dataclass(frozen=True)
class Sheet:
    headers: list[str]
    mapping: list[str | None]
    rows: list[list[str]]
    delimiter: str

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
    mapping = map_headers(headers)
    if "phone" not in mapping:
        raise ApplicationError(_("No phone column found. Name one of the columns “phone”, “teléfono” or “téléphone”."))
    if not rows:
        raise ApplicationError(_("The file has a header but no rows."))
    if len(rows) > MAX_IMPORT_ROWS:
        raise ApplicationError(
            _("The file has more than %(max)s rows. Split it into smaller files.") % {"max": f"{MAX_IMPORT_ROWS:,}"}
        )
    return Sheet(headers=headers, mapping=mapping, rows=rows, delimiter=delimiter)


_SCORES = {
    "hot": "hot", "caliente": "hot", "chaud": "hot",
    "warm": "warm", "templado": "warm", "tibio": "warm", "tiede": "warm",
    "cold": "cold", "frio": "cold", "froid": "cold",
}  # fmt: skip
_LANGUAGES = {
    "es": "es", "spanish": "es", "espanol": "es", "castellano": "es", "espagnol": "es",
    "en": "en", "english": "en", "ingles": "en", "anglais": "en",
    "fr": "fr", "french": "fr", "frances": "fr", "francais": "fr",
}  # fmt: skip
_TEXT_LIMITS = {
    "first_name": 80, "last_name": 80, "company": 120, "score_reason": 255, "utm_source": 100, "utm_medium": 100,
    "utm_campaign": 100, "utm_term": 100, "utm_content": 100, "notes": 10_000,
}  # fmt: skip
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


@dataclass
class RowCheck:
    """One data row, checked: what lead_create would receive, or why it cannot."""

    number: int
    values: dict[str, str]
    phone: str = ""
    fields: dict = dc_field(default_factory=dict)
    stage: Stage | None = None
    tags: list[str] = dc_field(default_factory=list)
    errors: list[str] = dc_field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class RowChecker:
    """Checks rows against everything but the database: phone, email, amounts, choices, lengths."""

    def __init__(self, *, region: str, stages: list[Stage]):
        self.region = region
        self.stages = {}
        for stage in stages:
            for name in (stage.key, stage.display_name, stage.name):
                if name:
                    self.stages.setdefault(fold(str(name)), stage)

    def check(self, number: int, values: dict[str, str]) -> RowCheck:
        row = RowCheck(number=number, values=values)
        self._phone(row, values.get("phone", ""))
        first, last = values.get("first_name", ""), values.get("last_name", "")
        if not first and not last and values.get("full_name"):
            first, _space, last = values["full_name"].partition(" ")
        row.fields.update(first_name=first.strip(), last_name=last.strip(), company=values.get("company", ""))
        for name in ("score_reason", "notes", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"):
            if values.get(name):
                row.fields[name] = values[name]
        for name, limit in _TEXT_LIMITS.items():
            if len(row.fields.get(name, "")) > limit:
                row.errors.append(
                    _("%(field)s is longer than %(max)s characters.") % {"field": IMPORT_FIELDS[name], "max": limit}
                )
        self._email(row, values.get("email", ""))
        self._choices(row, values)
        return row

    def _phone(self, row: RowCheck, raw: str) -> None:
        if not raw:
            row.errors.append(_("The phone is missing."))
            return
        try:
            row.phone = normalize_phone(raw, region=self.region)
        except ApplicationError as error:
            row.errors.append(error.message)

    def _email(self, row: RowCheck, email: str) -> None:
        if not email:
            return
        try:
            validate_email(email)
        except ValidationError:
            row.errors.append(_("“%(email)s” is not a valid email address.") % {"email": email})
        else:
            row.fields["email"] = email.lower()

    def _choices(self, row: RowCheck, values: dict[str, str]) -> None:
        if values.get("expected_value"):
            try:
                row.fields["expected_value"] = parse_amount(values["expected_value"])
            except (ValueError, ArithmeticError):
                row.errors.append(_("“%(value)s” is not an amount.") % {"value": values["expected_value"]})
        if values.get("score"):
            score = _SCORES.get(fold(values["score"]))
            if score is None:
                row.errors.append(_("“%(value)s” is not a score (hot, warm or cold).") % {"value": values["score"]})
            row.fields["score"] = score or ""
        if values.get("language"):
            language = _LANGUAGES.get(fold(values["language"]))
            if language is None:
                row.errors.append(_("“%(value)s” is not a known language.") % {"value": values["language"]})
            row.fields["language"] = language or ""
        if values.get("stage"):
            row.stage = self.stages.get(fold(values["stage"]))
            if row.stage is None:
                row.errors.append(_("There is no stage called “%(value)s”.") % {"value": values["stage"]})
        row.tags = [tag.strip() for tag in re.split(r"[,;|]", values.get("tags", "")) if tag.strip()]


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


def csv_lines(header: list[str], rows: Iterable[list[str]]) -> Iterator[str]:
    """The CSV text, one line at a time, for a streaming response. Starts with a BOM so Excel reads UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow([escape_cell(str(value)) for value in row])
