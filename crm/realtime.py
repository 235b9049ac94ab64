"""Live pipeline events. Boards subscribe to `<schema>.pipeline`; an event names the lead and the stages
whose columns changed, and each open board re-fetches those columns with its own filters and
permissions (so a seller never receives another seller's card)."""

from __future__ import annotations

from django.template.loader import render_to_string

from core.realtime import publish
from crm.models import Lead
from tenants.models import Role


def announce_lead(
    *, lead: Lead, event: str, stage_ids: list[int] | None = None, extra_user_ids: list[int] | None = None
) -> None:
    stage_ids = stage_ids or [lead.stage_id]
    html = render_to_string("crm/partials/_board_event.html", {"lead": lead, "event": event, "stage_ids": stage_ids})
    user_ids = [uid for uid in [lead.seller_id, *(extra_user_ids or [])] if uid]
    publish(
        topic="pipeline",
        event=event,
        html=html,
        data={"lead": lead.pk, "stages": stage_ids},
        roles=(Role.OWNER,),
        user_ids=user_ids,
    )


def announce_stages(*, stage_ids: list[int], user_ids: list[int], event: str = "LEAD_MOVED") -> None:
    """Many leads changed columns at once (a stage deleted with its leads moved): the open boards of the
    owners and of those leads' sellers re-fetch these columns."""
    html = render_to_string("crm/partials/_board_event.html", {"lead": None, "event": event, "stage_ids": stage_ids})
    publish(
        topic="pipeline",
        event=event,
        html=html,
        data={"stages": stage_ids},
        roles=(Role.OWNER,),
        user_ids=sorted({uid for uid in user_ids if uid}),
    )
