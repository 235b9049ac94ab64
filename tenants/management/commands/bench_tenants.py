"""Measures what many companies cost on one installation.

    python manage.py bench_tenants --companies 1000 [--leads 5] [--requests 20] [--keep]

Creates `--companies` throwaway companies `bt-<run>-<n>` (each with an owner and a few leads), then reports
as JSON: the time to create a company (first, median, p95, last), the time `migrate` takes to apply a
trivial new migration to every schema, the database's and the system catalogue's size, the p95 and query
count of a page (the dashboard, as the owner) on the first and on the last company, and this process's
memory after serving both. Drops everything it made afterwards unless --keep.

With spare schemas on (TENANT_SPARE_SCHEMAS > 0, the default) a worker keeps copies of the template ready
and a creation renames one; the bench plays that worker, refilling the pool between creations outside the
timing, and reports the copy's own time as `spare_copy_seconds` (what a creation costs when the pool is
empty). `--no-spares` measures creations that copy the template themselves.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import statistics
import sys
import time
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client, override_settings
from django_tenants.utils import tenant_context

from crm.management.commands.bench_crm import measure, percentile
from crm.models import Lead
from tenants.models import Domain, Tenant, User
from tenants.schema_spares import spare_target, spares_refill
from tenants.schema_template import template_refresh, template_schema
from tenants.selectors import tenant_primary_domain
from tenants.services import tenant_create

NOOP_APP = "core"


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _sizes() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        database = cursor.fetchone()[0]
        cursor.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'pg_catalog' AND c.relkind = 'r'"
        )
        catalogue = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_class")
        relations = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_namespace")
        schemas = cursor.fetchone()[0]
    return {
        "database_mb": round(database / 2**20, 1),
        "catalogue_mb": round(catalogue / 2**20, 1),
        "pg_class_rows": relations,
        "schemas": schemas,
    }


def _noop_migration_source() -> tuple[Path, str]:
    """A migration that changes nothing, after the app's latest one: what a trivial deploy applies."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaf = max(name for app, name in loader.graph.leaf_nodes() if app == NOOP_APP)
    folder = Path(__import__(f"{NOOP_APP}.migrations", fromlist=["x"]).__file__).parent
    name = f"9999_bench_noop_{secrets.token_hex(3)}"
    source = (
        "from django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = [({NOOP_APP!r}, {leaf!r})]\n"
        "    operations = [migrations.RunSQL('SELECT 1', reverse_sql='SELECT 1')]\n"
    )
    path = folder / f"{name}.py"
    path.write_text(source)
    return path, name


class Command(BaseCommand):
    help = "Creates many throwaway companies and measures creation, migrate, sizes and a page (JSON)."

    def add_arguments(self, parser):
        parser.add_argument("--companies", type=int, default=100)
        parser.add_argument("--leads", type=int, default=5, help="Leads per company.")
        parser.add_argument("--requests", type=int, default=20)
        parser.add_argument("--skip-migrate", action="store_true", help="Do not time a trivial migration.")
        parser.add_argument("--keep", action="store_true")
        parser.add_argument("--no-spares", action="store_true", help="Copy the template at each creation.")

    def handle(self, *args, **options):
        if options["companies"] < 1 or options["requests"] < 1 or options["leads"] < 0:
            raise CommandError("--companies and --requests must be positive, --leads not negative.")
        connection.set_schema_to_public()
        run = secrets.token_hex(3)
        with contextlib.redirect_stdout(sys.stderr):
            state = template_refresh()
        sizes_before = _sizes()
        created: list[Tenant] = []
        timings: list[float] = []
        report: dict = {"companies": options["companies"], "template": state, "before": sizes_before}
        spares = 0 if options["no_spares"] else spare_target()
        copies: list[float] = []
        report["spares"] = spares
        try:
            for n in range(options["companies"]):
                slug = f"bt-{run}-{n}"
                if spares:
                    started = time.perf_counter()
                    made = spares_refill(source=template_schema(), target=spares)["made"]
                    if made:
                        copies.append((time.perf_counter() - started) / made)
                started = time.perf_counter()
                with contextlib.redirect_stdout(sys.stderr), override_settings(TENANT_SPARE_SCHEMAS=spares):
                    tenant = tenant_create(
                        name=f"Bench {n}", slug=slug, owner_email=f"owner@{slug}.bench", owner_name=f"Owner {n}"
                    )
                timings.append(time.perf_counter() - started)
                created.append(tenant)
                self._seed(tenant, options["leads"], n)
                if (n + 1) % 100 == 0:
                    self.stderr.write(f"{n + 1} companies created")
            report["create_seconds"] = {
                "first": round(timings[0], 3),
                "median": round(statistics.median(timings), 3),
                "p95": round(percentile(timings, 0.95), 3),
                "last": round(timings[-1], 3),
                "total": round(sum(timings), 1),
            }
            if copies:
                report["spare_copy_seconds"] = {
                    "median": round(statistics.median(copies), 3),
                    "p95": round(percentile(copies, 0.95), 3),
                }
            report["after"] = _sizes()
            report["page"] = {
                "first_company": self._page(created[0], options["requests"]),
                "last_company": self._page(created[-1], options["requests"]),
            }
            report["web_process_rss_mb"] = _rss_mb()
            if not options["skip_migrate"]:
                report["migrate_trivial_seconds"] = self._migrate_noop()
        finally:
            connection.set_schema_to_public()
            if not options["keep"]:
                started = time.perf_counter()
                for tenant in created:
                    drop_company(tenant)
                if spares:
                    spares_refill(source=template_schema(), target=0)
                report["drop_seconds"] = round(time.perf_counter() - started, 1)
        self.stdout.write(json.dumps(report, indent=2, default=str))

    def _seed(self, tenant: Tenant, leads: int, n: int) -> None:
        from crm import public

        with tenant_context(tenant):
            for i in range(leads):
                public.lead_upsert_by_phone(
                    tenant=tenant, phone=f"+346{(n * 100 + i) % 10**8:08d}", source=Lead.Source.MANUAL,
                    fields={"first_name": f"Lead {i}"},
                )  # fmt: skip

    def _page(self, tenant: Tenant, requests: int) -> dict:
        owner = User.objects.get(email=f"owner@{tenant.slug}.bench")
        client = Client(HTTP_HOST=tenant_primary_domain(tenant=tenant))
        client.force_login(owner)
        result = measure(client, "/", requests)
        connection.set_schema_to_public()
        return result

    def _migrate_noop(self) -> float:
        path, name = _noop_migration_source()
        schemas = [*Tenant.objects.exclude(schema_name="public").values_list("schema_name", flat=True)]
        try:
            started = time.perf_counter()
            with contextlib.redirect_stdout(sys.stderr):
                call_command("migrate", interactive=False, verbosity=0)
            return round(time.perf_counter() - started, 1)
        finally:
            path.unlink(missing_ok=True)
            connection.set_schema_to_public()
            with connection.cursor() as cursor:
                for schema in ["public", template_schema(), *schemas]:
                    cursor.execute(
                        f'DELETE FROM "{schema}".django_migrations WHERE app = %s AND name = %s',  # noqa: S608
                        [NOOP_APP, name],
                    )


def drop_company(tenant: Tenant) -> None:
    """Removes a bench company: its owner, domain, tenant row and schema."""
    User.objects.filter(email=f"owner@{tenant.slug}.bench").delete()
    Domain.objects.filter(tenant=tenant).delete()
    Tenant.objects.filter(pk=tenant.pk).delete()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(tenant.schema_name)} CASCADE")
