"""Websocket consumers of the CRM pages."""

from __future__ import annotations

from core.consumers import TenantTopicConsumer
from tenants.models import Role


class PipelineConsumer(TenantTopicConsumer):
    """Open pipeline boards. Each event reaches owners and the lead's seller only (see crm.realtime);
    it names the changed columns, which the board re-fetches with the viewer's own permissions."""

    topic = "pipeline"
    roles = (Role.OWNER, Role.SELLER)
