"""The hub's figures computed the way they were before the rollups (issue 11): aggregates over the
period's insight rows and leads, opportunities from the lead's current stage. The tests compare the new
path with it on fixtures where no lead went back in the pipeline (where both definitions agree)."""

from __future__ import annotations

import zoneinfo
from datetime import date
from decimal import Decimal

from django.db.models import Count, DateField, Q, Sum
from django.db.models.functions import Cast, TruncDate

from crm.models import Stage
from marketing.models import Ad, AdSet, Campaign, Insight
from marketing.selectors.hub import _LEAD_KEY, LEVELS, Figures, Hub, _series, attributed_leads
from tenants.models import User

_MODEL = {"campaign": Campaign, "adset": AdSet, "ad": Ad}
_INSIGHT_KEY = {"campaign": "campaign_id", "adset": "adset_id", "ad": "ad_id"}


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


def reference_hub(
    *,
    tenant,
    date_from: date,
    date_to: date,
    level: str = "campaign",
    opportunity_stage: Stage | None = None,
    zone: zoneinfo.ZoneInfo | None = None,
) -> Hub:
    """The hub as it was computed before the rollups (issue 11): straight from the insights and leads."""
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
        row_count=len(rows),
    )
