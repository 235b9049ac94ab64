"""The Meta sync against the fake Graph server: string numbers become Decimal and int, re-runs update
instead of duplicating, backfill on first sync, rate limits back off, revoked tokens and permission
errors are recorded and shown."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketing.models import Ad, AdAccount, AdSet, Campaign, Insight, MetaConnection
from marketing.services.sync import company_sync

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_sync_reads_objects_and_insights_with_string_numbers(tenant, connected, graph_server):
    summary = company_sync(tenant=tenant, today=graph_server.day)
    assert summary.error == ""
    assert summary.insights == 3
    campaign = Campaign.objects.get()
    assert (campaign.meta_id, campaign.name, campaign.daily_budget) == ("c1", "Spring", Decimal("25.50"))
    assert AdSet.objects.get().campaign == campaign
    assert sorted(Ad.objects.values_list("meta_id", flat=True)) == ["a1", "a2"]
    row = Insight.objects.get(ad__meta_id="a1", date=graph_server.day)
    assert row.spend == Decimal("12.34")
    assert isinstance(row.spend, Decimal)
    assert (row.impressions, row.clicks, row.reach, row.currency) == (1500, 31, 1200, "EUR")
    assert row.actions == [{"action_type": "lead", "value": 2}]
    assert row.campaign == campaign
    connection = MetaConnection.objects.get()
    assert connection.last_synced_at is not None
    assert connection.sync_error == ""
    assert AdAccount.objects.get().backfilled_at is not None


def test_first_sync_backfills_then_later_syncs_read_the_last_days(tenant, connected, graph_server, settings):
    settings.META_BACKFILL_DAYS = 30
    settings.META_SYNC_DAYS = 2
    company_sync(tenant=tenant, today=graph_server.day)
    ranges = [params["time_range"] for path, params in graph_server.requests if path.endswith("/insights")]
    assert '"since": "2026-10-22"' in ranges[0]
    graph_server.requests.clear()
    company_sync(tenant=tenant, today=graph_server.day)
    ranges = [params["time_range"] for path, params in graph_server.requests if path.endswith("/insights")]
    assert '"since": "2026-11-19"' in ranges[0]
    assert '"until": "2026-11-20"' in ranges[0]


def test_a_rerun_updates_rows_instead_of_duplicating(tenant, connected, graph_server):
    company_sync(tenant=tenant, today=graph_server.day)
    before = Insight.objects.count()
    graph_server.add_insight(graph_server.ad1, graph_server.day, spend="20.01", impressions="1600")
    graph_server.campaigns[0]["name"] = "Spring (renamed)"
    company_sync(tenant=tenant, today=graph_server.day, force=True)
    assert Insight.objects.count() == before == 3
    assert Insight.objects.get(ad__meta_id="a1", date=graph_server.day).spend == Decimal("20.01")
    assert Campaign.objects.get().name == "Spring (renamed)"
    assert Campaign.objects.count() == 1
    assert Ad.objects.count() == 2


def test_insights_are_paged(tenant, connected, graph_server, monkeypatch):
    from marketing.clients import meta

    monkeypatch.setattr(meta, "PAGE_SIZE", 1)
    summary = company_sync(tenant=tenant, today=graph_server.day)
    assert summary.insights == 3
    assert Insight.objects.count() == 3


def test_a_rate_limit_backs_off_and_shows_on_the_hub(tenant, connected, graph_server, owner, client_for, english):
    graph_server.fail_next = [(400, 17, "User request limit reached")]
    summary = company_sync(tenant=tenant, today=graph_server.day)
    assert summary.error == "User request limit reached"
    connection = MetaConnection.objects.get()
    assert connection.backoff_step == 1
    assert timedelta(minutes=14) < connection.backoff_until - timezone.now() <= timedelta(minutes=15)
    assert Insight.objects.count() == 0
    # Held back until then: no request at all.
    graph_server.requests.clear()
    assert company_sync(tenant=tenant, today=graph_server.day).skipped == "backing off"
    assert graph_server.requests == []
    page = client_for(owner).get("/marketing/")
    assert b"User request limit reached" in page.content
    assert b"Meta asked to slow down" in page.content
    # A second limit doubles the wait; a success clears it.
    tenant_connection = MetaConnection.objects.get()
    graph_server.fail_next = [(400, 4, "Application request limit reached")]
    company_sync(tenant=tenant, today=graph_server.day, force=True)
    tenant_connection.refresh_from_db()
    assert tenant_connection.backoff_step == 2
    assert timedelta(minutes=29) < tenant_connection.backoff_until - timezone.now() <= timedelta(minutes=30)
    company_sync(tenant=tenant, today=graph_server.day, force=True)
    tenant_connection.refresh_from_db()
    assert (tenant_connection.backoff_step, tenant_connection.backoff_until, tenant_connection.sync_error) == (
        0,
        None,
        "",
    )


def test_a_revoked_token_marks_the_connection_and_stops_syncing(tenant, connected, graph_server):
    graph_server.tokens.clear()  # the user removed the app's access
    summary = company_sync(tenant=tenant, today=graph_server.day)
    assert "access token" in summary.error
    connection = MetaConnection.objects.get()
    assert connection.revoked_at is not None
    graph_server.requests.clear()
    assert company_sync(tenant=tenant, today=graph_server.day).skipped == "revoked"
    assert graph_server.requests == []


def test_a_permission_error_is_recorded_without_back_off(tenant, connected, graph_server):
    graph_server.fail_next = [(403, 200, "Requires ads_read permission")]
    summary = company_sync(tenant=tenant, today=graph_server.day)
    assert summary.error == "Requires ads_read permission"
    connection = MetaConnection.objects.get()
    assert connection.sync_error == "Requires ads_read permission"
    assert connection.backoff_until is None
    assert connection.revoked_at is None


def test_a_company_without_connection_is_skipped(tenant):
    assert company_sync(tenant=tenant).skipped == "not connected"


def test_the_beat_task_runs_in_the_company(tenant, connected, graph_server, settings):
    from marketing.tasks import meta_sync_task

    settings.META_BACKFILL_DAYS = 400
    assert meta_sync_task.run()["insights"] == 3


def test_leads_known_by_their_ad_only_get_its_campaign(tenant, connected, graph_server):
    from crm.tests.factories import LeadFactory

    ctwa = LeadFactory(meta_ad_id="a2", ad_headline="From WhatsApp ad", click_id="clid")
    unknown = LeadFactory(meta_ad_id="zz")
    summary = company_sync(tenant=tenant, today=graph_server.day)
    assert summary.completed == 1
    ctwa.refresh_from_db()
    unknown.refresh_from_db()
    assert (ctwa.meta_campaign_id, ctwa.meta_adset_id, ctwa.meta_ad_id) == ("c1", "s1", "a2")
    assert ctwa.ad_headline == "From WhatsApp ad"
    assert unknown.meta_campaign_id == ""


def test_an_expired_token_is_not_used(tenant, connected, graph_server):
    MetaConnection.objects.update(token_expires_at=timezone.now() - timedelta(minutes=1))
    assert company_sync(tenant=tenant, today=graph_server.day).skipped == "expired"
    assert graph_server.requests == []
