"""Board comforts: undo the last move of a card, and quick-add a lead at the top of a column.

Undo is its own service (not part of lead_move) so a move stays one plain, audited change and an undo is
another, visible in the history and the audit log."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import ApplicationError
from crm.models import Lead, Stage, TimelineEntry
from crm.realtime import announce_lead
from crm.services.leads import lead_create
from crm.services.timeline import timeline_add

UNDO_WINDOW = timedelta(minutes=10)


class UndoRefused(ApplicationError):
    """The move can no longer be undone: the lead moved again, the stage is gone, or it is too late."""


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@transaction.atomic
def lead_move_undo(*, entry: TimelineEntry, actor) -> Lead:
    """Puts a lead back where the move recorded in `entry` (a stage entry written by lead_move) found it:
    its stage, its place in the column (the time it entered the stage), and, for a closed stage, when it
    closed and why it was lost. Only the person who moved it, within UNDO_WINDOW, while it is still the
    lead's last move. Writes a stage entry (with `undo_of`), the audit log, and announces the move."""
    lead = Lead.objects.select_for_update().select_related("stage").get(pk=entry.lead_id)
    data = entry.data or {}
    latest = (
        TimelineEntry.objects.filter(lead=lead, kind=TimelineEntry.Kind.STAGE).order_by("-created_at", "-id").first()
    )
    if (
        entry.kind != TimelineEntry.Kind.STAGE
        or "before" not in data
        or "undo_of" in data
        or latest is None
        or latest.pk != entry.pk
        or lead.stage_id != data.get("to_id")
    ):
        raise UndoRefused(_("This move can no longer be undone: the lead has changed since."))
    if entry.actor_id != getattr(actor, "pk", None):
        raise UndoRefused(_("Only the person who moved the lead can undo the move."))
    if timezone.now() - entry.created_at > UNDO_WINDOW:
        raise UndoRefused(_("This move is too old to undo. Move the lead back by hand."))
    target = Stage.objects.filter(pk=data.get("from_id")).first()
    if target is None:
        raise UndoRefused(_("The stage this lead came from no longer exists."))
    before, moved_from = data["before"], lead.stage
    lead.stage = target
    lead.stage_changed_at = _instant(before.get("since")) or timezone.now()
    lead.closed_at = _instant(before.get("closed_at")) if target.is_closed else None
    lead.lost_reason = before.get("lost_reason", "") if target.kind == Stage.Kind.LOST else ""
    lead.lost_note = before.get("lost_note", "") if target.kind == Stage.Kind.LOST else ""
    # Who closed it (crm.services.leads.lead_move): back to the closer recorded before, if it was closed.
    lead.closed_seller_id = before.get("closed_seller_id") if target.is_closed else None
    closed_from = before.get("closed_from_stage_id") if target.is_closed else None
    lead.closed_from_stage_id = closed_from if closed_from and Stage.objects.filter(pk=closed_from).exists() else None
    lead.save(
        update_fields=[
            "stage", "stage_changed_at", "closed_at", "closed_seller", "closed_from_stage", "lost_reason",
            "lost_note", "updated_at",
        ]
    )  # fmt: skip
    timeline_add(
        lead=lead,
        kind=TimelineEntry.Kind.STAGE,
        actor=actor,
        data={
            "from": moved_from.display_name,
            "to": target.display_name,
            "from_id": moved_from.pk,
            "to_id": target.pk,
            "undo_of": entry.pk,
        },
    )
    audit_log(
        action="lead.move.undo",
        actor=actor,
        obj=lead,
        changes={"stage": {"before": moved_from.display_name, "after": target.display_name}},
    )
    announce_lead(lead=lead, event="LEAD_MOVED", stage_ids=[moved_from.pk, target.pk])
    return lead


def lead_quick_add(*, actor, stage: Stage, name: str, phone: str, seller_id: int | None) -> Lead:
    """A lead typed at the top of a board column: a name and a phone, into that (open) stage. A seller's
    lead is theirs; an owner's follows the company's assignment rule. Raises DuplicateLead or
    ApplicationError like lead_create."""
    if stage.is_closed:
        raise ApplicationError(_("New leads go into an open stage."))
    first, _space, last = (name or "").strip().partition(" ")
    if not first:
        raise ApplicationError(_("Give the lead a name."))
    return lead_create(
        actor=actor,
        phone=phone,
        stage=stage,
        seller_id=seller_id,
        auto_assign=seller_id is None,
        first_name=first[:80],
        last_name=last.strip()[:80],
    )
