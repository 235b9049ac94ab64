import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import Lead
from crm.selectors.dashboard import dashboard_figures, week_start
from crm.tests.factories import LeadFactory, stage
from tenants.models import MembershipStatus, Role

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 12, 12, 0, tzinfo=UTC)  # a Thursday


def make_lead(member, key: str, *, created: datetime, closed=None, value="0", source="manual", due=None, **fields):
    lead = LeadFactory(
        seller_id=member.user_id if member else None,
        stage=stage(key),
        expected_value=Decimal(value),
        source=source,
        next_action_at=due,
        **fields,
    )
    closer = member.user_id if (closed and member) else None  # who closed it: lead_move records the seller
    Lead.objects.filter(pk=lead.pk).update(created_at=created, closed_at=closed, closed_seller_id=closer)
    return lead


@pytest.fixture
def week(tenant, owner, seller, make_member):
    other = make_member(tenant, Role.SELLER)
    mine = {
        "fresh": make_lead(
            seller,
            "new",
            created=datetime(2026, 3, 9, 8, tzinfo=UTC),
            value="1000",
            source="website",
            due=datetime(2026, 3, 11, 9, tzinfo=UTC),
            next_action="Call back",
            first_name="Fresh",
        ),
        "older": make_lead(
            seller,
            "contacted",
            created=datetime(2026, 3, 1, tzinfo=UTC),
            value="2000",
            source="meta_ads",
            due=datetime(2026, 3, 13, 9, tzinfo=UTC),
            first_name="Older",
        ),
        "won": make_lead(
            seller, "won", created=datetime(2026, 1, 1, tzinfo=UTC), closed=datetime(2026, 2, 1, tzinfo=UTC)
        ),
        "lost_long_ago": make_lead(
            seller, "lost", created=datetime(2025, 10, 1, tzinfo=UTC), closed=datetime(2025, 11, 1, tzinfo=UTC)
        ),
        "lost": make_lead(
            seller, "lost", created=datetime(2026, 2, 20, tzinfo=UTC), closed=datetime(2026, 3, 1, tzinfo=UTC)
        ),
        "won_with_task": make_lead(
            seller,
            "won",
            created=datetime(2026, 2, 1, tzinfo=UTC),
            closed=datetime(2025, 11, 1, tzinfo=UTC),
            due=datetime(2026, 3, 10, tzinfo=UTC),
        ),
    }
    theirs = make_lead(
        other,
        "negotiation",
        created=datetime(2026, 3, 10, tzinfo=UTC),
        value="5000",
        source="website",
        due=datetime(2026, 3, 10, tzinfo=UTC),
        first_name="Theirs",
    )
    return mine, theirs


def test_week_starts_on_monday_in_the_tenant_zone():
    import zoneinfo

    madrid = zoneinfo.ZoneInfo("Europe/Madrid")

    assert week_start(NOW, madrid) == datetime(2026, 3, 9, tzinfo=madrid)
    # Sunday 23:30 UTC is already Monday in Madrid.
    assert week_start(datetime(2026, 3, 15, 23, 30, tzinfo=UTC), madrid) == datetime(2026, 3, 16, tzinfo=madrid)


def test_owner_figures_cover_every_lead(tenant, owner, week):
    figures = dashboard_figures(membership=owner, now=NOW)

    assert figures.new_this_week == 2
    assert [(f.stage.key, f.count, f.total, f.percent) for f in figures.stages] == [
        ("new", 1, Decimal("1000.00"), 20),
        ("contacted", 1, Decimal("2000.00"), 40),
        ("interested", 0, Decimal("0"), 0),
        ("negotiation", 1, Decimal("5000.00"), 100),
    ]
    assert figures.pipeline_total == Decimal("8000.00")
    assert (figures.won, figures.lost, figures.win_rate) == (1, 1, 50.0)
    assert [(s.source, s.count) for s in figures.sources] == [("manual", 3), ("website", 2), ("meta_ads", 1)]
    assert figures.tasks == []  # the owner has no leads of their own


def test_seller_figures_cover_only_their_leads(tenant, seller, week):
    mine, _theirs = week

    figures = dashboard_figures(membership=seller, now=NOW)

    assert figures.new_this_week == 1
    assert [(f.stage.key, f.count, f.total) for f in figures.stages] == [
        ("new", 1, Decimal("1000.00")),
        ("contacted", 1, Decimal("2000.00")),
        ("interested", 0, Decimal("0")),
        ("negotiation", 0, Decimal("0")),
    ]
    assert (figures.won, figures.lost, figures.win_rate) == (1, 1, 50.0)
    assert [(task.lead.pk, task.overdue) for task in figures.tasks] == [
        (mine["fresh"].pk, True),
        (mine["older"].pk, False),
    ]


def test_win_rate_is_none_without_closed_leads(tenant, seller):
    make_lead(seller, "new", created=NOW)

    assert dashboard_figures(membership=seller, now=NOW).win_rate is None


def test_owner_dashboard_shows_the_figures(tenant, owner, seller, client_for):
    make_lead(seller, "interested", created=timezone.now(), value="1234", first_name="Visible")

    body = client_for(owner).get("/").content.decode()

    assert re.search(
        r'data-figure="new-this-week">\s*<span class="stat-label">[^<]+</span>\s*<span class="stat-value">1<', body
    )
    assert 'data-stage="interested"' in body
    # Spanish (the tenant's language) in Spain (its country): cents kept, the symbol after
    assert "1.234,00\xa0€" in body
    assert 'data-figure="pending"' in body


def test_seller_dashboard_sees_only_own_leads(tenant, seller, make_member, client_for):
    other = make_member(tenant, Role.SELLER)
    due = timezone.now() + timedelta(days=1)
    make_lead(seller, "new", created=timezone.now(), first_name="Mine", last_name="Own", due=due)
    make_lead(other, "new", created=timezone.now(), first_name="Someone", last_name="Else", due=due)

    body = client_for(seller).get("/").content.decode()

    assert "Mine Own" in body
    assert "Someone Else" not in body
    assert re.search(
        r'data-figure="new-this-week">\s*<span class="stat-label">[^<]+</span>\s*<span class="stat-value">1<', body
    )
    assert 'data-figure="pending"' not in body


def test_overdue_task_is_highlighted(tenant, seller, client_for):
    lead = make_lead(seller, "new", created=timezone.now(), due=timezone.now() - timedelta(hours=2))

    body = client_for(seller).get("/").content.decode()

    assert f'<li class="list-row overdue" data-task="{lead.pk}">' in body
    assert "pill-overdue" in body


def test_empty_states_without_leads(english, tenant, seller, client_for):
    body = client_for(seller).get("/").content.decode()

    assert "No open leads yet." in body
    assert "No leads in the last 90 days." in body
    assert "Nothing scheduled." in body


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.MARKETING])
def test_roles_without_lead_access_get_a_simple_dashboard(english, tenant, seller, make_member, client_for, role):
    member = make_member(tenant, role)
    make_lead(seller, "new", created=timezone.now(), first_name="Hidden", last_name="Lead")

    response = client_for(member).get("/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Hidden Lead" not in body
    assert 'data-figure="new-this-week"' not in body
    assert 'data-figure="pending"' not in body
    assert "Lead figures are shown to owners and sellers." in body


def test_owner_sees_the_pending_requests_count(tenant, owner, make_member, client_for):
    make_member(tenant, Role.SELLER, MembershipStatus.PENDING)

    body = client_for(owner).get("/").content.decode()

    assert re.search(
        r'data-figure="pending">\s*<span class="stat-label">[^<]+</span>\s*'
        r'<span class="stat-value" data-mirror="pending-count">1<',
        body,
    )


def test_dashboard_query_count_does_not_grow_with_leads(tenant, seller, client_for):
    client = client_for(seller)
    due = timezone.now() + timedelta(days=1)
    make_lead(seller, "new", created=timezone.now(), due=due)
    client.get("/")
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    for n in range(15):
        make_lead(
            seller, ["new", "contacted", "won", "lost"][n % 4], created=timezone.now(), closed=timezone.now(), due=due
        )
    with CaptureQueriesContext(connection) as many:
        client.get("/")

    assert len(many.captured_queries) == len(few.captured_queries)


# Analytics page


def test_analytics_default_range_shows_the_table_charts_and_placeholder(
    english, tenant, owner, make_member, client_for
):
    seller = make_member(tenant, Role.SELLER, full_name="Nia Seller")
    make_lead(seller, "won", created=timezone.now() - timedelta(days=3), closed=timezone.now(), value="1500")

    response = client_for(owner).get("/analytics/")

    body = response.content.decode()
    assert response.status_code == 200
    assert f'<tr data-seller="{seller.user_id}">' in body
    data = json.loads(re.search(r'<script id="analytics-data" type="application/json">(.*?)</script>', body).group(1))
    index = data["labels"].index("Nia Seller")
    assert (data["revenue"][index], data["assigned"][index], data["won"][index]) == (1500.0, 1, 1)
    assert "vendor/chart-4.6.1.umd.min.js" in body
    assert "js/analytics.js" in body
    assert 'data-testid="appointments-figures"' in body
    today = timezone.now().date()
    assert f'value="{(today - timedelta(days=29)).isoformat()}"' in body
    assert f'value="{today.isoformat()}"' in body


def test_analytics_filters_by_seller_and_range(tenant, owner, make_member, client_for):
    ana = make_member(tenant, Role.SELLER, full_name="Ana Seller")
    ben = make_member(tenant, Role.SELLER, full_name="Ben Seller")
    make_lead(ana, "won", created=datetime(2026, 3, 2, tzinfo=UTC), closed=datetime(2026, 3, 5, tzinfo=UTC), value="10")
    make_lead(ben, "won", created=datetime(2026, 3, 2, tzinfo=UTC), closed=datetime(2026, 3, 5, tzinfo=UTC), value="20")

    body = (
        client_for(owner)
        .get("/analytics/", {"date_from": "2026-03-01", "date_to": "2026-03-31", "seller": ben.user_id})
        .content.decode()
    )

    assert f'<tr data-seller="{ben.user_id}">' in body
    assert f'<tr data-seller="{ana.user_id}">' not in body
    assert "20,00\xa0€" in body


def test_analytics_refuses_a_reversed_range_with_a_clear_message(english, tenant, owner, client_for):
    response = client_for(owner).get("/analytics/", {"date_from": "2026-03-31", "date_to": "2026-03-01"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "The start date must be on or before the end date." in body
    assert 'data-testid="seller-table"' not in body
    assert 'id="analytics-data"' not in body


def test_analytics_refuses_an_unknown_seller(tenant, owner, globex_owner, client_for):
    response = client_for(owner).get("/analytics/", {"seller": globex_owner.user_id})

    assert 'data-testid="seller-table"' not in response.content.decode()
    assert response.context["form"].errors["seller"]


def test_analytics_query_count_does_not_grow_with_sellers(tenant, owner, make_member, client_for):
    client = client_for(owner)
    won_at = timezone.now() - timedelta(days=1)

    def add_seller():
        member = make_member(tenant, Role.SELLER)
        make_lead(member, "won", created=won_at - timedelta(days=2), closed=won_at, value="5")

    add_seller()
    client.get("/analytics/")
    with CaptureQueriesContext(connection) as few:
        client.get("/analytics/")
    for _ in range(6):
        add_seller()
    with CaptureQueriesContext(connection) as many:
        client.get("/analytics/")

    assert len(many.captured_queries) == len(few.captured_queries)


def test_figures_take_five_queries_whatever_the_number_of_leads(tenant, seller, week, django_assert_num_queries):
    # Stages, pipeline, created and closed rollups, next tasks: only the tasks read leads, LIMITed.
    with django_assert_num_queries(5):
        figures = dashboard_figures(membership=seller, now=NOW)
    assert len(figures.tasks) == 2

    for n in range(5):
        make_lead(seller, "won", created=datetime(2026, 3, 1, tzinfo=UTC), closed=datetime(2026, 3, 2 + n, tzinfo=UTC))
    with django_assert_num_queries(5):
        assert dashboard_figures(membership=seller, now=NOW).won == figures.won + 5
