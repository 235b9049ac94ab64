"""The pipeline board: one column per stage with its lead count, value sum and first cards.

A constant number of queries whatever the number of leads: stages, the columns' counts and sums (from
the pipeline rollup unless a search or filter narrows the board), the first `per_column` cards of every
column."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Sum

from crm.models import Lead, Stage
from crm.selectors.leads import LeadFilters, filter_leads, pipeline_rollup_rows, visible_leads
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
    return filter_leads(visible_leads(membership=membership, searching=bool(filters.search.strip())), filters)


def pipeline_board(
    *, membership: Membership, filters: LeadFilters, per_column: int = 20, stage_ids: list[int] | None = None
) -> Board:
    stages = list(Stage.objects.order_by("position", "id"))
    if stage_ids is not None:
        stages = [stage for stage in stages if stage.pk in stage_ids]
    leads = _board_leads(membership, filters).filter(stage__in=[stage.pk for stage in stages])
    totals = _rollup_totals(membership, filters, stages)
    if totals is None:  # a search or filter the rollups do not cover: count the matching leads
        totals = {
            row["stage_id"]: row
            for row in leads.order_by().values("stage_id").annotate(n=Count("id"), total=Sum("expected_value"))
        }
    cards: dict[int, list[Lead]] = {}
    for lead in _first_cards(leads, [stage.pk for stage in stages], per_column):
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


def _rollup_totals(membership: Membership, filters: LeadFilters, stages: list[Stage]) -> dict | None:
    """Each column's count and sum from the pipeline rollup (a few rows whatever the number of leads),
    when no search or filter beyond the seller narrows the board; None otherwise."""
    rows = pipeline_rollup_rows(membership=membership, filters=filters)
    if rows is None:
        return None
    rows = rows.filter(stage_id__in=[stage.pk for stage in stages])
    return {row["stage_id"]: row for row in rows.values("stage_id").annotate(n=Sum("count"), total=Sum("value"))}


def _first_cards(leads, stage_ids: list[int], per_column: int) -> list[Lead]:
    """The first cards of every column in one query: a UNION ALL of one LIMITed select per stage, each
    served by the (stage, -stage_changed_at) index, instead of ranking every lead of the tenant."""
    if not stage_ids:
        return []
    parts = [
        leads.filter(stage_id=stage_id).select_related("seller").order_by(*CARD_ORDER)[:per_column]
        for stage_id in stage_ids
    ]
    cards = list(parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0])
    # UNION ALL does not promise to keep each part's order: restore it.
    return sorted(cards, key=lambda lead: (lead.stage_changed_at, lead.pk), reverse=True)


def column_cards(
    *, membership: Membership, filters: LeadFilters, stage: Stage, offset: int, limit: int = 20
) -> list[Lead]:
    """The next cards of one column, for infinite scroll."""
    leads = _board_leads(membership, filters).filter(stage=stage).select_related("seller")
    return list(leads.order_by(*CARD_ORDER)[offset : offset + limit])
