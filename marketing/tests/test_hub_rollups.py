"""The hub read from the rollups gives the same figures as the old aggregates over the raw rows (kept in
reference_hub), over ranges with and without whole months, at every level; opportunities come from the
stage history (a lead that reached the chosen stage or a later one counts, even if lost since)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.services.leads import lead_move
from crm.tests.factories import stage
from marketing.selectors.hub import drilldown_leads, hub
from marketing.tests.reference_hub import reference_hub
from marketing.tests.test_hub import DAY, lead, world
from tenants.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "_no_leads")]


@pytest.fixture
def busy(tenant, make_member):
    """Two currencies, 75 days of insights (three calendar months), leads at every stage over two months
    and three sellers (one of them nobody)."""
    eur = world(n_campaigns=3, ads_per_campaign=3, days=75, currency="EUR")
    usd = world(n_campaigns=1, ads_per_campaign=2, days=20, currency="USD")
    ana = make_member(tenant, Role.SELLER, full_name="Ana").user
    ben = make_member(tenant, Role.SELLER, full_name="Ben").user
    keys = ["new", "contacted", "interested", "negotiation", "won", "lost"]
    ads = eur + usd
    for n in range(60):
        lead(
            ads[n % len(ads)],
            stage_key=keys[n % len(keys)],
            value=str(10 * n),
            seller=(ana, ben, None)[n % 3],
            day=DAY - timedelta(days=(n * 7) % 70),
        )
    return ads


@pytest.fixture
def _no_leads(tenant):
    """No rows committed by benchmarks or browser tests into the shared test company (rolled back)."""
    from django.db import connection

    from marketing.rollups import rollups_rebuild

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE crm_lead, marketing_insight, marketing_ad, marketing_adset, marketing_campaign CASCADE"
        )
    rollups_rebuild()


RANGES = [
    (DAY - timedelta(days=29), DAY),  # within two months, no whole month
    (DAY - timedelta(days=74), DAY),  # a whole October between two partial months
    (date(2026, 9, 1), date(2026, 10, 31)),  # whole months only
    (DAY, DAY),
    (date(2026, 9, 20), date(2026, 12, 31)),  # beyond the data
]


@pytest.mark.parametrize("level", ["campaign", "adset", "ad"])
@pytest.mark.parametrize("stage_key", [None, "contacted", "negotiation"])
def test_same_figures_as_the_raw_rows(tenant, busy, level, stage_key):
    chosen = stage(stage_key) if stage_key else None
    for date_from, date_to in RANGES:
        kwargs = {
            "tenant": tenant,
            "date_from": date_from,
            "date_to": date_to,
            "level": level,
            "opportunity_stage": chosen,
        }
        new, old = hub(**kwargs), reference_hub(**kwargs)
        assert new == old, (date_from, date_to)


def test_the_fixture_has_figures(tenant, busy):
    result = hub(
        tenant=tenant,
        date_from=DAY - timedelta(days=74),
        date_to=DAY,
        level="ad",
        opportunity_stage=stage("interested"),
    )
    assert result.total.leads == 60
    assert result.spend_by_currency == {"EUR": Decimal("6750.00"), "USD": Decimal("400.00")}
    assert (result.total.won, result.total.opportunities) == (10, 30)
    assert len(result.rows) == 11


def test_opportunities_count_leads_that_reached_the_stage_even_if_lost_since(tenant, owner):
    ads = world(n_campaigns=1, ads_per_campaign=1, days=1)
    reached = lead(ads[0])
    lead_move(lead=reached, stage=stage("negotiation"), actor=owner.user)
    lead_move(lead=reached, stage=stage("lost"), actor=owner.user, lost_reason="price")
    short = lead(ads[0])
    lead_move(lead=short, stage=stage("contacted"), actor=owner.user)
    lead_move(lead=short, stage=stage("lost"), actor=owner.user, lost_reason="price")
    back = lead(ads[0])
    lead_move(lead=back, stage=stage("interested"), actor=owner.user)
    lead_move(lead=back, stage=stage("contacted"), actor=owner.user)  # went back: it did reach "interested"
    won = lead(ads[0], stage_key="won", value="80")

    figures = hub(tenant=tenant, date_from=DAY, date_to=DAY, opportunity_stage=stage("interested"))
    assert (figures.total.leads, figures.total.opportunities, figures.total.won) == (4, 3, 1)
    assert figures.rows[0].opportunities == 3
    assert (
        hub(tenant=tenant, date_from=DAY, date_to=DAY, opportunity_stage=stage("negotiation")).total.opportunities == 2
    )
    assert hub(tenant=tenant, date_from=DAY, date_to=DAY).total.opportunities == 1  # "won only": now won

    drill = drilldown_leads(
        tenant=tenant, date_from=DAY, date_to=DAY, level="campaign", key="EURc0", metric="opportunities",
        opportunity_stage=stage("interested"),
    )  # fmt: skip
    assert {row.pk for row in drill} == {reached.pk, back.pk, won.pk}
    sellers = hub(tenant=tenant, date_from=DAY, date_to=DAY, opportunity_stage=stage("interested")).sellers
    assert [(s.key, s.opportunities) for s in sellers] == [("", 3)]


def test_a_reordered_pipeline_is_read_in_its_new_order(tenant, owner):
    ads = world(n_campaigns=1, ads_per_campaign=1, days=1)
    one = lead(ads[0], stage_key="contacted")
    lead_move(lead=one, stage=stage("lost"), actor=owner.user, lost_reason="price")
    chosen = stage("interested")
    assert hub(tenant=tenant, date_from=DAY, date_to=DAY, opportunity_stage=chosen).total.opportunities == 0
    contacted = stage("contacted")
    contacted.position, chosen.position = chosen.position, contacted.position
    contacted.save()
    chosen.save()
    assert hub(tenant=tenant, date_from=DAY, date_to=DAY, opportunity_stage=chosen).total.opportunities == 1


def _exact(row, column):
    """The value a row is sorted by, unrounded (None sorts last either way)."""
    if column == "name":
        return row.name.lower()
    if column == "roi":
        return (row.revenue - row.spend) / row.spend if row.spend and row.comparable else None
    if column == "cpl":
        return row.spend / row.leads if row.leads else None
    if column == "cpa":
        return row.spend / row.won if row.won else None
    return getattr(row, column)


def _sorted(rows, sort):
    column, descending = sort.removeprefix("-"), sort.startswith("-")
    rows = sorted(rows, key=lambda r: (-r.spend, -r.leads, r.name.lower(), r.key, r.currency))
    known = sorted(
        (r for r in rows if _exact(r, column) is not None), key=lambda r: _exact(r, column), reverse=descending
    )
    return known + [r for r in rows if _exact(r, column) is None]


@pytest.mark.parametrize(
    "sort", ["-spend", "name", "-name", "roi", "-roi", "cpl", "-cpa", "won", "-revenue", "-clicks"]
)
def test_rows_are_sorted_and_paged_in_sql_like_the_raw_rows(tenant, busy, sort):
    chosen = stage("interested")
    kwargs = {"tenant": tenant, "date_from": DAY - timedelta(days=74), "date_to": DAY, "opportunity_stage": chosen}
    for level in ("campaign", "ad"):
        everything = reference_hub(**kwargs, level=level)
        expected = _sorted(everything.rows, sort)
        assert len({_exact(r, sort.removeprefix("-")) for r in expected}) > 1  # the order is not all ties
        pages = [hub(**kwargs, level=level, sort=sort, page=n, per_page=4) for n in (1, 2, 3, 4)]
        assert [p.page for p in pages] == [1, 2, 3, 3] if level == "ad" else [1, 1, 1, 1]
        assert {p.row_count for p in pages} == {len(expected)}
        if level == "ad":
            assert [r for p in pages[:3] for r in p.rows] == expected
            assert pages[3].rows == expected[8:]  # past the end: the last page
        else:
            assert pages[0].rows == expected
        # the totals cover every row, whatever the page
        for p in pages:
            assert (p.total, p.spend_by_currency, p.sellers) == (
                everything.total,
                everything.spend_by_currency,
                everything.sellers,
            )


def test_an_unknown_sort_is_the_default_order(tenant, busy):
    kwargs = {"tenant": tenant, "date_from": DAY - timedelta(days=74), "date_to": DAY, "level": "ad"}
    assert hub(**kwargs, sort="spend; DROP TABLE x").rows == hub(**kwargs).rows == reference_hub(**kwargs).rows


def test_leads_naming_an_object_not_synced_get_a_row_of_their_own(tenant, busy):
    from crm.models import Lead
    from crm.tests.factories import LeadFactory

    ghosts = [
        LeadFactory(stage=stage("won"), expected_value=Decimal("70"), meta_campaign_id="ghost-c", source="meta_ads"),
        LeadFactory(meta_campaign_id="ghost-c", meta_adset_id="ghost-s", meta_ad_id="ghost-a", source="meta_ads"),
    ]
    noon = timezone.make_aware(datetime.combine(DAY, time(12)))
    Lead.objects.filter(pk__in=[g.pk for g in ghosts]).update(created_at=noon)
    for level, key in (("campaign", "ghost-c"), ("ad", "ghost-a")):
        kwargs = {"tenant": tenant, "date_from": DAY - timedelta(days=74), "date_to": DAY, "level": level}
        result = hub(**kwargs)
        assert result == reference_hub(**kwargs)
        ghost = [row for row in result.rows if row.key == key]
        assert [(g.name, g.spend, g.currency, g.leads) for g in ghost] == [
            (key, 0, "", 2 if level == "campaign" else 1)
        ]
        assert "" not in {row.key for row in result.rows}  # the lead with no ad counts in the totals only
        assert result.total.leads == 62
