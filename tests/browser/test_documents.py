"""Sales documents as a person uses them: a quote built line by line with the totals following as she
types, turned into an order, delivered, invoiced, posted, and its PDF downloaded."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from crm.models import DocumentSequence, Payment, Product, SalesDocument, SalesDocumentLine

pytestmark = pytest.mark.browser


@pytest.fixture
def documents(leads):
    """Deletes the products and documents the test (and the server) made in acme, before the leads go."""

    def mark():
        return {
            "product": Product.objects.order_by("-id").values_list("id", flat=True).first() or 0,
            "document": SalesDocument.objects.order_by("-id").values_list("id", flat=True).first() or 0,
            "sequences": {(row.kind, row.year): row.last_number for row in DocumentSequence.objects.all()},
        }

    marks = leads.read(mark)

    def products(*specs) -> list[Product]:
        return leads.read(lambda: [Product.objects.create(**spec) for spec in specs])

    yield products

    def forget():
        made = SalesDocument.objects.filter(pk__gt=marks["document"])
        Payment.objects.filter(document__in=made).delete()
        SalesDocumentLine.objects.filter(document__in=made).update(order_line=None)
        SalesDocumentLine.objects.filter(document__in=made).delete()
        made.update(parent=None, root=None)
        made.delete()
        Product.objects.filter(pk__gt=marks["product"]).delete()
        for row in DocumentSequence.objects.all():
            if (row.kind, row.year) in marks["sequences"]:
                row.last_number = marks["sequences"][(row.kind, row.year)]
                row.save()
            else:
                row.delete()

    leads.read(forget)


def test_a_quote_built_line_by_line_becomes_an_order_delivered_invoiced_posted_and_downloaded(
    site, people, person, leads, documents, screenshot
):
    # given an owner of acme (a Spanish company: amounts read 1.633,50 € even in English), a lead of hers
    # and a product in the catalogue
    owner = people.member("owner", "Olivia Owner", {"acme": "owner"})
    lead = leads.create(phone="+34 611 500 301", first_name="Quentin", last_name="Quote", company="Quotable SL")
    documents({"name": "Standing desk", "sku": "DESK-1", "unit_price": 450, "tax_rate": 21, "unit": "unit"})
    context = person(accept_downloads=True)
    people.sign_in(context, owner, "acme")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(site.url("acme", f"/leads/{lead.pk}/"))

    # when she starts a quote from the lead page
    page.get_by_test_id("new-quote").click()

    # then an empty draft quote opens
    expect(page.get_by_test_id("document-title")).to_contain_text("Quote Draft #")
    expect(page.get_by_test_id("total")).to_have_text("0,00\xa0€")

    # when she adds the desk and types a quantity of 3
    page.locator("#add-line-product").select_option(label="Standing desk (DESK-1) · 450,00\xa0€")
    page.get_by_test_id("add-line").click()
    desk = page.locator("tr.line-row").first
    expect(page.get_by_test_id("total")).to_have_text("544,50\xa0€")
    desk.get_by_test_id("line-quantity").fill("")
    desk.get_by_test_id("line-quantity").press_sequentially("3", delay=40)

    # then the line and the totals follow as she types
    expect(desk.get_by_test_id("line-subtotal")).to_have_text("1.350,00\xa0€")
    expect(page.get_by_test_id("total-untaxed")).to_have_text("1.350,00\xa0€")
    expect(page.get_by_test_id("total")).to_have_text("1.633,50\xa0€")

    # when she adds a free-text line for the installation at 200 with 10 % tax and 5 % off
    page.locator("#add-line-product").select_option(value="")
    page.get_by_test_id("add-line").click()
    expect(page.locator("tr.line-row")).to_have_count(2)
    installation = page.locator("tr.line-row").nth(1)
    installation.locator("textarea").fill("Installation on site")
    installation.get_by_test_id("line-price").fill("200")
    installation.get_by_test_id("line-tax").fill("10")
    installation.get_by_test_id("line-discount").fill("5")

    # then each tax rate has its own line and the total adds them up
    expect(installation.get_by_test_id("line-subtotal")).to_have_text("190,00\xa0€")
    expect(page.get_by_test_id("tax-10")).to_have_text("19,00\xa0€")
    expect(page.get_by_test_id("tax-21")).to_have_text("283,50\xa0€")
    expect(page.get_by_test_id("total")).to_have_text("1.842,50\xa0€")
    screenshot(page, "document-quote")

    # when the customer accepts and she converts the quote to an order, then confirms it
    page.get_by_test_id("action-accept").click()
    expect(page.get_by_test_id("document-state")).to_have_text("Accepted")
    quote_number = page.get_by_test_id("document-title").inner_text().removeprefix("Quote ")
    page.get_by_test_id("action-convert").click()
    expect(page.get_by_test_id("document-title")).to_contain_text("Order Draft #")
    expect(page.get_by_test_id("total")).to_have_text("1.842,50\xa0€")
    page.get_by_test_id("action-confirm").click()

    # then the order has its number and the chain shows where it came from
    expect(page.get_by_test_id("document-state")).to_have_text("Confirmed")
    expect(page.get_by_test_id("document-title")).to_contain_text("Order SO-")
    expect(page.get_by_test_id("chain")).to_contain_text(quote_number)
    order_url = page.url

    # when she delivers it and validates the delivery note
    page.get_by_test_id("action-deliver").click()
    expect(page.get_by_test_id("document-title")).to_contain_text("Delivery note Draft #")
    page.get_by_test_id("action-validate").click()
    expect(page.get_by_test_id("document-state")).to_have_text("Done")

    # then the order is delivered
    page.goto(order_url)
    expect(page.get_by_test_id("document-state")).to_have_text("Delivered")

    # when she invoices the order and posts the invoice
    page.get_by_test_id("action-invoice").click()
    expect(page.get_by_test_id("document-title")).to_contain_text("Invoice Draft #")
    page.get_by_test_id("action-post").click()

    # then the invoice is posted with its number, its lines can no longer be edited, and the order is invoiced
    expect(page.get_by_test_id("document-state")).to_have_text("Posted")
    expect(page.get_by_test_id("document-title")).to_contain_text("Invoice INV-")
    expect(page.get_by_test_id("amount-due")).to_have_text("1.842,50\xa0€")
    expect(page.get_by_test_id("line-quantity")).to_have_count(0)
    expect(page.get_by_test_id("chain")).to_contain_text("Delivery note DN-")
    screenshot(page, "document-invoice")

    # when she downloads the PDF
    with page.expect_download() as download:
        page.get_by_test_id("pdf-link").click()

    # then it is the invoice's PDF
    path = download.value.path()
    assert download.value.suggested_filename.startswith("INV-")
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    order = leads.read(lambda: SalesDocument.objects.get(kind="order", lead_id=lead.pk))
    assert order.state == "invoiced"
