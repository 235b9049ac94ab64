"""Reads for the pipeline settings page."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from crm.models import PipelineRollup, Stage


def stages_with_lead_counts() -> list[Stage]:
    """Every stage in board order, each with `lead_count` (read from the pipeline rollup rather than
    counted over the leads), whether it may go up or down (closed stages stay after the open ones:
    `can_up`, `can_down`), and the stages its leads may go to if it is deleted (`move_targets`: the
    others of the same kind)."""
    counts = (
        PipelineRollup.objects.filter(stage_id=OuterRef("pk"))
        .order_by()
        .values("stage_id")
        .annotate(n=Sum("count"))
        .values("n")
    )
    rows = list(Stage.objects.annotate(lead_count=Coalesce(Subquery(counts), 0)).order_by("position", "id"))
    for index, stage in enumerate(rows):
        before = rows[index - 1] if index else None
        after = rows[index + 1] if index + 1 < len(rows) else None
        stage.can_up = before is not None and before.is_closed == stage.is_closed
        stage.can_down = after is not None and after.is_closed == stage.is_closed
        stage.move_targets = [other for other in rows if other.pk != stage.pk and other.kind == stage.kind]
    return rows
