"""The live agenda: /ws/agenda/ through the whole ASGI stack, and who receives which event."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

import pytest

from agenda.services import appointment_book, appointment_cancel, appointment_reschedule
from crm.tests.test_consumers import _connect, _live, _socket
from tenants.models import Role

pytestmark = pytest.mark.django_db
MADRID = zoneinfo.ZoneInfo("Europe/Madrid")


@pytest.fixture(autouse=True)
def _agenda_path(monkeypatch):
    import crm.tests.test_consumers as pipeline

    monkeypatch.setattr(pipeline, "PATH", "/ws/agenda/")


@pytest.mark.parametrize(
    ("role", "accepted"), [(Role.OWNER, True), (Role.SELLER, True), (Role.ACCOUNTANT, False), (Role.MARKETING, False)]
)
def test_who_may_open_the_agenda_socket(acme, make_member, client_for, role, accepted):
    result = _connect("acme.localhost", client_for(make_member(acme, role)))
    assert result == ((True, None) if accepted else (False, 4403))


def test_another_company_and_anonymous_are_refused(acme, globex_owner, client_for):
    assert _connect("acme.localhost", client_for(globex_owner)) == (False, 4403)


def test_events_reach_owners_and_the_appointments_seller_only(
    clock, service, madrid, seller_a, seller_b, lead, acme, make_member, globex_owner, client_for,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    owner = make_member(acme, Role.OWNER)
    clients = {
        "owner": ("acme.localhost", client_for(owner)),
        "seller_a": ("acme.localhost", client_for(seller_a)),
        "seller_b": ("acme.localhost", client_for(seller_b)),
        "globex": ("globex.localhost", client_for(globex_owner)),
    }

    def sockets_():
        return {name: _socket(host, client) for name, (host, client) in clients.items()}

    sockets = sockets_()
    booked = {}

    def book():
        with django_capture_on_commit_callbacks(execute=True):
            booked["a"] = appointment_book(
                tenant=madrid,
                lead=lead,
                service=service,
                start=datetime(2027, 3, 2, 10, tzinfo=MADRID),
                seller_id=seller_a.user_id,
                actor=None,
                source="agent",
            )

    connected, received, quiet = _live(sockets, book, listeners=["owner", "seller_a"])

    assert connected == dict.fromkeys(sockets, (True, None))
    pk = booked["a"].pk
    assert received["owner"] == (
        '<div id="agenda-events" hx-swap-oob="beforeend">'
        f'<span data-event="NEW_APPOINTMENT" data-kind="appointment" data-id="{pk}"></span></div>\n'
    )
    assert received["seller_a"] == received["owner"]
    assert quiet == dict.fromkeys(sockets, True)

    def move_to_b():
        with django_capture_on_commit_callbacks(execute=True):
            appointment_reschedule(
                tenant=madrid,
                appointment=booked["a"],
                start=datetime(2027, 3, 2, 11, tzinfo=MADRID),
                seller_id=seller_b.user_id,
                actor=None,
                source="staff",
            )

    _connected, received, quiet = _live(sockets_(), move_to_b, listeners=["owner", "seller_a", "seller_b"])
    assert all("APPOINTMENT_UPDATED" in received[name] for name in ("owner", "seller_a", "seller_b"))
    assert quiet["globex"]

    def cancel():
        with django_capture_on_commit_callbacks(execute=True):
            appointment_cancel(tenant=madrid, appointment=booked["a"], actor=None, source="staff")

    _connected, received, quiet = _live(sockets_(), cancel, listeners=["owner", "seller_b"])
    assert "APPOINTMENT_DELETED" in received["seller_b"]
    assert quiet == dict.fromkeys(sockets, True)
