"""Demo agenda data, added by `manage.py seed_demo` inside each demo tenant (settings.DEMO_SEEDERS), after
the CRM's leads: services, working hours, three weeks of appointments past and three ahead for each
seller, some tasks, one seller on time off and an inactivity alert. Deterministic per tenant; does
nothing when the tenant already has services."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone, translation

from agenda.models import Service, StageAlert
from agenda.seeding import create_services, seed_appointments, seed_tasks, seed_time_off, set_week
from agenda.selectors import zone_of
from crm.models import Lead, Stage
from tenants.models import Role, User
from tenants.selectors import active_members

TIME_OFF_REASON = {"es": "Vacaciones", "fr": "Congés", "en": "Holiday"}


def _seller_ids(tenant) -> list[int]:
    emails = [f"seller1@{tenant.slug}.test", f"seller2@{tenant.slug}.test", f"owner@{tenant.slug}.test"]
    found = dict(User.objects.filter(email__in=emails).values_list("email", "pk"))
    ids = [found[email] for email in emails if email in found]
    if not ids:
        ids = list(active_members(tenant=tenant, roles=[Role.SELLER, Role.OWNER]).values_list("user_id", flat=True))
    return ids


def seed(*, tenant, stdout=None) -> int:
    if Service.objects.exists():
        if stdout is not None:
            stdout.write(f"  {tenant.slug}: services already present, agenda demo data left as it is")
        return 0
    rng = random.Random(f"agenda-demo-{tenant.slug}")  # noqa: S311 (demo data, not security)
    sellers = _seller_ids(tenant)
    leads = list(Lead.objects.order_by("id").values_list("id", "seller_id")[:400])
    if not sellers or not leads:
        return 0
    language = tenant.language or "en"
    with translation.override(language):
        services = create_services(seller_ids=sellers, language=language)
        set_week(seller_ids=sellers, ranges=[("09:00", "13:00"), ("15:00", "18:00")])
        today = timezone.now().astimezone(zone_of(tenant)).date()
        count = seed_appointments(
            tenant=tenant,
            seller_ids=sellers,
            lead_ids=[lead_id for lead_id, _seller in leads],
            services=services,
            first_day=today - timedelta(days=21),
            days=43,
            count=90 * len(sellers),
            rng=rng,
        )
        assigned = [(lead_id, seller) for lead_id, seller in leads if seller in sellers] or leads
        tasks = seed_tasks(tenant=tenant, leads=assigned, rng=rng, count=15, language=language)
        if len(sellers) > 1:
            seed_time_off(
                seller_id=sellers[1],
                first=today + timedelta(days=24),
                days=5,
                reason=TIME_OFF_REASON.get(language, "Holiday"),
            )
        contacted = Stage.objects.filter(key="contacted").first()
        if contacted is not None:
            StageAlert.objects.get_or_create(stage=contacted, defaults={"days": 7})
    if stdout is not None:
        stdout.write(f"  {tenant.slug}: {len(services)} services, {count} appointments, {tasks} tasks")
    return count
