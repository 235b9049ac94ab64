"""What the accounting sync (odoo_sync) uses: crm.public's document functions."""

from decimal import Decimal as D

import pytest
from django.db import connection

from core.actors import SYSTEM
from core.errors import ApplicationError
from core.models import AuditEntry
from core.tenancy import TenantRequired
from crm import public
from crm.models import Payment, SalesDocument
from crm.services.sales_documents import tenant_today
from crm.services.sales_documents_flow import document_cancel, document_post
from crm.tests.documents_factories import ProductFactory, confirmed_order, line, make_document
from crm.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(tenant):
    return LeadFactory()


def test_mark_posted_posts_a_draft_once(acme, lead, owner):
    invoice = make_document(lead, owner.user, kind="invoice")

    first = public.document_mark_posted_from_external(tenant=acme, document=invoice, actor=SYSTEM)
    again = public.document_mark_posted_from_external(tenant=acme, document=invoice, actor=SYSTEM)

    assert (first.state, first.number) == ("posted", f"INV-{tenant_today().year}-0001")
    assert (again.state, again.number) == (first.state, first.number)
    entry = AuditEntry.objects.get(action="document.external_post")
    assert (entry.object_id, entry.actor_kind) == (str(invoice.pk), "system")


def test_mark_posted_refuses_what_cannot_be_posted(acme, lead, owner, english):
    quote = make_document(lead, owner.user)
    invoice = make_document(lead, owner.user, kind="invoice")
    document_cancel(document=invoice, actor=owner.user)

    with pytest.raises(ApplicationError, match="Only invoices and credit notes"):
        public.document_mark_posted_from_external(tenant=acme, document=quote, actor=SYSTEM)
    with pytest.raises(ApplicationError, match="cancelled"):
        public.document_mark_posted_from_external(tenant=acme, document=invoice, actor=SYSTEM)


def test_mark_paid_records_the_difference_once_and_never_more_than_is_due(acme, lead, owner):
    invoice = make_document(lead, owner.user, kind="invoice", lines=[line(unit_price="100", tax_rate="21")])
    document_post(document=invoice, actor=owner.user)

    public.document_mark_paid_from_external(tenant=acme, document=invoice, amount_paid=D("50"), actor=SYSTEM)
    public.document_mark_paid_from_external(tenant=acme, document=invoice, amount_paid=D("50"), actor=SYSTEM)
    partly = SalesDocument.objects.get(pk=invoice.pk)
    public.document_mark_paid_from_external(tenant=acme, document=invoice, amount_paid=D("500"), actor=SYSTEM)
    paid = SalesDocument.objects.get(pk=invoice.pk)

    assert (partly.state, partly.amount_paid) == ("partly_paid", D("50"))
    assert (paid.state, paid.amount_paid) == ("paid", D("121"))
    payments = list(Payment.objects.values_list("amount", "method", "external"))
    assert payments == [(D("50"), "transfer", True), (D("71"), "transfer", True)]


def test_mark_paid_posts_a_draft_first(acme, lead, owner):
    invoice = make_document(lead, owner.user, kind="invoice", lines=[line(unit_price="10", tax_rate="0")])

    paid = public.document_mark_paid_from_external(tenant=acme, document=invoice, amount_paid=D("10"), actor=SYSTEM)

    assert (paid.state, paid.amount_paid, bool(paid.number)) == ("paid", D("10"), True)


def test_flag_external_cancel_leaves_the_state_and_records_the_note_once(acme, lead, owner):
    invoice = make_document(lead, owner.user, kind="invoice")
    document_post(document=invoice, actor=owner.user)

    for _ in range(2):
        public.document_flag_external_cancel(tenant=acme, document=invoice, actor=SYSTEM, note="Cancelled in Odoo")

    invoice.refresh_from_db()
    assert (invoice.state, invoice.external_cancel_note) == ("posted", "Cancelled in Odoo")
    assert AuditEntry.objects.filter(action="document.external_cancel").count() == 1


def test_documents_for_sync_reads_everything_in_a_fixed_number_of_queries(acme, lead, owner, django_assert_num_queries):
    order = confirmed_order(lead, owner.user, lines=[line(), {"product": ProductFactory()}])
    invoice = make_document(lead, owner.user, kind="invoice")
    ids = [order.pk, invoice.pk, 10**9]

    with django_assert_num_queries(3):
        documents = public.documents_for_sync(tenant=acme, ids=ids)
        lines = [
            [(line.description, line.product and line.product.name) for line in doc.lines.all()] for doc in documents
        ]
        leads = [doc.lead.phone for doc in documents]
        parents = [doc.parent and doc.parent.kind for doc in documents]
        paid = [list(doc.payments.all()) for doc in documents]

    assert [doc.pk for doc in documents] == [order.pk, invoice.pk]
    assert len(lines[0]) == 2
    assert lines[0][1][1] is not None
    assert leads == [lead.phone, lead.phone]
    assert parents == ["quote", None]
    assert paid == [[], []]


def test_every_function_checks_the_company(acme, globex, lead, owner):
    invoice = make_document(lead, owner.user, kind="invoice")
    connection.set_tenant(acme)

    for call in (
        lambda: public.documents_for_sync(tenant=globex, ids=[invoice.pk]),
        lambda: public.document_mark_posted_from_external(tenant=globex, document=invoice),
        lambda: public.document_mark_paid_from_external(tenant=globex, document=invoice, amount_paid=D(1)),
        lambda: public.document_flag_external_cancel(tenant=globex, document=invoice, note="x"),
        lambda: public.products_by_sku(tenant=globex, skus=["SKU-1"]),
        lambda: public.document_for_origin(tenant=globex, origin_type="chats.order", origin_id="1"),
        lambda: public.quote_create_for_origin(
            tenant=globex, lead=lead, origin_type="chats.order", origin_id="1", lines=[line(unit_price="1")]
        ),
    ):
        with pytest.raises(TenantRequired):
            call()
    invoice.refresh_from_db()
    assert (invoice.state, invoice.external_cancel_note) == ("draft", "")


def test_products_by_sku_matches_active_products_whatever_the_case(acme, lead):
    shampoo = ProductFactory(sku="Sham-01")
    ProductFactory(sku="OLD-1", active=False)
    ProductFactory(sku="")

    assert public.products_by_sku(tenant=acme, skus=["sham-01", "old-1", "", "missing"]) == {"sham-01": shampoo}
    assert public.products_by_sku(tenant=acme, skus=[]) == {}


def test_a_quote_for_an_origin_is_made_once(acme, lead):
    shampoo = ProductFactory(sku="SHAM-01", unit_price=D("11"), tax_rate=D("21"))
    lines = [
        {"product": shampoo, "quantity": D(2), "unit_price": D("9.50")},
        line(description="sku-2", unit_price="20"),
    ]

    quote, created = public.quote_create_for_origin(
        tenant=acme, lead=lead, actor=SYSTEM, origin_type="chats.order", origin_id="7", lines=lines, notes="Friday"
    )
    again, created_again = public.quote_create_for_origin(
        tenant=acme, lead=lead, actor=SYSTEM, origin_type="chats.order", origin_id="7", lines=lines
    )

    assert (created, created_again, again.pk) == (True, False, quote.pk)
    assert (quote.kind, quote.state, quote.notes, quote.origin_type, quote.origin_id) == (
        "quote", "draft", "Friday", "chats.order", "7",
    )  # fmt: skip
    assert [(item.product_id, item.quantity, item.unit_price, item.tax_rate) for item in quote.lines.all()] == [
        (shampoo.pk, D(2), D("9.50"), D(21)),
        (None, D(1), D(20), D(21)),
    ]
    assert public.document_for_origin(tenant=acme, origin_type="chats.order", origin_id="7") == quote
    assert AuditEntry.objects.get(action="document.create").actor_kind == "system"


def test_a_refused_line_writes_no_quote(acme, lead):
    with pytest.raises(ApplicationError):
        public.quote_create_for_origin(
            tenant=acme, lead=lead, origin_type="chats.order", origin_id="8", lines=[line(quantity="0")]
        )
    assert not SalesDocument.objects.exists()
