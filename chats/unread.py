"""The sidebar's live unread badge: after a conversation's unread count changes, each member who may see
that conversation (the owners, and the lead's seller) gets their own new total on `<schema>.notifications`,
the socket every page's sidebar keeps open (`CHATS_UNREAD`, an out-of-band swap of the badge).

Totals are counted once the transaction has committed, so two messages committing at the same moment
never leave a badge one short (each count sees the other's committed row)."""

from __future__ import annotations

from django.db import connection, transaction
from django.template.loader import render_to_string
from django_tenants.utils import schema_context

from chats.models import Conversation
from core.realtime import publish

BADGE = "chats/partials/_sidebar_badge.html"


def _publish(*, schema_name: str, unread: int, roles=(), user_ids=()) -> None:
    publish(
        topic="notifications",
        event="CHATS_UNREAD",
        html=render_to_string(BADGE, {"unread": unread}),
        data={"unread": unread},
        roles=tuple(roles),
        user_ids=list(user_ids),
        schema_name=schema_name,
    )


def _announce(*, schema_name: str, tenant_id: int, seller_id: int | None) -> None:
    from chats.selectors import unread_total
    from tenants.models import Membership, MembershipStatus, Role

    members = Membership.objects.filter(tenant_id=tenant_id, status=MembershipStatus.ACTIVE)
    with schema_context(schema_name):
        owner = members.filter(role=Role.OWNER).first()
        if owner is not None:  # every owner sees every conversation: one total for all of them
            _publish(schema_name=schema_name, unread=unread_total(membership=owner), roles=(Role.OWNER,))
        if seller_id is None:
            return
        seller = members.filter(user_id=seller_id, role=Role.SELLER).first()
        # An owner holding the lead already got the owners' total; other roles see no conversations.
        if seller is not None:
            _publish(schema_name=schema_name, unread=unread_total(membership=seller), user_ids=[seller_id])


def unread_announce(*, conversation: Conversation) -> None:
    """Pushes the new unread totals of `conversation`'s audience once the current transaction commits."""
    tenant = connection.tenant
    seller_id = conversation.lead.seller_id
    # robust: a badge that cannot be counted is logged, and the callbacks after it (the inbound hooks, the
    # media download) still run.
    transaction.on_commit(
        lambda: _announce(schema_name=tenant.schema_name, tenant_id=tenant.pk, seller_id=seller_id), robust=True
    )
