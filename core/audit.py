"""The audit log's one writer. Services call `audit_log`; nothing writes AuditEntry otherwise."""

from __future__ import annotations

from typing import Any

from django.db import models

from core.context import client_ip_var, request_id_var
from core.models import AuditEntry


def _serialisable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`{field: {"before": x, "after": y}}` for the fields whose value changed."""
    return {
        key: {"before": _serialisable(before.get(key)), "after": _serialisable(after.get(key))}
        for key in after
        if before.get(key) != after.get(key)
    }


def audit_log(
    *,
    action: str,
    actor=None,
    actor_kind: str = AuditEntry.ActorKind.USER,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Write one audit entry in the current schema. IP and request id come from the request context
    (set by core.middleware) unless given. `actor=None` with the default kind records the system; an
    `core.actors.Actor` (the AI agent, a lead on a public page) records its kind and label."""
    from core.actors import Actor

    actor_label = ""
    if isinstance(actor, Actor):
        actor_kind, actor_label, actor = actor.kind, str(actor.label), actor.user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None  # an anonymous request acts as the system, never as a nameless "user"
    if actor is None and actor_kind == AuditEntry.ActorKind.USER:
        actor_kind = AuditEntry.ActorKind.SYSTEM
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:255]
    if actor is not None:
        label = f"{actor.get_full_name() or actor.email} <{actor.email}>"
    else:
        label = actor_label or AuditEntry.ActorKind(actor_kind).label
    return AuditEntry.objects.create(
        actor=actor,
        actor_kind=actor_kind,
        actor_label=label[:255],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:255],
        changes=dict(changes or {}),
        ip=ip if ip is not None else client_ip_var.get(),
        request_id=request_id_var.get(),
    )
