"""Double booking under real concurrency: separate connections, committed transactions. PostgreSQL's
exclusion constraint lets exactly one booking of a slot through."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from agenda.models import AgendaSettings, Appointment, Service, WorkingHours
from agenda.services import SlotUnavailable, appointment_book, appointment_reschedule
from agenda.tests.factories import every_day, make_service, set_hours
from core.models import AuditEntry
from core.testing import in_own_connection, race
from crm.models import Lead, TimelineEntry
from crm.tests.factories import LeadFactory
from tenants.models import Membership, MembershipStatus, Role, Tenant, User

pytestmark = pytest.mark.django_db
MADRID = zoneinfo.ZoneInfo("Europe/Madrid")
RACERS = 20


@pytest.fixture
def committed(acme):
    """A seller, a service, hours and leads committed in acme (removed afterwards)."""
    tag = timezone.now().strftime("%H%M%S%f")

    def create():
        tenant = Tenant.objects.get(pk=acme.pk)
        user = User.objects.create_user(
            email=f"racer-{tag}@acme.example", password="x-Strong-pass-1", full_name="Racer"
        )
        Membership.objects.create(user=user, tenant=tenant, role=Role.SELLER, status=MembershipStatus.ACTIVE)
        return user.pk

    seller_id = in_own_connection(create)

    def setup():
        settings_row, _ = AgendaSettings.objects.get_or_create(pk=1)
        previous = (settings_row.min_notice_minutes, settings_row.max_horizon_days)
        settings_row.min_notice_minutes, settings_row.max_horizon_days = 0, 365
        settings_row.save()
        set_hours(seller_id, every_day(("09:00", "18:00")))
        service = make_service(sellers=[seller_id], name=f"Race {tag}")
        leads = [LeadFactory(phone=f"+3469{tag[-5:]}{i:02d}").pk for i in range(RACERS)]
        return service.pk, leads, previous

    service_id, lead_ids, previous = in_own_connection(setup, tenant=acme)
    yield seller_id, service_id, lead_ids

    def teardown():
        Appointment.objects.filter(service_id=service_id).delete()
        TimelineEntry.objects.filter(lead_id__in=lead_ids).delete()
        AuditEntry.objects.filter(object_type="agenda.appointment").delete()
        Lead.objects.filter(pk__in=lead_ids).delete()
        Service.objects.filter(pk=service_id).delete()
        WorkingHours.objects.filter(seller_id=seller_id).delete()
        AgendaSettings.objects.filter(pk=1).update(min_notice_minutes=previous[0], max_horizon_days=previous[1])

    in_own_connection(teardown, tenant=acme)
    in_own_connection(lambda: User.objects.filter(pk=seller_id).delete())


def _slot() -> datetime:
    day = (timezone.now() + timedelta(days=3)).astimezone(MADRID).date()
    return datetime(day.year, day.month, day.day, 11, 0, tzinfo=MADRID)


def test_twenty_concurrent_bookings_of_one_slot_give_exactly_one(acme, committed):
    seller_id, service_id, lead_ids = committed
    start = _slot()

    def attempt(i: int):
        tenant = Tenant.objects.get(pk=acme.pk)
        return appointment_book(
            tenant=tenant,
            lead=Lead.objects.get(pk=lead_ids[i]),
            service=Service.objects.get(pk=service_id),
            start=start,
            seller_id=seller_id,
            actor=None,
            source="booking_page",
        ).pk

    results = race(attempt, times=RACERS, tenant=acme)

    booked = [result for result in results if isinstance(result, int)]
    refused = [result for result in results if isinstance(result, SlotUnavailable)]
    assert len(booked) == 1, results
    assert len(refused) == RACERS - 1, [r for r in results if not isinstance(r, (int, SlotUnavailable))]
    assert {error.code for error in refused} == {"taken"}
    assert all(error.alternatives and error.alternatives[0].start == start + timedelta(minutes=30) for error in refused)
    count = in_own_connection(
        lambda: Appointment.objects.filter(service_id=service_id).exclude(status="cancelled").count(), tenant=acme
    )
    assert count == 1


def test_two_moves_into_one_slot_give_exactly_one(acme, committed):
    seller_id, service_id, lead_ids = committed
    start = _slot()

    def make():
        tenant = Tenant.objects.get(pk=acme.pk)
        service = Service.objects.get(pk=service_id)
        return [
            appointment_book(tenant=tenant, lead=Lead.objects.get(pk=lead_ids[i]), service=service,
                             start=start + timedelta(hours=1 + i), seller_id=seller_id, actor=None, source="staff").pk
            for i in range(2)
        ]  # fmt: skip

    ids = in_own_connection(make, tenant=acme)

    def move(i: int):
        tenant = Tenant.objects.get(pk=acme.pk)
        appointment = Appointment.objects.get(pk=ids[i])
        return appointment_reschedule(
            tenant=tenant, appointment=appointment, start=start, actor=None, source="staff"
        ).pk

    results = race(move, times=2, tenant=acme)

    assert sorted(type(result).__name__ for result in results) == ["SlotUnavailable", "int"]
