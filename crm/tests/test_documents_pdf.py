import re
import zlib
from decimal import Decimal as D

import pytest

from core import formatting
from crm.documents_pdf import render_document_pdf
from crm.models import DocumentSettings
from crm.services.sales_documents import tenant_today
from crm.services.sales_documents_flow import document_post, order_deliver, payment_record, quote_accept
from crm.tests.documents_factories import confirmed_order, line, make_document
from crm.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    """The text drawn in a PDF made by fpdf2 (its content streams, inflated), as one string."""
    assert data.startswith(b"%PDF-")
    chunks = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            chunks.append(zlib.decompress(raw).decode("cp1252"))
        except zlib.error:
            chunks.append(raw.decode("cp1252", errors="replace"))
    shown = re.findall(r"\((.*?)(?<!\\)\)\s*Tj", "\n".join(chunks), re.S)
    return "\n".join(text.replace("\\(", "(").replace("\\)", ")").replace("\\\\", "\\") for text in shown)


@pytest.fixture
def company(tenant):
    return DocumentSettings.objects.create(
        legal_name="Acme Ventas S.L.",
        address="Calle Mayor 1\n28001 Madrid",
        tax_id="B12345678",
        bank_details="ES91 2100 0418 4502 0005 1332",
        footer="Inscrita en el Registro Mercantil de Madrid",
    )


def test_an_invoice_pdf_has_the_company_customer_lines_taxes_totals_number_and_dates(tenant, company, owner):
    tenant.language = "es"
    lead = LeadFactory(company="Núñez & Hijos (Sevilla)", first_name="Ana", last_name="Núñez", email="ana@example.es")
    invoice = make_document(
        lead,
        owner.user,
        kind="invoice",
        lines=[
            line("Silla ergonómica", quantity="4", unit_price="250", discount="10", tax_rate="21"),
            line("Libro técnico", quantity="1", unit_price="39.90", tax_rate="4"),
        ],
    )
    document_post(document=invoice, actor=owner.user)
    payment_record(document=invoice, amount=D("100"), on=tenant_today(), method="cash", actor=owner.user)
    invoice.refresh_from_db()

    text = pdf_text(render_document_pdf(document=invoice, tenant=tenant))

    for expected in (
        "Acme Ventas S.L.",
        "Calle Mayor 1",
        "B12345678",
        "FACTURA",
        invoice.number,
        formatting.date(tenant_today(), language="es", region="ES"),
        "Núñez & Hijos (Sevilla)",
        "ana@example.es",
        "Silla ergonómica",
        "900,00\xa0€",  # 4 x 250 less 10 %
        "39,90\xa0€",
        "939,90\xa0€",  # untaxed: 900 + 39.90
        "1.130,50\xa0€",  # total: 939.90 + 189.00 + 1.60
        "189,00\xa0€",
        "1,60\xa0€",
        "1.030,50\xa0€",  # due after 100 paid
        "ES91 2100 0418 4502 0005 1332",
        "Inscrita en el Registro Mercantil de Madrid",
    ):
        assert expected in text, expected


def test_a_quote_pdf_speaks_the_company_language_and_currency(tenant, owner, settings):
    tenant.language, tenant.currency = "fr", "EUR"
    lead = LeadFactory(company="Société Générale de Test")
    quote = make_document(lead, owner.user, lines=[line("Conseil", quantity="1.5", unit_price="1200", tax_rate="20")])
    quote_accept(document=quote, actor=owner.user)
    quote.refresh_from_db()

    text = pdf_text(render_document_pdf(document=quote, tenant=tenant))

    assert "DEVIS" in text
    assert "1\u202f800,00\xa0€" in text or "1 800,00\xa0€" in text or "1\xa0800,00\xa0€" in text
    assert "Valable jusqu" in text or "valable jusqu" in text


def test_a_delivery_note_shows_quantities_and_no_prices(tenant, owner):
    tenant.language = "en"
    lead = LeadFactory()
    order = confirmed_order(lead, owner.user, lines=[line("Pallet of bricks", quantity="3", unit_price="777.77")])
    delivery = order_deliver(document=order, actor=owner.user)

    text = pdf_text(render_document_pdf(document=delivery, tenant=tenant))

    assert "DELIVERY NOTE" in text
    assert "Pallet of bricks" in text
    assert "777" not in text
    assert order.number in text


def test_characters_outside_the_font_are_transliterated_not_fatal(tenant, owner):
    tenant.language = "en"
    lead = LeadFactory(company="北京 Trading Ωmega")
    quote = make_document(lead, owner.user, lines=[line("Emoji 🚀 line")])

    text = pdf_text(render_document_pdf(document=quote, tenant=tenant))

    assert "Bei Jing  Trading Omega" in text or "Bei Jing Trading Omega" in text
    assert "Emoji" in text
