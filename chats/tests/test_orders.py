"""A WhatsApp catalog `order`: an entry in the lead's history with the items and total, a draft quote with
one line per item (products matched by their internal reference), a readable bubble, and nothing twice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from chats.models import Message
from chats.tests.test_webhook_kinds import _ycloud, _ycloud_inbound
from chats.tests.test_webhooks import _deliver, message
from crm.models import Lead, Product, SalesDocument, TimelineEntry

ORDER = {
    "catalog_id": "cat-9",
    "text": "For Friday please",
    "product_items": [
        {"product_retailer_id": "sku-1", "quantity": "2", "item_price": "9.50", "currency": "EUR"},
        {"product_retailer_id": "sku-2", "quantity": 1, "item_price": 20, "currency": "EUR"},
    ],
}


@pytest.fixture
def shampoo(acme):
    with tenant_context(acme):
        product = Product.objects.create(name="Shampoo", sku="SKU-1", unit_price=Decimal("11"), tax_rate=Decimal(21))
    connection.set_schema_to_public()
    return product


def test_an_order_becomes_a_history_entry_and_a_draft_quote(
    numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme, shampoo
):
    event = _deliver(post_cloud, django_capture_on_commit_callbacks, message("order", ORDER, mid="wamid.ORDER"))
    assert (event.status, event.error) == ("processed", "")
    with tenant_context(acme):
        lead = Lead.objects.get()
        stored = Message.objects.get()
        assert (stored.kind, stored.text, stored.sender) == ("order", "For Friday please", "lead")
        quote = SalesDocument.objects.get()
        assert (quote.kind, quote.state, quote.lead_id, quote.currency) == ("quote", "draft", lead.pk, "EUR")
        assert (quote.origin_type, quote.origin_id) == ("chats.order", str(stored.pk))
        lines = list(quote.lines.order_by("position"))
        assert [(line.product_id, line.quantity, line.unit_price) for line in lines] == [
            (shampoo.pk, Decimal(2), Decimal("9.50")),
            (None, Decimal(1), Decimal(20)),
        ]
        assert lines[0].tax_rate == Decimal(21)  # the product's
        assert "sku-2" in lines[1].description
        assert stored.payload["document_id"] == quote.pk
        assert stored.payload["total"] == "39.00"
        assert [item["name"] for item in stored.payload["items"]] == ["Shampoo", ""]
        entry = TimelineEntry.objects.get(lead=lead, kind="whatsapp_order")
        assert entry.data["total"] == "39.00"
        assert entry.data["currency"] == "EUR"
        assert entry.data["document_id"] == quote.pk
        assert entry.body == "2 × Shampoo (sku-1) · 1 × sku-2 · 39.00 EUR"


def test_a_redelivered_or_replayed_order_is_converted_once(
    numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme, shampoo
):
    from chats.services import event_process

    event = _deliver(post_cloud, django_capture_on_commit_callbacks, message("order", ORDER, mid="wamid.ORDER"))
    _deliver(post_cloud, django_capture_on_commit_callbacks, message("order", ORDER, mid="wamid.ORDER"))
    with tenant_context(acme):
        assert event_process(tenant=acme, event_id=event.pk, replay=True) == "processed"
        assert SalesDocument.objects.count() == 1
        assert TimelineEntry.objects.filter(kind="whatsapp_order").count() == 1
        assert Message.objects.count() == 1


def test_an_order_in_another_currency_is_recorded_without_a_quote(
    numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme
):
    dollars = {**ORDER, "product_items": [{**item, "currency": "USD"} for item in ORDER["product_items"]]}
    event = _deliver(post_cloud, django_capture_on_commit_callbacks, message("order", dollars, mid="wamid.USD"))
    assert (event.status, event.error) == ("processed", "")
    with tenant_context(acme):
        assert not SalesDocument.objects.exists()
        stored = Message.objects.get()
        assert "document_id" not in stored.payload
        assert stored.payload["currency"] == "USD"
        assert TimelineEntry.objects.get(kind="whatsapp_order").data["total"] == "39.00"


def test_a_ycloud_order(numbers, post_ycloud, run_tasks, django_capture_on_commit_callbacks, acme):
    event = _ycloud(
        post_ycloud, django_capture_on_commit_callbacks, _ycloud_inbound("evt_ord", "wamid.YORD", "order", ORDER)
    )
    assert (event.status, event.error) == ("processed", "")
    with tenant_context(acme):
        assert SalesDocument.objects.get().lines.count() == 2


def test_the_bubble_shows_the_cart_and_only_to_who_may_see_it(
    numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme, shampoo, owner, globex_owner,
    client_for, english,
):  # fmt: skip
    _deliver(post_cloud, django_capture_on_commit_callbacks, message("order", ORDER, mid="wamid.ORDER"))
    with tenant_context(acme):
        conversation_id = Message.objects.get().conversation_id
        quote = SalesDocument.objects.get()
    connection.set_schema_to_public()
    page = client_for(owner).get(f"/chats/{conversation_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="order"' in html
    assert "2 × Shampoo" in html
    assert "sku-2" in html
    assert "39.00 EUR" in html
    assert f"/documents/{quote.pk}/" in html
    assert "cannot show" not in html
    assert client_for(globex_owner, acme).get(f"/chats/{conversation_id}/").status_code in (403, 404)
    history = client_for(owner).get(f"/leads/{quote.lead_id}/").content.decode()
    assert "WhatsApp catalog order" in history
    assert "2 × Shampoo (sku-1) · 1 × sku-2 · 39.00 EUR" in history
