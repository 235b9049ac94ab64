"""Pipeline stage writes (owners): rename, reorder, add, delete an empty one. Won and lost keep their kind."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import ApplicationError
from crm.models import Stage


@transaction.atomic
def stage_create(*, name: str, actor, kind: str = Stage.Kind.OPEN) -> Stage:
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Give the stage a name."))
    if kind not in Stage.Kind.values:
        raise ApplicationError(_("Choose a valid kind of stage."))
    # New open stages go before the closed ones so won/lost stay at the end of the board.
    closed = Stage.objects.exclude(kind=Stage.Kind.OPEN).order_by("position")
    if kind == Stage.Kind.OPEN and closed.exists():
        position = closed.first().position
        for stage in closed.select_for_update():
            stage.position += 1
            stage.save(update_fields=["position", "updated_at"])
    else:
        position = (Stage.objects.aggregate(top=Max("position"))["top"] or 0) + 1
    stage = Stage.objects.create(name=name[:60], kind=kind, position=position)
    audit_log(action="stage.create", actor=actor, obj=stage)
    return stage


@transaction.atomic
def stage_rename(*, stage: Stage, name: str, actor) -> Stage:
    name = (name or "").strip()[:60]
    before = stage.display_name
    stage.name = name  # empty goes back to the translated default name
    if not name and not stage.key:
        raise ApplicationError(_("Give the stage a name."))
    stage.save(update_fields=["name", "updated_at"])
    audit_log(
        action="stage.rename", actor=actor, obj=stage, changes={"name": {"before": before, "after": stage.display_name}}
    )
    return stage


@transaction.atomic
def stage_reorder(*, ordered_ids: list[int], actor) -> None:
    stages = {stage.pk: stage for stage in Stage.objects.select_for_update()}
    if sorted(ordered_ids) != sorted(stages):
        raise ApplicationError(_("The order must list every stage once."))
    for position, pk in enumerate(ordered_ids):
        if stages[pk].position != position:
            stages[pk].position = position
            stages[pk].save(update_fields=["position", "updated_at"])
    audit_log(action="stage.reorder", actor=actor, object_type="crm.stage", object_repr=",".join(map(str, ordered_ids)))


@transaction.atomic
def stage_delete(*, stage: Stage, actor) -> None:
    if stage.leads.exists():
        raise ApplicationError(_("Move the leads out of this stage before deleting it."))
    if Stage.objects.filter(kind=stage.kind).count() == 1 and stage.kind != Stage.Kind.OPEN:
        raise ApplicationError(_("The pipeline needs a won and a lost stage."))
    if stage.kind == Stage.Kind.OPEN and Stage.objects.filter(kind=Stage.Kind.OPEN).count() == 1:
        raise ApplicationError(_("The pipeline needs at least one open stage."))
    audit_log(action="stage.delete", actor=actor, obj=stage)
    stage.delete()


@transaction.atomic
def stage_set_probability(*, stage: Stage, win_probability: int, actor) -> Stage:
    """The share of an open stage's deals expected to be won (0-100): weights the pipeline and the forecast."""
    if stage.kind != Stage.Kind.OPEN:
        raise ApplicationError(_("Only open stages have a win probability."))
    if not 0 <= win_probability <= 100:
        raise ApplicationError(_("A win probability goes from 0 to 100."))
    before = stage.win_probability
    stage.win_probability = win_probability
    stage.save(update_fields=["win_probability", "updated_at"])
    audit_log(
        action="stage.probability",
        actor=actor,
        obj=stage,
        changes={"win_probability": {"before": before, "after": win_probability}},
    )
    return stage
