"""`sync_external` as the push's memory of what exists in Odoo, and the locks that keep two workers from
creating the same Odoo record at once.

Each link is written in its own statement, outside any surrounding transaction of the push, so a worker
killed right after it loses nothing that Odoo already has: the next run reads it here, or finds the
record in Odoo by its reference."""

from __future__ import annotations

import time
import zlib
from contextlib import contextmanager

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import TransientClientError
from odoo_sync.models import SyncExternal
from odoo_sync.services.steps import Link

ODOO = SyncExternal.System.ODOO
LOCK_WAIT_SECONDS = 30.0


def _lock_key(local_type: str, local_id: int) -> int:
    """A signed 64-bit key for PostgreSQL's advisory locks, distinct per schema and local object."""
    raw = f"odoo_sync:{connection.schema_name}:{local_type}:{local_id}".encode()
    high = zlib.crc32(raw)
    low = zlib.crc32(raw[::-1])
    return ((high << 32) | low) - (1 << 63)


def try_lock(local_type: str, local_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_lock_key(local_type, local_id)])
        return bool(cursor.fetchone()[0])


def unlock(local_type: str, local_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [_lock_key(local_type, local_id)])


@contextmanager
def locked(local_type: str, local_id: int, *, wait: float = LOCK_WAIT_SECONDS):
    """Holds the advisory lock of one local object (session level: a killed worker's connection closes
    and PostgreSQL releases it). Waits up to `wait` seconds for another worker's push of the same
    object; then gives up with a TransientClientError, so the task retries later."""
    deadline = time.monotonic() + wait
    delay = 0.05
    while not try_lock(local_type, local_id):
        if time.monotonic() >= deadline:
            raise TransientClientError(_("Another push of the same record is still running."), code="busy")
        time.sleep(delay)
        delay = min(delay * 2, 1.0)
    try:
        yield
    finally:
        unlock(local_type, local_id)


class SyncLinks:
    """`Links` over sync_external. `main` is the row of the document being pushed: its link is recorded
    (so a retry finds the Odoo record) but its status stays with the push, which ends it."""

    def __init__(self, *, main: tuple[str, int] | None = None):
        self.main = main

    def get(self, local_type: str, local_id: int) -> Link | None:
        row = (
            SyncExternal.objects.filter(
                local_type=local_type, local_id=local_id, system=ODOO, external_id__isnull=False
            )
            .only("external_id", "external_ref")
            .first()
        )
        return Link(row.external_id, row.external_ref) if row else None

    def set(self, local_type: str, local_id: int, *, model: str, external_id: int, ref: str = "") -> None:
        """One upsert (INSERT ... ON CONFLICT DO UPDATE), committed at once."""
        values = {"external_model": model, "external_id": external_id, "external_ref": ref[:128]}
        if (local_type, local_id) != self.main:
            values.update(status=SyncExternal.Status.DONE, last_error="", claim_token="")
        row = SyncExternal(local_type=local_type, local_id=local_id, system=ODOO, updated_at=timezone.now(), **values)
        SyncExternal.objects.bulk_create(
            [row],
            update_conflicts=True,
            unique_fields=["local_type", "local_id", "system"],
            update_fields=[*values, "updated_at"],
        )

    @contextmanager
    def guard(self, local_type: str, local_id: int):
        with locked(local_type, local_id):
            yield
