"""Lead reads: who sees which leads, search, filters, sorting, the lead detail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.contrib.postgres.search import SearchQuery
from django.db.models import QuerySet
from django.utils import timezone

from core.phones import digits
from core.text import words
from crm.models import SEARCH_VECTOR, Lead, Stage, Tag, TimelineEntry
from tenants.models import Membership, Role

SORTS = {
    "created": "created_at",
    "name": "first_name",
    "value": "expected_value",
    "stage": "stage__position",
    "last_contact": "last_contact_at",
    "next_action": "next_action_at",
}


def visible_leads(*, membership: Membership) -> QuerySet[Lead]:
    """Owners see every lead; sellers only their own. Other roles see none through these pages."""
    leads = Lead.objects.all()
    if membership.role == Role.OWNER:
        return leads
    if membership.role == Role.SELLER:
        return leads.filter(seller_id=membership.user_id)
    return leads.none()


def can_edit_lead(*, membership: Membership, lead: Lead) -> bool:
    return membership.role == Role.OWNER or (membership.role == Role.SELLER and lead.seller_id == membership.user_id)


def search_leads(leads: QuerySet[Lead], query: str) -> QuerySet[Lead]:
    """Name, email or company words by their beginning, accent- and case-insensitive ('nun' finds
    Núñez), or a phone in any format and any run of its digits ('612 34', '+34 612…', '0034…', '5678').
    Served by the GIN index on the lead's search vector."""
    query = (query or "").strip()
    if not query:
        return leads
    number = digits(query)
    if len(number) >= 3 and not any(char.isalpha() for char in query):
        # '0034 612…' (international prefix) and '06 12…' (national trunk 0) are stored without the zeros.
        national = number.lstrip("0")
        terms = [f"{number}:*"] if national == number or len(national) < 3 else [f"({number}:* | {national}:*)"]
    else:
        terms = [f"{word}:*" for word in words(query)]
    if not terms:
        return leads.none()
    # Terms are [a-z0-9] only (plus our own operators), so the raw query cannot be malformed.
    return leads.annotate(search_vector=SEARCH_VECTOR).filter(
        search_vector=SearchQuery(" & ".join(terms), search_type="raw", config="simple")
    )


@dataclass
class LeadFilters:
    search: str = ""
    stage_id: int | None = None
    seller_id: int | None = None  # 0 means "unassigned"
    source: str = ""
    tag_id: int | None = None
    score: str = ""
    created_from: date | None = None
    created_to: date | None = None
    sort: str = "-created"
    extra: dict = field(default_factory=dict)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _day_end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def filter_leads(leads: QuerySet[Lead], filters: LeadFilters) -> QuerySet[Lead]:
    leads = search_leads(leads, filters.search)
    if filters.stage_id:
        leads = leads.filter(stage_id=filters.stage_id)
    if filters.seller_id == 0:
        leads = leads.filter(seller__isnull=True)
    elif filters.seller_id:
        leads = leads.filter(seller_id=filters.seller_id)
    if filters.source:
        leads = leads.filter(source=filters.source)
    if filters.tag_id:
        leads = leads.filter(tags__id=filters.tag_id)
    if filters.score:
        leads = leads.filter(score=filters.score)
    if filters.created_from:
        leads = leads.filter(created_at__gte=_day_start(filters.created_from))
    if filters.created_to:
        leads = leads.filter(created_at__lte=_day_end(filters.created_to))
    return leads


def sort_leads(leads: QuerySet[Lead], sort: str) -> QuerySet[Lead]:
    descending = sort.startswith("-")
    column = SORTS.get(sort.lstrip("-"), "created_at")
    if descending:
        return leads.order_by(f"-{column}", "-id")
    return leads.order_by(column, "id")


def lead_list(*, membership: Membership, filters: LeadFilters) -> QuerySet[Lead]:
    """The list page's rows: visible, filtered, sorted, with what each row shows fetched up front."""
    leads = filter_leads(visible_leads(membership=membership), filters)
    return sort_leads(leads, filters.sort).select_related("stage", "seller").prefetch_related("tags")


def lead_detail(*, membership: Membership, lead_id: int) -> Lead | None:
    return (
        visible_leads(membership=membership)
        .select_related("stage", "seller")
        .prefetch_related("tags")
        .filter(pk=lead_id)
        .first()
    )


def merged_into(*, lead_id: int) -> int | None:
    """The id of the lead that `lead_id` was merged into, if it was."""
    from crm.models import LeadRedirect

    return LeadRedirect.objects.filter(old_id=lead_id).values_list("lead_id", flat=True).first()


def lead_timeline(*, lead: Lead) -> QuerySet[TimelineEntry]:
    return TimelineEntry.objects.filter(lead=lead).select_related("actor").order_by("-created_at", "-id")


def stages() -> list[Stage]:
    return list(Stage.objects.order_by("position", "id"))


def tags() -> QuerySet[Tag]:
    return Tag.objects.order_by("name")


def assignable_members(*, tenant) -> QuerySet[Membership]:
    """Who can own leads: active sellers and owners."""
    from tenants.selectors import active_members

    return active_members(tenant=tenant, roles=[Role.SELLER, Role.OWNER])


def quick_search(*, membership: Membership, query: str, limit: int = 8) -> list[Lead]:
    """The header's search: the first leads this person may see whose name, email, company or phone
    matches (search_leads), most recently changed first, in one query."""
    if not (query or "").strip():
        return []
    leads = search_leads(visible_leads(membership=membership), query).select_related("stage")
    return list(leads.order_by("-updated_at", "-id")[:limit])
