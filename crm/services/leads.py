"""Lead writes: create, update, move between stages, assign, bulk actions. Each is atomic, audited, written
to the lead's history, and announced live to the tenant's open boards after commit."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log, diff
from core.errors import ApplicationError
from core.phones import normalize_phone
from core.tenancy import current_tenant
from crm.models import AssignmentCursor, Lead, Stage, Tag, TimelineEntry
from crm.realtime import announce_lead
from crm.search import search_text_for
from crm.services.timeline import timeline_add

EDITABLE_FIELDS = (
    "first_name", "last_name", "email", "company", "source", "expected_value", "score", "score_reason",
    "language", "notes", "next_action", "next_action_at", "meta_campaign_id", "meta_adset_id", "meta_ad_id",
    "ad_headline", "ad_body", "click_id", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
    "expected_close",
)  # fmt: skip


class DuplicateLead(ApplicationError):
    """The phone belongs to another lead; `lead` is that lead, so the caller can link to it."""

    def __init__(self, lead: Lead):
        super().__init__(_("A lead with this phone already exists: %(name)s.") % {"name": lead}, extra={"lead": lead})
        self.lead = lead


def _tenant():
    return current_tenant()


def _region() -> str:
    return _tenant().country


def _refresh_search_text(lead: Lead) -> None:
    lead.search_text = search_text_for(
        first_name=lead.first_name, last_name=lead.last_name, email=lead.email, company=lead.company, phone=lead.phone
    )


def _active_seller_ids() -> list[int]:
    from tenants.models import Role
    from tenants.selectors import active_members

    return sorted(active_members(tenant=_tenant(), roles=[Role.SELLER]).values_list("user_id", flat=True))


def next_round_robin_seller_id() -> int | None:
    """The active seller after the one who got the previous lead (by user id, wrapping around). Locks the
    cursor row so two leads created at once go to different sellers."""
    sellers = _active_seller_ids()
    if not sellers:
        return None
    cursor = AssignmentCursor.objects.select_for_update().first() or AssignmentCursor.objects.create()
    following = [seller for seller in sellers if cursor.last_seller_id is None or seller > cursor.last_seller_id]
    chosen = following[0] if following else sellers[0]
    cursor.last_seller_id = chosen
    cursor.save(update_fields=["last_seller_id"])
    return chosen


def default_stage() -> Stage:
    stage = Stage.objects.filter(kind=Stage.Kind.OPEN).order_by("position", "id").first()
    if stage is None:
        raise ApplicationError(_("The pipeline has no open stage. Add one in the pipeline settings."))
    return stage


def validate_seller(seller_id: int | None) -> int | None:
    if seller_id is None:
        return None
    from tenants.models import Role
    from tenants.selectors import active_members

    if not active_members(tenant=_tenant(), roles=[Role.SELLER, Role.OWNER]).filter(user_id=seller_id).exists():
        raise ApplicationError(
            _("Leads can only be assigned to active sellers or owners of this company."), code="seller_inactive"
        )
    return seller_id


def find_by_phone(phone: str) -> Lead | None:
    return Lead.objects.filter(phone=phone).first()


@transaction.atomic
def lead_create(
    *,
    actor,
    phone: str,
    stage: Stage | None = None,
    seller_id: int | None = None,
    tags: list[str] | None = None,
    auto_assign: bool = True,
    announce: bool = True,
    **fields,
) -> Lead:
    """Creates a lead. The phone is normalised to E.164 with the tenant's country; a phone already in
    use raises DuplicateLead. Without a seller, the tenant's round-robin setting may pick one."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown lead fields: {', '.join(sorted(unknown))}")
    e164 = normalize_phone(phone, region=_region())
    existing = find_by_phone(e164)
    if existing is not None:
        raise DuplicateLead(existing)
    if seller_id is None and auto_assign and _tenant().lead_assignment == "round_robin":
        seller_id = next_round_robin_seller_id()
    lead = Lead(phone=e164, stage=stage or default_stage(), seller_id=validate_seller(seller_id), **fields)
    if lead.stage.is_closed:
        lead.closed_at = timezone.now()
        lead.closed_seller_id = lead.seller_id
    _refresh_search_text(lead)
    lead.full_clean(exclude=["stage", "tags", "phone"])
    lead.save()
    if tags:
        lead.tags.set(_tags(tags))
    timeline_add(
        lead=lead,
        kind=TimelineEntry.Kind.CREATED,
        actor=actor,
        data={"source": lead.source, "stage": lead.stage.display_name, "stage_id": lead.stage_id},
    )
    audit_log(action="lead.create", actor=actor, obj=lead)
    if announce:
        announce_lead(lead=lead, event="LEAD_CREATED")
    return lead


def _tags(names: list[str]) -> list[Tag]:
    clean = sorted({name.strip()[:40] for name in names if name and name.strip()}, key=str.lower)
    tags = []
    for name in clean:
        tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
        tags.append(tag)
    return tags


@transaction.atomic
def lead_update(*, lead: Lead, actor, phone: str | None = None, tags: list[str] | None = None, **fields) -> Lead:
    """Edits a lead's facts (not stage or seller: see lead_move and lead_assign). Audits the changed fields."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown lead fields: {', '.join(sorted(unknown))}")
    before = {name: getattr(lead, name) for name in fields}
    after = dict(fields)
    if phone is not None:
        e164 = normalize_phone(phone, region=_region())
        if e164 != lead.phone:
            other = Lead.objects.filter(phone=e164).exclude(pk=lead.pk).first()
            if other is not None:
                raise DuplicateLead(other)
            before["phone"], after["phone"] = lead.phone, e164
    for name, value in after.items():
        setattr(lead, name, value)
    _refresh_search_text(lead)
    lead.full_clean(exclude=["stage", "tags"])
    lead.save()
    changes = diff(before, after)
    if tags is not None:
        old = sorted(lead.tags.values_list("name", flat=True), key=str.lower)
        new_tags = _tags(tags)
        lead.tags.set(new_tags)
        new = [tag.name for tag in new_tags]
        if old != new:
            changes["tags"] = {"before": ", ".join(old), "after": ", ".join(new)}
    if changes:
        timeline_add(lead=lead, kind=TimelineEntry.Kind.UPDATE, actor=actor, data={"fields": sorted(changes)})
        audit_log(action="lead.update", actor=actor, obj=lead, changes=changes)
        announce_lead(lead=lead, event="LEAD_UPDATED")
    return lead


@transaction.atomic
def lead_move(*, lead: Lead, stage: Stage, actor, lost_reason: str = "", lost_note: str = "") -> Lead:
    """Moves a lead to another stage. Moving to a lost stage needs a reason from the company's list (see
    crm.services.lost_reasons: free text becomes "Other" with it as the note). Writes the history, the
    audit log, and announces LEAD_MOVED to every open board of the tenant."""
    from crm.services.lost_reasons import lost_reason_resolve

    lead = Lead.objects.select_for_update().select_related("stage").get(pk=lead.pk)
    if stage.pk == lead.stage_id:
        return lead
    reason, note = ("", "")
    if stage.kind == Stage.Kind.LOST:
        reason, note = lost_reason_resolve(reason=lost_reason, note=lost_note)
    previous = lead.stage
    now = timezone.now()
    # How long the lead stayed in the stage it leaves: the analytics' average days per stage.
    seconds_in_stage = max(0, int((now - lead.stage_changed_at).total_seconds())) if lead.stage_changed_at else None
    # What an undo puts back (crm.services.board.lead_move_undo).
    before = {
        "since": lead.stage_changed_at.isoformat(),
        "closed_at": lead.closed_at.isoformat() if lead.closed_at else None,
        "lost_reason": lead.lost_reason,
        "lost_note": lead.lost_note,
        "closed_seller_id": lead.closed_seller_id,
        "closed_from_stage_id": lead.closed_from_stage_id,
    }
    lead.stage = stage
    lead.stage_changed_at = now
    # Who closes the deal is recorded now, so reassigning it later does not move its revenue (see Lead).
    if stage.is_closed:
        lead.closed_at, lead.closed_seller_id = now, lead.seller_id
        lead.closed_from_stage = previous if not previous.is_closed else lead.closed_from_stage
    else:
        lead.closed_at, lead.closed_seller_id, lead.closed_from_stage = None, None, None
    lead.lost_reason, lead.lost_note = reason, note
    lead.save(
        update_fields=[
            "stage", "stage_changed_at", "closed_at", "closed_seller", "closed_from_stage", "lost_reason",
            "lost_note", "updated_at",
        ]
    )  # fmt: skip
    data = {"from": previous.display_name, "to": stage.display_name, "from_id": previous.pk, "to_id": stage.pk}
    if seconds_in_stage is not None:
        data["seconds"] = seconds_in_stage
    data["before"] = before
    if reason:
        data["lost_reason"] = reason
    if note:
        data["lost_note"] = note
    body = f"{reason} — {note}" if note else reason
    timeline_add(lead=lead, kind=TimelineEntry.Kind.STAGE, actor=actor, body=body, data=data)
    audit_log(
        action="lead.move",
        actor=actor,
        obj=lead,
        changes={"stage": {"before": previous.display_name, "after": stage.display_name}},
    )
    announce_lead(lead=lead, event="LEAD_MOVED", stage_ids=[previous.pk, stage.pk])
    return lead


@transaction.atomic
def lead_assign(*, lead: Lead, seller_id: int | None, actor) -> Lead:
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.seller_id == seller_id:
        return lead
    validate_seller(seller_id)
    from tenants.models import User

    names = dict(
        User.objects.filter(pk__in=[i for i in (lead.seller_id, seller_id) if i]).values_list("pk", "full_name")
    )
    previous_id = lead.seller_id
    lead.seller_id = seller_id
    lead.save(update_fields=["seller", "updated_at"])
    data = {
        "from": names.get(previous_id, ""),
        "to": names.get(seller_id, ""),
        "from_id": previous_id,
        "to_id": seller_id,
    }
    timeline_add(lead=lead, kind=TimelineEntry.Kind.ASSIGNMENT, actor=actor, data=data)
    audit_log(
        action="lead.assign", actor=actor, obj=lead, changes={"seller": {"before": data["from"], "after": data["to"]}}
    )
    announce_lead(lead=lead, event="LEAD_UPDATED", extra_user_ids=[previous_id] if previous_id else None)
    return lead


@dataclass(frozen=True)
class BulkResult:
    changed: int
    skipped: int


@transaction.atomic
def leads_bulk_assign(*, leads, seller_id: int | None, actor) -> BulkResult:
    changed = skipped = 0
    validate_seller(seller_id)
    for lead in leads:
        if lead.seller_id == seller_id:
            skipped += 1
            continue
        lead_assign(lead=lead, seller_id=seller_id, actor=actor)
        changed += 1
    return BulkResult(changed, skipped)


@transaction.atomic
def leads_bulk_move(*, leads, stage: Stage, actor, lost_reason: str = "", lost_note: str = "") -> BulkResult:
    if stage.kind == Stage.Kind.LOST and not (lost_reason or "").strip():
        raise ApplicationError(_("Say why the leads were lost."), code="lost_reason_missing")
    changed = skipped = 0
    for lead in leads:
        if lead.stage_id == stage.pk:
            skipped += 1
            continue
        lead_move(lead=lead, stage=stage, actor=actor, lost_reason=lost_reason, lost_note=lost_note)
        changed += 1
    return BulkResult(changed, skipped)


@transaction.atomic
def leads_bulk_tag(*, leads, tag: str, actor) -> BulkResult:
    tags = _tags([tag])
    if not tags:
        raise ApplicationError(_("Type a tag."), code="tag_empty")
    changed = skipped = 0
    for lead in leads:
        if lead.tags.filter(pk=tags[0].pk).exists():
            skipped += 1
            continue
        lead.tags.add(tags[0])
        timeline_add(
            lead=lead, kind=TimelineEntry.Kind.UPDATE, actor=actor, data={"fields": ["tags"], "added_tag": tags[0].name}
        )
        audit_log(action="lead.tag", actor=actor, obj=lead, changes={"tags": {"before": None, "after": tags[0].name}})
        changed += 1
    return BulkResult(changed, skipped)
