"""The lead page for a seller on the move: stage in one click, the lost reason from the company's list,
the next step inline and offered after a call, one's own notes corrected or deleted (audited), call and
WhatsApp at hand."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.models import AuditEntry
from crm.models import LostReason, TimelineEntry
from crm.services.timeline import note_add
from crm.tests.factories import LeadFactory, stage
from tenants.models import Role

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def lead(tenant, seller):
    return LeadFactory(phone="+34612000001", seller=seller.user, stage=stage("new"), email="ana@example.com")


def test_every_open_stage_is_one_click_away(english, lead, seller, client_for):
    body = client_for(seller).get(f"/leads/{lead.pk}/").content.decode()

    steps = re.findall(r'<button class="stage-step[^"]*" type="submit" name="stage" value="(\d+)"', body)
    assert steps == [str(stage(key).pk) for key in ("new", "contacted", "interested", "negotiation", "won")]
    assert re.search(rf'value="{stage("new").pk}" aria-current="step" disabled', body)


def test_one_click_moves_the_lead(lead, seller, client_for):
    response = client_for(seller).post(f"/leads/{lead.pk}/stage/", {"stage": stage("interested").pk}, **HTMX)

    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.stage == stage("interested")


def test_lost_takes_a_reason_from_the_companys_list(english, lead, seller, client_for):
    price = LostReason.objects.get(key="price")

    client_for(seller).post(f"/leads/{lead.pk}/stage/", {"stage": stage("lost").pk, "lost_reason": price.pk}, **HTMX)

    lead.refresh_from_db()
    assert (lead.stage, lead.lost_reason, lead.lost_note) == (stage("lost"), "Too expensive", "")


def test_other_needs_a_note(english, lead, seller, client_for):
    other = LostReason.objects.get(key="other")
    client = client_for(seller)

    refused = client.post(f"/leads/{lead.pk}/stage/", {"stage": stage("lost").pk, "lost_reason": other.pk}, **HTMX)
    accepted = client.post(
        f"/leads/{lead.pk}/stage/",
        {"stage": stage("lost").pk, "lost_reason": other.pk, "lost_note": "Moved abroad"},
        **HTMX,
    )

    assert refused.status_code == 422
    assert "Say in a few words why the lead was lost." in refused.content.decode()
    assert accepted.status_code == 200
    lead.refresh_from_db()
    assert (lead.lost_reason, lead.lost_note) == ("Other", "Moved abroad")
    assert TimelineEntry.objects.get(lead=lead, kind="stage").body == "Other — Moved abroad"


def test_the_lost_reason_is_stored_in_the_companys_language(tenant, lead, seller, client_for):
    tenant.language = "en"
    tenant.save(update_fields=["language"])
    seller.user.language = "fr"
    seller.user.save(update_fields=["language"])
    price = LostReason.objects.get(key="price")

    client_for(seller).post(f"/leads/{lead.pk}/stage/", {"stage": stage("lost").pk, "lost_reason": price.pk}, **HTMX)

    lead.refresh_from_db()
    assert lead.lost_reason == "Too expensive"


# --- the next step ----------------------------------------------------------------------------------


def test_the_next_step_is_edited_inline(english, tenant, lead, seller, client_for):
    tenant.timezone = "Europe/Madrid"
    tenant.save(update_fields=["timezone"])

    response = client_for(seller).post(
        f"/leads/{lead.pk}/next-step/",
        {"next_action": "Send the quote", "next_action_at": "2031-03-04T09:30"},
        **HTMX,
    )

    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="lead-summary"')
    lead.refresh_from_db()
    assert lead.next_action == "Send the quote"
    assert lead.next_action_at == datetime(2031, 3, 4, 9, 30, tzinfo=ZoneInfo("Europe/Madrid"))
    assert AuditEntry.objects.get(action="lead.update").changes["next_action"]["after"] == "Send the quote"


def test_a_due_date_without_a_step_is_refused(english, lead, seller, client_for):
    response = client_for(seller).post(
        f"/leads/{lead.pk}/next-step/", {"next_action": "", "next_action_at": "2031-03-04T09:30"}, **HTMX
    )

    assert response.status_code == 422
    assert "Say what the next step is." in response.content.decode()
    lead.refresh_from_db()
    assert lead.next_action_at is None


def test_after_a_call_the_follow_up_is_offered_and_becomes_the_next_step(english, lead, seller, client_for):
    client = client_for(seller)

    called = client.post(f"/leads/{lead.pk}/calls/", {"outcome": "answered", "duration": "3"}, **HTMX)
    body = called.content.decode()
    assert '<div class="follow-up" id="follow-up" data-testid="follow-up" hx-swap-oob="true">' in body
    assert 'name="next_action" value="Call back"' in body

    set_ = client.post(
        f"/leads/{lead.pk}/next-step/",
        {"via": "follow-up", "next_action": "Call back", "next_action_at": "2031-01-02T10:00"},
        **HTMX,
    )

    assert set_.status_code == 200
    answer = set_.content.decode()
    assert "Next step set: Call back" in answer
    assert '<section id="lead-summary" class="lead-summary card" aria-label="Lead" hx-swap-oob="true">' in answer
    lead.refresh_from_db()
    assert lead.next_action == "Call back"


def test_another_seller_cannot_set_the_next_step(lead, make_member, tenant, client_for):
    other = make_member(tenant, Role.SELLER)

    response = client_for(other).post(f"/leads/{lead.pk}/next-step/", {"next_action": "x"})

    assert response.status_code == 404
    lead.refresh_from_db()
    assert lead.next_action == ""


# --- one's own notes ----------------------------------------------------------------------------------


def test_the_author_corrects_a_note_and_it_is_audited(english, lead, seller, client_for):
    entry = note_add(lead=lead, actor=seller.user, body="Wants 3 boxes")

    response = client_for(seller).post(f"/leads/{lead.pk}/notes/{entry.pk}/edit/", {"body": "Wants 4 boxes"}, **HTMX)

    assert response.status_code == 200
    assert "Wants 4 boxes" in response.content.decode()
    assert "(edited)" in response.content.decode()
    entry.refresh_from_db()
    assert entry.body == "Wants 4 boxes"
    audit = AuditEntry.objects.get(action="lead.note.edit")
    assert audit.changes["note"] == {"before": "Wants 3 boxes", "after": "Wants 4 boxes"}


def test_the_author_deletes_a_note_and_it_is_audited(lead, seller, client_for):
    entry = note_add(lead=lead, actor=seller.user, body="Wrong lead")

    response = client_for(seller).post(f"/leads/{lead.pk}/notes/{entry.pk}/delete/", **HTMX)

    assert response.status_code == 200
    assert response.content == b""
    assert not TimelineEntry.objects.filter(pk=entry.pk).exists()
    assert AuditEntry.objects.get(action="lead.note.delete").changes["note"]["before"] == "Wrong lead"


def test_nobody_else_edits_or_deletes_a_note_not_even_an_owner(lead, seller, owner, client_for):
    entry = note_add(lead=lead, actor=seller.user, body="Mine")
    client = client_for(owner)

    edit = client.post(f"/leads/{lead.pk}/notes/{entry.pk}/edit/", {"body": "Yours"})
    delete = client.post(f"/leads/{lead.pk}/notes/{entry.pk}/delete/")

    assert (edit.status_code, delete.status_code) == (404, 404)
    entry.refresh_from_db()
    assert entry.body == "Mine"
    assert not AuditEntry.objects.filter(action__startswith="lead.note.").exists()


def test_only_ones_own_notes_offer_editing(english, lead, seller, owner, client_for):
    mine = note_add(lead=lead, actor=seller.user, body="Mine")
    theirs = note_add(lead=lead, actor=owner.user, body="Theirs")

    body = client_for(seller).get(f"/leads/{lead.pk}/").content.decode()

    assert f"/leads/{lead.pk}/notes/{mine.pk}/edit/" in body
    assert f"/leads/{lead.pk}/notes/{theirs.pk}/edit/" not in body


def test_an_empty_correction_is_refused(english, lead, seller, client_for):
    entry = note_add(lead=lead, actor=seller.user, body="Keep")

    response = client_for(seller).post(f"/leads/{lead.pk}/notes/{entry.pk}/edit/", {"body": "  "}, **HTMX)

    assert response.status_code == 422
    entry.refresh_from_db()
    assert entry.body == "Keep"


# --- call and WhatsApp ------------------------------------------------------------------------------


def test_call_and_whatsapp_are_at_hand(english, lead, seller, client_for):
    body = client_for(seller).get(f"/leads/{lead.pk}/").content.decode()

    quick = body[body.index('data-testid="quick-actions"') :]
    assert quick.index('href="tel:+34612000001"') < quick.index('href="https://wa.me/34612000001"')
    assert body.index('data-testid="quick-actions"') < body.index('id="lead-summary"')
