from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from core.models import AuditEntry


def audit_entries(
    *,
    action: str = "",
    actor: str = "",
    object_type: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.all()
    if action:
        entries = entries.filter(action__startswith=action)
    if actor:
        entries = entries.filter(Q(actor_label__icontains=actor))
    if object_type:
        entries = entries.filter(object_type=object_type)
    if since:
        entries = entries.filter(created_at__gte=since)
    if until:
        entries = entries.filter(created_at__lte=until)
    return entries.order_by("-created_at", "-id")


def audit_filter_choices() -> dict[str, list[str]]:
    """Distinct actions and object types present, for the filter menus (small sets, indexed columns)."""
    return {
        "actions": list(AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()[:200]),
        "object_types": list(
            AuditEntry.objects.exclude(object_type="")
            .order_by("object_type")
            .values_list("object_type", flat=True)
            .distinct()[:100]
        ),
    }
