"""The pipeline board: one column per stage with its lead count, value sum and first cards.

A constant number of queries whatever the number of leads: stages, one grouped aggregate, and one
windowed query returning the first `per_column` cards of every column."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Sum, Window
from django.db.models.functions import RowNumber

from crm.models import Lead, Stage
from crm.selectors.leads import LeadFilters, filter_leads, visible_leads
from tenants.models import Membership

CARD_ORDER = (F("stage_changed_at").desc(), F("id").desc())


@dataclass
class Column:
    stage: Stage
    count: int
    total: Decimal
    cards: list[Lead]

    @property
    def has_more(self) -> bool:
        return len(self.cards) < self.count


@dataclass
class Board:
    columns: list[Column]

    @property
    def total_count(self) -> int:
        return sum(column.count for column in self.columns)


def _board_leads(membership: Membership, filters: LeadFilters):
    return filter_leads(visible_leads(membership=membership), filters)


def pipeline_board(
    *, membership: Membership, filters: LeadFilters, per_column: int = 20, stage_ids: list[int] | None = None
) -> Board:
    stages = list(Stage.objects.order_by("position", "id"))
    if stage_ids is not None:
        stages = [stage for stage in stages if stage.pk in stage_ids]
    leads = _board_leads(membership, filters).filter(stage__in=[stage.pk for stage in stages])
    totals = {
        row["stage_id"]: row
        for row in leads.order_by().values("stage_id").annotate(n=Count("id"), total=Sum("expected_value"))
    }
    ranked = (
        leads.annotate(rank=Window(RowNumber(), partition_by=[F("stage_id")], order_by=CARD_ORDER))
        .filter(rank__lte=per_column)
        .select_related("seller")
        .order_by("stage_id", "rank")
    )
    cards: dict[int, list[Lead]] = {}
    for lead in ranked:
        cards.setdefault(lead.stage_id, []).append(lead)
    return Board(
        columns=[
            Column(
                stage=stage,
                count=totals.get(stage.pk, {}).get("n", 0),
                total=totals.get(stage.pk, {}).get("total") or Decimal("0"),
                cards=cards.get(stage.pk, []),
            )
            for stage in stages
        ]
    )


def column_cards(
    *, membership: Membership, filters: LeadFilters, stage: Stage, offset: int, limit: int = 20
) -> list[Lead]:
    """The next cards of one column, for infinite scroll."""
    leads = _board_leads(membership, filters).filter(stage=stage).select_related("seller")
    return list(leads.order_by(*CARD_ORDER)[offset : offset + limit])
