"""The marketing hub's figures over a date range: five queries whatever the number of campaigns, ads,
days or leads, reading the tables the triggers of marketing.rollups keep (issue 11, Speed) rather than the
period's insight rows and leads; the rows per campaign / ad set / ad are joined, sorted and cut to a page in
SQL (marketing.selectors.hub_sql), so Python only sees the page:
- spend per campaign / ad set: whole months from the monthly buckets, the days at the range's edges from
  the daily buckets; per ad: whole months and then whole weeks from its monthly and weekly buckets, the
  few days left from the insights themselves (their covering index); the chart's daily spend from the
  account-wide daily buckets;
- leads: per day from daily buckets, per seller and per campaign from monthly buckets plus the edge
  days' `LeadFact` rows (one narrow row per attributed lead), per ad set and ad from the period's
  `LeadFact` rows; per object in the rows' query, per seller and day in another; the totals are the
  sellers' sums and the spend per currency the sum of the chart's days.

Definitions (the leads of a period are those created in it, in the company's time zone, attributed to a
Meta campaign; what happened to them since counts for the period they came in):
- spend: the ads' daily spend over the period's days, per ad account currency (never added across
  currencies);
- leads: leads created in the period with a Meta campaign;
- opportunities: those of them that were ever in the chosen stage or a later one in pipeline order (or
  won), even if lost since (their stage history); with no stage chosen, those now won;
- won deals and won revenue: those of them now won, and the sum of their values (company currency);
- ROI = (won revenue - spend) / spend, cost per lead = spend / leads, cost per won deal = spend / won,
  in Decimal; None (shown as "—") when the divisor is zero or when spend and revenue are in different
  currencies."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Exists, OuterRef

from crm.models import Lead, Stage
from marketing.models import LeadFact
from marketing.selectors.hub_sql import (  # noqa: F401 (month_split, week_split, SORTS: the module's face)
    DEFAULT_SORT,
    LEVELS,
    SORTS,
    _object_rows,
    _seller_and_day_groups,
    _spend_per_day,
    month_split,
    sort_choice,
    week_split,
)
from tenants.models import User

_LEAD_KEY = {"campaign": "meta_campaign_id", "adset": "meta_adset_id", "ad": "meta_ad_id"}
CENT = Decimal("0.01")


def ratio(numerator: Decimal, denominator) -> Decimal | None:
    """numerator / denominator to the cent, None when the denominator is zero."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(CENT)


def roi(revenue: Decimal, spend: Decimal) -> Decimal | None:
    """(revenue - spend) / spend, as a fraction to four places (0.2500 is +25 %); None without spend."""
    if not spend:
        return None
    return ((Decimal(revenue) - Decimal(spend)) / Decimal(spend)).quantize(Decimal("0.0001"))


@dataclass
class Figures:
    key: str = ""  # the Meta id of the campaign / ad set / ad, or the seller's id
    name: str = ""
    status: str = ""
    parent: str = ""
    currency: str = ""  # of the spend
    spend: Decimal = Decimal("0")
    impressions: int = 0
    clicks: int = 0
    leads: int = 0
    opportunities: int = 0
    won: int = 0
    revenue: Decimal = Decimal("0")
    company_currency: str = ""

    @property
    def comparable(self) -> bool:
        return not self.currency or self.currency == self.company_currency

    @property
    def cpl(self) -> Decimal | None:
        return ratio(self.spend, self.leads)

    @property
    def cpa(self) -> Decimal | None:
        return ratio(self.spend, self.won)

    @property
    def roi(self) -> Decimal | None:
        return roi(self.revenue, self.spend) if self.comparable else None

    @property
    def roi_percent(self) -> Decimal | None:
        value = self.roi
        return None if value is None else (value * 100).quantize(Decimal("0.1"))

    @property
    def conversion(self) -> Decimal | None:
        return None if not self.leads else (Decimal(100 * self.won) / self.leads).quantize(Decimal("0.1"))


@dataclass
class Hub:
    date_from: date
    date_to: date
    level: str
    company_currency: str
    total: Figures
    spend_by_currency: dict[str, Decimal]
    rows: list[Figures]
    sellers: list[Figures]
    series: dict = field(default_factory=dict)
    row_count: int = 0  # rows over all pages
    page: int = 1
    per_page: int | None = None  # None: `rows` holds them all

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.row_count // self.per_page)) if self.per_page else 1

    @property
    def mixed_currencies(self) -> bool:
        return any(currency != self.company_currency for currency in self.spend_by_currency)


def bounds(date_from: date, date_to: date, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    return (
        datetime.combine(date_from, time.min, tzinfo=zone),
        datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone),
    )


def attributed_leads(*, date_from: date, date_to: date, zone):
    start, end = bounds(date_from, date_to, zone)
    return Lead.objects.filter(created_at__gte=start, created_at__lt=end).exclude(meta_campaign_id="")


def stage_sets(opportunity_stage: Stage | None) -> tuple[list[int], list[int], bool]:
    """(won stage ids, opportunity stage ids, whether opportunities read the history): a lead is an
    opportunity when it was ever in one of the latter (an open stage at or after the chosen one, or a won
    one); with no stage chosen, when it is now won."""
    stages = list(Stage.objects.values_list("pk", "kind", "position"))
    won = [pk for pk, kind, _position in stages if kind == Stage.Kind.WON]
    if opportunity_stage is None:
        return won, won, False
    reached = [
        pk
        for pk, kind, position in stages
        if kind == Stage.Kind.WON or (kind == Stage.Kind.OPEN and position >= opportunity_stage.position)
    ]
    return won, reached, True


def hub(
    *,
    tenant,
    date_from: date,
    date_to: date,
    level: str = "campaign",
    opportunity_stage: Stage | None = None,
    sort: str = DEFAULT_SORT,
    page: int = 1,
    per_page: int | None = None,
) -> Hub:
    """The hub's figures (five queries whatever the volume). Lead days are the company's time zone's.
    `rows` holds page `page` of `per_page` rows in the `sort` order (see SORTS; every row when `per_page`
    is None); `row_count` counts them over all pages; the totals cover every row."""
    level = level if level in LEVELS else "campaign"
    company_currency = tenant.currency
    won_ids, reached_ids, history = stage_sets(opportunity_stage)  # 1

    # 2. one page of the level's objects: spend per object (an object spends in its ad account's currency)
    # joined to its leads, ranked and cut in SQL
    found, row_count, page = _object_rows(
        level=level, date_from=date_from, date_to=date_to, won=won_ids, reached=reached_ids, history=history,
        company_currency=company_currency, sort=sort, page=page, per_page=per_page,
    )  # fmt: skip
    columns = ("key", "name", "status", "parent", "currency", "spend", "impressions", "clicks", "leads",
               "opportunities", "won", "revenue")  # fmt: skip
    rows = [Figures(**dict(zip(columns, row, strict=True)), company_currency=company_currency) for row in found]
    # 3. leads per seller and per day (every attributed lead falls in one group of each: the totals are the
    # sellers' sum)
    seller_rows, lead_days = _seller_and_day_groups(level, date_from, date_to, won_ids, reached_ids, history)
    # 4. spend per day for the chart, per currency; the spend per currency is their sum
    spend_days = _spend_per_day(date_from, date_to)
    spend_by_currency: dict[str, Decimal] = {}
    for row in spend_days:
        spend_by_currency[row["currency"]] = spend_by_currency.get(row["currency"], Decimal("0")) + row["spend"]
    spend_by_currency = dict(sorted(spend_by_currency.items()))

    totals = {
        name: sum((row[name] or 0) for row in seller_rows) for name in ("leads", "opportunities", "won", "revenue")
    }
    single = next(iter(spend_by_currency)) if len(spend_by_currency) == 1 else ""
    total = Figures(
        name="total",
        currency=single or (company_currency if not spend_by_currency else ""),
        spend=spend_by_currency.get(single, Decimal("0")) if single else Decimal("0"),
        leads=totals["leads"] or 0,
        opportunities=totals["opportunities"] or 0,
        won=totals["won"] or 0,
        revenue=totals["revenue"] or Decimal("0"),
        company_currency=company_currency,
    )
    if len(spend_by_currency) > 1:
        total.currency = "*"  # several currencies: no single spend, no ROI

    # 5. the sellers' names
    # (0 is no one: an empty list would skip the query, and the count is the same whatever the data)
    seller_ids = [0] + [r["seller_id"] for r in seller_rows if r["seller_id"]]
    names = dict(User.objects.filter(pk__in=seller_ids).values_list("pk", "full_name"))
    sellers = [
        Figures(
            key=str(r["seller_id"] or ""),
            name=names.get(r["seller_id"], ""),
            leads=r["leads"],
            opportunities=r["opportunities"],
            won=r["won"],
            revenue=r["revenue"] or Decimal("0"),
            company_currency=company_currency,
        )
        for r in sorted(seller_rows, key=lambda r: (r["seller_id"] is None, r["seller_id"] or 0))
    ]
    sellers.sort(key=lambda r: (-r.revenue, -r.won, -r.leads, r.name.lower()))

    series = _series(date_from, date_to, spend_days, sorted(lead_days, key=lambda r: r["day"]))
    return Hub(
        date_from=date_from,
        date_to=date_to,
        level=level,
        company_currency=company_currency,
        total=total,
        spend_by_currency=spend_by_currency,
        rows=rows,
        sellers=sellers,
        series=series,
        row_count=row_count,
        page=page,
        per_page=per_page,
    )


def _series(date_from: date, date_to: date, spend_days: list, lead_days: list) -> dict:
    days = (date_to - date_from).days + 1
    labels = [(date_from + timedelta(days=i)).isoformat() for i in range(days)]
    index = {label: i for i, label in enumerate(labels)}
    spend: dict[str, list[str]] = {}
    for row in spend_days:
        values = spend.setdefault(row["currency"], ["0"] * days)
        values[index[row["date"].isoformat()]] = str(row["spend"])
    leads, won = [0] * days, [0] * days
    for row in lead_days:
        i = index.get(row["day"].isoformat())
        if i is not None:
            leads[i], won[i] = row["leads"], row["won"]
    return {"labels": labels, "spend": spend, "leads": leads, "won": won}


def drilldown_leads(
    *,
    tenant,
    date_from: date,
    date_to: date,
    level: str = "",
    key: str = "",
    metric: str = "leads",
    seller: str = "",
    opportunity_stage: Stage | None = None,
    zone=None,
):
    """The leads behind one figure of the hub (same definitions)."""
    zone = zone or zoneinfo.ZoneInfo(tenant.timezone or "UTC")
    leads = attributed_leads(date_from=date_from, date_to=date_to, zone=zone)
    if level in LEVELS and key:
        leads = leads.filter(**{_LEAD_KEY[level]: key})
    if seller == "none":
        leads = leads.filter(seller__isnull=True)
    elif seller.isdigit():
        leads = leads.filter(seller_id=int(seller))
    if metric == "won":
        leads = leads.filter(stage__kind=Stage.Kind.WON)
    elif metric == "opportunities":
        if opportunity_stage is None:
            leads = leads.filter(stage__kind=Stage.Kind.WON)
        else:
            _won, reached, _history = stage_sets(opportunity_stage)
            leads = leads.filter(Exists(LeadFact.objects.filter(lead_id=OuterRef("pk"), stages__overlap=reached)))
    return leads.select_related("stage", "seller").order_by("-created_at", "-id")
