"""Erasing a person (GDPR): nothing of them is left in any table or file of the company, the figures do
not move, other leads keep theirs, and the audit says that it happened and nothing of what was erased."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone, translation

from core.errors import ApplicationError
from core.models import AuditEntry, Notification
from crm.models import ImportJob, Lead, TimelineEntry
from crm.selectors.analytics import seller_report
from crm.selectors.dashboard import dashboard_figures, tenant_zone
from crm.services.documents import document_upload
from crm.services.erasure import lead_erase
from crm.services.imports import import_job_confirm, import_job_create, import_job_run
from crm.services.leads import lead_assign, lead_create, lead_move, lead_update
from crm.services.timeline import call_log, note_add
from crm.tests.factories import stage
from crm.tests.helpers import stored_files

pytestmark = pytest.mark.django_db

MARKS = {
    "first name": "Zebulon",
    "last name": "Quartermaine",
    "email": "zebulon.q@secret-acme.example",
    "phone": "+34699887766",
    "national phone": "699887766",
    "spaced phone": "699 88 77 66",
    "company": "Hushhush Holdings",
    "note": "Confidential note 7731",
    "call": "Said his wife is called Penelope",
    "next step": "Send the 4471 tender",
    "summary": "Lives at 12 Rue Secrète",
    "score reason": "Asked for the gold plan 9931",
    "document name": "passport-zebulon.txt",
    "document content": "PASSPORT-NUMBER-X0040",
    "ad text": "Hola Zebulon",
    "click id": "fbclid-zq-55190",
    "old email": "old.zebulon@secret-acme.example",
}


def _text_columns(schema: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = %s AND data_type IN ('character varying', 'text', 'jsonb', 'json', 'character')
            """,
            [schema],
        )
        return cursor.fetchall()


def _found_in_tables(schema: str) -> dict[str, list[str]]:
    """{mark: ["table.column", ...]} for every mark still stored anywhere in the company's schema."""
    found: dict[str, list[str]] = {}
    columns = _text_columns(schema)
    with connection.cursor() as cursor:
        for label, mark in MARKS.items():
            for table, column in columns:
                cursor.execute(
                    f'SELECT 1 FROM "{schema}"."{table}" WHERE "{column}"::text ILIKE %s LIMIT 1',  # noqa: S608
                    [f"%{mark}%"],
                )
                if cursor.fetchone():
                    found.setdefault(label, []).append(f"{table}.{column}")
    return found


def _found_in_files(root) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in stored_files(root):
        content = (root / name).read_bytes().decode("utf-8", errors="replace").lower()
        for label, mark in MARKS.items():
            if mark.lower() in content or mark.lower() in name.lower():
                found.setdefault(label, []).append(name)
    return found


@pytest.fixture
def person(tenant, owner, seller, media_root):
    """Zebulon, everywhere a person can be: the lead's fields, edits, notes, calls, a document, a lead-ad
    attribution, an import that created him and another where he was a duplicate."""
    csv = (
        "Teléfono;Nombre;Apellidos;Email;Empresa\n"
        f"{MARKS['spaced phone']};{MARKS['first name']};{MARKS['last name']};{MARKS['old email']};{MARKS['company']}\n"
        "612000009;Otra;Persona;otra@example.com;Otra SL\n"
    ).encode()
    job = import_job_create(name="feria.csv", data=csv, actor=owner.user)
    import_job_confirm(job=job, actor=owner.user)
    import_job_run(job_id=job.pk)
    lead = Lead.objects.get(phone=MARKS["phone"])
    lead = lead_update(
        lead=lead, actor=owner.user, email=MARKS["email"], score_reason=MARKS["score reason"], notes=MARKS["summary"],
        next_action=MARKS["next step"], next_action_at=timezone.now() + timedelta(days=1),
        expected_value=Decimal("20750"), ad_body=MARKS["ad text"], click_id=MARKS["click id"],
        meta_campaign_id="120200001", utm_source="facebook",
    )  # fmt: skip
    lead_assign(lead=lead, seller_id=seller.user_id, actor=owner.user)
    note_add(lead=lead, actor=seller.user, body=MARKS["note"])
    call_log(lead=lead, actor=seller.user, outcome="answered", duration_seconds=95, body=MARKS["call"])
    document_upload(
        lead=lead,
        actor=seller.user,
        file=SimpleUploadedFile(MARKS["document name"], f"{MARKS['document content']}\n".encode(), "text/plain"),
    )
    lead_move(lead=lead, stage=stage("negotiation"), actor=seller.user)
    lead_move(lead=lead, stage=stage("won"), actor=seller.user)
    again = import_job_create(name="again.csv", data=csv, actor=owner.user)
    import_job_confirm(job=again, actor=owner.user)
    import_job_run(job_id=again.pk)
    other = lead_create(
        actor=owner.user, phone="+34611000000", first_name="Keep", last_name="Me", email="keep@example.com",
        seller_id=seller.user_id, expected_value=Decimal("300"),
    )  # fmt: skip
    note_add(lead=other, actor=owner.user, body="the other lead's note stays")
    Notification.objects.create(
        user=seller.user, kind="lead", text=f"New lead {MARKS['first name']} {MARKS['last name']}", url="/leads/1/"
    )
    Notification.objects.create(user=seller.user, kind="lead", text="Call back", url=f"/leads/{lead.pk}/")
    Notification.objects.create(user=seller.user, kind="lead", text="Keep Me wrote", url=f"/leads/{other.pk}/")
    return Lead.objects.get(pk=lead.pk)


def _figures(tenant, membership) -> dict:
    dashboard = dashboard_figures(membership=membership)
    zone = tenant_zone(tenant)
    report = seller_report(tenant=tenant, date_from=date.today() - timedelta(days=60), date_to=date.today(), zone=zone)
    return {
        "new": dashboard.new_this_week,
        "stages": [(figure.stage.pk, figure.count, figure.total) for figure in dashboard.stages],
        "won_lost": (dashboard.won, dashboard.lost),
        "sources": [(figure.source, figure.count) for figure in dashboard.sources],
        "report": repr(report),
        "leads": Lead.objects.count(),
    }


def test_nothing_of_the_person_is_left_in_any_table_or_file_and_figures_stay(
    tenant, owner, seller, person, media_root, django_capture_on_commit_callbacks
):
    schema = tenant.schema_name
    # Every mark was stored somewhere to begin with (the document's content in its file only).
    assert set(_found_in_tables(schema)) == set(MARKS) - {"document content"}
    assert {"document content", "spaced phone"} <= set(_found_in_files(media_root))
    before = {"owner": _figures(tenant, owner), "seller": _figures(tenant, seller)}

    with django_capture_on_commit_callbacks(execute=True):
        lead_erase(tenant=tenant, lead=person, actor=owner.user)

    assert _found_in_tables(schema) == {}
    assert _found_in_files(media_root) == {}
    assert {"owner": _figures(tenant, owner), "seller": _figures(tenant, seller)} == before


def test_the_anonymous_lead_keeps_what_figures_need(tenant, owner, seller, person):
    erased = lead_erase(tenant=tenant, lead=person, actor=owner.user)

    erased.refresh_from_db()
    assert erased.erased_at is not None
    with translation.override("en"):
        assert str(erased) == f"Erased lead #{erased.pk}"
    assert (erased.stage, erased.seller_id, erased.expected_value, erased.source) == (
        stage("won"), seller.user_id, Decimal("20750.00"), Lead.Source.IMPORT,
    )  # fmt: skip
    assert (erased.meta_campaign_id, erased.utm_source) == ("120200001", "facebook")
    assert erased.closed_at is not None
    assert erased.created_at is not None
    kinds = sorted(TimelineEntry.objects.filter(lead=erased).values_list("kind", flat=True))
    assert kinds == ["assignment", "call", "created", "stage", "stage"]
    call = TimelineEntry.objects.get(lead=erased, kind="call")
    assert (call.body, call.data) == ("", {"outcome": "answered", "duration": 95})


def test_other_leads_and_other_rows_of_the_import_stay(tenant, owner, person):
    lead_erase(tenant=tenant, lead=person, actor=owner.user)

    assert list(Notification.objects.values_list("text", flat=True)) == ["Keep Me wrote"]
    other = Lead.objects.get(phone="+34611000000")
    assert (other.first_name, other.email) == ("Keep", "keep@example.com")
    assert TimelineEntry.objects.filter(lead=other, body="the other lead's note stays").exists()
    job = ImportJob.objects.order_by("pk").first()
    assert job.file.read().decode("utf-8-sig").splitlines() == [
        "Teléfono;Nombre;Apellidos;Email;Empresa",
        "612000009;Otra;Persona;otra@example.com;Otra SL",
    ]
    assert (job.created_count, job.total_rows) == (2, 2)


def test_the_audit_records_the_erasure_and_nothing_of_what_was_erased(english, tenant, owner, person):
    lead_erase(tenant=tenant, lead=person, actor=owner.user)

    entry = AuditEntry.objects.get(action="lead.erase")
    assert (entry.actor_id, entry.object_id, entry.changes) == (owner.user_id, str(person.pk), {})
    assert entry.object_repr == f"Erased lead #{person.pk}"
    moves = AuditEntry.objects.filter(action="lead.move", object_id=str(person.pk))
    assert [m.changes["stage"]["after"] for m in moves.order_by("pk")] == ["Negotiation", "Closed won"]


def test_erasing_twice_is_refused(tenant, owner, person):
    lead_erase(tenant=tenant, lead=person, actor=owner.user)

    with pytest.raises(ApplicationError):
        lead_erase(tenant=tenant, lead=Lead.objects.get(pk=person.pk), actor=owner.user)

    assert AuditEntry.objects.filter(action="lead.erase").count() == 1
