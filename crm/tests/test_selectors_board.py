from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import Lead
from crm.selectors.board import column_cards, pipeline_board
from crm.selectors.leads import LeadFilters
from crm.tests.factories import LeadFactory, stage
from tenants.models import Role

pytestmark = pytest.mark.django_db


def _summary(board):
    return [(column.stage.key, column.count, column.total) for column in board.columns]


def test_columns_count_and_sum_every_stage_exactly(tenant, owner, seller):
    LeadFactory(stage=stage("new"), expected_value=Decimal("100.50"), seller=seller.user)
    LeadFactory(stage=stage("new"), expected_value=Decimal("200.25"))
    LeadFactory(stage=stage("negotiation"), expected_value=Decimal("5000"))
    LeadFactory(stage=stage("won"), expected_value=Decimal("0"))

    board = pipeline_board(membership=owner, filters=LeadFilters())

    assert _summary(board) == [
        ("new", 2, Decimal("300.75")),
        ("contacted", 0, Decimal("0")),
        ("interested", 0, Decimal("0")),
        ("negotiation", 1, Decimal("5000.00")),
        ("won", 1, Decimal("0.00")),
        ("lost", 0, Decimal("0")),
    ]
    assert board.total_count == 4


def test_seller_sees_only_own_cards_counts_and_sums(tenant, make_member, acme):
    mine = make_member(acme, Role.SELLER)
    other = make_member(acme, Role.SELLER)
    own = LeadFactory(stage=stage("new"), expected_value=Decimal("10"), seller=mine.user)
    LeadFactory(stage=stage("new"), expected_value=Decimal("99"), seller=other.user)
    LeadFactory(stage=stage("new"), expected_value=Decimal("7"))

    board = pipeline_board(membership=mine, filters=LeadFilters())

    new_column = board.columns[0]
    assert [lead.pk for lead in new_column.cards] == [own.pk]
    assert (new_column.count, new_column.total) == (1, Decimal("10.00"))
    assert board.total_count == 1


def test_cards_are_newest_in_stage_first_and_limited_per_column(tenant, owner):
    now = timezone.now()
    leads = [LeadFactory(stage=stage("contacted")) for _ in range(4)]
    for age, lead in enumerate(leads):
        Lead.objects.filter(pk=lead.pk).update(stage_changed_at=now - timedelta(hours=age))

    board = pipeline_board(membership=owner, filters=LeadFilters(), per_column=3)

    column = board.columns[1]
    assert [lead.pk for lead in column.cards] == [leads[0].pk, leads[1].pk, leads[2].pk]
    assert column.count == 4
    assert column.has_more is True
    more = column_cards(membership=owner, filters=LeadFilters(), stage=stage("contacted"), offset=3)
    assert [lead.pk for lead in more] == [leads[3].pk]


def test_filters_and_stage_selection_apply_to_counts_too(tenant, owner):
    LeadFactory(stage=stage("new"), source=Lead.Source.WEBSITE, company="Zeta Corp", expected_value=Decimal("5"))
    LeadFactory(stage=stage("new"), source=Lead.Source.REFERRAL, company="Zeta Labs", expected_value=Decimal("7"))
    LeadFactory(stage=stage("won"), source=Lead.Source.WEBSITE, company="Other", expected_value=Decimal("9"))

    board = pipeline_board(
        membership=owner,
        filters=LeadFilters(search="zeta", source=Lead.Source.WEBSITE),
        stage_ids=[stage("new").pk, stage("won").pk],
    )

    assert _summary(board) == [("new", 1, Decimal("5.00")), ("won", 0, Decimal("0"))]


def _queries_for_board(owner) -> int:
    with CaptureQueriesContext(connection) as queries:
        board = pipeline_board(membership=owner, filters=LeadFilters(search="a"))
        for column in board.columns:
            for lead in column.cards:
                str(lead.seller)
    return len(queries)


def test_query_count_does_not_grow_with_the_number_of_leads(tenant, owner, seller):
    keys = ["new", "contacted", "interested", "negotiation", "won", "lost"]
    for n in range(5):
        LeadFactory(stage=stage(keys[n % 6]), seller=seller.user, first_name="Ana")
    with_five = _queries_for_board(owner)

    for n in range(55):
        LeadFactory(stage=stage(keys[n % 6]), seller=seller.user, first_name="Ana")
    with_sixty = _queries_for_board(owner)

    assert Lead.objects.count() == 60
    assert with_five == with_sixty == 3


def test_a_search_counts_each_column_up_to_the_cap(english, tenant, owner, seller, client_for, monkeypatch):
    """A column with more matches than the cap says so ("2+") and shows no sum; the others are exact."""
    from crm.selectors import board as board_selectors

    monkeypatch.setattr(board_selectors, "COUNT_CAP", 2)
    for value in ("1", "2", "3"):
        LeadFactory(stage=stage("new"), last_name="Quixote", seller=seller.user, expected_value=Decimal(value))
    LeadFactory(stage=stage("won"), last_name="Quixote", seller=seller.user, expected_value=Decimal("40"))
    LeadFactory(stage=stage("won"), last_name="Other", expected_value=Decimal("500"))

    for membership in (owner, seller):
        board = pipeline_board(membership=membership, filters=LeadFilters(search="quixote"), per_column=10)
        columns = {column.stage.key: column for column in board.columns}
        assert (columns["new"].count, columns["new"].capped, columns["new"].total) == (2, True, None)
        assert len(columns["new"].cards) == 3  # the cards are not capped
        assert (columns["won"].count, columns["won"].capped, columns["won"].total) == (1, False, Decimal("40.00"))
        assert (columns["contacted"].count, columns["contacted"].capped) == (0, False)

    body = client_for(owner).get("/pipeline/", {"q": "quixote"}).content.decode()
    assert "data-capped>2+</span>" in body
