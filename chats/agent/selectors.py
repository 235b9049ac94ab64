"""Reads of the agent's records: a conversation's runs with their tool calls, and the totals owners see
(the runs' tokens and cost, plus what transcribing the lead's voice notes cost)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, Sum


@dataclass(frozen=True)
class RunTotals:
    runs: int
    tokens_in: int
    tokens_out: int
    cost: Decimal
    failed: int
    transcriptions: int = 0
    transcribed_seconds: Decimal = Decimal("0")
    transcription_cost: Decimal = Decimal("0")

    @property
    def transcribed_minutes(self) -> Decimal:
        return self.transcribed_seconds / 60

    @property
    def total_cost(self) -> Decimal:
        return self.cost + self.transcription_cost


def conversation_runs(*, conversation):
    """The conversation's runs, newest first, each with its tool calls in order (two queries)."""
    from chats.models import AgentRun, AgentToolCall

    return (
        AgentRun.objects.filter(conversation=conversation)
        .select_related("reply_message", "trigger_message")
        .prefetch_related(Prefetch("tool_calls", queryset=AgentToolCall.objects.order_by("position", "id")))
        .order_by("-started_at", "-id")
    )


def conversation_run_totals(*, conversation) -> RunTotals:
    from chats.models import AgentRun, Message

    return _totals(
        AgentRun.objects.filter(conversation=conversation), Message.objects.filter(conversation=conversation)
    )


def company_run_totals(*, since) -> RunTotals:
    """Every run of the company's agent started since `since`: what it read, spent and failed."""
    from chats.models import AgentRun, Message

    return _totals(AgentRun.objects.filter(started_at__gte=since), Message.objects.filter(created_at__gte=since))


def _totals(runs, messages) -> RunTotals:
    """`runs`' totals, and those of the voice notes among `messages` that were transcribed (a transcription
    whose length is unknown counts, with no minutes and no cost)."""
    from chats.models import AgentRun

    row = runs.aggregate(
        runs=Count("id"),
        tokens_in=Sum("tokens_in"),
        tokens_out=Sum("tokens_out"),
        cost=Sum("cost"),
        failed=Count("id", filter=Q(outcome=AgentRun.Outcome.FAILED)),
    )
    notes = messages.exclude(transcript="").aggregate(
        count=Count("id"), seconds=Sum("transcription_seconds"), cost=Sum("transcription_cost")
    )
    return RunTotals(
        runs=row["runs"] or 0,
        tokens_in=row["tokens_in"] or 0,
        tokens_out=row["tokens_out"] or 0,
        cost=row["cost"] or Decimal("0"),
        failed=row["failed"] or 0,
        transcriptions=notes["count"] or 0,
        transcribed_seconds=notes["seconds"] or Decimal("0"),
        transcription_cost=notes["cost"] or Decimal("0"),
    )
