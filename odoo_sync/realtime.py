"""Live sync states: every open page of the company showing a document's sync state (its page, the Odoo
page) hears that it changed and fetches the fresh block or status pill itself, so each viewer gets it in
their own language and with their own rights."""

from __future__ import annotations

from django.template.loader import render_to_string

from core.realtime import publish
from tenants.models import Role


def announce(*, document, row) -> None:
    """Publishes (after commit) to owners and accountants that the document's sync state changed."""
    status = row.status if row is not None else "not_sent"
    html = render_to_string("odoo_sync/partials/_sync_event.html", {"document": document, "status": status})
    publish(
        topic="documents",
        event="DOCUMENT_SYNC",
        html=html,
        data={"document": document.pk, "status": status},
        roles=(Role.OWNER, Role.ACCOUNTANT),
    )
