"""The home dashboard's figures for owners and sellers, always scoped by `visible_leads`.

A constant number of queries whatever the number of leads: one aggregate (new this week, won and lost
in the last 90 days), the open stages, one grouped aggregate per stage, one grouped aggregate per source,
and the user's next tasks."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from crm.models import Lead, Stage
from crm.selectors.leads import visible_leads
from tenants.models import Membership, Role

WIN_RATE_DAYS = 90
SOURCE_DAYS = 90
TASK_LIMIT = 8
LEAD_ROLES = (Role.OWNER, Role.SELLER)


@dataclass(frozen=True)
class StageFigure:
    stage: Stage
    count: int
    total: Decimal
    percent: int  # of the largest column's value, for the bar width


@dataclass(frozen=True)
class SourceFigure:
    source: str
    label: str
    count: int
    percent: int  # of the most frequent source, for the bar width


@dataclass(frozen=True)
class Task:
    lead: Lead
    overdue: bool


@dataclass(frozen=True)
class Dashboard:
    new_this_week: int
    week_start: datetime
    stages: list[StageFigure]
    won: int
    lost: int
    sources: list[SourceFigure]
    tasks: list[Task]

    @property
    def pipeline_total(self) -> Decimal:
        return sum((figure.total for figure in self.stages), Decimal("0"))

    @property
    def pipeline_count(self) -> int:
        return sum(figure.count for figure in self.stages)

    @property
    def win_rate(self) -> float | None:
        """Won over closed (won + lost) in the last 90 days, in percent; None when nothing closed."""
        closed = self.won + self.lost
        return round(100 * self.won / closed, 1) if closed else None


def tenant_zone(tenant) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(getattr(tenant, "timezone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def week_start(now: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """Monday 00:00 of `now`'s week in the tenant's time zone."""
    local = now.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, time.min, tzinfo=zone)


def _percent(part, whole) -> int:
    return round(100 * part / whole) if whole else 0


def has_lead_figures(membership: Membership) -> bool:
    return membership.role in LEAD_ROLES


def dashboard_figures(*, membership: Membership, now: datetime | None = None) -> Dashboard:
    """What the home page shows an owner (every lead) or a seller (their own leads)."""
    now = now or timezone.now()
    since = now - timedelta(days=WIN_RATE_DAYS)
    monday = week_start(now, tenant_zone(membership.tenant))
    leads = visible_leads(membership=membership)

    summary = leads.aggregate(
        new=Count("id", filter=Q(created_at__gte=monday)),
        won=Count("id", filter=Q(stage__kind=Stage.Kind.WON, closed_at__gte=since)),
        lost=Count("id", filter=Q(stage__kind=Stage.Kind.LOST, closed_at__gte=since)),
    )

    open_stages = list(Stage.objects.filter(kind=Stage.Kind.OPEN).order_by("position", "id"))
    per_stage = {
        row["stage_id"]: row
        for row in leads.filter(stage__kind=Stage.Kind.OPEN)
        .order_by()
        .values("stage_id")
        .annotate(n=Count("id"), total=Sum("expected_value"))
    }
    totals = [per_stage.get(stage.pk, {}).get("total") or Decimal("0") for stage in open_stages]
    largest = max(totals, default=Decimal("0"))
    stages = [
        StageFigure(
            stage=stage, count=per_stage.get(stage.pk, {}).get("n", 0), total=total, percent=_percent(total, largest)
        )
        for stage, total in zip(open_stages, totals, strict=True)
    ]

    by_source = list(
        leads.filter(created_at__gte=now - timedelta(days=SOURCE_DAYS))
        .order_by()
        .values("source")
        .annotate(n=Count("id"))
        .order_by("-n", "source")
    )
    labels = dict(Lead.Source.choices)
    top = by_source[0]["n"] if by_source else 0
    sources = [
        SourceFigure(
            source=row["source"],
            label=str(labels.get(row["source"], row["source"])),
            count=row["n"],
            percent=_percent(row["n"], top),
        )
        for row in by_source
    ]

    return Dashboard(
        new_this_week=summary["new"],
        week_start=monday,
        stages=stages,
        won=summary["won"],
        lost=summary["lost"],
        sources=sources,
        tasks=next_tasks(user_id=membership.user_id, now=now),
    )


def next_tasks(*, user_id: int, now: datetime, limit: int = TASK_LIMIT) -> list[Task]:
    """The user's own open leads with a next step, soonest first; overdue ones are flagged."""
    leads = (
        Lead.objects.filter(seller_id=user_id, next_action_at__isnull=False, stage__kind=Stage.Kind.OPEN)
        .select_related("stage")
        .order_by("next_action_at", "id")[:limit]
    )
    return [Task(lead=lead, overdue=lead.next_action_at < now) for lead in leads]
