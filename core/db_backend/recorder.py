"""`MigrationRecorder.has_table` by one catalogue index lookup.

Django answers "does this schema have django_migrations?" by listing every table visible on the search
path and looking for the name; `migrate` asks it a few times per company schema. Listing scans all of
`pg_class` (about 250,000 rows with a thousand companies), so migrating every company cost the square of
their number. `to_regclass` on the schema-qualified name asks the same question through the catalogue's
name index. The answer is cached per recorder as Django does (only once it is True).
"""

from __future__ import annotations

from django.db.migrations.recorder import MigrationRecorder

_original_has_table = MigrationRecorder.has_table


def _has_table(self) -> bool:
    if self._has_table:
        return True
    connection = self.connection
    schema = getattr(connection, "schema_name", None)
    if connection.vendor != "postgresql" or not schema:
        return _original_has_table(self)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regclass(%s) IS NOT NULL", [f"{quote(schema)}.{quote(self.Migration._meta.db_table)}"]
        )
        self._has_table = bool(cursor.fetchone()[0])
    return self._has_table


def install() -> None:
    MigrationRecorder.has_table = _has_table
