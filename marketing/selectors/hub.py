"""The marketing hub's figures over a date range, aggregated in SQL: a fixed number of queries whatever
the number of campaigns, ads, days or leads.

Definitions (the leads of a period are those created in it, in the company's time zone, attributed to a
Meta campaign; what happened to them since counts for the period they came in):
- spend: the ads' daily spend over the period's days, per ad account currency (never added across
  currencies);
- leads: leads created in the period with a Meta campaign;
- opportunities: those of them now in the chosen stage or a later open stage, or won;
- won deals and won revenue: those of them now won, and the sum of their values (company currency);
- ROI = (won revenue - spend) / spend, cost per lead = spend / leads, cost per won deal = spend / won,
  in Decimal; None (shown as "—") when the divisor is zero or when spend and revenue are in different
  currencies."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, DateField, Q, Sum
from django.db.models.functions import Cast, TruncDate

from crm.models import Lead, Stage
from marketing.models import Ad, AdSet, Campaign, Insight
from tenants.models import User

LEVELS = ("campaign", "adset", "ad")
_LEAD_KEY = {"campaign": "meta_campaign_id", "adset": "meta_adset_id", "ad": "meta_ad_id"}
_INSIGHT_KEY = {"campaign": "campaign_id", "adset": "adset_id", "ad": "ad_id"}
_MODEL = {"campaign": Campaign, "adset": AdSet, "ad": Ad}
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


def _lead_metrics(opportunity_stage: Stage | None) -> dict:
    won = Q(stage__kind=Stage.Kind.WON)
    if opportunity_stage is not None:
        opportunity = won | Q(stage__kind=Stage.Kind.OPEN, stage__position__gte=opportunity_stage.position)
    else:
        opportunity = won
    return {
        "leads": Count("id"),
        "opportunities": Count("id", filter=opportunity),
        "won": Count("id", filter=won),
        "revenue": Sum("expected_value", filter=won),
    }


def attributed_leads(*, date_from: date, date_to: date, zone):
    start, end = bounds(date_from, date_to, zone)
    return Lead.objects.filter(created_at__gte=start, created_at__lt=end).exclude(meta_campaign_id="")


def hub(
    *,
    tenant,
    date_from: date,
    date_to: date,
    level: str = "campaign",
    opportunity_stage: Stage | None = None,
    zone: zoneinfo.ZoneInfo | None = None,
) -> Hub:
    """The hub's figures (seven queries whatever the volume)."""
    level = level if level in LEVELS else "campaign"
    zone = zone or zoneinfo.ZoneInfo(tenant.timezone or "UTC")
    company_currency = tenant.currency
    insights = Insight.objects.filter(date__gte=date_from, date__lte=date_to).order_by()
    leads = attributed_leads(date_from=date_from, date_to=date_to, zone=zone).order_by()
    metrics = _lead_metrics(opportunity_stage)

    # 1. spend per object of the level (an object spends in its ad account's currency); the totals per
    # currency are summed from these rows rather than scanned again
    key = _INSIGHT_KEY[level]
    spend_rows = {
        row[key]: row
        for row in insights.values(key, "currency").annotate(
            spend=Sum("spend"), impressions=Sum("impressions"), clicks=Sum("clicks")
        )
    }
    spend_by_currency: dict[str, Decimal] = {}
    for row in spend_rows.values():
        spend_by_currency[row["currency"]] = spend_by_currency.get(row["currency"], Decimal("0")) + row["spend"]
    spend_by_currency = dict(sorted(spend_by_currency.items()))
    # 2. leads per object (every attributed lead falls in one group, "" included: the totals are their sum)
    lead_key = _LEAD_KEY[level]
    lead_rows = {row[lead_key]: row for row in leads.values(lead_key).annotate(**metrics)}
    # 3. names of the objects that spent or brought leads (meta ids are what leads carry)
    model = _MODEL[level]
    parent_field = {"campaign": None, "adset": "campaign__name", "ad": "adset__name"}[level]
    fields = ["pk", "meta_id", "name", "status"] + ([parent_field] if parent_field else [])
    objects = model.objects.filter(Q(pk__in=list(spend_rows)) | Q(meta_id__in=list(lead_rows))).values(*fields)
    rows = []
    seen_meta = set()
    for obj in objects:
        spent = spend_rows.get(obj["pk"], {})
        got = lead_rows.get(obj["meta_id"], {})
        seen_meta.add(obj["meta_id"])
        rows.append(
            Figures(
                key=obj["meta_id"],
                name=obj["name"],
                status=obj["status"],
                parent=obj.get(parent_field, "") if parent_field else "",
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

    # 4-5. per seller (leads they received from ads), then their names
    seller_rows = list(leads.values("seller_id").annotate(**metrics).order_by("seller_id"))
    names = dict(User.objects.filter(pk__in=leads.values("seller_id")).values_list("pk", "full_name"))
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
        for r in seller_rows
    ]
    sellers.sort(key=lambda r: (-r.revenue, -r.won, -r.leads, r.name.lower()))

    # 6-7. over time: spend per day (per currency) and leads / won per day of creation
    spend_days = list(insights.values("date", "currency").annotate(spend=Sum("spend")).order_by("date"))
    lead_days = list(
        leads.annotate(day=Cast(TruncDate("created_at", tzinfo=zone), DateField()))
        .values("day")
        .annotate(leads=Count("id"), won=Count("id", filter=Q(stage__kind=Stage.Kind.WON)))
        .order_by("day")
    )
    series = _series(date_from, date_to, spend_days, lead_days)
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
        q = Q(stage__kind=Stage.Kind.WON)
        if opportunity_stage is not None:
            q |= Q(stage__kind=Stage.Kind.OPEN, stage__position__gte=opportunity_stage.position)
        leads = leads.filter(q)
    return leads.select_related("stage", "seller").order_by("-created_at", "-id")
