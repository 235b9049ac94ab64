"""Live agenda events. Open calendars subscribe to `<schema>.agenda`; an event names the appointment (or
task) that changed, and each calendar re-fetches its visible range through its own feed, with its own
permissions: owners receive every event, a seller only those of their own appointments."""

from __future__ import annotations

from django.template.loader import render_to_string

from core.realtime import publish
from tenants.models import Role

NEW_APPOINTMENT = "NEW_APPOINTMENT"
APPOINTMENT_UPDATED = "APPOINTMENT_UPDATED"
APPOINTMENT_DELETED = "APPOINTMENT_DELETED"
TASK_CHANGED = "TASK_CHANGED"


def announce(*, appointment, event: str, extra_user_ids: list[int] | None = None) -> None:
    user_ids = sorted({uid for uid in [appointment.seller_id, *(extra_user_ids or [])] if uid})
    html = render_to_string(
        "agenda/partials/_calendar_event.html", {"event": event, "kind": "appointment", "id": appointment.pk}
    )
    publish(
        topic="agenda",
        event=event,
        html=html,
        data={"appointment": appointment.pk, "seller": appointment.seller_id},
        roles=(Role.OWNER,),
        user_ids=user_ids,
    )


def announce_task(*, task) -> None:
    html = render_to_string(
        "agenda/partials/_calendar_event.html", {"event": TASK_CHANGED, "kind": "task", "id": task.pk}
    )
    publish(
        topic="agenda",
        event=TASK_CHANGED,
        html=html,
        data={"task": task.pk},
        roles=(Role.OWNER,),
        user_ids=[task.assignee_id] if task.assignee_id else [],
    )
