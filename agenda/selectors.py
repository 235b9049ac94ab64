"""Agenda reads: services and who offers them, free slots, the calendar's feed, a lead's appointments,
tasks. The staff pages, the public booking page and the AI agent's tools all read through here.

Availability: a seller is free at [start, start + duration) when that interval lies inside one of their
working-hour ranges of that day (read in the company's time zone), the day is not time off, and
[start, start + duration + buffer) overlaps none of their live appointments (each busy until its end plus
its own buffer) nor a busy block mirrored from their Google calendar. Slots start every `slot_minutes`
from the start of each range, counted in real time, so a daylight-saving change neither crashes nor
shifts a 10:00 slot: each day's ranges are read in that day's own offset.
"""

from __future__ import annotations

import math
import zoneinfo
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.db.models import CharField, F, Func, Q, QuerySet, Value
from django.utils import timezone

from agenda.models import AgendaSettings, Appointment, BusyBlock, Service, ServiceSeller, Task, TimeOff, WorkingHours
from crm.models import Lead
from tenants.models import Role

SELLING_ROLES = (Role.OWNER, Role.SELLER)
MAX_RANGE_DAYS = 92  # one free-slots question covers at most about three months
LONGEST = timedelta(hours=17)  # an appointment's longest busy time: 12 hours plus a 4-hour buffer, and then some


@dataclass(frozen=True)
class SellerInfo:
    user_id: int
    name: str


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    seller_id: int
    seller_name: str


def zone_of(tenant) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(tenant.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def agenda_settings() -> AgendaSettings:
    """The company's agenda settings (created with the defaults on first use)."""
    settings_row = AgendaSettings.objects.order_by("pk").first()
    if settings_row is None:
        settings_row, _created = AgendaSettings.objects.get_or_create(pk=1)
    return settings_row


def services_list(*, active_only: bool = True) -> list[Service]:
    services = Service.objects.all()
    if active_only:
        services = services.filter(active=True)
    return list(services.order_by("name", "id"))


def selling_members(*, tenant) -> dict[int, str]:
    """Active owners and sellers of the company: {user id: name}."""
    from tenants.selectors import active_members

    rows = active_members(tenant=tenant, roles=SELLING_ROLES).values_list("user_id", "user__full_name", "user__email")
    return {user_id: full_name or email for user_id, full_name, email in rows}


def service_sellers(*, tenant, service: Service) -> list[SellerInfo]:
    """The active members who offer `service`, by name."""
    members = selling_members(tenant=tenant)
    offered = ServiceSeller.objects.filter(service=service, seller_id__in=list(members)).values_list(
        "seller_id", flat=True
    )
    return sorted((SellerInfo(user_id, members[user_id]) for user_id in offered), key=lambda s: (s.name, s.user_id))


def seller_services(*, seller_id: int) -> QuerySet[Service]:
    return Service.objects.filter(offered_by__seller_id=seller_id)


# --- Availability ------------------------------------------------------------------------------------


def local_instant(day: date, wall: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """`wall` o'clock on `day` in `zone`, as a UTC instant. A time that does not exist that day (the
    spring-forward gap) moves forward by the gap; one that exists twice (fall back) is its first
    occurrence. Never raises."""
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


@dataclass
class SellerDay:
    """What decides one seller's availability over a window: working intervals and busy intervals, both
    sorted lists of (start, end) in epoch seconds (integers keep the slot loop fast), and the time off."""

    working: list[tuple[int, int]]
    busy: list[tuple[int, int]]
    busy_starts: list[int]
    days_off: list[tuple[date, date]]


def _days(date_from: date, date_to: date):
    day = date_from
    while day <= date_to:
        yield day
        day += timedelta(days=1)


def availability(
    *, seller_ids: list[int], date_from: date, date_to: date, zone, exclude_appointment_id: int | None = None
) -> dict[int, SellerDay]:
    """Working and busy intervals of each seller over the local days date_from..date_to (4 queries)."""
    window_start = local_instant(date_from, time.min, zone) - timedelta(days=1)
    window_end = local_instant(date_to + timedelta(days=1), time.min, zone) + timedelta(days=1)
    hours: dict[int, dict[int, list[tuple[time, time]]]] = defaultdict(lambda: defaultdict(list))
    for seller_id, weekday, start, end in WorkingHours.objects.filter(seller_id__in=seller_ids).values_list(
        "seller_id", "weekday", "start_time", "end_time"
    ):
        hours[seller_id][weekday].append((start, end))
    off: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for seller_id, start, end in TimeOff.objects.filter(
        seller_id__in=seller_ids, start_date__lte=date_to, end_date__gte=date_from
    ).values_list("seller_id", "start_date", "end_date"):
        off[seller_id].append((start, end))
    # Live appointments (busy until their end plus buffer) and mirrored Google blocks in one round trip,
    # as epoch seconds: thousands of rows, so no model instances and no per-row datetime parsing.
    # An appointment busy at most LONGEST bounds the index range scanned on `start`.
    exclude_sql = "AND id <> %s" if exclude_appointment_id is not None else ""
    params = [list(seller_ids), window_start - LONGEST, window_end, window_start]
    if exclude_appointment_id is not None:
        params.append(exclude_appointment_id)
    params += [list(seller_ids), window_end, window_start]
    busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT seller_id, EXTRACT(EPOCH FROM start)::bigint, EXTRACT(EPOCH FROM busy_until)::bigint
                  FROM {Appointment._meta.db_table}
                 WHERE seller_id = ANY(%s) AND start >= %s AND start < %s AND busy_until > %s
                   AND status <> 'cancelled' {exclude_sql}
                UNION ALL
                SELECT seller_id, EXTRACT(EPOCH FROM start)::bigint, EXTRACT(EPOCH FROM "end")::bigint
                  FROM {BusyBlock._meta.db_table}
                 WHERE seller_id = ANY(%s) AND start < %s AND "end" > %s""",  # noqa: S608 (table names only)
            params,
        )
        for seller_id, start, end in cursor.fetchall():
            busy[seller_id].append((start, end))

    result = {}
    instants: dict[tuple[date, time], int] = {}  # sellers mostly share hours: each local instant once

    def instant(day: date, wall: time) -> int:
        value = instants.get((day, wall))
        if value is None:
            value = instants[(day, wall)] = int(local_instant(day, wall, zone).timestamp())
        return value

    for seller_id in seller_ids:
        working = []
        days_off = off.get(seller_id, [])
        week = hours.get(seller_id, {})
        for day in _days(date_from, date_to):
            ranges = week.get(day.weekday())
            if not ranges or any(first <= day <= last for first, last in days_off):
                continue
            for start, end in ranges:
                working.append((instant(day, start), instant(day, end)))
        working.sort()
        seller_busy = sorted(busy.get(seller_id, []))
        result[seller_id] = SellerDay(working, seller_busy, [start for start, _end in seller_busy], days_off)
    return result


def _overlaps_busy(day: SellerDay, start: int, end: int) -> bool:
    """Whether [start, end) overlaps a busy interval. Busy intervals are sorted by start; any overlapping
    one starts before `end`."""
    index = bisect_left(day.busy_starts, end)
    return any(busy_end > start for _busy_start, busy_end in day.busy[:index])


def _free_starts(day: SellerDay, *, duration: int, buffer: int, step: int, earliest: int, latest: int):
    """Candidate starts (epoch seconds) of every working interval, minus those colliding with busy time,
    in one forward pass. Integers, not datetimes: this loop runs for every slot of every seller."""
    busy = day.busy
    count, pointer, last, result = len(busy), 0, None, []
    append = result.append
    # Busy intervals are sorted by start. `pointer` skips those that ended before the current candidate;
    # candidates only move forward (restart the pointer if overlapping ranges ever make them go back).
    for work_start, work_end in day.working:
        if last is not None and work_start < last:
            pointer = 0
        moment = work_start
        if moment < earliest:  # jump to the first step at or after `earliest`
            moment += -(-(earliest - moment) // step) * step
        stop = min(work_end - duration, latest)
        while moment <= stop:
            while pointer < count and busy[pointer][1] <= moment:
                pointer += 1
            blocked_until = moment + duration + buffer
            index = pointer
            while index < count and busy[index][0] < blocked_until:
                if busy[index][1] > moment:
                    break
                index += 1
            else:
                append(moment)
            moment += step
        last = moment
    return result


def free_slots(
    *,
    tenant,
    service: Service,
    date_from: date,
    date_to: date,
    seller_id: int | None = None,
    now: datetime | None = None,
    ignore_notice: bool = False,
) -> SlotList:
    """Bookable slots of `service` on the local days date_from..date_to (included), for every seller who
    offers it or only `seller_id`, in time order. Honours working hours, time off, buffers, live
    appointments, Google busy blocks (refreshed just before, at most a minute old), the minimum notice
    (unless `ignore_notice`: staff booking a walk-in) and the maximum horizon. Nothing in the past."""
    from agenda.google import refresh_busy_blocks

    if not service.active or date_to < date_from:
        return []
    date_to = min(date_to, date_from + timedelta(days=MAX_RANGE_DAYS))
    sellers = {info.user_id: info.name for info in service_sellers(tenant=tenant, service=service)}
    if seller_id is not None:
        sellers = {seller_id: sellers[seller_id]} if seller_id in sellers else {}
    if not sellers:
        return []
    zone = zone_of(tenant)
    rules = agenda_settings()
    now = now or timezone.now()
    earliest = now if ignore_notice else now + rules.min_notice
    latest = now + rules.max_horizon
    date_from = max(date_from, earliest.astimezone(zone).date())
    date_to = min(date_to, latest.astimezone(zone).date())
    if date_to < date_from:
        return []
    refresh_busy_blocks(
        tenant=tenant,
        seller_ids=list(sellers),
        time_min=local_instant(date_from, time.min, zone),
        time_max=local_instant(date_to + timedelta(days=1), time.min, zone),
    )
    days = availability(seller_ids=list(sellers), date_from=date_from, date_to=date_to, zone=zone)
    duration, step = int(service.duration.total_seconds()), rules.slot_minutes * 60
    buffer = int(service.buffer.total_seconds())
    # Each slot as one integer, start * K + the seller's rank by name: one sort of integers orders the
    # slots by time, then seller name (ten thousand slots: tuples and keys would cost more than the rest).
    ranked = sorted(sellers.items(), key=lambda item: (item[1], item[0]))
    width = len(ranked)
    keys = []
    for rank, (seller, _name) in enumerate(ranked):
        starts = _free_starts(
            days[seller],
            duration=duration,
            buffer=buffer,
            step=step,
            earliest=math.ceil(earliest.timestamp()),
            latest=int(latest.timestamp()),
        )
        keys.extend([start * width + rank for start in starts])
    keys.sort()
    return SlotList(keys, ranked, duration)


class SlotList(Sequence):
    """The free slots in time order, then seller name. Every slot is computed (as one sorted integer
    each); a `Slot` object is built only when read, so a caller that shows the first few of ten thousand
    (alternatives, the agent, a day's options) does not pay for the rest."""

    __slots__ = ("_keys", "_moments", "_ranked", "_span", "_width")

    def __init__(self, keys: list[int], ranked: list[tuple[int, str]], duration: int):
        self._keys, self._ranked, self._width = keys, ranked, max(len(ranked), 1)
        self._span = timedelta(seconds=duration)
        self._moments: dict[int, tuple[datetime, datetime]] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def _slot(self, key: int) -> Slot:
        start, rank = divmod(key, self._width)
        pair = self._moments.get(start)
        if pair is None:
            moment = datetime.fromtimestamp(start, UTC)
            pair = self._moments[start] = (moment, moment + self._span)
        seller, name = self._ranked[rank]
        slot = object.__new__(Slot)  # a frozen dataclass filled without its __init__'s per-field setattr
        slot.__dict__.update(start=pair[0], end=pair[1], seller_id=seller, seller_name=name)
        return slot

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._slot(key) for key in self._keys[index]]
        return self._slot(self._keys[index])

    def __iter__(self):
        return map(self._slot, self._keys)

    def __eq__(self, other) -> bool:
        if isinstance(other, SlotList):
            return list(self) == list(other)
        return isinstance(other, list) and list(self) == other

    __hash__ = None

    def __repr__(self) -> str:
        return f"<SlotList of {len(self)} slots>"


def seller_refusal(
    *, day: SellerDay, start: datetime, end: datetime, busy_until: datetime, local_day: date
) -> str | None:
    """None when the seller can take [start, end) (busy until `busy_until`), else the reason's code:
    `time_off`, `outside_hours` or `taken`."""
    if any(first <= local_day <= last for first, last in day.days_off):
        return "time_off"
    start_at, end_at = start.timestamp(), end.timestamp()
    if not any(work_start <= start_at and end_at <= work_end for work_start, work_end in day.working):
        return "outside_hours"
    if _overlaps_busy(day, start_at, busy_until.timestamp()):
        return "taken"
    return None


# --- Calendar and leads ------------------------------------------------------------------------------


def calendar_appointments(
    *, membership, start: datetime, end: datetime, seller_id: int | None = None, include_cancelled: bool = False
) -> QuerySet[Appointment]:
    """Appointments overlapping [start, end) that this member may see: owners every seller's (or one
    seller's), sellers only their own."""
    # An appointment lasts at most 12 hours (agenda.services): the lower bound keeps the index range short.
    appointments = Appointment.objects.filter(start__gte=start - LONGEST, start__lt=end, end__gt=start)
    if membership.role != Role.OWNER:
        appointments = appointments.filter(seller_id=membership.user_id)
    elif seller_id is not None:
        appointments = appointments.filter(seller_id=seller_id)
    if not include_cancelled:
        appointments = appointments.exclude(status=Appointment.Status.CANCELLED)
    return appointments.order_by("start", "id")


FEED_FIELDS = (
    "pk", "wall_start", "wall_end", "status", "seller_id", "action_required", "sync_state",
    "lead__first_name", "lead__last_name", "lead__phone", "service__name",
)  # fmt: skip


class WallClock(Func):
    """A timestamptz as the wall-clock text of a time zone ("2027-03-02T10:00"), computed by PostgreSQL:
    the calendar's feed sends a thousand of these and parsing them in Python would cost more than all else."""

    template = "to_char(timezone(%(expressions)s), 'YYYY-MM-DD\"T\"HH24:MI')"
    output_field = CharField()


def calendar_feed(*, membership, start: datetime, end: datetime, zone_name: str, seller_id: int | None = None):
    """The calendar's rows for [start, end): (pk, start, end (wall-clock texts in `zone_name`), status,
    seller id, action required, sync state, lead first name, last name, phone, service name)."""
    return (
        calendar_appointments(membership=membership, start=start, end=end, seller_id=seller_id)
        .annotate(wall_start=WallClock(Value(zone_name), F("start")), wall_end=WallClock(Value(zone_name), F("end")))
        .values_list(*FEED_FIELDS)
    )


def visible_appointment(*, membership, appointment_id: int) -> Appointment | None:
    appointments = Appointment.objects.select_related("lead", "service")
    if membership.role == Role.SELLER:
        appointments = appointments.filter(seller_id=membership.user_id)
    elif membership.role != Role.OWNER:
        return None
    return appointments.filter(pk=appointment_id).first()


def lead_appointments(*, lead: Lead, upcoming_only: bool = False) -> list[Appointment]:
    appointments = Appointment.objects.filter(lead=lead).select_related("service")
    if upcoming_only:
        appointments = appointments.filter(start__gte=timezone.now(), status__in=Appointment.OPEN_STATUSES)
    return list(appointments.order_by("start", "id"))


def calendar_tasks(*, membership, start: datetime, end: datetime, seller_id: int | None = None) -> QuerySet[Task]:
    tasks = Task.objects.filter(due_at__gte=start, due_at__lt=end).select_related("lead")
    if membership.role != Role.OWNER:
        tasks = tasks.filter(assignee_id=membership.user_id)
    elif seller_id is not None:
        tasks = tasks.filter(assignee_id=seller_id)
    return tasks.order_by("due_at", "id")


def lead_tasks(*, lead: Lead) -> list[Task]:
    return list(Task.objects.filter(lead=lead).order_by("done", "due_at", "id"))


def next_open_tasks(*, lead_ids: list[int]) -> dict[int, Task]:
    """{lead id: its open task due first} for the given leads, in one query (the board's cards)."""
    if not lead_ids:
        return {}
    tasks = Task.objects.filter(lead_id__in=lead_ids, done=False).order_by("lead_id", "due_at", "id")
    return {task.lead_id: task for task in tasks.distinct("lead_id")}


def visible_task(*, membership, task_id: int) -> Task | None:
    tasks = Task.objects.select_related("lead")
    if membership.role == Role.SELLER:
        tasks = tasks.filter(Q(assignee_id=membership.user_id) | Q(lead__seller_id=membership.user_id))
    elif membership.role != Role.OWNER:
        return None
    return tasks.filter(pk=task_id).first()


@dataclass(frozen=True)
class MyTasks:
    overdue: list[Task]
    today: list[Task]
    upcoming: list[Task]


def my_tasks(*, user_id: int, zone, now: datetime | None = None, limit: int = 10) -> MyTasks:
    """Open tasks assigned to the user: overdue, due later today, and the next ones after today."""
    now = now or timezone.now()
    tomorrow = local_instant(now.astimezone(zone).date() + timedelta(days=1), time.min, zone)
    tasks = list(
        Task.objects.filter(assignee_id=user_id, done=False, due_at__lt=now + timedelta(days=60))
        .select_related("lead")
        .order_by("due_at", "id")[: limit * 3]
    )
    return MyTasks(
        overdue=[task for task in tasks if task.due_at < now][:limit],
        today=[task for task in tasks if now <= task.due_at < tomorrow][:limit],
        upcoming=[task for task in tasks if task.due_at >= tomorrow][:limit],
    )


def inactive_leads(*, membership, now: datetime | None = None, limit: int = 20) -> list[tuple[Lead, int]]:
    """Leads past their stage's "alert after N days without contact": (lead, days since contact), the
    longest silence first. Owners see every such lead, sellers their own."""
    from django.db.models import DateTimeField, ExpressionWrapper, F
    from django.db.models.functions import Coalesce

    from agenda.models import StageAlert

    now = now or timezone.now()
    alerts = dict(StageAlert.objects.values_list("stage_id", "days"))
    if not alerts:
        return []
    condition = Q()
    for stage_id, days in alerts.items():
        condition |= Q(stage_id=stage_id, contact__lt=now - timedelta(days=days))
    leads = Lead.objects.annotate(
        contact=ExpressionWrapper(Coalesce("last_contact_at", "created_at"), output_field=DateTimeField())
    ).filter(condition)
    if membership.role != Role.OWNER:
        leads = leads.filter(seller_id=membership.user_id)
    leads = leads.select_related("stage", "seller").order_by(F("contact").asc())[:limit]
    return [(lead, (now - lead.contact).days) for lead in leads]


# --- Analytics ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SellerAppointments:
    seller_id: int
    name: str
    total: int
    completed: int
    no_show: int
    cancelled: int

    @property
    def closed(self) -> int:
        return self.completed + self.no_show

    @property
    def completion_rate(self) -> float | None:
        """Percent of the appointments that took place or should have (completed + no-show)."""
        return round(100 * self.completed / self.closed, 1) if self.closed else None

    @property
    def no_show_rate(self) -> float | None:
        return round(100 * self.no_show / self.closed, 1) if self.closed else None


def appointment_report(
    *, tenant, date_from: date, date_to: date, seller_id: int | None = None
) -> list[SellerAppointments]:
    """Per seller, appointments starting in the local days date_from..date_to: how many, completed,
    no-shows and cancelled. Completion and no-show rates are over the appointments that took place or
    should have (completed + no-show)."""
    from django.db.models import Count

    zone = zone_of(tenant)
    start = local_instant(date_from, time.min, zone)
    end = local_instant(date_to + timedelta(days=1), time.min, zone)
    rows = Appointment.objects.filter(start__gte=start, start__lt=end)
    if seller_id is not None:
        rows = rows.filter(seller_id=seller_id)
    counts = rows.values("seller_id").annotate(
        total=Count("id"),
        completed=Count("id", filter=Q(status=Appointment.Status.COMPLETED)),
        no_show=Count("id", filter=Q(status=Appointment.Status.NO_SHOW)),
        cancelled=Count("id", filter=Q(status=Appointment.Status.CANCELLED)),
    )
    from tenants.models import User

    names = dict(User.objects.filter(pk__in=[row["seller_id"] for row in counts]).values_list("pk", "full_name"))
    report = [
        SellerAppointments(
            seller_id=row["seller_id"],
            name=names.get(row["seller_id"]) or "—",
            total=row["total"],
            completed=row["completed"],
            no_show=row["no_show"],
            cancelled=row["cancelled"],
        )
        for row in counts
    ]
    return sorted(report, key=lambda row: (-row.total, row.name))
