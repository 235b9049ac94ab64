"""Stage settings that guide (issue 7, bug 7): names shown as values, closed stages stay after the open
ones, one status line instead of stacked toasts, deleting a stage with leads moves them (confirmed,
audited), and the per-stage rotting limit."""

import pytest
from django.test import Client

from core.errors import ApplicationError
from core.models import AuditEntry
from crm.models import Lead, Stage, TimelineEntry
from crm.services.stages import stage_delete, stage_reorder, stage_set_rotting
from crm.tests.factories import LeadFactory, stage

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _keys() -> list[str]:
    return [s.key or s.name for s in Stage.objects.order_by("position", "id")]


def test_default_stage_names_show_as_values_not_placeholders(tenant, owner, client_for, english):
    body = client_for(owner).get("/pipeline/stages/").content.decode()

    new = stage("new")
    assert f'id="stage-name-{new.pk}" name="name" value="New"' in body
    assert 'placeholder="New"' not in body


def test_saving_the_shown_default_name_keeps_the_translated_default(tenant, owner, client_for, english):
    new = stage("new")

    client_for(owner).post(f"/pipeline/stages/{new.pk}/rename/", {"name": "New"}, **HTMX)

    assert stage("new").name == ""


def test_closed_stages_cannot_go_before_open_ones(tenant, owner):
    order = [stage(key).pk for key in ("new", "won", "contacted", "interested", "negotiation", "lost")]

    with pytest.raises(ApplicationError):
        stage_reorder(ordered_ids=order, actor=owner.user)

    assert _keys() == ["new", "contacted", "interested", "negotiation", "won", "lost"]
    assert not AuditEntry.objects.filter(action="stage.reorder").exists()


def test_closed_stages_reorder_among_themselves_and_open_ones_too(tenant, owner):
    order = [stage(key).pk for key in ("contacted", "new", "interested", "negotiation", "lost", "won")]

    stage_reorder(ordered_ids=order, actor=owner.user)

    assert _keys() == ["contacted", "new", "interested", "negotiation", "lost", "won"]


def test_the_last_open_stage_has_no_down_button_and_the_first_closed_no_up(tenant, owner, client_for):
    body = client_for(owner).get("/pipeline/stages/").content.decode()

    negotiation_row = body[body.index(f'data-stage="{stage("negotiation").pk}"') :]
    negotiation_row = negotiation_row[: negotiation_row.index("</li>")]
    won_row = body[body.index(f'data-stage="{stage("won").pk}"') :]
    won_row = won_row[: won_row.index("</li>")]
    assert 'value="down" disabled' in negotiation_row
    assert 'value="up" disabled' in won_row


def test_reorder_answers_one_status_line_inside_the_settings_not_a_stacked_toast(tenant, owner, client_for, english):
    client = client_for(owner)

    response = client.post(f"/pipeline/stages/{stage('contacted').pk}/move/", {"direction": "up"}, **HTMX)

    body = response.content.decode()
    assert 'id="stage-status"' in body
    assert "Stages reordered." in body[body.index('id="stage-status"') :]
    assert 'hx-swap-oob="beforeend"' not in body


def test_deleting_a_stage_with_leads_moves_them_to_the_chosen_stage(tenant, owner, seller, monkeypatch):
    sent = []
    monkeypatch.setattr("crm.realtime.publish", lambda **message: sent.append(message))
    leads = [LeadFactory(stage=stage("interested"), seller=seller.user) for _ in range(3)]
    other = LeadFactory(stage=stage("new"))
    interested_pk = stage("interested").pk

    stage_delete(stage=stage("interested"), actor=owner.user, move_to=stage("contacted"))

    assert not Stage.objects.filter(key="interested").exists()
    assert set(Lead.objects.filter(stage=stage("contacted")).values_list("pk", flat=True)) == {
        lead.pk for lead in leads
    }
    assert Lead.objects.get(pk=other.pk).stage.key == "new"
    entries = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.STAGE, lead__in=leads)
    assert entries.count() == 3
    assert {entry.data["to_id"] for entry in entries} == {stage("contacted").pk}
    audit = AuditEntry.objects.get(action="stage.delete")
    assert audit.changes["leads moved"] == {"before": 3, "after": stage("contacted").display_name}
    assert [(m["data"]["stages"], m["user_ids"]) for m in sent] == [
        ([interested_pk, stage("contacted").pk], [seller.user_id])
    ]


def test_deleting_a_stage_with_leads_needs_a_target_of_the_same_kind(tenant, owner):
    LeadFactory(stage=stage("interested"))

    with pytest.raises(ApplicationError):
        stage_delete(stage=stage("interested"), actor=owner.user)
    with pytest.raises(ApplicationError):
        stage_delete(stage=stage("interested"), actor=owner.user, move_to=stage("won"))
    with pytest.raises(ApplicationError):
        stage_delete(stage=stage("interested"), actor=owner.user, move_to=stage("interested"))

    assert Stage.objects.filter(key="interested").exists()
    assert Lead.objects.filter(stage=stage("interested")).count() == 1


def test_the_delete_view_moves_the_leads_when_confirmed(tenant, owner, client_for, english):
    lead = LeadFactory(stage=stage("interested"))
    client = client_for(owner)

    page = client.get("/pipeline/stages/").content.decode()
    response = client.post(
        f"/pipeline/stages/{stage('interested').pk}/delete/", {"move_to": stage("negotiation").pk}, **HTMX
    )

    assert 'name="move_to"' in page
    assert response.status_code == 200
    assert Lead.objects.get(pk=lead.pk).stage.key == "negotiation"
    assert not Stage.objects.filter(key="interested").exists()
    assert "Stage deleted; its 1 lead moved to Negotiation." in response.content.decode()


def test_the_rotting_limit_is_set_per_stage_and_empty_turns_it_off(tenant, owner, client_for):
    client = client_for(owner)
    negotiation = stage("negotiation")

    client.post(f"/pipeline/stages/{negotiation.pk}/rotting/", {"rotting_days": "7"}, **HTMX)
    assert stage("negotiation").rotting_days == 7
    client.post(f"/pipeline/stages/{negotiation.pk}/rotting/", {"rotting_days": ""}, **HTMX)
    assert stage("negotiation").rotting_days is None
    response = client.post(f"/pipeline/stages/{negotiation.pk}/rotting/", {"rotting_days": "-3"}, **HTMX)

    assert response.status_code == 422
    assert stage("negotiation").rotting_days is None
    assert AuditEntry.objects.filter(action="stage.rotting", object_id=str(negotiation.pk)).count() == 2


def test_rotting_service_refuses_zero(tenant, owner):
    with pytest.raises(ApplicationError):
        stage_set_rotting(stage=stage("new"), days=0, actor=owner.user)


def test_stage_settings_posts_from_a_seller_globex_or_anonymous_change_nothing(
    tenant, acme, seller, globex_owner, client_for
):
    LeadFactory(stage=stage("interested"))
    interested = stage("interested")
    urls = [
        (f"/pipeline/stages/{interested.pk}/delete/", {"move_to": stage("new").pk}),
        (f"/pipeline/stages/{interested.pk}/rotting/", {"rotting_days": "3"}),
    ]

    for url, data in urls:
        assert client_for(seller).post(url, data).status_code == 403
        assert client_for(globex_owner.user, acme).post(url, data).status_code == 403
        assert Client(HTTP_HOST="acme.localhost").post(url, data).status_code == 302

    assert stage("interested").rotting_days is None
    assert Lead.objects.filter(stage=interested).count() == 1
