"""Merging two leads of the same person, and deleting a lead. Owners only (the views check); both atomic,
audited, and announced to the open boards.

A merge keeps one lead (`keep`) and folds the other (`remove`) into it: every history entry, document
and row of other apps moves to the kept lead, tags are joined, empty facts and an empty attribution are
filled from the other lead, and the other lead's id becomes a redirect to the kept one. Apps hook in
through crm.lead_hooks."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import ApplicationError
from core.tenancy import check_tenant
from crm.lead_hooks import run_lead_handlers
from crm.models import Lead, LeadDocument, LeadRedirect, TimelineEntry
from crm.public import ATTRIBUTION_FIELDS
from crm.realtime import announce_lead
from crm.services.leads import _refresh_search_text
from crm.services.timeline import timeline_add

# Facts the kept lead takes from the other one when it has none.
FILLED_FIELDS = (
    "first_name", "last_name", "email", "company", "score", "score_reason", "language", "next_action",
    "next_action_at", "seller_id",
)  # fmt: skip


@dataclass(frozen=True)
class MergePlan:
    """What the kept lead will look like: {field: value} of what changes, and the tags it ends with."""

    changes: dict
    tags: list[str]


def merge_plan(*, keep: Lead, remove: Lead) -> MergePlan:
    """The kept lead's facts after the merge (no writes): its own where it has them, the other's where it
    has none; the other's attribution only if it has none at all; the longer of the two summaries joined;
    the earliest creation and the latest contact; the higher value when its own is zero."""
    changes = {}
    for name in FILLED_FIELDS:
        if not getattr(keep, name) and getattr(remove, name):
            changes[name] = getattr(remove, name)
    if not any(getattr(keep, name) for name in ATTRIBUTION_FIELDS):
        changes.update({name: getattr(remove, name) for name in ATTRIBUTION_FIELDS if getattr(remove, name)})
    if remove.notes and remove.notes not in keep.notes:
        changes["notes"] = f"{keep.notes}\n\n{remove.notes}".strip()
    if not keep.expected_value and remove.expected_value:
        changes["expected_value"] = remove.expected_value
    if remove.created_at and keep.created_at and remove.created_at < keep.created_at:
        changes["created_at"] = remove.created_at
    if remove.last_contact_at and (not keep.last_contact_at or remove.last_contact_at > keep.last_contact_at):
        changes["last_contact_at"] = remove.last_contact_at
    tags = sorted({*keep.tags.values_list("name", flat=True), *remove.tags.values_list("name", flat=True)})
    return MergePlan(changes=changes, tags=tags)


def _move_rows(remove: Lead, keep: Lead) -> None:
    """Every row that points at `remove` with a foreign key (history, documents, redirects, other apps'
    rows their handlers left) now points at `keep`."""
    for relation in Lead._meta.related_objects:
        if not relation.one_to_many:
            continue  # one-to-one rows cannot be moved onto a lead that may have one: the app's handler decides
        relation.related_model._base_manager.filter(**{relation.field.name: remove}).update(
            **{relation.field.name: keep}
        )


@transaction.atomic
def lead_merge(*, tenant, keep: Lead, remove: Lead, actor) -> Lead:
    """Folds `remove` into `keep` (see the module) and returns the kept lead. Raises ApplicationError when
    they are the same lead or either was already merged or erased."""
    check_tenant(tenant)
    if keep.pk == remove.pk:
        raise ApplicationError(_("Choose two different leads to merge."))
    locked = {lead.pk: lead for lead in Lead.objects.select_for_update().filter(pk__in=[keep.pk, remove.pk])}
    if len(locked) != 2:
        raise ApplicationError(_("One of these leads no longer exists."))
    keep, remove = locked[keep.pk], locked[remove.pk]
    if keep.erased_at or remove.erased_at:
        raise ApplicationError(_("A lead whose personal data was erased cannot be merged."))
    plan = merge_plan(keep=keep, remove=remove)
    run_lead_handlers("merge", tenant=tenant, source=remove, target=keep, actor=actor)
    _move_rows(remove, keep)
    for name, value in plan.changes.items():
        setattr(keep, name, value)
    _refresh_search_text(keep)
    keep.save()
    keep.tags.add(*remove.tags.all())
    removed = {"id": remove.pk, "name": str(remove), "phone": remove.phone, "stage_id": remove.stage_id}
    timeline_add(
        lead=keep,
        kind="merge",
        actor=actor,
        data={
            "merged_id": remove.pk,
            "name": removed["name"],
            "phone": removed["phone"],
            "fields": sorted(plan.changes),
        },
    )
    audit_log(
        action="lead.merge",
        actor=actor,
        obj=keep,
        changes={
            "merged": {"before": f"#{remove.pk} {removed['name']}", "after": None},
            "filled": {"before": None, "after": ", ".join(sorted(plan.changes))},
        },
    )
    remove_stage, seller_id = remove.stage_id, remove.seller_id
    remove.delete()
    LeadRedirect.objects.create(old_id=removed["id"], lead=keep)
    announce_lead(
        lead=keep,
        event="LEAD_MERGED",
        stage_ids=sorted({keep.stage_id, remove_stage}),
        extra_user_ids=[seller_id] if seller_id else None,
    )
    return keep


@transaction.atomic
def lead_delete(*, tenant, lead: Lead, actor) -> None:
    """Deletes the lead with its history and documents (their files once committed), audited with its
    name. Other apps clean up through their `delete` handler."""
    check_tenant(tenant)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    run_lead_handlers("delete", tenant=tenant, lead=lead, actor=actor)
    files = list(LeadDocument.objects.filter(lead=lead).values_list("file", flat=True))
    counts = {
        "history": TimelineEntry.objects.filter(lead=lead).count(),
        "documents": len(files),
    }
    audit_log(
        action="lead.delete",
        actor=actor,
        obj=lead,
        changes={name: {"before": value, "after": None} for name, value in counts.items()},
    )
    stage_id, seller_id, pk = lead.stage_id, lead.seller_id, lead.pk
    lead.delete()
    lead.pk = pk
    storage = LeadDocument.file.field.storage
    transaction.on_commit(lambda: [storage.delete(name) for name in files if name])
    extra = [seller_id] if seller_id else None
    announce_lead(lead=lead, event="LEAD_DELETED", stage_ids=[stage_id], extra_user_ids=extra)
