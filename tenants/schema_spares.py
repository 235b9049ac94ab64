"""Spare schemas: copies of the current template made ahead of time by a worker, so that creating a company
renames one (a catalogue update of a few milliseconds) instead of copying some 500 tables, indexes,
constraints and triggers while the person waits (one to two seconds on a busy two-core machine).

A spare is a schema named `spare_<hex>` whose comment records the template state it was copied from
(tenants.schema_clone.template_key). Only a spare of the current state is used: after `migrate` changes
the template, older spares are dropped and replaced by the next refill. Taking a spare happens inside the
company's creating transaction and claims the spare with a transaction-level advisory lock, so two
companies created at the same moment never get the same one, and a creation that rolls back leaves the
spare as it was. With no usable spare, the company is cloned from the template as before.

`TENANT_SPARE_SCHEMAS` (default 2) spares are kept: beat refills the pool every minute and each creation
asks for a refill after it commits. A spare costs what an empty company costs (about 400 catalogue rows).
"""

from __future__ import annotations

import logging
import secrets

from django.conf import settings
from django.db import connection, transaction

from tenants.schema_clone import clone_schema, template_key

logger = logging.getLogger(__name__)

PREFIX = "spare_"
LOCK_PREFIX = "tenants.spare:"


def spare_target() -> int:
    return max(0, int(getattr(settings, "TENANT_SPARE_SCHEMAS", 2)))


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def spare_schemas() -> list[tuple[str, str]]:
    """[(schema name, template key it was copied from)] of every spare, oldest name order."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname, coalesce(obj_description(oid, 'pg_namespace'), '') FROM pg_namespace "
            "WHERE nspname LIKE %s ORDER BY nspname",
            [PREFIX.replace("_", "\\_") + "%"],
        )
        return list(cursor.fetchall())


def _claim(cursor, name: str) -> bool:
    """Holds `name` for the rest of the current transaction, if nobody else does and it still exists."""
    cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [LOCK_PREFIX + name])
    if not cursor.fetchone()[0]:
        return False
    cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
    return cursor.fetchone() is not None


def spare_take(schema_name: str, *, source: str) -> bool:
    """Renames a spare copied from the current state of `source` to `schema_name`, inside the caller's
    transaction. False (nothing changed) when there is none to take."""
    if spare_target() == 0:
        return False
    with connection.cursor() as cursor:
        key = template_key(cursor, source)
        for name, made_from in spare_schemas():
            if made_from != key or not _claim(cursor, name):
                continue
            cursor.execute(f"ALTER SCHEMA {_quote(name)} RENAME TO {_quote(schema_name)}")
            cursor.execute(f"COMMENT ON SCHEMA {_quote(schema_name)} IS NULL")
            transaction.on_commit(_ask_for_refill)
            return True
    transaction.on_commit(_ask_for_refill)
    return False


def _ask_for_refill() -> None:
    from tenants.tasks import spares_refill_task

    try:
        spares_refill_task.delay()
    except Exception:  # a broker outage must not fail the company that was just created
        logger.exception("could not ask for spare schemas")


def spares_refill(*, source: str, target: int | None = None) -> dict:
    """Drops the spares of an older template state (and current ones beyond `target`), and copies `source`
    until `target` current spares exist, each copy in a transaction of its own. Answers
    {"dropped": n, "made": n, "spares": n}."""
    from tenants.schema_template import template_state

    target = spare_target() if target is None else target
    connection.set_schema_to_public()
    current = template_state() == "current"
    dropped = made = 0
    with connection.cursor() as cursor:
        key = template_key(cursor, source) if current else None
    usable = 0
    for name, made_from in spare_schemas():
        if current and made_from == key and usable < target:
            usable += 1
            continue
        with transaction.atomic(), connection.cursor() as cursor:
            if _claim(cursor, name):
                cursor.execute(f"DROP SCHEMA {_quote(name)} CASCADE")
                dropped += 1
    while current and usable + made < target:
        name = f"{PREFIX}{secrets.token_hex(6)}"
        with transaction.atomic():
            clone_schema(source, name)
            with connection.cursor() as cursor:
                cursor.execute(f"COMMENT ON SCHEMA {_quote(name)} IS %s", [key])
        made += 1
    connection.set_schema_to_public()
    if dropped or made:
        logger.info("spare schemas: %d dropped, %d made", dropped, made)
    return {"dropped": dropped, "made": made, "spares": usable + made}
