"""One row per accepted webhook delivery, exactly as received (public schema)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Failed")
        IGNORED = "ignored", _("Ignored")

    provider = models.CharField(_("provider"), max_length=32)
    # Unique per delivery: the provider's event id, or the ids of the messages/statuses it carries.
    dedupe_key = models.CharField(_("delivery key"), max_length=128, unique=True)
    tenant = models.ForeignKey(
        "tenants.Tenant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("company")
    )
    phone_number_id = models.CharField(_("receiving number id"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=64, blank=True)
    body = models.BinaryField(_("raw body"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["status", "-received_at"], name="webhooks_status_received")]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.provider} {self.dedupe_key}"

    def text(self) -> str:
        return bytes(self.body).decode("utf-8", errors="replace")
