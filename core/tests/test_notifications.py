"""The bell: notify() writes once per user (and once per dedupe key), pushes the unread count live to
that user only, and the pages list, open and mark notifications read for their owner only."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from config.asgi import application
from core import registry
from core.models import Notification
from core.notifications import notify
from core.registry import NotificationKind
from core.testing import in_own_connection, race

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def declared_kinds(monkeypatch):
    """Two kinds declared the way an app would, whatever the installed apps declare."""
    real = registry.declarations()
    kinds = {
        **real.notification_kinds,
        "test_due": NotificationKind("test_due", "Due"),
        "test_loud": NotificationKind("test_loud", "Loud", sound=True),
    }
    monkeypatch.setattr(registry, "declarations", lambda: registry.Declarations(
        sidebar=real.sidebar, audit_labels=real.audit_labels, timeline_kinds=real.timeline_kinds,
        notification_kinds=kinds,
    ))  # fmt: skip


def test_notify_creates_one_per_user_and_once_per_dedupe_key(tenant, owner, seller):
    ids = [owner.user_id, seller.user_id]

    first = notify(tenant=tenant, user_ids=ids, kind="test_due", text="Call Ana", url="/leads/1/", dedupe_key="k1")
    again = notify(tenant=tenant, user_ids=ids, kind="test_due", text="Call Ana", url="/leads/1/", dedupe_key="k1")
    plain = notify(tenant=tenant, user_ids=[owner.user_id], kind="test_due", text="Other")

    assert (first, again, plain) == (2, 0, 1)
    assert Notification.objects.filter(user_id=owner.user_id).count() == 2
    assert Notification.objects.filter(user_id=seller.user_id).get().url == "/leads/1/"


def test_notify_refuses_undeclared_kinds_and_foreign_links(tenant, owner):
    with pytest.raises(ValueError, match="undeclared"):
        notify(tenant=tenant, user_ids=[owner.user_id], kind="nope", text="x")
    notify(tenant=tenant, user_ids=[owner.user_id], kind="test_due", text="x", url="https://evil.example/")
    notify(tenant=tenant, user_ids=[owner.user_id], kind="test_due", text="y", url="//evil.example/")

    assert list(Notification.objects.values_list("url", flat=True)) == ["", ""]


def test_two_workers_racing_one_dedupe_key_notify_once(acme, owner):
    def send(_):
        return notify(tenant=acme, user_ids=[owner.user_id], kind="test_due", text="Due", dedupe_key="race")

    try:
        results = race(send, times=4, tenant=acme)
        assert sorted(results) == [0, 0, 0, 1]
    finally:
        in_own_connection(lambda: Notification.objects.filter(dedupe_key="race").delete(), tenant=acme)


def _session(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _headers(host: str, session: str):
    return [(b"host", host.encode()), (b"origin", f"http://{host}".encode()),
            (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode())]  # fmt: skip


def test_a_notification_reaches_only_its_user_live_with_the_new_count(
    acme, owner, seller, globex_owner, client_for, django_capture_on_commit_callbacks
):
    headers = {
        "owner": _headers("acme.localhost", _session(client_for(owner))),
        "seller": _headers("acme.localhost", _session(client_for(seller))),
        "globex": _headers("globex.localhost", _session(client_for(globex_owner))),
    }

    def send():
        connection.set_tenant(acme)
        with django_capture_on_commit_callbacks(execute=True):
            notify(tenant=acme, user_ids=[seller.user_id], kind="test_loud", text="Ana wants a person", url="/x/")
        connection.set_schema_to_public()

    async def scenario():
        sockets = {name: WebsocketCommunicator(application, "/ws/notifications/", h) for name, h in headers.items()}
        for socket in sockets.values():
            assert (await socket.connect())[0]
        await sync_to_async(send)()
        got = await sockets["seller"].receive_from(timeout=2)
        quiet = await asyncio.gather(*(s.receive_nothing(timeout=0.5) for s in sockets.values()))
        for socket in sockets.values():
            await socket.disconnect()
        return got, quiet

    got, quiet = async_to_sync(scenario)()

    assert 'id="notification-bell"' in got
    assert 'data-unread="1"' in got
    assert "Ana wants a person" in got
    assert 'data-sound="1"' in got
    assert quiet == [True, True, True]


def test_pages_show_open_and_mark_read_only_ones_own(acme, owner, seller, client_for, globex, globex_owner):
    with schema_context(acme.schema_name):
        mine = Notification.objects.create(user_id=seller.user_id, kind="test_due", text="Yours", url="/leads/")
        theirs = Notification.objects.create(user_id=owner.user_id, kind="test_due", text="Owner's")
    client = client_for(seller)

    page = client.get("/notifications/").content.decode()
    assert "Yours" in page
    assert "Owner&#x27;s" not in page
    assert 'data-unread="1"' in client.get("/").content.decode()

    assert client.get(f"/notifications/{theirs.pk}/").status_code == 404
    response = client.get(f"/notifications/{mine.pk}/")
    assert (response.status_code, response["Location"]) == (302, "/leads/")
    assert 'data-unread="0"' in client.get("/").content.decode()

    client_for(owner).post("/notifications/read/")
    with schema_context(acme.schema_name):
        assert Notification.objects.filter(read_at__isnull=True).count() == 0
    # The same ids on another company's host are another table: nothing of acme's shows.
    globex_page = client_for(globex_owner).get("/notifications/").content.decode()
    assert "Yours" not in globex_page
    assert client_for(globex_owner).get(f"/notifications/{mine.pk}/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(acme):
    from django.test import Client

    response = Client(HTTP_HOST="acme.localhost").get("/notifications/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_live_figures_are_read_again_after_a_reconnect(acme, owner, seller, make_member, client_for, globex,
                                                           globex_owner):  # fmt: skip
    """`/notifications/live/` (asked for when the notifications socket opens again) answers the bell and the
    sidebar's badges as out-of-band fragments, with the figures of now, for whoever asks and nobody else."""
    from tenants.models import MembershipStatus, Role

    with schema_context(acme.schema_name):
        Notification.objects.create(user_id=owner.user_id, kind="test_due", text="One", url="/leads/")
        Notification.objects.create(user_id=owner.user_id, kind="test_due", text="Two", url="/leads/")
        Notification.objects.create(user_id=seller.user_id, kind="test_due", text="Three", url="/leads/")
    make_member(acme, Role.SELLER, MembershipStatus.PENDING)

    owner_live = client_for(owner).get("/notifications/live/")
    body = owner_live.content.decode()
    assert owner_live.status_code == 200
    assert owner_live["Cache-Control"] == "no-store"
    assert 'id="notification-bell"' in body
    assert 'data-unread="2"' in body
    assert 'id="pending-count"' in body
    assert 'data-count="1"' in body
    assert body.count('hx-swap-oob="true"') >= 2
    assert "<html" not in body

    seller_body = client_for(seller).get("/notifications/live/").content.decode()
    assert 'data-unread="1"' in seller_body
    assert "pending-count" not in seller_body  # an owner's badge

    # Another company's owner gets their own figures: none of acme's notifications or requests.
    globex_body = client_for(globex_owner).get("/notifications/live/").content.decode()
    assert 'data-unread="0"' in globex_body
    assert 'data-count="1"' not in globex_body


def test_the_live_figures_need_a_member(acme):
    from django.test import Client

    response = Client(HTTP_HOST="acme.localhost").get("/notifications/live/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]
