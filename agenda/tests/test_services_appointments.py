"""Booking, moving, cancelling and the status changes: the rules, what they write, and what they refuse
(with nothing changed)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

import pytest

from agenda.models import Appointment, TimeOff
from agenda.selectors import lead_appointments
from agenda.services import (
    SlotUnavailable,
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_confirm,
    appointment_no_show,
    appointment_reschedule,
)
from agenda.tests.factories import make_service
from core.actors import AGENT, lead_actor
from core.errors import ApplicationError
from core.models import AuditEntry
from crm.models import TimelineEntry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
MADRID = zoneinfo.ZoneInfo("Europe/Madrid")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=MADRID)


def book(madrid, lead, service, start, seller=None, **options):
    options.setdefault("actor", None)
    options.setdefault("source", "staff")
    return appointment_book(
        tenant=madrid, lead=lead, service=service, start=start, seller_id=getattr(seller, "user_id", seller), **options
    )


def nothing_written():
    return (Appointment.objects.count(), TimelineEntry.objects.filter(kind__startswith="appointment").count())


def test_booking_writes_the_appointment_its_history_and_audit(clock, service, madrid, seller_a, lead):
    appointment = book(madrid, lead, service, at(2, 10), seller_a, actor=seller_a.user, notes="Bring the plans")

    appointment.refresh_from_db()
    assert (appointment.start, appointment.end, appointment.busy_until) == (at(2, 10), at(2, 10, 30), at(2, 10, 30))
    assert (appointment.seller_id, appointment.status, appointment.source) == (seller_a.user_id, "scheduled", "staff")
    entry = TimelineEntry.objects.get(lead=lead, kind="appointment_booked")
    assert entry.actor_id == seller_a.user_id
    assert entry.body == "Bring the plans"
    assert entry.data["start"] == "2027-03-02T10:00:00+01:00"
    assert entry.data["service"] == "First visit"
    audit = AuditEntry.objects.get(action="appointment.book")
    assert audit.actor_id == seller_a.user_id
    assert audit.object_id == str(appointment.pk)
    assert lead_appointments(lead=lead) == [appointment]


def test_agent_and_lead_are_recorded_as_such(clock, service, madrid, seller_a, lead):
    book(madrid, lead, service, at(2, 10), seller_a, actor=AGENT, source="agent")
    book(madrid, lead, service, at(2, 11), seller_a, actor=lead_actor("Laura Lead"), source="booking_page")

    labels = list(
        TimelineEntry.objects.filter(kind="appointment_booked").order_by("id").values_list("actor_label", flat=True)
    )
    assert labels == ["AI agent", "Laura Lead"]
    kinds = list(
        AuditEntry.objects.filter(action="appointment.book").order_by("id").values_list("actor_kind", flat=True)
    )
    assert kinds == ["agent", "lead"]


def test_any_seller_takes_the_first_free_one(clock, service, madrid, seller_a, seller_b, lead):
    first = book(madrid, lead, service, at(2, 10))
    second = book(madrid, lead, service, at(2, 10))

    assert {first.seller_id, second.seller_id} == {seller_a.user_id, seller_b.user_id}
    with pytest.raises(SlotUnavailable) as refused:
        book(madrid, lead, service, at(2, 10))
    assert refused.value.code == "no_seller"
    assert refused.value.alternatives[0].start == at(2, 10, 30)


def test_a_taken_slot_is_refused_with_the_next_free_slots(clock, service, madrid, seller_a, lead):
    book(madrid, lead, service, at(2, 10), seller_a)
    before = nothing_written()

    with pytest.raises(SlotUnavailable) as refused:
        book(madrid, lead, service, at(2, 10, 15), seller_a)

    assert refused.value.code == "taken"
    assert "already has an appointment" in refused.value.message
    assert [slot.start for slot in refused.value.alternatives[:3]] == [at(2, 10, 30), at(2, 11), at(2, 11, 30)]
    assert all(slot.seller_id == seller_a.user_id for slot in refused.value.alternatives)
    assert nothing_written() == before


@pytest.mark.parametrize(
    ("start", "code"),
    [
        (at(2, 8), "outside_hours"),
        (at(2, 12, 45), "outside_hours"),  # would end 13:15, past the morning range
        (at(2, 13, 30), "outside_hours"),  # lunch
        (datetime(2027, 2, 1, 10, tzinfo=MADRID), "past"),
        (datetime(2029, 3, 2, 10, tzinfo=MADRID), "horizon"),
    ],
)
def test_times_that_cannot_be_booked(clock, service, madrid, seller_a, lead, start, code):
    with pytest.raises(SlotUnavailable) as refused:
        book(madrid, lead, service, start, seller_a)

    assert refused.value.code == code
    assert nothing_written() == (0, 0)


def test_minimum_notice_binds_leads_and_the_agent_not_staff(clock, service, madrid, seller_a, lead):
    clock.set(at(2, 9, 40))
    for source in ("agent", "booking_page"):
        with pytest.raises(SlotUnavailable) as refused:
            book(madrid, lead, service, at(2, 10), seller_a, source=source)
        assert refused.value.code == "notice"

    assert book(madrid, lead, service, at(2, 10), seller_a, source="staff").pk


def test_time_off(clock, service, madrid, seller_a, lead):
    TimeOff.objects.create(seller_id=seller_a.user_id, start_date=at(2, 0).date(), end_date=at(2, 0).date())

    with pytest.raises(SlotUnavailable) as refused:
        book(madrid, lead, service, at(2, 10), seller_a)

    assert refused.value.code == "time_off"
    assert refused.value.alternatives[0].start == at(3, 9)


def test_bad_input_is_refused_with_a_clear_message(clock, service, madrid, seller_a, lead, acme, make_member):
    other = make_service(sellers=[], name="Nobody offers it")
    outsider = make_member(acme, "accountant")
    cases = [
        ({"service": other, "start": at(2, 10), "seller": seller_a}, "does not offer"),
        ({"service": service, "start": at(2, 10), "seller": outsider}, "does not offer"),
        ({"service": service, "start": at(2, 10), "seller": seller_a, "end": at(2, 9)}, "end must be after"),
        ({"service": service, "start": at(2, 10), "seller": seller_a, "end": at(3, 10)}, "at most 12 hours"),
        ({"service": other, "start": at(2, 10), "seller": None}, "No seller offers"),
        ({"service": service, "start": "2027-03-02 10:00", "seller": seller_a}, "date and a time"),
        ({"service": service, "start": at(2, 10), "seller": seller_a, "source": "fax"}, "Unknown appointment source"),
    ]
    for options, message in cases:
        service_, start, seller = options.pop("service"), options.pop("start"), options.pop("seller")
        with pytest.raises(ApplicationError, match=message):
            book(madrid, lead, service_, start, seller, **options)
    assert nothing_written() == (0, 0)


def test_reschedule_keeps_the_length_and_checks_the_new_time(clock, service, madrid, seller_a, seller_b, lead):
    appointment = book(madrid, lead, service, at(2, 10), seller_a, end=at(2, 11))
    book(madrid, lead, service, at(2, 12), seller_a)

    moved = appointment_reschedule(
        tenant=madrid, appointment=appointment, start=at(2, 9), actor=seller_a.user, source="staff"
    )
    assert (moved.start, moved.end) == (at(2, 9), at(2, 10))
    with pytest.raises(SlotUnavailable) as refused:
        appointment_reschedule(tenant=madrid, appointment=moved, start=at(2, 11, 30), actor=None, source="staff")
    assert refused.value.code == "taken"
    moved.refresh_from_db()
    assert moved.start == at(2, 9)

    to_b = appointment_reschedule(
        tenant=madrid, appointment=moved, start=at(2, 11), seller_id=seller_b.user_id, actor=None, source="staff"
    )
    assert (to_b.seller_id, to_b.start, to_b.end) == (seller_b.user_id, at(2, 11), at(2, 12))
    assert TimelineEntry.objects.filter(kind="appointment_rescheduled").count() == 2
    assert AuditEntry.objects.filter(action="appointment.reschedule").count() == 2


def test_status_changes(clock, service, madrid, seller_a, lead):
    appointment = book(madrid, lead, service, at(2, 10), seller_a)
    with pytest.raises(ApplicationError, match="once the appointment has started"):
        appointment_complete(tenant=madrid, appointment=appointment, actor=None)

    confirmed = appointment_confirm(tenant=madrid, appointment=appointment, actor=seller_a.user)
    assert confirmed.status == "confirmed"
    clock.set(at(2, 10, 40))
    assert appointment_complete(tenant=madrid, appointment=confirmed, actor=None).status == "completed"
    with pytest.raises(ApplicationError, match="Only a scheduled or confirmed"):
        appointment_cancel(tenant=madrid, appointment=confirmed, actor=None, source="staff")
    with pytest.raises(ApplicationError, match="Only a scheduled"):
        appointment_confirm(tenant=madrid, appointment=confirmed, actor=None)

    other = book(madrid, lead, service, at(2, 11), seller_a)
    clock.set(at(2, 11, 20))
    assert appointment_no_show(tenant=madrid, appointment=other, actor=None).status == "no_show"
    kinds = list(TimelineEntry.objects.filter(lead=lead).values_list("kind", flat=True))
    assert {"appointment_confirmed", "appointment_completed", "appointment_no_show"} <= set(kinds)


def test_cancel_records_the_reason_and_frees_the_slot(clock, service, madrid, seller_a, lead):
    appointment = book(madrid, lead, service, at(2, 10), seller_a)

    cancelled = appointment_cancel(tenant=madrid, appointment=appointment, actor=None, source="staff", reason="Sick")

    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "Sick")
    assert book(madrid, lead, service, at(2, 10), seller_a).pk != appointment.pk
    assert lead_appointments(lead=lead, upcoming_only=True)[0].status == "scheduled"


def test_upcoming_only(clock, service, madrid, seller_a, lead):
    past = book(madrid, lead, service, at(2, 10), seller_a)
    future = book(madrid, lead, service, at(3, 10), seller_a)
    clock.set(at(2, 12))

    assert lead_appointments(lead=lead, upcoming_only=True) == [future]
    assert lead_appointments(lead=lead) == [past, future]


def test_the_database_itself_refuses_overlaps(clock, service, madrid, seller_a, lead):
    from django.db import IntegrityError, transaction

    book(madrid, lead, service, at(2, 10), seller_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(
            lead=lead,
            service=service,
            seller_id=seller_a.user_id,
            start=at(2, 10, 15),
            end=at(2, 10, 45),
            busy_until=at(2, 10, 45),
        )
    # another seller, or a cancelled one, may overlap
    Appointment.objects.create(
        lead=lead,
        service=service,
        seller_id=seller_a.user_id,
        start=at(2, 10, 15),
        end=at(2, 10, 45),
        busy_until=at(2, 10, 45),
        status="cancelled",
    )
    assert Appointment.objects.count() == 2
    _ = timedelta
