"""The one way to push a live update: publish to `<schema>.<topic>` after the transaction commits."""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable
from contextlib import nullcontext

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django_tenants.utils import get_public_schema_name

logger = logging.getLogger(__name__)

TOPICS = {"pipeline", "agenda", "chats", "notifications", "documents"}


def group_name(schema_name: str, topic: str) -> str:
    return f"{schema_name}.{topic}"


def publish(
    *,
    topic: str,
    event: str,
    html: str | Callable[[], str] = "",
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

    `html` is a string, or a function rendering it: then it is rendered once per language of the product
    (in the company's time zone) and each socket receives the version in its member's language, as their
    pages are, whoever published it (a request in another language, a worker). Pass a function whenever the
    fragment holds translated text or dates.

    Audience: everyone subscribed, unless `roles` or `user_ids` is given; then only members whose role
    is in `roles` or whose user id is in `user_ids` (e.g. owners plus the lead's seller)."""
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}")
    schema = schema_name or connection.schema_name
    if schema == get_public_schema_name():
        raise ValueError("publish needs a tenant: no socket listens in the public schema")
    html_by_language = render_per_language(html, getattr(connection, "tenant", None)) if callable(html) else None
    message = {
        "type": "broadcast",
        "event": event,
        "html": html_by_language[settings.LANGUAGE_CODE] if html_by_language else html,
        "data": data or {},
        "roles": list(roles or []),
        "user_ids": list(user_ids or []),
    }
    if html_by_language:
        message["html_by_language"] = html_by_language

    def send() -> None:
        try:
            async_to_sync(get_channel_layer().group_send)(group_name(schema, topic), message)
        except Exception:
            logger.exception("real-time publish failed", extra={"topic": topic, "event": event})

    transaction.on_commit(send)


def render_per_language(render: Callable[[], str], tenant=None) -> dict[str, str]:
    """{language code: render()} for each of settings.LANGUAGES, in the tenant's time zone when it has one."""
    zone = None
    name = getattr(tenant, "timezone", "") or ""
    if name:
        try:
            zone = zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = None
    rendered = {}
    with timezone.override(zone) if zone is not None else nullcontext():
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                rendered[code] = render()
    return rendered


def language_of(*, user, tenant) -> str:
    """The language a member's pages are served in (core.middleware.language_for, signed in): their own
    choice, else the company's, else the default."""
    supported = {code for code, _name in settings.LANGUAGES}
    for code in (getattr(user, "language", ""), getattr(tenant, "language", "")):
        if code in supported:
            return code
    return settings.LANGUAGE_CODE
