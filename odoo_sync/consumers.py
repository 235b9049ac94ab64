"""Websockets of the pages that show sync states (a document's page, the Odoo pages)."""

from __future__ import annotations

from core.consumers import TenantTopicConsumer
from tenants.models import Role


class DocumentsConsumer(TenantTopicConsumer):
    """Sync state changes of the company's documents, for the people who send them to Odoo."""

    topic = "documents"
    roles = (Role.OWNER, Role.ACCOUNTANT)
