"""Live sync states: every open page of the company showing a document's sync state (its page, the Odoo
pages) swaps the fresh fragments in, out of band, when a push or a pull changes it."""

from __future__ import annotations

from django.template.loader import render_to_string

from core.realtime import publish
from tenants.models import Role


def announce(*, document, row) -> None:
    """Publishes the document's sync block and status pill (after commit) to owners and accountants."""
    from odoo_sync.selectors import sync_state_for

    state = sync_state_for(document, row)
    html = render_to_string("odoo_sync/partials/_sync_event.html", {"document": document, "sync_state": state})
    publish(
        topic="documents",
        event="DOCUMENT_SYNC",
        html=html,
        data={"document": document.pk, "status": state.status},
        roles=(Role.OWNER, Role.ACCOUNTANT),
    )
