"""Demo products and sales documents, added by `manage.py seed_demo` (settings.DEMO_SEEDERS) in each demo
tenant: a small catalogue in the company's language, and documents in every state (quotes drafted, sent,
accepted, rejected, cancelled; orders from draft to invoiced; delivery notes; invoices from draft to paid;
credit notes), made through the services so numbers, totals, chains, histories and the audit log are
the real ones. Dated over the last weeks (within this year, so numbers follow dates). Deterministic per
tenant; does nothing when the tenant already has products or documents. No accounting connection is
configured."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import translation
from django_tenants.utils import tenant_context

from crm.models import Lead, Product, SalesDocument, Stage
from crm.services import sales_documents as edits
from crm.services import sales_documents_flow as flow
from crm.services.products import product_create
from tenants.models import Role, User
from tenants.selectors import active_members

# (name, reference, description, unit price, tax rate, unit)
CATALOGUE = {
    "es": [
        ("Consultoría", "SRV-CONS", "Hora de consultoría comercial", "75", "21", "hora"),
        ("Instalación in situ", "SRV-INST", "Montaje y puesta en marcha", "250", "21", "servicio"),
        ("Silla ergonómica", "MOB-SILLA", "Respaldo de malla, brazos regulables", "189.90", "21", "ud"),
        ("Mesa regulable en altura", "MOB-MESA", "160 x 80 cm, motor doble", "449", "21", "ud"),
        ("Manual de formación", "LIB-FORM", "Edición impresa", "29.90", "4", "ud"),
        ("Mantenimiento anual", "SRV-MANT", "Dos visitas al año y soporte", "480", "21", "año"),
        ("Cable HDMI 2 m", "ACC-HDMI", "", "9.95", "21", "ud"),
        ("Pack de arranque", "PACK-START", "Silla, mesa e instalación", "790", "21", "pack"),
    ],
    "en": [
        ("Consulting", "SRV-CONS", "Sales consulting, per hour", "90", "8.875", "hour"),
        ("On-site installation", "SRV-INST", "Assembly and set-up", "300", "8.875", "service"),
        ("Ergonomic chair", "FRN-CHAIR", "Mesh back, adjustable arms", "229", "8.875", "unit"),
        ("Standing desk", "FRN-DESK", "63 x 31 in, dual motor", "549", "8.875", "unit"),
        ("Training handbook", "BK-TRAIN", "Printed edition", "34.50", "0", "unit"),
        ("Annual maintenance", "SRV-MAINT", "Two visits a year and support", "560", "8.875", "year"),
        ("HDMI cable 6 ft", "ACC-HDMI", "", "12.99", "8.875", "unit"),
        ("Starter pack", "PACK-START", "Chair, desk and installation", "950", "8.875", "pack"),
    ],
}
SETTINGS = {
    "es": {
        "address": "Calle de Alcalá 123\n28009 Madrid",
        "tax_id": "B-12345678",
        "bank_details": "IBAN ES91 2100 0418 4502 0005 1332",
        "default_tax_rate": Decimal(21),
        "footer": "Sociedad inscrita en el Registro Mercantil de Madrid. Datos de demostración.",
    },
    "en": {
        "address": "350 Fifth Avenue\nNew York, NY 10118",
        "tax_id": "EIN 12-3456789",
        "bank_details": "ABA 021000021, account 123456789",
        "default_tax_rate": Decimal("8.875"),
        "footer": "Demo data. Thank you for your business.",
    },
}
NOTES = {
    "es": ["Entrega en horario de mañana.", "Incluye instalación en la oficina central.", ""],
    "en": ["Deliver in the morning, please.", "Includes installation at the head office.", ""],
}
# What each demo chain ends as, oldest first.
SCENARIOS = [
    "order_invoiced_paid",
    "order_credited",
    "invoice_paid",
    "order_invoiced_partly_paid",
    "order_partly_invoiced",
    "order_delivered",
    "quote_rejected",
    "order_partly_delivered",
    "invoice_posted",
    "order_cancelled",
    "order_confirmed",
    "quote_cancelled",
    "order_draft",
    "quote_accepted",
    "invoice_cancelled",
    "quote_sent",
    "invoice_draft",
    "quote_draft",
]


def _people(tenant) -> tuple[User | None, list[User]]:
    emails = [f"owner@{tenant.slug}.test", f"seller1@{tenant.slug}.test", f"seller2@{tenant.slug}.test"]
    users = {user.email: user for user in User.objects.filter(email__in=emails)}
    owner = users.get(emails[0])
    sellers = [users[email] for email in emails[1:] if email in users]
    if owner is None:
        members = active_members(tenant=tenant, roles=[Role.OWNER]).order_by("user_id")
        owner = members[0].user if members else None
    return owner, sellers


def _leads(sellers: list[User], count: int) -> list[Lead]:
    """Leads well into the pipeline, preferably with a seller, for the demo chains."""
    advanced = Stage.objects.filter(kind__in=[Stage.Kind.WON]) | Stage.objects.filter(key="negotiation")
    leads = list(
        Lead.objects.filter(stage__in=advanced, seller_id__in=[seller.pk for seller in sellers]).order_by("id")[:count]
    )
    if len(leads) < count:
        leads += list(Lead.objects.exclude(pk__in=[lead.pk for lead in leads]).order_by("id")[: count - len(leads)])
    return leads


def seed(*, tenant, stdout=None) -> int:
    """Adds the demo catalogue and documents to `tenant`. Returns how many documents it made."""
    with tenant_context(tenant), translation.override(tenant.language):
        if Product.objects.exists() or SalesDocument.objects.exists():
            if stdout is not None:
                stdout.write(f"  {tenant.slug}: products or documents already present, left as they are")
            return 0
        made = _seed(tenant)
        if stdout is not None:
            stdout.write(f"  {tenant.slug}: {made} demo sales documents and {Product.objects.count()} products")
    return made


@transaction.atomic
def _seed(tenant) -> int:
    language = "en" if tenant.language == "en" else "es"
    rng = random.Random(f"documents-demo-{tenant.slug}")  # noqa: S311 (demo data)
    owner, sellers = _people(tenant)
    edits.document_settings_update(
        actor=owner, legal_name=f"{tenant.name}", email=f"billing@{tenant.slug}.test", **SETTINGS[language]
    )
    products = [
        product_create(
            actor=owner,
            name=name,
            sku=sku,
            description=description,
            unit_price=Decimal(price),
            tax_rate=Decimal(rate),
            unit=unit,
        )
        for name, sku, description, price, rate, unit in CATALOGUE[language]
    ]
    product_create(actor=owner, name="Fax", sku="OLD-FAX", unit_price=Decimal(99), active=False)  # archived
    leads = _leads(sellers, len(SCENARIOS))
    if not leads:
        return 0
    today = edits.tenant_today(tenant)
    first_day = today.replace(month=1, day=1)
    before = SalesDocument.objects.count()
    for index, (scenario, lead) in enumerate(zip(SCENARIOS, leads, strict=False)):
        actor = next((seller for seller in sellers if seller.pk == lead.seller_id), owner)
        lines = [
            {"product": product, "quantity": Decimal(rng.choice([1, 1, 2, 3, 5]))}
            for product in rng.sample(products, k=rng.randint(1, 3))
        ]
        if rng.random() < 0.4:
            lines[0]["discount"] = Decimal(rng.choice([5, 10, 15]))
        if scenario in ("order_partly_delivered", "order_partly_invoiced", "order_credited"):
            lines[0]["quantity"] = max(lines[0]["quantity"], Decimal(3))  # room for a part of it
        chain = _chain(scenario, lead=lead, actor=actor, owner=owner, lines=lines, notes=rng.choice(NOTES[language]))
        days_ago = max(0, (len(SCENARIOS) - index) * 3 - rng.randint(0, 2))
        issued = max(first_day, today - timedelta(days=days_ago))
        _backdate(chain, issued)
    return SalesDocument.objects.count() - before


def _backdate(document: SalesDocument, issued) -> None:
    """Moves a freshly made chain's dates back to `issued` (demo data only: the services date what they
    make today)."""
    shift = edits.tenant_today() - issued
    if not shift:
        return
    root = document.chain_root_id
    for each in SalesDocument.objects.filter(pk=root) | SalesDocument.objects.filter(root_id=root):
        each.issue_date -= shift
        if each.due_date:
            each.due_date -= shift
        each.save(update_fields=["issue_date", "due_date"])
        each.payments.update(date=each.issue_date)


def _chain(scenario: str, *, lead: Lead, actor, owner, lines: list[dict], notes: str) -> SalesDocument:
    kind = "invoice" if scenario.startswith("invoice") else "quote"
    document = edits.document_create(
        lead=lead, kind=kind, actor=actor if kind == "quote" else owner, lines=lines, notes=notes
    )
    if kind == "invoice":
        return _invoice(scenario, document, owner)
    if scenario == "quote_draft":
        return document
    if scenario == "quote_cancelled":
        return flow.document_cancel(document=document, actor=actor, reason="")
    flow.document_send(document=document, actor=actor)
    if scenario == "quote_sent":
        return document
    if scenario == "quote_rejected":
        return flow.quote_reject(document=document, actor=actor)
    flow.quote_accept(document=document, actor=actor)
    if scenario == "quote_accepted":
        return document
    order = flow.quote_convert(document=document, actor=actor)
    if scenario == "order_draft":
        return order
    flow.order_confirm(document=order, actor=actor)
    if scenario == "order_cancelled":
        flow.order_deliver(document=order, actor=actor)  # its draft delivery note is cancelled with it
        return flow.document_cancel(document=order, actor=owner)
    if scenario == "order_confirmed":
        return order
    delivery = flow.order_deliver(document=order, actor=actor)
    if scenario == "order_partly_delivered":
        first = delivery.lines.order_by("position").first()
        edits.line_update(document=delivery, line_id=first.pk, actor=actor, quantity=first.quantity - 1)
    flow.delivery_validate(document=delivery, actor=actor)
    if scenario == "order_partly_delivered":
        flow.order_deliver(document=order, actor=actor)  # the rest, still a draft delivery note
        return order
    if scenario == "order_delivered":
        return order
    invoice = flow.order_invoice(document=order, actor=owner)
    if scenario == "order_partly_invoiced":
        first = invoice.lines.order_by("position").first()
        edits.line_update(document=invoice, line_id=first.pk, actor=owner, quantity=first.quantity - 1)
    flow.document_post(document=invoice, actor=owner)
    invoice.refresh_from_db()
    if scenario == "order_invoiced_paid":
        flow.payment_record(
            document=invoice, amount=invoice.amount_due, on=edits.tenant_today(), method="transfer", actor=owner
        )
    elif scenario == "order_invoiced_partly_paid":
        flow.payment_record(
            document=invoice,
            amount=(invoice.amount_due / 2).quantize(Decimal("0.01")),
            on=edits.tenant_today(),
            method="card",
            actor=owner,
        )
    elif scenario == "order_credited":
        credit = flow.invoice_credit(document=invoice, actor=owner)
        line = credit.lines.order_by("position").first()
        edits.line_update(document=credit, line_id=line.pk, actor=owner, quantity=Decimal(1))
        for other in credit.lines.exclude(pk=line.pk):
            edits.line_delete(document=credit, line_id=other.pk, actor=owner)
        flow.document_post(document=credit, actor=owner)
        invoice.refresh_from_db()
        if invoice.amount_credited < invoice.total_amount:
            flow.invoice_credit(document=invoice, actor=owner)
    return order


def _invoice(scenario: str, invoice: SalesDocument, owner) -> SalesDocument:
    if scenario == "invoice_draft":
        return invoice
    if scenario == "invoice_cancelled":
        return flow.document_cancel(document=invoice, actor=owner)
    flow.document_post(document=invoice, actor=owner)
    invoice.refresh_from_db()
    if scenario == "invoice_posted":
        # A credit note started by mistake and cancelled.
        flow.document_cancel(document=flow.invoice_credit(document=invoice, actor=owner), actor=owner)
    if scenario == "invoice_paid":
        flow.payment_record(
            document=invoice, amount=invoice.amount_due, on=edits.tenant_today(), method="cash", actor=owner
        )
        flow.document_send(document=invoice, actor=owner)
    return invoice
