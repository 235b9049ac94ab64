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
from channels.testing import WebsocketCommunicator
from django.conf import settings

from config.asgi import application
from tenants.models import MembershipStatus, Role

pytestmark = pytest.mark.django_db

PATH = "/ws/notifications/"
SILENCE = 0.5  # seconds a socket must stay quiet after the message reached the sockets that should get it
HANG_UP = 0.2  # seconds a consumer gets to stop after the client hangs up


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
        # A refused consumer on a fresh event loop can miss the cancellation of its first channel-layer
        # read (redis-py, Python 3.11) and linger until cancelled again; wait() does that after HANG_UP.
        await socket.disconnect(timeout=HANG_UP)
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


def test_unknown_path_is_refused(owner, client_for):
    session = _session_of(client_for(owner))

    with pytest.raises(ValueError, match="No route found for path 'ws/nothing/'"):
        _connect(_headers("acme.localhost", session=session), path="/ws/nothing/")


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
            await socket.disconnect(timeout=HANG_UP)
        return connected, approved, received, quiet

    connected, approved, received, quiet = async_to_sync(scenario)()

    # Then only the acme owner's socket gets the new count (1), once
    assert connected == {"owner": (True, None), "seller": (True, None), "globex": (True, None)}
    assert approved == (302, 1)
    assert received == ('<span id="pending-count" class="badge" hx-swap-oob="true" data-count="1" title="1">1</span>\n')
    assert quiet == {"owner": True, "seller": True, "globex": True}
