"""New companies are cloned from a migrated template schema instead of running every migration.

`migrate` keeps the template (`TENANT_TEMPLATE_SCHEMA`, default `tenant_template`) at the latest
migration state, with the default data that migrations create (the pipeline's stages, say). Creating a
company copies it (tenants.schema_clone: tables, indexes, constraints, sequences, functions, triggers and
rows, `django_migrations` included), whatever the number of migrations; usually it renames a copy a
worker made ahead of time (tenants.schema_spares), which takes milliseconds.

A template that is missing, or whose applied migrations differ from the code's (a deploy added one and
`migrate` has not run yet), is not used: the company is then created by running the migrations, as
before, and nothing is lost but time.
"""

from __future__ import annotations

import logging
from functools import cache

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import schema_exists

from tenants.schema_clone import clone_schema
from tenants.schema_spares import spare_take

logger = logging.getLogger(__name__)


def template_schema() -> str:
    return getattr(settings, "TENANT_TEMPLATE_SCHEMA", "tenant_template")


@cache
def _expected_migrations() -> frozenset[tuple[str, str]]:
    """Every migration the code has (read once per process; `migrate` reads them again)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(loader.graph.nodes)


def _applied_migrations(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = %s "
            "AND table_name = 'django_migrations')",
            [schema],
        )
        if not cursor.fetchone()[0]:
            return set()
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')  # noqa: S608 - schema name is ours
        return {(app, name) for app, name in cursor.fetchall()}


def template_state() -> str:
    """`missing`, `stale` (its migrations differ from the code's) or `current`."""
    schema = template_schema()
    if not schema_exists(schema):
        return "missing"
    return "current" if _applied_migrations(schema) == _expected_migrations() else "stale"


def template_refresh(*, verbosity: int = 0) -> str:
    """Creates the template schema when missing and migrates it; returns its state afterwards."""
    _expected_migrations.cache_clear()
    schema = template_schema()
    previous = connection.schema_name
    try:
        if not schema_exists(schema):
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE SCHEMA "{schema}"')
        call_command("migrate_schemas", schema_name=schema, tenant=True, interactive=False, verbosity=verbosity)
    finally:
        connection.set_schema(previous) if previous != "public" else connection.set_schema_to_public()
    return template_state()


def clone_from_template(schema_name: str) -> bool:
    """Creates `schema_name` as a copy of a current template: a spare copy made ahead of time when there is
    one (tenants.schema_spares), else a copy made now. False (and nothing created) when the
    template is missing or stale: the caller then migrates the new schema the slow way."""
    state = template_state()
    if state != "current":
        logger.info("company schema created by migrations: template %s", state, extra={"schema": schema_name})
        return False
    if not spare_take(schema_name, source=template_schema()):
        clone_schema(template_schema(), schema_name)
    connection.set_schema_to_public()
    return True
