"""Websockets through the whole ASGI stack: origin check, tenant from Host, session, active membership,
and live updates that reach only the sockets of the right tenant and role.

Each test is a sync function that runs one async scenario with async_to_sync: the consumers'
database_sync_to_async calls then run on the test thread and see the test's transaction, and Django
calls made from the scenario (requests, on-commit callbacks) go through sync_to_async to that thread.
"""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from channels_redis.utils import create_pool
from django.conf import settings

from config.asgi import application
from core.consumers import TenantTopicConsumer
from core.realtime import publish
from tenants.models import MembershipStatus, Role

pytestmark = pytest.mark.django_db

PATH = "/ws/notifications/"
SILENCE = 0.5  # seconds a socket must stay quiet after the message reached the sockets that should get it


def _headers(host: str, *, origin: str | None = "", session: str = "") -> list[tuple[bytes, bytes]]:
    """Headers a browser on `host` sends; origin "" means the page's own origin, None means none at all."""
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", (origin or f"http://{host}").encode()))
    if session:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode()))
    return headers


def _session_of(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _connect(headers: list[tuple[bytes, bytes]], path: str = PATH) -> tuple[bool, int | str | None]:
    """Opens a socket, hangs up (as a server does after a refusal too) and answers what connect() said."""

    async def scenario():
        socket = WebsocketCommunicator(application, path, headers=headers)
        result = await socket.connect()
        await socket.disconnect()
        return result

    return async_to_sync(scenario)()


def test_active_owner_connects_on_own_tenant_host(owner, client_for):
    session = _session_of(client_for(owner))

    assert _connect(_headers("acme.localhost", session=session)) == (True, None)


@pytest.mark.parametrize("role", [Role.SELLER, Role.ACCOUNTANT, Role.MARKETING])
def test_every_active_role_may_open_notifications(acme, make_member, client_for, role):
    member = make_member(acme, role)

    assert _connect(_headers("acme.localhost", session=_session_of(client_for(member)))) == (True, None)


def test_same_user_on_another_tenant_host_is_refused(owner, globex, client_for):
    session = _session_of(client_for(owner))

    assert _connect(_headers("globex.localhost", session=session)) == (False, 4403)


def test_anonymous_socket_is_refused(acme):
    assert _connect(_headers("acme.localhost")) == (False, 4403)


def test_session_that_is_not_signed_in_is_refused(acme, client_for, owner):
    client = client_for(owner)
    session = _session_of(client)
    client.logout()

    assert _connect(_headers("acme.localhost", session=session)) == (False, 4403)


@pytest.mark.parametrize("status", [MembershipStatus.PENDING, MembershipStatus.DISABLED])
def test_member_without_active_membership_is_refused(acme, make_member, client_for, status):
    member = make_member(acme, Role.SELLER, status)

    assert _connect(_headers("acme.localhost", session=_session_of(client_for(member)))) == (False, 4403)


def test_host_of_no_tenant_is_refused(owner, client_for):
    session = _session_of(client_for(owner))

    assert _connect(_headers("nope.localhost", session=session)) == (False, 4404)


def test_public_host_is_refused(owner, client_for):
    session = _session_of(client_for(owner))

    assert _connect(_headers("localhost", session=session)) == (False, 4404)


def test_socket_without_origin_is_refused(owner, client_for):
    session = _session_of(client_for(owner))

    assert _connect(_headers("acme.localhost", origin=None, session=session)) == (False, 1000)


def test_socket_from_a_foreign_origin_is_refused(owner, client_for):
    session = _session_of(client_for(owner))

    assert _connect(_headers("acme.localhost", origin="http://evil.example", session=session)) == (False, 1000)


@pytest.mark.parametrize("signed_in", [True, False])
def test_an_unknown_path_closes_cleanly(owner, client_for, signed_in):
    # Finding 5 of issue 6: the router raised "No route found" (a server error), cookie or not.
    session = _session_of(client_for(owner)) if signed_in else ""

    assert _connect(_headers("acme.localhost", session=session), path="/ws/nothing/") == (False, 4404)
    assert _connect(_headers("acme.localhost", session=session), path="/") == (False, 4404)


def test_a_sibling_subdomains_origin_is_refused(owner, client_for):
    # Finding 4 of issue 6: any origin under the base domain was accepted, so a page on globex's host
    # could open a socket with acme's cookie and receive acme's events.
    session = _session_of(client_for(owner))

    got = _connect(_headers("acme.localhost:8000", origin="http://globex.localhost:8000", session=session))

    assert got == (False, 1000)


@pytest.mark.parametrize(
    ("host", "origin", "accepted"),
    [
        ("acme.localhost:8000", "http://acme.localhost:8000", True),
        ("acme.localhost:80", "http://acme.localhost", True),
        ("acme.localhost:8000", "http://acme.localhost:8001", False),
        ("acme.localhost:8000", "https://acme.localhost:8000", False),
        ("acme.localhost", "http://localhost", False),
        ("acme.localhost", "http://acme.localhost.evil.example", False),
        ("acme.localhost", "null", False),
        ("acme.localhost", "http://acme.localhost/path", False),
        ("acme.localhost", "http://acme.localhost:99999", False),
    ],
)
def test_the_origin_must_be_the_sockets_own_scheme_host_and_port(owner, client_for, host, origin, accepted):
    session = _session_of(client_for(owner))

    assert _connect(_headers(host, origin=origin, session=session))[0] is accepted


def test_behind_a_tls_proxy_the_origin_is_https(owner, client_for, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    headers = _headers("acme.localhost", origin="https://acme.localhost", session=_session_of(client_for(owner)))
    forwarded = [*headers, (b"x-forwarded-proto", b"https")]

    assert _connect(forwarded) == (True, None)
    assert _connect(headers) == (False, 1000)


def test_refused_consumers_stop_as_soon_as_the_client_hangs_up(owner, globex, client_for):
    # A consumer that stops must not miss the cancellation of its channel-layer read (it did with redis-py
    # 8's default socket timeout on Python 3.11, in most attempts): it would hold a Redis connection until
    # the server killed it.
    headers = _headers("globex.localhost", session=_session_of(client_for(owner)))

    async def attempt() -> tuple[tuple[bool, int], bool]:
        socket = WebsocketCommunicator(application, PATH, headers=headers)
        refused = await socket.connect()
        await socket.send_input({"type": "websocket.disconnect", "code": 1000})
        stopped, _ = await asyncio.wait({socket.future}, timeout=0.5)
        await socket.wait()
        return refused, bool(stopped)

    async def scenario():
        return [await attempt() for _ in range(5)]

    assert async_to_sync(scenario)() == [((False, 4403), True)] * 5


def test_channel_layer_reads_have_no_client_timeout():
    # channels-redis blocks in BZPOPMIN for 5 s; a 5 s client read timeout (redis-py 8's default) killed
    # every idle websocket after ~5 s with TimeoutError.
    host = get_channel_layer().hosts[0]

    assert create_pool(host).make_connection().socket_timeout is None


def test_approving_a_member_pushes_the_new_pending_count_to_that_tenants_owners_only(
    acme, owner, seller, globex_owner, make_member, client_for, django_capture_on_commit_callbacks
):
    # Given two pending requests in acme and sockets open for an acme owner, an acme seller and a globex owner
    pending = make_member(acme, Role.SELLER, MembershipStatus.PENDING)
    make_member(acme, Role.MARKETING, MembershipStatus.PENDING)
    owner_client = client_for(owner)
    sessions = {
        "owner": _session_of(owner_client),
        "seller": _session_of(client_for(seller)),
        "globex": _session_of(client_for(globex_owner)),
    }

    def approve() -> tuple[int, int]:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = owner_client.post(f"/staff/{pending.pk}/approve/", {"role": Role.SELLER})
        return response.status_code, len(callbacks)

    async def scenario():
        sockets = {
            "owner": WebsocketCommunicator(application, PATH, _headers("acme.localhost", session=sessions["owner"])),
            "seller": WebsocketCommunicator(application, PATH, _headers("acme.localhost", session=sessions["seller"])),
            "globex": WebsocketCommunicator(
                application, PATH, _headers("globex.localhost", session=sessions["globex"])
            ),
        }
        connected = {name: await socket.connect() for name, socket in sockets.items()}
        # When the owner approves one of them through the Staff page
        approved = await sync_to_async(approve)()
        received = await sockets["owner"].receive_from(timeout=2)
        silent = await asyncio.gather(*(socket.receive_nothing(timeout=SILENCE) for socket in sockets.values()))
        quiet = dict(zip(sockets, silent, strict=True))
        for socket in sockets.values():
            await socket.disconnect()
        return connected, approved, received, quiet

    connected, approved, received, quiet = async_to_sync(scenario)()

    # Then only the acme owner's socket gets the new count (1), once
    assert connected == {"owner": (True, None), "seller": (True, None), "globex": (True, None)}
    assert approved == (302, 1)
    assert received == ('<span id="pending-count" class="badge" hx-swap-oob="true" data-count="1" title="1">1</span>\n')
    assert quiet == {"owner": True, "seller": True, "globex": True}


@pytest.fixture
def recheck_every_event(monkeypatch):
    monkeypatch.setattr(TenantTopicConsumer, "recheck_after", 0)


def test_member_disabled_while_connected_is_disconnected_at_the_next_event(
    acme, owner, seller, client_for, recheck_every_event, django_capture_on_commit_callbacks
):
    # Given an owner's and a seller's sockets open
    owner_client = client_for(owner)
    headers = {
        "owner": _headers("acme.localhost", session=_session_of(owner_client)),
        "seller": _headers("acme.localhost", session=_session_of(client_for(seller))),
    }

    def disable() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return owner_client.post(f"/staff/{seller.pk}/disable/").status_code

    async def scenario():
        sockets = {name: WebsocketCommunicator(application, PATH, value) for name, value in headers.items()}
        connected = {name: await socket.connect() for name, socket in sockets.items()}
        # When the owner disables the seller (which publishes the staff counter to the tenant)
        status = await sync_to_async(disable)()
        seller_got = await sockets["seller"].receive_output(timeout=2)
        owner_got = await sockets["owner"].receive_from(timeout=2)
        for socket in sockets.values():
            await socket.disconnect()
        return connected, status, seller_got, owner_got

    connected, status, seller_got, owner_got = async_to_sync(scenario)()

    # Then the seller's socket is closed instead of served; the owner's still gets the update
    assert connected == {"owner": (True, None), "seller": (True, None)}
    assert status == 302
    assert seller_got == {"type": "websocket.close", "code": 4403}
    assert 'id="pending-count"' in owner_got


def test_role_changed_while_connected_applies_to_the_next_event(
    acme, owner, seller, client_for, recheck_every_event, django_capture_on_commit_callbacks
):
    # Given a seller's socket open, which does not get owner-only events
    owner_client = client_for(owner)
    headers = _headers("acme.localhost", session=_session_of(client_for(seller)))

    def owner_only_event():
        with django_capture_on_commit_callbacks(execute=True):
            publish(
                topic="notifications",
                event="STAFF_PENDING",
                html="<i>owners</i>",
                roles=(Role.OWNER,),
                schema_name="acme",
            )

    def promote() -> int:
        return owner_client.post(f"/staff/{seller.pk}/edit/", {"role": Role.OWNER}).status_code

    async def scenario():
        socket = WebsocketCommunicator(application, PATH, headers)
        connected = await socket.connect()
        await sync_to_async(owner_only_event)()
        before = await socket.receive_nothing(timeout=SILENCE)
        # When an owner makes the seller an owner
        status = await sync_to_async(promote)()
        await sync_to_async(owner_only_event)()
        after = await socket.receive_from(timeout=2)
        await socket.disconnect()
        return connected, before, status, after

    connected, nothing_before, status, after = async_to_sync(scenario)()

    # Then owner-only events reach that socket from then on
    assert connected == (True, None)
    assert nothing_before is True
    assert status == 302
    assert after == "<i>owners</i>"


def _event_after(headers, change, capture) -> tuple:
    """Opens a socket, runs `change` (sync), publishes an event to everyone and answers what the socket got."""

    def event():
        with capture(execute=True):
            publish(topic="notifications", event="PING", html="<i>everyone</i>", schema_name="acme")

    async def scenario():
        socket = WebsocketCommunicator(application, PATH, headers)
        connected = await socket.connect()
        await sync_to_async(change)()
        await sync_to_async(event)()
        got = await socket.receive_output(timeout=2)
        await socket.disconnect()
        return connected, got

    return async_to_sync(scenario)()


@pytest.mark.parametrize("ending", ["sign-out", "password change", "account deactivated"])
def test_a_socket_whose_session_or_account_ended_is_disconnected_at_the_next_event(
    acme, seller, client_for, recheck_every_event, django_capture_on_commit_callbacks, ending
):
    # Given a seller's socket open
    client = client_for(seller)
    headers = _headers("acme.localhost", session=_session_of(client))

    def end():
        if ending == "sign-out":
            client.post("/logout/")
        elif ending == "password change":
            seller.user.set_password("another-Strong-pass-456")
            seller.user.save()
        else:
            type(seller.user).objects.filter(pk=seller.user_id).update(is_active=False)

    # When the session or the account ends elsewhere, then the next event closes the socket instead
    got = _event_after(headers, end, django_capture_on_commit_callbacks)

    assert got == ((True, None), {"type": "websocket.close", "code": 4403})


def test_a_socket_whose_session_goes_on_keeps_getting_events(
    acme, seller, client_for, recheck_every_event, django_capture_on_commit_callbacks
):
    headers = _headers("acme.localhost", session=_session_of(client_for(seller)))

    connected, got = _event_after(headers, lambda: None, django_capture_on_commit_callbacks)

    assert (connected, got["type"], got.get("text")) == ((True, None), "websocket.send", "<i>everyone</i>")


def test_an_event_rendered_per_language_reaches_each_member_in_their_own_language(
    acme, make_member, client_for, django_capture_on_commit_callbacks
):
    """A live fragment with translated text (a worker publishes it, in no one's language) reaches each socket
    in the language that member's pages are served in: their own choice, else the company's."""
    from django.template import Context, Template

    acme.language = "es"
    acme.save(update_fields=["language"])
    french = make_member(acme, Role.OWNER, language="fr")
    english = make_member(acme, Role.OWNER, language="en")
    company_default = make_member(acme, Role.OWNER, language="")
    members = {"fr": french, "en": english, "company": company_default}
    headers = {name: _headers("acme.localhost", session=_session_of(client_for(m))) for name, m in members.items()}
    template = Template('{% load i18n %}<i>{% translate "Close" %}</i>')

    def event():
        with django_capture_on_commit_callbacks(execute=True):
            publish(topic="notifications", event="PING", html=lambda: template.render(Context()), schema_name="acme")

    def received_by(socket_headers) -> str:
        # One socket at a time: several sockets of one process waiting on the channel layer at once leave
        # its per-channel locks bound to this test's event loop when they are cancelled.
        async def scenario():
            socket = WebsocketCommunicator(application, PATH, socket_headers)
            await socket.connect()
            await sync_to_async(event)()
            text = await socket.receive_from(timeout=2)
            await socket.disconnect()
            return text

        return async_to_sync(scenario)()

    got = {name: received_by(value) for name, value in headers.items()}

    assert got == {"fr": "<i>Fermer</i>", "en": "<i>Close</i>", "company": "<i>Cerrar</i>"}
