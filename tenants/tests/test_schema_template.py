"""New companies are cloned from the migrated template schema: the clone must be indistinguishable from
a schema built by running the migrations, and a template that lags behind the code is never used."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tenants import migration_executor
from tenants.schema_template import clone_from_template, template_schema, template_state

pytestmark = pytest.mark.django_db


def _catalog(schema: str) -> dict:
    """Tables, columns, indexes, constraints, sequences and row counts of a schema, with its name taken out
    of the definitions so that two schemas can be compared."""

    def rows(sql: str) -> list:
        with connection.cursor() as cursor:
            cursor.execute(sql, [schema])
            return sorted(tuple(str(v).replace(f'"{schema}".', "").replace(f"{schema}.", "") for v in row)
                          for row in cursor.fetchall())  # fmt: skip

    tables = [name for (name,) in rows("SELECT table_name FROM information_schema.tables WHERE table_schema = %s")]
    counts = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}"')  # noqa: S608 - names from the catalog
            counts[table] = cursor.fetchone()[0]
    return {
        "columns": rows(
            "SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, ''), is_identity, "
            "coalesce(identity_generation, ''), is_generated FROM information_schema.columns WHERE table_schema = %s"
        ),
        "indexes": rows("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %s"),
        "constraints": rows(
            "SELECT cl.relname, c.conname, c.contype, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname = %s"
        ),
        "triggers": rows(
            "SELECT event_object_table, trigger_name, event_manipulation, action_timing, action_statement "
            "FROM information_schema.triggers WHERE trigger_schema = %s"
        ),
        "functions": rows(
            "SELECT p.proname, pg_get_function_identity_arguments(p.oid) FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s"
        ),
        "sequences": rows(
            "SELECT sequence_name, data_type FROM information_schema.sequences WHERE sequence_schema = %s"
        ),
        "counts": counts,
    }


def test_the_template_is_current_after_migrate():
    assert template_state() == "current"


def test_a_stale_template_is_detected_and_not_used():
    with connection.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{template_schema()}".django_migrations WHERE id = '  # noqa: S608 - our schema name
            f'(SELECT max(id) FROM "{template_schema()}".django_migrations)'
        )

    assert template_state() == "stale"
    assert clone_from_template("never_made") is False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = 'never_made'")
        assert cursor.fetchone() is None


def test_a_migration_failing_in_one_company_names_it_and_the_others_still_migrate(monkeypatch):
    migrated = []

    def fake_run(args, options, codename, schema_name, **kwargs):
        if schema_name == "beta":
            raise RuntimeError('column "x" already exists')
        migrated.append(schema_name)

    monkeypatch.setattr(migration_executor, "run_migrations", fake_run)
    executor = migration_executor.ParallelExecutor([], {"verbosity": 0})
    monkeypatch.setattr("django.conf.settings.TENANT_MULTIPROCESSING_MAX_PROCESSES", 1)

    with pytest.raises(CommandError, match=r"beta: RuntimeError: column \"x\" already exists"):
        executor.run_migrations(tenants=["alpha", "beta", "gamma"])
    assert migrated == ["alpha", "gamma"]


def _keys_into_public(schema: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, c.confrelid::regclass::text FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = %s AND c.contype = 'f' "
            "AND c.confrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace)",
            [schema],
        )
        return cursor.fetchall()


def _triggers_on_users() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.tenants_user'::regclass")
        return cursor.fetchone()[0]


def test_a_cloned_company_has_exactly_what_migrations_give_it_and_adds_nothing_to_the_shared_tables(acme):
    """The clone equals a schema built by the migrations. Neither holds a key into public: a key from a company
    table into public puts two triggers on the referenced table per company, so every update of a user would
    fire one per company, and adding the next company's key grows with their number. (One test, since
    migrating a schema from scratch is the slowest thing the suite does.)"""
    assert _keys_into_public(acme.schema_name) == []
    assert _keys_into_public(template_schema()) == []
    assert ("django_admin_log", "tenants_user") in _keys_into_public("public")  # the public admin keeps its own
    before = _triggers_on_users()

    assert clone_from_template("cmp_cloned") is True
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "cmp_migrated"')
    call_command("migrate_schemas", schema_name="cmp_migrated", tenant=True, interactive=False, verbosity=0)
    connection.set_schema_to_public()

    cloned, migrated = _catalog("cmp_cloned"), _catalog("cmp_migrated")
    assert cloned["counts"]["django_migrations"] > 10
    assert cloned["counts"].get("crm_stage", 0) > 0  # default data made by migrations came along
    for part in ("columns", "indexes", "constraints", "triggers", "functions", "sequences", "counts"):
        assert cloned[part] == migrated[part], part
    assert _keys_into_public("cmp_cloned") == []
    assert _keys_into_public("cmp_migrated") == []
    assert _triggers_on_users() == before

    # Identity sequences continue after the copied rows: a new row gets a fresh id.
    from crm.models import Stage

    connection.set_schema("cmp_cloned")
    highest = max(Stage.objects.values_list("id", flat=True))
    assert Stage.objects.create(name="Extra", position=99).pk > highest
    connection.set_schema_to_public()
