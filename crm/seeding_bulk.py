"""Seeding a million leads in minutes: `seed_leads` writes a realistic base (Faker names, histories) with
COPY, then SQL replicates it (INSERT ... SELECT over generate_series) into as many leads as asked, each
copy with its own id and phone, the same seller, stage, dates and history as its model. The rollup
triggers are paused meanwhile and the rollups rebuilt once at the end, in the same transaction."""

# ruff: noqa: S608 -- the SQL here is built from model metadata and integers, never from input.
from __future__ import annotations

import contextlib
import random
import time as clock

from django.db import connection, transaction

from crm.models import Lead, TimelineEntry
from crm.rollups import rollups_rebuild
from crm.seeding import Person, SeedResult, seed_leads

BASE = 20_000  # leads written one by one (Faker); the rest are copies made in SQL
MOBILE_BASE = 700_000_000  # copies get +34 7xx xxx xxx numbers: the base's Spanish mobiles start with 6


@contextlib.contextmanager
def rollup_triggers_paused():
    """Makes the rollup triggers skip their work until the end of the block (a setting local to the
    caller's transaction, no table lock). Rebuild the rollups before leaving."""
    if not connection.in_atomic_block:
        raise RuntimeError("Pause the rollup triggers inside a transaction.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('crm.rollups_paused', 'on', true)")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('crm.rollups_paused', 'off', true)")


@contextlib.contextmanager
def secondary_indexes_dropped(tables: list[str]):
    """Drops the tables' indexes that back no constraint, and builds them again on leaving: one sorted
    build per index is several times faster than maintaining them (the GIN search index above all) row by
    row through a million-row INSERT. Inside the caller's transaction: a failure restores them."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
                 JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
                WHERE t.relname = ANY(%s) AND t.relnamespace = to_regnamespace(current_schema())
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)""",
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        # The foreign keys are checked at commit; an index cannot be built while those checks are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)


def _columns(model, skip: set[str]) -> list[str]:
    return [
        field.column
        for field in model._meta.concrete_fields
        if not field.primary_key and field.column not in skip and not getattr(field, "generated", False)
    ]


@transaction.atomic
def seed_bulk(
    *,
    count: int,
    sellers: list[Person],
    creator: Person | None,
    rng: random.Random,
    language: str = "es",
    base: int = BASE,
) -> SeedResult:
    started = clock.monotonic()
    with rollup_triggers_paused():
        first = seed_leads(count=min(count, base), sellers=sellers, creator=creator, rng=rng, language=language)
        entries = first.entries
        if count > first.leads:
            with secondary_indexes_dropped([Lead._meta.db_table, TimelineEntry._meta.db_table]):
                entries += _replicate(count - first.leads)
        rollups_rebuild()
    return SeedResult(leads=count, entries=entries, tags=first.tags, seconds=round(clock.monotonic() - started, 2))


def _replicate(extra: int) -> int:
    """Copies the leads there are (with their history and tags) until `extra` more exist. Returns the
    number of history entries written."""
    lead_columns = _columns(Lead, {"phone", "search_text"})
    entry_columns = _columns(TimelineEntry, {"lead_id"})
    through = Lead.tags.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE seed_base ON COMMIT DROP AS "
            "SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn FROM crm_lead"
        )
        cursor.execute("SELECT count(*), coalesce(max(id), 0) FROM seed_base")
        size, top = cursor.fetchone()
        copies = -(-extra // size)
        # Copy j of lead b gets id top + (j - 1) * size + rn + 1: contiguous, after every existing id.
        new_id = "(%(top)s + (j - 1) * %(size)s + base.rn + 1)"
        keep = "((j - 1) * %(size)s + base.rn < %(extra)s)"
        params = {"top": top, "size": size, "extra": extra, "copies": copies}
        national = f"({MOBILE_BASE} + {new_id})::text"
        cursor.execute(
            f"""INSERT INTO crm_lead (id, phone, search_text, {", ".join(lead_columns)})
                SELECT {new_id}, '+34' || {national},
                       regexp_replace(lead.search_text, '( [0-9]+)+$', '') || ' 34' || {national} || ' ' ||
                       (SELECT string_agg(substr({national}, i), ' ') FROM generate_series(1, 7) AS i),
                       {", ".join(f"lead.{column}" for column in lead_columns)}
                  FROM seed_base AS base JOIN crm_lead AS lead ON lead.id = base.id,
                       generate_series(1, %(copies)s) AS j
                 WHERE {keep}""",
            params,
        )
        cursor.execute(
            f"""INSERT INTO crm_timelineentry (lead_id, {", ".join(entry_columns)})
                SELECT {new_id}, {", ".join(f"entry.{column}" for column in entry_columns)}
                  FROM seed_base AS base JOIN crm_timelineentry AS entry ON entry.lead_id = base.id,
                       generate_series(1, %(copies)s) AS j
                 WHERE {keep}""",
            params,
        )
        written = cursor.rowcount
        cursor.execute(
            f"""INSERT INTO {through} (lead_id, tag_id)
                SELECT {new_id}, link.tag_id
                  FROM seed_base AS base JOIN {through} AS link ON link.lead_id = base.id,
                       generate_series(1, %(copies)s) AS j
                 WHERE {keep}""",
            params,
        )
        cursor.execute("SELECT setval(pg_get_serial_sequence('crm_lead', 'id'), (SELECT max(id) FROM crm_lead))")
        for table in ("crm_lead", "crm_timelineentry", through):
            cursor.execute(f"ANALYZE {table}")
    return written
