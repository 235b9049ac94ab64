"""The pipeline board: one column per stage with its lead count, value sum and first cards.

A constant number of queries whatever the number of leads: stages, the columns' counts and sums (from
the pipeline rollup unless a search or filter narrows the board; then counted up to COUNT_CAP matches per
column, COUNT_CAP), the first `per_column` cards of every column."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Sum

from crm.models import Lead, Stage
from crm.selectors.leads import LeadFilters, filter_leads, pipeline_rollup_rows, visible_leads
from tenants.models import Membership

CARD_ORDER = (F("stage_changed_at").desc(), F("id").desc())
# What a card shows (crm.fragments.BoardCards) and its seller's avatar: a card query selects these only,
# not the lead's forty columns (a board reads a hundred cards; building them was a third of its CPU).
CARD_FIELDS = (
    *("id", "first_name", "last_name", "phone", "company", "erased_at", "stage_id", "stage_changed_at"),
    *("expected_value", "score", "score_reason", "seller_id", "seller__id", "seller__full_name", "seller__email"),
)
# Under a search, each column is counted up to this many matches ("200+" past it). Lower than the list's
# cap: the board counts every column, and each match found costs the search test on the leads walked.
COUNT_CAP = 200


@dataclass
class Column:
    stage: Stage
    count: int
    total: Decimal
    cards: list[Lead]
    capped: bool = False  # more leads match than `count` says; `total` is then unknown (None)

    @property
    def has_more(self) -> bool:
        return self.capped or len(self.cards) < self.count


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
    stage_pks = [stage.pk for stage in stages]
    totals = _rollup_totals(membership, filters, stages)
    if totals is None:  # a search or filter the rollups do not cover: count the matching leads, up to a cap
        totals, first_ids = _counted_totals(leads, stage_pks, per_column)
        shown = _cards_by_id(first_ids)
    else:
        shown = _first_cards(leads, stage_pks, per_column)
    cards: dict[int, list[Lead]] = {}
    for lead in shown:
        cards.setdefault(lead.stage_id, []).append(lead)
    return Board(
        columns=[
            Column(
                stage=stage,
                count=totals.get(stage.pk, {}).get("n", 0),
                total=totals.get(stage.pk, {}).get("total", Decimal("0")),
                cards=cards.get(stage.pk, []),
                capped=totals.get(stage.pk, {}).get("capped", False),
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


def _counted_totals(leads, stage_ids: list[int], per_column: int) -> tuple[dict, list[int]]:
    """Each column's count and sum from its first COUNT_CAP + 1 matching leads in card order, and the ids
    of its first `per_column` cards, in one query (a UNION ALL of one LIMITed select per stage). A column
    with more matches says "more than COUNT_CAP" and no sum, so a search matching half of a million leads
    reads at most that many per column: walking the column's index when matches are many, sorting its few
    matches when they are rare."""
    if not stage_ids:
        return {}, []
    cap = COUNT_CAP
    parts = [
        leads.filter(stage_id=stage_id)
        .order_by(*CARD_ORDER)
        .values_list("id", "stage_id", "expected_value", "stage_changed_at")[: cap + 1]
        for stage_id in stage_ids
    ]
    totals: dict[int, dict] = {}
    firsts: dict[int, list[tuple]] = {}
    for pk, stage_id, value, moved in parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]:
        column = totals.setdefault(stage_id, {"n": 0, "total": Decimal("0")})
        column["n"] += 1
        column["total"] += value
        firsts.setdefault(stage_id, []).append((moved, pk))
    for column in totals.values():
        if column["n"] > cap:
            column.update(n=cap, total=None, capped=True)
    first_ids = [pk for rows in firsts.values() for _moved, pk in sorted(rows, reverse=True)[:per_column]]
    return totals, first_ids


def _cards_by_id(ids: list[int]) -> list[Lead]:
    cards = list(Lead.objects.filter(pk__in=ids).select_related("seller").only(*CARD_FIELDS)) if ids else []
    return sorted(cards, key=lambda lead: (lead.stage_changed_at, lead.pk), reverse=True)


def _first_cards(leads, stage_ids: list[int], per_column: int) -> list[Lead]:
    """The first cards of every column in one query: a UNION ALL of one LIMITed select per stage, each
    served by the (stage, -stage_changed_at) index, instead of ranking every lead of the tenant."""
    if not stage_ids:
        return []
    parts = [
        leads.filter(stage_id=stage_id).select_related("seller").only(*CARD_FIELDS).order_by(*CARD_ORDER)[:per_column]
        for stage_id in stage_ids
    ]
    cards = list(parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0])
    # UNION ALL does not promise to keep each part's order: restore it.
    return sorted(cards, key=lambda lead: (lead.stage_changed_at, lead.pk), reverse=True)


def column_cards(
    *, membership: Membership, filters: LeadFilters, stage: Stage, offset: int, limit: int = 20
) -> list[Lead]:
    """The next cards of one column, for infinite scroll."""
    leads = _board_leads(membership, filters).filter(stage=stage).select_related("seller").only(*CARD_FIELDS)
    return list(leads.order_by(*CARD_ORDER)[offset : offset + limit])
