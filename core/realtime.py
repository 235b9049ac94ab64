"""The one way to push a live update: publish to `<schema>.<topic>` after the transaction commits."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name

logger = logging.getLogger(__name__)

TOPICS = {"pipeline", "agenda", "chats", "notifications", "documents"}


def group_name(schema_name: str, topic: str) -> str:
    return f"{schema_name}.{topic}"


def publish(
    *,
    topic: str,
    event: str,
    html: str = "",
    data: dict | None = None,
    roles: tuple[str, ...] | None = None,
    user_ids: list[int] | None = None,
    schema_name: str | None = None,
) -> None:
    """Send `event` with its server-rendered `html` (htmx out-of-band fragments) to every socket of the
    current tenant subscribed to `topic`, once the surrounding transaction has committed. The tenant is
    the connection's unless `schema_name` is given; publishing outside any tenant, or to an unknown topic,
    raises ValueError. A failure to reach the channel layer is logged, never raised: the write it reports
    on has already happened.

    Audience: everyone subscribed, unless `roles` or `user_ids` is given; then only members whose role
    is in `roles` or whose user id is in `user_ids` (e.g. owners plus the lead's seller)."""
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}")
    schema = schema_name or connection.schema_name
    if schema == get_public_schema_name():
        raise ValueError("publish needs a tenant: no socket listens in the public schema")
    message = {
        "type": "broadcast",
        "event": event,
        "html": html,
        "data": data or {},
        "roles": list(roles or []),
        "user_ids": list(user_ids or []),
    }

    def send() -> None:
        try:
            async_to_sync(get_channel_layer().group_send)(group_name(schema, topic), message)
        except Exception:
            logger.exception("real-time publish failed", extra={"topic": topic, "event": event})

    transaction.on_commit(send)
