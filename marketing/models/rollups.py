"""What the hub reads instead of the raw rows (issue 11, Speed). The tables are kept by PostgreSQL
triggers in the writer's transaction (marketing.rollups): whatever writes insights or leads (the sync's
upsert, COPY, the ORM, crm's services, deletions) leaves them right at every commit."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models


class InsightRollup(models.Model):
    """Sums of daily insights per bucket: `level` "" (every ad: the chart's daily spend), "campaign",
    "adset" or "ad"; `grain` "d" (the day `date`) or "m" (the month starting on `date`); `object_id`
    the campaign / ad set / ad pk (0 for level ""). `rows` counts the insight rows in the bucket, so a
    bucket left without rows is deleted; grain "w" is the week starting on Monday `date`. Kept: day and
    month per campaign and ad set, month and week per ad, day for the whole account (per ad, days come from
    the insights themselves)."""

    level = models.CharField(max_length=8)
    grain = models.CharField(max_length=1)
    date = models.DateField()
    object_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    rows = models.IntegerField(default=0)
    spend = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    impressions = models.BigIntegerField(default=0)
    clicks = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["level", "grain", "date", "object_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "grain", "date", "object_id", "currency"],
                include=["spend", "impressions", "clicks"],
                name="insight_rollup_key",
            )
        ]
        indexes = [models.Index(fields=["rows"], condition=models.Q(rows=0), name="insight_rollup_empty")]

    def __str__(self) -> str:
        return f"{self.level or 'all'} {self.grain} {self.date} {self.object_id} {self.spend} {self.currency}"


class LeadFact(models.Model):
    """One narrow row per lead attributed to a Meta campaign: when it came (and its local day), its
    campaign / ad set / ad, seller, current stage and value, and `stages`, every stage it was ever in (its
    current one, the one it was created in and both ends of each stage change in its history).
    Opportunities (reached a stage or a later one, even if lost since) and won deals are decided at read
    time from stage ids, so reordering or renaming stages needs no rewrite."""

    lead_id = models.BigIntegerField(primary_key=True)
    created_at = models.DateTimeField()
    day = models.DateField()  # of created_at in the company's time zone (crm's RollupConfig.zone)
    campaign = models.CharField(max_length=64)
    adset = models.CharField(max_length=64)
    ad = models.CharField(max_length=64)
    seller_id = models.BigIntegerField(null=True)
    stage_id = models.BigIntegerField()
    stages = ArrayField(models.BigIntegerField(), default=list)
    value = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        ordering = ["-day", "-lead_id"]
        indexes = [
            # The hub's pass over a period reads only this index.
            models.Index(
                fields=["day"],
                include=["campaign", "adset", "ad", "seller_id", "stage_id", "stages", "value"],
                name="leadfact_day_cover",
            )
        ]

    def __str__(self) -> str:
        return f"{self.lead_id} {self.campaign} {self.created_at:%Y-%m-%d}"


class LeadRollup(models.Model):
    """Attributed leads counted per bucket, kept from `LeadFact` by a trigger: `level` "day" (grain "d": the
    chart), "seller" (grains "d" and "m": per day or month and seller, 0 for no seller) or "campaign"
    (grain "m": per month and campaign `key`), and per stage path (`stage_id`, `stages`) so that opportunities and won
    deals are still decided at read time. `count` leads, `value` the sum of their values."""

    level = models.CharField(max_length=8)
    grain = models.CharField(max_length=1)
    date = models.DateField()
    key = models.CharField(max_length=64, default="")
    seller_id = models.BigIntegerField(default=0)
    stage_id = models.BigIntegerField()
    stages = ArrayField(models.BigIntegerField(), default=list)
    count = models.IntegerField(default=0)
    value = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        ordering = ["level", "grain", "date", "key", "seller_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "grain", "date", "key", "seller_id", "stage_id", "stages"],
                include=["count", "value"],
                name="lead_rollup_key",
            )
        ]
        indexes = [models.Index(fields=["count"], condition=models.Q(count=0), name="lead_rollup_empty")]

    def __str__(self) -> str:
        return f"{self.level} {self.grain} {self.date} {self.key or self.seller_id} {self.count}"
