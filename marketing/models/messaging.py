"""Following leads up: approved WhatsApp templates, their sends, opt-outs, and automation rules."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel, user_reference


class WhatsAppTemplate(TimeStampedModel):
    """A message template of the company's WhatsApp Business account, as synced from Graph."""

    meta_id = models.CharField(max_length=64, blank=True)
    name = models.CharField(_("name"), max_length=512)
    language = models.CharField(_("language"), max_length=16)
    category = models.CharField(_("category"), max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=32)
    components = models.JSONField(_("components"), default=list)
    # Lead field filling each body variable {{1}}, {{2}}...: a list of field names, chosen by the owner.
    variables = models.JSONField(_("variables"), default=list, blank=True)

    class Meta:
        ordering = ["name", "language"]
        constraints = [models.UniqueConstraint(fields=["name", "language"], name="template_name_language_unique")]
        verbose_name = _("WhatsApp template")
        verbose_name_plural = _("WhatsApp templates")

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    @property
    def approved(self) -> bool:
        return self.status == "APPROVED"


class OptOut(models.Model):
    """A lead who asked not to receive marketing messages. Template sends skip (and count) them."""

    lead_id = models.BigIntegerField(unique=True)
    reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("opt-out")
        verbose_name_plural = _("opt-outs")

    def __str__(self) -> str:
        return str(self.lead_id)


class TemplateBatch(TimeStampedModel):
    """One "send this template to these leads" order, and how it went."""

    template = models.ForeignKey(WhatsAppTemplate, on_delete=models.PROTECT, related_name="batches")
    filters = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    skipped_opted_out = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    created_by = user_reference()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("template send")
        verbose_name_plural = _("template sends")

    def __str__(self) -> str:
        return f"{self.template} x{self.total}"


class TemplateSend(TimeStampedModel):
    """One template to one lead. `key` makes a retried send harmless (unique)."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped: opted out")
        FAILED = "failed", _("Failed")

    batch = models.ForeignKey(TemplateBatch, null=True, blank=True, on_delete=models.CASCADE, related_name="sends")
    template = models.ForeignKey(WhatsAppTemplate, on_delete=models.PROTECT, related_name="sends")
    lead_id = models.BigIntegerField()
    key = models.CharField(max_length=128, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("template message")
        verbose_name_plural = _("template messages")

    def __str__(self) -> str:
        return f"{self.template} -> {self.lead_id}"


class AutomationRule(TimeStampedModel):
    class Trigger(models.TextChoices):
        LEAD_FROM_AD = "lead_from_ad", _("A lead arrives from an ad or a form")
        STAGE_REACHED = "stage_reached", _("A lead reaches a stage")
        NO_REPLY = "no_reply", _("No reply from the lead for some hours")
        APPOINTMENT_SOON = "appointment_soon", _("An appointment in 24 hours")
        NO_SHOW = "no_show", _("An appointment marked no-show")

    class Action(models.TextChoices):
        SEND_TEMPLATE = "send_template", _("Send a WhatsApp template")
        ASSIGN = "assign", _("Assign a seller")
        MOVE = "move", _("Move to a stage")
        TAG = "tag", _("Add a tag")
        TASK = "task", _("Create a task")

    name = models.CharField(_("name"), max_length=120)
    active = models.BooleanField(_("active"), default=True)
    trigger = models.CharField(_("when"), max_length=32, choices=Trigger.choices)
    # Stage id for STAGE_REACHED, hours for NO_REPLY.
    trigger_stage_id = models.BigIntegerField(null=True, blank=True)
    trigger_hours = models.PositiveIntegerField(null=True, blank=True)
    # {"source": "meta_ads", "campaign": "<meta id>", "stage": <id>, "tag": "<name>", "seller": <user id>}
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    action = models.CharField(_("then"), max_length=32, choices=Action.choices)
    # {"template": <id>, "seller": <user id>, "stage": <id>, "tag": "<name>", "task": "<title>"}
    params = models.JSONField(default=dict, blank=True)
    created_by = user_reference()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")

    def __str__(self) -> str:
        return self.name


class RuleFiring(models.Model):
    """A rule acted on a lead for one occurrence of its trigger (`trigger_key`: the stage change, the
    appointment, the lead's creation...). Unique: whatever the number of workers, never twice."""

    class Result(models.TextChoices):
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    rule = models.ForeignKey(AutomationRule, on_delete=models.CASCADE, related_name="firings")
    lead_id = models.BigIntegerField()
    trigger_key = models.CharField(max_length=128)
    action = models.CharField(max_length=32)
    result = models.CharField(max_length=16, choices=Result.choices, default=Result.DONE)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "lead_id", "trigger_key"], name="rule_firing_once"),
        ]
        verbose_name = _("rule firing")
        verbose_name_plural = _("rule firings")

    def __str__(self) -> str:
        return f"{self.rule_id} {self.lead_id} {self.trigger_key}"
