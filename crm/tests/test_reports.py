"""Forecast, funnel, lost reasons, campaigns and won deals (issue 7, expectation 8): figures, CSV
exports, who may see which, and that nothing of acme reaches another company or an anonymous visitor."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import Lead, Stage
from crm.selectors import reports
from crm.selectors.leads import stages as all_stages
from crm.services.leads import lead_assign, lead_create, lead_move, lead_update
from crm.tests.factories import LeadFactory, stage
from tenants.models import Role

pytestmark = pytest.mark.django_db
TODAY = timezone.now().date()
RANGE = {"date_from": TODAY - timedelta(days=7), "date_to": TODAY + timedelta(days=1)}


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
    delimiter = ";" if text.splitlines()[0].count(";") else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


@pytest.fixture
def deals(tenant, owner, make_member):
    ana = make_member(tenant, Role.SELLER, full_name="Ana Seller")
    Stage.objects.filter(key="negotiation").update(win_probability=50)
    Stage.objects.filter(key="new").update(win_probability=10)

    def make(n, **fields):
        return lead_create(actor=owner.user, phone=f"+3461299900{n}", auto_assign=False, **fields)

    a = make(1, seller_id=ana.user_id, expected_value=Decimal("1000"), first_name="Alpha")
    b = make(2, seller_id=ana.user_id, expected_value=Decimal("3000"), first_name="Bravo")
    c = make(3, expected_value=Decimal("400"), first_name="Charlie", utm_campaign="spring", source="meta_ads")
    d = make(4, expected_value=Decimal("250"), first_name="Delta", last_name="Diaz", company="Delta SL")
    lead_update(lead=a, actor=owner.user, expected_close=date(2030, 5, 20))
    lead_move(lead=b, stage=stage("negotiation"), actor=owner.user)
    lead_move(lead=c, stage=stage("lost"), actor=owner.user, lost_reason="price")
    lead_move(lead=d, stage=stage("contacted"), actor=owner.user)
    lead_move(lead=d, stage=stage("won"), actor=owner.user)
    return ana, a, b, c, d


def test_weighted_pipeline_and_forecast(english, deals):
    stages = all_stages()
    pipeline = reports.weighted_pipeline(stages=stages)
    rows = {row[0]: row for row in pipeline.rows}
    assert rows["New"][1:] == [1, Decimal("1000.00"), 10, Decimal("100.00")]
    assert rows["Negotiation"][1:] == [1, Decimal("3000.00"), 50, Decimal("1500.00")]
    assert pipeline.total[1:] == [2, Decimal("4000.00"), 40.0, Decimal("1600.00")]

    forecast = reports.forecast(stages=stages)
    assert [row[0] for row in forecast.rows] == ["May 2030", "No date"]
    assert forecast.rows[0][1:] == [1, Decimal("1000.00"), Decimal("100.00")]
    assert forecast.rows[1][1:] == [1, Decimal("3000.00"), Decimal("1500.00")]

    only_ana = reports.weighted_pipeline(stages=stages, seller_id=deals[0].user_id)
    assert only_ana.total[1] == 2


def test_funnel_stage_days_and_lost_reasons(english, deals):
    stages = all_stages()
    funnel = {row[0]: row for row in reports.funnel(stages=stages, **RANGE).rows}
    assert funnel["New"][1] == 4  # all four were created into "New"
    assert funnel["Contacted"][1:] == [1, 0.0]
    assert funnel["New"][2] == 25.0  # one of the four went on to "Contacted"
    assert funnel["Closed won"][1] == 1
    assert funnel["Lost"][1] == 1

    days = {row[0]: row for row in reports.stage_days(stages=stages, **RANGE).rows}
    assert days["New"][1] == 3
    assert days["New"][2] == 0.0
    lost = reports.lost_reasons(**RANGE)
    assert lost.rows == [["Too expensive", 1, 100.0, Decimal("400.00")]]


def _entered(table) -> dict:
    return {row[0]: row[1] for row in table.rows}


def test_the_funnel_and_stage_days_follow_the_seller_filter(english, owner, deals):
    """Ana (a seller, who sees only her own leads) holds Alpha (created in New) and Bravo (New, then
    Negotiation); the owner holds none of the four, the rest are unassigned."""
    ana, _alpha, bravo, *_ = deals
    stages = all_stages()
    funnel = _entered(reports.funnel(stages=stages, seller_id=ana.user_id, **RANGE))
    assert funnel == {"New": 2, "Contacted": 0, "Interested": 0, "Negotiation": 1, "Closed won": 0, "Lost": 0}
    days = {row[0]: row[1] for row in reports.stage_days(stages=stages, seller_id=ana.user_id, **RANGE).rows}
    assert days["New"] == 1  # Bravo's move out of New; Delta's moves belong to nobody's leads
    assert reports.funnel(stages=stages, seller_id=owner.user_id, **RANGE).rows == []

    # Bravo changes hands: its history's entries go with it.
    lead_assign(lead=bravo, seller_id=owner.user_id, actor=owner.user)
    assert _entered(reports.funnel(stages=stages, seller_id=ana.user_id, **RANGE))["Negotiation"] == 0
    mine = _entered(reports.funnel(stages=stages, seller_id=owner.user_id, **RANGE))
    assert (mine["New"], mine["Negotiation"]) == (1, 1)
    assert _entered(reports.funnel(stages=stages, **RANGE))["New"] == 4  # the company's total is unchanged


def test_the_forecast_page_and_its_funnel_csv_follow_the_seller_filter(english, tenant, owner, deals, client_for):
    ana = deals[0]
    query = {
        "seller": ana.user_id,
        "date_from": RANGE["date_from"].isoformat(),
        "date_to": RANGE["date_to"].isoformat(),
    }
    page = client_for(owner).get("/analytics/forecast/", query)
    funnel = next(table for table in page.context["tables"] if table.key == "funnel")
    assert _entered(funnel)["New"] == 2
    rows = _csv(client_for(owner).get("/analytics/export/funnel.csv", query))
    assert rows[1:3] == [["New", "2", "0.0"], ["Contacted", "0", ""]]
    assert ["Negotiation", "1", "0.0"] in rows


def test_campaigns_and_won_deals(english, deals):
    table = reports.campaigns(**RANGE)
    assert ["Meta Ads", "spring", 1, 0, 0.0, Decimal("0")] in table.rows
    assert table.total[2:4] == [4, 1]
    assert reports.won_totals(**RANGE) == (1, Decimal("250.00"))


def test_owner_pages_and_csv_exports(english, tenant, owner, deals, client_for):
    client = client_for(owner)
    page = client.get("/analytics/forecast/")
    body = page.content.decode()
    assert page.status_code == 200
    for key in ("pipeline", "forecast", "funnel", "stage_days", "lost_reasons"):
        assert f'data-report="{key}"' in body
        assert f"/analytics/export/{key}.csv" in body

    rows = _csv(client.get("/analytics/export/pipeline.csv"))
    assert rows[0] == ["Stage", "Open deals", "Value", "Win probability", "Weighted value"]
    assert ["Negotiation", "1", "3000.00", "50.0", "1500.00"] in rows
    assert rows[-1][0] == "Total"
    sellers = _csv(client.get("/analytics/export/sellers.csv"))
    assert sellers[0][:2] == ["Rank", "Seller"]
    assert any(row[1] == "Ana Seller" for row in sellers)
    won = _csv(client.get("/analytics/export/won.csv"))
    assert [row[1:] for row in won[1:]] == [["Delta Diaz", "Delta SL", "", "250.00"]]


def test_csv_follows_the_reader_language(tenant, owner, deals, client_for):
    tenant.language = "es"
    tenant.save()
    rows = _csv(client_for(owner).get("/analytics/export/pipeline.csv", HTTP_ACCEPT_LANGUAGE="es"))
    assert any(row[2] == "3000,00" for row in rows)


def test_bad_dates_export_nothing(tenant, owner, client_for):
    response = client_for(owner).get(
        "/analytics/export/funnel.csv", {"date_from": "2026-03-31", "date_to": "2026-03-01"}
    )
    assert response.status_code == 400
    assert client_for(owner).get("/analytics/export/nothing.csv").status_code == 404


def test_marketing_lands_on_campaigns_and_accountant_on_won_deals(english, tenant, deals, make_member, client_for):
    marketing = client_for(make_member(tenant, Role.MARKETING))
    response = marketing.get("/analytics/")
    assert response.status_code == 200
    assert "spring" in response.content.decode()
    assert marketing.get("/analytics/export/campaigns.csv").status_code == 200
    for refused in (
        "/analytics/won/",
        "/analytics/forecast/",
        "/analytics/export/won.csv",
        "/analytics/export/sellers.csv",
    ):
        assert marketing.get(refused).status_code == 403, refused

    accountant = client_for(make_member(tenant, Role.ACCOUNTANT))
    response = accountant.get("/analytics/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Delta SL" in body
    assert 'data-figure="won-value"' in body
    assert "<form" in body
    assert 'method="post"' not in body.split("<main", 1)[-1]
    for refused in ("/analytics/campaigns/", "/analytics/forecast/", "/analytics/export/campaigns.csv"):
        assert accountant.get(refused).status_code == 403, refused


def test_sellers_other_companies_and_anonymous_see_nothing(tenant, seller, deals, globex_owner, acme, client_for):
    from django.test import Client

    pages = ["/analytics/forecast/", "/analytics/campaigns/", "/analytics/won/", "/analytics/export/won.csv"]
    for url in pages:
        assert client_for(seller).get(url).status_code == 403, url
        other = client_for(globex_owner.user, acme).get(url)
        assert other.status_code in (302, 403, 404), url
        assert b"Delta" not in b"".join(other.streaming_content if other.streaming else [other.content])
        anonymous = Client(HTTP_HOST="acme.localhost").get(url)
        assert anonymous.status_code == 302, url
    # globex's own reports do not show acme's deals.
    theirs = client_for(globex_owner).get("/analytics/won/")
    assert theirs.status_code == 200
    assert "Delta SL" not in theirs.content.decode()


def test_won_deals_page_by_keyset(english, tenant, owner, client_for, monkeypatch):
    monkeypatch.setattr(reports, "WON_PAGE", 2)
    now = timezone.now()
    for n in range(5):
        lead = LeadFactory(first_name=f"Won{n}", stage=stage("won"))
        Lead.objects.filter(pk=lead.pk).update(closed_at=now - timedelta(hours=n))
    client = client_for(owner)
    seen = []
    url = "/analytics/won/"
    while url:
        response = client.get(url)
        body = response.content.decode()
        seen += [f"Won{n}" for n in range(5) if f"Won{n} " in body]
        next_query = response.context.get("next_query")
        url = f"/analytics/won/?{next_query}" if next_query else None
    assert seen == ["Won0", "Won1", "Won2", "Won3", "Won4"]


def test_report_queries_do_not_grow_with_leads(tenant, owner, deals, client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(owner)
    client.get("/analytics/forecast/")
    with CaptureQueriesContext(connection) as few:
        client.get("/analytics/forecast/")
    for n in range(10):
        lead = LeadFactory(first_name=f"More{n}", expected_close=date(2031, 1 + n, 1))
        lead_move(lead=lead, stage=stage("interested"), actor=owner.user)
    with CaptureQueriesContext(connection) as many:
        client.get("/analytics/forecast/")
    assert len(many) == len(few)


def test_owner_sets_a_stage_win_probability(english, tenant, owner, seller, client_for):
    from core.models import AuditEntry

    negotiation = stage("negotiation")
    url = f"/pipeline/stages/{negotiation.pk}/probability/"
    response = client_for(owner).post(url, {"win_probability": "75"}, follow=True)
    assert "Win probability saved." in response.content.decode()
    negotiation.refresh_from_db()
    assert negotiation.win_probability == 75
    assert AuditEntry.objects.filter(action="stage.probability").exists()

    assert client_for(owner).post(url, {"win_probability": "140"}).status_code == 422
    won = stage("won")
    response = client_for(owner).post(f"/pipeline/stages/{won.pk}/probability/", {"win_probability": "10"}, follow=True)
    assert "Only open stages have a win probability." in response.content.decode()
    assert client_for(seller).post(url, {"win_probability": "5"}).status_code == 403
    negotiation.refresh_from_db()
    assert negotiation.win_probability == 75


def test_new_companies_start_with_default_probabilities(tenant):
    assert {key: stage(key).win_probability for key in Stage.DEFAULT_PROBABILITIES} == Stage.DEFAULT_PROBABILITIES


def test_expected_close_is_edited_on_the_lead_page_and_shown(english, tenant, owner, client_for):
    lead = LeadFactory(first_name="Echo", expected_value=Decimal("10"))
    client = client_for(owner)
    form = client.get(f"/leads/{lead.pk}/edit/").context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(phone=lead.phone, expected_close="2030-07-15", expected_value="10", tags="")
    response = client.post(f"/leads/{lead.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    lead.refresh_from_db()
    assert lead.expected_close == date(2030, 7, 15)
    assert "Expected close" in client.get(f"/leads/{lead.pk}/").content.decode()
    assert [row[0] for row in reports.forecast(stages=all_stages()).rows] == ["July 2030"]
