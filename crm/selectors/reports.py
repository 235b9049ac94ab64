"""Forecast, funnel and the role reports (issue 7, expectation 8), every one read from the rollups
(crm.models.rollups), so each costs a query or two whatever the number of leads.

Each report is a `Table`: typed columns and rows, which the pages render and the CSV export writes, so
the two always agree. Ranges are the company's local days, as the rollups count them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.models import CampaignRollup, ClosedRollup, Lead, PipelineRollup, Stage, StageFlowRollup
from crm.selectors.analytics import SellerReport

SECONDS_PER_DAY = 86400
WON_PAGE = 50

# Column kinds: how a cell is shown and written to CSV.
TEXT, COUNT, MONEY, PERCENT, DAYS, DATE = "text", "count", "money", "percent", "days", "date"


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = TEXT


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    total: list | None = None
    empty: str = ""
    note: str = ""

    @property
    def cells(self):
        """Rows as (value, kind) pairs, for the template."""
        return [list(zip(row, (column.kind for column in self.columns), strict=True)) for row in self.rows]

    @property
    def total_cells(self):
        if self.total is None:
            return None
        return list(zip(self.total, (column.kind for column in self.columns), strict=True))


def _ratio(part, whole) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _weighted(value: Decimal, probability: int) -> Decimal:
    return (value * probability / 100).quantize(Decimal("0.01"))


def open_stages(stages: list[Stage]) -> list[Stage]:
    return [stage for stage in stages if stage.kind == Stage.Kind.OPEN]


def _pipeline_rows(stages: list[Stage], seller_id: int | None):
    rows = PipelineRollup.objects.filter(stage_id__in=[stage.pk for stage in open_stages(stages)])
    if seller_id is not None:
        rows = rows.filter(seller_id=seller_id)
    return rows.order_by()


def weighted_pipeline(*, stages: list[Stage], seller_id: int | None = None) -> Table:
    """The open deals now, per stage: their value and that value times the stage's win probability."""
    sums = {
        row["stage_id"]: row
        for row in _pipeline_rows(stages, seller_id).values("stage_id").annotate(n=Sum("count"), value=Sum("value"))
    }
    table = Table(
        key="pipeline",
        title=_("Weighted pipeline"),
        columns=[
            Column(_("Stage")),
            Column(_("Open deals"), COUNT),
            Column(_("Value"), MONEY),
            Column(_("Win probability"), PERCENT),
            Column(_("Weighted value"), MONEY),
        ],
        empty=_("No open deals."),
    )
    count, value, weighted = 0, Decimal("0"), Decimal("0")
    for stage in open_stages(stages):
        row = sums.get(stage.pk, {})
        n, amount = row.get("n") or 0, row.get("value") or Decimal("0")
        table.rows.append(
            [stage.display_name, n, amount, stage.win_probability, _weighted(amount, stage.win_probability)]
        )
        count, value, weighted = count + n, value + amount, weighted + _weighted(amount, stage.win_probability)
    table.total = [_("Total"), count, value, _ratio(weighted, value), weighted]
    if not count:
        table.rows = []
    return table


def forecast(*, stages: list[Stage], seller_id: int | None = None) -> Table:
    """The open deals by expected close month (Lead.expected_close), weighted by their stage's probability."""
    probability = {stage.pk: stage.win_probability for stage in open_stages(stages)}
    months: dict[date | None, list] = {}
    for row in (
        _pipeline_rows(stages, seller_id).values("close_month", "stage_id").annotate(n=Sum("count"), value=Sum("value"))
    ):
        if not row["n"]:
            continue
        month = months.setdefault(row["close_month"], [0, Decimal("0"), Decimal("0")])
        month[0] += row["n"]
        month[1] += row["value"] or Decimal("0")
        month[2] += _weighted(row["value"] or Decimal("0"), probability.get(row["stage_id"], 0))
    table = Table(
        key="forecast",
        title=_("Forecast by expected close month"),
        columns=[
            Column(_("Month")),
            Column(_("Open deals"), COUNT),
            Column(_("Value"), MONEY),
            Column(_("Weighted value"), MONEY),
        ],
        empty=_("No open deals."),
        note=_("Set the expected close date on a lead's page to place it in a month."),
    )
    dated = sorted(month for month in months if month is not None)
    for month in [*dated, None] if None in months else dated:
        label = date_format(month, "YEAR_MONTH_FORMAT") if month else _("No date")
        table.rows.append([label, *months[month]])
    if table.rows:
        table.total = [
            _("Total"),
            sum(row[1] for row in table.rows),
            sum((row[2] for row in table.rows), Decimal("0")),
            sum((row[3] for row in table.rows), Decimal("0")),
        ]
    return table


def _flows(date_from: date, date_to: date, seller_id: int | None):
    """The stage flow rollup over the range; with a seller, the flows of the leads that seller holds now."""
    rows = StageFlowRollup.objects.filter(day__gte=date_from, day__lte=date_to).order_by()
    if seller_id is not None:
        rows = rows.filter(seller_id=seller_id)
    return rows


def funnel(*, stages: list[Stage], date_from: date, date_to: date, seller_id: int | None = None) -> Table:
    """From the history of moves over the range: how many leads entered each stage (created in it or
    moved into it), and the share of that count that entered the next one. With a seller: the leads that
    seller holds now."""
    entered = {
        row["to_stage_id"]: row["n"] or 0
        for row in _flows(date_from, date_to, seller_id).values("to_stage_id").annotate(n=Sum("count"))
    }
    table = Table(
        key="funnel",
        title=_("Funnel"),
        columns=[Column(_("Stage")), Column(_("Leads that entered"), COUNT), Column(_("Went on to the next"), PERCENT)],
        empty=_("No lead entered a stage in this period."),
        note=_("Conversion: leads that entered the next stage over leads that entered this one, in the period."),
    )
    ordered = open_stages(stages) + [stage for stage in stages if stage.kind == Stage.Kind.WON]
    for index, stage in enumerate(ordered):
        nxt = ordered[index + 1] if index + 1 < len(ordered) else None
        here = entered.get(stage.pk, 0)
        table.rows.append([stage.display_name, here, _ratio(entered.get(nxt.pk, 0), here) if nxt else None])
    lost = sum(entered.get(stage.pk, 0) for stage in stages if stage.kind == Stage.Kind.LOST)
    table.rows.append([_("Lost"), lost, None])
    if not any(row[1] for row in table.rows):
        table.rows = []
    return table


def stage_days(*, stages: list[Stage], date_from: date, date_to: date, seller_id: int | None = None) -> Table:
    """Average days a lead stayed in each open stage, over the moves out of it made in the range (with a
    seller: of the leads that seller holds now)."""
    spent = {
        row["from_stage_id"]: row
        for row in _flows(date_from, date_to, seller_id)
        .filter(from_stage_id__isnull=False)
        .values("from_stage_id")
        .annotate(timed=Sum("timed"), seconds=Sum("seconds"))
    }
    table = Table(
        key="stage_days",
        title=_("Average days in each stage"),
        columns=[Column(_("Stage")), Column(_("Moves out"), COUNT), Column(_("Average days"), DAYS)],
        empty=_("No lead left a stage in this period."),
    )
    for stage in open_stages(stages):
        row = spent.get(stage.pk, {})
        timed = row.get("timed") or 0
        average = round(row["seconds"] / timed / SECONDS_PER_DAY, 1) if timed else None
        table.rows.append([stage.display_name, timed, average])
    if not any(row[1] for row in table.rows):
        table.rows = []
    return table


def lost_reasons(*, date_from: date, date_to: date, seller_id: int | None = None) -> Table:
    rows = ClosedRollup.objects.filter(day__gte=date_from, day__lte=date_to, kind=Stage.Kind.LOST).order_by()
    if seller_id is not None:
        rows = rows.filter(closer_id=seller_id)
    grouped = [row for row in rows.values("lost_reason").annotate(n=Sum("count"), value=Sum("value")) if row["n"]]
    grouped.sort(key=lambda row: (-row["n"], -(row["value"] or 0), row["lost_reason"]))
    total = sum(row["n"] for row in grouped)
    table = Table(
        key="lost_reasons",
        title=_("Lost reasons"),
        columns=[
            Column(_("Reason")),
            Column(_("Deals"), COUNT),
            Column(_("Share"), PERCENT),
            Column(_("Value"), MONEY),
        ],
        empty=_("No deal was lost in this period."),
    )
    for row in grouped:
        table.rows.append([row["lost_reason"] or _("No reason given"), row["n"], _ratio(row["n"], total), row["value"]])
    if grouped:
        table.total = [_("Total"), total, 100.0, sum((row["value"] or Decimal("0") for row in grouped), Decimal("0"))]
    return table


def seller_ranking(report: SellerReport) -> Table:
    """The seller report as a ranking: by revenue won, then wins (the report's order)."""
    table = Table(
        key="sellers",
        title=_("Seller ranking"),
        columns=[
            Column(_("Rank")),
            Column(_("Seller")),
            Column(_("Leads assigned"), COUNT),
            Column(_("Won"), COUNT),
            Column(_("Lost"), COUNT),
            Column(_("Conversion rate"), PERCENT),
            Column(_("Revenue won"), MONEY),
            Column(_("Average days to close"), DAYS),
        ],
        empty=_("No sellers yet."),
    )
    for rank, row in enumerate(report.rows, start=1):
        table.rows.append(
            [
                str(rank),
                row.name,
                row.assigned,
                row.won,
                row.lost,
                row.conversion_rate,
                row.revenue,
                row.avg_days_to_close,
            ]
        )
    total = report.total
    table.total = ["", total.name, total.assigned, total.won, total.lost, total.conversion_rate, total.revenue,
                   total.avg_days_to_close]  # fmt: skip
    return table


def campaigns(*, date_from: date, date_to: date) -> Table:
    """Leads created in the range by source and campaign, and how many of them are won now (marketing)."""
    labels = dict(Lead.Source.choices)
    grouped = [
        row
        for row in CampaignRollup.objects.filter(day__gte=date_from, day__lte=date_to)
        .order_by()
        .values("source", "campaign")
        .annotate(n=Sum("count"), won=Sum("won"), value=Sum("won_value"))
        if row["n"]
    ]
    grouped.sort(key=lambda row: (-row["n"], row["source"], row["campaign"]))
    table = Table(
        key="campaigns",
        title=_("Leads by source and campaign"),
        columns=[
            Column(_("Source")),
            Column(_("Campaign")),
            Column(_("Leads"), COUNT),
            Column(_("Won"), COUNT),
            Column(_("Conversion rate"), PERCENT),
            Column(_("Revenue won"), MONEY),
        ],
        empty=_("No leads were created in this period."),
        note=_("Campaign: the UTM campaign, else the Meta campaign id. Won: the leads of the period won so far."),
    )
    for row in grouped:
        table.rows.append(
            [
                str(labels.get(row["source"], row["source"])),
                row["campaign"] or "—",
                row["n"],
                row["won"],
                _ratio(row["won"], row["n"]),
                row["value"],
            ]
        )
    if grouped:
        leads, won = sum(row["n"] for row in grouped), sum(row["won"] for row in grouped)
        value = sum((row["value"] or Decimal("0") for row in grouped), Decimal("0"))
        table.total = [_("Total"), "", leads, won, _ratio(won, leads), value]
    return table


WON_COLUMNS = [
    gettext_lazy("Closed"),
    gettext_lazy("Lead"),
    gettext_lazy("Company"),
    gettext_lazy("Closed by"),
    gettext_lazy("Value"),
]


def won_totals(*, date_from: date, date_to: date) -> tuple[int, Decimal]:
    figures = ClosedRollup.objects.filter(day__gte=date_from, day__lte=date_to).aggregate(
        n=Sum("count", filter=Q(kind=Stage.Kind.WON)), value=Sum("value", filter=Q(kind=Stage.Kind.WON))
    )
    return figures["n"] or 0, figures["value"] or Decimal("0")


def won_deals(*, start, end, before: tuple | None = None, limit: int = WON_PAGE):
    """Won deals closed in [start, end), newest first, one page at a time: `before` is the (closed_at, id)
    of the last row shown (keyset pagination along the closed_at index, so page 200 costs what page 1 does)."""
    leads = (
        Lead.objects.filter(stage__kind=Stage.Kind.WON, closed_at__gte=start, closed_at__lt=end)
        .select_related("closed_seller")
        .only(
            "id",
            "first_name",
            "last_name",
            "phone",
            "company",
            "erased_at",
            "expected_value",
            "closed_at",
            "closed_seller__full_name",
        )
        .order_by("-closed_at", "-id")
    )
    if before is not None:
        closed_at, pk = before
        leads = leads.filter(Q(closed_at__lt=closed_at) | Q(closed_at=closed_at, id__lt=pk))
    return list(leads[: limit + 1])


def won_table(rows: list[Lead]) -> Table:
    table = Table(
        key="won",
        title=_("Won deals"),
        columns=[
            Column(str(WON_COLUMNS[0]), DATE),
            Column(str(WON_COLUMNS[1])),
            Column(str(WON_COLUMNS[2])),
            Column(str(WON_COLUMNS[3])),
            Column(str(WON_COLUMNS[4]), MONEY),
        ],
        empty=_("No deal was won in this period."),
    )
    for lead in rows:
        closer = lead.closed_seller.full_name if lead.closed_seller_id and lead.closed_seller else ""
        table.rows.append(
            [lead.closed_at, str(lead), "" if lead.erased_at else lead.company, closer, lead.expected_value]
        )
    return table
