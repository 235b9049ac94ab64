"""Seller analytics for owners: per seller, over a date range, with database aggregation.

Three queries whatever the number of sellers or leads, over rollups (crm.models.rollups), not leads:
leads assigned (created in the range) per current seller, deals won and lost in the range per closer
(who held the lead when it closed, so reassigning a won deal moves no revenue), and the people to name."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from crm.models import ClosedRollup, CreatedRollup, Stage
from tenants.models import Role, Tenant, User
from tenants.selectors import active_members

DEFAULT_DAYS = 30
SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class SellerFigures:
    seller_id: int | None
    name: str
    assigned: int = 0
    won: int = 0
    lost: int = 0
    revenue: Decimal = Decimal("0")
    time_to_close: timedelta = timedelta(0)  # summed over won leads

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def conversion_rate(self) -> float | None:
        """Won over closed in the range, in percent; None when nothing closed."""
        return round(100 * self.won / self.closed, 1) if self.closed else None

    @property
    def avg_days_to_close(self) -> float | None:
        """Average of closed_at - created_at over the won leads, in days; None without won leads."""
        if not self.won:
            return None
        return round(self.time_to_close.total_seconds() / self.won / SECONDS_PER_DAY, 1)


@dataclass(frozen=True)
class SellerReport:
    date_from: date
    date_to: date
    rows: list[SellerFigures]
    total: SellerFigures

    @property
    def has_figures(self) -> bool:
        return bool(self.total.assigned or self.total.closed)


def default_range(*, today: date, days: int = DEFAULT_DAYS) -> tuple[date, date]:
    """The last `days` days, today included."""
    return today - timedelta(days=days - 1), today


def _bounds(date_from: date, date_to: date, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    """[start of date_from, start of the day after date_to) in the tenant's time zone."""
    start = datetime.combine(date_from, time.min, tzinfo=zone)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def seller_report(
    *, tenant: Tenant, date_from: date, date_to: date, zone: zoneinfo.ZoneInfo, seller_id: int | None = None
) -> SellerReport:
    """Per seller: leads assigned (created in the range), won and lost (closed in the range), revenue
    won (sum of expected values) and the time from creation to a win. Active sellers and owners are
    listed even with nothing to show; anyone else with figures in the range too; unassigned leads
    get their own row."""
    # Rollups in the company's local days (crm.models.rollups): the cost does not grow with the leads.
    created = CreatedRollup.objects.filter(day__gte=date_from, day__lte=date_to)
    closing = ClosedRollup.objects.filter(day__gte=date_from, day__lte=date_to)
    if seller_id is not None:
        created = created.filter(seller_id=seller_id)
        closing = closing.filter(closer_id=seller_id)  # wins and losses belong to who closed them
    assigned = {row["seller_id"]: row["n"] for row in created.order_by().values("seller_id").annotate(n=Sum("count"))}
    won = Q(kind=Stage.Kind.WON)
    closed = {
        row["closer_id"]: row
        for row in closing.order_by()
        .values("closer_id")
        .annotate(
            won=Sum("count", filter=won),
            lost=Sum("count", filter=Q(kind=Stage.Kind.LOST)),
            revenue=Sum("value", filter=won),
            seconds=Sum("seconds", filter=won),
        )
    }

    seen = (set(assigned) | set(closed)) - {None}
    if seller_id is None:
        selling = active_members(tenant=tenant, roles=[Role.SELLER, Role.OWNER]).values("user_id")
        people = User.objects.filter(Q(pk__in=seen) | Q(pk__in=selling))
    else:
        people = User.objects.filter(pk=seller_id)
    names = dict(people.order_by().distinct().values_list("pk", "full_name"))
    ids: list[int | None] = list(names)
    if None in assigned or None in closed:
        ids.append(None)

    rows = [_figures(pk, names.get(pk) or _("Unassigned"), assigned, closed) for pk in ids]
    rows.sort(key=lambda row: (-row.revenue, -row.won, -row.assigned, row.seller_id is None, row.name.lower()))
    total = SellerFigures(
        seller_id=None,
        name=_("Total"),
        assigned=sum(row.assigned for row in rows),
        won=sum(row.won for row in rows),
        lost=sum(row.lost for row in rows),
        revenue=sum((row.revenue for row in rows), Decimal("0")),
        time_to_close=sum((row.time_to_close for row in rows), timedelta(0)),
    )
    return SellerReport(date_from=date_from, date_to=date_to, rows=rows, total=total)


def _figures(pk: int | None, name: str, assigned: dict, closed: dict) -> SellerFigures:
    row = closed.get(pk, {})
    return SellerFigures(
        seller_id=pk,
        name=name,
        assigned=assigned.get(pk, 0),
        won=row.get("won") or 0,
        lost=row.get("lost") or 0,
        revenue=row.get("revenue") or Decimal("0"),
        time_to_close=timedelta(seconds=row.get("seconds") or 0),
    )


def seller_choices(*, tenant: Tenant) -> list[tuple[int, str]]:
    """Who the seller filter offers: active sellers and owners, by name."""
    members = active_members(tenant=tenant, roles=[Role.SELLER, Role.OWNER])
    return [(member.user_id, member.user.full_name) for member in members]


def chart_data(report: SellerReport) -> dict:
    """What static/js/analytics.js draws: one bar per row, revenue and leads assigned."""
    return {
        "labels": [row.name for row in report.rows],
        "revenue": [float(row.revenue) for row in report.rows],
        "assigned": [row.assigned for row in report.rows],
        "won": [row.won for row in report.rows],
    }
