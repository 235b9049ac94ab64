"""Pipeline stage writes (owners): rename, reorder (closed stages stay after the open ones), add, delete
(moving its leads to another stage of the same kind), the rotting limit. Won and lost keep their kind."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import ApplicationError
from crm.models import Lead, Stage, TimelineEntry
from crm.realtime import announce_stages


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
    if stage.key and name == str(Stage.DEFAULT_NAMES.get(stage.key, "")):
        name = ""  # the default name as shown, saved unchanged: keep it translated for everyone
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
    kinds = [stages[pk].is_closed for pk in ordered_ids]
    if kinds != sorted(kinds):
        raise ApplicationError(_("Won and lost stages stay after the open ones."))
    for position, pk in enumerate(ordered_ids):
        if stages[pk].position != position:
            stages[pk].position = position
            stages[pk].save(update_fields=["position", "updated_at"])
    audit_log(action="stage.reorder", actor=actor, object_type="crm.stage", object_repr=",".join(map(str, ordered_ids)))


@transaction.atomic
def stage_delete(*, stage: Stage, actor, move_to: Stage | None = None) -> int:
    """Deletes a stage. Its leads, if any, first go to `move_to`, another stage of the same kind (so a
    won deal stays won and no lost reason is needed): each gets a history entry, and the audit records
    how many moved where. Returns the number of leads moved."""
    if Stage.objects.filter(kind=stage.kind).count() == 1 and stage.kind != Stage.Kind.OPEN:
        raise ApplicationError(_("The pipeline needs a won and a lost stage."))
    if stage.kind == Stage.Kind.OPEN and Stage.objects.filter(kind=Stage.Kind.OPEN).count() == 1:
        raise ApplicationError(_("The pipeline needs at least one open stage."))
    rows = list(Lead.objects.select_for_update().filter(stage=stage).values_list("pk", "seller_id"))
    lead_ids = [pk for pk, _seller in rows]
    changes = None
    if lead_ids:
        if move_to is None:
            raise ApplicationError(_("Choose the stage its leads go to before deleting it."))
        if move_to.pk == stage.pk or move_to.kind != stage.kind:
            raise ApplicationError(_("Its leads can only go to another stage of the same kind."))
        now = timezone.now()
        Lead.objects.filter(pk__in=lead_ids).update(stage=move_to, stage_changed_at=now, updated_at=now)
        data = {"from": stage.display_name, "to": move_to.display_name, "from_id": stage.pk, "to_id": move_to.pk}
        label = (actor.get_full_name() or actor.email)[:255]
        TimelineEntry.objects.bulk_create(
            [
                TimelineEntry(lead_id=pk, kind=TimelineEntry.Kind.STAGE, actor=actor, actor_label=label, data=data)
                for pk in lead_ids
            ],
            batch_size=1000,
        )
        changes = {"leads moved": {"before": len(lead_ids), "after": move_to.display_name}}
        announce_stages(stage_ids=[stage.pk, move_to.pk], user_ids=[seller for _pk, seller in rows])
    audit_log(action="stage.delete", actor=actor, obj=stage, changes=changes)
    stage.delete()
    return len(lead_ids)


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


@transaction.atomic
def stage_set_rotting(*, stage: Stage, days: int | None, actor) -> Stage:
    """Sets after how many days a card in this stage turns a warning colour (None: never)."""
    if days is not None and not 1 <= days <= 3650:
        raise ApplicationError(_("Give a number of days between 1 and 3650, or leave it empty."))
    before = stage.rotting_days
    stage.rotting_days = days
    stage.save(update_fields=["rotting_days", "updated_at"])
    audit_log(
        action="stage.rotting", actor=actor, obj=stage, changes={"rotting_days": {"before": before, "after": days}}
    )
    return stage
