"""The reasons a deal is lost: a list the owners manage (add, rename, reorder, stop offering, delete),
with "Other" always there and asking for a note. Moving a lead to a lost stage names one of them; a reason
given as free text (an older client, another app) is kept as "Other" with that text as its note."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import ApplicationError
from core.tenancy import current_tenant
from crm.importing.columns import fold
from crm.models import LostReason

MAX_NOTE = 255


def offered_reasons() -> list[LostReason]:
    return list(LostReason.objects.filter(active=True).order_by("position", "id"))


def _other() -> LostReason:
    reason = LostReason.objects.filter(key=LostReason.OTHER).first()
    if reason is None:
        position = (LostReason.objects.aggregate(last=Max("position"))["last"] or 0) + 1
        reason = LostReason.objects.create(key=LostReason.OTHER, position=position)
    return reason


def _names(reason: LostReason) -> set[str]:
    names = {str(reason.pk), reason.key, reason.name}
    if reason.key in LostReason.DEFAULT_NAMES:
        for code in ("en", "es", "fr"):
            with translation.override(code):
                names.add(str(LostReason.DEFAULT_NAMES[reason.key]))
    return {fold(name) for name in names if name}


def lost_reason_resolve(*, reason: str, note: str = "") -> tuple[str, str]:
    """(the reason's name in the company's language, the note) for what a form or an app sent: a reason's
    id, key or name in any language; anything else is "Other" with the text as its note. Raises
    ApplicationError when there is no reason, or "Other" has no note."""
    text, note = (reason or "").strip(), (note or "").strip()
    if not text:
        raise ApplicationError(_("Say why the lead was lost."))
    chosen = next((each for each in LostReason.objects.all() if fold(text) in _names(each)), None)
    if chosen is None:
        chosen, note = _other(), f"{text} — {note}" if note else text
    if chosen.is_other and not note:
        raise ApplicationError(_("Say in a few words why the lead was lost."))
    with translation.override(current_tenant().language or None):
        name = chosen.display_name
    return name[:255], note[:MAX_NOTE]


@transaction.atomic
def lost_reason_create(*, name: str, actor) -> LostReason:
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Give the reason a name."))
    if any(fold(name) in _names(reason) for reason in LostReason.objects.all()):
        raise ApplicationError(_("There is already a reason with this name."))
    position = (LostReason.objects.aggregate(last=Max("position"))["last"] or 0) + 1
    reason = LostReason.objects.create(name=name[:80], position=position)
    audit_log(action="lost_reason.create", actor=actor, obj=reason)
    return reason


@transaction.atomic
def lost_reason_update(*, reason: LostReason, actor, name: str | None = None, active: bool | None = None) -> LostReason:
    """Renames a reason (an empty name brings back a default reason's translated name) or stops or starts
    offering it. "Other" is always offered."""
    before = {"name": reason.display_name, "active": reason.active}
    if name is not None:
        name = name.strip()
        if not name and not reason.key:
            raise ApplicationError(_("Give the reason a name."))
        clash = [other for other in LostReason.objects.exclude(pk=reason.pk) if name and fold(name) in _names(other)]
        if clash:
            raise ApplicationError(_("There is already a reason with this name."))
        reason.name = name[:80]
    if active is not None:
        if reason.is_other and not active:
            raise ApplicationError(_("“Other” is always offered."))
        reason.active = active
    reason.save()
    after = {"name": reason.display_name, "active": reason.active}
    changes = {key: {"before": before[key], "after": after[key]} for key in after if before[key] != after[key]}
    if changes:
        audit_log(action="lost_reason.update", actor=actor, obj=reason, changes=changes)
    return reason


@transaction.atomic
def lost_reason_move(*, reason: LostReason, direction: str, actor) -> None:
    reasons = list(LostReason.objects.select_for_update().order_by("position", "id"))
    index = next(i for i, each in enumerate(reasons) if each.pk == reason.pk)
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(reasons):
        return
    reasons[index], reasons[target] = reasons[target], reasons[index]
    for position, each in enumerate(reasons):
        if each.position != position:
            LostReason.objects.filter(pk=each.pk).update(position=position)
    audit_log(
        action="lost_reason.reorder",
        actor=actor,
        obj=reason,
        changes={"direction": {"before": None, "after": direction}},
    )


@transaction.atomic
def lost_reason_delete(*, reason: LostReason, actor) -> None:
    """Deletes a reason from the list. Leads lost for it keep its name. "Other" cannot go."""
    if reason.is_other:
        raise ApplicationError(_("“Other” is always offered."))
    audit_log(action="lost_reason.delete", actor=actor, obj=reason)
    reason.delete()
