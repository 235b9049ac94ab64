"""Every agenda URL and the agenda socket, tried from another company, by another seller and anonymously:
nothing of seller A's (or of acme's) shows, nothing changes. A new agenda URL without a probe here fails
`test_every_agenda_url_is_probed`."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime

import pytest
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from agenda.models import AgendaSettings, Appointment, Service, ServiceSeller, Task, TimeOff, WorkingHours
from agenda.services import appointment_book, task_create
from crm.tests.factories import LeadFactory
from tenants.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
MADRID = zoneinfo.ZoneInfo("Europe/Madrid")
SECRETS = ("Zebulon", "Quartermaine", "Secret plan 4471", "Hush notes 8812", "Ana Seller")
PUBLIC = {"booking-services", "booking-service", "booking-manage"}


@pytest.fixture
def world(clock, service, madrid, seller_a, seller_b, acme, make_member):
    owner = make_member(acme, Role.OWNER)
    lead = LeadFactory(seller=seller_a.user, first_name="Zebulon", last_name="Quartermaine", phone="+34699887766")
    appointment = appointment_book(
        tenant=madrid,
        lead=lead,
        service=service,
        start=datetime(2027, 3, 2, 10, tzinfo=MADRID),
        seller_id=seller_a.user_id,
        actor=None,
        source="staff",
        notes="Hush notes 8812",
    )
    due = datetime(2027, 3, 2, 12, tzinfo=MADRID)
    task = task_create(
        tenant=madrid, lead=lead, title="Secret plan 4471", due_at=due, assignee_id=seller_a.user_id, actor=None
    )
    off = TimeOff.objects.create(
        seller_id=seller_a.user_id, start_date=date(2027, 4, 1), end_date=date(2027, 4, 2), reason="x"
    )
    connection.set_schema_to_public()
    return {"owner": owner, "lead": lead, "appointment": appointment, "task": task, "off": off, "service": service}


def probes(w, seller_a):
    a, lead, service = w["appointment"].pk, w["lead"].pk, w["service"].pk
    slot = f"2027-03-02T11:00:00+01:00|{seller_a.user_id}"
    return {
        "calendar": [("get", "/agenda/", {})],
        "events": [("get", "/agenda/events/", {"start": "2027-03-01T00:00", "end": "2027-03-08T00:00", "tasks": "1"})],
        "slots": [("get", "/agenda/slots/", {"service": service, "day": "2027-03-02", "seller": seller_a.user_id})],
        "lead-search": [("get", "/agenda/leads/search/", {"q": "Zebulon"})],
        "appointment-create": [
            ("get", "/agenda/appointments/new/", {"lead": lead}),
            (
                "post",
                "/agenda/appointments/new/",
                {"lead": lead, "service": service, "seller": seller_a.user_id, "day": "2027-03-02", "slot": slot},
            ),
        ],
        "appointment-detail": [("get", f"/agenda/appointments/{a}/", {})],
        "appointment-move": [("post", f"/agenda/appointments/{a}/move/", {"start": "2027-03-02T11:00"})],
        "appointment-status": [
            ("post", f"/agenda/appointments/{a}/cancel/", {}),
            ("post", f"/agenda/appointments/{a}/confirm/", {}),
        ],
        "task-create": [
            ("get", "/agenda/tasks/new/", {"lead": lead}),
            ("post", f"/agenda/tasks/new/?lead={lead}", {"title": "t", "due_at": "2027-03-05T10:00"}),
        ],
        "task-done": [("post", f"/agenda/tasks/{w['task'].pk}/done/", {})],
        "service-list": [
            ("get", "/agenda/services/", {}),
            (
                "post",
                "/agenda/services/",
                {"name": "Intruder", "duration_minutes": 30, "buffer_minutes": 0, "price": 1},
            ),
        ],
        "service-edit": [
            ("get", f"/agenda/services/{service}/", {}),
            (
                "post",
                f"/agenda/services/{service}/",
                {"name": "Renamed", "duration_minutes": 5, "buffer_minutes": 0, "price": 1},
            ),
        ],
        "hours": [
            ("get", "/agenda/hours/", {"seller": seller_a.user_id}),
            ("post", "/agenda/hours/", {"form": "hours", "seller": seller_a.user_id, "day_0": "01:00-02:00"}),
        ],
        "time-off-delete": [("post", f"/agenda/hours/time-off/{w['off'].pk}/delete/", {})],
        "settings": [
            ("get", "/agenda/settings/", {}),
            (
                "post",
                "/agenda/settings/",
                {
                    "form": "rules",
                    "booking_page_enabled": "",
                    "slot_minutes": 5,
                    "min_notice_minutes": 0,
                    "max_horizon_days": 1,
                },
            ),
        ],
    }


def state(seller_a):
    with connection.cursor():
        pass
    from django_tenants.utils import schema_context

    with schema_context("acme"):
        return {
            "appointments": list(
                Appointment.objects.order_by("pk").values_list("pk", "start", "end", "status", "seller_id")
            ),
            "tasks": list(Task.objects.order_by("pk").values_list("pk", "title", "done")),
            "time_off": list(TimeOff.objects.order_by("pk").values_list("pk", "seller_id")),
            "services": list(Service.objects.order_by("pk").values_list("pk", "name", "duration_minutes")),
            "offers": list(ServiceSeller.objects.order_by("pk").values_list("service_id", "seller_id")),
            "hours": list(
                WorkingHours.objects.filter(seller_id=seller_a.user_id)
                .order_by("pk")
                .values_list("weekday", "start_time", "end_time")
            ),
            "settings": list(
                AgendaSettings.objects.values_list("booking_page_enabled", "slot_minutes", "max_horizon_days")
            ),
        }


def _agenda_names():
    for entry in get_resolver("config.urls_tenants").url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "agenda":
            yield from (p.name for p in entry.url_patterns if isinstance(p, URLPattern))


def test_every_agenda_url_is_probed(world, seller_a):
    assert set(_agenda_names()) - PUBLIC == set(probes(world, seller_a))


def _run(client, method, url, data):
    return client.get(url, data) if method == "get" else client.post(url, data)


def test_another_company_gets_403_on_acme_and_nothing_of_acme_on_its_own_host(
    world, seller_a, globex_owner, client_for
):
    before = state(seller_a)
    on_acme = client_for(globex_owner.user, world["owner"].tenant)
    on_globex = client_for(globex_owner)
    for name, calls in probes(world, seller_a).items():
        for method, url, data in calls:
            response = _run(on_acme, method, url, data)
            assert response.status_code == 403, (name, url)
            answer = _run(on_globex, method, url, data)
            body = answer.content.decode()
            assert not any(secret in body for secret in SECRETS), (name, url, answer.status_code)
    assert state(seller_a) == before


def test_another_seller_sees_and_changes_nothing_of_seller_a(world, seller_a, seller_b, client_for):
    before = state(seller_a)
    client = client_for(seller_b)
    for name, calls in probes(world, seller_a).items():
        for method, url, data in calls:
            response = _run(client, method, url, data)
            body = response.content.decode()
            assert response.status_code in (200, 302, 400, 403, 404, 409, 422), (name, url)
            assert not any(secret in body for secret in SECRETS[:4]), (name, url, response.status_code)
    after = state(seller_a)
    # B's own hours page saved B's hours, not A's; everything of A's is as it was
    assert after == before


def test_anonymous_visitors_are_sent_to_sign_in(world, seller_a, acme):
    before = state(seller_a)
    client = Client(HTTP_HOST="acme.localhost")
    for name, calls in probes(world, seller_a).items():
        for method, url, data in calls:
            response = _run(client, method, url, data)
            assert response.status_code == 302, (name, url)
            assert response["Location"].startswith("/login/"), (name, url)
    assert state(seller_a) == before


def test_the_booking_page_of_one_company_knows_nothing_of_another(world, globex):
    response = Client(HTTP_HOST="globex.localhost").get(f"/book/{world['service'].pk}/")
    assert response.status_code == 404
