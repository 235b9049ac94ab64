"""Pulling a company's Meta ad accounts: campaigns, ad sets and ads, and daily insights per ad.

Idempotent: objects are matched by their Meta id and insights by (ad, day), so a re-run updates rows
instead of adding them. Insights stream page by page and are written in batches, so memory stays flat
whatever the account's size. Rate limits hold further syncs back (growing back-off) and every failure is
kept on the connection to be shown on the hub; an invalid token marks the connection revoked."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.errors import ClientError, PermanentClientError, TransientClientError
from core.tenancy import check_tenant
from marketing.clients import get_meta_client
from marketing.clients.meta import InsightRow, RateLimited, TokenRevoked
from marketing.models import Ad, AdAccount, AdSet, Campaign, MetaConnection
from marketing.services.connection import connection_mark_revoked

BATCH = 5000
BACKOFF_BASE = timedelta(minutes=15)
BACKOFF_MAX_STEP = 5  # 15 min, 30, 1 h, 2 h, 4 h, 8 h


@dataclass
class SyncSummary:
    accounts: int = 0
    campaigns: int = 0
    adsets: int = 0
    ads: int = 0
    insights: int = 0
    completed: int = 0
    skipped: str = ""
    error: str = ""


def _upsert_structure(client, account: AdAccount) -> tuple[int, int, int, dict[str, tuple[int, int, int]]]:
    """Campaigns, ad sets and ads of one account; returns counts and {ad meta id: (ad, ad set, campaign) pks}."""
    campaigns = client.campaigns(account.meta_id)
    adsets = client.adsets(account.meta_id)
    ads = client.ads(account.meta_id)
    with transaction.atomic():
        Campaign.objects.bulk_create(
            [
                Campaign(
                    ad_account=account,
                    meta_id=c.meta_id,
                    name=c.name[:255],
                    status=c.status[:32],
                    objective=c.objective[:64],
                    daily_budget=c.daily_budget,
                    lifetime_budget=c.lifetime_budget,
                )
                for c in campaigns
            ],
            update_conflicts=True,
            unique_fields=["meta_id"],
            update_fields=[
                "ad_account",
                "name",
                "status",
                "objective",
                "daily_budget",
                "lifetime_budget",
                "updated_at",
            ],
            batch_size=BATCH,
        )
        campaign_pks = dict(Campaign.objects.filter(ad_account=account).values_list("meta_id", "pk"))
        AdSet.objects.bulk_create(
            [
                AdSet(
                    campaign_id=campaign_pks[s.campaign_id],
                    meta_id=s.meta_id,
                    name=s.name[:255],
                    status=s.status[:32],
                    daily_budget=s.daily_budget,
                    lifetime_budget=s.lifetime_budget,
                )
                for s in adsets
                if s.campaign_id in campaign_pks
            ],
            update_conflicts=True,
            unique_fields=["meta_id"],
            update_fields=["campaign", "name", "status", "daily_budget", "lifetime_budget", "updated_at"],
            batch_size=BATCH,
        )
        adset_pks = dict(AdSet.objects.filter(campaign__ad_account=account).values_list("meta_id", "pk"))
        Ad.objects.bulk_create(
            [
                Ad(
                    adset_id=adset_pks[a.adset_id],
                    campaign_id=campaign_pks[a.campaign_id],
                    meta_id=a.meta_id,
                    name=a.name[:255],
                    status=a.status[:32],
                )
                for a in ads
                if a.adset_id in adset_pks and a.campaign_id in campaign_pks
            ],
            update_conflicts=True,
            unique_fields=["meta_id"],
            update_fields=["adset", "campaign", "name", "status", "updated_at"],
            batch_size=BATCH,
        )
    ad_map = {
        meta_id: (pk, adset_id, campaign_id)
        for meta_id, pk, adset_id, campaign_id in Ad.objects.filter(campaign__ad_account=account).values_list(
            "meta_id", "pk", "adset_id", "campaign_id"
        )
    }
    return len(campaigns), len(adsets), len(ads), ad_map


INSIGHT_COLUMNS = "ad_id, adset_id, campaign_id, date, currency, spend, impressions, clicks, reach, actions, updated_at"


def _write_insights(rows: list[InsightRow], ad_map: dict, currency: str) -> int:
    """Upserts one batch: COPY into a temporary table, then one INSERT ... ON CONFLICT (ad, day) DO UPDATE
    (no model instances: a year of a big account is hundreds of thousands of rows). The hub's buckets
    (marketing.rollups) follow in the same transaction: the statement's triggers add the new rows and, for
    the rows it updates, take the old values out."""
    now = timezone.now()
    values = []
    for row in rows:
        pks = ad_map.get(row.ad_id)
        if pks is None:  # an ad created after the structure was read: picked up by the next sync
            continue
        values.append((pks[0], pks[1], pks[2], row.day, currency, row.spend, row.impressions, row.clicks, row.reach,
                       json.dumps(row.actions), now))  # fmt: skip
    if not values:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        create = f"CREATE TEMP TABLE marketing_insight_load ON COMMIT DROP AS SELECT {INSIGHT_COLUMNS} FROM marketing_insight WITH NO DATA"  # noqa: S608, E501 (constant names)
        # Dropped here too: inside an outer transaction (a test, a caller's atomic block) ON COMMIT comes late.
        cursor.execute("DROP TABLE IF EXISTS pg_temp.marketing_insight_load")
        cursor.execute(create)
        with cursor.cursor.copy(f"COPY marketing_insight_load ({INSIGHT_COLUMNS}) FROM STDIN") as copy:
            for value in values:
                copy.write_row(value)
        cursor.execute(
            f"""
            INSERT INTO marketing_insight ({INSIGHT_COLUMNS})
            SELECT DISTINCT ON (ad_id, date) {INSIGHT_COLUMNS} FROM marketing_insight_load ORDER BY ad_id, date
            ON CONFLICT (ad_id, date) DO UPDATE SET
                adset_id = EXCLUDED.adset_id, campaign_id = EXCLUDED.campaign_id, currency = EXCLUDED.currency,
                spend = EXCLUDED.spend, impressions = EXCLUDED.impressions, clicks = EXCLUDED.clicks,
                reach = EXCLUDED.reach, actions = EXCLUDED.actions, updated_at = EXCLUDED.updated_at
            """  # noqa: S608 (constant column names, values go through COPY)
        )
        cursor.execute("DROP TABLE pg_temp.marketing_insight_load")
    return len(values)


def account_sync(*, client, account: AdAccount, since: date, until: date) -> SyncSummary:
    """One ad account: its objects, then its insights from `since` to `until` (both included)."""
    summary = SyncSummary(accounts=1)
    summary.campaigns, summary.adsets, summary.ads, ad_map = _upsert_structure(client, account)
    batch: list[InsightRow] = []
    for row in client.insights(account.meta_id, since=since, until=until):
        batch.append(row)
        if len(batch) >= BATCH:
            summary.insights += _write_insights(batch, ad_map, account.currency)
            batch = []
    if batch:
        summary.insights += _write_insights(batch, ad_map, account.currency)
    return summary


def company_sync(*, tenant, days: int | None = None, today: date | None = None, force: bool = False) -> SyncSummary:
    """Syncs every followed ad account: the last `days` days (settings.META_SYNC_DAYS), or
    META_BACKFILL_DAYS for an account never synced. Skips a company without a usable connection, or one
    held back after a rate limit (unless `force`). Never raises for Meta's errors: they are recorded."""
    check_tenant(tenant)
    summary = SyncSummary()
    connection = MetaConnection.objects.first()
    if connection is None:
        summary.skipped = "not connected"
        return summary
    if connection.revoked_at:
        summary.skipped = "revoked"
        return summary
    if connection.expired:  # the hub's banner asks to reconnect; Meta would refuse the token anyway
        summary.skipped = "expired"
        return summary
    now = timezone.now()
    if connection.backoff_until and connection.backoff_until > now and not force:
        summary.skipped = "backing off"
        return summary
    today = today or timezone.localdate()
    until = today
    try:
        client = get_meta_client(tenant, connection=connection)
        for account in AdAccount.objects.filter(selected=True):
            window = days or (settings.META_SYNC_DAYS if account.backfilled_at else settings.META_BACKFILL_DAYS)
            part = account_sync(client=client, account=account, since=until - timedelta(days=window - 1), until=until)
            for name in ("accounts", "campaigns", "adsets", "ads", "insights"):
                setattr(summary, name, getattr(summary, name) + getattr(part, name))
            if not account.backfilled_at:
                AdAccount.objects.filter(pk=account.pk).update(backfilled_at=now)
    except TokenRevoked as error:
        connection_mark_revoked(connection=connection, reason=error.message)
        summary.error = error.message
        return summary
    except RateLimited as error:
        step = min(connection.backoff_step + 1, BACKOFF_MAX_STEP)
        MetaConnection.objects.filter(pk=connection.pk).update(
            backoff_step=step,
            backoff_until=now + BACKOFF_BASE * (2 ** (step - 1)),
            sync_error=error.message[:500],
            sync_error_at=now,
        )
        summary.error = error.message
        return summary
    except (PermanentClientError, TransientClientError, ClientError) as error:
        MetaConnection.objects.filter(pk=connection.pk).update(sync_error=error.message[:500], sync_error_at=now)
        summary.error = error.message
        return summary
    MetaConnection.objects.filter(pk=connection.pk).update(
        last_synced_at=now, sync_error="", sync_error_at=None, backoff_until=None, backoff_step=0
    )
    summary.completed = attribution_complete(tenant=tenant)
    return summary


def attribution_complete(*, tenant, limit: int = 1000) -> int:
    """Leads that know only their ad (a click-to-WhatsApp referral carries the ad id alone) get its ad set
    and campaign from the synced ads, so the hub counts them per campaign too. Returns how many."""
    from core.actors import SYSTEM
    from crm import public as crm
    from crm.models import Lead

    pending = list(
        Lead.objects.filter(meta_campaign_id="", erased_at__isnull=True)
        .exclude(meta_ad_id="")
        .filter(meta_ad_id__in=Ad.objects.values("meta_id"))
        .only("pk", "meta_ad_id", "meta_adset_id", "meta_campaign_id")[:limit]
    )
    ads = {
        ad.meta_id: ad
        for ad in Ad.objects.filter(meta_id__in={lead.meta_ad_id for lead in pending}).select_related(
            "adset", "campaign"
        )
    }
    for lead in pending:
        ad = ads[lead.meta_ad_id]
        crm.lead_set_attribution(
            tenant=tenant,
            lead=Lead.objects.get(pk=lead.pk),
            actor=SYSTEM,
            overwrite=True,
            meta_campaign_id=ad.campaign.meta_id,
            meta_adset_id=ad.adset.meta_id,
        )
    return len(pending)
