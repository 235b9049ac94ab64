from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.models import AuditEntry
from crm.models import Lead, Stage, TimelineEntry
from crm.tests.factories import LeadFactory, stage
from tenants.models import Role

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _move(client, lead, to, **extra):
    data = {"lead": lead.pk, "stage": to.pk, "from_stage": lead.stage_id, **extra}
    return client.post("/pipeline/move/", data, **HTMX)


def _nothing_moved(lead, stage_key="new"):
    lead.refresh_from_db()
    assert lead.stage.key == stage_key
    assert not TimelineEntry.objects.filter(lead=lead, kind=TimelineEntry.Kind.STAGE).exists()
    assert not AuditEntry.objects.filter(action="lead.move").exists()


# The board page


def test_owner_sees_every_column_with_count_sum_and_cards(tenant, owner, seller, client_for):
    LeadFactory(first_name="Ana", last_name="Ruiz", company="Zeta", stage=stage("new"), seller=seller.user)
    LeadFactory(first_name="Bo", last_name="Lind", stage=stage("new"), expected_value=Decimal("2500"))

    response = client_for(owner).get("/pipeline/")

    assert response.status_code == 200
    body = response.content.decode()
    for key in ("new", "contacted", "interested", "negotiation", "won", "lost"):
        assert f'id="column-{stage(key).pk}"' in body
    column = response.context_data["board"].columns[0]
    assert (column.count, column.total) == (2, Decimal("3500.00"))
    assert "Ana Ruiz" in body
    assert "Bo Lind" in body
    assert "Zeta" in body
    assert 'name="seller"' in body
    assert 'ws-connect="/ws/pipeline/"' in body


def test_seller_board_holds_only_their_leads_and_no_seller_filter(tenant, acme, make_member, client_for):
    me, other = make_member(acme, Role.SELLER), make_member(acme, Role.SELLER)
    LeadFactory(first_name="Mine", last_name="Lead", seller=me.user)
    LeadFactory(first_name="Theirs", last_name="Lead", seller=other.user)

    response = client_for(me).get("/pipeline/")

    body = response.content.decode()
    assert "Mine Lead" in body
    assert "Theirs Lead" not in body
    assert 'name="seller"' not in body
    assert response.context_data["board"].total_count == 1


def test_htmx_filter_request_answers_only_the_board_filtered(tenant, owner, client_for):
    LeadFactory(first_name="Web", last_name="One", source=Lead.Source.WEBSITE)
    LeadFactory(first_name="Ref", last_name="Two", source=Lead.Source.REFERRAL)

    response = client_for(owner).get("/pipeline/", {"source": "website"}, **HTMX)

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="board"')
    assert "<html" not in body
    assert "Web One" in body
    assert "Ref Two" not in body


def test_owner_filters_by_seller_and_by_unassigned(tenant, owner, seller, client_for):
    LeadFactory(first_name="Assigned", last_name="X", seller=seller.user)
    LeadFactory(first_name="Nobody", last_name="Y")
    client = client_for(owner)

    by_seller = client.get("/pipeline/", {"seller": seller.user_id}, **HTMX).content.decode()
    unassigned = client.get("/pipeline/", {"seller": "0"}, **HTMX).content.decode()

    assert "Assigned X" in by_seller
    assert "Nobody Y" not in by_seller
    assert "Nobody Y" in unassigned
    assert "Assigned X" not in unassigned


def test_column_loads_more_cards_with_the_filters_and_a_next_sentinel(tenant, owner, client_for):
    for n in range(35):
        LeadFactory(stage=stage("contacted"), source=Lead.Source.WEBSITE, first_name=f"Web{n:02d}")
    LeadFactory(stage=stage("contacted"), source=Lead.Source.REFERRAL, first_name="Referral")
    client = client_for(owner)
    contacted = stage("contacted").pk

    first = client.get("/pipeline/", {"source": "website"})
    second = client.get(f"/pipeline/column/{contacted}/", {"source": "website", "offset": 15}, **HTMX)
    third = client.get(f"/pipeline/column/{contacted}/", {"source": "website", "offset": 30}, **HTMX)

    assert first.content.decode().count('class="board-card"') == 15
    assert f"/pipeline/column/{contacted}/?source=website&amp;offset=15" in first.content.decode()
    assert second.content.decode().count('class="board-card"') == 15
    assert f"/pipeline/column/{contacted}/?source=website&amp;offset=30" in second.content.decode()
    assert third.content.decode().count('class="board-card"') == 5
    assert "board-more" not in third.content.decode()
    assert "Referral" not in second.content.decode() + third.content.decode()


def test_columns_endpoint_answers_the_asked_columns_out_of_band_for_this_viewer(
    tenant, acme, owner, make_member, client_for
):
    me, other = make_member(acme, Role.SELLER), make_member(acme, Role.SELLER)
    LeadFactory(first_name="Mine", last_name="Card", stage=stage("won"), seller=me.user)
    LeadFactory(first_name="Their", last_name="Card", stage=stage("won"), seller=other.user)
    asked = f"{stage('new').pk},{stage('won').pk}"

    response = client_for(me).get("/pipeline/columns/", {"stages": asked}, **HTMX)

    body = response.content.decode()
    assert body.count('hx-swap-oob="true"') == 2
    assert f'id="column-{stage("new").pk}"' in body
    assert f'id="column-{stage("won").pk}"' in body
    assert f'id="column-{stage("lost").pk}"' not in body
    assert "Mine Card" in body
    assert "Their Card" not in body


# Moving a card


def test_move_changes_the_stage_and_answers_both_columns(tenant, owner, client_for):
    lead = LeadFactory(stage=stage("new"))

    response = _move(client_for(owner), lead, stage("negotiation"))

    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.stage.key == "negotiation"
    body = response.content.decode()
    assert f'id="column-{stage("new").pk}" data-stage="{stage("new").pk}" data-kind="open" hx-swap-oob="true"' in body
    assert f'id="card-{lead.pk}"' in body
    assert TimelineEntry.objects.get(lead=lead, kind=TimelineEntry.Kind.STAGE).data["to_id"] == stage("negotiation").pk
    assert AuditEntry.objects.filter(action="lead.move", object_id=str(lead.pk)).count() == 1


def test_seller_moves_own_lead_to_lost_with_a_reason(tenant, seller, client_for, english):
    lead = LeadFactory(seller=seller.user)

    response = _move(client_for(seller), lead, stage("lost"), lost_reason="Went with a competitor")

    assert response.status_code == 200
    lead.refresh_from_db()
    assert (lead.stage.key, lead.lost_reason) == ("lost", "Went with a competitor")


def test_move_to_lost_without_reason_is_400_with_a_toast_and_changes_nothing(tenant, owner, client_for):
    lead = LeadFactory(stage=stage("new"))

    response = _move(client_for(owner), lead, stage("lost"), lost_reason="   ")

    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="messages" hx-swap-oob="beforeend"' in body
    assert "toast-error" in body
    assert f'id="card-{lead.pk}"' in body  # the true column comes back with the card in it
    _nothing_moved(lead)


def test_seller_cannot_move_another_sellers_lead(tenant, acme, make_member, client_for):
    me, other = make_member(acme, Role.SELLER), make_member(acme, Role.SELLER)
    lead = LeadFactory(seller=other.user, first_name="Their", last_name="Lead")

    response = _move(client_for(me), lead, stage("contacted"))

    assert response.status_code == 404
    assert "Their Lead" not in response.content.decode()
    _nothing_moved(lead)


def test_move_with_an_unknown_stage_is_400(tenant, owner, client_for):
    lead = LeadFactory()

    response = client_for(owner).post("/pipeline/move/", {"lead": lead.pk, "stage": 999999}, **HTMX)

    assert response.status_code == 400
    _nothing_moved(lead)


def test_move_needs_post_and_a_signed_in_user(tenant, owner, client_for):
    lead = LeadFactory()

    assert client_for(owner).get("/pipeline/move/").status_code == 405
    anonymous = Client(HTTP_HOST="acme.localhost").post("/pipeline/move/", {"lead": lead.pk, "stage": 1})
    assert anonymous.status_code == 302
    _nothing_moved(lead)


# Stage settings


def test_owner_adds_an_open_stage_before_won_and_lost(tenant, owner, client_for):
    response = client_for(owner).post("/pipeline/stages/add/", {"name": "Demo booked", "kind": "open"}, **HTMX)

    assert response.status_code == 200
    assert "Demo booked" in response.content.decode()
    keys = [s.key or s.name for s in Stage.objects.order_by("position", "id")]
    assert keys == ["new", "contacted", "interested", "negotiation", "Demo booked", "won", "lost"]


def test_rename_and_empty_name_goes_back_to_the_default(tenant, owner, client_for):
    client = client_for(owner)
    new = stage("new")

    client.post(f"/pipeline/stages/{new.pk}/rename/", {"name": "Inbox"}, **HTMX)
    assert stage("new").display_name == "Inbox"
    client.post(f"/pipeline/stages/{new.pk}/rename/", {"name": ""}, **HTMX)

    assert stage("new").name == ""
    assert AuditEntry.objects.filter(action="stage.rename", object_id=str(new.pk)).count() == 2


def test_up_and_down_buttons_and_drag_reorder(tenant, owner, client_for):
    client = client_for(owner)

    client.post(f"/pipeline/stages/{stage('contacted').pk}/move/", {"direction": "up"}, **HTMX)
    assert [s.key for s in Stage.objects.all()][:2] == ["contacted", "new"]

    order = [stage(key).pk for key in ("negotiation", "interested", "new", "contacted", "lost", "won")]
    response = client.post("/pipeline/stages/reorder/", {"order": ",".join(map(str, order))}, **HTMX)

    assert response.status_code == 200
    assert [s.pk for s in Stage.objects.all()] == order


def test_deleting_a_stage_with_leads_without_saying_where_they_go_is_refused(tenant, owner, client_for):
    LeadFactory(stage=stage("interested"))

    response = client_for(owner).post(f"/pipeline/stages/{stage('interested').pk}/delete/", **HTMX)

    assert response.status_code == 200
    assert "stage-status-error" in response.content.decode()
    assert Stage.objects.filter(key="interested").exists()
    assert not AuditEntry.objects.filter(action="stage.delete").exists()


def test_deleting_an_empty_stage(tenant, owner, client_for):
    pk = stage("interested").pk

    response = client_for(owner).post(f"/pipeline/stages/{pk}/delete/")

    assert response.status_code == 302
    assert not Stage.objects.filter(pk=pk).exists()


def _board_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/pipeline/").status_code == 200
    return len(queries)


def test_board_page_queries_do_not_grow_with_leads(tenant, owner, seller, client_for):
    client = client_for(owner)
    for n in range(5):
        LeadFactory(stage=stage(["new", "won"][n % 2]), seller=seller.user, score="hot")
    with_five = _board_queries(client)

    for n in range(55):
        LeadFactory(stage=stage(["new", "won", "lost"][n % 3]), seller=seller.user, score="warm")

    assert _board_queries(client) == with_five
