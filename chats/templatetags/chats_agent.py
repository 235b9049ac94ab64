"""The agent's block on a conversation: its latest runs (tool calls, results, tokens, cost, errors), for
owners only. Included by chats/_agent_panel.html."""

from __future__ import annotations

from django import template

register = template.Library()
PANEL_RUNS = 5


@register.inclusion_tag("chats/agent/_panel.html", takes_context=True)
def agent_runs_panel(context, conversation):
    from chats.agent.selectors import conversation_run_totals, conversation_runs

    request = context.get("request")
    membership = getattr(request, "membership", None)
    if conversation is None or membership is None or membership.role != "owner":
        return {"show": False}
    return {
        "show": True,
        "conversation": conversation,
        "runs": list(conversation_runs(conversation=conversation)[:PANEL_RUNS]),
        "totals": conversation_run_totals(conversation=conversation),
    }


@register.filter
def pretty_json(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str)
