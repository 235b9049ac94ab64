from datetime import timedelta
from decimal import Decimal as D

import pytest

from core.errors import ApplicationError
from core.models import AuditEntry
from crm.models import LeadDocument, Payment, Product, SalesDocument, SalesDocumentLine, TimelineEntry
from crm.selectors.sales_documents import document_chain, order_progress
from crm.services.sales_documents import (
    document_create,
    document_update,
    line_add,
    line_delete,
    line_set_product,
    line_update,
    tenant_today,
)
from crm.services.sales_documents_flow import (
    delivery_validate,
    document_cancel,
    document_post,
    document_send,
    invoice_credit,
    order_confirm,
    order_deliver,
    order_invoice,
    payment_record,
    quote_accept,
    quote_convert,
    quote_reject,
)
from crm.tests.documents_factories import (
    ProductFactory,
    confirmed_order,
    delivered,
    line,
    make_document,
    posted_invoice,
)
from crm.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

Kind = SalesDocument.Kind
State = SalesDocument.State


@pytest.fixture
def lead(tenant, seller):
    return LeadFactory(seller=seller.user, company="Hooli SL", first_name="Gavin", last_name="Belson")


def year() -> int:
    return tenant_today().year


def entries(lead, action=None):
    found = TimelineEntry.objects.filter(lead=lead, kind="sales_document").order_by("id")
    return [entry for entry in found if action is None or entry.data["action"] == action]


def audit_actions(document) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type="crm.salesdocument", object_id=str(document.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


# Creating and editing drafts ----------------------------------------------------------------------------


def test_a_quote_starts_as_an_unnumbered_draft_with_totals_in_the_company_currency(lead, owner):
    quote = document_create(
        lead=lead,
        kind=Kind.QUOTE,
        actor=owner.user,
        lines=[
            line("Design", quantity="2", unit_price="100", discount="15", tax_rate="21"),
            line("Book", quantity="1", unit_price="49.90", tax_rate="10"),
        ],
    )

    quote.refresh_from_db()
    assert (quote.kind, quote.state, quote.number, quote.currency) == ("quote", "draft", "", "EUR")
    assert (quote.untaxed_amount, quote.tax_amount, quote.total_amount) == (D("219.90"), D("40.69"), D("260.59"))
    assert quote.customer_name == "Hooli SL"
    assert quote.seller_id == lead.seller_id
    assert quote.issue_date == tenant_today()
    assert quote.due_date == tenant_today() + timedelta(days=30)
    assert [entry.data["action"] for entry in entries(lead)] == ["create"]
    assert audit_actions(quote) == ["document.create"]


def test_lines_from_products_take_their_price_tax_and_unit_and_totals_follow_every_edit(lead, owner):
    quote = make_document(lead, owner.user, lines=[])
    product = ProductFactory(name="Widget", unit_price=D("12.50"), tax_rate=D("10"), unit="box")

    first = line_add(document=quote, actor=owner.user, product=product)
    second = line_add(document=quote, actor=owner.user, description="Set-up", unit_price=D("80"), quantity=D("1"))
    quote.refresh_from_db()
    assert (first.description, first.unit_price, first.tax_rate, first.unit, first.subtotal) == (
        "Widget", D("12.50"), D("10"), "box", D("12.50")
    )  # fmt: skip
    assert second.tax_rate == D("0")  # the company's default rate (none set)
    assert quote.total_amount == D("93.75")

    line_update(document=quote, line_id=first.pk, actor=owner.user, quantity=D("4"), discount=D("10"))
    quote.refresh_from_db()
    assert quote.untaxed_amount == D("125.00")  # 45.00 + 80.00
    assert quote.tax_amount == D("4.50")

    line_set_product(document=quote, line_id=second.pk, product=ProductFactory(unit_price=D("10"), tax_rate=D("21")),
                     actor=owner.user)  # fmt: skip
    line_delete(document=quote, line_id=first.pk, actor=owner.user)
    quote.refresh_from_db()
    assert (quote.untaxed_amount, quote.tax_amount, quote.total_amount) == (D("10.00"), D("2.10"), D("12.10"))


def test_editing_audits_every_change_but_writes_one_history_entry_per_session(lead, owner):
    quote = make_document(lead, owner.user)
    first = quote.lines.get()

    for quantity in ("2", "3", "4"):
        line_update(document=quote, line_id=first.pk, actor=owner.user, quantity=D(quantity))
    document_update(document=quote, actor=owner.user, notes="Delivery in May")

    assert [entry.data["action"] for entry in entries(lead)] == ["create"]
    assert audit_actions(quote) == ["document.create", *["document.line.update"] * 3, "document.update"]
    line_update(document=quote, line_id=first.pk, actor=lead.seller, quantity=D("5"))
    assert [entry.data["action"] for entry in entries(lead)] == ["create", "update"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"quantity": D("0")}, "The quantity must be more than zero."),
        ({"quantity": D("-1")}, "The quantity must be more than zero."),
        ({"quantity": D("1000000000")}, "The quantity is too large."),
        ({"unit_price": D("-0.01")}, "The unit price cannot be negative."),
        ({"unit_price": D("99999999999")}, "The unit price is too large."),
        ({"discount": D("100.01")}, "Discounts and tax rates are percentages between 0 and 100."),
        ({"tax_rate": D("-1")}, "Discounts and tax rates are percentages between 0 and 100."),
        ({"description": "x" * 2001}, "A description can have at most 2,000 characters."),
        ({"description": "  "}, "Choose a product or describe the line."),
        ({"quantity": D("999999999"), "unit_price": D("9999999999")}, "This line's amount is too large."),
    ],
)
def test_bad_line_values_are_refused_and_nothing_changes(lead, owner, english, values, message):
    quote = make_document(lead, owner.user)
    first = quote.lines.get()
    before = list(SalesDocumentLine.objects.values())
    audits = AuditEntry.objects.count()

    with pytest.raises(ApplicationError) as error:
        line_update(document=quote, line_id=first.pk, actor=owner.user, **values)

    assert error.value.message == message
    assert list(SalesDocumentLine.objects.values()) == before
    assert AuditEntry.objects.count() == audits


def test_an_archived_product_cannot_be_added(lead, owner, english):
    quote = make_document(lead, owner.user)

    with pytest.raises(ApplicationError, match="archived"):
        line_add(document=quote, actor=owner.user, product=ProductFactory(active=False))


def test_only_quotes_orders_and_invoices_start_from_a_lead(lead, owner, english):
    for kind in (Kind.DELIVERY, Kind.CREDIT_NOTE):
        with pytest.raises(ApplicationError, match="made from an order or an invoice"):
            document_create(lead=lead, kind=kind, actor=owner.user)
    assert not SalesDocument.objects.exists()


# The whole chain ------------------------------------------------------------------------------------------


def test_quote_to_order_to_deliveries_invoices_payments_and_credit_keeps_the_chain(lead, owner, media_root):
    y = year()
    quote = make_document(lead, owner.user, lines=[line("Chairs", quantity="10", unit_price="50", tax_rate="21")])

    document_send(document=quote, actor=owner.user)
    quote.refresh_from_db()
    assert (quote.state, quote.number) == ("sent", f"Q-{y}-0001")
    sent = entries(lead, "send")[0]
    pdf = LeadDocument.objects.get(pk=sent.data["file_id"])
    assert pdf.original_name == f"Q-{y}-0001.pdf"
    assert pdf.file.open("rb").read(5) == b"%PDF-"

    quote_accept(document=quote, actor=owner.user)
    order = quote_convert(document=quote, actor=owner.user)
    assert (order.kind, order.state, order.number, order.parent_id, order.root_id) == (
        "order", "draft", "", quote.pk, quote.pk
    )  # fmt: skip
    assert order.total_amount == D("605.00")
    order_confirm(document=order, actor=owner.user)
    order.refresh_from_db()
    assert (order.state, order.number) == ("confirmed", f"SO-{y}-0001")

    first_delivery = order_deliver(document=order, actor=owner.user)
    delivery_line = first_delivery.lines.get()
    assert delivery_line.quantity == D("10")
    line_update(document=first_delivery, line_id=delivery_line.pk, actor=owner.user, quantity=D("4"), unit_price=D("1"))
    delivery_line.refresh_from_db()
    assert (delivery_line.quantity, delivery_line.unit_price) == (D("4"), D("50"))  # prices belong to the order
    delivery_validate(document=first_delivery, actor=owner.user)
    order.refresh_from_db()
    assert order.state == "partly_delivered"
    second_delivery = delivered(order, owner.user)
    assert second_delivery.lines.get().quantity == D("6")
    order.refresh_from_db()
    assert order.state == "delivered"
    first_delivery.refresh_from_db()
    assert (first_delivery.state, first_delivery.number) == ("done", f"DN-{y}-0001")

    invoice = posted_invoice(order, owner.user)
    invoice.refresh_from_db()
    order.refresh_from_db()
    assert (invoice.state, invoice.number, invoice.total_amount) == ("posted", f"INV-{y}-0001", D("605.00"))
    assert invoice.due_date == invoice.issue_date + timedelta(days=30)
    assert order.state == "invoiced"

    payment_record(document=invoice, amount=D("100"), on=tenant_today(), method="cash", actor=owner.user)
    invoice.refresh_from_db()
    assert (invoice.state, invoice.amount_paid, invoice.amount_due) == ("partly_paid", D("100.00"), D("505.00"))

    credit = invoice_credit(document=invoice, actor=owner.user)
    credit_line = credit.lines.get()
    line_update(document=credit, line_id=credit_line.pk, actor=owner.user, quantity=D("2"))
    document_post(document=credit, actor=owner.user)
    invoice.refresh_from_db()
    order.refresh_from_db()
    credit.refresh_from_db()
    assert (credit.state, credit.number, credit.total_amount) == ("posted", f"CN-{y}-0001", D("121.00"))
    assert (invoice.amount_credited, invoice.amount_due, invoice.state) == (D("121.00"), D("384.00"), "partly_paid")
    assert order.state == "partly_invoiced"  # 2 of the 10 chairs are no longer invoiced
    assert order_progress(order=order)[order.lines.get().pk].to_invoice == D("2")

    payment_record(document=invoice, amount=D("384"), on=tenant_today(), method="transfer", actor=owner.user)
    invoice.refresh_from_db()
    assert (invoice.state, invoice.amount_due) == ("paid", D("0"))

    chain = [(doc.kind, doc.number) for doc in document_chain(document=credit)]
    assert chain == [
        ("quote", f"Q-{y}-0001"),
        ("order", f"SO-{y}-0001"),
        ("delivery", f"DN-{y}-0001"),
        ("delivery", f"DN-{y}-0002"),
        ("invoice", f"INV-{y}-0001"),
        ("credit_note", f"CN-{y}-0001"),
    ]
    assert [doc.pk for doc in document_chain(document=quote)] == [doc.pk for doc in document_chain(document=credit)]
    actions = [entry.data["action"] for entry in entries(lead)]
    for expected in ("send", "accept", "convert", "confirm", "deliver", "validate", "invoice", "post", "payment",
                     "credit"):  # fmt: skip
        assert expected in actions


def test_a_second_order_from_the_same_quote_is_refused(lead, owner, english):
    quote = make_document(lead, owner.user)
    quote_accept(document=quote, actor=owner.user)
    order = quote_convert(document=quote, actor=owner.user)

    with pytest.raises(ApplicationError, match="already order"):
        quote_convert(document=quote, actor=owner.user)

    document_cancel(document=order, actor=owner.user)
    assert quote_convert(document=quote, actor=owner.user).pk != order.pk


def test_invoicing_an_order_twice_while_a_draft_is_open_is_refused_and_fully_invoiced_orders_stop(lead, owner, english):
    order = confirmed_order(lead, owner.user)
    draft = order_invoice(document=order, actor=owner.user)

    with pytest.raises(ApplicationError, match="still a draft"):
        order_invoice(document=order, actor=owner.user)
    document_post(document=draft, actor=owner.user)
    with pytest.raises(ApplicationError, match="is invoiced"):
        order_invoice(document=order, actor=owner.user)


def test_a_draft_invoice_edited_above_what_is_left_on_the_order_cannot_be_posted(lead, owner, english):
    order = confirmed_order(lead, owner.user, lines=[line(quantity="3")])
    invoice = order_invoice(document=order, actor=owner.user)
    line_update(document=invoice, line_id=invoice.lines.get().pk, actor=owner.user, quantity=D("4"))

    with pytest.raises(ApplicationError, match="more than is left to invoice"):
        document_post(document=invoice, actor=owner.user)
    invoice.refresh_from_db()
    assert (invoice.state, invoice.number) == ("draft", "")


def test_a_direct_invoice_is_posted_and_paid(lead, owner):
    invoice = make_document(lead, owner.user, kind=Kind.INVOICE, lines=[line(unit_price="80", tax_rate="0")])

    document_post(document=invoice, actor=owner.user)
    payment = payment_record(
        document=invoice, amount=D("80"), on=tenant_today(), method="card", reference="ticket 4", actor=owner.user
    )

    invoice.refresh_from_db()
    assert (invoice.state, invoice.number, invoice.amount_paid) == ("paid", f"INV-{year()}-0001", D("80.00"))
    assert (payment.amount, payment.method, payment.reference, payment.external) == (
        D("80.00"),
        "card",
        "ticket 4",
        False,
    )


# Refusals -------------------------------------------------------------------------------------------------


def _states():
    return list(SalesDocument.objects.order_by("pk").values_list("pk", "state", "number", "total_amount"))


def test_a_posted_invoice_cannot_be_edited_or_cancelled(lead, owner, english):
    invoice = make_document(lead, owner.user, kind=Kind.INVOICE)
    document_post(document=invoice, actor=owner.user)
    first = invoice.lines.get()
    before, audits = _states(), AuditEntry.objects.count()

    for attempt in (
        lambda: line_update(document=invoice, line_id=first.pk, actor=owner.user, quantity=D("9")),
        lambda: line_add(document=invoice, actor=owner.user, description="More"),
        lambda: line_delete(document=invoice, line_id=first.pk, actor=owner.user),
        lambda: document_update(document=invoice, actor=owner.user, notes="changed"),
        lambda: document_cancel(document=invoice, actor=owner.user),
    ):
        with pytest.raises(ApplicationError, match="credit note"):
            attempt()

    assert _states() == before
    assert AuditEntry.objects.count() == audits
    assert invoice.lines.get().quantity == D("1")


@pytest.mark.parametrize(
    ("setup", "transition", "message"),
    [
        ("rejected_quote", quote_accept, "Only a draft or sent quote can be accepted; this quote is rejected."),
        ("rejected_quote", document_send, "Only a draft or sent quote can be sent; this one is rejected."),
        ("sent_quote", quote_convert, "Only an accepted quote becomes an order; this quote is sent."),
        ("accepted_quote", quote_reject, "Only a draft or sent quote can be rejected; this quote is accepted."),
        ("confirmed_order", order_confirm, "Only a draft order can be confirmed; this order is confirmed."),
        ("draft_order", order_deliver, "Only a confirmed order can be delivered; this order is draft."),
        ("draft_order", order_invoice, "Only a confirmed order that is not fully invoiced can be invoiced"),
        ("draft_order", document_send, "This order is draft: it cannot be sent."),
        ("delivered_order", order_deliver, "Everything on this order has been delivered."),
        ("posted_invoice", document_post, "Only a draft invoice or credit note can be posted; this invoice is posted."),
        ("draft_invoice", invoice_credit, "Only a posted invoice can be credited; this invoice is draft."),
        ("draft_invoice", quote_accept, "Only a draft or sent quote can be accepted; this invoice is draft."),
        ("cancelled_quote", document_cancel, "This quote is cancelled already."),
        ("delivered_order", document_cancel, "This order is delivered: it can no longer be cancelled."),
        ("empty_order", order_confirm, "Add at least one line first."),
    ],
)
def test_invalid_transitions_are_refused_with_a_clear_message_and_change_nothing(
    lead, owner, english, media_root, setup, transition, message
):
    document = _setup(setup, lead, owner.user)
    before, audits, history = _states(), AuditEntry.objects.count(), TimelineEntry.objects.count()

    with pytest.raises(ApplicationError) as error:
        transition(document=document, actor=owner.user)

    assert error.value.message.startswith(message)
    assert _states() == before
    assert (AuditEntry.objects.count(), TimelineEntry.objects.count()) == (audits, history)


def _setup(name: str, lead, actor) -> SalesDocument:
    if name.endswith("quote"):
        quote = make_document(lead, actor)
        if name == "rejected_quote":
            quote_reject(document=quote, actor=actor)
        elif name == "sent_quote":
            document_send(document=quote, actor=actor)
        elif name == "accepted_quote":
            quote_accept(document=quote, actor=actor)
        elif name == "cancelled_quote":
            document_cancel(document=quote, actor=actor)
        return quote
    if name == "draft_order":
        return make_document(lead, actor, kind=Kind.ORDER)
    if name == "empty_order":
        return make_document(lead, actor, kind=Kind.ORDER, lines=[])
    if name == "confirmed_order":
        return confirmed_order(lead, actor)
    if name == "delivered_order":
        order = confirmed_order(lead, actor)
        delivered(order, actor)
        order.refresh_from_db()
        return order
    invoice = make_document(lead, actor, kind=Kind.INVOICE)
    if name == "posted_invoice":
        document_post(document=invoice, actor=actor)
    return invoice


@pytest.mark.parametrize(
    ("amount", "days", "method", "message"),
    [
        (D("0"), 0, "cash", "The amount must be more than zero."),
        (D("-5"), 0, "cash", "The amount must be more than zero."),
        (D("121.01"), 0, "cash", "The amount is more than what is due (121.00)."),
        (D("10"), -1, "cash", "A payment cannot be dated in the future."),
        (D("10"), 0, "bitcoin", "Choose how it was paid: cash, card or bank transfer."),
    ],
)
def test_bad_payments_are_refused(lead, owner, english, amount, days, method, message):
    invoice = make_document(lead, owner.user, kind=Kind.INVOICE)
    document_post(document=invoice, actor=owner.user)

    with pytest.raises(ApplicationError) as error:
        payment_record(
            document=invoice, amount=amount, on=tenant_today() - timedelta(days=days), method=method, actor=owner.user
        )

    assert error.value.message == message
    assert not Payment.objects.exists()
    invoice.refresh_from_db()
    assert (invoice.state, invoice.amount_paid) == ("posted", D("0"))


def test_cancelling_a_confirmed_order_cancels_its_drafts_but_not_once_something_is_done(lead, owner, english):
    order = confirmed_order(lead, owner.user)
    draft_delivery = order_deliver(document=order, actor=owner.user)

    document_cancel(document=order, actor=owner.user, reason="Customer changed their mind")

    order.refresh_from_db()
    draft_delivery.refresh_from_db()
    assert (order.state, order.number) == ("cancelled", f"SO-{year()}-0001")  # the number stays: no gap
    assert draft_delivery.state == "cancelled"
    assert entries(lead, "cancel")[-1].body == "Customer changed their mind"


# Numbering ------------------------------------------------------------------------------------------------


def test_numbers_run_per_kind_and_per_year(lead, owner, monkeypatch):
    import crm.services.sales_documents_flow as flow

    numbers = []
    for _ in range(2):
        quote = make_document(lead, owner.user)
        numbers.append(quote_accept(document=quote, actor=owner.user).number)
    order = make_document(lead, owner.user, kind=Kind.ORDER)
    numbers.append(order_confirm(document=order, actor=owner.user).number)
    next_year = tenant_today().replace(year=year() + 1, month=1, day=1)
    monkeypatch.setattr(flow, "tenant_today", lambda tenant=None: next_year)
    late = make_document(lead, owner.user)
    numbers.append(quote_accept(document=late, actor=owner.user).number)

    y = year()
    assert numbers == [f"Q-{y}-0001", f"Q-{y}-0002", f"SO-{y}-0001", f"Q-{y + 1}-0001"]
    late.refresh_from_db()
    assert late.issue_date == next_year


def test_a_numbering_that_fails_gives_its_number_back(lead, owner, english, monkeypatch):
    import crm.services.sales_documents_flow as flow

    first = make_document(lead, owner.user, kind=Kind.INVOICE)
    second = make_document(lead, owner.user, kind=Kind.INVOICE)

    def broken(**kwargs):
        raise RuntimeError("the history could not be written")

    monkeypatch.setattr(flow, "record", broken)
    with pytest.raises(RuntimeError):
        document_post(document=first, actor=owner.user)
    monkeypatch.undo()
    first.refresh_from_db()
    assert (first.state, first.number) == ("draft", "")

    document_post(document=second, actor=owner.user)
    second.refresh_from_db()
    assert second.number == f"INV-{year()}-0001"


def test_products_keep_their_lines_when_deleted(lead, owner):
    product = ProductFactory()
    quote = make_document(lead, owner.user, lines=[{"product": product}])

    Product.objects.filter(pk=product.pk).delete()

    assert quote.lines.get().product_id is None
    assert quote.lines.get().description == product.name
