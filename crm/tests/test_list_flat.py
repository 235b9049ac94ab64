"""The lead list stays flat with the number of leads (issue 7, Speed): a search is counted up to a cap, and
every sort walks an index (the stage sort through one UNION ALL part per stage) instead of sorting every
visible lead."""

import re
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from crm.models import Lead
from crm.selectors import leads as lead_selectors
from crm.selectors.leads import LeadFilters, lead_paginator
from crm.tests.factories import LeadFactory, stage
from tenants.models import Role

pytestmark = pytest.mark.django_db

SORTS = ["created", "name", "value", "stage", "last_contact", "next_action"]


def _page_rows(paginator, number: int) -> list[int]:
    return [lead.pk for lead in paginator.page(number).object_list]


def test_a_search_is_counted_up_to_the_cap_and_says_so(english, tenant, owner, client_for, monkeypatch):
    monkeypatch.setattr(lead_selectors, "COUNT_CAP", 5)
    LeadFactory.create_batch(7, last_name="Quixote")
    LeadFactory.create_batch(4, last_name="Sancho")

    many = lead_paginator(membership=owner, filters=LeadFilters(search="quixote"), per_page=2)
    few = lead_paginator(membership=owner, filters=LeadFilters(search="sancho"), per_page=2)

    assert (many.count, many.capped, many.num_pages) == (5, True, 3)
    assert (few.count, few.capped) == (4, False)
    body = client_for(owner).get("/leads/", {"q": "quixote"}).content.decode()
    assert "More than 5 leads: narrow the search or the filters to see them all." in body
    assert "Select every lead matching these filters (more than 5)" in body
    assert "4 leads" in client_for(owner).get("/leads/", {"q": "sancho"}).content.decode()


def test_a_capped_search_still_acts_on_every_match_with_its_true_count(english, tenant, owner, client_for, monkeypatch):
    monkeypatch.setattr(lead_selectors, "COUNT_CAP", 5)
    LeadFactory.create_batch(7, last_name="Quixote")

    response = client_for(owner).post(
        "/leads/bulk/",
        {"all_matching": "1", "filters": "q=quixote", "action": "tag", "tag": "knight", "next": "/leads/"},
        HTTP_HX_REQUEST="true",
    )

    assert "Tag 7 leads with “knight”?" in response.content.decode()


@pytest.mark.parametrize("sort", ["name", "-created", "stage"])
def test_a_capped_search_pages_only_the_sellers_own_matches(tenant, owner, seller, make_member, sort, monkeypatch):
    """Past the cap the seller is compared through their index (the matches are dense): still only theirs,
    for the seller and for an owner filtering by that seller."""
    monkeypatch.setattr(lead_selectors, "COUNT_CAP", 2)
    other = make_member(tenant, Role.SELLER, full_name="Other")
    batch = LeadFactory.create_batch(3, first_name="Zoe", last_name="Quixote", stage=stage("won"), seller=seller.user)
    mine = {lead.pk for lead in batch}
    # Another seller's matches come first in every sort tried (name, newest, stage): a page that ignored the
    # seller would show them.
    LeadFactory.create_batch(3, first_name="Abel", last_name="Quixote", stage=stage("new"), seller=other.user)
    LeadFactory(last_name="Sancho", seller=seller.user)

    as_seller = lead_paginator(membership=seller, filters=LeadFilters(search="quix", sort=sort), per_page=50)
    filtered = lead_paginator(
        membership=owner, filters=LeadFilters(search="quix", seller_id=seller.user_id, sort=sort), per_page=50
    )

    assert as_seller.capped
    assert filtered.capped
    assert len(_page_rows(as_seller, 1)) == 2
    assert set(_page_rows(as_seller, 1)) <= mine
    assert len(_page_rows(filtered, 1)) == 2
    assert set(_page_rows(filtered, 1)) <= mine


@pytest.mark.parametrize("sort", [*SORTS, *(f"-{sort}" for sort in SORTS)])
def test_every_sort_pages_in_the_same_order_as_sorting_everything(tenant, owner, make_member, sort):
    ana = make_member(tenant, Role.SELLER, full_name="Ana")
    keys = ["new", "won", "contacted", "negotiation", "new", "lost", "contacted", "new"]
    for n, key in enumerate(keys):
        LeadFactory(
            last_name="Quixote",
            first_name=f"Q{n % 3}",
            stage=stage(key),
            seller_id=ana.user_id if n % 2 else None,
            expected_value=Decimal(n % 4),
        )
    for membership in (owner, ana):
        filters = LeadFilters(search="quixote", sort=sort)
        expected = [lead.pk for lead in lead_selectors.lead_list(membership=membership, filters=filters)]
        paginator = lead_paginator(membership=membership, filters=filters, per_page=3)
        paged = [pk for number in paginator.page_range for pk in _page_rows(paginator, number)]
        assert paged == expected, (membership.role, sort)
    assert len(expected) == 4  # Ana's


def test_the_stage_sort_follows_the_stages_positions_and_a_stage_filter(tenant, owner):
    made = {key: LeadFactory(last_name="Quixote", stage=stage(key)) for key in ("won", "new", "negotiation")}

    ascending = lead_paginator(membership=owner, filters=LeadFilters(search="quixote", sort="stage"), per_page=10)
    descending = lead_paginator(membership=owner, filters=LeadFilters(search="quixote", sort="-stage"), per_page=10)
    only_new = lead_paginator(
        membership=owner, filters=LeadFilters(search="quixote", sort="stage", stage_id=stage("new").pk), per_page=10
    )

    order = [made["new"].pk, made["negotiation"].pk, made["won"].pk]
    assert _page_rows(ascending, 1) == order
    assert _page_rows(descending, 1) == order[::-1]
    assert _page_rows(only_new, 1) == [made["new"].pk]
    assert [tag for lead in ascending.page(1).object_list for tag in lead.tags.all()] == []  # prefetched


def _plan(sql: str) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        # Only an index can give the order now: a plan that still sorts the leads would show a Sort node.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def _page_sql(paginator) -> str:
    with CaptureQueriesContext(connection) as queries:
        list(paginator.page(1).object_list)
    return next(query["sql"] for query in queries if 'FROM "crm_lead"' in query["sql"])


@pytest.mark.parametrize("sort", [*SORTS, *(f"-{sort}" for sort in SORTS)])
@pytest.mark.parametrize("search", ["", "quixote"])
def test_each_sort_walks_an_index_instead_of_sorting_the_leads(tenant, owner, seller, sort, search, monkeypatch):
    """Unfiltered (counted by the rollup) or searched with more matches than the cap: the page walks an
    index in the sort's order."""
    monkeypatch.setattr(lead_selectors, "COUNT_CAP", 2)
    LeadFactory.create_batch(3, last_name="Quixote", seller=seller.user)
    for membership in (owner, seller):
        paginator = lead_paginator(membership=membership, filters=LeadFilters(search=search, sort=sort), per_page=50)
        assert search == "" or paginator.capped
        plan = _plan(_page_sql(paginator))
        # A full sort shows as a "Sort" node; an index walk needs none (created_at ties: an incremental one).
        assert not re.search(r"(^|->)\s*Sort\s+\(", plan, re.MULTILINE), (membership.role, sort, plan)
        assert "Seq Scan on crm_lead" not in plan


@pytest.mark.parametrize("sort", ["-created", "-stage", "name", "-value", "last_contact"])
def test_fewer_matches_than_the_cap_are_paged_among_themselves(tenant, owner, seller, sort):
    """Rare matches: the page is chosen among the ids of the at most COUNT_CAP leads the search found (the
    count's own query), by primary key, not by walking a sort index and testing every lead on the way."""
    made = LeadFactory.create_batch(3, last_name="Quixote", seller=seller.user)
    for membership in (owner, seller):
        paginator = lead_paginator(membership=membership, filters=LeadFilters(search="quixote", sort=sort), per_page=2)
        sql = _page_sql(paginator)
        assert (paginator.count, paginator.capped) == (3, False)
        ids = sorted(int(pk) for pk in re.search(r'"crm_lead"\."id" IN \(([\d, ]+)\)', sql).group(1).split(","))
        assert ids == sorted(lead.pk for lead in made)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        # The leads are fetched by id and sorted, never found by walking a sort index and testing every
        # lead's id on the way: the order is an expression no index serves.
        assert "Sort Key: (COALESCE(" in plan, plan
        assert "Seq Scan on crm_lead" not in plan, plan


@pytest.mark.parametrize("sort", ["-created", "name", "-value", "stage", "next_action"])
def test_list_queries_with_a_search_and_any_sort_do_not_grow_with_the_matches(
    tenant, owner, seller, client_for, monkeypatch, sort
):
    monkeypatch.setattr(lead_selectors, "COUNT_CAP", 20)

    def count(membership) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client_for(membership).get("/leads/", {"q": "quixote", "sort": sort}).status_code == 200
        return len(queries)

    LeadFactory.create_batch(3, last_name="Quixote", seller=seller.user)
    few = count(owner), count(seller)
    LeadFactory.create_batch(60, last_name="Quixote", seller=seller.user)
    assert (count(owner), count(seller)) == few
    assert Lead.objects.filter(last_name="Quixote").count() == 63


@pytest.mark.parametrize(("search", "broad"), [("q", True), ("qu x", True), ("quix", False), ("612", False)])
def test_a_sellers_broad_search_is_counted_through_the_sellers_index(tenant, owner, seller, make_member, search,
                                                                     broad):  # fmt: skip
    """A one- or two-letter search matches a good part of the leads: its count compares the seller directly
    (PostgreSQL reads leads until it has enough) instead of through the expression that makes it test the
    seller on every match; longer searches keep the expression. Either way only the seller's leads count."""
    other = make_member(tenant, Role.SELLER, full_name="Other")
    for n, holder in enumerate([seller, seller, other, other, other]):
        LeadFactory(first_name="Quixote", last_name="Xu", phone=f"+3461200000{n}", seller=holder.user)

    with CaptureQueriesContext(connection) as queries:
        paginator = lead_paginator(membership=seller, filters=LeadFilters(search=search), per_page=50)
    count_sql = next(q["sql"] for q in queries.captured_queries if "LIMIT 1001" in q["sql"])

    assert lead_selectors.broad_search(search) is broad
    assert paginator.count == 2
    assert ('"seller_id" + 0' not in count_sql) is broad
