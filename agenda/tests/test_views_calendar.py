"""The calendar page, its feed, the booking dialog, moves and status changes, as owners and sellers."""

from __future__ import annotations

import json
import zoneinfo
from datetime import datetime

import pytest
from django.db import connection

from agenda.models import Appointment
from agenda.services import appointment_book
from crm.models import Lead
from crm.tests.factories import LeadFactory
from tenants.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
MADRID = zoneinfo.ZoneInfo("Europe/Madrid")


def at(day, hour, minute=0):
    return datetime(2027, 3, day, hour, minute, tzinfo=MADRID)


@pytest.fixture
def world(clock, service, madrid, seller_a, seller_b, acme, make_member, lead):
    owner = make_member(acme, Role.OWNER, full_name="Olga Owner")
    lead_b = LeadFactory(seller=seller_b.user, phone="+34600000002", first_name="Berta", last_name="Bee")
    a = appointment_book(
        tenant=madrid,
        lead=lead,
        service=service,
        start=at(2, 10),
        seller_id=seller_a.user_id,
        actor=None,
        source="staff",
    )
    b = appointment_book(
        tenant=madrid,
        lead=lead_b,
        service=service,
        start=at(2, 11),
        seller_id=seller_b.user_id,
        actor=None,
        source="staff",
    )
    connection.set_schema_to_public()
    return {"owner": owner, "a": a, "b": b, "lead_b": lead_b}


def feed(client, **params):
    params = {"start": "2027-03-01T00:00:00", "end": "2027-03-08T00:00:00", **params}
    response = client.get("/agenda/events/", params)
    return response, (json.loads(response.content) if response.status_code == 200 else None)


def test_calendar_page_loads_fullcalendar_and_its_live_socket(world, client_for, seller_a):
    body = client_for(world["owner"]).get("/agenda/").content.decode()

    assert "vendor/fullcalendar-6.1.22.min.js" in body
    assert 'ws-connect="/ws/agenda/"' in body
    assert 'data-timezone="Europe/Madrid"' in body
    assert "Ana Seller" in body
    assert "Bruno Seller" in body
    seller_body = client_for(seller_a).get("/agenda/").content.decode()
    assert 'id="seller-filter"' not in seller_body
    assert "<script>" not in body
    assert "onclick" not in body


def test_feed_shows_the_visible_range_in_the_company_wall_clock(world, client_for, seller_a, seller_b):
    _response, owner_items = feed(client_for(world["owner"]))
    assert sorted((item["start"], item["end"]) for item in owner_items) == [
        ("2027-03-02T10:00", "2027-03-02T10:30"),
        ("2027-03-02T11:00", "2027-03-02T11:30"),
    ]
    _response, only_b = feed(client_for(world["owner"]), seller=str(seller_b.user_id))
    assert [item["extendedProps"]["pk"] for item in only_b] == [world["b"].pk]
    _response, seller_items = feed(client_for(seller_a), seller=str(seller_b.user_id))
    assert [item["extendedProps"]["pk"] for item in seller_items] == [world["a"].pk]
    _response, later = feed(client_for(world["owner"]), start="2027-03-03T00:00:00", end="2027-03-10T00:00:00")
    assert later == []


@pytest.mark.parametrize(
    "params",
    [
        {"start": "nonsense"},
        {"end": "2027-02-01T00:00:00"},
        {"start": "9999-01-01T00:00:00"},
        {"start": "2027-03-01\x00garbage"},
    ],
)
def test_feed_refuses_bad_ranges(world, client_for, params):
    response, _items = feed(client_for(world["owner"]), **params)
    assert response.status_code == 400


def test_booking_from_the_dialog(world, client_for, seller_a, lead):
    client = client_for(seller_a)
    form = client.get("/agenda/appointments/new/", {"start": "2027-03-02T12:00"}).content.decode()
    assert 'value="2027-03-02T12:00:00+01:00|' in form  # the clicked time is offered and chosen

    response = client.post(
        "/agenda/appointments/new/",
        {
            "lead": lead.pk,
            "service": world["a"].service_id,
            "seller": seller_a.user_id,
            "day": "2027-03-02",
            "slot": f"2027-03-02T12:00:00+01:00|{seller_a.user_id}",
            "notes": "Call first",
        },
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert "agenda:changed" in response["HX-Trigger"]
    connection.set_tenant(world["owner"].tenant)
    booked = Appointment.objects.get(lead=lead, start=at(2, 12))
    assert (booked.seller_id, booked.notes, booked.source, booked.created_by_id) == (
        seller_a.user_id,
        "Call first",
        "staff",
        seller_a.user_id,
    )


def test_a_new_lead_by_phone_and_a_refused_slot(world, client_for, seller_a):
    client = client_for(seller_a)
    base = {"service": world["a"].service_id, "seller": seller_a.user_id, "day": "2027-03-02"}

    taken = client.post(
        "/agenda/appointments/new/",
        {**base, "phone": "+34 611 22 33 44", "slot": f"2027-03-02T10:00:00+01:00|{seller_a.user_id}"},
    )
    assert taken.status_code == 422
    assert "already has an appointment" in taken.content.decode()
    assert "Next free times" in taken.content.decode()

    booked = client.post(
        "/agenda/appointments/new/",
        {**base, "phone": "611223344", "first_name": "Nina", "slot": f"2027-03-02T12:30:00+01:00|{seller_a.user_id}"},
    )
    assert booked.status_code == 200
    connection.set_tenant(world["owner"].tenant)
    lead = Lead.objects.get(phone="+34611223344")
    assert (lead.first_name, lead.seller_id) == ("Nina", seller_a.user_id)
    assert Appointment.objects.filter(lead=lead).count() == 1


def test_a_seller_cannot_book_for_another_seller_nor_another_sellers_lead(world, client_for, seller_a, seller_b):
    client = client_for(seller_a)
    response = client.post(
        "/agenda/appointments/new/",
        {
            "lead": world["lead_b"].pk,
            "service": world["a"].service_id,
            "seller": seller_b.user_id,
            "day": "2027-03-02",
            "slot": f"2027-03-02T12:00:00+01:00|{seller_b.user_id}",
        },
    )
    assert response.status_code == 422
    connection.set_tenant(world["owner"].tenant)
    assert Appointment.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose a lead"),
        ({"lead": "1", "slot": "garbage|1"}, "Choose one of the free times"),
        ({"lead": "1", "day": "1000-01-01"}, "within three years"),
        ({"lead": "99999999999999999999"}, ""),
    ],
)
def test_the_dialog_refuses_bad_input(world, client_for, seller_a, data, message):
    base = {
        "service": world["a"].service_id,
        "seller": seller_a.user_id,
        "day": "2027-03-02",
        "slot": "2027-03-02T12:00:00+01:00",
    }
    response = client_for(seller_a).post("/agenda/appointments/new/", {**base, **data})

    assert response.status_code == 422
    assert message in response.content.decode()
    connection.set_tenant(world["owner"].tenant)
    assert Appointment.objects.count() == 2


def test_moves_are_checked_by_the_server(world, client_for, seller_a):
    client = client_for(seller_a)
    url = f"/agenda/appointments/{world['a'].pk}/move/"

    ok = client.post(url, {"start": "2027-03-02T09:00", "end": "2027-03-02T09:45"})
    assert json.loads(ok.content) == {"ok": True}
    refused = client.post(url, {"start": "2027-03-02T13:30", "end": "2027-03-02T14:00"})
    assert refused.status_code == 409
    answer = json.loads(refused.content)
    assert answer["ok"] is False
    assert "outside the seller's working hours" in answer["error"]
    assert "Next free" in answer["error"]
    reversed_ = client.post(url, {"start": "2027-03-02T10:00", "end": "2027-03-02T09:00"})
    assert reversed_.status_code == 400
    assert "end must be after" in json.loads(reversed_.content)["error"]
    assert client.post(url, {"start": "yesterday"}).status_code == 400
    assert client.post(f"/agenda/appointments/{world['b'].pk}/move/", {"start": "2027-03-02T09:00"}).status_code == 404
    connection.set_tenant(world["owner"].tenant)
    world["a"].refresh_from_db()
    assert (world["a"].start, world["a"].end) == (at(2, 9), at(2, 9, 45))


def test_popover_and_status_actions(world, client_for, seller_a, clock):
    client = client_for(seller_a)
    popover = client.get(f"/agenda/appointments/{world['a'].pk}/").content.decode()
    assert 'data-testid="confirm"' in popover
    assert 'data-testid="complete"' not in popover

    assert client.post(f"/agenda/appointments/{world['a'].pk}/confirm/").status_code == 200
    failed = client.post(f"/agenda/appointments/{world['a'].pk}/complete/")
    assert failed.status_code == 400
    assert "once the appointment has started" in failed.content.decode()
    assert client.post(f"/agenda/appointments/{world['a'].pk}/explode/").status_code == 404
    assert client.post(f"/agenda/appointments/{world['a'].pk}/cancel/", {"reason": "Ill"}).status_code == 200
    connection.set_tenant(world["owner"].tenant)
    world["a"].refresh_from_db()
    assert (world["a"].status, world["a"].cancel_reason) == ("cancelled", "Ill")


def test_lead_search_and_slots(world, client_for, seller_a, lead):
    found = client_for(world["owner"]).get("/agenda/leads/search/", {"q": "Berta"}).content.decode()
    assert "Berta Bee" in found
    assert "Berta" not in client_for(seller_a).get("/agenda/leads/search/", {"q": "Berta"}).content.decode()

    options = (
        client_for(seller_a)
        .get("/agenda/slots/", {"service": world["a"].service_id, "day": "2027-03-02", "seller": ""})
        .content.decode()
    )
    assert "09:00 · Ana Seller" in options
    assert "10:00 · Ana Seller" not in options
    assert "Bruno" not in options
    assert "No free time" in client_for(seller_a).get("/agenda/slots/", {"service": "x", "day": "y"}).content.decode()


def test_the_calendar_page_allows_fullcalendar_its_empty_style_element_and_icon_font_only(world, client_for):
    policy = client_for(world["owner"]).get("/agenda/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))

    assert directives["style-src"] == "'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
    assert directives["font-src"] == "'self' data:"
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy
