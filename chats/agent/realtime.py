"""The agent's live update: after each run, the owners' open conversation panes re-render its panel
(`AGENT_RUN` on `<schema>.chats`, owners only: sellers never receive the runs)."""

from __future__ import annotations

from django.template.loader import render_to_string

from core.realtime import publish
from tenants.models import Role

AGENT_RUN = "AGENT_RUN"


def announce_run(*, conversation, run_id: int) -> None:
    from chats.agent.selectors import conversation_run_totals, conversation_runs
    from chats.templatetags.chats_agent import PANEL_RUNS

    context = {
        "show": True,
        "oob": True,
        "conversation": conversation,
        "runs": list(conversation_runs(conversation=conversation)[:PANEL_RUNS]),
        "totals": conversation_run_totals(conversation=conversation),
    }
    publish(
        topic="chats",
        event=AGENT_RUN,
        html=lambda: render_to_string("chats/agent/_panel.html", context),
        data={"conversation": conversation.pk, "run": run_id},
        roles=(Role.OWNER,),
    )
