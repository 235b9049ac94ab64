"""The Odoo sync pages and actions: who may use them, what they show, bad input, and another company."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection

from config.asgi import application
from core.models import AuditEntry
from crm.models import SalesDocument
from odoo_sync.models import SyncExternal
from odoo_sync.services.push import document_push
from odoo_sync.services.steps import DOCUMENT
from tenants.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def accountant_client(world, client_for):
    return client_for(world.accountant)


def row_of(document) -> SyncExternal | None:
    return SyncExternal.objects.filter(local_type=DOCUMENT, local_id=document.pk).first()


def run_pushes(enqueued) -> None:
    for sync_id, token in enqueued:
        document_push(sync_id=sync_id, token=token)
    enqueued.clear()


def test_the_document_block_offers_send_to_odoo(world, accountant_client, odoo_connected):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from odoo_sync.selectors import document_sync_state

    request = RequestFactory().get("/")
    request.membership = world.accountant
    html = render_to_string(
        "odoo_sync/partials/_document_sync.html",
        {"document": world.order, "sync_state": document_sync_state(world.order)},
        request=request,
    )

    assert 'data-testid="odoo-send"' in html
    assert 'ws-connect="/ws/documents/"' in html
    assert "Not sent to Odoo" in html


def test_a_seller_sees_the_state_but_no_action(world, odoo_connected, make_member, tenant):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from odoo_sync.selectors import document_sync_state

    request = RequestFactory().get("/")
    request.membership = make_member(tenant, Role.SELLER)
    html = render_to_string(
        "odoo_sync/partials/_document_sync.html",
        {"document": world.order, "sync_state": document_sync_state(world.order)},
        request=request,
    )

    assert "Not sent to Odoo" in html
    assert "odoo-send" not in html
    assert "ws-connect" not in html


def test_send_from_the_document_answers_the_fresh_block(
    world, accountant_client, odoo_connected, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = accountant_client.post(f"/odoo/documents/{world.order.pk}/send/", HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="odoo-sync-{world.order.pk}"' in body
    assert "Waiting to send" in body
    assert len(enqueued) == 1
    connection.set_tenant(world.accountant.tenant)
    assert AuditEntry.objects.filter(action="odoo.send", object_id=str(world.order.pk)).count() == 1


def test_send_without_htmx_redirects_with_a_message(world, accountant_client, odoo_connected, enqueued):
    response = accountant_client.post(f"/odoo/documents/{world.order.pk}/send/", follow=True)

    assert response.status_code == 200
    assert "1 document is on its way to Odoo." in response.content.decode()


def test_a_refused_document_says_why_in_the_block(world, accountant_client, odoo_connected, enqueued):
    from crm.services.sales_documents import document_create
    from crm.tests.documents_factories import line

    quote = document_create(lead=world.lead, kind="quote", actor=world.accountant.user, lines=[line()])

    response = accountant_client.post(f"/odoo/documents/{quote.pk}/send/", HTTP_HX_REQUEST="true")

    assert "Only orders and invoices are sent to Odoo." in response.content.decode()
    assert enqueued == []


def test_several_documents_at_once_from_the_odoo_page(
    world, accountant_client, odoo_connected, enqueued, django_capture_on_commit_callbacks
):
    world.deliver()
    invoice = world.invoice()
    page = accountant_client.get("/odoo/").content.decode()
    assert f'value="{world.order.pk}"' in page
    assert f'value="{invoice.pk}"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = accountant_client.post("/odoo/send/", {"ids": [world.order.pk, invoice.pk], "next": "/odoo/"})

    assert response.status_code == 302
    assert response["Location"] == "/odoo/"
    assert len(enqueued) == 2
    run_pushes(enqueued)
    assert odoo_connected.store.count("sale.order") == 1
    assert odoo_connected.store.count("account.move") == 1
    page = accountant_client.get("/odoo/").content.decode()
    assert "No order or invoice is waiting to be sent." in page
    assert "S00001" in page


@pytest.mark.parametrize(
    "ids",
    [[], ["abc"], ["1\x00"], ["99999999999999999999999"], ["-3"], [str(n) for n in range(1, 205)]],
    ids=["none", "text", "nul", "huge", "negative", "too-many"],
)
def test_bad_ids_change_nothing(world, accountant_client, odoo_connected, enqueued, ids):
    response = accountant_client.post("/odoo/send/", {"ids": ids}, follow=True)

    assert response.status_code == 200
    assert enqueued == []
    connection.set_tenant(world.accountant.tenant)
    assert not SyncExternal.objects.exists()


def test_unknown_ids_are_reported(
    world, accountant_client, odoo_connected, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = accountant_client.post("/odoo/send/", {"ids": [world.order.pk, 987654]}, follow=True)

    assert "Some of the chosen documents do not exist." in response.content.decode()
    assert len(enqueued) == 1


def test_next_never_leaves_the_site(world, accountant_client, odoo_connected, enqueued):
    response = accountant_client.post("/odoo/send/", {"ids": [world.order.pk], "next": "https://evil.example/"})

    assert response["Location"] == "/odoo/"


def test_refresh_reads_the_document_back(world, accountant_client, odoo_connected, send, enqueued):
    world.deliver()
    invoice = world.invoice()
    send([invoice], world.accountant.user)
    run_pushes(enqueued)
    move_id = row_of(invoice).external_id
    odoo_connected.store.register_payment(move_id, float(invoice.total_amount))

    response = accountant_client.post(f"/odoo/documents/{invoice.pk}/refresh/", HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert "Posted · Paid" in body
    connection.set_tenant(world.accountant.tenant)
    assert SalesDocument.objects.get(pk=invoice.pk).state == SalesDocument.State.PAID


def test_refresh_of_a_document_not_in_odoo_says_so(world, accountant_client, odoo_connected):
    response = accountant_client.post(f"/odoo/documents/{world.order.pk}/refresh/", HTTP_HX_REQUEST="true")

    assert "This document is not in Odoo yet." in response.content.decode()


def test_the_reconciliation_list_and_its_note(world, accountant_client, odoo_connected, send, enqueued):
    world.deliver()
    invoice = world.invoice()
    send([invoice], world.accountant.user)
    run_pushes(enqueued)
    row = row_of(invoice)
    odoo_connected.store.cancel("account.move", row.external_id)
    accountant_client.post(f"/odoo/documents/{invoice.pk}/refresh/")

    page = accountant_client.get("/odoo/reconciliation/").content.decode()
    saved = accountant_client.post(
        f"/odoo/reconciliation/{row.pk}/note/", {f"row{row.pk}-note": "Credit note on Monday"}, HTTP_HX_REQUEST="true"
    )

    assert "Cancelled in Odoo, not here." in page
    assert saved.status_code == 200
    assert "Saved." in saved.content.decode()
    connection.set_tenant(world.accountant.tenant)
    assert SyncExternal.objects.get(pk=row.pk).note == "Credit note on Monday"


def test_a_note_with_a_nul_byte_is_refused_and_nothing_saved(world, accountant_client, odoo_connected, send, enqueued):
    world.deliver()
    invoice = world.invoice()
    send([invoice], world.accountant.user)
    run_pushes(enqueued)
    row = row_of(invoice)
    SyncExternal.objects.filter(pk=row.pk).update(mismatch="Total differs.")

    response = accountant_client.post(
        f"/odoo/reconciliation/{row.pk}/note/", {f"row{row.pk}-note": "bad\x00note"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 422
    connection.set_tenant(world.accountant.tenant)
    assert SyncExternal.objects.get(pk=row.pk).note == ""


def test_a_note_on_a_row_without_difference_is_404(world, accountant_client, odoo_connected, send, enqueued):
    send([world.order], world.accountant.user)
    run_pushes(enqueued)

    response = accountant_client.post(f"/odoo/reconciliation/{row_of(world.order).pk}/note/", {"note": "x"})

    assert response.status_code == 404


def test_pull_now_enqueues_the_pull(world, accountant_client, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr("odoo_sync.tasks.pull_task.delay", lambda: sent.append(True))

    with django_capture_on_commit_callbacks(execute=True):
        response = accountant_client.post("/odoo/pull/")

    assert response.status_code == 302
    assert sent == [True]


POSTS = ["/odoo/send/", "/odoo/documents/{pk}/send/", "/odoo/documents/{pk}/refresh/", "/odoo/pull/"]


@pytest.mark.parametrize("role", [Role.SELLER, Role.MARKETING])
@pytest.mark.parametrize("url", POSTS)
def test_sellers_and_marketing_cannot_send(world, make_member, client_for, odoo_connected, enqueued, role, url):
    client = client_for(make_member(world.accountant.tenant, role))

    response = client.post(url.format(pk=world.order.pk), {"ids": [world.order.pk]})

    assert response.status_code == 403
    assert enqueued == []


@pytest.mark.parametrize("url", POSTS)
def test_another_companys_accountant_cannot_act_on_acme(world, globex, make_member, client_for, enqueued, url):
    outsider = make_member(globex, Role.ACCOUNTANT)

    response = client_for(outsider.user, world.accountant.tenant).post(
        url.format(pk=world.order.pk), {"ids": [world.order.pk]}
    )

    assert response.status_code == 403
    assert enqueued == []


def test_acmes_document_ids_mean_nothing_in_globex(world, globex, make_member, client_for, enqueued):
    outsider = client_for(make_member(globex, Role.ACCOUNTANT))

    send_one = outsider.post(f"/odoo/documents/{world.order.pk}/send/")
    refresh = outsider.post(f"/odoo/documents/{world.order.pk}/refresh/")
    bulk = outsider.post("/odoo/send/", {"ids": [world.order.pk]}, follow=True)
    page = outsider.get("/odoo/").content.decode()

    assert (send_one.status_code, refresh.status_code) == (404, 404)
    assert "Some of the chosen documents do not exist." in bulk.content.decode()
    assert enqueued == []
    assert world.order.number not in page
    assert "Hooli" not in page


def test_the_odoo_page_shows_nothing_of_another_company(world, globex, make_member, client_for, send, enqueued):
    send([world.order], world.accountant.user)
    run_pushes(enqueued)
    outsider = client_for(make_member(globex, Role.OWNER))

    page = outsider.get("/odoo/").content.decode()
    reconciliation = outsider.get("/odoo/reconciliation/").content.decode()

    assert world.order.number not in page + reconciliation
    assert "Odoo is not connected yet." in page


def test_the_sidebar_shows_odoo_to_owners_and_accountants(world, client_for, make_member):
    tenant = world.accountant.tenant

    assert 'href="/odoo/"' in client_for(world.accountant).get("/").content.decode()
    assert 'href="/odoo/"' in client_for(make_member(tenant, Role.OWNER)).get("/").content.decode()
    assert 'href="/odoo/"' not in client_for(make_member(tenant, Role.SELLER)).get("/").content.decode()


# ---- the live documents topic -----------------------------------------------------------------------


def _headers(host: str, session: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"host", host.encode()),
        (b"origin", f"http://{host}".encode()),
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode()),
    ]


def _session(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_a_push_reaches_the_open_pages_of_that_companys_senders_only(
    world, globex, make_member, client_for, odoo_connected, enqueued, django_capture_on_commit_callbacks
):
    tenant = world.accountant.tenant
    sessions = {
        "accountant": ("acme.localhost", _session(client_for(world.accountant))),
        "owner": ("acme.localhost", _session(client_for(make_member(tenant, Role.OWNER)))),
        "globex": ("globex.localhost", _session(client_for(make_member(globex, Role.ACCOUNTANT)))),
    }
    seller_session = _session(client_for(make_member(tenant, Role.SELLER)))
    accountant_client = client_for(world.accountant)

    def press():
        with django_capture_on_commit_callbacks(execute=True):
            accountant_client.post(f"/odoo/documents/{world.order.pk}/send/", HTTP_HX_REQUEST="true")

    async def scenario():
        seller = WebsocketCommunicator(application, "/ws/documents/", _headers("acme.localhost", seller_session))
        seller_connected = await seller.connect()
        sockets = {
            name: WebsocketCommunicator(application, "/ws/documents/", _headers(host, session))
            for name, (host, session) in sessions.items()
        }
        connected = {name: await socket.connect() for name, socket in sockets.items()}
        await sync_to_async(press)()
        received = {name: await sockets[name].receive_from(timeout=2) for name in ("accountant", "owner")}
        globex_quiet = await sockets["globex"].receive_nothing(timeout=0.5)
        await asyncio.gather(*(socket.disconnect() for socket in sockets.values()))
        return seller_connected, connected, received, globex_quiet

    seller_connected, connected, received, globex_quiet = async_to_sync(scenario)()

    assert seller_connected[0] is False
    assert connected == {"accountant": (True, None), "owner": (True, None), "globex": (True, None)}
    for html in received.values():
        # the event names the document; each page fetches the block in its viewer's language and rights
        assert f'id="odoo-sync-refresh-{world.order.pk}"' in html
        assert f'hx-get="/odoo/documents/{world.order.pk}/sync/"' in html
        assert 'hx-trigger="load"' in html
        assert "Hooli" not in html
    assert globex_quiet is True


def test_money_in_the_block_is_odoos_as_read(world, accountant_client, odoo_connected, send, enqueued):
    world.deliver()
    invoice = world.invoice()
    send([invoice], world.accountant.user)
    run_pushes(enqueued)

    body = accountant_client.post(f"/odoo/documents/{invoice.pk}/refresh/", HTTP_HX_REQUEST="true").content.decode()

    from django.utils import translation

    from crm.documents_format import format_amount

    with translation.override("en"):
        expected = format_amount(Decimal(invoice.total_amount), invoice.currency)
    assert f"<dd>{expected}</dd>" in body


def test_the_document_page_shows_the_odoo_block(world, accountant_client, odoo_connected, send, enqueued):
    page = accountant_client.get(f"/documents/{world.order.pk}/").content.decode()
    assert 'data-testid="odoo-send"' in page

    send([world.order], world.accountant.user)
    run_pushes(enqueued)
    page = accountant_client.get(f"/documents/{world.order.pk}/").content.decode()

    assert 'data-testid="odoo-send"' not in page
    assert "In Odoo" in page
    assert "S00001" in page


def test_the_documents_list_filters_by_sync_state(world, accountant_client, odoo_connected, send, enqueued):
    world.deliver()
    invoice = world.invoice()
    send([world.order], world.accountant.user)
    run_pushes(enqueued)

    in_odoo = accountant_client.get("/documents/", {"sync": "done"}).content.decode()
    not_sent = accountant_client.get("/documents/", {"sync": "not_sent"}).content.decode()

    assert world.order.number in in_odoo
    assert invoice.number not in in_odoo
    assert invoice.number in not_sent
    assert world.order.number not in not_sent


def test_the_lists_sync_states_cost_one_query_whatever_the_number_of_documents(
    world, odoo_connected, send, enqueued, django_assert_num_queries
):
    from odoo_sync.selectors import document_sync_states

    world.deliver()
    invoice = world.invoice()
    send([world.order], world.accountant.user)
    run_pushes(enqueued)
    documents = list(SalesDocument.objects.all())  # parents not loaded, as in the documents list

    with django_assert_num_queries(1):
        states = document_sync_states(documents)

    assert states[world.order.pk] == "In Odoo"
    assert states[invoice.pk] == "Not sent to Odoo"


def test_an_open_page_fetches_the_fresh_block_and_pill(world, accountant_client, odoo_connected, send, enqueued):
    send([world.order], world.accountant.user)
    run_pushes(enqueued)

    block = accountant_client.get(f"/odoo/documents/{world.order.pk}/sync/", HTTP_HX_REQUEST="true")
    pill = accountant_client.get(f"/odoo/documents/{world.order.pk}/sync/", {"part": "pill"}, HTTP_HX_REQUEST="true")

    assert f'id="odoo-sync-{world.order.pk}"' in block.content.decode()
    assert "S00001" in block.content.decode()
    assert pill.content.decode().strip().startswith(f'<span id="odoo-status-{world.order.pk}"')
    assert "In Odoo" in pill.content.decode()


def test_the_fresh_block_speaks_the_viewers_language(world, client_for, make_member, odoo_connected):
    tenant = world.accountant.tenant
    french = make_member(tenant, Role.ACCOUNTANT, language="fr")

    body = client_for(french).get(f"/odoo/documents/{world.order.pk}/sync/").content.decode()

    assert "Non envoyé à Odoo" in body
    assert "Envoyer à Odoo" in body


@pytest.mark.parametrize("role", [Role.SELLER, Role.MARKETING])
def test_the_fresh_block_is_for_senders_only(world, make_member, client_for, role):
    client = client_for(make_member(world.accountant.tenant, role))

    assert client.get(f"/odoo/documents/{world.order.pk}/sync/").status_code == 403


def test_the_fresh_block_of_an_unknown_or_quote_document_is_404(
    world, accountant_client, globex, make_member, client_for
):
    from crm.services.sales_documents import document_create
    from crm.tests.documents_factories import line

    quote = document_create(lead=world.lead, kind="quote", actor=world.accountant.user, lines=[line()])
    outsider = client_for(make_member(globex, Role.ACCOUNTANT))

    assert accountant_client.get(f"/odoo/documents/{quote.pk}/sync/").status_code == 404
    assert accountant_client.get("/odoo/documents/999999/sync/").status_code == 404
    assert outsider.get(f"/odoo/documents/{world.order.pk}/sync/").status_code == 404
