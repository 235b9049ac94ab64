"""The live inbox: /ws/chats/ through the whole ASGI stack, and who receives which event."""

from __future__ import annotations

import pytest
from django.db import connection

from chats.services import conversation_handoff, conversation_take_over, message_send_text
from chats.tests.factories import make_conversation
from core.actors import AGENT
from crm.tests.test_consumers import _connect, _live, _socket
from tenants.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chats_path(monkeypatch):
    import crm.tests.test_consumers as pipeline

    monkeypatch.setattr(pipeline, "PATH", "/ws/chats/")


@pytest.mark.parametrize(
    ("role", "accepted"), [(Role.OWNER, True), (Role.SELLER, True), (Role.ACCOUNTANT, False), (Role.MARKETING, False)]
)
def test_who_may_open_the_inbox_socket(acme, make_member, client_for, role, accepted):
    assert _connect("acme.localhost", client_for(make_member(acme, role))) == (
        (True, None) if accepted else (False, 4403)
    )


def test_another_company_is_refused(acme, globex_owner, client_for):
    assert _connect("acme.localhost", client_for(globex_owner)) == (False, 4403)


def test_anonymous_is_refused(acme):
    from asgiref.sync import async_to_sync
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    async def scenario():
        socket = WebsocketCommunicator(
            application, "/ws/chats/", headers=[(b"host", b"acme.localhost"), (b"origin", b"http://acme.localhost")]
        )
        result = await socket.connect()
        await socket.disconnect()
        return result

    assert async_to_sync(scenario)() == (False, 4403)


def test_messages_and_handoffs_reach_owners_and_the_leads_seller_only(
    tenant, numbers, owner, make_member, acme, globex_owner, client_for, queued, django_capture_on_commit_callbacks
):
    connection.set_tenant(tenant)
    seller_a, seller_b = make_member(acme, Role.SELLER), make_member(acme, Role.SELLER)
    conversation = make_conversation(tenant, seller_id=seller_a.user_id)
    sockets = {
        "owner": _socket("acme.localhost", client_for(owner)),
        "seller_a": _socket("acme.localhost", client_for(seller_a)),
        "seller_b": _socket("acme.localhost", client_for(seller_b)),
        "globex": _socket("globex.localhost", client_for(globex_owner)),
    }
    sent = {}

    def send():
        connection.set_tenant(tenant)
        with django_capture_on_commit_callbacks(execute=True):
            sent["m"] = message_send_text(tenant=tenant, conversation=conversation, text="Live hello", actor=owner.user)

    connected, received, quiet = _live(sockets, send, listeners=["owner", "seller_a"])
    assert connected == dict.fromkeys(sockets, (True, None))
    assert f'id="msg-{sent["m"].pk}"' in received["owner"]
    assert f'hx-swap-oob="beforeend:#chat-messages-{conversation.pk}"' in received["owner"]
    assert "Live hello" in received["owner"]
    assert received["seller_a"] == received["owner"]
    assert quiet == dict.fromkeys(sockets, True)

    def hand_off():
        connection.set_tenant(tenant)
        with django_capture_on_commit_callbacks(execute=True):
            conversation_handoff(tenant=tenant, conversation=conversation, actor=AGENT, reason="Wants a discount")

    connected, received, quiet = _live(
        {name: _socket(*pair) for name, pair in {
            "owner": ("acme.localhost", client_for(owner)),
            "seller_a": ("acme.localhost", client_for(seller_a)),
            "seller_b": ("acme.localhost", client_for(seller_b)),
        }.items()},
        hand_off,
        listeners=["owner", "seller_a"],
    )  # fmt: skip
    assert f'id="takeover-{conversation.pk}"' in received["owner"]
    assert "Wants a discount" in received["owner"]
    assert quiet == {"owner": True, "seller_a": True, "seller_b": True}


def test_take_over_is_announced(tenant, numbers, owner, client_for, django_capture_on_commit_callbacks):
    connection.set_tenant(tenant)
    conversation = make_conversation(tenant)
    sockets = {"owner": _socket("acme.localhost", client_for(owner))}

    def take():
        connection.set_tenant(tenant)
        with django_capture_on_commit_callbacks(execute=True):
            conversation_take_over(tenant=tenant, conversation=conversation, actor=owner.user)

    _connected, received, _quiet = _live(sockets, take, listeners=["owner"])
    assert 'data-testid="takeover-timer"' in received["owner"]
