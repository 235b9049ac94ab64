"""Measures sending orders to Odoo: pushes confirmed, delivered orders to the fake Odoo server.

    python manage.py bench_odoo --orders 200 --workers 2 [--protocol xmlrpc] [--odoo-version 17.0] [--keep]

Creates a throwaway tenant `bench-<random>` whose Odoo credentials point at a fake Odoo (the tests' one,
odoo_sync.fake_odoo) started in this process on loopback, seeds `--orders` leads each with a confirmed
order of two or three products delivered in full, then presses "send to Odoo" on all of them at once.
With `--workers N` (N >= 1) a Celery worker with N processes, on a queue of its own, pushes them, as
production does; `--workers 0` pushes them here, one after the other (no broker needed). Reports JSON:
documents per second (from the press to the last push finished), the Odoo calls per document (every
HTTP request the fake served, by method too), and how many records Odoo holds afterwards (one per
document: no duplicates). Drops the tenant afterwards unless --keep."""

from __future__ import annotations

import contextlib
import json
import os
import random
import secrets
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from crm.management.commands.bench_crm import drop_bench_tenant
from odoo_sync.bench import progress, seed_orders, wait_until_finished
from odoo_sync.fake_odoo import FakeOdoo, FakeOdooServer
from odoo_sync.models import SyncExternal
from odoo_sync.services.push import document_push, sync_request
from odoo_sync.services.steps import DOCUMENT
from tenants.models import Credential, Membership, MembershipStatus, Role, User
from tenants.services import tenant_create
from tenants.vault import vault_set

ROOT = Path(settings.BASE_DIR)
WORKER_START_TIMEOUT = 60


class Command(BaseCommand):
    help = "Pushes confirmed orders to a fake Odoo and reports documents per second and calls per document."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=200)
        parser.add_argument("--workers", type=int, default=2, help="Celery worker processes; 0 pushes in-process.")
        parser.add_argument("--protocol", choices=["xmlrpc", "jsonrpc", "json2"], default="xmlrpc")
        parser.add_argument("--odoo-version", dest="odoo_version", default="", help="Odoo version the fake plays.")
        parser.add_argument("--timeout", type=float, default=600.0)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--keep", action="store_true")

    def handle(self, *args, **options):
        if options["orders"] < 1 or options["workers"] < 0:
            raise CommandError("--orders must be positive and --workers at least 0.")
        version = options["odoo_version"] or ("19.0" if options["protocol"] == "json2" else "17.0")
        connection.set_schema_to_public()
        slug = f"bench-{secrets.token_hex(4)}"
        with contextlib.redirect_stdout(sys.stderr):
            tenant = tenant_create(
                name=f"Bench {slug}", slug=slug, owner_email=f"owner@{slug}.bench", owner_name="Bench Owner"
            )
        accountant = User.objects.create_user(email=f"accountant@{slug}.bench", full_name="Bench Accountant")
        Membership.objects.create(user=accountant, tenant=tenant, role=Role.ACCOUNTANT, status=MembershipStatus.ACTIVE)
        people = [User.objects.get(email=f"owner@{slug}.bench").pk, accountant.pk]
        server = FakeOdooServer(FakeOdoo(version=version)).start()
        worker = None
        try:
            vault_set(
                tenant=tenant,
                kind=Credential.Kind.ODOO,
                values={
                    "url": server.url,
                    "database": server.store.database,
                    "username": server.store.login,
                    "api_key": server.store.secret,
                    "protocol": options["protocol"],
                },
                actor=None,
            )
            queue = f"bench-odoo-{slug}"
            if options["workers"]:
                worker = self._start_worker(queue, options["workers"])
            report = self._run(tenant, accountant, server, queue, options)
            report.update(protocol=options["protocol"], odoo_version=version, workers=options["workers"])
        finally:
            if worker is not None:
                worker.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker.wait(timeout=20)
                if worker.poll() is None:
                    worker.kill()
            server.stop()
            connection.set_schema_to_public()
            if not options["keep"]:
                drop_bench_tenant(tenant, user_ids=people)
        self.stdout.write(json.dumps(report, indent=2))

    def _start_worker(self, queue: str, concurrency: int) -> subprocess.Popen:
        from config.celery import app

        name = f"{queue}@localhost"
        env = dict(os.environ, CELERY_TASK_DEFAULT_QUEUE=queue, PYTHONUNBUFFERED="1")
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork",
            f"--concurrency={concurrency}", "-Q", queue, "-n", name, "-l", "WARNING",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sys.stderr, stderr=sys.stderr)  # noqa: S603
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while not app.control.ping(destination=[name], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise CommandError("the bench's Celery worker did not start")
        return process

    def _run(self, tenant, accountant, server, queue: str, options) -> dict:
        from odoo_sync.tasks import push_document_task

        rng = random.Random(options["seed"])  # noqa: S311 (test data)
        with tenant_context(tenant):
            started = time.perf_counter()
            orders = seed_orders(count=options["orders"], actor=accountant, rng=rng)
            seed_seconds = time.perf_counter() - started
            ids = [order.pk for order in orders]
            requests_before = server.requests
            calls_before = server.store.calls.copy()
            if options["workers"]:
                push_document_task.delay = lambda *args: push_document_task.apply_async(args, queue=queue)
            started = time.perf_counter()
            result = sync_request(tenant=tenant, documents=orders, actor=accountant)
            queries = None
            if not options["workers"]:
                claims = list(
                    SyncExternal.objects.filter(local_type=DOCUMENT, local_id__in=ids).values_list("pk", "claim_token")
                )
                connection.queries_log.clear()
                with CaptureQueriesContext(connection) as captured:
                    for sync_id, token in claims:
                        document_push(sync_id=sync_id, token=token)
                queries = round(len(captured.captured_queries) / len(claims), 1)
            finished = wait_until_finished(ids, timeout=options["timeout"])
            seconds = time.perf_counter() - started
            errors = list(
                SyncExternal.objects.filter(local_type=DOCUMENT, local_id__in=ids, status=SyncExternal.Status.FAILED)
                .values_list("last_error", flat=True)
                .distinct()[:5]
            )
            state = progress(ids)
        store = server.store
        count = len(ids)
        calls = store.calls - calls_before
        return {
            "orders": count,
            "queued": len(result.queued),
            "done": state.done,
            "failed": finished.failed,
            "unfinished": state.waiting,
            "errors": errors,
            "seed_seconds": round(seed_seconds, 2),
            "seconds": round(seconds, 2),
            "documents_per_second": round(state.done / seconds, 2) if seconds else None,
            "sql_queries_per_document": queries,
            "http_requests_per_document": round((server.requests - requests_before) / count, 2),
            "calls_per_document": {key: round(value / count, 2) for key, value in sorted(calls.items())},
            "odoo_records": {
                model: store.count(model) for model in ("res.partner", "product.product", "sale.order", "stock.picking")
            },
        }
