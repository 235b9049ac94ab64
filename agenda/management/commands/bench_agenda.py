"""Measures the agenda against a busy throwaway company.

    python manage.py bench_agenda [--appointments 5000] [--sellers 20] [--requests 30] [--keep]

Creates a tenant `bench-<random>` with an owner and `--sellers` sellers (every day 08:00-20:00, one
30-minute service offered by all), and measures, first with 50 appointments and then with
`--appointments` over 30 days (median and p95 in ms, and SQL queries):
- free slots of the service for all sellers over 30 days (agenda.selectors.free_slots);
- the calendar's week feed for all sellers, as the owner (GET /agenda/events/);
- a booking (agenda.services.appointment_book) of a free slot;
and finally 20 concurrent bookings of one slot from separate connections (exactly one must succeed).
Prints JSON. Drops the tenant afterwards unless --keep."""

from __future__ import annotations

import contextlib
import json
import random
import secrets
import statistics
import sys
import time
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from agenda.models import AgendaSettings, Appointment, Service
from agenda.seeding import create_services, seed_appointments, set_week
from agenda.selectors import free_slots, zone_of
from agenda.services import SlotUnavailable, appointment_book
from core.testing import race
from crm.management.commands.bench_crm import drop_bench_tenant, percentile
from crm.models import Lead
from tenants.models import Membership, MembershipStatus, Role, Tenant, User
from tenants.selectors import tenant_primary_domain
from tenants.services import tenant_create

DAYS = 30
RACERS = 20


def _stats(timings: list[float], queries: int) -> dict:
    return {
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "queries": queries,
    }


def _timed(fn, requests: int) -> dict:
    fn()  # warm-up
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        fn()
    queries = len(captured.captured_queries)
    timings, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    # CPU time of this process alone: on a shared, loaded machine the wall-clock figures also count the
    # time spent waiting for a core (the database server's own work is not in it).
    return {**_stats(timings, queries), "cpu_median_ms": round(statistics.median(cpu), 1)}


class Command(BaseCommand):
    help = "Seeds a throwaway company with sellers and appointments and measures the agenda (JSON on stdout)."

    def add_arguments(self, parser):
        parser.add_argument("--appointments", type=int, default=5000)
        parser.add_argument("--sellers", type=int, default=20)
        parser.add_argument("--requests", type=int, default=30)
        parser.add_argument("--keep", action="store_true")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, **options):
        if options["appointments"] < 50 or options["sellers"] < 1 or options["requests"] < 1:
            raise CommandError("--appointments must be at least 50; --sellers and --requests positive.")
        connection.set_schema_to_public()
        slug = f"bench-{secrets.token_hex(4)}"
        with contextlib.redirect_stdout(sys.stderr):
            tenant = tenant_create(
                name=f"Bench {slug}", slug=slug, owner_email=f"owner@{slug}.bench", owner_name="Bench Owner"
            )
        Tenant.objects.filter(pk=tenant.pk).update(timezone="Europe/Madrid")
        tenant.refresh_from_db()
        owner = User.objects.get(email=f"owner@{slug}.bench")
        people = [owner]
        try:
            for n in range(1, options["sellers"] + 1):
                user = User.objects.create_user(email=f"seller{n}@{slug}.bench", full_name=f"Bench Seller {n:02d}")
                Membership.objects.create(user=user, tenant=tenant, role=Role.SELLER, status=MembershipStatus.ACTIVE)
                people.append(user)
            report = self._run(tenant, owner, people[1:], options)
        finally:
            connection.set_schema_to_public()
            if not options["keep"]:
                drop_bench_tenant(tenant, user_ids=[person.pk for person in people])
        if options["keep"]:
            report["tenant"] = {"slug": tenant.slug, "host": tenant_primary_domain(tenant=tenant)}
        self.stdout.write(json.dumps(report, indent=2))

    def _run(self, tenant, owner, sellers, options) -> dict:
        rng = random.Random(options["seed"])  # noqa: S311 (test data)
        seller_ids = [seller.pk for seller in sellers]
        with tenant_context(tenant):
            AgendaSettings.objects.update_or_create(pk=1, defaults={"min_notice_minutes": 0, "max_horizon_days": 90})
            set_week(seller_ids=seller_ids, ranges=[("08:00", "20:00")], weekdays=range(7))
            service = create_services(seller_ids=seller_ids)[0]
            Service.objects.exclude(pk=service.pk).delete()
            from crm.public import lead_upsert_by_phone

            leads = [
                lead_upsert_by_phone(
                    tenant=tenant, phone=f"+3460{n:07d}", source="manual", fields={"first_name": f"Bench {n}"}
                )[0].pk
                for n in range(200)
            ]
            first_day = (timezone.now() + timedelta(days=1)).astimezone(zone_of(tenant)).date()
            seed = {
                "tenant": tenant, "seller_ids": seller_ids, "lead_ids": leads, "services": [service],
                "first_day": first_day, "days": DAYS, "rng": rng, "day_start": 8, "day_end": 20,
                "weekdays_only": False, "history": False,
            }  # fmt: skip
            few = seed_appointments(count=50, **seed)
        small = self._measure(tenant, owner, service, first_day, leads, options["requests"])
        with tenant_context(tenant):
            Appointment.objects.all().delete()
            many = seed_appointments(count=options["appointments"], **seed)
            connection.cursor().execute("ANALYZE agenda_appointment")
        large = self._measure(tenant, owner, service, first_day, leads, options["requests"])
        concurrent = self._race(tenant, service, seller_ids[0], first_day, leads)
        return {
            "sellers": len(seller_ids),
            "days": DAYS,
            "requests": options["requests"],
            "appointments": {"small": few, "large": many},
            "small": small,
            "large": large,
            "same_query_counts": all(small[key]["queries"] == large[key]["queries"] for key in small),
            "concurrent_bookings_of_one_slot": concurrent,
        }

    def _measure(self, tenant, owner, service, first_day, leads, requests) -> dict:
        results = {}
        with tenant_context(tenant):
            service = Service.objects.get(pk=service.pk)
            results["free_slots_30_days_all_sellers"] = _timed(
                lambda: free_slots(
                    tenant=tenant, service=service, date_from=first_day, date_to=first_day + timedelta(days=DAYS - 1)
                ),
                requests,
            )
            # The same, with every one of the thousands of slots read as an object (free_slots builds a
            # slot when it is read; the pages and the agent read a day's or a few).
            results["free_slots_30_days_all_sellers_every_slot_read"] = _timed(
                lambda: list(
                    free_slots(
                        tenant=tenant,
                        service=service,
                        date_from=first_day,
                        date_to=first_day + timedelta(days=DAYS - 1),
                    )
                ),
                requests,
            )
            slots = free_slots(
                tenant=tenant, service=service, date_from=first_day, date_to=first_day + timedelta(days=DAYS - 1)
            )
            results["free_slots_30_days_all_sellers"]["slots"] = len(slots)
            picks = iter(rng_slots(slots, requests + 2))
            lead = Lead.objects.get(pk=leads[0])
            booked = []

            def book():
                slot = next(picks)
                booked.append(
                    appointment_book(
                        tenant=tenant,
                        lead=lead,
                        service=service,
                        start=slot.start,
                        seller_id=slot.seller_id,
                        actor=None,
                        source="staff",
                    ).pk
                )

            results["booking"] = _timed(book, requests)
            Appointment.objects.filter(pk__in=booked).delete()
        client = Client(HTTP_HOST=tenant_primary_domain(tenant=tenant))
        client.force_login(owner)
        week_start = datetime.combine(first_day, datetime.min.time()).isoformat()
        week_end = datetime.combine(first_day + timedelta(days=7), datetime.min.time()).isoformat()
        url = f"/agenda/events/?start={week_start}&end={week_end}"
        results["calendar_week_feed_all_sellers"] = _timed(lambda: client.get(url), requests)
        with schema_context(tenant.schema_name):
            response = client.get(url)
        results["calendar_week_feed_all_sellers"]["events"] = len(json.loads(response.content))
        client.logout()
        connection.set_schema_to_public()
        return results

    def _race(self, tenant, service, seller_id, first_day, leads) -> dict:
        with tenant_context(tenant):
            start = free_slots(
                tenant=tenant,
                service=service,
                date_from=first_day,
                date_to=first_day + timedelta(days=DAYS - 1),
                seller_id=seller_id,
            )[-1].start

        def attempt(i: int):
            return appointment_book(
                tenant=Tenant.objects.get(pk=tenant.pk),
                lead=Lead.objects.get(pk=leads[i]),
                service=Service.objects.get(pk=service.pk),
                start=start,
                seller_id=seller_id,
                actor=None,
                source="booking_page",
            ).pk

        results = race(attempt, times=RACERS, tenant=tenant)
        connection.set_schema_to_public()
        return {
            "attempts": RACERS,
            "succeeded": sum(isinstance(result, int) for result in results),
            "refused_slot_unavailable": sum(isinstance(result, SlotUnavailable) for result in results),
            "other_errors": [repr(result) for result in results if not isinstance(result, (int, SlotUnavailable))],
        }


def rng_slots(slots, count):
    """`count` slots spread over the list (distinct sellers and times), for bookings that all succeed."""
    step = max(1, len(slots) // (count + 1))
    return slots[::step][:count]
