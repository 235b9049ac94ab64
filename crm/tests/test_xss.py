"""Everything people type (lead fields, notes, calls, tags, stage names, file names, CSV cells, their own
names, the company name) is shown escaped wherever it appears: pages, htmx fragments, toasts, the
analytics' embedded JSON and the live events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from crm.models import Stage
from crm.realtime import announce_lead
from crm.services.documents import document_upload
from crm.services.imports import import_job_create
from crm.services.leads import lead_assign, lead_move
from crm.services.timeline import call_log, note_add
from crm.tests.factories import LeadFactory, stage
from crm.tests.helpers import PDF
from tenants.models import Role, Tenant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

XSS = "\"'><script>alert(1)</script><img src=x onerror=alert(2)>"  # 57 characters: fits a stage name
SHORT_XSS = "\"'><img src=x onerror=alert(2)>"  # fits a tag
RAW = ("<script>alert", "<img src=x", "onerror=alert(2)>")
HTMX = {"HTTP_HX_REQUEST": "true"}


def _raw(body: str) -> list[str]:
    return [marker for marker in RAW if marker in body]


@pytest.fixture
def hostile(acme, owner, make_member, media_root):
    """An acme full of markup: in the company name, a seller's name, a stage, a tag and every lead field."""
    Tenant.objects.filter(pk=acme.pk).update(name=f"Acme {XSS}")
    seller = make_member(acme, Role.SELLER, full_name=f"Seller {XSS}")
    with tenant_context(acme):
        Stage.objects.filter(key="interested").update(name=XSS)
        lead = LeadFactory(
            first_name=XSS,
            last_name=XSS,
            company=XSS,
            email="x@example.com",
            score="hot",
            score_reason=XSS,
            utm_source=XSS,
            utm_campaign=XSS,
            next_action=XSS,
            next_action_at=timezone.now() - timedelta(hours=1),
            notes=XSS,
            seller=seller.user,
            stage=stage("new"),
        )
        lead.tags.create(name=SHORT_XSS)
        note_add(lead=lead, actor=seller.user, body=XSS)
        call_log(lead=lead, actor=seller.user, outcome="answered", duration_seconds=30, body=XSS)
        lead_move(lead=lead, stage=stage("lost"), actor=owner.user, lost_reason=XSS)
        lead_move(lead=lead, stage=stage("interested"), actor=owner.user)
        lead_assign(lead=lead, seller_id=owner.user_id, actor=owner.user)
        lead_assign(lead=lead, seller_id=seller.user_id, actor=owner.user)
        document = document_upload(lead=lead, actor=seller.user, file=SimpleUploadedFile(f"{SHORT_XSS}.pdf", PDF))
        csv = f"phone,name,email,{XSS}\n+34600111222,{XSS},{XSS},{XSS}\nbad,{XSS},,\n".encode()
        job = import_job_create(name=f"{XSS}.csv", data=csv, actor=owner.user)
    return {"lead": lead, "seller": seller, "document": document, "job": job}


def _pages(hostile) -> list[tuple[str, dict]]:
    lead, job = hostile["lead"], hostile["job"]
    interested = stage("interested").pk
    return [
        ("/", {}),
        ("/leads/", {}),
        ("/leads/", HTMX),
        (f"/leads/?q={XSS}", {}),
        (f"/leads/{lead.pk}/", {}),
        (f"/leads/{lead.pk}/timeline/", HTMX),
        (f"/leads/{lead.pk}/edit/", {}),
        ("/leads/new/", {}),
        ("/pipeline/", {}),
        (f"/pipeline/?q={XSS}", {}),
        (f"/pipeline/columns/?stages={interested}", HTMX),
        (f"/pipeline/column/{interested}/", HTMX),
        ("/pipeline/stages/", {}),
        ("/analytics/", {}),
        ("/leads/import/", {}),
        (f"/leads/import/{job.pk}/", {}),
        ("/audit/", {}),
        ("/staff/", {}),
    ]


def test_no_page_shows_typed_markup_raw(hostile, owner, client_for):
    client = client_for(owner)

    with schema_context("acme"):
        pages = _pages(hostile)
    for url, headers in pages:
        response = client.get(url, **headers)
        body = response.content.decode()
        assert response.status_code == 200, url
        assert _raw(body) == [], url


def test_the_markup_is_there_escaped(hostile, owner, client_for):
    # The test above would pass on pages that show nothing: the lead page does show every value, escaped.
    body = client_for(owner).get(f"/leads/{hostile['lead'].pk}/").content.decode()

    assert body.count("&quot;&#x27;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;") >= 8
    assert "&quot;&#x27;&gt;&lt;img src=x onerror=alert(2)&gt;.pdf" in body


def test_analytics_json_and_import_results_are_escaped(hostile, acme, owner, client_for):
    client = client_for(owner)
    with tenant_context(acme):
        from crm.tasks import import_leads_task

        hostile["job"].status = "queued"
        hostile["job"].save(update_fields=["status"])
        import_leads_task.apply(args=[hostile["job"].pk])

    analytics = client.get("/analytics/").content.decode()
    results = client.get(f"/leads/import/{hostile['job'].pk}/").content.decode()

    assert "\\u003Cscript\\u003Ealert(1)" in analytics
    assert _raw(analytics) == []
    assert "Rows not imported" in results
    assert _raw(results) == []


def test_toasts_and_bulk_questions_escape_names(hostile, owner, client_for):
    client = client_for(owner)
    lead = hostile["lead"]

    question = client.post("/leads/bulk/", {"ids": [lead.pk], "action": "tag", "tag": SHORT_XSS}, **HTMX)
    done = client.post("/leads/bulk/", {"ids": [lead.pk], "action": "tag", "tag": SHORT_XSS, "confirmed": "1"})
    saved = client.post(
        f"/leads/{lead.pk}/edit/",
        {"phone": lead.phone, "first_name": XSS, "source": "manual", "expected_value": "1", "tags": ""},
        follow=True,
    )
    renamed = client.post(f"/pipeline/stages/{stage('new').pk}/rename/", {"name": XSS}, **HTMX)

    assert question.status_code == 200
    assert done.status_code == 302
    assert saved.redirect_chain[-1][0] == f"/leads/{lead.pk}/"
    assert "toast-success" in saved.content.decode()
    for response in (question, saved, renamed, client.get("/pipeline/")):
        assert _raw(response.content.decode()) == []


def test_live_events_carry_no_typed_text(hostile, tenant, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr("crm.realtime.publish", lambda **message: sent.append(message))

    announce_lead(lead=hostile["lead"], event="LEAD_UPDATED")

    assert len(sent) == 1
    assert _raw(sent[0]["html"]) == []
    assert "alert" not in sent[0]["html"]
