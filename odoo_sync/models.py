"""What exists on the Odoo side, and nothing else: one `sync_external` row per local object and system."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class SyncExternal(TimeStampedModel):
    """The link between a local object (a lead as a partner, a product, a sales document) and its
    record in an external system, with the state of the last push.

    It is the only source of truth for what exists on the Odoo side: a push looks here first, and a
    record Odoo made is written here in the same step that finds or creates it. `claim_token` names the
    task run that owns a pending push (a second press while one is pending or running does nothing).
    For documents, the last pull's view of the Odoo record (`remote_*`) and any `mismatch` with the
    local document feed the accountant's reconciliation list, with their `note`."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to send")
        IN_PROGRESS = "in_progress", _("Sending")
        DONE = "done", _("In Odoo")
        FAILED = "failed", _("Failed")

    class System(models.TextChoices):
        ODOO = "odoo", "Odoo"

    local_type = models.CharField(_("local type"), max_length=64)
    local_id = models.BigIntegerField(_("local id"))
    system = models.CharField(_("system"), max_length=32, choices=System.choices, default=System.ODOO)
    external_model = models.CharField(_("external model"), max_length=64, blank=True)
    external_id = models.BigIntegerField(_("external id"), null=True, blank=True)
    external_ref = models.CharField(_("external reference"), max_length=128, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    remote_state = models.CharField(_("state in Odoo"), max_length=32, blank=True)
    remote_payment_state = models.CharField(_("payment state in Odoo"), max_length=32, blank=True)
    remote_amount_total = models.DecimalField(
        _("total in Odoo"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    remote_amount_residual = models.DecimalField(
        _("amount due in Odoo"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    pulled_at = models.DateTimeField(_("last read from Odoo"), null=True, blank=True)
    mismatch = models.TextField(_("difference"), blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        db_table = "sync_external"
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["local_type", "local_id", "system"], name="sync_external_local_unique"),
        ]
        indexes = [
            models.Index(fields=["system", "status"], name="sync_external_status_idx"),
            models.Index(fields=["system", "external_model", "external_id"], name="sync_external_remote_idx"),
        ]
        verbose_name = _("external sync")
        verbose_name_plural = _("external syncs")

    def __str__(self) -> str:
        remote = f"{self.external_model}#{self.external_id}" if self.external_id else "-"
        return f"{self.local_type}#{self.local_id} -> {self.system} {remote} ({self.status})"
