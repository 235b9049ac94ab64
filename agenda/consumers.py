"""Websocket consumer of the calendar page."""

from __future__ import annotations

from core.consumers import TenantTopicConsumer
from tenants.models import Role


class AgendaConsumer(TenantTopicConsumer):
    """Open calendars. Each event reaches owners and the appointment's seller only (see agenda.realtime);
    it names what changed, and the calendar re-fetches its range with the viewer's own permissions."""

    topic = "agenda"
    roles = (Role.OWNER, Role.SELLER)
