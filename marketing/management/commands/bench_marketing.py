"""Measures the marketing hub and the Meta sync at scale on a throwaway tenant.

    python manage.py bench_marketing [--campaigns 200] [--ads 2000] [--days 365] [--leads 50000]
                                     [--requests 30] [--seed-with sync|copy] [--keep] [--reuse SLUG]

Creates a tenant `bench-<random>` with an owner and five sellers, then:
1. seeds a small world (one campaign, one ad, one day, one lead) and records the hub's query counts;
2. builds a fake Graph (marketing.clients.fakes) with `--campaigns` campaigns, two ad sets each, `--ads` ads
   and `--days` days of insights per ad, generated on the fly; with `--seed-with sync` (default) the real
   sync service reads all of it through the SDK from a fake Graph server on loopback, measuring its time
   and the process' peak resident memory before and after; with `--seed-with copy` the rows are written
   with PostgreSQL's COPY instead (faster, no sync figure);
3. seeds `--leads` leads (crm.seeding, over `--days` days) attributed to those ads;
4. requests the hub as the owner through Django's test client: over 30 and 365 days, per campaign and per
   ad, reporting median and p95 (ms) over `--requests` requests and the SQL queries of each page, next to
   the small world's counts.
Prints JSON. Drops the tenant afterwards unless --keep; `--reuse <slug>` measures the pages of a kept
tenant again (step 4 alone, without the small world's counts). The bench writes the leads' attribution with one
SQL UPDATE (test data, not a product path)."""

from __future__ import annotations

import contextlib
import json
import random
import resource
import secrets
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from crm.management.commands.bench_crm import drop_bench_tenant, measure
from crm.models import Lead, Stage
from crm.seeding import Person, seed_leads
from marketing.clients.fakes import FakeGraph, FakeGraphServer
from marketing.models import Ad, AdAccount, AdSet, Campaign, Insight, MetaConnection
from marketing.services.sync import company_sync
from tenants.models import Credential, Membership, MembershipStatus, Role, Tenant, User
from tenants.selectors import tenant_primary_domain
from tenants.services import tenant_create
from tenants.vault import vault_set

SELLERS = 5
TOKEN = "bench-token"  # noqa: S105 (the fake Graph's token)
ACCOUNT = "act_9000"


def build_graph(*, campaigns: int, ads: int, today: date) -> FakeGraph:
    """A fake Graph with `campaigns` campaigns of two ad sets each and `ads` ads spread over them; insight
    rows are generated when asked for (deterministic), so the fake holds no 730k rows in memory."""
    graph = FakeGraph()
    graph.tokens.add(TOKEN)
    graph.add_account(ACCOUNT, "Bench ads", "EUR")
    adsets = []
    for c in range(campaigns):
        campaign = graph.add_campaign(ACCOUNT, f"bc{c}", f"Campaign {c}", daily_budget=str(1000 + c))
        adsets += [graph.add_adset(campaign, f"bs{c}-{s}", f"Set {c}-{s}") for s in range(2)]
    for a in range(ads):
        graph.add_ad(adsets[a % len(adsets)], f"ba{a}", f"Ad {a}")

    def row(ad, day):
        n = int(ad["id"][2:])
        cents = 100 + (n * 7919 + day.toordinal() * 104729) % 5000
        return {
            "account_id": ACCOUNT[4:], "campaign_id": ad["campaign_id"], "adset_id": ad["adset_id"],
            "ad_id": ad["id"], "date_start": day.isoformat(), "date_stop": day.isoformat(),
            "spend": f"{cents // 100}.{cents % 100:02d}", "impressions": str(cents * 3), "clicks": str(cents // 40),
            "reach": str(cents * 2), "actions": [{"action_type": "lead", "value": str(cents % 3)}],
        }  # fmt: skip

    graph.insight_maker = row
    return graph


def _rss_mb() -> float:
    """The process' peak resident memory so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _vacuum(tenant) -> None:
    """What autovacuum does on a live database after bulk writes: statistics, and the visibility map that
    lets the hub's sums read the covering indexes only (VACUUM cannot run inside a transaction)."""
    with tenant_context(tenant), connection.cursor() as cursor:
        for table in ("marketing_insight", "crm_lead", "marketing_insightrollup", "marketing_leadfact",
                      "marketing_leadrollup"):  # fmt: skip
            cursor.execute(f"VACUUM ANALYZE {table}")


class Command(BaseCommand):
    help = "Seeds a throwaway tenant with Meta campaigns, insights and attributed leads; measures the hub and the sync."

    def add_arguments(self, parser):
        parser.add_argument("--campaigns", type=int, default=200)
        parser.add_argument("--ads", type=int, default=2000)
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--leads", type=int, default=50_000)
        parser.add_argument("--requests", type=int, default=30)
        parser.add_argument("--seed-with", choices=["sync", "copy"], default="sync")
        parser.add_argument("--keep", action="store_true", help="Keep the bench tenant afterwards.")
        parser.add_argument(
            "--reuse", default="", help="Measure the pages again on a tenant kept by --keep (its slug); no seeding."
        )

    def handle(self, *args, **options):
        if min(options["campaigns"], options["ads"], options["days"], options["leads"], options["requests"]) < 1:
            raise CommandError("Every count must be positive.")
        connection.set_schema_to_public()
        if options["reuse"]:
            self.stdout.write(json.dumps(self._remeasure(options), indent=2))
            return
        slug = f"bench-{secrets.token_hex(4)}"
        with contextlib.redirect_stdout(sys.stderr):
            tenant = tenant_create(name=f"Bench {slug}", slug=slug, owner_email=f"owner@{slug}.bench",
                                   owner_name="Bench Owner")  # fmt: skip
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
                Credential.objects.filter(tenant=tenant).delete()
                drop_bench_tenant(tenant, user_ids=[person.pk for person in people])
        self.stdout.write(json.dumps(report, indent=2))

    def _remeasure(self, options) -> dict:
        tenant = Tenant.objects.filter(slug=options["reuse"]).first()
        if tenant is None or not tenant.slug.startswith("bench-"):
            raise CommandError(f"No bench tenant {options['reuse']!r} (keep one with --keep).")
        owner = User.objects.get(email=f"owner@{tenant.slug}.bench")
        client = Client(HTTP_HOST=tenant_primary_domain(tenant=tenant))
        client.force_login(owner)
        _vacuum(tenant)
        with tenant_context(tenant):
            report = {
                "reused": tenant.slug,
                "insight_rows": Insight.objects.count(),
                "attributed_leads": Lead.objects.exclude(meta_campaign_id="").count(),
                "requests": options["requests"],
            }
        urls = self._urls(timezone.localdate())
        report["results"] = {key: measure(client, url, options["requests"]) for key, url in urls.items()}
        client.logout()
        return report

    def _urls(self, today: date) -> dict[str, str]:
        urls = {}
        for days in (30, 365):
            for level in ("campaign", "ad"):
                since = today - timedelta(days=days - 1)
                urls[f"hub_{days}d_{level}"] = f"/marketing/?date_from={since}&date_to={today}&level={level}"
        urls["reference_lead_list"] = "/leads/"
        return urls

    def _run(self, tenant, owner, people, options) -> dict:
        today = timezone.localdate()
        client = Client(HTTP_HOST=tenant_primary_domain(tenant=tenant))
        client.force_login(owner)
        report: dict = {"campaigns": options["campaigns"], "ads": options["ads"], "days": options["days"],
                        "leads": options["leads"], "requests": options["requests"]}  # fmt: skip
        with tenant_context(tenant):
            self._small_world(today)
        small = {key: measure(client, url, 2)["queries"] for key, url in self._urls(today).items()}
        with tenant_context(tenant):
            for model in (Insight, Ad, AdSet, Campaign, AdAccount, MetaConnection):
                model.objects.all().delete()
            Lead.objects.all().delete()
            graph = build_graph(campaigns=options["campaigns"], ads=options["ads"], today=today)
            if options["seed_with"] == "sync":
                report["sync"] = self._sync(tenant, graph, options["days"], today)
            else:
                report["copy_seconds"] = self._copy(graph, options["days"], today)
            started = time.monotonic()
            rng = random.Random(2026)  # noqa: S311 (test data)
            seed_leads(count=options["leads"], sellers=[Person(p.pk, p.full_name) for p in people[1:]],
                       creator=Person(owner.pk, owner.full_name), rng=rng, language="es", days=options["days"],
                       extra_entries=0)  # fmt: skip
            self._attribute(options["ads"])
        _vacuum(tenant)
        with tenant_context(tenant):
            report["lead_seed_seconds"] = round(time.monotonic() - started, 1)
            report["insight_rows"] = Insight.objects.count()
            report["attributed_leads"] = Lead.objects.exclude(meta_campaign_id="").count()
        results = {key: measure(client, url, options["requests"]) for key, url in self._urls(today).items()}
        for key, result in results.items():
            result["queries_small"] = small[key]
        report["results"] = results
        client.logout()
        return report

    def _small_world(self, today: date) -> None:
        account = AdAccount.objects.create(meta_id="act_small", name="Small", currency="EUR", selected=True)
        campaign = Campaign.objects.create(ad_account=account, meta_id="sc", name="Small campaign")
        adset = AdSet.objects.create(campaign=campaign, meta_id="ss", name="Small set")
        ad = Ad.objects.create(adset=adset, campaign=campaign, meta_id="sa", name="Small ad")
        Insight.objects.create(ad=ad, adset=adset, campaign=campaign, date=today, currency="EUR", spend=Decimal("5"))
        Lead.objects.create(phone="+34600000999", stage=Stage.objects.filter(kind="won").first(),
                            meta_campaign_id="sc", meta_adset_id="ss", meta_ad_id="sa", expected_value=10)  # fmt: skip

    def _sync(self, tenant, graph: FakeGraph, days: int, today: date) -> dict:
        vault_set(tenant=tenant, kind=Credential.Kind.META, values={"access_token": TOKEN}, actor=None)
        MetaConnection.objects.create(method=MetaConnection.Method.MANUAL)
        AdAccount.objects.create(meta_id=ACCOUNT, name="Bench ads", currency="EUR", selected=True)
        with FakeGraphServer(graph) as url, override_settings(META_GRAPH_URL=url, META_BACKFILL_DAYS=days):
            rss_before = _rss_mb()
            started = time.monotonic()
            summary = company_sync(tenant=tenant, today=today)
            seconds = time.monotonic() - started
        return {
            "insights": summary.insights, "error": summary.error, "seconds": round(seconds, 1),
            "rows_per_second": round(summary.insights / seconds) if seconds else None,
            "http_requests": len(graph.requests), "max_rss_before_mb": rss_before, "max_rss_after_mb": _rss_mb(),
        }  # fmt: skip

    def _copy(self, graph: FakeGraph, days: int, today: date) -> float:
        started = time.monotonic()
        account = AdAccount.objects.create(meta_id=ACCOUNT, name="Bench ads", currency="EUR", selected=True)
        campaigns = {c["id"]: Campaign(ad_account=account, meta_id=c["id"], name=c["name"]) for c in graph.campaigns}
        Campaign.objects.bulk_create(campaigns.values())
        adsets = {s["id"]: AdSet(campaign=campaigns[s["campaign_id"]], meta_id=s["id"], name=s["name"])
                  for s in graph.adsets}  # fmt: skip
        AdSet.objects.bulk_create(adsets.values())
        ads = [Ad(adset=adsets[a["adset_id"]], campaign=campaigns[a["campaign_id"]], meta_id=a["id"], name=a["name"])
               for a in graph.ads]  # fmt: skip
        Ad.objects.bulk_create(ads, batch_size=2000)
        now = timezone.now()
        columns = "ad_id, adset_id, campaign_id, date, currency, spend, impressions, clicks, reach, actions, updated_at"
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY marketing_insight ({columns}) FROM STDIN") as copy,
        ):
            for ad, source in zip(ads, graph.ads, strict=True):
                for back in range(days):
                    day = today - timedelta(days=back)
                    row = graph.insight_maker(source, day)
                    copy.write_row((ad.pk, ad.adset_id, ad.campaign_id, day, "EUR", row["spend"], row["impressions"],
                                    row["clicks"], row["reach"], json.dumps(row["actions"]), now))  # fmt: skip
        return round(time.monotonic() - started, 1)

    def _attribute(self, ads: int) -> None:
        """Spreads the leads over the ads (and so their ad sets and campaigns) in one UPDATE."""
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE crm_lead l
                SET meta_ad_id = a.meta_id, meta_adset_id = s.meta_id, meta_campaign_id = c.meta_id,
                    source = 'meta_ads'
                FROM marketing_ad a
                JOIN marketing_adset s ON s.id = a.adset_id
                JOIN marketing_campaign c ON c.id = a.campaign_id
                WHERE a.meta_id = 'ba' || (l.id %% %s)::text
                """,
                [ads],
            )
