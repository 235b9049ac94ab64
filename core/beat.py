"""Beat for many companies: every scheduled task runs once per company, spread over a window instead of
all at the same second, so a thousand companies do not start their reminders, purges and syncs at once
and queue behind each other. Each company's run is a task of its own: a slow company holds up only
itself.

An entry of CELERY_BEAT_SCHEDULE may say `"options": {"spread": seconds}`; each company's run is then
delayed by a stable offset in [0, seconds) drawn from its schema name and the entry's name (the same
company always runs at the same point of the window). Without it, CELERY_BEAT_DEFAULT_SPREAD applies.
An entry with `"options": {"platform": True}` is the installation's, not the companies': sent once, in
the public schema.
"""

from __future__ import annotations

import copy
import hashlib
import logging

from django.conf import settings
from django_tenants.utils import get_public_schema_name, schema_context
from tenant_schemas_celery.scheduler import TenantAwarePersistentScheduler

logger = logging.getLogger(__name__)


def spread_offset(schema_name: str, entry_name: str, window: int) -> int:
    """A stable offset in [0, window) seconds for this company and entry."""
    if window <= 1:
        return 0
    digest = hashlib.blake2b(f"{entry_name}:{schema_name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % window


class SpreadTenantScheduler(TenantAwarePersistentScheduler):
    def apply_entry(self, entry, producer=None):
        if entry.options.get("platform"):
            # A task of the installation, not of each company (spare schemas, say): sent once, in public.
            once = copy.copy(entry)
            once.options = {key: value for key, value in entry.options.items() if key not in {"platform", "spread"}}
            with schema_context(get_public_schema_name()):
                try:
                    self.apply_async(once, producer=producer, advance=False)
                except Exception:
                    logger.exception("beat could not send %s", entry.task)
            return
        headers = entry.options.setdefault("headers", {})
        tenants = self.get_queryset().exclude(schema_name=get_public_schema_name())
        if not headers.get("_all_tenants_only"):
            tenants = tenants.filter(schema_name=headers.get("_schema_name"))
        schemas = list(tenants.values_list("schema_name", flat=True))
        window = int(entry.options.get("spread", getattr(settings, "CELERY_BEAT_DEFAULT_SPREAD", 0)) or 0)
        logger.info("beat: %s to %d companies over %d s", entry.task, len(schemas), window)
        for schema in schemas:
            per_company = copy.copy(entry)
            per_company.options = {key: value for key, value in entry.options.items() if key != "spread"}
            per_company.options["countdown"] = spread_offset(schema, entry.name, window)
            with schema_context(schema):
                try:
                    self.apply_async(per_company, producer=producer, advance=False)
                except Exception:
                    logger.exception("beat could not send %s to %s", entry.task, schema)
