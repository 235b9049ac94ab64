"""How `migrate` walks the company schemas: in parallel worker processes, with progress, and without
letting one company's failure leave the others half done.

Each schema migrates in its own transactions (PostgreSQL's DDL is transactional), so a migration that
fails in one company is rolled back there and leaves it at its previous state; the other companies are
migrated all the same. At the end the command fails, naming every company that did not migrate and why,
so the operator fixes and runs `migrate` again (it only applies what is missing).

Selected by `GET_EXECUTOR_FUNCTION = "tenants.migration_executor.get_executor"`. Processes:
`TENANT_MULTIPROCESSING_MAX_PROCESSES` (default: the number of CPUs).
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import sys
import time
import traceback

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connections
from django_tenants.migration_executors.base import MigrationExecutor, run_migrations


def _migrate_one(args, options, count, item, allow_atomic=False) -> tuple[str, str]:
    """Migrates one schema; returns (schema, "") or (schema, the error's last line)."""
    index, schema_name = item
    try:
        run_migrations(args, options, "parallel", schema_name, allow_atomic=allow_atomic, idx=index, count=count)
    except Exception as error:  # reported by name below; the schema's own transaction rolled back
        traceback.print_exc(file=sys.stderr)
        connections.close_all()
        return schema_name, f"{error.__class__.__name__}: {error}".splitlines()[0][:500]
    return schema_name, ""


class ParallelExecutor(MigrationExecutor):
    codename = "parallel"

    def run_migrations(self, tenants=None):
        tenants = list(tenants or [])
        failures: list[tuple[str, str]] = []
        if self.PUBLIC_SCHEMA_NAME in tenants:
            # The public schema first and alone: tenant schemas may depend on its tables.
            tenants.remove(self.PUBLIC_SCHEMA_NAME)
            run_migrations(self.args, self.options, self.codename, self.PUBLIC_SCHEMA_NAME)
        if not tenants:
            return
        started = time.monotonic()
        processes = min(
            getattr(settings, "TENANT_MULTIPROCESSING_MAX_PROCESSES", None) or os.cpu_count() or 1, len(tenants)
        )
        work = functools.partial(_migrate_one, self.args, self.options, len(tenants))
        items = list(enumerate(tenants))
        if processes <= 1 or len(tenants) == 1:
            results = [work(item, allow_atomic=True) for item in items]
        else:
            connections.close_all()  # a forked child must not share the parent's socket
            context = multiprocessing.get_context("fork")
            with context.Pool(processes=processes) as pool:
                results = list(pool.imap_unordered(work, items, chunksize=4))
        failures = [(schema, error) for schema, error in results if error]
        elapsed = time.monotonic() - started
        if int(self.options.get("verbosity", 1)) >= 1:
            sys.stdout.write(
                f"Migrated {len(tenants) - len(failures)} of {len(tenants)} company schemas in {elapsed:.1f} s "
                f"with {processes} process(es).\n"
            )
        if failures:
            names = "\n".join(f"  {schema}: {error}" for schema, error in failures)
            raise CommandError(
                f"{len(failures)} company schema(s) did not migrate (each rolled back to its previous state; "
                f"the others are migrated). Fix the cause and run migrate again:\n{names}"
            )

    def run_multi_type_migrations(self, tenants):
        raise NotImplementedError("multi-type tenants are not used here")


def get_executor(codename=None):
    from django_tenants.migration_executors import get_executor as default_get_executor

    if codename in (None, "", "parallel"):
        return ParallelExecutor
    return default_get_executor(codename=codename)
