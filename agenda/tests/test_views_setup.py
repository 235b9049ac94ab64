"""Services, hours and time off, agenda settings, tasks, and the agenda's blocks on CRM pages."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time

import pytest
from django.db import connection

from agenda.models import AgendaSettings, Service, StageAlert, Task, TimeOff, WorkingHours
from agenda.services import appointment_book, task_create
from core.models import AuditEntry
from tenants.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
MADRID = zoneinfo.ZoneInfo("Europe/Madrid")


@pytest.fixture
def owner_member(madrid, make_member, acme):
    member = make_member(acme, Role.OWNER, full_name="Olga Owner")
    connection.set_schema_to_public()
    return member


def enter(tenant):
    connection.set_tenant(tenant)


def test_owner_adds_and_edits_a_service(owner_member, seller_a, client_for, madrid):
    client = client_for(owner_member)
    response = client.post(
        "/agenda/services/",
        {"name": "Demo", "duration_minutes": 45, "buffer_minutes": 15, "price": "20.00", "active": "on",
         "description": "Bring your questions", "sellers": [seller_a.user_id]},
    )  # fmt: skip
    assert response.status_code == 302
    enter(madrid)
    service = Service.objects.get(name="Demo")
    assert list(service.offered_by.values_list("seller_id", flat=True)) == [seller_a.user_id]
    assert AuditEntry.objects.filter(action="service.create").exists()
    connection.set_schema_to_public()

    bad = client.post(
        f"/agenda/services/{service.pk}/",
        {"name": "\x00", "duration_minutes": 99999, "buffer_minutes": -1, "price": "x"},
    )
    assert bad.status_code == 422
    enter(madrid)
    service.refresh_from_db()
    assert (service.name, service.duration_minutes) == ("Demo", 45)


def test_hours_and_time_off(owner_member, seller_a, client_for, madrid):
    client = client_for(owner_member)
    ok = client.post(
        "/agenda/hours/", {"form": "hours", "seller": seller_a.user_id, "day_0": "09:00-13:00, 15:00-18:00"}
    )
    assert ok.status_code == 302
    for text, message in [
        ("13:00-09:00", "end after"),
        ("09:00-12:00, 11:00-14:00", "overlap"),
        ("nine to five", "Write ranges"),
    ]:
        refused = client.post("/agenda/hours/", {"form": "hours", "seller": seller_a.user_id, "day_1": text})
        assert refused.status_code == 422
        assert message in refused.content.decode()
    off = client.post(
        "/agenda/hours/",
        {
            "form": "time_off",
            "seller": seller_a.user_id,
            "start_date": "2027-04-01",
            "end_date": "2027-04-03",
            "reason": "Trip",
        },
    )
    assert off.status_code == 302
    backwards = client.post(
        "/agenda/hours/",
        {"form": "time_off", "seller": seller_a.user_id, "start_date": "2027-04-05", "end_date": "2027-04-01"},
    )
    assert backwards.status_code == 422
    enter(madrid)
    hours = WorkingHours.objects.filter(seller_id=seller_a.user_id).values_list("weekday", "start_time", "end_time")
    assert list(hours) == [(0, time(9), time(13)), (0, time(15), time(18))]
    assert TimeOff.objects.filter(seller_id=seller_a.user_id).count() == 1
    connection.set_schema_to_public()
    assert client.post("/agenda/hours/", {"form": "hours", "seller": "999999999"}).status_code == 404


def test_a_seller_edits_only_their_own_hours(seller_a, seller_b, client_for, madrid):
    connection.set_schema_to_public()
    client_for(seller_b).post("/agenda/hours/", {"form": "hours", "seller": seller_a.user_id, "day_2": "08:00-09:00"})
    enter(madrid)
    assert WorkingHours.objects.filter(seller_id=seller_b.user_id, weekday=2).exists()
    assert not WorkingHours.objects.filter(seller_id=seller_a.user_id).exists()


def test_settings_rules_calendars_and_alerts(owner_member, seller_a, client_for, madrid):
    from crm.models import Stage

    enter(madrid)
    contacted = Stage.objects.get(key="contacted")
    connection.set_schema_to_public()
    client = client_for(owner_member)
    assert (
        client.post(
            "/agenda/settings/", {"form": "rules", "slot_minutes": 15, "min_notice_minutes": 30, "max_horizon_days": 90}
        ).status_code
        == 302
    )
    assert (
        client.post(
            "/agenda/settings/",
            {"form": "rules", "slot_minutes": 0, "min_notice_minutes": -1, "max_horizon_days": 9999},
        ).status_code
        == 422
    )
    client.post("/agenda/settings/", {"form": "calendars", f"calendar_{seller_a.user_id}": "ana@example.com"})
    client.post("/agenda/settings/", {"form": "alerts", f"alert_{contacted.pk}": "5"})
    bad = client.post("/agenda/settings/", {"form": "alerts", f"alert_{contacted.pk}": "99999999999"}, follow=True)
    assert "Choose between 1 and 3,650 days" in bad.content.decode()
    enter(madrid)
    row = AgendaSettings.objects.get()
    assert (row.booking_page_enabled, row.slot_minutes, row.min_notice_minutes, row.max_horizon_days) == (
        False,
        15,
        30,
        90,
    )
    assert StageAlert.objects.get(stage=contacted).days == 5


def test_tasks_from_the_lead_page_and_the_dashboard(clock, lead, seller_a, owner_member, client_for, madrid):
    connection.set_schema_to_public()
    client = client_for(seller_a)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert 'data-testid="lead-agenda"' in page
    assert f"/agenda/tasks/new/?lead={lead.pk}" in page
    created = client.post(f"/agenda/tasks/new/?lead={lead.pk}", {"title": "Call back", "due_at": "2027-03-01T10:00"})
    assert created.status_code == 302
    refused = client.post(f"/agenda/tasks/new/?lead={lead.pk}", {"title": "  ", "due_at": "soon"})
    assert refused.status_code == 422
    enter(madrid)
    task = Task.objects.get()
    assert (task.title, task.assignee_id, task.due_at) == (
        "Call back",
        seller_a.user_id,
        datetime(2027, 3, 1, 10, tzinfo=MADRID),
    )
    connection.set_schema_to_public()
    dashboard = client.get("/").content.decode()
    assert 'data-testid="my-tasks"' in dashboard
    assert "Call back" in dashboard
    assert client.post(f"/agenda/tasks/{task.pk}/done/", {"done": "1", "next": "//evil.example"}).status_code == 302
    enter(madrid)
    task.refresh_from_db()
    assert task.done


def test_analytics_shows_appointments_per_seller(clock, service, lead, seller_a, owner_member, client_for, madrid):
    enter(madrid)
    appointment_book(
        tenant=madrid,
        lead=lead,
        service=service,
        start=datetime(2027, 3, 2, 10, tzinfo=MADRID),
        seller_id=seller_a.user_id,
        actor=None,
        source="staff",
    )
    task_create(
        tenant=madrid,
        lead=lead,
        title="x",
        due_at=datetime(2027, 3, 2, 10, tzinfo=MADRID),
        assignee_id=None,
        actor=None,
    )
    connection.set_schema_to_public()
    body = (
        client_for(owner_member)
        .get("/analytics/", {"date_from": "2027-03-01", "date_to": "2027-03-31"})
        .content.decode()
    )
    assert f'data-appointments-seller="{seller_a.user_id}"' in body
