"""The live pipeline: /ws/pipeline/ through the whole ASGI stack, and who receives a move.

Each test is a sync function running one async scenario with async_to_sync: the consumers'
database_sync_to_async calls run on the test thread and see the test's transaction, and the move
(with its on-commit publish) goes through sync_to_async to that same thread."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from config.asgi import application
from crm.services.leads import lead_assign, lead_create, lead_move, lead_update
from crm.tests.factories import LeadFactory, stage
from tenants.models import Role

pytestmark = pytest.mark.django_db

PATH = "/ws/pipeline/"
SILENCE = 0.5  # seconds a socket must stay quiet once the others got the event
HANG_UP = 0.2


def _socket(host: str, client) -> WebsocketCommunicator:
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    headers = [
        (b"host", host.encode()),
        (b"origin", f"http://{host}".encode()),
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode()),
    ]
    return WebsocketCommunicator(application, PATH, headers=headers)


def _connect(host: str, client):
    async def scenario():
        socket = _socket(host, client)
        result = await socket.connect()
        await socket.disconnect(timeout=HANG_UP)
        return result

    return async_to_sync(scenario)()


def _live(sockets: dict, action, listeners: list[str]):
    """Connects every socket, runs `action` (sync, on the test thread), then collects one message from each
    listener and checks that every socket stays quiet afterwards."""

    async def scenario():
        connected = {name: await socket.connect() for name, socket in sockets.items()}
        await sync_to_async(action)()
        received = {name: await sockets[name].receive_from(timeout=2) for name in listeners}
        silent = await asyncio.gather(*(socket.receive_nothing(timeout=SILENCE) for socket in sockets.values()))
        for socket in sockets.values():
            await socket.disconnect(timeout=HANG_UP)
        return connected, received, dict(zip(sockets, silent, strict=True))

    return async_to_sync(scenario)()


@pytest.mark.parametrize("role", [Role.OWNER, Role.SELLER])
def test_owners_and_sellers_may_open_the_pipeline_socket(acme, make_member, client_for, role):
    assert _connect("acme.localhost", client_for(make_member(acme, role))) == (True, None)


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.MARKETING])
def test_other_roles_are_refused(acme, make_member, client_for, role):
    assert _connect("acme.localhost", client_for(make_member(acme, role))) == (False, 4403)


def test_member_of_another_tenant_is_refused(acme, globex_owner, client_for):
    assert _connect("acme.localhost", client_for(globex_owner)) == (False, 4403)


def test_a_move_reaches_owners_and_the_leads_seller_only(
    tenant, owner, make_member, acme, globex_owner, client_for, django_capture_on_commit_callbacks
):
    # Given a lead of seller A, and boards open for an acme owner, seller A, seller B and a globex owner
    seller_a, seller_b = make_member(acme, Role.SELLER), make_member(acme, Role.SELLER)
    lead = LeadFactory(stage=stage("new"), seller=seller_a.user)
    sockets = {
        "owner": _socket("acme.localhost", client_for(owner)),
        "seller_a": _socket("acme.localhost", client_for(seller_a)),
        "seller_b": _socket("acme.localhost", client_for(seller_b)),
        "globex": _socket("globex.localhost", client_for(globex_owner)),
    }

    def move():
        with django_capture_on_commit_callbacks(execute=True):
            lead_move(lead=lead, stage=stage("interested"), actor=owner.user)

    # When the owner moves it
    connected, received, quiet = _live(sockets, move, listeners=["owner", "seller_a"])

    # Then the owner and seller A get the event naming both columns; seller B and globex get nothing
    assert connected == dict.fromkeys(sockets, (True, None))
    expected = (
        '<div id="board-events" hx-swap-oob="beforeend"><span data-event="LEAD_MOVED" '
        f'data-lead="{lead.pk}" data-stages="{stage("new").pk},{stage("interested").pk}"></span></div>\n'
    )
    assert received["owner"].endswith(expected)
    assert received["seller_a"] == received["owner"]
    assert quiet == dict.fromkeys(sockets, True)


def test_a_move_through_the_board_view_is_announced_after_commit(
    tenant, owner, client_for, django_capture_on_commit_callbacks
):
    lead = LeadFactory(stage=stage("new"))
    owner_client = client_for(owner)
    sockets = {"owner": _socket("acme.localhost", owner_client)}

    def move():
        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.post(
                "/pipeline/move/", {"lead": lead.pk, "stage": stage("won").pk}, HTTP_HX_REQUEST="true"
            )
        assert response.status_code == 200

    _connected, received, quiet = _live(sockets, move, listeners=["owner"])

    assert f'data-stages="{stage("new").pk},{stage("won").pk}"' in received["owner"]
    assert quiet == {"owner": True}


def test_a_refused_move_announces_nothing(tenant, owner, client_for, django_capture_on_commit_callbacks):
    lead = LeadFactory(stage=stage("new"))
    owner_client = client_for(owner)
    sockets = {"owner": _socket("acme.localhost", owner_client)}

    def move():
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = owner_client.post(
                "/pipeline/move/", {"lead": lead.pk, "stage": stage("lost").pk}, HTTP_HX_REQUEST="true"
            )
        assert (response.status_code, callbacks) == (400, [])

    connected, _received, quiet = _live(sockets, move, listeners=[])

    assert connected == {"owner": (True, None)}
    assert quiet == {"owner": True}


def _boards(acme, owner, globex_owner, client_for, *sellers) -> dict:
    sockets = {"owner": _socket("acme.localhost", client_for(owner))}
    sockets.update({name: _socket("acme.localhost", client_for(member)) for name, member in sellers})
    sockets["globex"] = _socket("globex.localhost", client_for(globex_owner))
    return sockets


def test_a_reassignment_reaches_owners_and_both_sellers_only(
    tenant, owner, make_member, acme, globex_owner, client_for, django_capture_on_commit_callbacks
):
    # Given a lead of seller A, and boards open for the owner, sellers A, B and C, and a globex owner
    seller_a, seller_b, seller_c = (make_member(acme, Role.SELLER) for _ in range(3))
    lead = LeadFactory(stage=stage("new"), seller=seller_a.user)
    sockets = _boards(
        acme, owner, globex_owner, client_for, ("seller_a", seller_a), ("seller_b", seller_b), ("seller_c", seller_c)
    )

    def reassign():
        with django_capture_on_commit_callbacks(execute=True):
            lead_assign(lead=lead, seller_id=seller_b.user_id, actor=owner.user)

    # When the owner gives it to seller B
    connected, received, quiet = _live(sockets, reassign, listeners=["owner", "seller_a", "seller_b"])

    # Then A (whose card leaves) and B (whose card arrives) are told, with ids only; C and globex are not
    assert connected == dict.fromkeys(sockets, (True, None))
    assert received["owner"] == received["seller_a"] == received["seller_b"]
    assert f'data-event="LEAD_UPDATED" data-lead="{lead.pk}"' in received["owner"]
    assert lead.first_name not in received["owner"]
    assert quiet == dict.fromkeys(sockets, True)


@pytest.mark.parametrize("change", ["create", "update"])
def test_a_new_or_edited_lead_reaches_owners_and_its_seller_only(
    tenant, owner, make_member, acme, globex_owner, client_for, django_capture_on_commit_callbacks, change
):
    seller_a, seller_b = make_member(acme, Role.SELLER), make_member(acme, Role.SELLER)
    lead = LeadFactory(stage=stage("new"), seller=seller_a.user)
    sockets = _boards(acme, owner, globex_owner, client_for, ("seller_a", seller_a), ("seller_b", seller_b))

    def write():
        with django_capture_on_commit_callbacks(execute=True):
            if change == "create":
                lead_create(actor=owner.user, phone="+34611222333", first_name="Secretia", seller_id=seller_a.user_id)
            else:
                lead_update(lead=lead, actor=owner.user, first_name="Secretia")

    connected, received, quiet = _live(sockets, write, listeners=["owner", "seller_a"])

    assert connected == dict.fromkeys(sockets, (True, None))
    assert received["owner"] == received["seller_a"]
    assert "Secretia" not in received["owner"]
    assert quiet == dict.fromkeys(sockets, True)
