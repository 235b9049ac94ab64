"""The company's Meta connection and the advertising objects synced from it."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel, user_reference

# A token that expires within this many days shows a warning banner on the marketing pages.
EXPIRY_WARNING_DAYS = 7


class MetaConnection(TimeStampedModel):
    """At most one per company. The access token itself lives in the vault (Credential kind "meta"); this
    row keeps what may be shown: who connected, how, when the token expires, and whether Meta revoked it.
    `sandbox` is the demo's fake account: its data comes from the in-memory fake Graph, never the network."""

    class Method(models.TextChoices):
        OAUTH = "oauth", _("Facebook login")
        MANUAL = "manual", _("System user token")
        SANDBOX = "sandbox", _("Demo sandbox")

    method = models.CharField(_("connected with"), max_length=16, choices=Method.choices)
    meta_user_name = models.CharField(_("Meta user"), max_length=255, blank=True)
    token_expires_at = models.DateTimeField(_("token expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("token revoked"), null=True, blank=True)
    connected_by = user_reference(verbose_name=_("connected by"))
    # The last sync's failure, shown on the hub; `backoff_until` holds further syncs after a rate limit.
    sync_error = models.CharField(_("sync problem"), max_length=500, blank=True)
    sync_error_at = models.DateTimeField(null=True, blank=True)
    backoff_until = models.DateTimeField(null=True, blank=True)
    backoff_step = models.PositiveSmallIntegerField(default=0)
    last_synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("Meta connection")
        verbose_name_plural = _("Meta connections")

    def __str__(self) -> str:
        return f"Meta ({self.get_method_display()})"

    @property
    def sandbox(self) -> bool:
        return self.method == self.Method.SANDBOX

    @property
    def expires_soon(self) -> bool:
        return bool(
            self.token_expires_at and self.token_expires_at - timezone.now() < timedelta(days=EXPIRY_WARNING_DAYS)
        )

    @property
    def expired(self) -> bool:
        return bool(self.token_expires_at and self.token_expires_at <= timezone.now())


class AdAccount(TimeStampedModel):
    """An ad account the token can read. Only `selected` ones are synced; `currency` is the account's, in
    which all its spend is expressed."""

    meta_id = models.CharField(_("ad account id"), max_length=64, unique=True)  # "act_<digits>"
    name = models.CharField(_("name"), max_length=255)
    currency = models.CharField(_("currency"), max_length=3)
    selected = models.BooleanField(_("followed"), default=False)
    backfilled_at = models.DateTimeField(_("history loaded"), null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("ad account")
        verbose_name_plural = _("ad accounts")

    def __str__(self) -> str:
        return f"{self.name} ({self.meta_id})"


class Campaign(TimeStampedModel):
    ad_account = models.ForeignKey(AdAccount, on_delete=models.CASCADE, related_name="campaigns")
    meta_id = models.CharField(_("campaign id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    status = models.CharField(_("status"), max_length=32, blank=True)
    objective = models.CharField(_("objective"), max_length=64, blank=True)
    daily_budget = models.DecimalField(_("daily budget"), max_digits=14, decimal_places=2, null=True, blank=True)
    lifetime_budget = models.DecimalField(_("lifetime budget"), max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name


class AdSet(TimeStampedModel):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="adsets")
    meta_id = models.CharField(_("ad set id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    status = models.CharField(_("status"), max_length=32, blank=True)
    daily_budget = models.DecimalField(_("daily budget"), max_digits=14, decimal_places=2, null=True, blank=True)
    lifetime_budget = models.DecimalField(_("lifetime budget"), max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("ad set")
        verbose_name_plural = _("ad sets")

    def __str__(self) -> str:
        return self.name


class Ad(TimeStampedModel):
    adset = models.ForeignKey(AdSet, on_delete=models.CASCADE, related_name="ads")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="ads")
    meta_id = models.CharField(_("ad id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    status = models.CharField(_("status"), max_length=32, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("ad")
        verbose_name_plural = _("ads")

    def __str__(self) -> str:
        return self.name


class Insight(models.Model):
    """One ad's figures for one day, in its account's currency. Meta sends numbers as strings; the sync
    stores them as Decimal and integers. Unique per ad and day: a re-run updates the row. Campaign and ad
    set are copied onto the row so the hub sums spend per campaign without joining ads."""

    ad = models.ForeignKey(Ad, on_delete=models.CASCADE, related_name="insights")
    adset = models.ForeignKey(AdSet, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("day"))
    currency = models.CharField(_("currency"), max_length=3)
    spend = models.DecimalField(_("spend"), max_digits=14, decimal_places=2, default=0)
    impressions = models.BigIntegerField(_("impressions"), default=0)
    clicks = models.BigIntegerField(_("clicks"), default=0)
    reach = models.BigIntegerField(_("reach"), default=0)
    actions = models.JSONField(_("actions"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "ad_id"]
        constraints = [models.UniqueConstraint(fields=["ad", "date"], name="insight_ad_day_unique")]
        indexes = [
            # Covering indexes: the hub's sums over a date range read only the index.
            models.Index(
                fields=["date", "campaign", "currency"],
                include=["spend", "impressions", "clicks"],
                name="insight_day_campaign_cover",
            ),
            models.Index(
                fields=["date", "adset", "currency"],
                include=["spend", "impressions", "clicks"],
                name="insight_day_adset_cover",
            ),
            models.Index(
                fields=["date", "ad", "currency"],
                include=["spend", "impressions", "clicks"],
                name="insight_day_ad_cover",
            ),
        ]
        verbose_name = _("daily insight")
        verbose_name_plural = _("daily insights")

    def __str__(self) -> str:
        return f"{self.ad_id} {self.date} {self.spend} {self.currency}"
