"""Reads for the pipeline settings page."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from crm.models import PipelineRollup, Stage


def stages_with_lead_counts() -> list[Stage]:
    """Every stage in board order, each with `lead_count` (a stage can be deleted only when it is 0),
    read from the pipeline rollup rather than counted over the leads."""
    counts = (
        PipelineRollup.objects.filter(stage_id=OuterRef("pk"))
        .order_by()
        .values("stage_id")
        .annotate(n=Sum("count"))
        .values("n")
    )
    return list(Stage.objects.annotate(lead_count=Coalesce(Subquery(counts), 0)).order_by("position", "id"))
