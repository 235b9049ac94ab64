"""Agenda data in bulk, for the demo companies and the bench: services, working hours, appointments past
and future (never overlapping a seller's other appointments), tasks and time off.

Rows are written directly (bulk inserts, each appointment's history entry included), not through the
booking services: past appointments are outside any booking window, and thousands of rows must seed in
seconds. The exclusion constraint still checks every row."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from agenda.models import Appointment, Service, ServiceSeller, Task, TimeOff, WorkingHours
from agenda.selectors import local_instant, zone_of

SERVICES = [
    # (name, minutes, buffer, price, description)
    ("First visit", 30, 0, "0", "A first conversation to understand what you need."),
    ("Product demo", 60, 15, "0", "We show you the product on your own case."),
    ("Follow-up meeting", 45, 15, "50", "We review the proposal together."),
]
SERVICE_NAMES = {
    "es": ["Primera visita", "Demostración del producto", "Reunión de seguimiento"],
    "fr": ["Première visite", "Démonstration du produit", "Réunion de suivi"],
}
TASK_TITLES = {
    "en": ["Call back", "Send the quote", "Confirm the visit", "Ask for references", "Follow up on the proposal"],
    "es": [
        "Devolver la llamada",
        "Enviar el presupuesto",
        "Confirmar la visita",
        "Pedir referencias",
        "Seguir la propuesta",
    ],
    "fr": ["Rappeler", "Envoyer le devis", "Confirmer la visite", "Demander des références", "Relancer la proposition"],
}


@dataclass(frozen=True)
class Seeded:
    services: int
    appointments: int
    tasks: int


def create_services(*, seller_ids: list[int], language: str = "en") -> list[Service]:
    names = SERVICE_NAMES.get(language, [row[0] for row in SERVICES])
    services = []
    for (_name, minutes, buffer, price, description), local_name in zip(SERVICES, names, strict=True):
        service = Service.objects.create(
            name=local_name,
            duration_minutes=minutes,
            buffer_minutes=buffer,
            price=Decimal(price),
            description=description if language == "en" else "",
        )
        ServiceSeller.objects.bulk_create([ServiceSeller(service=service, seller_id=seller) for seller in seller_ids])
        services.append(service)
    return services


def set_week(*, seller_ids: list[int], ranges: list[tuple[str, str]], weekdays=range(5)) -> None:
    WorkingHours.objects.filter(seller_id__in=seller_ids).delete()
    WorkingHours.objects.bulk_create(
        [
            WorkingHours(
                seller_id=seller, weekday=day, start_time=time.fromisoformat(first), end_time=time.fromisoformat(last)
            )
            for seller in seller_ids
            for day in weekdays
            for first, last in ranges
        ]
    )


def seed_appointments(
    *,
    tenant,
    seller_ids: list[int],
    lead_ids: list[int],
    services: list[Service],
    first_day: date,
    days: int,
    count: int,
    rng: random.Random,
    day_start: int = 9,
    day_end: int = 18,
    weekdays_only: bool = True,
    history: bool = True,
) -> int:
    """About `count` appointments spread over `days` days from `first_day`, on each seller's free half
    hours between day_start and day_end. Past ones end completed, no-show or cancelled."""
    zone = zone_of(tenant)
    now = timezone.now()
    candidates = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        if weekdays_only and day.weekday() >= 5:
            continue
        candidates.append(day)
    if not candidates or not seller_ids:
        return 0
    cells = len(candidates) * len(seller_ids)
    base, extra = divmod(count, cells)
    half_hours = (day_end - day_start) * 2
    rows = []
    cell = 0
    for seller in seller_ids:
        for day in candidates:
            per_day = base + (1 if cell < extra else 0)
            cell += 1
            taken: list[tuple[datetime, datetime]] = []
            for slot in sorted(rng.sample(range(half_hours), min(per_day, half_hours))):
                service = rng.choice(services)
                start = local_instant(day, time(day_start + slot // 2, 30 * (slot % 2)), zone)
                end = start + service.duration
                busy_until = end + service.buffer
                if any(start < other_end and busy_until > other_start for other_start, other_end in taken):
                    continue
                if end > local_instant(day, time(day_end), zone):
                    continue
                taken.append((start, busy_until))
                if end <= now:
                    status = rng.choices(["completed", "no_show", "cancelled"], weights=[75, 12, 13])[0]
                else:
                    status = rng.choices(["scheduled", "confirmed"], weights=[60, 40])[0]
                rows.append(
                    Appointment(
                        lead_id=rng.choice(lead_ids),
                        service=service,
                        seller_id=seller,
                        start=start,
                        end=end,
                        busy_until=busy_until,
                        status=status,
                        source=rng.choices(["staff", "agent", "booking_page"], weights=[60, 25, 15])[0],
                    )
                )
    rows = rows[:count] if len(rows) > count else rows
    Appointment.objects.bulk_create(rows, batch_size=1000)
    if history:
        from crm.models import TimelineEntry

        TimelineEntry.objects.bulk_create(
            [
                TimelineEntry(
                    lead_id=row.lead_id,
                    kind="appointment_booked",
                    actor_label="",
                    data={
                        "appointment": row.pk,
                        "service": row.service.name,
                        "start": row.start.astimezone(zone).isoformat(),
                        "end": row.end.astimezone(zone).isoformat(),
                        "source": row.source,
                        "status": row.status,
                    },
                )
                for row in rows
            ],
            batch_size=1000,
        )
    return len(rows)


def seed_tasks(*, tenant, leads: list[tuple[int, int | None]], rng: random.Random, count: int, language: str) -> int:
    titles = TASK_TITLES.get(language, TASK_TITLES["en"])
    now = timezone.now()
    rows = []
    for _ in range(count):
        lead_id, seller_id = rng.choice(leads)
        due = now + timedelta(hours=rng.randint(-72, 24 * 10))
        rows.append(
            Task(
                lead_id=lead_id,
                title=rng.choice(titles),
                due_at=due.replace(minute=0, second=0, microsecond=0),
                assignee_id=seller_id,
                done=due < now - timedelta(hours=24) and rng.random() < 0.5,
                reminded_at=due if due < now else None,
            )
        )
    Task.objects.bulk_create(rows)
    return len(rows)


def seed_time_off(*, seller_id: int, first: date, days: int, reason: str) -> None:
    TimeOff.objects.create(
        seller_id=seller_id, start_date=first, end_date=first + timedelta(days=days - 1), reason=reason
    )
