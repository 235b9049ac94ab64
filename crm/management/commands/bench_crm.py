"""Measures the CRM pages against a large throwaway tenant.

    python manage.py bench_crm --leads 50000 [--requests 30] [--keep]

Creates a tenant `bench-<random>` with an owner and five sellers, seeds it with `--leads` leads and
their history (crm.seeding_bulk: 20,000 generated ones, the rest copied in SQL; a million in a few
minutes), then requests each page as the owner and as a seller through Django's test client on the
tenant's host: server time over `--requests` requests (median and p95, in ms) and the number of SQL
queries. Prints JSON. Drops the tenant (schema, rows, people) afterwards unless --keep. Pages whose
URL name does not resolve are reported as "missing"."""

from __future__ import annotations

import contextlib
import json
import math
import random
import secrets
import statistics
import sys
import time
from urllib.parse import urlencode

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django_tenants.utils import schema_context

from crm.models import Lead, TimelineEntry
from crm.seeding import Person
from crm.seeding_bulk import seed_bulk
from tenants.models import Domain, Membership, MembershipStatus, Role, Tenant, User
from tenants.selectors import tenant_primary_domain
from tenants.services import tenant_create

# (result key, URL name, what the URL needs: None, "lead" (the lead's id), "search" (?q=<surname>), a
# query of its own ("?…": "{surname}" and "{letter}", the surname's first letter, are filled in; "{seller}"
# the measured seller's id), who is measured on it).
BOTH = ("owner", "seller")
PAGES = [
    ("board", "crm:board", None, BOTH),
    ("list", "crm:lead-list", "search", BOTH),
    ("list_unfiltered", "crm:lead-list", None, BOTH),
    # Another column than creation date, with and without a search; a one-letter search matches a large
    # share of the leads (its count stops at the cap).
    ("list_by_value", "crm:lead-list", "?sort=-value", BOTH),
    ("list_search_by_stage", "crm:lead-list", "?q={surname}&sort=stage", BOTH),
    ("list_broad_search_by_name", "crm:lead-list", "?q={letter}&sort=name", BOTH),
    ("detail", "crm:lead-detail", "lead", BOTH),
    ("dashboard", "crm:dashboard", None, BOTH),
    ("analytics", "crm:analytics", None, ("owner",)),
    ("reports", "crm:reports", None, ("owner",)),
    ("reports_one_seller", "crm:reports", "?seller={seller}", ("owner",)),
    ("report_csv", "crm:report-export", "report", ("owner",)),
]
SELLERS = 5


def page_url(name: str, needs: str | None, *, lead_id: int, surname: str, seller_id: int = 0) -> str | None:
    args = {"lead": [lead_id], "report": ["funnel"]}.get(needs or "")
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return None
    if needs and needs.startswith("?"):
        fill = {"surname": surname, "letter": surname[:1], "seller": seller_id}
        pairs = [pair.split("=", 1) for pair in needs[1:].split("&")]
        return f"{url}?{urlencode([(key, value.format(**fill)) for key, value in pairs])}"
    return f"{url}?{urlencode({'q': surname})}" if needs == "search" else url


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def measure(client: Client, url: str, requests: int) -> dict:
    client.get(url)  # warm-up: template loading, first connection
    # The debug query log is a bounded deque: once full (after migrations with DEBUG on) its length stops
    # growing and CaptureQueriesContext would count nothing.
    connection.queries_log.clear()
    sql_ms: list[float] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_ms.append((time.perf_counter() - started) * 1000)

    with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(timed):
        response = client.get(url)
    # Read now: the next request resets the query log the context reads from.
    query_count = len(queries.captured_queries)
    timings, cpu = [], []
    for _ in range(requests):
        started, cpu_started = time.perf_counter(), time.process_time()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    return {
        "url": url,
        "status": response.status_code,
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        # This process's own CPU time: what a busy machine inflates least (the database's work is not in it).
        "cpu_median_ms": round(statistics.median(cpu), 1),
        "queries": query_count,
        # The database's share of one request (the rest is Python: views, templates, middleware), and the
        # page's weight: what tells the cost of the data from the cost of a loaded CPU.
        "sql_ms": round(sum(sql_ms), 1),
        "bytes": len(response.content) if not response.streaming else None,
    }


class Command(BaseCommand):
    help = "Seeds a throwaway tenant with many leads and measures the CRM pages (JSON on stdout)."

    def add_arguments(self, parser):
        parser.add_argument("--leads", type=int, default=50_000)
        parser.add_argument("--requests", type=int, default=30)
        parser.add_argument("--keep", action="store_true", help="Keep the bench tenant afterwards.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed for the generated data.")
        parser.add_argument(
            "--reuse", metavar="SLUG", help="Measure a company kept by an earlier --keep run again, without seeding."
        )

    def handle(self, *args, **options):
        if options["leads"] < 1 or options["requests"] < 1:
            raise CommandError("--leads and --requests must be positive.")
        connection.set_schema_to_public()
        if options["reuse"]:
            self.stdout.write(json.dumps(self._reuse(options), indent=2))
            return
        slug = f"bench-{secrets.token_hex(4)}"
        # The schema's migrations print to stdout; keep stdout for the JSON report.
        with contextlib.redirect_stdout(sys.stderr):
            tenant = tenant_create(
                name=f"Bench {slug}", slug=slug, owner_email=f"owner@{slug}.bench", owner_name="Bench Owner"
            )
        owner = User.objects.get(email=f"owner@{slug}.bench")
        people = [owner]
        try:
            for n in range(1, SELLERS + 1):
                seller = User.objects.create_user(email=f"seller{n}@{slug}.bench", full_name=f"Bench Seller {n}")
                Membership.objects.create(user=seller, tenant=tenant, role=Role.SELLER, status=MembershipStatus.ACTIVE)
                people.append(seller)
            report = self._run(tenant, owner, people, options)
        finally:
            connection.set_schema_to_public()
            if not options["keep"]:
                drop_bench_tenant(tenant, user_ids=[person.pk for person in people])
        if options["keep"]:
            report["tenant"] = {"slug": tenant.slug, "host": tenant_primary_domain(tenant=tenant)}
        self.stdout.write(json.dumps(report, indent=2))

    def _reuse(self, options) -> dict:
        slug = options["reuse"]
        if not slug.startswith("bench-"):
            raise CommandError("--reuse takes the slug of a bench company (bench-…).")
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No company {slug}.")
        owner = User.objects.get(email=f"owner@{slug}.bench")
        sellers = User.objects.filter(email__startswith="seller", email__endswith=f"@{slug}.bench").order_by("id")
        people = [owner, *sellers]
        report = self._run(tenant, owner, people, options, seed=False)
        report["tenant"] = {"slug": tenant.slug, "host": tenant_primary_domain(tenant=tenant)}
        return report

    def _run(self, tenant: Tenant, owner: User, people: list[User], options, seed: bool = True) -> dict:
        rng = random.Random(options["seed"])  # noqa: S311 (test data)
        with schema_context(tenant.schema_name):
            if not seed:
                return self._measure(tenant, owner, people, options, rng, seeded=None)
            seeded = seed_bulk(
                count=options["leads"],
                sellers=[Person(person.pk, person.full_name) for person in people],
                creator=Person(owner.pk, owner.full_name),
                rng=rng,
                language="es",
            )
        return self._measure(tenant, owner, people, options, rng, seeded=seeded)

    def _measure(self, tenant, owner, people, options, rng, seeded) -> dict:
        with schema_context(tenant.schema_name):
            # Outside a transaction, a vacuum now (visibility map for index-only scans) rather than
            # autovacuum's in the middle of the measurements.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            with connection.cursor() as cursor:
                for table in ("crm_lead", "crm_timelineentry") if seeded else ():
                    cursor.execute(f"{command} {table}")
            entries = None if seeded else TimelineEntry.objects.count()
            seller = people[1]
            # The lead with the longest history among the first ones, the owner's and the seller's own.
            first = Lead.objects.order_by("id").values("id")[:2000]
            busiest = (
                TimelineEntry.objects.filter(lead_id__in=first)
                .values("lead_id")
                .annotate(n=Count("id"))
                .order_by("-n", "lead_id")
            )
            owner_lead = busiest[0]["lead_id"]
            seller_lead = next(iter(busiest.filter(lead__seller_id=seller.pk)), None)
            if seller_lead is None:  # a tiny run where the seller got none of the first leads
                seller_lead = {"lead_id": Lead.objects.filter(seller_id=seller.pk).values_list("id", flat=True).first()}
            lead_ids = {"owner": owner_lead, "seller": seller_lead["lead_id"] or owner_lead}
            leads = Lead.objects.count() if seeded is None else seeded.leads
            surname = Lead.objects.order_by("id").values_list("last_name", flat=True)[rng.randrange(min(leads, 1000))]
        host = tenant_primary_domain(tenant=tenant)
        results: dict[str, dict] = {}
        for role, user in (("owner", owner), ("seller", seller)):
            client = Client(HTTP_HOST=host)
            client.force_login(user)
            for key, name, needs, roles in PAGES:
                if role not in roles:
                    continue
                url = page_url(name, needs, lead_id=lead_ids[role], surname=surname, seller_id=seller.pk)
                measured = "missing" if url is None else measure(client, url, options["requests"])
                results.setdefault(key, {})[role] = measured
            client.logout()
        return {
            "leads": leads,
            "timeline_entries": seeded.entries if seeded else entries,
            "seed_seconds": seeded.seconds if seeded else None,
            "requests": options["requests"],
            "results": results,
        }


def drop_bench_tenant(tenant: Tenant, *, user_ids: list[int]) -> None:
    """Removes everything the bench made: its people (inside the tenant's schema, so the rows that point
    at them there resolve), its memberships, domain and tenant rows, and its schema."""
    with schema_context(tenant.schema_name):
        User.objects.filter(pk__in=user_ids).delete()
    Domain.objects.filter(tenant=tenant).delete()
    Tenant.objects.filter(pk=tenant.pk).delete()  # a queryset delete: the schema goes below, explicitly
    with connection.cursor() as cursor:
        # Deferred foreign-key checks still pending in an enclosing transaction would block the DROP.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(tenant.schema_name)} CASCADE")
