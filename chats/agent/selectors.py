"""Reads of the agent's records: a conversation's runs with their tool calls, and the totals owners see."""

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
    from chats.models import AgentRun

    return _totals(AgentRun.objects.filter(conversation=conversation))


def company_run_totals(*, since) -> RunTotals:
    """Every run of the company's agent started since `since`: what it read, spent and failed."""
    from chats.models import AgentRun

    return _totals(AgentRun.objects.filter(started_at__gte=since))


def _totals(runs) -> RunTotals:
    from chats.models import AgentRun

    row = runs.aggregate(
        runs=Count("id"),
        tokens_in=Sum("tokens_in"),
        tokens_out=Sum("tokens_out"),
        cost=Sum("cost"),
        failed=Count("id", filter=Q(outcome=AgentRun.Outcome.FAILED)),
    )
    return RunTotals(
        runs=row["runs"] or 0,
        tokens_in=row["tokens_in"] or 0,
        tokens_out=row["tokens_out"] or 0,
        cost=row["cost"] or Decimal("0"),
        failed=row["failed"] or 0,
    )
