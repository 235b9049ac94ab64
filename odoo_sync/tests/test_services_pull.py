"""Reading documents back from Odoo: posted there -> posted here, paid there -> paid here, cancelled
there -> flagged, and every difference on the reconciliation list."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.models import AuditEntry
from crm.models import SalesDocument
from crm.services.sales_documents import document_create
from crm.tests.documents_factories import line
from odoo_sync.models import SyncExternal
from odoo_sync.selectors import reconciliation_rows
from odoo_sync.services.pull import company_pull, document_refresh
from odoo_sync.services.push import document_push
from odoo_sync.services.steps import DOCUMENT

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

State = SalesDocument.State


def pushed(world, send, enqueued, document):
    send([document], world.accountant.user)
    for sync_id, token in enqueued:
        assert document_push(sync_id=sync_id, token=token).status == "done"
    enqueued.clear()
    return SyncExternal.objects.get(local_type=DOCUMENT, local_id=document.pk)


@pytest.fixture
def invoice_in_odoo(world, odoo_connected, send, enqueued):
    world.deliver()
    invoice = world.invoice()
    row = pushed(world, send, enqueued, invoice)
    return invoice, row


def test_a_payment_in_odoo_makes_the_invoice_partly_paid_then_paid_here(tenant, world, odoo_connected, invoice_in_odoo):
    invoice, row = invoice_in_odoo
    store = odoo_connected.store

    store.register_payment(row.external_id, 100.0)
    first = company_pull(tenant=tenant)
    partly = world.refresh(invoice)
    store.register_payment(row.external_id, float(invoice.total_amount) - 100.0)
    company_pull(tenant=tenant)
    paid = world.refresh(invoice)

    assert first.read == 2  # the invoice and the delivery
    assert (partly.state, partly.amount_paid) == (State.PARTLY_PAID, Decimal("100"))
    assert (paid.state, paid.amount_paid) == (State.PAID, invoice.total_amount)
    row.refresh_from_db()
    assert (row.remote_state, row.remote_payment_state, row.remote_amount_residual) == (
        "posted",
        "paid",
        Decimal("0.00"),
    )
    assert row.mismatch == ""


def test_pulling_again_changes_nothing(tenant, world, odoo_connected, invoice_in_odoo):
    invoice, row = invoice_in_odoo
    odoo_connected.store.register_payment(row.external_id, 50.0)
    company_pull(tenant=tenant)
    payments = list(world.refresh(invoice).payments.values_list("amount", flat=True))

    company_pull(tenant=tenant)

    assert list(world.refresh(invoice).payments.values_list("amount", flat=True)) == payments == [Decimal("50.0000")]


def test_an_invoice_posted_in_odoo_is_posted_here(tenant, world, odoo_connected, send, enqueued):
    invoice = document_create(lead=world.lead, kind="invoice", actor=world.accountant.user, lines=[line()])
    row = pushed(world, send, enqueued, invoice)  # the push posts it in Odoo and here
    assert world.refresh(invoice).state == State.POSTED
    # As if the push had ended before marking it here: a draft here, posted in Odoo.
    SalesDocument.objects.filter(pk=invoice.pk).update(state=State.DRAFT, number="")

    company_pull(tenant=tenant)

    invoice = world.refresh(invoice)
    assert invoice.state == State.POSTED
    assert invoice.number.startswith("INV-")
    row.refresh_from_db()
    assert row.remote_state == "posted"


def test_an_invoice_cancelled_in_odoo_is_flagged_for_a_person(tenant, world, odoo_connected, invoice_in_odoo):
    invoice, row = invoice_in_odoo
    odoo_connected.store.cancel("account.move", row.external_id)

    company_pull(tenant=tenant)

    invoice = world.refresh(invoice)
    row.refresh_from_db()
    assert invoice.state == State.POSTED  # nothing is cancelled here by Odoo alone
    assert invoice.external_cancel_note.startswith("Cancelled in Odoo")
    assert "Cancelled in Odoo, not here." in row.mismatch
    assert [item.document.pk for item in reconciliation_rows()] == [invoice.pk]


def test_different_totals_show_on_the_reconciliation_list(tenant, world, odoo_connected, invoice_in_odoo):
    invoice, row = invoice_in_odoo
    store = odoo_connected.store
    with store.lock:
        line_id = store.records("account.move.line", move_id=row.external_id)[0]["id"]
        store.tables["account.move.line"][line_id]["price_unit"] = 90.0  # edited in Odoo

    company_pull(tenant=tenant)

    row.refresh_from_db()
    assert row.mismatch.startswith(f"Total: {invoice.total_amount:.2f} here, ")
    assert [item.row.pk for item in reconciliation_rows()] == [row.pk]


def test_a_delivery_cancelled_in_odoo_is_flagged(tenant, world, odoo_connected, send, enqueued):
    delivery = world.deliver()
    pushed(world, send, enqueued, world.order)
    delivery_row = SyncExternal.objects.get(local_type=DOCUMENT, local_id=delivery.pk)
    odoo_connected.store.cancel("stock.picking", delivery_row.external_id)

    company_pull(tenant=tenant)

    delivery_row.refresh_from_db()
    assert delivery_row.mismatch == "Cancelled in Odoo, not here."
    assert world.refresh(delivery).external_cancel_note.startswith("Cancelled in Odoo")


def test_a_record_deleted_in_odoo_is_reported(tenant, world, odoo_connected, invoice_in_odoo):
    _invoice, row = invoice_in_odoo
    with odoo_connected.store.lock:
        del odoo_connected.store.tables["account.move"][row.external_id]

    company_pull(tenant=tenant)

    row.refresh_from_db()
    assert (row.remote_state, row.mismatch) == ("missing", "Deleted in Odoo.")


def test_a_pull_while_odoo_is_down_changes_nothing_and_says_why(tenant, world, odoo_connected, invoice_in_odoo):
    invoice, row = invoice_in_odoo
    odoo_connected.store.register_payment(row.external_id, 100.0)
    odoo_connected.store.faults.down = True

    summary = company_pull(tenant=tenant)

    assert "503" in summary.error
    assert world.refresh(invoice).state == State.POSTED


def test_the_pull_reads_each_model_once_whatever_the_number_of_documents(tenant, world, odoo_connected, send, enqueued):
    for _ in range(3):
        invoice = document_create(lead=world.lead, kind="invoice", actor=world.accountant.user, lines=[line()])
        pushed(world, send, enqueued, invoice)
    store = odoo_connected.store
    before = store.calls["account.move.read"]

    summary = company_pull(tenant=tenant)

    assert summary.read == 3
    assert store.calls["account.move.read"] - before == 1


def test_a_manual_refresh_reads_one_document(tenant, world, odoo_connected, invoice_in_odoo):
    invoice, row = invoice_in_odoo
    odoo_connected.store.register_payment(row.external_id, float(invoice.total_amount))

    document_refresh(tenant=tenant, document=invoice, actor=world.accountant.user)

    assert world.refresh(invoice).state == State.PAID
    assert AuditEntry.objects.filter(action="odoo.refresh", object_id=str(invoice.pk)).count() == 1


def test_the_pull_task_skips_a_company_without_odoo(tenant):
    from odoo_sync.tasks import pull_task

    assert pull_task.apply().get() == {"skipped": True}


def test_the_pull_task_reads_the_companys_documents(tenant, world, odoo_connected, invoice_in_odoo):
    from odoo_sync.tasks import pull_task

    invoice, row = invoice_in_odoo
    odoo_connected.store.register_payment(row.external_id, float(invoice.total_amount))

    result = pull_task.apply().get()

    assert result == {"read": 2, "mismatches": 0, "error": ""}
    assert world.refresh(invoice).state == State.PAID


def test_the_pull_is_scheduled_for_every_company(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["odoo-pull"]

    assert entry["task"] == "odoo_sync.tasks.pull_task"
    assert "tenant_schemas" not in entry  # tenant-schemas-celery runs it once in every tenant


def test_a_cancellation_in_odoo_is_notified_to_owners_and_accountants_once(
    tenant, world, odoo_connected, invoice_in_odoo, make_member
):
    from core.models import Notification

    owner = make_member(tenant, "owner")
    seller = make_member(tenant, "seller")
    _invoice, row = invoice_in_odoo
    odoo_connected.store.cancel("account.move", row.external_id)

    company_pull(tenant=tenant)
    company_pull(tenant=tenant)

    notified = set(Notification.objects.filter(kind="odoo_attention").values_list("user_id", flat=True))
    assert {owner.user_id, world.accountant.user_id} <= notified
    assert seller.user_id not in notified
    assert Notification.objects.filter(kind="odoo_attention", user_id=owner.user_id).count() == 1
