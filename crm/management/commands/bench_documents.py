"""Measures the sales document pages against a large throwaway tenant.

    python manage.py bench_documents --documents 20000 --lines 100000 [--leads 5000] [--requests 30] [--keep]

Creates a tenant `bench-<random>` with an owner and five sellers, seeds leads (crm.seeding) and then about
`--documents` sales documents with `--lines` lines in all, in chains (crm.documents_bench), and requests
as the owner through Django's test client on the tenant's host: the documents list with filters, the list
unfiltered, a search, the orders board, a posted invoice's page, a draft quote's page (inline editing),
an invoice's PDF, and the lead list as a reference for the machine's load. Prints server time (median and
p95 over `--requests` requests, in ms) and SQL queries per page as JSON. Drops the tenant afterwards
unless --keep."""

from __future__ import annotations

import contextlib
import json
import random
import secrets
import sys
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from crm.documents_bench import seed_documents
from crm.management.commands.bench_crm import drop_bench_tenant, measure
from crm.models import SalesDocument
from crm.seeding import Person, seed_leads
from tenants.models import Membership, MembershipStatus, Role, User
from tenants.selectors import tenant_primary_domain
from tenants.services import tenant_create

SELLERS = 5


class Command(BaseCommand):
    help = "Seeds a throwaway tenant with many sales documents and measures their pages (JSON on stdout)."

    def add_arguments(self, parser):
        parser.add_argument("--documents", type=int, default=20_000)
        parser.add_argument("--lines", type=int, default=100_000)
        parser.add_argument("--leads", type=int, default=5_000)
        parser.add_argument("--requests", type=int, default=30)
        parser.add_argument("--keep", action="store_true", help="Keep the bench tenant afterwards.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed for the generated data.")

    def handle(self, *args, **options):
        if min(options["documents"], options["lines"], options["leads"], options["requests"]) < 1:
            raise CommandError("--documents, --lines, --leads and --requests must be positive.")
        connection.set_schema_to_public()
        slug = f"bench-{secrets.token_hex(4)}"
        with contextlib.redirect_stdout(sys.stderr):  # the schema's migrations print; stdout is the report
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

    def _run(self, tenant, owner, people, options) -> dict:
        rng = random.Random(options["seed"])  # noqa: S311 (test data)
        with tenant_context(tenant):
            leads = seed_leads(
                count=options["leads"],
                sellers=[Person(person.pk, person.full_name) for person in people[1:]],
                creator=Person(owner.pk, owner.full_name),
                rng=rng,
                language="es",
                extra_entries=0.3,
            )
            seeded = seed_documents(
                documents=options["documents"], lines=options["lines"], rng=rng, currency=tenant.currency
            )
            urls = self._urls(people)
        client = Client(HTTP_HOST=tenant_primary_domain(tenant=tenant))
        client.force_login(owner)
        results = {key: measure(client, url, options["requests"]) for key, url in urls.items()}
        client.logout()
        return {
            "documents": seeded.documents,
            "lines": seeded.lines,
            "products": seeded.products,
            "leads": leads.leads,
            "seed_seconds": round(leads.seconds + seeded.seconds, 2),
            "requests": options["requests"],
            "results": results,
        }

    def _urls(self, people) -> dict[str, str]:
        """The pages to measure, on documents typical of their kind: the posted invoice and the draft quote
        with the most lines, a paid invoice's PDF."""
        invoices = SalesDocument.objects.filter(kind="invoice", parent__isnull=False).exclude(state="draft")
        invoice = invoices.annotate(n=Count("lines")).order_by("-n", "id").first()
        draft = (
            SalesDocument.objects.filter(kind="quote", state="draft")
            .annotate(n=Count("lines"))
            .order_by("-n", "id")
            .first()
        )
        # Filters that a paid invoice matches, so the filtered page is never empty (an empty page skips a query).
        sample = SalesDocument.objects.filter(kind="invoice", state="paid", seller__isnull=False).order_by("id").first()
        since = (sample.issue_date if sample else timezone.localdate()) - timedelta(days=90)
        filters = {
            "kind": "invoice",
            "state": "paid",
            "date_from": since.isoformat(),
            "amount_min": str((sample.total_amount / 2).quantize(Decimal(1))) if sample else "100",
            "seller": sample.seller_id if sample else people[1].pk,
        }
        urls = {
            "list_filtered": f"/documents/?{urlencode(filters)}",
            "list": "/documents/",
            "list_search": f"/documents/?{urlencode({'kind': 'order', 'q': 'S'})}",
            "orders_board": "/documents/orders/",
            # Not a documents page: the lead list, measured in the same run, tells how loaded the machine was
            # (README's Speed section has its figures on an idle machine).
            "reference_lead_list": "/leads/",
        }
        if invoice is not None:
            urls["invoice_page"] = f"/documents/{invoice.pk}/"
            urls["invoice_pdf"] = f"/documents/{invoice.pk}/pdf/"
        if draft is not None:
            urls["draft_quote_page"] = f"/documents/{draft.pk}/"
        return urls
