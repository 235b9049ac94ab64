"""The hub's figures: ROI, cost per lead and per won deal in Decimal with zero spend and zero revenue,
per campaign / ad set / ad / seller, currencies never mixed, drill-down, a constant number of queries,
and who may see it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.tests.factories import LeadFactory, stage
from marketing.models import Ad, AdAccount, AdSet, Campaign, Insight
from marketing.selectors.hub import Figures, hub, ratio, roi
from tenants.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

DAY = date(2026, 11, 20)


def test_arithmetic_edge_cases():
    assert roi(Decimal("150"), Decimal("100")) == Decimal("0.5000")
    assert roi(Decimal("0"), Decimal("100")) == Decimal("-1.0000")  # spend and no revenue: -100 %
    assert roi(Decimal("500"), Decimal("0")) is None  # no spend: no ROI, not infinity
    assert roi(Decimal("0"), Decimal("0")) is None
    assert ratio(Decimal("10"), 3) == Decimal("3.33")
    assert ratio(Decimal("10"), 0) is None
    f = Figures(spend=Decimal("100.00"), leads=0, won=0, revenue=Decimal("0"), currency="EUR", company_currency="EUR")
    assert (f.cpl, f.cpa, f.roi_percent) == (None, None, Decimal("-100.0"))
    f = Figures(spend=Decimal("0"), leads=4, won=1, revenue=Decimal("99"), currency="", company_currency="EUR")
    assert (f.cpl, f.cpa, f.roi) == (Decimal("0.00"), Decimal("0.00"), None)
    f = Figures(spend=Decimal("100"), leads=3, won=2, revenue=Decimal("250"), currency="USD", company_currency="EUR")
    assert f.roi is None
    assert f.cpl == Decimal("33.33")
    assert f.cpa == Decimal("50.00")


def world(n_campaigns: int = 2, ads_per_campaign: int = 2, days: int = 3, currency: str = "EUR"):
    account = AdAccount.objects.create(meta_id=f"act_{currency}", name=currency, currency=currency, selected=True)
    objects = []
    for c in range(n_campaigns):
        campaign = Campaign.objects.create(ad_account=account, meta_id=f"{currency}c{c}", name=f"Campaign {c}")
        adset = AdSet.objects.create(campaign=campaign, meta_id=f"{currency}s{c}", name=f"Set {c}")
        for a in range(ads_per_campaign):
            ad = Ad.objects.create(adset=adset, campaign=campaign, meta_id=f"{currency}a{c}-{a}", name=f"Ad {c}-{a}")
            objects.append(ad)
            Insight.objects.bulk_create(
                Insight(
                    ad=ad,
                    adset=adset,
                    campaign=campaign,
                    date=DAY - timedelta(days=d),
                    currency=currency,
                    spend=Decimal("10.00"),
                    impressions=100,
                    clicks=5,
                )
                for d in range(days)
            )
    return objects


def lead(ad: Ad, *, stage_key: str = "new", value: str = "0", seller=None, day: date = DAY):
    created = timezone.make_aware(datetime.combine(day, datetime.min.time()) + timedelta(hours=12))
    row = LeadFactory(
        stage=stage(stage_key),
        expected_value=Decimal(value),
        seller=seller,
        meta_campaign_id=ad.campaign.meta_id,
        meta_adset_id=ad.adset.meta_id,
        meta_ad_id=ad.meta_id,
        source="meta_ads",
    )
    type(row).objects.filter(pk=row.pk).update(created_at=created)
    return row


def test_per_campaign_figures(tenant, seller):
    ads = world()
    lead(ads[0], stage_key="won", value="300", seller=seller.user)
    lead(ads[1], stage_key="negotiation")
    lead(ads[1], stage_key="lost")
    lead(ads[2])
    LeadFactory()  # not from ads: not counted
    result = hub(
        tenant=tenant,
        date_from=DAY - timedelta(days=29),
        date_to=DAY,
        level="campaign",
        opportunity_stage=stage("interested"),
    )
    assert result.spend_by_currency == {"EUR": Decimal("120.00")}
    total = result.total
    assert (total.leads, total.opportunities, total.won, total.revenue) == (4, 2, 1, Decimal("300.00"))
    assert total.cpl == Decimal("30.00")
    assert total.cpa == Decimal("120.00")
    assert total.roi == Decimal("1.5000")  # (300 - 120) / 120
    by_key = {row.key: row for row in result.rows}
    first, second = by_key["EURc0"], by_key["EURc1"]
    assert (first.spend, first.leads, first.won, first.revenue) == (Decimal("60.00"), 3, 1, Decimal("300.00"))
    assert first.roi == Decimal("4.0000")
    assert first.cpl == Decimal("20.00")
    assert (second.spend, second.leads, second.won, second.roi) == (Decimal("60.00"), 1, 0, Decimal("-1.0000"))
    assert second.cpa is None
    sellers = {row.key: row for row in result.sellers}
    assert sellers[str(seller.user.pk)].revenue == Decimal("300.00")
    assert sellers[""].leads == 3


def test_per_ad_and_ad_set_levels(tenant):
    ads = world()
    lead(ads[3], stage_key="won", value="50")
    per_ad = hub(tenant=tenant, date_from=DAY, date_to=DAY, level="ad")
    row = next(r for r in per_ad.rows if r.key == ads[3].meta_id)
    assert (row.spend, row.leads, row.won, row.parent) == (Decimal("10.00"), 1, 1, "Set 1")
    per_set = hub(tenant=tenant, date_from=DAY, date_to=DAY, level="adset")
    assert {r.key: r.spend for r in per_set.rows} == {"EURs0": Decimal("20.00"), "EURs1": Decimal("20.00")}


def test_currencies_are_never_added(tenant):
    world(n_campaigns=1, currency="EUR")
    usd = world(n_campaigns=1, currency="USD")
    lead(usd[0], stage_key="won", value="1000")
    result = hub(tenant=tenant, date_from=DAY - timedelta(days=5), date_to=DAY)
    assert result.spend_by_currency == {"EUR": Decimal("60.00"), "USD": Decimal("60.00")}
    assert result.mixed_currencies
    assert result.total.currency == "*"
    assert result.total.roi is None
    usd_row = next(r for r in result.rows if r.key == "USDc0")
    assert usd_row.currency == "USD"
    assert usd_row.roi is None
    assert usd_row.cpl == Decimal("60.00")


def test_zero_spend_and_zero_leads(tenant):
    result = hub(tenant=tenant, date_from=DAY, date_to=DAY)
    assert result.spend_by_currency == {}
    assert result.rows == []
    assert (result.total.leads, result.total.cpl, result.total.roi) == (0, None, None)


def test_query_count_is_the_same_small_and_large(tenant, seller):
    ads = world(n_campaigns=1, ads_per_campaign=1, days=1)
    lead(ads[0])
    with CaptureQueriesContext(db) as small:
        hub(tenant=tenant, date_from=DAY - timedelta(days=29), date_to=DAY, level="ad")
    more = world(n_campaigns=6, ads_per_campaign=4, days=10, currency="USD")
    for ad in more:
        lead(ad, stage_key="won", value="10", seller=seller.user)
    with CaptureQueriesContext(db) as large:
        hub(tenant=tenant, date_from=DAY - timedelta(days=29), date_to=DAY, level="ad")
    assert len(small) == len(large) <= 10


def test_the_page_and_drilldown(acme, owner, client_for, english):
    db.set_tenant(acme)
    ads = world()
    won = lead(ads[0], stage_key="won", value="300")
    other = lead(ads[2])
    client = client_for(owner)
    page = client.get("/marketing/", {"date_from": "2026-11-01", "date_to": "2026-11-20"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-key="EURc0"' in html
    assert "Campaign 0" in html
    drill = client.get(
        "/marketing/leads/",
        {"date_from": "2026-11-01", "date_to": "2026-11-20", "level": "campaign", "key": "EURc0", "metric": "won"},
    )
    body = drill.content.decode()
    assert f'data-lead="{won.pk}"' in body
    assert f'data-lead="{other.pk}"' not in body
    bad = client.get("/marketing/", {"date_from": "2026-12-01", "date_to": "2026-11-01"})
    assert bad.status_code == 200
    assert "The start date must be before the end date." in bad.content.decode()


@pytest.mark.parametrize("role", [Role.SELLER, Role.ACCOUNTANT])
def test_sellers_and_accountants_are_refused(acme, make_member, client_for, role):
    client = client_for(make_member(acme, role))
    for url in ("/marketing/", "/marketing/leads/", "/marketing/meta/"):
        assert client.get(url).status_code == 403


def test_marketing_members_see_it(acme, make_member, client_for):
    assert client_for(make_member(acme, Role.MARKETING)).get("/marketing/").status_code == 200


def test_another_companys_figures_never_show(acme, globex, globex_owner, client_for):
    db.set_tenant(acme)
    ads = world()
    won = lead(ads[0], stage_key="won", value="300")
    db.set_schema_to_public()
    page = client_for(globex_owner).get("/marketing/", {"date_from": "2026-11-01", "date_to": "2026-11-20"})
    assert b"Campaign 0" not in page.content
    drill = client_for(globex_owner).get("/marketing/leads/", {"date_from": "2026-11-01", "date_to": "2026-11-20"})
    assert f'data-lead="{won.pk}"'.encode() not in drill.content
    # And acme's host refuses globex's owner.
    assert client_for(globex_owner.user, acme).get("/marketing/").status_code == 403


def test_the_rows_are_sorted_and_paged(acme, owner, client_for, english):
    db.set_tenant(acme)
    ads = world(n_campaigns=1, ads_per_campaign=55, days=1)
    lead(ads[7], stage_key="won", value="300")
    client = client_for(owner)
    dates = {"date_from": "2026-11-01", "date_to": "2026-11-20", "level": "ad"}
    html = client.get("/marketing/", {**dates, "sort": "name", "page": "2"}).content.decode()
    names = sorted((ad.name for ad in ads), key=str.lower)
    shown = [name for name in names if f'<td data-label="Name">{name}<br>' in html]
    assert shown == names[50:]
    assert "Page 2 of 2" in html
    for page in ("99999999999999999999999", "0", "-1", "x", "²"):  # past the end: the last page; nonsense: the first
        other = client.get("/marketing/", {**dates, "sort": "name", "page": page}).content.decode()
        assert ("Page 2 of 2" if page.startswith("9") else "Page 1 of 2") in other
    assert (
        'aria-sort="ascending"><a href="?date_from=2026-11-01&amp;date_to=2026-11-20&amp;level=ad&amp;sort=-name"'
        in html
    )
    assert 'aria-sort="none"><a href="?date_from=2026-11-01&amp;date_to=2026-11-20&amp;level=ad&amp;sort=-roi"' in html
    assert "sort=name&page=1" in html  # the previous page keeps the order
    # sorted by won deals, the ad with the won lead comes first, with its drill-down link
    html = client.get("/marketing/", {**dates, "sort": "-won"}).content.decode()
    first = html.index("<tr data-key=")
    assert html[first:].startswith(f'<tr data-key="{ads[7].meta_id}"')
    assert f"stage=&amp;level=ad&key={ads[7].meta_id}&metric=won" in html
    assert (
        'aria-sort="descending"><a href="?date_from=2026-11-01&amp;date_to=2026-11-20&amp;level=ad&amp;sort=won"'
        in html
    )


def test_the_filters_show_the_range_reported_and_keep_the_order(acme, owner, client_for, english):
    """A first visit reports the last 30 days and its date fields say so; the filter form keeps the order
    chosen by a column's header."""
    db.set_tenant(acme)
    client = client_for(owner)
    today = timezone.localdate()
    html = client.get("/marketing/").content.decode()
    assert f'name="date_from" value="{(today - timedelta(days=29)).isoformat()}"' in html
    assert f'name="date_to" value="{today.isoformat()}"' in html
    assert 'name="sort"' not in html

    html = client.get(
        "/marketing/", {"date_from": "2026-11-01", "date_to": "2026-11-20", "sort": "-won"}
    ).content.decode()
    assert 'name="date_from" value="2026-11-01"' in html
    assert '<input type="hidden" name="sort" value="-won">' in html
