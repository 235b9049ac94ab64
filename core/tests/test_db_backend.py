"""The schema-scoped table list gives Django's answer (the tables visible in the company's schema)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.backends.postgresql.introspection import DatabaseIntrospection

from core.db_backend.introspection import SchemaScopedIntrospection

pytestmark = pytest.mark.django_db


def _django_answer() -> list[tuple]:
    with connection.cursor() as cursor:
        return sorted(DatabaseIntrospection.get_table_list(connection.introspection, cursor))


def test_the_backend_lists_tables_through_the_scoped_introspection():
    assert isinstance(connection.introspection, SchemaScopedIntrospection)


def test_a_company_schema_lists_the_same_tables_as_django_does(acme):
    connection.set_tenant(acme)
    with connection.cursor() as cursor:
        cursor.execute(f'SET search_path = "{acme.schema_name}"')
        expected = _django_answer()
        listed = sorted(connection.introspection.get_table_list(cursor))
    assert listed == expected
    names = {info.name for info in listed}
    assert "crm_lead" in names
    assert "django_migrations" in names
    assert "tenants_tenant" not in names  # the public schema's tables are not the company's


def test_the_public_schema_lists_the_same_tables_as_django_does():
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SET search_path = public")
        expected = _django_answer()
        listed = sorted(connection.introspection.get_table_list(cursor))
    assert listed == expected
    assert "tenants_tenant" in {info.name for info in listed}
    assert "crm_lead" not in {info.name for info in listed}


def test_the_migration_recorder_finds_its_table_in_the_schema_it_is_in(acme):
    from django.db.migrations.recorder import MigrationRecorder

    connection.set_tenant(acme)
    assert MigrationRecorder(connection).has_table() is True
    connection.set_schema_to_public()
    assert MigrationRecorder(connection).has_table() is True


def test_a_schema_without_the_migrations_table_is_told_so_even_with_public_on_the_path():
    from django.db.migrations.recorder import MigrationRecorder

    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "recorder_probe"')
    try:
        connection.set_schema("recorder_probe")  # search path: recorder_probe, public (which has the table)
        assert MigrationRecorder(connection).has_table() is False
    finally:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute('DROP SCHEMA "recorder_probe" CASCADE')
