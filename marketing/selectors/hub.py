"""The marketing hub's figures over a date range: six queries whatever the number of campaigns, ads,
days or leads, reading the tables the triggers of marketing.rollups keep (issue 11, Speed) rather than the
period's insight rows and leads:
- spend per campaign / ad set: whole months from the monthly buckets, the days at the range's edges from
  the daily buckets; per ad: whole months and then whole weeks from its monthly and weekly buckets, the
  few days left from the insights themselves (their covering index); the chart's daily spend from the
  account-wide daily buckets;
- leads: per day from daily buckets, per seller and per campaign from monthly buckets plus the edge
  days' `LeadFact` rows (one narrow row per attributed lead), per ad set and ad from the period's
  `LeadFact` rows; all in one query.

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

from django.db import connection
from django.db.models import Exists, OuterRef

from crm.models import Lead, Stage
from marketing.models import LeadFact
from tenants.models import User

LEVELS = ("campaign", "adset", "ad")
_LEAD_KEY = {"campaign": "meta_campaign_id", "adset": "meta_adset_id", "ad": "meta_ad_id"}
_FACT_KEY = {"campaign": "campaign", "adset": "adset", "ad": "ad"}
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


def month_split(date_from: date, date_to: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The whole months inside [date_from, date_to] (first days of the first and last), and the day ranges
    left at the edges."""
    first = date_from if date_from.day == 1 else (date_from.replace(day=28) + timedelta(days=4)).replace(day=1)
    after = date_to + timedelta(days=1)
    end = after if after.day == 1 else date_to.replace(day=1)  # exclusive
    if first >= end:
        return None, [(date_from, date_to)]
    edges = [(a, b) for a, b in ((date_from, first - timedelta(days=1)), (end, date_to)) if a <= b]
    last_month = (end - timedelta(days=1)).replace(day=1)
    return (first, last_month), edges


def week_split(date_from: date, date_to: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The whole weeks (Monday to Sunday) inside [date_from, date_to] (their Mondays, first and last), and
    the day ranges left at the edges."""
    first = date_from + timedelta(days=(7 - date_from.weekday()) % 7)
    last_sunday = date_to - timedelta(days=(date_to.weekday() + 1) % 7)
    if first + timedelta(days=6) > last_sunday:
        return None, [(date_from, date_to)]
    edges = [
        (a, b)
        for a, b in ((date_from, first - timedelta(days=1)), (last_sunday + timedelta(days=1), date_to))
        if a <= b
    ]
    return (first, last_sunday - timedelta(days=6)), edges


def _spend_per_object(level: str, date_from: date, date_to: date) -> dict[int, dict]:
    """{object pk: {currency, spend, impressions, clicks}} for the level over the range (one query): whole
    months from the monthly buckets; the edges from the daily buckets, or per ad from the weekly buckets
    and the insights of the days left."""
    months, edges = month_split(date_from, date_to)
    bucket = (
        "SELECT object_id, currency, spend, impressions, clicks FROM marketing_insightrollup"
        " WHERE level = %s AND grain = %s AND date >= %s AND date <= %s"
    )
    parts, params = [], []
    if months:
        parts.append(bucket)
        params += [level, "m", *months]
    for a, b in edges:
        if level == "ad":
            weeks, days = week_split(a, b)
            if weeks:
                parts.append(bucket)
                params += [level, "w", *weeks]
            for c, d in days:
                parts.append(
                    "SELECT ad_id, currency, spend, impressions, clicks FROM marketing_insight"
                    " WHERE date >= %s AND date <= %s"
                )
                params += [c, d]
        else:
            parts.append(bucket)
            params += [level, "d", a, b]
    union = " UNION ALL ".join(parts)
    sql = f"SELECT object_id, currency, sum(spend), sum(impressions), sum(clicks) FROM ({union}) AS part (object_id, currency, spend, impressions, clicks) GROUP BY 1, 2"  # noqa: S608, E501 (constant parts, values as parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            pk: {"currency": currency, "spend": spend, "impressions": int(impressions), "clicks": int(clicks)}
            for pk, currency, spend, impressions, clicks in cursor.fetchall()
        }


def _spend_per_day(date_from: date, date_to: date) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT date, currency, spend FROM marketing_insightrollup"
            " WHERE level = '' AND grain = 'd' AND date >= %s AND date <= %s ORDER BY date, currency",
            [date_from, date_to],
        )
        return [{"date": day, "currency": currency, "spend": spend} for day, currency, spend in cursor.fetchall()]


def _lead_groups(level: str, date_from: date, date_to: date, won: list[int], reached: list[int], history: bool):
    """The period's leads counted per object of the level, per seller and per day, in one query:
    ({key: metrics}, [seller metrics], [day metrics]). Per campaign, whole months come from the monthly
    buckets and the edge days from the lead rows; per ad set and ad, from the lead rows (per month and ad
    there are about as many buckets as leads); per seller, from the monthly and edge days' buckets; per
    day, from the daily buckets."""
    key = _FACT_KEY[level]
    params = {"reached": reached, "won": won, "date_from": date_from, "date_to": date_to}
    months, edges = month_split(date_from, date_to)
    if months:
        params.update(month_from=months[0], month_to=months[1])
        for n, (a, b) in enumerate(edges):
            params.update({f"edge{n}_from": a, f"edge{n}_to": b})
    whole = "{column} >= %(date_from)s AND {column} <= %(date_to)s"
    in_months = "date >= %(month_from)s AND date <= %(month_to)s"
    at_edges = [f"{{column}} >= %(edge{n}_from)s AND {{column}} <= %(edge{n}_to)s" for n in range(len(edges))]
    bucket = "SELECT {what}, stage_id, stages, count, value FROM marketing_leadrollup WHERE level = '{level}' AND "
    fact = f"SELECT {key}, stage_id, stages, 1, value FROM marketing_leadfact WHERE "  # noqa: S608 (constant names)
    if level == "campaign" and months:
        parts = [bucket.format(what="key", level="campaign") + "grain = 'm' AND " + in_months]
        parts += [fact + edge.format(column="day") for edge in at_edges]
    else:
        parts = [fact + whole.format(column="day")]
    seller = bucket.format(what="seller_id", level="seller")
    if months:
        sellers = [seller + "grain = 'm' AND " + in_months]
        sellers += [seller + "grain = 'd' AND " + edge.format(column="date") for edge in at_edges]
    else:
        sellers = [seller + "grain = 'd' AND " + whole.format(column="date")]
    days = bucket.format(what="date", level="day") + "grain = 'd' AND " + whole.format(column="date")
    opportunity = "stages && %(reached)s::bigint[]" if history else "stage_id = ANY(%(reached)s::bigint[])"
    is_won = "stage_id = ANY(%(won)s::bigint[])"
    metrics = (
        f"sum(n), coalesce(sum(n) FILTER (WHERE {opportunity}), 0), coalesce(sum(n) FILTER (WHERE {is_won}), 0),"
        f" coalesce(sum(value) FILTER (WHERE {is_won}), 0)"
    )
    union, seller_union = " UNION ALL ".join(parts), " UNION ALL ".join(sellers)
    sql = f"""
        WITH obj (key, stage_id, stages, n, value) AS ({union}),
             seller (seller_id, stage_id, stages, n, value) AS ({seller_union}),
             day (date, stage_id, stages, n, value) AS ({days})
        SELECT 1, key, NULL::bigint, NULL::date, {metrics} FROM obj GROUP BY key
        UNION ALL SELECT 2, NULL, seller_id, NULL, {metrics} FROM seller GROUP BY seller_id
        UNION ALL SELECT 3, NULL, NULL, date, {metrics} FROM day GROUP BY date
    """  # noqa: S608 (constant parts, values as parameters)
    by_key, by_seller, by_day = {}, [], []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for group, obj, seller_id, day, leads, opportunities, won_count, revenue in cursor.fetchall():
            figures = {"leads": leads, "opportunities": opportunities, "won": won_count, "revenue": revenue}
            if group == 1:
                by_key[obj] = figures
            elif group == 2:
                by_seller.append({"seller_id": seller_id or None, **figures})
            else:
                by_day.append({"day": day, **figures})
    return by_key, by_seller, by_day


_OBJECTS = {
    "campaign": "SELECT o.id, o.meta_id, o.name, o.status, '' FROM marketing_campaign AS o",
    "adset": "SELECT o.id, o.meta_id, o.name, o.status, p.name FROM marketing_adset AS o"
    " JOIN marketing_campaign AS p ON p.id = o.campaign_id",
    "ad": "SELECT o.id, o.meta_id, o.name, o.status, p.name FROM marketing_ad AS o"
    " JOIN marketing_adset AS p ON p.id = o.adset_id",
}


def _objects(level: str, pks: list[int], meta_ids: list[str]) -> list[tuple]:
    """(pk, meta id, name, status, parent name) of the level's objects that spent or brought leads (two
    array parameters, however many)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"{_OBJECTS[level]} WHERE o.id = ANY(%s::bigint[]) OR o.meta_id = ANY(%s::text[])",
            [pks, meta_ids],
        )
        return cursor.fetchall()


def hub(
    *,
    tenant,
    date_from: date,
    date_to: date,
    level: str = "campaign",
    opportunity_stage: Stage | None = None,
) -> Hub:
    """The hub's figures (six queries whatever the volume). Lead days are the company's time zone's."""
    level = level if level in LEVELS else "campaign"
    company_currency = tenant.currency
    won_ids, reached_ids, history = stage_sets(opportunity_stage)  # 1

    # 2. spend per object of the level (an object spends in its ad account's currency); the totals per
    # currency are summed from these rows rather than read again
    spend_rows = _spend_per_object(level, date_from, date_to)
    spend_by_currency: dict[str, Decimal] = {}
    for row in spend_rows.values():
        spend_by_currency[row["currency"]] = spend_by_currency.get(row["currency"], Decimal("0")) + row["spend"]
    spend_by_currency = dict(sorted(spend_by_currency.items()))
    # 3. leads per object, per seller and per day (every attributed lead falls in one group of each)
    lead_rows, seller_rows, lead_days = _lead_groups(level, date_from, date_to, won_ids, reached_ids, history)
    # 4. names of the objects that spent or brought leads (meta ids are what leads carry)
    rows = []
    seen_meta = set()
    for pk, meta_id, name, status, parent in _objects(level, list(spend_rows), list(lead_rows)):
        spent = spend_rows.get(pk, {})
        got = lead_rows.get(meta_id, {})
        seen_meta.add(meta_id)
        rows.append(
            Figures(
                key=meta_id,
                name=name,
                status=status,
                parent=parent,
                currency=spent.get("currency", ""),
                spend=spent.get("spend") or Decimal("0"),
                impressions=spent.get("impressions") or 0,
                clicks=spent.get("clicks") or 0,
                leads=got.get("leads", 0),
                opportunities=got.get("opportunities", 0),
                won=got.get("won", 0),
                revenue=got.get("revenue") or Decimal("0"),
                company_currency=company_currency,
            )
        )
    for meta_id, got in lead_rows.items():  # leads naming an object not synced (yet)
        if meta_id and meta_id not in seen_meta:
            rows.append(
                Figures(
                    key=meta_id,
                    name=meta_id,
                    leads=got["leads"],
                    opportunities=got["opportunities"],
                    won=got["won"],
                    revenue=got["revenue"] or Decimal("0"),
                    company_currency=company_currency,
                )
            )
    rows.sort(key=lambda r: (-r.spend, -r.leads, r.name.lower()))

    totals = {
        name: sum((row[name] or 0) for row in lead_rows.values())
        for name in ("leads", "opportunities", "won", "revenue")
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

    # 6. over time: spend per day (per currency); leads / won per day of creation came with step 3
    series = _series(date_from, date_to, _spend_per_day(date_from, date_to), sorted(lead_days, key=lambda r: r["day"]))
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
