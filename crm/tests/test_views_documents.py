from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection

from core.models import AuditEntry
from crm.models import DocumentSettings, SalesDocument, SalesDocumentLine
from crm.services.sales_documents import tenant_today
from crm.services.sales_documents_flow import document_post, quote_accept
from crm.tests.documents_factories import ProductFactory, confirmed_order, line, make_document
from crm.tests.factories import LeadFactory
from tenants.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def accountant(acme, make_member):
    return make_member(acme, Role.ACCOUNTANT)


@pytest.fixture
def marketing(acme, make_member):
    return make_member(acme, Role.MARKETING)


@pytest.fixture
def lead(tenant, seller):
    return LeadFactory(seller=seller.user, company="Initech", first_name="Peter", last_name="Gibbons")


def _body(response) -> str:
    return response.content.decode()


# The list -----------------------------------------------------------------------------------------------


def test_the_list_filters_by_type_state_seller_dates_and_amount(lead, owner, seller, client_for):
    other = LeadFactory(company="Globochem")
    cheap = make_document(lead, owner.user, lines=[line(unit_price="10", tax_rate="0")])
    dear = make_document(other, owner.user, lines=[line(unit_price="5000", tax_rate="0")])
    quote_accept(document=dear, actor=owner.user)
    invoice = make_document(lead, owner.user, kind="invoice")
    client = client_for(owner)
    connection.set_schema_to_public()

    def numbers(query: str) -> set[str]:
        body = _body(client.get(f"/documents/?{query}"))
        return {doc.display_number for doc in (cheap, dear, invoice) if f"/documents/{doc.pk}/" in body}

    assert numbers("") == {cheap.display_number, dear.display_number, invoice.display_number}
    assert numbers("kind=quote") == {cheap.display_number, dear.display_number}
    assert numbers("kind=quote&state=accepted") == {dear.display_number}
    assert numbers(f"seller={seller.user_id}") == {cheap.display_number, invoice.display_number}
    assert numbers("amount_min=100") == {dear.display_number, invoice.display_number}
    assert numbers("amount_max=1.000,50") == {cheap.display_number, invoice.display_number}
    assert numbers("q=Globo") == {dear.display_number}
    assert numbers(f"lead={lead.pk}") == {cheap.display_number, invoice.display_number}
    tomorrow = (tenant_today() + timedelta(days=1)).isoformat()
    assert numbers(f"date_from={tomorrow}") == set()
    assert numbers(f"date_to={tomorrow}") == {cheap.display_number, dear.display_number, invoice.display_number}


def test_bad_filters_are_ignored_not_errors(lead, owner, client_for):
    make_document(lead, owner.user)
    client = client_for(owner)

    for query in ("amount_min=abc", "date_from=2026-13-45", "seller=%00", "lead=99999999999999999999999",
                  "sort=evil", "state=nonsense", "page=-3", "q=%00x", "amount_max=1e999"):  # fmt: skip
        assert client.get(f"/documents/?{query}").status_code == 200, query


def test_sellers_see_the_documents_of_their_own_leads_only(lead, owner, seller, make_member, acme, client_for):
    mine = make_document(lead, owner.user)
    theirs = make_document(LeadFactory(seller=make_member(acme, Role.SELLER).user), owner.user)

    body = _body(client_for(seller).get("/documents/"))

    assert f"/documents/{mine.pk}/" in body
    assert f"/documents/{theirs.pk}/" not in body
    assert client_for(seller).get(f"/documents/{theirs.pk}/").status_code == 404
    assert client_for(seller).get(f"/documents/{theirs.pk}/pdf/").status_code == 404


def test_marketing_has_no_documents(lead, owner, marketing, client_for):
    document = make_document(lead, owner.user)
    client = client_for(marketing)

    for url in ("/documents/", "/documents/orders/", f"/documents/{document.pk}/", "/products/"):
        assert client.get(url).status_code == 403, url


def test_the_list_and_board_take_the_same_queries_for_few_and_many_documents(lead, owner, client_for):
    client = client_for(owner)
    counts = []
    for total in (3, 30):
        while SalesDocument.objects.count() < total:
            order = make_document(LeadFactory(), owner.user, kind="order")
            SalesDocument.objects.filter(pk=order.pk).update(state="confirmed")
        connection.set_schema_to_public()
        per_page = []
        for url in ("/documents/?kind=order&state=confirmed&amount_min=1", "/documents/orders/"):
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            per_page.append(len(queries))
        counts.append(per_page)
        connection.set_tenant(owner.tenant)

    assert counts[0] == counts[1]


def test_the_orders_board_puts_orders_in_their_state_column(lead, owner, client_for):
    draft = make_document(lead, owner.user, kind="order")
    confirmed = confirmed_order(lead, owner.user)

    body = _body(client_for(owner).get("/documents/orders/"))

    column = body.split('data-state="draft"')[1].split("</section>")[0]
    assert f"/documents/{draft.pk}/" in column
    column = body.split('data-state="confirmed"')[1].split("</section>")[0]
    assert f"/documents/{confirmed.pk}/" in column


# Starting documents --------------------------------------------------------------------------------------


def test_a_seller_starts_a_quote_from_their_lead_page(lead, seller, client_for):
    client = client_for(seller)

    page = _body(client.get(f"/leads/{lead.pk}/"))
    response = client.post("/documents/new/", {"lead": lead.pk, "kind": "quote"})

    assert 'data-testid="new-quote"' in page
    assert 'data-testid="new-invoice"' not in page
    connection.set_tenant(seller.tenant)
    quote = SalesDocument.objects.get(lead=lead)
    assert response["Location"] == f"/documents/{quote.pk}/"
    assert (quote.kind, quote.state, quote.created_by_id) == ("quote", "draft", seller.user_id)


def test_who_may_start_what(lead, seller, owner, accountant, make_member, acme, client_for):
    someone_elses = LeadFactory(seller=make_member(acme, Role.SELLER).user)
    connection.set_schema_to_public()

    assert client_for(seller).post("/documents/new/", {"lead": lead.pk, "kind": "invoice"}).status_code == 403
    assert client_for(seller).post("/documents/new/", {"lead": someone_elses.pk, "kind": "quote"}).status_code == 404
    assert client_for(accountant).post("/documents/new/", {"lead": lead.pk, "kind": "quote"}).status_code == 403
    assert client_for(accountant).post("/documents/new/", {"lead": lead.pk, "kind": "invoice"}).status_code == 302
    assert client_for(owner).post("/documents/new/", {"lead": lead.pk, "kind": "order"}).status_code == 302
    for bad in ("", "abc", "-1", "9" * 30, "1\x00"):
        assert client_for(owner).post("/documents/new/", {"lead": bad, "kind": "quote"}).status_code == 404
    connection.set_tenant(acme)
    assert list(SalesDocument.objects.order_by("kind").values_list("kind", flat=True)) == ["invoice", "order"]


def test_the_lead_search_of_the_new_document_page(lead, accountant, client_for):
    body = _body(client_for(accountant).get("/documents/new/?kind=invoice&q=Gibbons"))

    assert "Peter Gibbons" in body
    assert f'name="lead" value="{lead.pk}"' in body


# The document page and inline editing -------------------------------------------------------------------


def test_typing_in_a_line_saves_it_and_answers_with_the_new_subtotal_and_totals(lead, owner, client_for):
    quote = make_document(lead, owner.user, lines=[line("Chairs", quantity="1", unit_price="100", tax_rate="21")])
    first = quote.lines.get()
    client = client_for(owner)

    response = client.post(
        f"/documents/{quote.pk}/lines/",
        {f"l{first.pk}-description": "Chairs", f"l{first.pk}-quantity": "3", f"l{first.pk}-unit_price": "1.234,5",
         f"l{first.pk}-discount": "10", f"l{first.pk}-tax_rate": "21", f"l{first.pk}-unit": ""},
        **HTMX,
    )  # fmt: skip

    body = _body(response)
    assert response.status_code == 200
    assert (
        f'<span id="line-{first.pk}-subtotal" data-testid="line-subtotal" hx-swap-oob="true">3.333,15\xa0€</span>'
        in body
    )
    assert 'id="document-totals"' in body
    assert "4.033,11\xa0€" in body  # 3,333.15 + 21 % (699.96), as en_ES writes it
    connection.set_tenant(owner.tenant)
    first.refresh_from_db()
    assert (first.quantity, first.unit_price, first.discount, first.subtotal) == (
        D(3),
        D("1234.5"),
        D(10),
        D("3333.15"),
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quantity", "abc", "Enter a number, like 1234.50."),
        ("quantity", "0", "Enter 0.001 or more."),
        ("quantity", "1e9", "Enter a number, like 1234.50."),
        ("unit_price", "-4", "Enter 0 or more."),
        ("unit_price", "99999999999", "Enter 9999999999 or less."),
        ("discount", "150", "Enter 100 or less."),
        ("description", "bad\x00byte", "Null characters are not allowed."),
        ("quantity", "", "This field is required."),
    ],
)
def test_bad_line_input_answers_422_with_the_message_and_changes_nothing(
    lead, owner, client_for, field, value, message
):
    quote = make_document(lead, owner.user)
    first = quote.lines.get()
    current = {"description": "Consulting", "quantity": "1", "unit_price": "100", "discount": "0", "tax_rate": "21"}
    data = {f"l{first.pk}-{name}": value for name, value in current.items()}
    data[f"l{first.pk}-{field}"] = value
    before = list(SalesDocumentLine.objects.values())

    response = client_for(owner).post(f"/documents/{quote.pk}/lines/", data, **HTMX)

    assert response.status_code == 422
    assert message in _body(response)
    connection.set_tenant(owner.tenant)
    assert list(SalesDocumentLine.objects.values()) == before


def test_adding_choosing_a_product_and_removing_lines(lead, owner, client_for):
    quote = make_document(lead, owner.user, lines=[])
    product = ProductFactory(name="Standing desk", unit_price=D("450"), tax_rate=D("21"))
    client = client_for(owner)

    added = client.post(f"/documents/{quote.pk}/lines/add/", {"product": product.pk}, **HTMX)
    connection.set_tenant(owner.tenant)
    new_line = quote.lines.get()
    free = client.post(f"/documents/{quote.pk}/lines/add/", {"product": ""}, **HTMX)
    connection.set_tenant(owner.tenant)
    free_line = quote.lines.exclude(pk=new_line.pk).get()
    swapped = client.post(f"/documents/{quote.pk}/lines/{free_line.pk}/product/", {"product": product.pk}, **HTMX)
    removed = client.post(f"/documents/{quote.pk}/lines/{new_line.pk}/delete/", **HTMX)

    assert added.status_code == 200
    assert _body(added).lstrip().startswith(f'<tr id="line-{new_line.pk}"')
    assert "544,50\xa0€" in _body(added)  # 450 + 21 %
    assert free.status_code == 200
    assert _body(swapped).lstrip().startswith(f'<tr id="line-{free_line.pk}"')
    assert "1.089,00\xa0€" in _body(swapped)
    assert removed.status_code == 200
    assert "544,50\xa0€" in _body(removed)
    connection.set_tenant(owner.tenant)
    assert list(quote.lines.values_list("description", "unit_price")) == [("Standing desk", D("450"))]


def test_a_lines_product_list_loads_when_it_is_to_be_changed_with_its_product_selected(lead, owner, client_for):
    desk, lamp = ProductFactory(name="Desk"), ProductFactory(name="Lamp")
    quote = make_document(lead, owner.user, lines=[{"product": lamp}, line("Free")])
    with_product, free = quote.lines.order_by("position")
    client = client_for(owner)

    page = client.get(f"/documents/{quote.pk}/").content.decode()
    chosen = client.get(f"/documents/{quote.pk}/lines/{with_product.pk}/product/", **HTMX).content.decode()
    unchosen = client.get(f"/documents/{quote.pk}/lines/{free.pk}/product/", **HTMX).content.decode()
    missing = client.get(f"/documents/{quote.pk}/lines/{10**9}/product/", **HTMX)

    assert page.count(f'<option value="{desk.pk}">') == 1  # only in the "add a line" list
    assert f'<option value="{lamp.pk}" selected>Lamp ({lamp.sku})</option>' in chosen
    assert f'<option value="{desk.pk}">Desk ({desk.sku})</option>' in chosen
    assert "selected" not in unchosen
    assert missing.status_code == 404


def test_a_plain_post_of_every_line_saves_them_without_javascript(lead, owner, client_for):
    quote = make_document(lead, owner.user, lines=[line("A"), line("B")])
    first, second = quote.lines.order_by("position")
    data = {}
    for each, quantity in ((first, "2"), (second, "5")):
        values = {"description": each.description, "quantity": quantity, "unit_price": "10", "tax_rate": "0"}
        data.update({f"l{each.pk}-{name}": value for name, value in values.items()})

    response = client_for(owner).post(f"/documents/{quote.pk}/lines/", data)

    assert (response.status_code, response["Location"]) == (302, f"/documents/{quote.pk}/")
    connection.set_tenant(owner.tenant)
    quote.refresh_from_db()
    assert quote.total_amount == D("70.00")


def test_a_posted_invoice_has_no_inputs_and_refuses_line_posts(lead, owner, accountant, client_for):
    invoice = make_document(lead, owner.user, kind="invoice")
    document_post(document=invoice, actor=owner.user)
    first = invoice.lines.get()
    client = client_for(accountant)

    page = _body(client.get(f"/documents/{invoice.pk}/"))
    response = client.post(
        f"/documents/{invoice.pk}/lines/",
        {f"l{first.pk}-description": "x", f"l{first.pk}-quantity": "9", f"l{first.pk}-unit_price": "1"},
        **HTMX,
    )

    assert f'name="l{first.pk}-quantity"' not in page
    assert response.status_code == 422
    assert "A posted invoice cannot be changed. Correct it with a credit note." in _body(response)
    connection.set_tenant(owner.tenant)
    assert invoice.lines.get().quantity == D(1)


def test_actions_follow_the_state_and_the_role(lead, owner, seller, accountant, client_for, media_root):
    order = confirmed_order(lead, owner.user)
    seller_page = _body(client_for(seller).get(f"/documents/{order.pk}/"))
    accountant_page = _body(client_for(accountant).get(f"/documents/{order.pk}/"))

    assert 'data-testid="action-deliver"' in seller_page
    assert 'data-testid="action-invoice"' not in seller_page
    assert 'data-testid="action-invoice"' in accountant_page
    assert 'data-testid="action-deliver"' not in accountant_page
    assert client_for(seller).post(f"/documents/{order.pk}/do/invoice/").status_code == 403
    assert client_for(accountant).post(f"/documents/{order.pk}/do/deliver/").status_code == 403
    assert client_for(owner).post(f"/documents/{order.pk}/do/explode/").status_code == 404

    response = client_for(accountant).post(f"/documents/{order.pk}/do/invoice/")
    connection.set_tenant(owner.tenant)
    invoice = SalesDocument.objects.get(kind="invoice")
    assert response["Location"] == f"/documents/{invoice.pk}/"


def test_a_refused_transition_says_why_and_stays_on_the_document(lead, owner, client_for):
    quote = make_document(lead, owner.user)
    client = client_for(owner)

    response = client.post(f"/documents/{quote.pk}/do/convert/", follow=True)

    assert "Only an accepted quote becomes an order; this quote is draft." in _body(response)
    assert response.redirect_chain[-1][0] == f"/documents/{quote.pk}/"


def test_recording_a_payment_from_the_page(lead, owner, accountant, client_for):
    invoice = make_document(lead, owner.user, kind="invoice", lines=[line(unit_price="100", tax_rate="0")])
    document_post(document=invoice, actor=owner.user)
    client = client_for(accountant)
    today = tenant_today().isoformat()

    bad = client.post(f"/documents/{invoice.pk}/payments/", {"amount": "500", "date": today, "method": "cash"})
    good = client.post(f"/documents/{invoice.pk}/payments/", {"amount": "40", "date": today, "method": "card"})
    bad_date = client.post(
        f"/documents/{invoice.pk}/payments/", {"amount": "1", "date": "2026-02-31", "method": "cash"}
    )

    assert bad.status_code == 422
    assert "more than what is due" in _body(bad)
    assert good.status_code == 302
    assert bad_date.status_code == 422
    connection.set_tenant(owner.tenant)
    invoice.refresh_from_db()
    assert (invoice.state, invoice.amount_paid) == ("partly_paid", D("40"))


def test_the_pdf_downloads_for_those_who_may_see_the_document(lead, owner, seller, accountant, client_for):
    quote = make_document(lead, owner.user)

    for member in (owner, seller, accountant):
        response = client_for(member).get(f"/documents/{quote.pk}/pdf/?download=1")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f'attachment; filename="draft-{quote.pk}.pdf"'
        assert response.content.startswith(b"%PDF-")


def test_the_document_page_shows_chain_history_and_totals(lead, owner, client_for):
    order = confirmed_order(lead, owner.user, lines=[line("Desk", quantity="2", unit_price="300", tax_rate="21")])

    body = _body(client_for(owner).get(f"/documents/{order.pk}/"))

    assert order.number in body
    assert 'data-testid="chain"' in body
    assert f"/documents/{order.parent_id}/" in body
    assert "Order confirmed" in body  # the history (audit labels)
    assert "726,00\xa0€" in body


def test_only_owners_change_the_document_settings(owner, seller, accountant, tenant, client_for):
    connection.set_schema_to_public()
    assert client_for(seller).get("/documents/settings/").status_code == 403
    assert client_for(accountant).get("/documents/settings/").status_code == 403

    response = client_for(owner).post(
        "/documents/settings/",
        {"legal_name": "Acme S.L.", "tax_id": "B1", "payment_terms_days": "15", "quote_validity_days": "20",
         "default_tax_rate": "21", "tax_rounding": "per_line"},
    )  # fmt: skip
    refused = client_for(owner).post("/documents/settings/", {"payment_terms_days": "9999", "tax_rounding": "x"})

    assert response.status_code == 302
    assert refused.status_code == 422
    connection.set_tenant(tenant)
    settings = DocumentSettings.objects.get()
    assert (settings.legal_name, settings.payment_terms_days, settings.tax_rounding) == ("Acme S.L.", 15, "per_line")
    assert AuditEntry.objects.filter(action="document.settings").count() == 1
