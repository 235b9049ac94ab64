"""Lead reads: who sees which leads, search, filters, sorting, the lead detail."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchQuery
from django.core.paginator import Paginator
from django.db.models import BigIntegerField, ExpressionWrapper, F, OuterRef, QuerySet, Sum, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import cached_property

from core.phones import digits
from core.text import words
from crm.models import Lead, PipelineRollup, Stage, Tag, TimelineEntry
from tenants.models import Membership, Role

# Each sort's column; every one has an index with the id after it (Lead.Meta.indexes), so a page walks an
# index instead of sorting every lead. "stage" sorts by the stage's position: see StageOrderedLeads.
SORTS = {
    "created": "created_at",
    "name": "first_name",
    "value": "expected_value",
    "stage": "stage__position",
    "last_contact": "last_contact_at",
    "next_action": "next_action_at",
}


def _held_by(leads: QuerySet[Lead], seller_id: int, *, searching: bool) -> QuerySet[Lead]:
    """Leads of one seller. Under a search, compared through an expression no index serves: PostgreSQL
    then checks the seller on the search's few hundred matches instead of intersecting them with the
    bitmap of the seller's 150,000 leads (60 ms at a million leads, against 1)."""
    if not searching:
        return leads.filter(seller_id=seller_id)
    holder = ExpressionWrapper(F("seller_id") + 0, output_field=BigIntegerField())
    return leads.alias(held_by=holder).filter(held_by=seller_id)


def visible_leads(*, membership: Membership, searching: bool = False) -> QuerySet[Lead]:
    """Owners see every lead; sellers only their own. Other roles see none through these pages.
    `searching`: the caller filters by a search too (see _held_by)."""
    leads = Lead.objects.all()
    if membership.role == Role.OWNER:
        return leads
    if membership.role == Role.SELLER:
        return _held_by(leads, membership.user_id, searching=searching)
    return leads.none()


def can_edit_lead(*, membership: Membership, lead: Lead) -> bool:
    return membership.role == Role.OWNER or (membership.role == Role.SELLER and lead.seller_id == membership.user_id)


def search_leads(leads: QuerySet[Lead], query: str) -> QuerySet[Lead]:
    """Name, email or company words by their beginning, accent- and case-insensitive ('nun' finds
    Núñez), or a phone in any format and any run of its digits ('612 34', '+34 612…', '0034…', '5678').
    Served by the GIN index on the lead's stored search vector."""
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
    return leads.filter(search_vector=SearchQuery(" & ".join(terms), search_type="raw", config="simple"))


def broad_search(query: str) -> bool:
    """A search whose every word is one or two letters or digits long ('m', 'ma r'): it matches a good part
    of any company's leads, whatever its size."""
    terms = words(query or "")
    return bool(terms) and all(len(term) <= 2 for term in terms)


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


def filter_leads(leads: QuerySet[Lead], filters: LeadFilters, *, dense: bool = False) -> QuerySet[Lead]:
    """`dense`: the search is known to match many leads (see lead_paginator)."""
    leads = search_leads(leads, filters.search)
    if filters.stage_id:
        leads = leads.filter(stage_id=filters.stage_id)
    if filters.seller_id == 0:
        leads = leads.filter(seller__isnull=True)
    elif filters.seller_id:
        leads = _held_by(leads, filters.seller_id, searching=bool(filters.search.strip()) and not dense)
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


def sort_leads(leads: QuerySet[Lead], sort: str, *, walk_index: bool = True) -> QuerySet[Lead]:
    """`walk_index=False` sorts by an expression no index serves (the same order): for a few hundred leads
    chosen by id, which PostgreSQL should fetch and sort rather than find by walking the column's index."""
    descending = sort.startswith("-")
    column = SORTS.get(sort.lstrip("-"), "created_at")
    if not walk_index:
        key = Coalesce(F(column), F(column))
        return leads.order_by(key.desc(), F("id").desc()) if descending else leads.order_by(key.asc(), F("id").asc())
    if descending:
        return leads.order_by(f"-{column}", "-id")
    return leads.order_by(column, "id")


def _matching(*, membership: Membership, filters: LeadFilters, dense: bool = False) -> QuerySet[Lead]:
    """`dense`: the search matches many leads, so the seller is compared through their index (_held_by):
    a page then walks the sort's index testing the seller and the search on each lead it passes, a few
    hundred of them, instead of reading every match of the search and sorting them (50 ms for a seller's
    one-letter search at 50,000 leads, 0.6 ms walking)."""
    searching = bool(filters.search.strip()) and not dense
    return filter_leads(visible_leads(membership=membership, searching=searching), filters, dense=dense)


def _rows(leads: QuerySet[Lead], sort: str, *, walk_index: bool = True) -> QuerySet[Lead]:
    return sort_leads(leads, sort, walk_index=walk_index).select_related("stage", "seller").prefetch_related("tags")


def lead_list(*, membership: Membership, filters: LeadFilters) -> QuerySet[Lead]:
    """The list page's rows: visible, filtered, sorted, with what each row shows fetched up front."""
    return _rows(_matching(membership=membership, filters=filters), filters.sort)


def pipeline_rollup_rows(*, membership: Membership, filters: LeadFilters):
    """The pipeline rollup rows that count exactly the leads `filters` selects for this person (a few
    rows, whatever the number of leads), or None when a search or a filter other than stage and seller
    narrows them: then the leads themselves must be counted."""
    if replace(filters, stage_id=None, seller_id=None, sort="") != LeadFilters(sort=""):
        return None
    rows = PipelineRollup.objects.order_by()
    if membership.role == Role.SELLER:
        rows = rows.filter(seller_id=membership.user_id)
    elif membership.role != Role.OWNER:
        return rows.none()
    if filters.seller_id == 0:
        rows = rows.filter(seller_id__isnull=True)
    elif filters.seller_id:
        rows = rows.filter(seller_id=filters.seller_id)
    if filters.stage_id:
        rows = rows.filter(stage_id=filters.stage_id)
    return rows


# A search or filter the rollup cannot count is counted up to this many matches: past it the list says
# "more than 1,000" and offers to narrow the search (its pages stop there too), so a search matching half
# of a million leads costs what one matching a thousand does.
COUNT_CAP = 1000


class CountedPaginator(Paginator):
    """A paginator told its count (from a rollup, or counted up to COUNT_CAP) instead of counting every
    row. `capped`: more rows match than `count` says (only the first `count` are paged)."""

    def __init__(self, object_list, per_page, *, count: int, capped: bool = False, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.known_count = count
        self.capped = capped

    @cached_property
    def count(self) -> int:
        return self.known_count


class StageOrderedLeads:
    """The leads in their stages' pipeline order, then by id, sliced a page at a time as one query: a
    UNION ALL of one part per stage (in position order), each ordered by id and limited to the page's end.
    PostgreSQL runs the parts in turn and stops once the page is full, each walking the (stage, id) index,
    so sorting by stage never sorts every lead (ordering by the joined stage's position would)."""

    ordered = True  # for the paginator

    def __init__(self, leads: QuerySet[Lead], *, stage_ids: list[int], descending: bool):
        self.leads = leads.order_by("-id" if descending else "id")
        self.stage_ids = list(reversed(stage_ids)) if descending else stage_ids

    def count(self) -> int:
        return self.leads.count()

    def __getitem__(self, key):
        if not isinstance(key, slice) or key.stop is None:
            raise TypeError("StageOrderedLeads is read a page (a bounded slice) at a time.")
        if not self.stage_ids:
            return []
        parts = [self.leads.filter(stage_id=stage_id)[: key.stop] for stage_id in self.stage_ids]
        rows = list(parts[0].union(*parts[1:], all=True)[key.start or 0 : key.stop])
        prefetch_related_objects(rows, "tags")
        return rows


def lead_paginator(*, membership: Membership, filters: LeadFilters, per_page: int) -> CountedPaginator:
    """The list's pages. Without a search or filter beyond stage and seller, the total is read from the
    pipeline rollup; otherwise the matches are counted up to COUNT_CAP. Each sort walks an index (or sorts
    at most COUNT_CAP matches), so page 1 of a million leads costs what page 1 of a thousand does, searched
    or not, whatever the sort."""
    matching = _matching(membership=membership, filters=filters)
    leads = _rows(matching, filters.sort)
    by_stage = filters.sort.lstrip("-") == "stage"
    stage_ids = (
        [stage.pk for stage in stages() if not filters.stage_id or stage.pk == filters.stage_id] if by_stage else []
    )
    rows = pipeline_rollup_rows(membership=membership, filters=filters)
    if rows is not None:
        count, capped = rows.aggregate(n=Sum("count"))["n"] or 0, False
    else:
        # The count is the ids of the first matches (up to COUNT_CAP + 1 of them), in the same one query.
        # A broad search ('m', 'ma') matches a good part of the leads: the seller is then compared through
        # their index, so PostgreSQL reads leads until it has enough (22 ms for a seller's 'ma' at a
        # million leads) instead of building the bitmap of every match to test the seller on (122 ms).
        counted = (
            _matching(membership=membership, filters=filters, dense=True) if broad_search(filters.search) else matching
        )
        first = list(counted.order_by().values_list("pk", flat=True)[: COUNT_CAP + 1])
        count, capped = min(len(first), COUNT_CAP), len(first) > COUNT_CAP
        if not capped:
            # At most COUNT_CAP leads match: the page is chosen among those ids (primary key lookups), and
            # sorting that many costs little. PostgreSQL would otherwise walk the sort's index testing the
            # search on every lead until the page is full: quick when matches are many, slow when rare.
            # (As a subquery, `IN (SELECT … LIMIT)`, the planner scans every lead against its hash.)
            page_rows = _rows(Lead.objects.filter(pk__in=first), filters.sort, walk_index=False)
            return CountedPaginator(page_rows, per_page, count=count)
        if filters.search.strip():
            # More than COUNT_CAP matches: dense enough that walking the sort's index finds a page quickly,
            # for a seller too (see _matching).
            leads = _rows(_matching(membership=membership, filters=filters, dense=True), filters.sort)
    if by_stage:
        leads = StageOrderedLeads(
            leads.select_related(None).select_related("stage", "seller").prefetch_related(None),
            stage_ids=stage_ids,
            descending=filters.sort.startswith("-"),
        )
    return CountedPaginator(leads, per_page, count=count, capped=capped)


def lead_detail(*, membership: Membership, lead_id: int) -> Lead | None:
    """The lead with its stage and people, and `tag_names` (its tags' names, by name): read in the lead's
    query, where prefetching the tags was a second query and about 2 ms of the ORM's time."""
    names = Tag.objects.filter(leads=OuterRef("pk")).order_by("name").values("name")
    return (
        visible_leads(membership=membership)
        .select_related("stage", "seller", "closed_seller")
        .annotate(tag_names=ArraySubquery(names))
        .filter(pk=lead_id)
        .first()
    )


def merged_into(*, lead_id: int) -> int | None:
    """The id of the lead that `lead_id` was merged into, if it was."""
    from crm.models import LeadRedirect

    return LeadRedirect.objects.filter(old_id=lead_id).values_list("lead_id", flat=True).first()


def lead_timeline(*, lead: Lead) -> QuerySet[TimelineEntry]:
    # No join to the actor: the history shows the name recorded with the entry (`actor_label`) and compares
    # `actor_id`, so the user rows were read for nothing.
    return TimelineEntry.objects.filter(lead=lead).order_by("-created_at", "-id")


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
