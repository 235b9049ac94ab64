import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from core.models import AuditEntry
from crm.models import Lead, LeadDocument, TimelineEntry
from crm.services.documents import MAX_DOCUMENT_SIZE, document_upload
from crm.tests.factories import LeadFactory, TimelineEntryFactory, stage
from crm.tests.helpers import PDF, PNG, stored_files
from tenants.models import Role

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _kinds(lead) -> list[str]:
    return list(TimelineEntry.objects.filter(lead=lead).values_list("kind", flat=True))


# Who may open a lead


def test_owner_opens_any_lead_with_facts_score_attribution_and_tags(tenant, owner, seller, client_for):
    lead = LeadFactory(
        first_name="Lucía",
        last_name="Gómez",
        seller=seller.user,
        score="hot",
        score_reason="Asked for a quote twice",
        utm_source="facebook",
        utm_campaign="spring-sale",
    )
    lead.tags.create(name="vip")

    response = client_for(owner).get(f"/leads/{lead.pk}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Lucía Gómez" in body
    assert "Asked for a quote twice" in body
    assert 'data-testid="attribution"' in body
    assert "spring-sale" in body
    assert '<span class="tag">vip</span>' in body
    assert f'action="/leads/{lead.pk}/assign/"' in body


def test_the_lead_page_gives_every_field_an_id_of_its_own(tenant, owner, client_for):
    # The note and call forms both have a "body": each label must point at its own form's field.
    lead = LeadFactory()

    body = client_for(owner).get(f"/leads/{lead.pk}/").content.decode()

    ids = re.findall(r'\sid="([^"]+)"', body)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    assert '<label for="note_body">' in body
    assert '<label for="call_body">' in body


def test_seller_opens_own_lead_without_the_reassign_form(tenant, seller, client_for):
    lead = LeadFactory(seller=seller.user)

    response = client_for(seller).get(f"/leads/{lead.pk}/")

    assert response.status_code == 200
    assert f'action="/leads/{lead.pk}/assign/"' not in response.content.decode()


def test_another_sellers_lead_is_not_theirs(tenant, acme, make_member, client_for):
    me, other = make_member(acme, Role.SELLER), make_member(acme, Role.SELLER)
    lead = LeadFactory(seller=other.user)

    assert client_for(me).get(f"/leads/{lead.pk}/").status_code == 403
    assert client_for(me).get(f"/leads/{lead.pk}/timeline/").status_code == 404


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.MARKETING])
def test_other_roles_get_403(tenant, acme, make_member, client_for, role):
    lead = LeadFactory()

    assert client_for(make_member(acme, role)).get(f"/leads/{lead.pk}/").status_code == 403


# The timeline


def test_timeline_is_newest_first_in_pages_with_load_older(tenant, owner, client_for):
    lead = LeadFactory()
    now = timezone.now()
    entries = [TimelineEntryFactory(lead=lead, body=f"note {n:02d}") for n in range(25)]
    for age, entry in enumerate(entries):
        TimelineEntry.objects.filter(pk=entry.pk).update(created_at=now - timedelta(minutes=age))
    client = client_for(owner)

    first = client.get(f"/leads/{lead.pk}/")
    older = client.get(f"/leads/{lead.pk}/timeline/", {"before": entries[19].pk}, **HTMX)

    assert [entry.body for entry in first.context_data["timeline"].entries] == [f"note {n:02d}" for n in range(20)]
    body = first.content.decode()
    assert body.index("note 00") < body.index("note 01") < body.index("note 19")
    assert f"/leads/{lead.pk}/timeline/?before={entries[19].pk}" in body
    assert [entry.body for entry in older.context_data["timeline"].entries] == [f"note {n:02d}" for n in range(20, 25)]
    assert "timeline-more" not in older.content.decode()


def test_every_kind_renders_from_its_data_and_unknown_kinds_use_the_default(tenant, owner, client_for):
    lead = LeadFactory()
    TimelineEntryFactory(lead=lead, kind="stage", body="", data={"from": "Nuevo", "to": "Ganado"})
    TimelineEntryFactory(lead=lead, kind="assignment", body="", data={"from": "", "to": "Marta Soler"})
    TimelineEntryFactory(lead=lead, kind="call", body="Call back", data={"outcome": "answered", "duration": 270})
    TimelineEntryFactory(lead=lead, kind="sales_document", body="Quote Q-2026-001 sent", data={"number": 1})

    body = client_for(owner).get(f"/leads/{lead.pk}/").content.decode()

    assert "Nuevo" in body
    assert "Ganado" in body
    assert "Marta Soler" in body
    assert "4:30" in body
    assert "Call back" in body
    assert 'data-kind="sales_document"' in body
    assert "Quote Q-2026-001 sent" in body


# Notes and calls


def test_htmx_note_comes_back_on_top_of_the_timeline_with_a_fresh_form(tenant, seller, client_for):
    lead = LeadFactory(seller=seller.user)

    response = client_for(seller).post(f"/leads/{lead.pk}/notes/", {"body": "Prefers WhatsApp"}, **HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<form id="note-form"')
    assert '<ol id="timeline-entries" hx-swap-oob="afterbegin">' in body
    assert "Prefers WhatsApp" in body
    note = TimelineEntry.objects.get(lead=lead, kind=TimelineEntry.Kind.NOTE)
    assert (note.body, note.actor_id) == ("Prefers WhatsApp", seller.user_id)


def test_plain_note_post_redirects_back_to_the_lead(tenant, owner, client_for):
    lead = LeadFactory()

    response = client_for(owner).post(f"/leads/{lead.pk}/notes/", {"body": "Hello"})

    assert (response.status_code, response["Location"]) == (302, f"/leads/{lead.pk}/")
    assert _kinds(lead) == ["note"]


def test_empty_note_is_422_with_the_error_and_nothing_stored(tenant, owner, client_for):
    lead = LeadFactory()

    response = client_for(owner).post(f"/leads/{lead.pk}/notes/", {"body": "  "}, **HTMX)

    assert response.status_code == 422
    assert response.context_data["note_form"].errors["body"]
    assert 'class="error"' in response.content.decode()
    assert _kinds(lead) == []


def test_note_on_another_sellers_lead_is_404_and_nothing_stored(tenant, acme, make_member, client_for):
    me, other = make_member(acme, Role.SELLER), make_member(acme, Role.SELLER)
    lead = LeadFactory(seller=other.user)

    response = client_for(me).post(f"/leads/{lead.pk}/notes/", {"body": "sneaky"}, **HTMX)

    assert response.status_code == 404
    assert _kinds(lead) == []


@pytest.mark.parametrize(("duration", "seconds"), [("4:30", 270), ("5", 300), ("2.5", 150), ("1:02:03", 3723), ("", 0)])
def test_call_is_logged_with_outcome_and_duration(tenant, owner, client_for, duration, seconds):
    lead = LeadFactory()

    response = client_for(owner).post(
        f"/leads/{lead.pk}/calls/", {"outcome": "voicemail", "duration": duration, "body": "Left a message"}, **HTMX
    )

    assert response.status_code == 200
    call = TimelineEntry.objects.get(lead=lead, kind=TimelineEntry.Kind.CALL)
    assert (call.data, call.body) == ({"outcome": "voicemail", "duration": seconds}, "Left a message")
    assert 'hx-swap-oob="afterbegin"' in response.content.decode()


def test_a_logged_call_refreshes_the_last_contact_in_the_key_facts(english, tenant, owner, client_for):
    lead = LeadFactory(last_contact_at=None)

    response = client_for(owner).post(f"/leads/{lead.pk}/calls/", {"outcome": "answered", "duration": "3"}, **HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert '<section id="lead-summary" class="lead-summary card" aria-label="Lead" hx-swap-oob="true">' in body
    lead.refresh_from_db()
    assert lead.last_contact_at is not None
    summary = body[body.index('id="lead-summary"') :]
    assert re.search(r"<dt>Last contact</dt><dd>\d\d/\d\d/\d{4}, \d\d:\d\d<", summary)  # English, in Spain
    assert "Never" not in summary


def test_a_note_leaves_the_key_facts_alone(tenant, owner, client_for):
    lead = LeadFactory()

    response = client_for(owner).post(f"/leads/{lead.pk}/notes/", {"body": "Prefers mornings"}, **HTMX)

    assert response.status_code == 200
    assert 'id="lead-summary"' not in response.content.decode()


@pytest.mark.parametrize(
    "data", [{"outcome": "answered", "duration": "four"}, {"outcome": "yelled", "duration": "1"}, {"duration": "1"}]
)
def test_invalid_call_is_422_and_nothing_stored(tenant, owner, client_for, data):
    lead = LeadFactory()

    response = client_for(owner).post(f"/leads/{lead.pk}/calls/", data, **HTMX)

    assert response.status_code == 422
    assert response.context_data["call_form"].errors
    assert _kinds(lead) == []
    lead.refresh_from_db()
    assert lead.last_contact_at is None


# Documents


def test_document_upload_is_stored_and_shown_in_the_timeline(tenant, seller, client_for, media_root):
    lead = LeadFactory(seller=seller.user)

    response = client_for(seller).post(
        f"/leads/{lead.pk}/documents/", {"file": SimpleUploadedFile("Oferta final.pdf", PDF)}, **HTMX
    )

    assert response.status_code == 200
    document = LeadDocument.objects.get(lead=lead)
    assert (document.original_name, document.size, document.uploaded_by_id) == (
        "Oferta final.pdf",
        len(PDF),
        seller.user_id,
    )
    assert stored_files(media_root) == [f"{tenant.schema_name}/{document.file.name}"]
    body = response.content.decode()
    assert f'href="/leads/{lead.pk}/documents/{document.pk}/"' in body
    assert "Oferta final.pdf" in body


@pytest.mark.parametrize(
    "file",
    [
        lambda: SimpleUploadedFile("huge.pdf", PDF + b"0" * MAX_DOCUMENT_SIZE),
        lambda: SimpleUploadedFile("virus.exe", b"MZ\x90\x00"),
        lambda: SimpleUploadedFile("liar.pdf", PNG),
    ],
)
def test_refused_upload_is_422_with_a_clear_error_and_nothing_stored(tenant, owner, client_for, media_root, file):
    lead = LeadFactory()

    response = client_for(owner).post(f"/leads/{lead.pk}/documents/", {"file": file()}, **HTMX)

    assert response.status_code == 422
    errors = response.context_data["document_form"].non_field_errors()
    assert len(errors) == 1
    assert escape(errors[0]) in response.content.decode()
    assert not LeadDocument.objects.exists()
    assert _kinds(lead) == []
    assert stored_files(media_root) == []


def _document(lead, owner):
    return document_upload(lead=lead, actor=owner.user, file=SimpleUploadedFile("contrato.pdf", PDF))


def test_download_is_an_attachment_for_the_owner_and_the_leads_seller(tenant, owner, seller, client_for, media_root):
    lead = LeadFactory(seller=seller.user)
    document = _document(lead, owner)

    for member in (owner, seller):
        response = client_for(member).get(f"/leads/{lead.pk}/documents/{document.pk}/")
        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="contrato.pdf"'
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content) == PDF


def test_download_of_another_sellers_lead_is_404(tenant, acme, owner, make_member, client_for, media_root):
    me, other = make_member(acme, Role.SELLER), make_member(acme, Role.SELLER)
    lead = LeadFactory(seller=other.user)
    document = _document(lead, owner)

    assert client_for(me).get(f"/leads/{lead.pk}/documents/{document.pk}/").status_code == 404


def test_download_through_another_leads_url_is_404(tenant, seller, owner, client_for, media_root):
    mine = LeadFactory(seller=seller.user)
    document = _document(LeadFactory(), owner)

    assert client_for(seller).get(f"/leads/{mine.pk}/documents/{document.pk}/").status_code == 404


# Stage and seller from the lead page


def test_stage_change_answers_the_summary_and_the_refreshed_timeline(tenant, seller, client_for):
    lead = LeadFactory(seller=seller.user, stage=stage("new"))

    response = client_for(seller).post(f"/leads/{lead.pk}/stage/", {"stage": stage("negotiation").pk}, **HTMX)

    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.stage.key == "negotiation"
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="lead-summary"')
    assert '<div id="timeline" hx-swap-oob="true">' in body
    assert 'data-kind="stage"' in body


def test_lost_without_reason_is_422_with_the_error_on_the_reason(tenant, owner, client_for):
    lead = LeadFactory(stage=stage("new"))

    response = client_for(owner).post(f"/leads/{lead.pk}/stage/", {"stage": stage("lost").pk}, **HTMX)

    assert response.status_code == 422
    assert response.context_data["stage_form"].errors["lost_reason"]
    assert "lost-reason has-error" in response.content.decode()
    lead.refresh_from_db()
    assert lead.stage.key == "new"
    assert _kinds(lead) == []
    assert not AuditEntry.objects.filter(action="lead.move").exists()


def test_lost_with_a_free_text_reason_is_other_with_a_note(english, tenant, owner, client_for):
    lead = LeadFactory(stage=stage("new"))

    client_for(owner).post(f"/leads/{lead.pk}/stage/", {"stage": stage("lost").pk, "lost_reason": "No budget"}, **HTMX)

    lead.refresh_from_db()
    assert (lead.stage.key, lead.lost_reason, lead.lost_note) == ("lost", "Other", "No budget")


def test_a_lost_lead_shows_its_reason_chosen_in_the_stage_form(english, tenant, owner, client_for):
    lead = LeadFactory(stage=stage("lost"), lost_reason="Went with a competitor", lost_note="Cheaper elsewhere")

    body = client_for(owner).get(f"/leads/{lead.pk}/").content.decode()

    assert re.search(r'<option value="\d+" selected>Went with a competitor</option>', body)
    assert "Closed lost: Went with a competitor — Cheaper elsewhere" in body


def test_owner_reassigns_and_the_history_says_so(tenant, acme, owner, make_member, client_for):
    before, after = make_member(acme, Role.SELLER), make_member(acme, Role.SELLER)
    lead = LeadFactory(seller=before.user)

    response = client_for(owner).post(f"/leads/{lead.pk}/assign/", {"seller": after.user_id}, **HTMX)

    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.seller_id == after.user_id
    entry = TimelineEntry.objects.get(lead=lead, kind=TimelineEntry.Kind.ASSIGNMENT)
    assert (entry.data["from_id"], entry.data["to_id"]) == (before.user_id, after.user_id)
    assert after.user.full_name in response.content.decode()


def test_sellers_cannot_reassign(tenant, seller, make_member, acme, client_for):
    other = make_member(acme, Role.SELLER)
    lead = LeadFactory(seller=seller.user)

    response = client_for(seller).post(f"/leads/{lead.pk}/assign/", {"seller": other.user_id}, **HTMX)

    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.seller_id == seller.user_id


def test_assigning_to_someone_outside_the_sellers_and_owners_is_refused(tenant, acme, owner, make_member, client_for):
    accountant = make_member(acme, Role.ACCOUNTANT)
    lead = LeadFactory()

    response = client_for(owner).post(f"/leads/{lead.pk}/assign/", {"seller": accountant.user_id}, **HTMX)

    assert response.status_code == 422
    assert Lead.objects.get(pk=lead.pk).seller_id is None
    assert _kinds(lead) == []


def _detail_queries(client, lead) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/leads/{lead.pk}/").status_code == 200
    return len(queries)


def test_detail_page_queries_do_not_grow_with_the_history(tenant, owner, client_for):
    lead = LeadFactory()
    client = client_for(owner)
    for kind in ("note", "call", "stage", "assignment", "message"):
        TimelineEntryFactory(lead=lead, kind=kind, actor=owner.user, data={"outcome": "busy", "duration": 3})
    with_five = _detail_queries(client, lead)

    for n in range(20):
        TimelineEntryFactory(lead=lead, kind=["note", "call", "document"][n % 3], actor=owner.user)

    assert _detail_queries(client, lead) == with_five


def test_the_history_names_stages_in_the_readers_language_whoever_moved_the_lead(tenant, owner, client_for):
    lead = LeadFactory(stage=stage("new"))
    english = client_for(owner)
    english.post("/i18n/set-language/", {"language": "en"})
    english.post(f"/leads/{lead.pk}/stage/", {"stage": stage("negotiation").pk}, **HTMX)
    entry = TimelineEntry.objects.get(lead=lead, kind=TimelineEntry.Kind.STAGE)
    assert (entry.data["from"], entry.data["to"]) == ("New", "Negotiation")

    newer = TimelineEntryFactory(lead=lead, kind="note", body="Later")

    english.post("/i18n/set-language/", {"language": "fr"})
    page = english.get(f"/leads/{lead.pk}/").content.decode()
    older = english.get(f"/leads/{lead.pk}/timeline/", {"before": newer.pk}, **HTMX).content.decode()

    assert "Déplacé de Nouveau vers Négociation" in page
    assert "Déplacé de Nouveau vers Négociation" in older


def test_a_stage_gone_since_keeps_its_recorded_name_in_the_history(tenant, owner, client_for):
    lead = LeadFactory()
    TimelineEntryFactory(lead=lead, kind="stage", data={"from": "Old column", "to": "Gone", "from_id": 0, "to_id": -1})

    body = client_for(owner).get(f"/leads/{lead.pk}/").content.decode()

    assert "Old column" in body
    assert "Gone" in body
