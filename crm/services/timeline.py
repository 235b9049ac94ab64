"""The customer history's one writer. Every capability (notes, calls, documents, stage changes, and later
messages, appointments, sales documents, Odoo sync) adds entries through `timeline_add`."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import ApplicationError
from crm.models import CallOutcome, Lead, TimelineEntry


def _actor_label(actor) -> str:
    if actor is None:
        return ""
    return actor.get_full_name() or actor.email


def timeline_add(
    *, lead: Lead, kind: str, actor=None, actor_label: str = "", body: str = "", data: dict | None = None
) -> TimelineEntry:
    """Appends one entry to the lead's history. `actor` is a person, a `core.actors.Actor` (the AI agent,
    the lead on a public page) or None for the system (or pass `actor_label`)."""
    from core.actors import Actor

    if isinstance(actor, Actor):
        actor_label, actor = actor_label or str(actor.label), actor.user
    entry = TimelineEntry.objects.create(
        lead=lead,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=(actor_label or _actor_label(actor))[:255],
        body=body,
        data=data or {},
    )
    return entry


@transaction.atomic
def note_add(*, lead: Lead, actor, body: str) -> TimelineEntry:
    body = (body or "").strip()
    if not body:
        raise ApplicationError(_("Write something in the note."))
    if len(body) > 10_000:
        raise ApplicationError(_("A note can have at most 10,000 characters."))
    entry = timeline_add(lead=lead, kind=TimelineEntry.Kind.NOTE, actor=actor, body=body)
    audit_log(action="lead.note", actor=actor, obj=lead)
    return entry


@transaction.atomic
def call_log(*, lead: Lead, actor, outcome: str, duration_seconds: int, body: str = "") -> TimelineEntry:
    if outcome not in CallOutcome.values:
        raise ApplicationError(_("Choose the outcome of the call."))
    if duration_seconds < 0 or duration_seconds > 24 * 3600:
        raise ApplicationError(_("The duration must be between 0 and 24 hours."))
    entry = timeline_add(
        lead=lead,
        kind=TimelineEntry.Kind.CALL,
        actor=actor,
        body=(body or "").strip(),
        data={"outcome": outcome, "duration": duration_seconds},
    )
    lead.last_contact_at = timezone.now()
    lead.save(update_fields=["last_contact_at", "updated_at"])
    audit_log(action="lead.call", actor=actor, obj=lead, changes={"outcome": {"before": None, "after": outcome}})
    return entry


def _own_note(entry: TimelineEntry, actor) -> TimelineEntry:
    if entry.kind != TimelineEntry.Kind.NOTE or entry.actor_id is None or entry.actor_id != getattr(actor, "pk", None):
        raise ApplicationError(_("Only the person who wrote a note can change it."))
    return entry


@transaction.atomic
def note_edit(*, entry: TimelineEntry, actor, body: str) -> TimelineEntry:
    """The author corrects their note. Audited with the text before and after; the note says it was
    edited."""
    entry = _own_note(TimelineEntry.objects.select_for_update().get(pk=entry.pk), actor)
    body = (body or "").strip()
    if not body:
        raise ApplicationError(_("Write something in the note."))
    if len(body) > 10_000:
        raise ApplicationError(_("A note can have at most 10,000 characters."))
    if body == entry.body:
        return entry
    before = entry.body
    entry.body = body
    entry.data = {**(entry.data or {}), "edited_at": timezone.now().isoformat()}
    entry.save(update_fields=["body", "data"])
    audit_log(
        action="lead.note.edit",
        actor=actor,
        obj=entry.lead,
        changes={"note": {"before": before, "after": body}, "entry": {"before": None, "after": entry.pk}},
    )
    return entry


@transaction.atomic
def note_delete(*, entry: TimelineEntry, actor) -> None:
    """The author deletes their note. Audited (with its text, so an owner can see what was removed)."""
    entry = _own_note(TimelineEntry.objects.select_for_update().get(pk=entry.pk), actor)
    audit_log(
        action="lead.note.delete",
        actor=actor,
        obj=entry.lead,
        changes={"note": {"before": entry.body, "after": None}, "entry": {"before": entry.pk, "after": None}},
    )
    entry.delete()
