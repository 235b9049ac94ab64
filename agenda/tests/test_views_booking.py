"""The public booking page: what it shows (free times only), booking, its throttles, honeypot and CSRF,
and the signed link to cancel or reschedule (tampered, expired, replayed)."""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime

import pytest
from django.db import connection
from django.test import Client

from agenda import booking_links
from agenda.models import Appointment
from agenda.tests.factories import rules
from core.models import Notification
from crm.models import Lead, TimelineEntry
from tenants.models import Tenant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
MADRID = zoneinfo.ZoneInfo("Europe/Madrid")
HOST = "acme.localhost"


def at(day, hour, minute=0):
    return datetime(2027, 3, day, hour, minute, tzinfo=MADRID)


@pytest.fixture
def page(clock, service, madrid, seller_a, seller_b):
    connection.set_schema_to_public()
    return service


def enter_acme() -> None:
    connection.set_tenant(Tenant.objects.get(slug="acme"))


def visitor(**options) -> Client:
    return Client(HTTP_HOST=HOST, **options)


def form(page, **values):
    data = {
        "slot": "2027-03-02T10:00:00+01:00",
        "name": "Vera Visitor",
        "phone": "612 345 678",
        "email": "",
        "tz": "Europe/Madrid",
    }
    data.update(values)
    return data


def test_services_and_slots_reveal_free_times_only(page, seller_a):
    listing = visitor().get("/book/").content.decode()
    assert "First visit" in listing
    assert "Ana Seller" not in listing

    body = visitor().get(f"/book/{page.pk}/", {"tz": "Europe/Madrid", "day": "2027-03-02"}).content.decode()
    assert 'value="2027-03-02T09:00:00+01:00"' in body
    assert body.count('value="2027-03-02T10:00:00+01:00"') == 1  # two sellers free at 10:00 make one slot
    assert "Ana Seller" not in body
    assert "Bruno Seller" not in body
    assert str(seller_a.user_id) not in re.findall(r'name="seller" value="(\d*)"', body)


def test_times_in_the_visitors_zone_and_language(page):
    body = (
        visitor(HTTP_ACCEPT_LANGUAGE="fr")
        .get(f"/book/{page.pk}/", {"tz": "America/New_York", "day": "2027-03-02"})
        .content.decode()
    )
    assert 'value="2027-03-02T03:00:00-05:00"' in body  # 09:00 in Madrid
    assert '<html lang="fr">' in body
    assert "Confirmer le rendez-vous" in body
    assert visitor().get(f"/book/{page.pk}/", {"tz": "Mars/Olympus"}).status_code == 200


def test_booking_creates_the_lead_the_appointment_and_a_signed_link(page, seller_a, seller_b):
    response = visitor().post(
        f"/book/{page.pk}/?utm_source=ig",
        form(page, utm_source="instagram", utm_campaign="spring", email="vera@example.com"),
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/book/manage/")
    assert "booked=1" in response["Location"]
    enter_acme()
    lead = Lead.objects.get(phone="+34612345678")
    assert (lead.first_name, lead.last_name, lead.source, lead.email) == (
        "Vera",
        "Visitor",
        "website",
        "vera@example.com",
    )
    assert (lead.utm_source, lead.utm_campaign) == ("instagram", "spring")
    appointment = Appointment.objects.get(lead=lead)
    assert (appointment.start, appointment.source) == (at(2, 10), "booking_page")
    assert TimelineEntry.objects.get(lead=lead, kind="appointment_booked").actor_label == "Vera Visitor"
    assert Notification.objects.filter(user_id=appointment.seller_id, kind="agenda.booked_online").count() == 1
    connection.set_schema_to_public()
    confirmation = visitor().get(response["Location"]).content.decode()
    assert "Your appointment is booked." in confirmation
    assert "Tuesday 2 March 2027, 10:00" in confirmation


def test_booking_the_same_phone_matches_the_existing_lead(lead, page):
    visitor().post(f"/book/{page.pk}/", form(page, phone=lead.phone, name="Someone Else"))
    enter_acme()
    lead.refresh_from_db()
    assert Lead.objects.filter(phone=lead.phone).count() == 1
    assert lead.first_name != "Someone"
    assert Appointment.objects.filter(lead=lead).count() == 1


def test_a_taken_or_bad_slot_is_refused_with_nothing_written(page):
    for values in (
        {"slot": "2027-03-02T14:30:00+01:00"},
        {"slot": "garbage"},
        {"phone": "12"},
        {"name": ""},
        {"slot": "2027-02-20T10:00:00+01:00"},
    ):
        response = visitor().post(f"/book/{page.pk}/", form(page, **values))
        assert response.status_code == 422, values
    enter_acme()
    assert not Appointment.objects.exists()
    assert not Lead.objects.filter(phone="+34612345678").exists()


def test_honeypot_books_nothing(page):
    response = visitor().post(f"/book/{page.pk}/", form(page, website="http://spam.example"))

    assert response.status_code == 200
    assert "We have received your request." in response.content.decode()
    enter_acme()
    assert not Appointment.objects.exists()


def test_throttled_per_address_and_per_phone(page):
    for minute in range(5):
        visitor().post(f"/book/{page.pk}/", form(page, slot=f"2027-03-0{3 + minute}T10:00:00+01:00"))
    sixth = visitor().post(f"/book/{page.pk}/", form(page, slot="2027-03-09T10:00:00+01:00"))
    assert "Too many bookings for this phone" in sixth.content.decode()

    for n in range(20):
        visitor().post(f"/book/{page.pk}/", form(page, phone=f"61234{n:04d}", slot="bad"))
    blocked = visitor().post(f"/book/{page.pk}/", form(page, phone="699999999", slot="2027-03-10T10:00:00+01:00"))
    assert "Too many attempts" in blocked.content.decode()
    enter_acme()
    assert Appointment.objects.count() == 5


def test_csrf_is_required(page):
    response = visitor(enforce_csrf_checks=True).post(f"/book/{page.pk}/", form(page))
    assert response.status_code == 403


def test_owners_can_switch_it_off(page, madrid):
    connection.set_tenant(madrid)
    rules(booking_page_enabled=False)
    connection.set_schema_to_public()
    assert visitor().get("/book/").status_code == 404
    assert visitor().get(f"/book/{page.pk}/").status_code == 404


def _book_and_link(page) -> str:
    return visitor().post(f"/book/{page.pk}/", form(page))["Location"].split("?")[0]


def test_the_link_cancels_and_reschedules_once(page):
    link = _book_and_link(page)

    moved = visitor().post(link, {"action": "reschedule", "slot": "2027-03-03T11:00:00+01:00", "tz": "Europe/Madrid"})
    assert moved.status_code == 302
    new_link = moved["Location"].split("?")[0]
    replay = visitor().post(link, {"action": "cancel"})
    assert replay.status_code == 410
    assert "replaced by a newer one" in replay.content.decode()

    cancelled = visitor().post(new_link, {"action": "cancel"})
    assert cancelled.status_code == 302
    enter_acme()
    appointment = Appointment.objects.get()
    assert (appointment.status, appointment.start) == ("cancelled", at(3, 11))
    connection.set_schema_to_public()
    assert visitor().post(new_link, {"action": "cancel"}).status_code == 410


def test_tampered_and_expired_links_are_refused(page, monkeypatch):
    link = _book_and_link(page)
    token = link.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    assert visitor().get(f"/book/manage/{tampered}/").status_code == 404
    assert visitor().get("/book/manage/%00/").status_code == 404

    import time as real_time

    later = real_time.time() + booking_links.LINK_MAX_AGE + 10
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    expired = visitor().get(link)
    assert expired.status_code == 410
    assert "expired" in expired.content.decode()


def test_another_companys_link_means_nothing(page, globex):
    link = _book_and_link(page)
    assert Client(HTTP_HOST="globex.localhost").get(link).status_code == 404
