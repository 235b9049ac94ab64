import csv
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditEntry
from crm.models import ImportJob, Lead, TimelineEntry
from crm.tasks import import_leads_task
from crm.tests.factories import LeadFactory, TagFactory, stage
from crm.tests.helpers import csv_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

HTMX = {"HTTP_HX_REQUEST": "true"}


def _in_english(member):
    """Pages follow the user's language; assertions on text read English."""
    member.user.language = "en"
    member.user.save(update_fields=["language"])
    return member


def _rows(response) -> list[str]:
    """The phones shown in the list, in order."""
    return [lead.phone for lead in response.context["page"].object_list]


# --- who sees what ---------------------------------------------------------------------------------------


def test_a_seller_sees_only_their_own_leads(tenant, seller, make_member, client_for):
    other = make_member(tenant)
    LeadFactory(phone="+34612000001", seller_id=seller.user_id)
    LeadFactory(phone="+34612000002", seller_id=other.user_id)
    LeadFactory(phone="+34612000003")

    response = client_for(seller).get("/leads/")

    assert response.status_code == 200
    assert _rows(response) == ["+34612000001"]
    assert "seller" not in response.context["form"].fields


def test_an_owner_sees_every_lead_newest_first(tenant, owner, seller, client_for):
    for phone in ["+34612000001", "+34612000002", "+34612000003"]:
        LeadFactory(phone=phone, seller_id=seller.user_id if phone.endswith("2") else None)

    response = client_for(owner).get("/leads/")

    assert _rows(response) == ["+34612000003", "+34612000002", "+34612000001"]


# --- search, filters, sorting, pages ---------------------------------------------------------------------


def test_search_filters_and_sort_come_from_the_query_string(tenant, owner, seller, client_for):
    vip = TagFactory(name="vip")
    a = LeadFactory(phone="+34612000001", first_name="José", seller_id=seller.user_id, score="hot", expected_value=5)
    b = LeadFactory(phone="+34612000002", first_name="Josefa", seller_id=seller.user_id, score="hot", expected_value=9)
    LeadFactory(phone="+34612000003", first_name="Jose", score="cold")
    a.tags.add(vip)
    b.tags.add(vip)

    response = client_for(owner).get(
        "/leads/", {"q": "jose", "seller": seller.user_id, "score": "hot", "tag": vip.pk, "sort": "-value"}
    )

    assert _rows(response) == ["+34612000002", "+34612000001"]


def test_the_unassigned_filter_shows_leads_without_seller(tenant, owner, seller, client_for):
    LeadFactory(phone="+34612000001", seller_id=seller.user_id)
    LeadFactory(phone="+34612000002")

    response = client_for(owner).get("/leads/", {"seller": "none"})

    assert _rows(response) == ["+34612000002"]


def test_invalid_filter_values_are_ignored(tenant, owner, client_for):
    LeadFactory(phone="+34612000001")

    response = client_for(owner).get("/leads/", {"stage": "abc", "created_from": "yesterday", "sort": "drop table"})

    assert response.status_code == 200
    assert _rows(response) == ["+34612000001"]


def test_a_sort_header_link_reverses_the_current_sort_and_keeps_the_filters(tenant, owner, client_for):
    LeadFactory(phone="+34612000001")

    response = client_for(owner).get("/leads/", {"q": "612", "sort": "name"})

    headers = {header["key"]: header for header in response.context["headers"]}
    assert headers["name"]["state"] == "asc"
    assert headers["name"]["url"] == "?q=612&sort=-name"
    assert headers["value"]["url"] == "?q=612&sort=-value"
    assert headers[None]["url"] == ""


def test_htmx_requests_get_only_the_results_fragment(tenant, owner, client_for):
    LeadFactory(phone="+34612000001", first_name="Ana")

    response = client_for(owner).get("/leads/", {"q": "ana"}, **HTMX)

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="lead-results">')
    assert "+34 612 00 00 01" in body
    assert "<html" not in body


def test_pages_hold_fifty_leads(tenant, owner, client_for):
    LeadFactory.create_batch(51)

    first = client_for(owner).get("/leads/")
    second = client_for(owner).get("/leads/", {"page": 2})

    assert len(_rows(first)) == 50
    assert len(_rows(second)) == 1
    assert first.context["page"].paginator.count == 51


def test_the_query_count_does_not_grow_with_the_number_of_leads(tenant, owner, seller, client_for):
    client = client_for(owner)
    vip = TagFactory(name="vip")

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/leads/").status_code == 200
        return len(queries)

    for lead in LeadFactory.create_batch(5, seller_id=seller.user_id):
        lead.tags.add(vip)
    with_five = count_queries()
    for lead in LeadFactory.create_batch(55, seller_id=seller.user_id):
        lead.tags.add(vip)
    with_sixty = count_queries()

    assert with_five == with_sixty


def test_no_leads_at_all_and_no_matches_are_told_apart(tenant, owner, client_for):
    client = client_for(owner)

    empty = client.get("/leads/")
    LeadFactory(phone="+34612000001", first_name="Ana")
    no_match = client.get("/leads/", {"q": "zzz"})

    assert b'data-testid="no-leads"' in empty.content
    assert b'data-testid="no-matches"' in no_match.content


# --- create and edit --------------------------------------------------------------------------------------

VALID = {
    "phone": "612 34 56 78",
    "first_name": "José",
    "last_name": "Núñez",
    "email": "jose@example.com",
    "company": "Bodegas",
    "source": "referral",
    "expected_value": "1500",
    "tags": "vip, feria ,",
}


def test_an_owner_creates_a_lead_with_a_seller_and_tags(tenant, owner, seller, client_for):
    data = {**VALID, "stage": stage("contacted").pk, "seller": seller.user_id}

    response = client_for(owner).post("/leads/new/", data)

    lead = Lead.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/leads/{lead.pk}/"
    assert (lead.phone, lead.first_name, lead.stage, lead.seller_id) == (
        "+34612345678", "José", stage("contacted"), seller.user_id,
    )  # fmt: skip
    assert lead.expected_value == Decimal("1500")
    assert sorted(lead.tags.values_list("name", flat=True)) == ["feria", "vip"]


def test_a_seller_creating_a_lead_becomes_its_seller(tenant, seller, make_member, client_for):
    other = make_member(tenant)
    data = {**VALID, "stage": stage("new").pk, "seller": other.user_id}

    client_for(seller).post("/leads/new/", data)

    assert Lead.objects.get().seller_id == seller.user_id


def test_the_form_shows_field_errors_and_creates_nothing(tenant, owner, client_for):
    data = {**VALID, "stage": stage("new").pk, "phone": "12", "email": "nope", "expected_value": "-3"}

    response = client_for(owner).post("/leads/new/", data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert sorted(errors) == ["email", "expected_value", "phone"]
    assert Lead.objects.count() == 0


def test_a_new_lead_cannot_start_in_a_lost_stage(tenant, owner, client_for):
    response = client_for(owner).post("/leads/new/", {**VALID, "stage": stage("lost").pk})

    assert list(response.context["form"].errors) == ["stage"]
    assert Lead.objects.count() == 0


def test_a_duplicate_phone_links_to_the_existing_lead(tenant, owner, client_for):
    existing = LeadFactory(phone="+34612345678", first_name="Marta", last_name="Ruiz")

    response = client_for(owner).post("/leads/new/", {**VALID, "stage": stage("new").pk, "phone": "+34 612 345 678"})

    assert response.status_code == 200
    assert response.context["duplicate"] == existing
    assert f'href="/leads/{existing.pk}/"'.encode() in response.content
    assert Lead.objects.count() == 1


def test_a_seller_is_not_shown_another_sellers_duplicate(tenant, seller, make_member, client_for):
    other = make_member(tenant)
    existing = LeadFactory(phone="+34612345678", first_name="Marta", seller_id=other.user_id)

    response = client_for(seller).post("/leads/new/", {**VALID, "stage": stage("new").pk})

    assert "duplicate" not in response.context
    assert b"Marta" not in response.content
    assert f"/leads/{existing.pk}/".encode() not in response.content
    assert Lead.objects.count() == 1


def test_an_owner_edits_facts_and_the_seller(tenant, owner, seller, client_for):
    lead = LeadFactory(phone="+34612345678", first_name="Ana", expected_value=Decimal("10"))
    lead.tags.add(TagFactory(name="old"))
    client = client_for(owner)
    form = client.get(f"/leads/{lead.pk}/edit/").context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(first_name="Anna", expected_value="20", tags="new", seller=seller.user_id, phone="699 000 111")

    response = client.post(f"/leads/{lead.pk}/edit/", data)

    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.first_name, lead.expected_value, lead.phone, lead.seller_id) == (
        "Anna", Decimal("20"), "+34699000111", seller.user_id,
    )  # fmt: skip
    assert list(lead.tags.values_list("name", flat=True)) == ["new"]
    assert sorted(lead.timeline.values_list("kind", flat=True)) == [
        TimelineEntry.Kind.ASSIGNMENT,
        TimelineEntry.Kind.UPDATE,
    ]
    changes = AuditEntry.objects.get(action="lead.update").changes
    assert sorted(changes) == ["expected_value", "first_name", "phone", "tags"]


def test_editing_to_a_phone_of_another_lead_is_refused(tenant, owner, client_for):
    LeadFactory(phone="+34699000111")
    lead = LeadFactory(phone="+34612345678", first_name="Ana")

    response = client_for(owner).post(f"/leads/{lead.pk}/edit/", {**VALID, "phone": "699000111"})

    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    lead.refresh_from_db()
    assert (lead.phone, lead.first_name) == ("+34612345678", "Ana")


def test_a_seller_cannot_edit_another_sellers_lead(tenant, seller, make_member, client_for):
    other = make_member(tenant)
    lead = LeadFactory(seller_id=other.user_id, first_name="Ana")
    client = client_for(seller)

    assert client.get(f"/leads/{lead.pk}/edit/").status_code == 404
    assert client.post(f"/leads/{lead.pk}/edit/", {**VALID}).status_code == 404
    lead.refresh_from_db()
    assert lead.first_name == "Ana"


def test_a_seller_edits_their_own_lead_without_a_seller_field(tenant, seller, client_for):
    lead = LeadFactory(seller_id=seller.user_id, phone="+34612345678")

    response = client_for(seller).post(f"/leads/{lead.pk}/edit/", {**VALID, "first_name": "Pepe"})

    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.first_name, lead.seller_id) == ("Pepe", seller.user_id)


def test_the_expected_value_label_names_the_tenant_currency(tenant, owner, client_for):
    response = client_for(owner).get("/leads/new/")

    assert "(EUR)" in str(response.context["form"]["expected_value"].label)


# --- bulk actions -----------------------------------------------------------------------------------------


def test_bulk_move_asks_first_and_changes_nothing_until_confirmed(tenant, owner, client_for):
    leads = LeadFactory.create_batch(2)
    ids = [lead.pk for lead in leads]

    response = client_for(_in_english(owner)).post(
        "/leads/bulk/", {"ids": ids, "action": "move", "stage": stage("interested").pk}, **HTMX
    )

    assert response.status_code == 200
    assert response.context_data["question"] == "Move 2 leads to Interested?"
    assert b"Move 2 leads to Interested?" in response.content
    assert set(Lead.objects.values_list("stage__key", flat=True)) == {"new"}


def test_bulk_move_when_confirmed_reports_moved_and_already_there(tenant, owner, client_for):
    moved = LeadFactory.create_batch(2)
    there = LeadFactory(stage=stage("interested"))
    client = client_for(_in_english(owner))
    data = {
        "ids": [lead.pk for lead in [*moved, there]],
        "action": "move",
        "stage": stage("interested").pk,
        "confirmed": "1",
        "next": "/leads/?q=x",
    }

    response = client.post("/leads/bulk/", data, **HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/leads/?q=x"
    assert set(Lead.objects.values_list("stage__key", flat=True)) == {"interested"}
    assert [str(m) for m in response.wsgi_request._messages] == ["2 leads moved, 1 already there."]


def test_bulk_move_to_lost_needs_a_reason(tenant, owner, client_for, english):
    lead = LeadFactory()
    data = {"ids": [lead.pk], "action": "move", "stage": stage("lost").pk, "confirmed": "1"}

    response = client_for(owner).post("/leads/bulk/", data, **HTMX)

    assert response.context_data["asks_reason"] is True
    assert "lost_reason" in response.context_data["form"].errors
    lead.refresh_from_db()
    assert lead.stage.key == "new"

    client_for(owner).post("/leads/bulk/", {**data, "lost_reason": "Too expensive"}, **HTMX)

    lead.refresh_from_db()
    assert (lead.stage.key, lead.lost_reason) == ("lost", "Too expensive")


def test_bulk_assign_and_tag(tenant, owner, seller, client_for):
    leads = LeadFactory.create_batch(2)
    ids = [lead.pk for lead in leads]
    client = client_for(owner)

    client.post("/leads/bulk/", {"ids": ids, "action": "assign", "seller": seller.user_id, "confirmed": "1"})
    client.post("/leads/bulk/", {"ids": ids, "action": "tag", "tag": "vip", "confirmed": "1"})

    assert list(Lead.objects.values_list("seller_id", flat=True)) == [seller.user_id, seller.user_id]
    assert Lead.objects.filter(tags__name="vip").count() == 2


def test_bulk_unassign(tenant, owner, seller, client_for):
    lead = LeadFactory(seller_id=seller.user_id)

    client_for(owner).post("/leads/bulk/", {"ids": [lead.pk], "action": "assign", "seller": "none", "confirmed": "1"})

    lead.refresh_from_db()
    assert lead.seller_id is None


def test_a_seller_cannot_bulk_assign_nor_touch_others_leads(tenant, seller, make_member, client_for):
    other = make_member(tenant)
    mine = LeadFactory(seller_id=seller.user_id)
    theirs = LeadFactory(seller_id=other.user_id)
    client = client_for(seller)

    assign = client.post(
        "/leads/bulk/", {"ids": [mine.pk], "action": "assign", "seller": other.user_id, "confirmed": "1"}
    )
    tag = client.post("/leads/bulk/", {"ids": [theirs.pk], "action": "tag", "tag": "vip", "confirmed": "1"})

    assert assign.status_code == 200
    assert "action" in assign.context["form"].errors
    assert tag.status_code == 200
    assert tag.context["leads"] == []
    mine.refresh_from_db()
    assert mine.seller_id == seller.user_id
    assert not Lead.objects.filter(tags__name="vip").exists()


def test_the_bulk_redirect_stays_on_this_site(tenant, owner, client_for):
    lead = LeadFactory()
    data = {"ids": [lead.pk], "action": "tag", "tag": "vip", "confirmed": "1", "next": "https://evil.example/"}

    response = client_for(owner).post("/leads/bulk/", data)

    assert response["Location"] == "/leads/"


# --- export -----------------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_export_streams_what_is_filtered_and_is_audited(english, tenant, owner, seller, client_for):
    lead = LeadFactory(
        phone="+34612000001", first_name="Ana", last_name="Pérez", email="ana@example.com", company="=cmd()",
        seller_id=seller.user_id, source="website", expected_value=Decimal("99.50"), score="hot",
    )  # fmt: skip
    lead.tags.add(TagFactory(name="vip"), TagFactory(name="fair"))
    LeadFactory(phone="+34612000002", source="referral")

    response = client_for(owner).get("/leads/export.csv", {"source": "website"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="leads-')
    rows = _csv(response)
    header, values = rows[0], rows[1:]
    assert len(values) == 1
    row = dict(zip(header, values[0], strict=True))
    assert {k: row[k] for k in ["Phone", "First name", "Last name", "Email", "Company", "Seller"]} == {
        "Phone": "+34612000001",
        "First name": "Ana",
        "Last name": "Pérez",
        "Email": "ana@example.com",
        "Company": "'=cmd()",
        "Seller": seller.user.email,
    }
    assert (row["Source"], row["Tags"], row["Expected value"], row["Score"]) == ("Website", "fair, vip", "99.50", "Hot")
    entry = AuditEntry.objects.get(action="lead.export")
    assert entry.actor == owner.user
    assert entry.changes["count"] == {"before": None, "after": 1}
    assert entry.changes["filters"] == {"before": None, "after": "source=website"}


def test_a_sellers_export_holds_only_their_leads(english, tenant, seller, make_member, client_for):
    other = make_member(tenant)
    LeadFactory(phone="+34612000001", seller_id=seller.user_id)
    LeadFactory(phone="+34612000002", seller_id=other.user_id)

    rows = _csv(client_for(seller).get("/leads/export.csv"))

    assert [row[0] for row in rows[1:]] == ["+34612000001"]
    assert AuditEntry.objects.get(action="lead.export").changes["count"]["after"] == 1


# --- import -----------------------------------------------------------------------------------------------

UPLOAD = csv_bytes(
    "phone,first_name,email",
    "612000001,Ana,ana@example.com",
    "12,Bad,bad@example.com",
    "699000111,Dup,dup@example.com",
)


def _upload(client, data=UPLOAD, name="leads.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/leads/import/", {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def test_import_flow_upload_preview_confirm_enqueue_run(
    tenant, owner, client_for, monkeypatch, django_capture_on_commit_callbacks
):
    LeadFactory(phone="+34699000111")
    sent = []
    monkeypatch.setattr(import_leads_task, "delay", lambda job_id: sent.append(job_id))
    client = client_for(owner)

    uploaded = _upload(client)
    job = ImportJob.objects.get()
    preview = client.get(f"/leads/import/{job.pk}/")
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(f"/leads/import/{job.pk}/confirm/")

    assert uploaded["Location"] == f"/leads/import/{job.pk}/"
    assert [row.ok for row in preview.context["preview"].rows] == [True, False, False]
    assert confirmed["Location"] == f"/leads/import/{job.pk}/"
    assert sent == [job.pk]
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED
    polling = client.get(f"/leads/import/{job.pk}/", **HTMX)
    assert b'hx-trigger="every 1s"' in polling.content

    import_leads_task.apply(args=[job.pk])

    job.refresh_from_db()
    assert (job.status, job.created_count, job.duplicate_count, job.error_count) == ("done", 1, 1, 1)
    assert [(error["row"], error["kind"]) for error in job.errors] == [(3, "error"), (4, "duplicate")]
    finished = client.get(f"/leads/import/{job.pk}/", **HTMX)
    assert b"hx-trigger" not in finished.content
    assert b'data-testid="created">1<' in finished.content


def test_the_preview_counts_what_will_be_imported_and_what_is_skipped(english, tenant, owner, client_for):
    LeadFactory(phone="+34699000111")
    client = client_for(owner)
    _upload(client)
    job = ImportJob.objects.get()

    body = client.get(f"/leads/import/{job.pk}/").content.decode()

    assert "The file's 3 rows" in body
    assert re.search(r'data-testid="preview-summary">\s*1 will be imported · 1 duplicate skipped · ', body)
    assert "1 row with errors skipped" in body
    assert ">Import 1 lead</button>" in body
    assert "The other 2 rows are skipped." in body
    assert "Import 3 rows" not in body


def test_a_preview_of_part_of_a_long_file_counts_the_whole_file_on_its_button(english, tenant, owner, client_for):
    client = client_for(owner)
    _upload(client, data=csv_bytes("phone", *[f"6120000{n:02d}" for n in range(25)]))
    job = ImportJob.objects.get()

    body = client.get(f"/leads/import/{job.pk}/").content.decode()

    assert "The first 20 rows of 25" in body
    assert ">Import the file (25 rows)</button>" in body
    assert "Rows without a usable phone or with a phone already in your leads are skipped" in body


def test_a_file_with_nothing_to_import_offers_no_import_button(english, tenant, owner, client_for):
    client = client_for(owner)
    _upload(client, data=csv_bytes("phone", "12", "34"))
    job = ImportJob.objects.get()

    body = client.get(f"/leads/import/{job.pk}/").content.decode()

    assert 'data-testid="nothing-to-import"' in body
    assert f'action="/leads/import/{job.pk}/confirm/"' not in body
    assert f'action="/leads/import/{job.pk}/discard/"' in body


def test_an_upload_without_a_phone_column_asks_which_column_is_the_phone(english, tenant, owner, client_for):
    client = client_for(owner)
    _upload(client, data=csv_bytes("name", "Ana"))
    job = ImportJob.objects.get()

    body = client.get(f"/leads/import/{job.pk}/").content.decode()

    assert 'data-testid="no-phone"' in body
    assert f'action="/leads/import/{job.pk}/confirm/"' not in body


def test_an_upload_that_is_not_csv_is_refused(tenant, owner, client_for):
    response = _upload(client_for(owner), name="leads.xlsx")

    assert list(response.context["form"].errors) == ["file"]
    assert ImportJob.objects.count() == 0


def test_a_job_is_seen_only_by_its_seller_or_an_owner(tenant, owner, seller, make_member, client_for):
    other = make_member(tenant)
    _upload(client_for(seller))
    job = ImportJob.objects.get()

    assert client_for(other).get(f"/leads/import/{job.pk}/").status_code == 404
    assert client_for(other).post(f"/leads/import/{job.pk}/confirm/").status_code == 404
    assert client_for(owner).get(f"/leads/import/{job.pk}/").status_code == 200
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEW


def test_another_tenants_member_cannot_confirm_an_import(
    tenant, owner, globex_owner, client_for, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(import_leads_task, "delay", lambda job_id: sent.append(job_id))
    _upload(client_for(owner))
    job = ImportJob.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(globex_owner.user, tenant).post(f"/leads/import/{job.pk}/confirm/")

    assert response.status_code == 403
    assert sent == []
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEW


def test_discarding_an_upload(tenant, owner, client_for):
    client = client_for(owner)
    _upload(client)
    job = ImportJob.objects.get()

    response = client.post(f"/leads/import/{job.pk}/discard/")

    assert response["Location"] == "/leads/import/"
    assert ImportJob.objects.count() == 0


def test_export_under_asgi_streams_through_an_async_iterator(english, tenant, owner):
    from asgiref.sync import async_to_sync
    from django.test import AsyncRequestFactory

    from crm.views.leads import lead_export_view

    LeadFactory(phone="+34612000001")
    LeadFactory(phone="+34612000002")
    # The middleware chain is skipped: the ASGI test client cannot send a tenant Host header.
    request = AsyncRequestFactory().get("/leads/export.csv")
    request.user, request.membership, request.tenant = owner.user, owner, tenant

    response = lead_export_view(request)

    async def read() -> str:
        return b"".join([chunk async for chunk in response.streaming_content]).decode("utf-8-sig")

    assert response.is_async is True
    assert [row[0] for row in csv.reader(io.StringIO(async_to_sync(read)()))] == [
        "Phone", "+34612000002", "+34612000001",
    ]  # fmt: skip
