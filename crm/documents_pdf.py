"""The PDF of a sales document, in the company's language and currency: the company and its details, the
customer, the number and dates, the lines, the taxes per rate and the totals (no prices on a delivery
note), notes, payment details and the company's footer.

Rendered with fpdf2 (pure Python, from PyPI alone) in its built-in Helvetica, which covers Spanish, French
and English (Windows-1252). Characters outside it (another script in a customer's name) are written
with their closest Latin letters (Unidecode) rather than failing. Built-in fonts need no font file to
parse, which keeps a PDF to a few milliseconds."""

from __future__ import annotations

from datetime import date

from django.utils import translation
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from unidecode import unidecode

from crm.documents_format import format_amount, format_date, format_percent, format_quantity, format_unit_price
from crm.models import DocumentSettings, SalesDocument, SalesDocumentLine

Kind = SalesDocument.Kind
FONT = "helvetica"
INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (206, 212, 218)
HEAD_FILL = (241, 243, 245)


def pdf_filename(document: SalesDocument) -> str:
    return f"{document.number or f'draft-{document.pk}'}.pdf"


def _printable(text) -> str:
    """Text the built-in font can write: Windows-1252 characters as they are, others transliterated."""
    value = str(text or "")
    try:
        value.encode("cp1252")
        return value
    except UnicodeEncodeError:
        pass
    out = []
    for char in value:
        try:
            char.encode("cp1252")
            out.append(char)
        except UnicodeEncodeError:
            out.append(unidecode(char) or "?")
    return "".join(out)


def _date(value: date | None) -> str:
    return format_date(value)


def _titles() -> dict[str, str]:
    return {
        Kind.QUOTE: _("Quote"),
        Kind.ORDER: _("Order confirmation"),
        Kind.DELIVERY: _("Delivery note"),
        Kind.INVOICE: _("Invoice"),
        Kind.CREDIT_NOTE: _("Credit note"),
    }


class _DocumentPDF(FPDF):
    footer_text = ""

    def footer(self):
        self.set_y(-14)
        self.set_font(FONT, size=7)
        self.set_text_color(*MUTED)
        if self.footer_text:
            self.multi_cell(0, 3.2, self.footer_text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.cell(
            0, 4, _printable(_("Page %(page)s of %(pages)s") % {"page": self.page_no(), "pages": "{nb}"}), align="R"
        )


def render_document_pdf(
    *,
    document: SalesDocument,
    tenant,
    lines: list[SalesDocumentLine] | None = None,
    settings: DocumentSettings | None = None,
) -> bytes:
    """The document's PDF as bytes. Reads its lines and the company's settings unless given."""
    from crm.selectors.sales_documents import document_lines, document_tax_totals
    from crm.services.sales_documents import document_settings

    lines = lines if lines is not None else document_lines(document=document)
    settings = settings or document_settings()
    with translation.override(tenant.language):
        totals = document_tax_totals(document=document, lines=lines, rounding=settings.tax_rounding)
        pdf = _DocumentPDF(format="A4", unit="mm")
        pdf.core_fonts_encoding = "windows-1252"
        pdf.set_title(_printable(f"{_titles()[document.kind]} {document.display_number}"))
        pdf.set_author(_printable(settings.legal_name or tenant.name))
        pdf.set_creator("CRM")
        pdf.footer_text = _printable(settings.footer)
        pdf.set_auto_page_break(auto=True, margin=22 if settings.footer else 16)
        pdf.set_margins(16, 14, 16)
        pdf.add_page()
        _header(pdf, document, tenant, settings)
        _customer(pdf, document)
        _lines(pdf, document, lines)
        if document.kind != Kind.DELIVERY:
            _totals(pdf, document, totals)
        _closing(pdf, document, settings)
        return bytes(pdf.output())


def _header(pdf: FPDF, document: SalesDocument, tenant, settings: DocumentSettings) -> None:
    top = pdf.get_y()
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "B", 15)
    pdf.multi_cell(100, 7, _printable(settings.legal_name or tenant.name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=8.5)
    pdf.set_text_color(*MUTED)
    details = [settings.address]
    if settings.tax_id:
        details.append(_("Tax id: %(id)s") % {"id": settings.tax_id})
    details.append("  ·  ".join(value for value in (settings.email, settings.phone) if value))
    pdf.multi_cell(
        100, 4, _printable("\n".join(value for value in details if value)), new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    left_bottom = pdf.get_y()

    pdf.set_xy(120, top)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "B", 17)
    pdf.cell(74, 8, _printable(_titles()[document.kind].upper()), align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_x(120)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(74, 6, _printable(document.display_number), align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=8.5)
    facts = [(_("Date"), _date(document.issue_date))]
    if document.due_date:
        label = _("Valid until") if document.kind == Kind.QUOTE else _("Due date")
        if document.kind in (Kind.INVOICE, Kind.QUOTE):
            facts.append((label, _date(document.due_date)))
    if document.parent_id and document.parent.number:
        facts.append((document.parent.get_kind_display(), document.parent.number))
    if document.state == SalesDocument.State.DRAFT:
        facts.append((_("State"), document.get_state_display()))
    if document.state == SalesDocument.State.CANCELLED:
        facts.append((_("State"), document.get_state_display()))
    for label, value in facts:
        pdf.set_x(120)
        pdf.set_text_color(*MUTED)
        pdf.cell(40, 4.5, _printable(label), align="R")
        pdf.set_text_color(*INK)
        pdf.cell(34, 4.5, _printable(value), align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 6)


def _customer(pdf: FPDF, document: SalesDocument) -> None:
    lead = document.lead
    pdf.set_x(pdf.l_margin)
    pdf.set_font(FONT, "B", 8)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 4.5, _printable(_("Customer").upper()), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(110, 5, _printable(document.customer_name or str(lead)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=9)
    person = lead.full_name if lead.full_name and lead.full_name != document.customer_name else ""
    extra = [document.customer_details, person, lead.email, lead.phone]
    text = "\n".join(value for value in extra if value)
    if text:
        pdf.multi_cell(110, 4.5, _printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)


ROW_HEIGHT = 4.6
PAD = 1.6


def _row(
    pdf: FPDF, cells: list[str], widths: tuple, aligns: tuple, *, heading: list[str] | None = None, bold: bool = False
) -> None:
    """One table row: the first cell wraps (a long description), the others stay on one line. Drawn with
    plain cells, which are much faster than fpdf2's table for the few columns a document has. A row that
    does not fit goes to a new page, after the `heading` row again."""
    pdf.set_font(FONT, "B" if bold else "", 8.5)
    first = cells[0]
    if "\n" in first or pdf.get_string_width(first) > widths[0] - 2 * PAD:
        lines = pdf.multi_cell(widths[0] - 2 * PAD, ROW_HEIGHT, first, dry_run=True, output="LINES")
    else:
        lines = [first]
    height = ROW_HEIGHT * len(lines) + 2 * PAD
    if pdf.will_page_break(height):
        pdf.add_page()
        if heading:
            _row(pdf, heading, widths, aligns, bold=True)
            pdf.set_font(FONT, "B" if bold else "", 8.5)
    x, y = pdf.l_margin, pdf.get_y()
    if bold:
        pdf.set_fill_color(*HEAD_FILL)
        pdf.rect(x, y, sum(widths), height, style="F")
    for index, text in enumerate(lines):
        pdf.set_xy(x + PAD, y + PAD + index * ROW_HEIGHT)
        pdf.cell(widths[0] - 2 * PAD, ROW_HEIGHT, text)
    left = x + widths[0]
    for text, width, align in zip(cells[1:], widths[1:], aligns[1:], strict=True):
        pdf.set_xy(left + PAD, y + PAD)
        pdf.cell(width - 2 * PAD, ROW_HEIGHT, text, align=align)
        left += width
    pdf.set_draw_color(*RULE)
    pdf.line(x, y + height, x + sum(widths), y + height)
    pdf.set_xy(x, y + height)


def _lines(pdf: FPDF, document: SalesDocument, lines: list[SalesDocumentLine]) -> None:
    currency = document.currency
    delivery = document.kind == Kind.DELIVERY
    if delivery:
        headings = [_("Description"), _("Quantity"), _("Unit")]
        widths, aligns = (120, 28, 30), ("L", "R", "L")
    else:
        headings = [_("Description"), _("Qty"), _("Unit price"), _("Disc."), _("Tax"), _("Amount")]
        widths, aligns = (74, 18, 26, 16, 16, 28), ("L", "R", "R", "R", "R", "R")
    pdf.set_text_color(*INK)
    heading = [_printable(text) for text in headings]
    _row(pdf, heading, widths, aligns, bold=True)
    for line in lines:
        description = line.description or (line.product.name if line.product_id else "")
        quantity = format_quantity(line.quantity)
        if delivery:
            cells = [description, quantity, line.unit]
        else:
            unit = f" {line.unit}" if line.unit else ""
            cells = [
                description,
                f"{quantity}{unit}",
                format_unit_price(line.unit_price, currency),
                format_percent(line.discount) if line.discount else "",
                format_percent(line.tax_rate),
                format_amount(line.subtotal, currency),
            ]
        _row(pdf, [_printable(cell) for cell in cells], widths, aligns, heading=heading)
    pdf.ln(3)


def _totals(pdf: FPDF, document: SalesDocument, totals) -> None:
    currency = document.currency
    rows = [(_("Untaxed amount"), format_amount(totals.untaxed, currency), False)]
    for group in totals.taxes:
        label = _("Tax %(rate)s on %(base)s") % {
            "rate": format_percent(group.rate),
            "base": format_amount(group.base, currency),
        }
        rows.append((label, format_amount(group.amount, currency), False))
    rows.append((_("Total"), format_amount(totals.total, currency), True))
    if document.kind == Kind.INVOICE and (document.amount_paid or document.amount_credited):
        if document.amount_credited:
            rows.append((_("Credited"), format_amount(-document.amount_credited, currency), False))
        if document.amount_paid:
            rows.append((_("Paid"), format_amount(-document.amount_paid, currency), False))
        rows.append((_("Amount due"), format_amount(document.amount_due, currency), True))
    if pdf.will_page_break(6 * len(rows)):
        pdf.add_page()
    for label, value, strong in rows:
        pdf.set_x(pdf.w - pdf.r_margin - 100)
        pdf.set_font(FONT, "B" if strong else "", 10 if strong else 9)
        pdf.set_text_color(*(INK if strong else MUTED))
        pdf.cell(64, 5.6, _printable(label), align="R")
        pdf.set_text_color(*INK)
        pdf.cell(36, 5.6, _printable(value), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _closing(pdf: FPDF, document: SalesDocument, settings: DocumentSettings) -> None:
    pdf.ln(5)
    pdf.set_text_color(*INK)
    blocks = []
    if document.notes:
        blocks.append((_("Notes"), document.notes))
    if document.kind == Kind.INVOICE and document.due_date:
        payment = _("Please pay by %(date)s.") % {"date": _date(document.due_date)}
        if settings.bank_details:
            payment += "\n" + _("Bank details: %(details)s") % {"details": settings.bank_details}
        blocks.append((_("Payment"), payment))
    if document.kind == Kind.QUOTE and document.due_date:
        blocks.append((_("Validity"), _("This quote is valid until %(date)s.") % {"date": _date(document.due_date)}))
    if document.kind == Kind.DELIVERY:
        blocks.append((_("Received by"), "\n\n______________________________"))
    for title, text in blocks:
        pdf.set_font(FONT, "B", 8.5)
        pdf.cell(0, 5, _printable(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, size=8.5)
        pdf.multi_cell(0, 4.3, _printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
