"""Rollups: the CRM's figures kept up to date as leads change, so pages read a few hundred rows instead
of counting and summing every lead (issue 7, Speed).

PostgreSQL triggers (migration 0013, SQL in `crm.rollups`) maintain them in the same transaction as the
change, whatever writes it: services, queryset updates and deletes, imports, merges, COPY. Days are the
company's local days (`RollupConfig.zone`); `crm.rollups.rollups_rebuild` recomputes everything from
the leads and their history (after seeding, after a time zone change), and `rollups_verify` compares.

`seller_id` is NULL for unassigned leads; the unique constraints treat NULL as a value (NULLS NOT
DISTINCT) so each bucket is one row. Buckets that fall to zero stay, harmlessly."""

from __future__ import annotations

from django.db import models

__all__ = [
    "CampaignRollup",
    "ClosedRollup",
    "CreatedRollup",
    "PipelineRollup",
    "RollupConfig",
    "StageFlowRollup",
]


class RollupConfig(models.Model):
    """One row: the time zone whose days the daily rollups count in (the company's)."""

    zone = models.CharField(max_length=64, default="UTC")

    def __str__(self) -> str:
        return self.zone


class PipelineRollup(models.Model):
    """The leads now in each stage, per seller and expected close month: the board's and the dashboard's
    counts and sums, the weighted pipeline and the forecast."""

    stage_id = models.BigIntegerField()
    seller_id = models.BigIntegerField(null=True)
    close_month = models.DateField(null=True)  # first day of the expected close month
    count = models.IntegerField(default=0)
    value = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["stage_id", "seller_id", "close_month"], name="pipeline_rollup_key", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return f"stage {self.stage_id} seller {self.seller_id} {self.close_month}: {self.count}"


class CreatedRollup(models.Model):
    """Leads created each day, per current seller and source: new this week, sources, leads assigned."""

    day = models.DateField()
    seller_id = models.BigIntegerField(null=True)
    source = models.CharField(max_length=16)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "seller_id", "source"], name="created_rollup_key", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} seller {self.seller_id} {self.source}: {self.count}"


class ClosedRollup(models.Model):
    """Deals closed each day, per closer (Lead.closed_seller), won or lost, and lost reason: wins,
    revenue, time to close, lost reasons."""

    day = models.DateField()
    closer_id = models.BigIntegerField(null=True)
    kind = models.CharField(max_length=8)
    lost_reason = models.CharField(max_length=255, default="")
    count = models.IntegerField(default=0)
    value = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    seconds = models.BigIntegerField(default=0)  # summed closed_at - created_at

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "closer_id", "kind", "lost_reason"], name="closed_rollup_key", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} closer {self.closer_id} {self.kind}: {self.count}"


class CampaignRollup(models.Model):
    """Leads created each day per source and campaign (UTM campaign, else Meta campaign id), and how many
    of them are won now, with their value: what marketing reads."""

    day = models.DateField()
    source = models.CharField(max_length=16)
    campaign = models.CharField(max_length=100, default="")
    count = models.IntegerField(default=0)
    won = models.IntegerField(default=0)
    won_value = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "source", "campaign"], name="campaign_rollup_key")]

    def __str__(self) -> str:
        return f"{self.day} {self.source} {self.campaign}: {self.count}"


class StageFlowRollup(models.Model):
    """Entries into stages each day, from the history (creation: from NULL; moves: from the stage left),
    per seller now holding the lead, with the time spent in the stage left: the funnel and the average
    days in each stage, for the company or one seller."""

    day = models.DateField()
    seller_id = models.BigIntegerField(null=True)
    from_stage_id = models.BigIntegerField(null=True)
    to_stage_id = models.BigIntegerField(null=True)
    count = models.IntegerField(default=0)
    timed = models.IntegerField(default=0)  # moves that know how long the lead stayed in from_stage
    seconds = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "seller_id", "from_stage_id", "to_stage_id"],
                name="stage_flow_rollup_seller_key",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} seller {self.seller_id} {self.from_stage_id} -> {self.to_stage_id}: {self.count}"
