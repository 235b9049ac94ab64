"""The agent's settings, written by owners on its settings page."""

from __future__ import annotations

from django.db import transaction

from core.audit import audit_log
from core.errors import ApplicationError
from core.tenancy import check_tenant

MAX_TONE = 1000


def agent_settings_get():
    from chats.models import AgentSettings

    row = AgentSettings.objects.order_by("pk").first()
    if row is None:
        row, _created = AgentSettings.objects.get_or_create(pk=1)
    return row


@transaction.atomic
def agent_settings_update(*, tenant, tone: str, actor):
    """Sets the tone the agent is told to use (at most 1,000 characters). Audited with before and after."""
    from django.utils.translation import gettext as _

    from chats.models import AgentSettings

    check_tenant(tenant)
    tone = (tone or "").replace("\x00", "").strip()
    if len(tone) > MAX_TONE:
        raise ApplicationError(_("The tone can have at most 1,000 characters."))
    agent_settings_get()
    row = AgentSettings.objects.select_for_update().order_by("pk").first()
    if row.tone == tone:
        return row
    before = row.tone
    row.tone = tone
    row.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    row.save(update_fields=["tone", "updated_by", "updated_at"])
    audit_log(action="agent.settings", actor=actor, obj=row, changes={"tone": {"before": before, "after": tone}})
    return row
