"""The AI agent's records (tenant schema): every run on a conversation with the messages it read, its tool
calls, tokens, cost and outcome (shown to owners on the conversation), and the company's agent settings (the
tone the owner writes). Written only by chats.agent."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel, user_reference


class AgentRun(models.Model):
    """One answer of the agent: the lead's messages it read (up to `trigger_message`), what it did, what it
    cost, and how it ended."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Thinking")
        REPLIED = "replied", _("Replied")
        HANDED_OFF = "handed_off", _("Handed to a person")
        FAILED = "failed", _("Failed, handed to a person")

    conversation = models.ForeignKey(
        "chats.Conversation", on_delete=models.CASCADE, related_name="agent_runs", verbose_name=_("conversation")
    )
    trigger_message = models.ForeignKey(
        "chats.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("last message read"),
    )  # fmt: skip
    reply_message = models.ForeignKey(
        "chats.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("reply"),
    )  # fmt: skip
    messages_read = models.PositiveSmallIntegerField(_("messages read"), default=1)
    # The lead's messages this run read (and answered): a message read by a run is no longer pending.
    read_messages = models.ManyToManyField(
        "chats.Message", related_name="agent_runs", blank=True, verbose_name=_("messages read")
    )
    model = models.CharField(_("model"), max_length=64, blank=True)
    language = models.CharField(_("language"), max_length=5, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.RUNNING)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    model_calls = models.PositiveSmallIntegerField(_("model calls"), default=0)
    tokens_in = models.PositiveIntegerField(_("input tokens"), default=0)
    tokens_out = models.PositiveIntegerField(_("output tokens"), default=0)
    cost = models.DecimalField(_("cost (USD)"), max_digits=12, decimal_places=6, null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    handed_off = models.BooleanField(_("handed off"), default=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["conversation", "-started_at"], name="chats_agentrun_conv_idx")]
        verbose_name = _("agent run")
        verbose_name_plural = _("agent runs")

    def __str__(self) -> str:
        return f"{self.conversation_id} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds(), 1)


class AgentToolCall(models.Model):
    """One tool the agent called during a run: its arguments as the model sent them, and the result."""

    run = models.ForeignKey(AgentRun, on_delete=models.CASCADE, related_name="tool_calls", verbose_name=_("run"))
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("tool"), max_length=64)
    args = models.JSONField(_("arguments"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run_id", "position", "id"]
        verbose_name = _("agent tool call")
        verbose_name_plural = _("agent tool calls")

    def __str__(self) -> str:
        return f"{self.run_id}:{self.position} {self.name}"


class AgentSettings(TimeStampedModel):
    """The company's agent settings: one row, created on first use."""

    tone = models.TextField(
        _("tone of the AI agent"),
        blank=True,
        max_length=1000,
        help_text=_(
            "How the agent should sound, in your words: for example “warm and brief, use the lead's first name, "
            "never more than two emojis”."
        ),
    )
    updated_by = user_reference(verbose_name=_("updated by"))

    class Meta:
        verbose_name = _("agent settings")
        verbose_name_plural = _("agent settings")

    def __str__(self) -> str:
        return "agent settings"
