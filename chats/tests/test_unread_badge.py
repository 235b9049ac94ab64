"""The sidebar's unread badge, live: each member who may see the conversation gets their own total over
/ws/notifications/ (the socket every page's sidebar keeps open); nobody else, in this company or another."""

from __future__ import annotations

import asyncio
import re

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection

from chats.models import Conversation
from chats.services import conversation_mark_read, message_receive
from chats.tests.conftest import CLOUD_NUMBER_ID
from chats.tests.factories import make_conversation
from chats.webhooks.parsing import InboundItem
from tenants.models import Role

pytestmark = pytest.mark.django_db

BADGE = re.compile(r'<span class="badge" id="chats-unread-badge"[^>]*data-unread="(\d+)" hx-swap-oob="true"')


@pytest.fixture(autouse=True)
def _notifications_path(monkeypatch):
    import crm.tests.test_consumers as sockets

    monkeypatch.setattr(sockets, "PATH", "/ws/notifications/")


def _collect(sockets: dict, action) -> tuple[dict, dict]:
    """Connects every socket, runs `action`, then reads what each socket receives until it has been quiet
    for half a second."""

    async def drain(socket) -> list[str]:
        frames = []
        while not await socket.receive_nothing(timeout=0.5):
            frames.append(await socket.receive_from(timeout=1))
        return frames

    async def scenario():
        connected = {name: await socket.connect() for name, socket in sockets.items()}
        await sync_to_async(action)()
        frames = await asyncio.gather(*(drain(socket) for socket in sockets.values()))
        for socket in sockets.values():
            await socket.disconnect(timeout=0.2)
        return connected, dict(zip(sockets, frames, strict=True))

    return async_to_sync(scenario)()


def _badges(frames: list[str]) -> list[int]:
    return [int(match.group(1)) for frame in frames for match in BADGE.finditer(frame)]


@pytest.fixture
def audience(tenant, numbers, owner, make_member, acme, globex_owner, client_for):
    from crm.tests.test_consumers import _socket

    connection.set_tenant(tenant)
    seller_a, seller_b = make_member(acme, Role.SELLER), make_member(acme, Role.SELLER)
    accountant = make_member(acme, Role.ACCOUNTANT)
    conversation = make_conversation(tenant, seller_id=seller_a.user_id)
    make_conversation(tenant, phone="+34611000001", unread_count=2)  # no seller: the owners' only
    make_conversation(tenant, phone="+34611000002", seller_id=seller_b.user_id, unread_count=3)

    def sockets():
        return {
            "owner": _socket("acme.localhost", client_for(owner)),
            "seller_a": _socket("acme.localhost", client_for(seller_a)),
            "seller_b": _socket("acme.localhost", client_for(seller_b)),
            "accountant": _socket("acme.localhost", client_for(accountant)),
            "globex": _socket("globex.localhost", client_for(globex_owner)),
        }

    return conversation, sockets


def test_an_inbound_message_updates_each_members_own_badge_and_nobody_elses(
    tenant, audience, queued, django_capture_on_commit_callbacks
):
    conversation, sockets = audience

    def arrive():
        connection.set_tenant(tenant)
        with django_capture_on_commit_callbacks(execute=True):
            message_receive(
                tenant=tenant,
                provider="whatsapp_cloud",
                item=InboundItem(
                    provider_message_id="wamid.BADGE1", phone_number_id=CLOUD_NUMBER_ID, from_phone="34611222333"
                ),
            )

    connected, frames = _collect(sockets(), arrive)
    assert connected == dict.fromkeys(connected, (True, None))
    assert _badges(frames["owner"]) == [6]  # 1 + 2 + 3: every conversation
    assert _badges(frames["seller_a"]) == [1]  # only their lead's conversation
    assert frames["seller_b"] == []  # not the lead's seller: nothing, not even their own total
    assert frames["accountant"] == []
    assert frames["globex"] == []

    def read():
        connection.set_tenant(tenant)
        with django_capture_on_commit_callbacks(execute=True):
            conversation_mark_read(tenant=tenant, conversation=Conversation.objects.get(pk=conversation.pk))

    _connected, frames = _collect(sockets(), read)
    assert (_badges(frames["owner"]), _badges(frames["seller_a"])) == ([5], [0])
    assert 'data-unread="0" hx-swap-oob="true" hidden>' in frames["seller_a"][0]
    assert frames["seller_b"] == frames["accountant"] == frames["globex"] == []


def test_reading_a_conversation_already_read_announces_nothing(
    tenant, audience, queued, django_capture_on_commit_callbacks
):
    conversation, sockets = audience

    def read():
        connection.set_tenant(tenant)
        with django_capture_on_commit_callbacks(execute=True):
            conversation_mark_read(tenant=tenant, conversation=Conversation.objects.get(pk=conversation.pk))

    _connected, frames = _collect(sockets(), read)
    assert all(received == [] for received in frames.values())


def test_the_sidebar_renders_each_members_own_total_and_a_hidden_badge_at_zero(
    tenant, audience, owner, client_for, acme, make_member
):
    from chats.models import Conversation as Conv

    Conv.objects.filter(phone_number_id=CLOUD_NUMBER_ID, lead__phone="+34611222333").update(unread_count=1)
    pages = {"owner": client_for(owner).get("/chats/"), "new_seller": client_for(make_member(acme, Role.SELLER))}
    assert pages["owner"].status_code == 200
    assert _badges([pages["owner"].content.decode()]) == [6]
    empty = pages["new_seller"].get("/chats/").content.decode()
    assert _badges([empty]) == [0]
    assert 'data-unread="0" hx-swap-oob="true" hidden>' in empty


def test_a_badge_that_cannot_be_counted_never_stops_the_inbound_hooks(
    tenant, numbers, queued, monkeypatch, django_capture_on_commit_callbacks
):
    from chats import hooks, selectors

    connection.set_tenant(tenant)
    make_conversation(tenant)
    woken = []

    def broken(**kwargs):
        raise RuntimeError("database went away")

    def receiver(*, tenant, message):
        woken.append(message.provider_message_id)

    monkeypatch.setattr(selectors, "unread_total", broken)
    monkeypatch.setattr(hooks, "_receivers", [receiver])
    with django_capture_on_commit_callbacks(execute=True):
        message_receive(
            tenant=tenant,
            provider="whatsapp_cloud",
            item=InboundItem(
                provider_message_id="wamid.BADGE2", phone_number_id=CLOUD_NUMBER_ID, from_phone="34611222333"
            ),
        )
    assert woken == ["wamid.BADGE2"]
