"""Lead list writes: saved views, the columns a person chose, and removing a tag in bulk."""

from __future__ import annotations

from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import ApplicationError
from crm.models import ListPreference, SavedView, Tag, TimelineEntry
from crm.services.leads import BulkResult
from crm.services.timeline import timeline_add
from tenants.models import Role

# The list's optional columns, in their order (the name is always shown).
LIST_COLUMNS = ("phone", "stage", "seller", "source", "score", "next_step", "value", "last_contact", "created")
# What a saved view keeps of the list's query string (not the page: a view starts on the first one).
VIEW_PARAMS = ("q", "stage", "seller", "source", "tag", "score", "created_from", "created_to", "sort")


def clean_view_query(query: str) -> str:
    """The filters of a list URL's query string, without the page or anything unknown."""
    parsed = QueryDict(query or "")
    kept = QueryDict(mutable=True)
    for name in VIEW_PARAMS:
        value = (parsed.get(name) or "").strip()
        if value:
            kept[name] = value[:100]
    return kept.urlencode()[:1000]


@transaction.atomic
def saved_view_create(*, membership, name: str, query: str, shared: bool = False) -> SavedView:
    """Saves the list's filters under a name, for its author; only owners share a view with everyone."""
    name = (name or "").strip()[:60]
    if not name:
        raise ApplicationError(_("Give the view a name."))
    view = SavedView.objects.create(
        name=name,
        query=clean_view_query(query),
        user_id=membership.user_id,
        shared=bool(shared) and membership.role == Role.OWNER,
    )
    audit_log(action="view.create", actor=membership.user, obj=view)
    return view


@transaction.atomic
def saved_view_delete(*, view: SavedView, membership) -> None:
    if view.user_id != membership.user_id and not (view.shared and membership.role == Role.OWNER):
        raise ApplicationError(_("Only its author or an owner can delete this view."))
    audit_log(action="view.delete", actor=membership.user, obj=view)
    view.delete()


def list_columns_set(*, user, columns: list[str]) -> list[str]:
    """Remembers the list's columns for this person (unknown names are dropped, the order is the list's)."""
    chosen = [name for name in LIST_COLUMNS if name in set(columns)]
    ListPreference.objects.update_or_create(user=user, defaults={"columns": chosen})
    return chosen


@transaction.atomic
def leads_bulk_untag(*, leads, tag: str, actor) -> BulkResult:
    """Removes a tag (matched case-insensitively) from the leads that have it; history and audit per lead."""
    found = Tag.objects.filter(name__iexact=(tag or "").strip()).first()
    if found is None:
        name = (tag or "").strip()
        raise ApplicationError(
            _("No lead has the tag “%(name)s”.") % {"name": name}, code="tag_unknown", extra={"name": name}
        )
    changed = skipped = 0
    tagged = set(found.leads.filter(pk__in=[lead.pk for lead in leads]).values_list("pk", flat=True))
    for lead in leads:
        if lead.pk not in tagged:
            skipped += 1
            continue
        lead.tags.remove(found)
        timeline_add(
            lead=lead,
            kind=TimelineEntry.Kind.UPDATE,
            actor=actor,
            data={"fields": ["tags"], "removed_tag": found.name},
        )
        audit_log(action="lead.untag", actor=actor, obj=lead, changes={"tags": {"before": found.name, "after": None}})
        changed += 1
    return BulkResult(changed, skipped)
