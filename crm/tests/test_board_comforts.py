"""A board that never misplaces a card (issue 7, bug 3 / expectation 2): drop zones for the closed stages,
undo after each move, days in stage and rotting, the next task, tabs and a move menu on a phone, and
quick-add at the top of a column."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from core.models import AuditEntry
from crm.models import Lead, TimelineEntry
from crm.services.board import UndoRefused, lead_move_undo
from crm.services.leads import lead_move
from crm.tests.factories import LeadFactory, stage
from tenants.models import Role

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _stage_entry(lead) -> TimelineEntry:
    return TimelineEntry.objects.filter(lead=lead, kind=TimelineEntry.Kind.STAGE).order_by("-created_at", "-id")[0]


# Drop zones and the move menu


def test_the_board_has_a_drop_zone_per_closed_stage_and_a_move_menu(tenant, owner, client_for, english):
    LeadFactory(stage=stage("new"))

    body = client_for(owner).get("/pipeline/").content.decode()

    assert f'class="board-dropzone board-dropzone-won" data-stage="{stage("won").pk}" data-kind="won"' in body
    assert f'class="board-dropzone board-dropzone-lost" data-stage="{stage("lost").pk}" data-kind="lost"' in body
    assert 'id="move-dialog"' in body
    assert "data-move-menu" in body
    # the phone's tabs, one per stage
    assert f'data-tab-stage="{stage("negotiation").pk}"' in body


# Undo


def test_a_move_answers_a_toast_with_undo(tenant, owner, client_for, english):
    lead = LeadFactory(stage=stage("new"), first_name="Una", last_name="Undo")

    response = client_for(owner).post(
        "/pipeline/move/", {"lead": lead.pk, "stage": stage("won").pk, "from_stage": lead.stage_id}, **HTMX
    )

    body = response.content.decode()
    entry = _stage_entry(lead)
    assert 'data-testid="undo-toast"' in body
    assert "Una Undo moved to Closed won." in body
    assert f'"entry": "{entry.pk}"' in body


def test_undo_puts_the_lead_back_in_its_stage_and_place_and_is_audited(tenant, owner, client_for, english):
    older = LeadFactory(stage=stage("negotiation"))
    lead = LeadFactory(stage=stage("negotiation"))
    newer = LeadFactory(stage=stage("negotiation"))
    since = timezone.now() - timedelta(days=3)
    Lead.objects.filter(pk=older.pk).update(stage_changed_at=since - timedelta(days=1))
    Lead.objects.filter(pk=lead.pk).update(stage_changed_at=since)
    Lead.objects.filter(pk=newer.pk).update(stage_changed_at=since + timedelta(days=1))
    client = client_for(owner)
    client.post("/pipeline/move/", {"lead": lead.pk, "stage": stage("won").pk}, **HTMX)
    entry = _stage_entry(lead)

    response = client.post("/pipeline/undo/", {"entry": entry.pk}, **HTMX)

    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.stage.key == "negotiation"
    assert lead.stage_changed_at == since
    assert lead.closed_at is None
    body = response.content.decode()
    assert f'id="column-{stage("won").pk}"' in body
    places = [body.index(f'id="card-{each.pk}"') for each in (newer, lead, older)]
    assert places == sorted(places)
    assert "Move undone." in body
    undo = _stage_entry(lead)
    assert (undo.data["from_id"], undo.data["to_id"], undo.data["undo_of"]) == (
        stage("won").pk,
        stage("negotiation").pk,
        entry.pk,
    )
    assert AuditEntry.objects.filter(action="lead.move.undo", object_id=str(lead.pk), actor=owner.user).count() == 1


def test_undo_of_a_lost_move_back_to_lost_restores_the_reason(tenant, owner, english):
    lead = LeadFactory(stage=stage("new"))
    lead_move(lead=lead, stage=stage("lost"), actor=owner.user, lost_reason="price")
    closed_at = Lead.objects.get(pk=lead.pk).closed_at
    lead_move(lead=lead, stage=stage("new"), actor=owner.user)

    lead_move_undo(entry=_stage_entry(lead), actor=owner.user)

    lead.refresh_from_db()
    assert (lead.stage.key, lead.lost_reason, lead.closed_at) == ("lost", "Too expensive", closed_at)


def test_undo_is_refused_when_the_lead_moved_again_or_by_someone_else_and_changes_nothing(
    tenant, owner, seller, acme, make_member
):
    lead = LeadFactory(stage=stage("new"), seller=seller.user)
    lead_move(lead=lead, stage=stage("contacted"), actor=seller.user)
    first = _stage_entry(lead)
    lead_move(lead=lead, stage=stage("interested"), actor=seller.user)

    with pytest.raises(UndoRefused):
        lead_move_undo(entry=first, actor=seller.user)
    with pytest.raises(UndoRefused):
        lead_move_undo(entry=_stage_entry(lead), actor=owner.user)
    lead.refresh_from_db()
    assert lead.stage.key == "interested"
    assert not AuditEntry.objects.filter(action="lead.move.undo").exists()


def test_undo_is_refused_after_the_window(tenant, owner):
    lead = LeadFactory(stage=stage("new"))
    lead_move(lead=lead, stage=stage("contacted"), actor=owner.user)
    entry = _stage_entry(lead)
    TimelineEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(hours=1))
    entry.refresh_from_db()

    with pytest.raises(UndoRefused):
        lead_move_undo(entry=entry, actor=owner.user)
    assert Lead.objects.get(pk=lead.pk).stage.key == "contacted"


def test_undo_of_another_sellers_lead_or_from_globex_or_anonymous_is_404_and_changes_nothing(
    tenant, acme, globex_owner, make_member, client_for
):
    me, other = make_member(acme, Role.SELLER), make_member(acme, Role.SELLER)
    lead = LeadFactory(stage=stage("new"), seller=me.user, first_name="Secretive")
    lead_move(lead=lead, stage=stage("won"), actor=me.user)
    entry = _stage_entry(lead)

    by_other = client_for(other).post("/pipeline/undo/", {"entry": entry.pk}, **HTMX)
    from_globex = client_for(globex_owner).post("/pipeline/undo/", {"entry": entry.pk}, **HTMX)
    on_acme = client_for(globex_owner.user, acme).post("/pipeline/undo/", {"entry": entry.pk}, **HTMX)
    anonymous = Client(HTTP_HOST="acme.localhost").post("/pipeline/undo/", {"entry": entry.pk})

    assert by_other.status_code == 404
    assert "Secretive" not in by_other.content.decode()
    assert from_globex.status_code == 404
    assert on_acme.status_code == 403
    assert anonymous.status_code == 302
    assert Lead.objects.get(pk=lead.pk).stage.key == "won"
    assert not AuditEntry.objects.filter(action="lead.move.undo").exists()


# Days in stage, rotting, next task


def test_a_card_shows_days_in_stage_and_rots_past_the_stages_limit(tenant, owner, client_for, english):
    negotiation = stage("negotiation")
    negotiation.rotting_days = 5
    negotiation.save()
    fresh = LeadFactory(stage=negotiation)
    rotten = LeadFactory(stage=negotiation)
    Lead.objects.filter(pk=fresh.pk).update(stage_changed_at=timezone.now() - timedelta(days=2))
    Lead.objects.filter(pk=rotten.pk).update(stage_changed_at=timezone.now() - timedelta(days=9))

    body = client_for(owner).get("/pipeline/").content.decode()

    assert f'class="board-card" id="card-{fresh.pk}"' in body
    assert f'class="board-card board-card-rotting" id="card-{rotten.pk}"' in body
    assert "9 days in this stage" in body
    assert "2 days in this stage" in body


def test_a_card_shows_its_next_open_task(tenant, owner, client_for):
    from agenda.models import Task

    lead = LeadFactory(stage=stage("new"))
    Task.objects.create(lead=lead, title="Old done", due_at=timezone.now() - timedelta(days=1), done=True)
    Task.objects.create(lead=lead, title="Send the quote", due_at=timezone.now() + timedelta(days=1))
    Task.objects.create(lead=lead, title="Later call", due_at=timezone.now() + timedelta(days=3))

    body = client_for(owner).get("/pipeline/").content.decode()

    assert "Send the quote" in body
    assert "Later call" not in body
    assert "Old done" not in body


def _count_board_queries(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/pipeline/").status_code == 200
    return len(queries)


def test_board_queries_stay_constant_with_tasks_avatars_and_rotting(tenant, owner, acme, make_member, client_for):
    from agenda.models import Task

    client = client_for(owner)

    def add(n):
        for i in range(n):
            person = make_member(acme, Role.SELLER, full_name=f"Sam Seller{i}")
            lead = LeadFactory(stage=stage(["new", "negotiation", "won"][i % 3]), seller=person.user)
            Task.objects.create(lead=lead, title=f"Task {i}", due_at=timezone.now() + timedelta(days=1))

    add(3)
    with_three = _count_board_queries(client)
    add(27)
    assert _count_board_queries(client) == with_three


# Quick add


def test_quick_add_creates_a_lead_in_that_column_for_the_seller(tenant, seller, client_for, english):
    response = client_for(seller).post(
        "/pipeline/quick-add/",
        {"stage": stage("contacted").pk, "name": "Quinn Quick", "phone": "+34 611 999 001"},
        **HTMX,
    )

    assert response.status_code == 200
    lead = Lead.objects.get(phone="+34611999001")
    assert (lead.first_name, lead.last_name, lead.stage.key, lead.seller_id) == (
        "Quinn",
        "Quick",
        "contacted",
        seller.user_id,
    )
    body = response.content.decode()
    assert f'id="card-{lead.pk}"' in body
    assert "Quinn Quick added." in body


def test_quick_add_with_a_bad_phone_says_so_and_keeps_the_name(tenant, seller, client_for, english):
    response = client_for(seller).post(
        "/pipeline/quick-add/", {"stage": stage("new").pk, "name": "Bad Phone", "phone": "12"}, **HTMX
    )

    assert response.status_code == 422
    body = response.content.decode()
    assert 'value="Bad Phone"' in body
    assert not Lead.objects.filter(first_name="Bad").exists()


def test_quick_add_duplicate_phone_links_to_the_existing_lead_only_when_visible(tenant, acme, make_member, client_for):
    me, other = make_member(acme, Role.SELLER), make_member(acme, Role.SELLER)
    LeadFactory(phone="+34611999002", first_name="Hidden", seller=other.user)

    response = client_for(me).post(
        "/pipeline/quick-add/", {"stage": stage("new").pk, "name": "Dup", "phone": "+34611999002"}, **HTMX
    )

    assert response.status_code == 422
    assert "Hidden" not in response.content.decode()
    assert Lead.objects.filter(phone="+34611999002").count() == 1


def test_quick_add_from_globex_or_anonymous_creates_nothing_in_acme(tenant, acme, globex_owner, client_for):
    data = {"stage": stage("new").pk, "name": "Intruder", "phone": "+34611999003"}

    on_acme = client_for(globex_owner.user, acme).post("/pipeline/quick-add/", data, **HTMX)
    anonymous = Client(HTTP_HOST="acme.localhost").post("/pipeline/quick-add/", data)

    assert on_acme.status_code == 403
    assert anonymous.status_code == 302
    assert not Lead.objects.filter(phone="+34611999003").exists()
