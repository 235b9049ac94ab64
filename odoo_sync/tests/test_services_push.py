"""Sending documents to Odoo against the stateful fake Odoo on loopback: the whole chain, idempotence
when a worker dies between Odoo's create and our write, two presses at once, Odoo down then back, and a
permanent error shown, fixed and sent again."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from core.errors import TransientClientError
from core.models import AuditEntry
from core.testing import in_own_connection, race
from crm.models import SalesDocument, TimelineEntry
from crm.services.sales_documents import document_create
from crm.tests.documents_factories import line
from odoo_sync.models import SyncExternal
from odoo_sync.selectors import document_sync_state
from odoo_sync.services import links
from odoo_sync.services.push import document_push, sync_request
from odoo_sync.services.steps import DOCUMENT, PARTNER, PRODUCT
from odoo_sync.tests.conftest import connect

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

Status = SyncExternal.Status
State = SalesDocument.State


def push_all(enqueued) -> list:
    """Runs every enqueued push once, as the worker would, and forgets them."""
    outcomes = [document_push(sync_id=sync_id, token=token) for sync_id, token in enqueued]
    enqueued.clear()
    return outcomes


def row_of(document) -> SyncExternal:
    return SyncExternal.objects.get(local_type=DOCUMENT, local_id=document.pk)


@pytest.mark.parametrize(
    ("version", "protocol"),
    [("17.0", "xmlrpc"), ("17.0", "jsonrpc"), ("16.0", "xmlrpc"), ("19.0", "json2")],
    ids=["17-xmlrpc", "17-jsonrpc", "16-xmlrpc", "19-json2"],
)
def test_the_whole_chain_reaches_odoo(acme, world, send, enqueued, version, protocol):
    from odoo_sync.fake_odoo import FakeOdoo, FakeOdooServer

    with FakeOdooServer(FakeOdoo(version=version)) as server:
        connect(acme, server, protocol=protocol)
        first = world.deliver({1: "3", 2: "1"})
        second = world.deliver()
        invoice = world.invoice()

        result = send([invoice], world.accountant.user)
        outcomes = push_all(enqueued)

        store = server.store
        assert [d.pk for d in result.queued] == [invoice.pk]
        assert [o.status for o in outcomes] == ["done"]
        assert store.count("res.partner") == 1
        partner = store.records("res.partner")[0]
        assert (partner["phone"], partner["email"]) == ("+34611222333", "ana@hooli.example")
        assert sorted(p["default_code"] for p in store.records("product.product")) == ["CH-1", "TB-1"]
        orders = store.records("sale.order")
        assert len(orders) == 1
        assert (orders[0]["client_order_ref"], orders[0]["state"]) == (world.order.number, "sale")
        pickings = store.records("stock.picking")
        assert [p["state"] for p in pickings] == ["done", "done"]
        assert [p["origin"].split(" / ")[1] for p in pickings] == [first.number, second.number]
        quantity = "quantity" if store.major >= 17 else "quantity_done"
        assert [m[quantity] for m in store.records("stock.move")] == [3.0, 1.0, 1.0]
        moves = store.records("account.move")
        assert len(moves) == 1
        assert (moves[0]["ref"], moves[0]["state"]) == (invoice.number, "posted")
        assert Decimal(str(store.value("account.move", moves[0]["id"], "amount_total"))) == invoice.total_amount
        for document in (invoice, world.order, first, second):
            assert row_of(document).status == Status.DONE
        assert row_of(invoice).external_model == "account.move"
        assert row_of(invoice).mismatch == ""
        assert SyncExternal.objects.get(local_type=PARTNER, local_id=world.lead.pk).external_id == partner["id"]
        assert SyncExternal.objects.filter(local_type=PRODUCT, status=Status.DONE).count() == 2


def test_an_order_goes_with_its_deliveries_and_is_confirmed(world, odoo_connected, send, enqueued):
    world.deliver()

    send([world.order], world.accountant.user)
    push_all(enqueued)

    store = odoo_connected.store
    assert store.records("sale.order")[0]["state"] == "sale"
    assert [p["state"] for p in store.records("stock.picking")] == ["done"]
    assert store.count("account.move") == 0
    state = document_sync_state(world.refresh(world.order))
    assert (state.status, state.odoo_ref) == ("done", "S00001")
    assert AuditEntry.objects.filter(action="odoo.pushed", object_id=str(world.order.pk)).count() == 1
    assert TimelineEntry.objects.filter(lead=world.lead, kind="odoo").count() == 1


def test_an_existing_partner_is_matched_by_phone_before_creating(world, odoo_connected, send, enqueued):
    store = odoo_connected.store
    with store.lock:
        existing = store._create("res.partner", {"name": "Hooli (in Odoo)", "phone": "+34611222333"}, {})

    send([world.order], world.accountant.user)
    push_all(enqueued)

    assert store.count("res.partner") == 1
    assert store.records("sale.order")[0]["partner_id"] == existing


def test_an_existing_partner_is_matched_by_email_before_creating(world, odoo_connected, send, enqueued):
    store = odoo_connected.store
    with store.lock:
        existing = store._create("res.partner", {"name": "Ana", "email": "ANA@hooli.example"}, {})

    send([world.order], world.accountant.user)
    push_all(enqueued)

    assert store.count("res.partner") == 1
    assert store.records("sale.order")[0]["partner_id"] == existing


@pytest.mark.parametrize(
    "method",
    ["res.partner.create", "sale.order.create", "sale.advance.payment.inv.create_invoices", "stock.picking.write"],
)
def test_a_connection_lost_after_odoos_create_then_retried_leaves_one_record(
    world, odoo_connected, send, enqueued, method
):
    store = odoo_connected.store
    world.deliver()
    invoice = world.invoice()
    store.faults.crash_after[method] = 1
    send([invoice], world.accountant.user)
    (sync_id, token) = enqueued[0]

    with pytest.raises(TransientClientError):
        document_push(sync_id=sync_id, token=token)
    assert row_of(invoice).status == Status.PENDING
    outcome = document_push(sync_id=sync_id, token=token)

    assert outcome.status == "done"
    assert store.count("res.partner") == 1
    assert store.count("sale.order") == 1
    assert store.count("account.move") == 1
    assert store.count("stock.picking") == 1
    assert store.records("account.move")[0]["ref"] == invoice.number


class WorkerKilled(BaseException):
    """Stands for the worker process dying: nothing of ours catches it, nothing after it runs."""


@pytest.mark.parametrize("model", ["res.partner", "sale.order", "stock.picking", "account.move"])
def test_a_worker_killed_after_odoos_create_and_before_our_write_leaves_one_record(
    world, odoo_connected, send, enqueued, monkeypatch, model
):
    store = odoo_connected.store
    world.deliver()
    invoice = world.invoice()
    send([invoice], world.accountant.user)
    (sync_id, token) = enqueued[0]
    real_set = links.SyncLinks.set

    def dying_set(self, local_type, local_id, *, model: str, **kwargs):
        if model == killed_on:
            raise WorkerKilled
        return real_set(self, local_type, local_id, model=model, **kwargs)

    killed_on = model
    monkeypatch.setattr(links.SyncLinks, "set", dying_set)
    with pytest.raises(WorkerKilled):
        document_push(sync_id=sync_id, token=token)
    assert row_of(invoice).status == Status.IN_PROGRESS  # as a dead worker leaves it
    monkeypatch.setattr(links.SyncLinks, "set", real_set)

    # acks_late: the broker delivers the same message again to another worker.
    outcome = document_push(sync_id=sync_id, token=token)

    assert outcome.status == "done"
    for odoo_model in ("res.partner", "sale.order", "stock.picking", "account.move"):
        assert store.count(odoo_model) == 1, odoo_model
    assert store.calls[f"{model}.create"] <= 1 or model == "stock.picking"
    assert row_of(invoice).attempts == 2


def test_two_presses_at_once_make_one_push(world, odoo_connected, enqueued, acme):
    order, actor = world.order, world.accountant.user

    try:
        results = race(lambda i: sync_request(tenant=acme, documents=[order], actor=actor), times=2, tenant=acme)
        queued = [r for r in results if not isinstance(r, BaseException) and r.queued]
        already = [r for r in results if not isinstance(r, BaseException) and r.already]
        rows = in_own_connection(
            lambda: list(SyncExternal.objects.filter(local_type=DOCUMENT, local_id=order.pk).values("status")),
            tenant=acme,
        )
    finally:

        def clean():
            SyncExternal.objects.filter(local_type=DOCUMENT, local_id=order.pk).delete()
            AuditEntry.objects.filter(action="odoo.send", object_id=str(order.pk)).delete()

        in_own_connection(clean, tenant=acme)

    assert [type(r) for r in results if isinstance(r, BaseException)] == []
    assert (len(queued), len(already)) == (1, 1)
    assert len(enqueued) == 1
    assert rows == [{"status": Status.PENDING}]


def test_a_second_press_while_waiting_or_once_done_does_nothing(world, odoo_connected, send, enqueued):
    send([world.order], world.accountant.user)
    again = send([world.order], world.accountant.user)
    assert (len(again.queued), len(again.already), len(enqueued)) == (0, 1, 1)

    push_all(enqueued)
    after = send([world.order], world.accountant.user)

    assert (len(after.queued), len(after.already), len(enqueued)) == (0, 1, 0)
    assert odoo_connected.store.calls["sale.order.create"] == 1


def test_a_message_of_an_old_claim_does_nothing(world, odoo_connected, send, enqueued):
    send([world.order], world.accountant.user)
    sync_id, _token = enqueued[0]

    outcome = document_push(sync_id=sync_id, token="not-the-claim")

    assert outcome.status == "skipped"
    assert odoo_connected.requests == 0
    assert row_of(world.order).status == Status.PENDING


def test_odoo_down_then_back_is_retried_and_done(world, odoo_connected, send, enqueued):
    store = odoo_connected.store
    store.faults.down = True
    send([world.order], world.accountant.user)
    (sync_id, token) = enqueued[0]

    with pytest.raises(TransientClientError):
        document_push(sync_id=sync_id, token=token)
    waiting = row_of(world.order)
    state = document_sync_state(world.order)
    store.faults.down = False
    outcome = document_push(sync_id=sync_id, token=token)

    assert (waiting.status, waiting.attempts) == (Status.PENDING, 1)
    assert "503" in waiting.last_error
    assert state.busy
    assert "503" in state.error
    assert store.count("sale.order") == 1
    assert outcome.status == "done"
    assert (row_of(world.order).status, row_of(world.order).last_error) == (Status.DONE, "")


def test_a_permanent_error_is_shown_with_odoos_message_and_sent_again_after_a_fix(
    world, odoo_connected, send, enqueued
):
    store = odoo_connected.store
    store.faults.fail["sale.order.action_confirm"] = ("UserError", "The customer needs a delivery address.")
    send([world.order], world.accountant.user)

    outcome = push_all(enqueued)[0]

    failed = row_of(world.order)
    assert outcome.status == "failed"
    assert (failed.status, failed.last_error) == (Status.FAILED, "The customer needs a delivery address.")
    assert document_sync_state(world.order).can_send
    assert AuditEntry.objects.filter(action="odoo.push_failed").count() == 1

    del store.faults.fail["sale.order.action_confirm"]  # someone fixed the customer in Odoo
    again = send([world.order], world.accountant.user)
    outcome = push_all(enqueued)[0]

    assert [d.pk for d in again.queued] == [world.order.pk]
    assert outcome.status == "done"
    assert store.count("sale.order") == 1
    assert store.records("sale.order")[0]["state"] == "sale"


def test_a_tax_rate_odoo_lacks_fails_until_odoo_has_it(world, odoo_connected, send, enqueued, tenant):
    store = odoo_connected.store
    invoice = document_create(
        lead=world.lead, kind="invoice", actor=world.accountant.user, lines=[line("Repair", tax_rate="7")]
    )

    send([invoice], world.accountant.user)
    failed = push_all(enqueued)[0]
    store.add_tax(7.0)
    send([invoice], world.accountant.user)
    done = push_all(enqueued)[0]

    assert failed.status == "failed"
    assert "no 7% sales tax" in failed.message
    assert done.status == "done"
    assert store.count("account.move") == 1


def test_a_draft_invoice_on_its_own_is_created_posted_and_numbered_here(world, odoo_connected, send, enqueued):
    store = odoo_connected.store
    invoice = document_create(
        lead=world.lead,
        kind="invoice",
        actor=world.accountant.user,
        lines=[{"product": world.chair, "quantity": Decimal("2")}, line("Assembly", unit_price="50", tax_rate="0")],
    )
    assert invoice.state == State.DRAFT
    assert not invoice.number

    send([invoice], world.accountant.user)
    push_all(enqueued)

    invoice = world.refresh(invoice)
    move = store.records("account.move")[0]
    assert invoice.state == State.POSTED
    assert invoice.number
    assert (move["state"], move["ref"]) == ("posted", invoice.number)
    assert store.count("sale.order") == 0
    assert Decimal(str(store.value("account.move", move["id"], "amount_total"))) == invoice.total_amount


@pytest.mark.parametrize("kind", ["quote", "credit_note", "draft_order"])
def test_documents_that_do_not_go_to_odoo_are_refused(world, odoo_connected, send, enqueued, kind):
    if kind == "quote":
        document = document_create(lead=world.lead, kind="quote", actor=world.accountant.user, lines=[line()])
    elif kind == "draft_order":
        document = document_create(lead=world.lead, kind="order", actor=world.accountant.user, lines=[line()])
    else:
        from crm.services.sales_documents_flow import invoice_credit

        world.deliver()
        document = invoice_credit(document=world.invoice(), actor=world.accountant.user)

    result = send([document], world.accountant.user)

    assert result.queued == []
    assert len(result.refused) == 1
    assert enqueued == []
    assert not SyncExternal.objects.filter(local_type=DOCUMENT, local_id=document.pk).exists()
    assert odoo_connected.requests == 0


def test_without_odoo_credentials_the_push_fails_saying_so(world, send, enqueued):
    send([world.order], world.accountant.user)

    outcome = push_all(enqueued)[0]

    assert outcome.status == "failed"
    assert "not configured" in row_of(world.order).last_error


def test_the_task_retries_transient_errors_then_marks_the_push_failed(world, odoo_connected, send, enqueued):
    from odoo_sync.tasks import push_document_task

    odoo_connected.store.faults.down = True
    send([world.order], world.accountant.user)
    sync_id, token = enqueued[0]

    result = push_document_task.apply(args=[sync_id, token]).get()

    row = row_of(world.order)
    assert result == {"status": "failed"}
    assert row.status == Status.FAILED
    assert row.attempts == push_document_task.max_retries + 1
    assert "after several attempts" in row.last_error
    assert "503" in row.last_error
    assert odoo_connected.store.count("sale.order") == 0


def test_the_task_settings_keep_work_when_a_worker_dies():
    from odoo_sync.tasks import push_document_task

    assert push_document_task.acks_late is True
    assert push_document_task.autoretry_for == (TransientClientError,)
    assert push_document_task.retry_backoff


def test_another_companys_push_never_touches_acme(world, odoo_connected, globex, send, enqueued):
    send([world.order], world.accountant.user)
    sync_id, token = enqueued[0]

    connection.set_tenant(globex)
    outcome = document_push(sync_id=sync_id, token=token)

    assert outcome.status == "skipped"
    assert odoo_connected.requests == 0


def test_a_push_that_fails_for_good_is_notified_to_the_senders(world, odoo_connected, send, enqueued, make_member):
    from core.models import Notification

    seller = make_member(world.accountant.tenant, "seller")
    odoo_connected.store.faults.fail["sale.order.create"] = ("UserError", "Odoo says no.")
    send([world.order], world.accountant.user)

    push_all(enqueued)

    notification = Notification.objects.get(kind="odoo_failed", user_id=world.accountant.user_id)
    assert "Odoo says no." in notification.text
    assert notification.url == f"/documents/{world.order.pk}/"
    assert not Notification.objects.filter(kind="odoo_failed", user_id=seller.user_id).exists()
