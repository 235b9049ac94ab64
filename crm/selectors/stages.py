"""Reads for the pipeline settings page."""

from __future__ import annotations

from django.db.models import Count

from crm.models import Stage


def stages_with_lead_counts() -> list[Stage]:
    """Every stage in board order, each with `lead_count` (a stage can be deleted only when it is 0)."""
    return list(Stage.objects.annotate(lead_count=Count("leads")).order_by("position", "id"))
