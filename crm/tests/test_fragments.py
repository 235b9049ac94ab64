"""The list's rows and the board's cards written in Python (crm.fragments): every value escaped as the
template engine would, labels in the reader's language, the same card on the board and in the columns
re-fetched on live events."""

import pytest

from crm.models import Stage
from crm.tests.factories import LeadFactory, stage
from tenants.models import Role, Tenant

pytestmark = pytest.mark.django_db

NASTY = '<b>"Bo" & Co</b>'


def test_list_rows_escape_every_value(tenant, owner, client_for, english):
    lead = LeadFactory(
        first_name=NASTY, last_name="", company=NASTY, next_action=NASTY, score_reason=NASTY, score="hot"
    )

    body = client_for(owner).get("/leads/").content.decode()

    escaped = "&lt;b&gt;&quot;Bo&quot; &amp; Co&lt;/b&gt;"
    assert "<b>" not in body
    assert f'aria-label="Select {escaped}"' in body
    assert f'<a href="/leads/{lead.pk}/">{escaped}</a>' in body
    assert f'<div class="small muted">{escaped}</div>' in body
    assert f'title="{escaped}">Hot</span>' in body


def test_board_cards_escape_every_value(tenant, owner, client_for, english):
    lead = LeadFactory(first_name=NASTY, last_name="", company=NASTY, stage=stage("new"))

    body = client_for(owner).get("/pipeline/").content.decode()

    escaped = "&lt;b&gt;&quot;Bo&quot; &amp; Co&lt;/b&gt;"
    assert "<b>" not in body
    assert f'<a class="board-card-name" href="/leads/{lead.pk}/">{escaped}</a>' in body
    assert f'<div class="board-card-company">{escaped}</div>' in body
    assert f'aria-label="Move {escaped} to another stage"' in body


def test_rows_and_cards_speak_the_readers_language(tenant, owner, client_for):
    Tenant.objects.filter(pk=tenant.pk).update(language="es")
    owner.user.language = "es"
    owner.user.save(update_fields=["language"])
    LeadFactory(first_name="Ana", last_name="Ruiz", stage=stage("new"), seller=None)

    rows = client_for(owner).get("/leads/").content.decode()
    board = client_for(owner).get("/pipeline/").content.decode()

    assert 'aria-label="Seleccionar Ana Ruiz"' in rows
    assert '<span class="muted">Sin asignar</span>' in rows
    assert 'aria-label="Mover Ana Ruiz a otra etapa"' in board
    assert 'title="Añadir una tarea"' in board


def test_a_live_column_refetch_shows_the_same_card_as_the_board(tenant, owner, make_member, client_for, english):
    ana = make_member(tenant, Role.SELLER, full_name="Ana Seller")
    new = Stage.objects.get(key="new")
    lead = LeadFactory(first_name="Ana", last_name="Ruiz", stage=new, seller=ana.user, company="Acme")

    board = client_for(owner).get("/pipeline/").content.decode()
    column = client_for(owner).get("/pipeline/columns/", {"stages": str(new.pk)}).content.decode()

    start = board.index(f'<li class="board-card" id="card-{lead.pk}"')
    card = board[start : board.index("</li>", start) + len("</li>")]
    assert card in column
    assert 'class="avatar avatar-c' in card
    assert 'title="Ana Seller"' in card
