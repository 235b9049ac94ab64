"""The lead export: a CSV of what the list shows with its filters, in the reader's language, that the
import reads back unchanged (same columns: see crm.importing.columns). Audited with the number of rows.

Spanish and French spreadsheets (Excel above all) split CSV on semicolons and write decimal commas, so
those languages get `;` and `1234,50`; English gets `,` and `1234.50`. Every file starts with a UTF-8 BOM
so accents survive. The reader may choose the delimiter instead."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone, translation

from core.audit import audit_log
from crm.csvfiles import csv_lines
from crm.importing.columns import FIELDS
from crm.models import Lead

EXPORT_COLUMNS = [name for name in FIELDS if name != "full_name"]
CHUNK_SIZE = 2000
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t"}
DECIMAL_COMMA_LANGUAGES = ("es", "fr")


def export_delimiter(choice: str = "") -> str:
    """The chosen delimiter, else the one the reader's spreadsheet expects for their language."""
    if choice in DELIMITERS:
        return DELIMITERS[choice]
    return ";" if (translation.get_language() or "")[:2] in DECIMAL_COMMA_LANGUAGES else ","


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


class _Row:
    """One lead as a row. Rows are made as the response is sent, maybe in another thread: each is made in
    the language the export was asked in."""

    def __init__(self, decimal_comma: bool):
        self.decimal_comma = decimal_comma
        self.language = translation.get_language()

    def amount(self, value) -> str:
        text = f"{value:.2f}"
        return text.replace(".", ",") if self.decimal_comma else text

    def __call__(self, lead: Lead) -> list:
        with translation.override(self.language):
            return self._values(lead)

    def _values(self, lead: Lead) -> list:
        values = {
            "stage": lead.stage.display_name,
            "seller": lead.seller.email if lead.seller_id and lead.seller else "",
            "source": lead.get_source_display(),
            "tags": ", ".join(tag.name for tag in lead.tags.all()),
            "expected_value": self.amount(lead.expected_value),
            "score": lead.get_score_display() if lead.score else "",
            "next_action_at": _when(lead.next_action_at),
            "last_contact_at": _when(lead.last_contact_at),
            "created_at": _when(lead.created_at),
            "closed_at": _when(lead.closed_at),
        }
        return [values[name] if name in values else getattr(lead, name) for name in EXPORT_COLUMNS]


def leads_export(*, leads: QuerySet[Lead], actor, query: str = "", delimiter: str = "") -> Iterator[str]:
    """Audits the export (`lead.export`, with the row count and the filters) and returns the CSV lines in
    the active language. The rows are read lazily, CHUNK_SIZE at a time, as the response is sent."""
    count = leads.count()
    audit_log(
        action="lead.export",
        actor=actor,
        object_type="crm.lead",
        object_repr=f"{count} leads",
        changes={"count": {"before": None, "after": count}, "filters": {"before": None, "after": query}},
    )
    delimiter = delimiter or export_delimiter()
    row = _Row(decimal_comma=delimiter != "," and (translation.get_language() or "")[:2] in DECIMAL_COMMA_LANGUAGES)
    header = [str(FIELDS[name]) for name in EXPORT_COLUMNS]
    queryset = leads.select_related("stage", "seller").prefetch_related("tags")
    rows = (row(lead) for lead in queryset.iterator(chunk_size=CHUNK_SIZE))
    return csv_lines(header, rows, delimiter=delimiter)
