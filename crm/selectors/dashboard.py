"""The home dashboard's figures for owners and sellers, always scoped by `visible_leads`.

Five queries whatever the number of leads, none of which reads the leads but the next tasks: the
stages, the open pipeline per stage (pipeline rollup), leads created this week and per source over the
last 90 days (created rollup), deals won and lost over the last 90 days (closed rollup, credited to who
closed them), and the user's next tasks (an index walk, LIMITed). Days are the company's local days."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from crm.models import ClosedRollup, CreatedRollup, Lead, PipelineRollup, Stage
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
    monday = week_start(now, tenant_zone(membership.tenant))
    stages = list(Stage.objects.order_by("position", "id"))

    # Rollups, not leads: a few hundred rows whatever the number of leads (crm.models.rollups). A seller's
    # figures are their own: the leads they hold now, the deals they closed.
    today = now.astimezone(tenant_zone(membership.tenant)).date()
    first_day = today - timedelta(days=WIN_RATE_DAYS - 1)
    source_day = today - timedelta(days=SOURCE_DAYS - 1)
    open_ids = [stage.pk for stage in stages if stage.kind == Stage.Kind.OPEN]
    pipeline = PipelineRollup.objects.filter(stage_id__in=open_ids)
    created = CreatedRollup.objects.filter(day__gte=min(monday.date(), source_day))
    closed = ClosedRollup.objects.filter(day__gte=first_day)
    if membership.role != Role.OWNER:
        pipeline = pipeline.filter(seller_id=membership.user_id)
        created = created.filter(seller_id=membership.user_id)
        closed = closed.filter(closer_id=membership.user_id)
    per_stage: dict[int, tuple[int, Decimal]] = {
        row["stage_id"]: (row["n"] or 0, row["total"] or Decimal("0"))
        for row in pipeline.order_by().values("stage_id").annotate(n=Sum("count"), total=Sum("value"))
    }
    created_rows = list(
        created.order_by()
        .values("source")
        .annotate(
            new=Sum("count", filter=Q(day__gte=monday.date())), recent=Sum("count", filter=Q(day__gte=source_day))
        )
    )
    per_source: dict[str, int] = {row["source"]: row["recent"] for row in created_rows if row["recent"]}
    kinds_closed = dict(closed.order_by().values("kind").annotate(n=Sum("count")).values_list("kind", "n"))
    won, lost = kinds_closed.get(Stage.Kind.WON) or 0, kinds_closed.get(Stage.Kind.LOST) or 0

    open_stages = [stage for stage in stages if stage.kind == Stage.Kind.OPEN]
    largest = max((per_stage.get(stage.pk, (0, Decimal("0")))[1] for stage in open_stages), default=Decimal("0"))
    stage_figures = []
    for stage in open_stages:
        count, total = per_stage.get(stage.pk, (0, Decimal("0")))
        stage_figures.append(StageFigure(stage=stage, count=count, total=total, percent=_percent(total, largest)))

    labels = dict(Lead.Source.choices)
    ranked = sorted(per_source.items(), key=lambda item: (-item[1], item[0]))
    top = ranked[0][1] if ranked else 0
    sources = [
        SourceFigure(source=source, label=str(labels.get(source, source)), count=count, percent=_percent(count, top))
        for source, count in ranked
    ]

    return Dashboard(
        new_this_week=sum(row["new"] or 0 for row in created_rows),
        week_start=monday,
        stages=stage_figures,
        won=won,
        lost=lost,
        sources=sources,
        tasks=next_tasks(user_id=membership.user_id, now=now, open_stage_ids=[stage.pk for stage in open_stages]),
    )


def next_tasks(*, user_id: int, now: datetime, open_stage_ids: list[int], limit: int = TASK_LIMIT) -> list[Task]:
    """The user's own open leads with a next step, soonest first; overdue ones are flagged."""
    leads = (
        Lead.objects.filter(seller_id=user_id, next_action_at__isnull=False, stage_id__in=open_stage_ids)
        .select_related("stage")
        .order_by("next_action_at", "id")[:limit]
    )
    return [Task(lead=lead, overdue=lead.next_action_at < now) for lead in leads]
