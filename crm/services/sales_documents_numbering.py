"""Document numbers per kind and year: Q-2026-0001, SO-2026-0001, DN-, INV-, CN-.

Gap-free and race-free: the counter row of (kind, year) is incremented with one upsert inside the
transaction that numbers the document. PostgreSQL keeps that row locked until the transaction ends, so a
second numbering of the same kind and year waits, then reads the committed value; a transaction that
rolls back gives its number back with it. Never call this outside the numbering transaction."""

from __future__ import annotations

from django.db import connection, transaction

from crm.models import DocumentSequence, SalesDocument


def format_number(*, kind: str, year: int, sequence: int) -> str:
    return f"{SalesDocument.PREFIXES[kind]}-{year}-{sequence:04d}"


def next_number(*, kind: str, year: int) -> str:
    """Takes the next number of `kind` in `year`. Must run inside the transaction that saves it."""
    if kind not in SalesDocument.PREFIXES:
        raise ValueError(f"unknown document kind {kind!r}")
    if not connection.in_atomic_block:
        raise RuntimeError("next_number must run inside the transaction that stores the number")
    table = connection.ops.quote_name(DocumentSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (kind, year, last_number) VALUES (%s, %s, 1) "  # noqa: S608 (our table name)
            f"ON CONFLICT (kind, year) DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [kind, year],
        )
        (sequence,) = cursor.fetchone()
    return format_number(kind=kind, year=year, sequence=sequence)


@transaction.atomic
def number_document(document: SalesDocument, *, on) -> str:
    """Gives `document` (locked by the caller, still without a number) its number for the year of `on`,
    the date it is issued, and stores both."""
    if document.number:
        return document.number
    document.number = next_number(kind=document.kind, year=on.year)
    document.issue_date = on
    document.save(update_fields=["number", "issue_date", "updated_at"])
    return document.number
