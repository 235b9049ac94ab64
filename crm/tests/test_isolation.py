"""Tenant isolation and seller isolation of every CRM page, as an attacker would try them.

Acme holds a lead of seller A (with a note, a document, an import and a next step), all with telltale
values. Every CRM URL (GET, and POST where it takes one, with data that would succeed for someone allowed)
is then requested as:
- a globex owner on acme's host: 403, nothing of acme in the answer, nothing changed;
- a globex owner on globex's host with acme's ids: nothing of acme in the answer, nothing of acme changed;
- another acme seller (B): the status the page gives for a lead that is not theirs (404, or 403 for
  owners' pages, or their own page without A's lead), nothing of A's in the answer, nothing changed;
- an anonymous visitor: sent to sign in, nothing changed.

COVERED lists the probes per URL name and is compared with the resolver: a CRM URL added without a probe
here fails `test_every_crm_url_is_probed`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from core.models import AuditEntry
from crm.models import (
    DocumentSequence,
    DocumentSettings,
    ImportJob,
    Lead,
    LeadDocument,
    LeadRedirect,
    LostReason,
    Payment,
    Product,
    SalesDocument,
    SalesDocumentLine,
    SavedView,
    Stage,
    TimelineEntry,
)
from crm.services.documents import document_upload
from crm.services.imports import import_job_create
from crm.services.sales_documents import document_create, tenant_today
from crm.services.sales_documents_flow import (
    document_post,
    order_confirm,
    payment_record,
    quote_accept,
    quote_convert,
)
from crm.services.timeline import note_add
from crm.tests.documents_factories import ProductFactory
from crm.tests.factories import LeadFactory, stage
from crm.tests.helpers import PDF, stored_files
from tenants.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PHONE = "+34699887766"
SECRETS = {
    "first name": "Zebulon",
    "last name": "Quartermaine",
    "phone": PHONE,
    "national phone": "699887766",
    "email": "zebulon.q@secret-acme.example",
    "company": "Hushhush Holdings",
    "note": "Confidential note 7731",
    "next step": "Call about the 4471 tender",
    "document": "plan-secreto-5521.pdf",
    "import file": "acme-secret-import-8843.csv",
    "import row": "Ximena Importada",
    "document line": "Bespoke turbine 6617",
    "customer details": "Calle Secreta 77, Madrid",
}


@dataclass
class World:
    owner: object
    seller_a: object
    seller_b: object
    lead: Lead
    document: LeadDocument
    job: ImportJob
    stages: dict[str, Stage]
    quote: SalesDocument
    order: SalesDocument
    invoice: SalesDocument
    product: Product
    quote_line_id: int
    appointment_id: int
    note: TimelineEntry | None = None
    reason: LostReason | None = None
    view: SavedView | None = None


@pytest.fixture
def world(acme, owner, make_member, media_root) -> World:
    seller_a = make_member(acme, Role.SELLER, full_name="Seller Alpha", email="alpha.seller@acme.example")
    seller_b = make_member(acme, Role.SELLER, full_name="Seller Bravo", email="bravo.seller@acme.example")
    with tenant_context(acme):
        lead = LeadFactory(
            first_name=SECRETS["first name"],
            last_name=SECRETS["last name"],
            phone=PHONE,
            email=SECRETS["email"],
            company=SECRETS["company"],
            seller=seller_a.user,
            stage=stage("interested"),
            next_action=SECRETS["next step"],
            next_action_at=timezone.now() - timedelta(hours=1),
        )
        note = note_add(lead=lead, actor=seller_a.user, body=SECRETS["note"])
        reason = LostReason.objects.get(key="price")
        document = document_upload(lead=lead, actor=seller_a.user, file=SimpleUploadedFile(SECRETS["document"], PDF))
        csv = f"phone,name\n+34600111222,{SECRETS['import row']}\n".encode()
        job = import_job_create(name=SECRETS["import file"], data=csv, actor=seller_a.user)
        stages = {each.key: each for each in Stage.objects.all()}
        # Products are the company's catalogue (every seller reads it): its name is no secret.
        product = ProductFactory(name="Catalogue bolt", sku="BOLT-1")
        secret_line = {
            "description": SECRETS["document line"],
            "quantity": 2,
            "unit_price": 1500,
            "tax_rate": 21,
        }
        quote = document_create(lead=lead, kind="quote", actor=seller_a.user, lines=[secret_line, {"product": product}])
        SalesDocument.objects.filter(pk=quote.pk).update(customer_details=SECRETS["customer details"])
        accepted = document_create(lead=lead, kind="quote", actor=seller_a.user, lines=[secret_line])
        quote_accept(document=accepted, actor=seller_a.user)
        order = order_confirm(document=quote_convert(document=accepted, actor=seller_a.user), actor=seller_a.user)
        invoice = document_create(lead=lead, kind="invoice", actor=owner.user, lines=[secret_line])
        document_post(document=invoice, actor=owner.user)
        payment_record(document=invoice, amount=100, on=tenant_today(), method="cash", actor=owner.user)
        quote.refresh_from_db()
        order.refresh_from_db()
        invoice.refresh_from_db()
        quote_line_id = quote.lines.order_by("pk").values_list("pk", flat=True).first()
        appointment_id = _visit(lead, seller_a)
        view = SavedView.objects.create(name="Shared view", query="score=hot", user=owner.user, shared=True)
    return World(
        owner,
        seller_a,
        seller_b,
        lead,
        document,
        job,
        stages,
        quote,
        order,
        invoice,
        product,
        quote_line_id,
        appointment_id,
        note,
        reason,
        view,
    )


def _visit(lead: Lead, seller) -> int:
    """A completed appointment of the lead (for "invoice this visit")."""
    from agenda.models import Appointment
    from agenda.tests.factories import make_service

    start = timezone.now() - timedelta(days=1)
    end = start + timedelta(minutes=30)
    service = make_service(sellers=[seller], name="Visit")
    appointment = Appointment.objects.create(
        lead=lead, service=service, seller=seller.user, start=start, end=end, busy_until=end, status="completed"
    )
    return appointment.pk


def acme_state(world: World, media_root) -> dict:
    """Everything of acme an attack could change (B's own new import, made on purpose below, left out)."""
    with schema_context("acme"):
        b_files = {
            f"acme/{name}"
            for name in ImportJob.objects.filter(created_by=world.seller_b.user).values_list("file", flat=True)
        }
        return {
            "leads": list(Lead.objects.order_by("pk").values()),
            "tags": list(Lead.tags.through.objects.order_by("pk").values_list("lead_id", "tag_id")),
            "timeline": list(TimelineEntry.objects.order_by("pk").values_list("pk", "lead_id", "kind", "body")),
            "documents": list(LeadDocument.objects.order_by("pk").values_list("pk", "lead_id", "file")),
            "jobs": list(
                ImportJob.objects.exclude(created_by=world.seller_b.user)
                .order_by("pk")
                .values_list("pk", "status", "file", "mapping", "assignment")
            ),
            "stages": list(Stage.objects.order_by("pk").values_list("pk", "name", "position", "kind")),
            "lost reasons": list(LostReason.objects.order_by("pk").values_list("pk", "name", "position", "active")),
            "redirects": list(LeadRedirect.objects.values_list("old_id", "lead_id")),
            "saved views": list(
                SavedView.objects.exclude(user=world.seller_b.user).order_by("pk").values_list("pk", "name", "query")
            ),
            "sales documents": list(SalesDocument.objects.order_by("pk").values()),
            "document lines": list(SalesDocumentLine.objects.order_by("pk").values()),
            "payments": list(Payment.objects.order_by("pk").values()),
            "sequences": list(DocumentSequence.objects.order_by("pk").values()),
            "products": list(Product.objects.order_by("pk").values()),
            "document settings": list(DocumentSettings.objects.values()),
            # B's own export of their own leads is audited; anything B did to A's lead shows above.
            "audit": list(
                AuditEntry.objects.exclude(actor=world.seller_b.user).order_by("pk").values_list("pk", flat=True)
            ),
            "files": [name for name in stored_files(media_root) if name.startswith("acme/") and name not in b_files],
        }


# The probes ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    method: str
    url: Callable[[World], str]
    data: Callable[[World], dict] = field(default=lambda w: {})
    # What another acme seller gets (the lead, the document, the import belong to seller A).
    seller_status: int = 404
    follow: bool = False


def _lead_url(suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/leads/{w.lead.pk}/{suffix}"


def _stage_url(suffix: str) -> Callable[[World], str]:
    return lambda w: f"/pipeline/stages/{w.stages['new'].pk}/{suffix}"


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("injected.pdf", PDF)


def _b_csv() -> SimpleUploadedFile:
    # B uploads a file with A's lead's phone: the preview may say it exists, never whose it is.
    return SimpleUploadedFile("mine.csv", f"phone,name\n{PHONE},Mine Only\n".encode())


def _lead_form(w: World) -> dict:
    return {
        "phone": PHONE,
        "first_name": "Changed",
        "stage": w.stages["new"].pk,
        "seller": w.seller_b.user_id,
        "source": "manual",
        "expected_value": "1",
    }


def _all_stage_ids(w: World) -> str:
    return ",".join(str(each.pk) for each in w.stages.values())


def _doc_url(name: str, suffix: str = "") -> Callable[[World], str]:
    return lambda w: f"/documents/{getattr(w, name).pk}/{suffix}"


def _line_url(suffix: str) -> Callable[[World], str]:
    return lambda w: f"/documents/{w.quote.pk}/lines/{w.quote_line_id}/{suffix}"


def _line_data(w: World) -> dict:
    line = w.quote_line_id
    return {f"l{line}-description": "Injected", f"l{line}-quantity": "99", f"l{line}-unit_price": "1"}


def _action(name: str, action: str, data=None) -> Probe:
    return Probe("post", _doc_url(name, f"do/{action}/"), data or (lambda w: {}))


_PRODUCT_FORM = {"name": "Injected", "sku": "INJ", "unit_price": "1", "tax_rate": "0", "active": "on"}
_SETTINGS_FORM = {"legal_name": "Injected", "payment_terms_days": "1", "quote_validity_days": "1",
                  "default_tax_rate": "0", "tax_rounding": "per_line"}  # fmt: skip


def _product_csv() -> SimpleUploadedFile:
    return SimpleUploadedFile("products.csv", b"name,sku,price\nInjected,INJ,1\n")


COVERED: dict[str, list[Probe]] = {
    "crm:dashboard": [Probe("get", lambda w: "/", seller_status=200)],
    "crm:analytics": [Probe("get", lambda w: "/analytics/", seller_status=403)],
    "crm:search": [
        Probe("get", lambda w: f"/search/?q={SECRETS['last name']}", seller_status=200),
        Probe("get", lambda w: "/search/?q=699887766", seller_status=200),
    ],
    "crm:reports": [Probe("get", lambda w: "/analytics/forecast/", seller_status=403)],
    "crm:analytics-campaigns": [Probe("get", lambda w: "/analytics/campaigns/", seller_status=403)],
    "crm:analytics-won": [Probe("get", lambda w: "/analytics/won/", seller_status=403)],
    "crm:report-export": [
        Probe("get", lambda w, table=table: f"/analytics/export/{table}.csv", seller_status=403)
        for table in ("won", "campaigns", "lost_reasons", "sellers", "funnel")
    ],
    "crm:lead-list": [
        Probe("get", lambda w: f"/leads/?seller={w.seller_a.user_id}", seller_status=200),
        Probe("get", lambda w: f"/leads/?q={SECRETS['last name']}", seller_status=200),
    ],
    "crm:lead-export": [Probe("get", lambda w: f"/leads/export.csv?seller={w.seller_a.user_id}", seller_status=200)],
    "crm:lead-bulk": [
        Probe(
            "post",
            lambda w: "/leads/bulk/",
            lambda w: {"ids": [w.lead.pk], "action": "tag", "tag": "pwned", "confirmed": "true"},
            seller_status=200,
        ),
        Probe(
            "post",
            lambda w: "/leads/bulk/",
            lambda w: {"ids": [w.lead.pk], "action": "move", "stage": w.stages["won"].pk, "confirmed": "true"},
            seller_status=200,
        ),
        Probe(
            "post",
            lambda w: "/leads/bulk/",
            lambda w: {"ids": [w.lead.pk], "action": "assign", "seller": w.seller_b.user_id, "confirmed": "true"},
            seller_status=200,
        ),
        # Every lead matching a filter naming A's lead: B's own leads only (none).
        Probe(
            "post",
            lambda w: "/leads/bulk/",
            lambda w: {
                "all_matching": "1",
                "filters": f"q={SECRETS['last name']}&seller={w.seller_a.user_id}",
                "action": "tag",
                "tag": "pwned",
                "confirmed": "1",
            },
            seller_status=200,
        ),
    ],
    "crm:bulk-job": [Probe("get", lambda w: f"/leads/bulk/{w.job.pk}/")],
    # B's own view and columns are B's to save; the owner's shared view is not B's to delete.
    "crm:view-create": [
        Probe("post", lambda w: "/leads/views/", lambda w: {"name": "Mine", "query": "score=hot"}, seller_status=302)
    ],
    "crm:view-delete": [Probe("post", lambda w: f"/leads/views/{w.view.pk}/delete/")],
    "crm:list-columns": [
        Probe("post", lambda w: "/leads/columns/", lambda w: {"columns": ["stage"]}, seller_status=302)
    ],
    "crm:lead-create": [
        Probe("get", lambda w: "/leads/new/", seller_status=200),
        Probe("post", lambda w: "/leads/new/", _lead_form, seller_status=200),
    ],
    "crm:lead-edit": [Probe("get", _lead_url("edit/")), Probe("post", _lead_url("edit/"), _lead_form)],
    "crm:lead-import": [
        Probe("get", lambda w: "/leads/import/", seller_status=200),
        Probe("post", lambda w: "/leads/import/", lambda w: {"file": _b_csv()}, seller_status=200, follow=True),
    ],
    "crm:import-detail": [Probe("get", lambda w: f"/leads/import/{w.job.pk}/")],
    "crm:import-confirm": [Probe("post", lambda w: f"/leads/import/{w.job.pk}/confirm/")],
    "crm:import-discard": [Probe("post", lambda w: f"/leads/import/{w.job.pk}/discard/")],
    "crm:import-mapping": [
        Probe(
            "post",
            lambda w: f"/leads/import/{w.job.pk}/mapping/",
            lambda w: {"column_0": "", "column_1": "phone", "assignment": "unassigned"},
        )
    ],
    "crm:import-rejected": [Probe("get", lambda w: f"/leads/import/{w.job.pk}/rejected.csv")],
    # A colleague's lead: "not yours" (403), and nothing of it.
    "crm:lead-detail": [Probe("get", _lead_url(), seller_status=403)],
    "crm:lead-timeline": [Probe("get", _lead_url("timeline/"))],
    "crm:lead-stage": [
        Probe("post", _lead_url("stage/"), lambda w: {"stage": w.stages["lost"].pk, "lost_reason": "gone"})
    ],
    "crm:lead-assign": [
        Probe("post", _lead_url("assign/"), lambda w: {"seller": w.seller_b.user_id}, seller_status=403)
    ],
    "crm:lead-note": [Probe("post", _lead_url("notes/"), lambda w: {"body": "injected note"})],
    "crm:lead-call": [Probe("post", _lead_url("calls/"), lambda w: {"outcome": "answered", "duration": "2"})],
    "crm:lead-document-upload": [Probe("post", _lead_url("documents/"), lambda w: {"file": _pdf()})],
    "crm:lead-document": [Probe("get", lambda w: f"/leads/{w.lead.pk}/documents/{w.document.pk}/")],
    "crm:lead-next-step": [Probe("post", _lead_url("next-step/"), lambda w: {"next_action": "Injected step"})],
    "crm:lead-note-edit": [
        Probe("post", lambda w: f"/leads/{w.lead.pk}/notes/{w.note.pk}/edit/", lambda w: {"body": "rewritten"})
    ],
    "crm:lead-note-delete": [Probe("post", lambda w: f"/leads/{w.lead.pk}/notes/{w.note.pk}/delete/")],
    "crm:lead-merge-choose": [Probe("get", _lead_url("merge/?q=a"), seller_status=403)],
    "crm:lead-merge": [
        Probe(
            "post",
            lambda w: f"/leads/{w.lead.pk}/merge/{w.lead.pk + 1000}/",
            lambda w: {"keep": w.lead.pk + 1000},
            seller_status=403,
        )
    ],
    "crm:lead-delete": [Probe("post", _lead_url("delete/"), lambda w: {"confirm": "on"}, seller_status=403)],
    "crm:lead-erase": [Probe("post", _lead_url("erase/"), lambda w: {"confirm": "on"}, seller_status=403)],
    "crm:lost-reasons": [Probe("get", lambda w: "/pipeline/lost-reasons/", seller_status=403)],
    "crm:lost-reason-add": [
        Probe("post", lambda w: "/pipeline/lost-reasons/add/", lambda w: {"name": "Injected"}, seller_status=403)
    ],
    "crm:lost-reason-rename": [
        Probe(
            "post",
            lambda w: f"/pipeline/lost-reasons/{w.reason.pk}/rename/",
            lambda w: {"name": "Injected"},
            seller_status=403,
        )
    ],
    "crm:lost-reason-toggle": [
        Probe("post", lambda w: f"/pipeline/lost-reasons/{w.reason.pk}/toggle/", seller_status=403)
    ],
    "crm:lost-reason-move": [
        Probe(
            "post",
            lambda w: f"/pipeline/lost-reasons/{w.reason.pk}/move/",
            lambda w: {"direction": "down"},
            seller_status=403,
        )
    ],
    "crm:lost-reason-delete": [
        Probe("post", lambda w: f"/pipeline/lost-reasons/{w.reason.pk}/delete/", seller_status=403)
    ],
    "crm:board": [Probe("get", lambda w: f"/pipeline/?seller={w.seller_a.user_id}", seller_status=200)],
    "crm:board-move": [
        Probe("post", lambda w: "/pipeline/move/", lambda w: {"lead": w.lead.pk, "stage": w.stages["won"].pk})
    ],
    # A stage entry B may not see: not found (a real move's undo by others is in test_board_comforts).
    "crm:board-undo": [Probe("post", lambda w: "/pipeline/undo/", lambda w: {"entry": w.note.pk})],
    # A's lead's phone, spaced: B learns only that it is someone else's.
    "crm:board-quick-add": [
        Probe(
            "post",
            lambda w: "/pipeline/quick-add/",
            lambda w: {"stage": w.stages["new"].pk, "name": "Quick Intruder", "phone": "+34 699 887 766"},
            seller_status=422,
        )
    ],
    "crm:board-columns": [Probe("get", lambda w: f"/pipeline/columns/?stages={_all_stage_ids(w)}", seller_status=200)],
    "crm:board-column": [
        Probe("get", lambda w: f"/pipeline/column/{w.stages['interested'].pk}/?offset=0", seller_status=200)
    ],
    "crm:stage-list": [Probe("get", lambda w: "/pipeline/stages/", seller_status=403)],
    "crm:stage-add": [
        Probe(
            "post", lambda w: "/pipeline/stages/add/", lambda w: {"name": "Injected", "kind": "open"}, seller_status=403
        )
    ],
    "crm:stage-reorder": [
        Probe(
            "post",
            lambda w: "/pipeline/stages/reorder/",
            lambda w: {"order": ",".join(str(pk) for pk in sorted((s.pk for s in w.stages.values()), reverse=True))},
            seller_status=403,
        )
    ],
    "crm:stage-rename": [Probe("post", _stage_url("rename/"), lambda w: {"name": "Injected"}, seller_status=403)],
    "crm:stage-move": [Probe("post", _stage_url("move/"), lambda w: {"direction": "down"}, seller_status=403)],
    "crm:stage-delete": [
        Probe("post", _stage_url("delete/"), seller_status=403),
        Probe("post", _stage_url("delete/"), lambda w: {"move_to": w.stages["contacted"].pk}, seller_status=403),
    ],
    "crm:stage-rotting": [Probe("post", _stage_url("rotting/"), lambda w: {"rotting_days": "3"}, seller_status=403)],
    "crm:stage-probability": [
        Probe("post", _stage_url("probability/"), lambda w: {"win_probability": "99"}, seller_status=403)
    ],
    "crm:document-list": [
        Probe("get", lambda w: f"/documents/?lead={w.lead.pk}", seller_status=200),
        Probe("get", lambda w: f"/documents/?seller={w.seller_a.user_id}&kind=invoice", seller_status=200),
        Probe("get", lambda w: "/documents/?q=Hushhush", seller_status=200),
    ],
    "crm:document-kanban": [
        Probe("get", lambda w: f"/documents/orders/?seller={w.seller_a.user_id}", seller_status=200)
    ],
    "crm:document-create": [
        Probe("get", lambda w: f"/documents/new/?kind=quote&q={SECRETS['last name']}", seller_status=200),
        Probe("post", lambda w: "/documents/new/", lambda w: {"lead": w.lead.pk, "kind": "quote"}),
    ],
    "crm:document-settings": [
        Probe("get", lambda w: "/documents/settings/", seller_status=403),
        Probe("post", lambda w: "/documents/settings/", lambda w: _SETTINGS_FORM, seller_status=403),
    ],
    "crm:document-from-appointment": [
        Probe("post", lambda w: f"/documents/from-appointment/{w.appointment_id}/", seller_status=403)
    ],
    "crm:document-detail": [Probe("get", _doc_url("quote")), Probe("get", _doc_url("invoice"))],
    "crm:document-edit": [
        Probe("post", _doc_url("quote", "edit/"), lambda w: {"customer_name": "Injected", "notes": "Injected"})
    ],
    "crm:document-lines": [Probe("post", _doc_url("quote", "lines/"), _line_data)],
    "crm:document-line-add": [Probe("post", _doc_url("quote", "lines/add/"), lambda w: {"product": w.product.pk})],
    "crm:document-line-product": [
        Probe("get", _line_url("product/")),
        Probe("post", _line_url("product/"), lambda w: {"product": w.product.pk}),
    ],
    "crm:document-line-delete": [Probe("post", _line_url("delete/"))],
    "crm:document-action": [
        _action("quote", "send"),
        _action("quote", "accept"),
        _action("quote", "cancel", lambda w: {"reason": "Injected"}),
        _action("order", "deliver"),
        _action("order", "invoice"),
        _action("order", "cancel"),
        _action("invoice", "credit"),
        _action("invoice", "send"),
    ],
    "crm:document-payment": [
        Probe(
            "post",
            _doc_url("invoice", "payments/"),
            lambda w: {"amount": "1", "date": timezone.now().date().isoformat(), "method": "cash"},
        )
    ],
    "crm:document-pdf": [Probe("get", _doc_url("quote", "pdf/")), Probe("get", _doc_url("invoice", "pdf/?download=1"))],
    "crm:product-list": [Probe("get", lambda w: "/products/?show=all", seller_status=200)],
    "crm:product-create": [
        Probe("get", lambda w: "/products/new/", seller_status=403),
        Probe("post", lambda w: "/products/new/", lambda w: _PRODUCT_FORM, seller_status=403),
    ],
    "crm:product-edit": [
        Probe("get", lambda w: f"/products/{w.product.pk}/edit/", seller_status=403),
        Probe("post", lambda w: f"/products/{w.product.pk}/edit/", lambda w: _PRODUCT_FORM, seller_status=403),
    ],
    "crm:product-import": [
        Probe("get", lambda w: "/products/import/", seller_status=403),
        Probe("post", lambda w: "/products/import/", lambda w: {"file": _product_csv()}, seller_status=403),
    ],
    "crm:product-import-apply": [
        Probe("post", lambda w: "/products/import/apply/", lambda w: {"token": "0" * 32}, seller_status=403)
    ],
    "crm:product-import-discard": [
        Probe("post", lambda w: "/products/import/discard/", lambda w: {"token": "0" * 32}, seller_status=403)
    ],
}

PROBES = [(name, index, probe) for name, probes in COVERED.items() for index, probe in enumerate(probes)]
IDS = [f"{name}-{probe.method}-{index}" for name, index, probe in PROBES]


def _crm_url_names() -> set[str]:
    def walk(patterns, namespace=None):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and namespace == "crm":
                yield f"crm:{entry.name}"

    return set(walk(get_resolver("config.urls_tenants").url_patterns))


def test_every_crm_url_is_probed():
    crm_names = {name for name in COVERED if name.startswith("crm:")}

    assert _crm_url_names() - crm_names == set(), "CRM URLs without an isolation probe in COVERED"
    assert crm_names - _crm_url_names() == set(), "probes of CRM URLs that no longer exist"


def _send(client: Client, probe: Probe, world: World):
    url = probe.url(world)
    if probe.method == "get":
        response = client.get(url, follow=probe.follow)
        response.sent = url
    else:
        data = probe.data(world)
        files = [value for value in data.values() if hasattr(value, "read")]
        sent = url + repr(data) + "".join(file.read().decode(errors="replace") for file in files)
        for file in files:
            file.seek(0)
        response = client.post(url, data, follow=probe.follow)
        response.sent = sent
    return response


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _leaks(response) -> list[str]:
    """The telltale values in the answer, but for those the request itself carried (a search box or a
    form shows back what was typed)."""
    body = _body(response)
    sent = getattr(response, "sent", "")
    return [label for label, value in SECRETS.items() if value in body and value not in sent]


def test_the_telltale_values_do_show_where_they_may(world, client_for):
    # Without this the leak checks below could pass because nothing renders at all.
    owner, seller_a = client_for(world.owner), client_for(world.seller_a)

    detail = _body(owner.get(f"/leads/{world.lead.pk}/"))
    imports = _body(seller_a.get(f"/leads/import/{world.job.pk}/"))

    for label in ("first name", "last name", "phone", "email", "company", "note", "document", "next step"):
        assert SECRETS[label] in detail, label
    for label in ("import file", "import row"):
        assert SECRETS[label] in imports, label
    quote = _body(owner.get(f"/documents/{world.quote.pk}/"))
    for label in ("document line", "customer details", "company"):
        assert SECRETS[label] in quote, label
    assert SECRETS["document line"] in _body(seller_a.get(f"/documents/{world.invoice.pk}/"))
    assert SECRETS["company"] in _body(owner.get("/documents/?q=Hushhush"))
    column = seller_a.get(f"/pipeline/columns/?stages={_all_stage_ids(world)}")
    assert _leaks(column) == ["first name", "last name", "company"]


@pytest.mark.parametrize(("name", "index", "probe"), PROBES, ids=IDS)
def test_a_globex_owner_on_acmes_host_gets_403_learns_nothing_changes_nothing(
    world, globex_owner, acme, client_for, media_root, name, index, probe
):
    before = acme_state(world, media_root)

    response = _send(client_for(globex_owner.user, acme), probe, world)

    assert response.status_code == 403
    assert _leaks(response) == []
    assert "Acme Test" not in _body(response)
    assert acme_state(world, media_root) == before


@pytest.mark.parametrize(("name", "index", "probe"), PROBES, ids=IDS)
def test_a_globex_owner_on_globex_with_acmes_ids_learns_nothing_changes_nothing(
    world, globex_owner, client_for, media_root, name, index, probe
):
    before = acme_state(world, media_root)

    response = _send(client_for(globex_owner), probe, world)

    assert response.status_code < 500
    assert _leaks(response) == []
    assert acme_state(world, media_root) == before


@pytest.mark.parametrize(("name", "index", "probe"), PROBES, ids=IDS)
def test_another_acme_seller_gets_nothing_of_seller_as_lead(world, client_for, media_root, name, index, probe):
    before = acme_state(world, media_root)

    response = _send(client_for(world.seller_b), probe, world)

    assert response.status_code == probe.seller_status
    assert _leaks(response) == []
    assert acme_state(world, media_root) == before


@pytest.mark.parametrize(("name", "index", "probe"), PROBES, ids=IDS)
def test_an_anonymous_visitor_is_sent_to_sign_in_and_changes_nothing(world, acme, media_root, name, index, probe):
    before = acme_state(world, media_root)

    response = _send(Client(HTTP_HOST="acme.localhost"), Probe(probe.method, probe.url, probe.data), world)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert acme_state(world, media_root) == before


@pytest.mark.parametrize(
    ("name", "index", "probe"),
    [entry for entry in PROBES if entry[2].method == "post"],
    ids=[i for i, entry in zip(IDS, PROBES, strict=True) if entry[2].method == "post"],
)
def test_every_post_needs_the_csrf_token(world, media_root, name, index, probe):
    # The acme owner may do all of these; without the token (a cross-site form) each is refused.
    client = Client(HTTP_HOST="acme.localhost", enforce_csrf_checks=True)
    client.force_login(world.owner.user)
    before = acme_state(world, media_root)

    response = _send(client, Probe(probe.method, probe.url, probe.data), world)

    assert response.status_code == 403
    assert acme_state(world, media_root) == before


# Mass assignment: people of another tenant (users are shared by every tenant) --------------------------


def _seller_posts(w: World, outsider_id: int) -> list[tuple[str, dict]]:
    form = _lead_form(w) | {"phone": "+34611999888", "seller": outsider_id}
    return [
        ("/leads/new/", form),
        (f"/leads/{w.lead.pk}/edit/", form | {"phone": PHONE}),
        (f"/leads/{w.lead.pk}/assign/", {"seller": outsider_id}),
        ("/leads/bulk/", {"ids": [w.lead.pk], "action": "assign", "seller": outsider_id, "confirmed": "1"}),
    ]


@pytest.mark.parametrize("index", range(4), ids=["create", "edit", "assign", "bulk-assign"])
def test_an_owner_cannot_give_a_lead_to_a_user_of_another_tenant(
    world, globex, make_member, client_for, media_root, index
):
    outsider = make_member(globex, Role.SELLER, full_name="Globex Seller")
    url, data = _seller_posts(world, outsider.user_id)[index]
    before = acme_state(world, media_root)

    response = client_for(world.owner).post(url, data)

    assert response.status_code in (200, 422)
    assert "Globex Seller" not in response.content.decode()
    assert acme_state(world, media_root) == before


def test_validate_seller_refuses_users_of_another_tenant_and_inactive_members(world, acme, globex, make_member):
    from core.errors import ApplicationError
    from crm.services.leads import validate_seller
    from tenants.models import MembershipStatus

    globex_seller = make_member(globex, Role.SELLER)
    pending_here = make_member(acme, Role.SELLER, MembershipStatus.PENDING)
    accountant = make_member(acme, Role.ACCOUNTANT)

    with tenant_context(acme):
        for user_id in (globex_seller.user_id, pending_here.user_id, accountant.user_id, 10**9):
            with pytest.raises(ApplicationError):
                validate_seller(user_id)
        assert validate_seller(world.seller_b.user_id) == world.seller_b.user_id


def test_a_seller_cannot_hand_their_lead_to_someone_else(world, client_for, media_root):
    # B's own lead, edited with a `seller` field the form does not have for sellers, stays B's.
    with tenant_context(world.owner.tenant):
        mine = LeadFactory(seller=world.seller_b.user, phone="+34611999777")
    data = _lead_form(world) | {"phone": mine.phone, "seller": world.seller_a.user_id}

    response = client_for(world.seller_b).post(f"/leads/{mine.pk}/edit/", data)

    assert response.status_code == 302
    with tenant_context(world.owner.tenant):
        assert Lead.objects.get(pk=mine.pk).seller_id == world.seller_b.user_id
