import zoneinfo
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from crm.models import Lead
from crm.selectors.analytics import chart_data, default_range, seller_report
from crm.tests.factories import LeadFactory, stage
from tenants.models import MembershipStatus, Role

pytestmark = pytest.mark.django_db

MARCH = {"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 31)}
UTC_ZONE = zoneinfo.ZoneInfo("UTC")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_lead(seller, key: str, *, created: datetime, closed: datetime | None = None, value: str = "0") -> Lead:
    lead = LeadFactory(seller_id=seller.user_id if seller else None, stage=stage(key), expected_value=Decimal(value))
    closer = seller.user_id if (closed and seller) else None
    Lead.objects.filter(pk=lead.pk).update(created_at=created, closed_at=closed, closed_seller_id=closer)
    return lead


@pytest.fixture
def crafted(tenant, make_member):
    """Two sellers with won, lost and open leads in and out of March 2026, and one unassigned lead."""
    ana = make_member(tenant, Role.SELLER, full_name="Ana Seller")
    ben = make_member(tenant, Role.SELLER, full_name="Ben Seller")
    # Ana: 3 assigned in March (L1, L3, L4); won L1 (10 days) and L2 (20 days); lost L3.
    make_lead(ana, "won", created=at(2026, 3, 1, 10), closed=at(2026, 3, 11, 10), value="1000")
    make_lead(ana, "won", created=at(2026, 2, 10), closed=at(2026, 3, 2), value="3000")
    make_lead(ana, "lost", created=at(2026, 3, 5), closed=at(2026, 3, 6), value="500")
    make_lead(ana, "new", created=at(2026, 3, 31, 23, 59, 59), value="700")
    make_lead(ana, "won", created=at(2026, 1, 1), closed=at(2026, 4, 1), value="9999")  # closed after the range
    # Ben: 1 assigned in March (L8, won in half a day); lost L6, created before March.
    make_lead(ben, "lost", created=at(2026, 2, 27, 23, 59, 59), closed=at(2026, 3, 15), value="800")
    make_lead(ben, "new", created=at(2026, 4, 1), value="100")  # created after the range
    make_lead(ben, "won", created=at(2026, 3, 20, 12), closed=at(2026, 3, 21), value="250.50")
    make_lead(None, "contacted", created=at(2026, 3, 10), value="50")
    return ana, ben


def test_per_seller_figures_over_the_range(english, tenant, crafted):
    report = seller_report(tenant=tenant, zone=UTC_ZONE, **MARCH)

    rows = {row.name: row for row in report.rows}
    assert [row.name for row in report.rows] == ["Ana Seller", "Ben Seller", "Unassigned", "Acme Test Founder"]
    assert (rows["Ana Seller"].assigned, rows["Ana Seller"].won, rows["Ana Seller"].lost) == (3, 2, 1)
    assert rows["Ana Seller"].revenue == Decimal("4000.00")
    assert rows["Ana Seller"].conversion_rate == 66.7
    assert rows["Ana Seller"].avg_days_to_close == 15.0
    assert (rows["Ben Seller"].assigned, rows["Ben Seller"].won, rows["Ben Seller"].lost) == (1, 1, 1)
    assert rows["Ben Seller"].revenue == Decimal("250.50")
    assert rows["Ben Seller"].conversion_rate == 50.0
    assert rows["Ben Seller"].avg_days_to_close == 0.5
    assert (rows["Unassigned"].assigned, rows["Unassigned"].closed) == (1, 0)
    assert rows["Unassigned"].conversion_rate is None
    assert rows["Unassigned"].avg_days_to_close is None
    founder = rows["Acme Test Founder"]
    assert (founder.assigned, founder.won, founder.lost, founder.revenue) == (0, 0, 0, Decimal("0"))


def test_totals_add_up_and_average_over_every_won_lead(tenant, crafted):
    report = seller_report(tenant=tenant, zone=UTC_ZONE, **MARCH)

    total = report.total
    assert (total.assigned, total.won, total.lost) == (5, 3, 2)
    assert total.revenue == Decimal("4250.50")
    assert total.conversion_rate == 60.0
    assert total.avg_days_to_close == 10.2  # (10 + 20 + 0.5) / 3
    assert report.has_figures is True


def test_seller_filter_keeps_only_that_seller(tenant, crafted):
    _ana, ben = crafted

    report = seller_report(tenant=tenant, zone=UTC_ZONE, seller_id=ben.user_id, **MARCH)

    assert [row.name for row in report.rows] == ["Ben Seller"]
    assert (report.total.assigned, report.total.won, report.total.lost) == (1, 1, 1)
    assert report.total.revenue == Decimal("250.50")


def test_range_follows_the_tenant_time_zone(tenant, make_member):
    seller = make_member(tenant, Role.SELLER, full_name="Zoe Seller")
    # 23:30 UTC on 28 February is 00:30 on 1 March in Madrid.
    make_lead(seller, "new", created=at(2026, 2, 28, 23, 30))
    tenant.timezone = "UTC"
    tenant.save()
    in_utc = seller_report(tenant=tenant, zone=UTC_ZONE, **MARCH)

    # The rollups count the company's local days: changing its time zone recounts them.
    tenant.timezone = "Europe/Madrid"
    tenant.save()
    in_madrid = seller_report(tenant=tenant, zone=zoneinfo.ZoneInfo("Europe/Madrid"), **MARCH)

    assert in_utc.total.assigned == 0
    assert in_madrid.total.assigned == 1


def test_disabled_seller_with_figures_is_listed_and_idle_one_is_not(tenant, make_member):
    gone = make_member(tenant, Role.SELLER, MembershipStatus.DISABLED, full_name="Gone Seller")
    make_member(tenant, Role.SELLER, MembershipStatus.DISABLED, full_name="Idle Seller")
    make_lead(gone, "won", created=at(2026, 3, 2), closed=at(2026, 3, 4), value="10")

    report = seller_report(tenant=tenant, zone=UTC_ZONE, **MARCH)

    assert [row.name for row in report.rows] == ["Gone Seller", "Acme Test Founder"]


def test_empty_range_has_no_figures(tenant, crafted):
    report = seller_report(tenant=tenant, zone=UTC_ZONE, date_from=date(2025, 1, 1), date_to=date(2025, 1, 31))

    assert report.has_figures is False
    assert report.total.conversion_rate is None


def test_three_queries_whatever_the_number_of_sellers(tenant, crafted, make_member, django_assert_num_queries):
    for n in range(4):
        make_lead(make_member(tenant, Role.SELLER), "won", created=at(2026, 3, 3), closed=at(2026, 3, 4 + n))

    with django_assert_num_queries(3):
        report = seller_report(tenant=tenant, zone=UTC_ZONE, **MARCH)

    assert len(report.rows) == 8


def test_chart_data_follows_the_rows(english, tenant, crafted):
    report = seller_report(tenant=tenant, zone=UTC_ZONE, **MARCH)

    data = chart_data(report)

    assert data == {
        "labels": ["Ana Seller", "Ben Seller", "Unassigned", "Acme Test Founder"],
        "revenue": [4000.0, 250.5, 0.0, 0.0],
        "assigned": [3, 1, 1, 0],
        "won": [2, 1, 0, 0],
    }


def test_default_range_is_the_last_30_days_including_today():
    start, end = default_range(today=date(2026, 3, 31))

    assert (start, end) == (date(2026, 3, 2), date(2026, 3, 31))
    assert end - start == timedelta(days=29)
