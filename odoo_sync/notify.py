"""Telling the people who send documents to Odoo (owners and accountants) when one needs them: a push
that failed for good, a document cancelled in Odoo, a new difference between the two sides."""

from __future__ import annotations

import hashlib

from django.utils.translation import gettext as _

from core.notifications import notify
from core.tenancy import current_tenant
from tenants.models import Role
from tenants.selectors import active_members


def _senders(tenant) -> list[int]:
    return [member.user_id for member in active_members(tenant=tenant, roles=(Role.OWNER, Role.ACCOUNTANT))]


def _url(document) -> str:
    from odoo_sync.selectors import document_url

    return document_url(document)


def push_failed(*, document, row) -> None:
    """Once per failed attempt."""
    tenant = current_tenant()
    notify(
        tenant=tenant,
        user_ids=_senders(tenant),
        kind="odoo_failed",
        text=_("%(document)s could not be sent to Odoo: %(error)s") % {"document": document, "error": row.last_error},
        url=_url(document),
        dedupe_key=f"odoo-failed:{document.pk}:{row.attempts}",
    )


def needs_attention(*, document, row) -> None:
    """Once per distinct difference (a cancellation in Odoo included)."""
    if not row.mismatch:
        return
    tenant = current_tenant()
    digest = hashlib.sha256(row.mismatch.encode()).hexdigest()[:16]
    notify(
        tenant=tenant,
        user_ids=_senders(tenant),
        kind="odoo_attention",
        text=_("%(document)s differs from Odoo: %(difference)s") % {"document": document, "difference": row.mismatch},
        url=_url(document),
        dedupe_key=f"odoo-mismatch:{document.pk}:{digest}",
    )
