"""Free slots: working hours, time off, buffers, appointments, Google busy blocks, notice, horizon and
daylight-saving days, read in the company's time zone."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest

from agenda.clients.fakes import fake_store
from agenda.clients.google_calendar import BusyInterval
from agenda.models import Appointment, BusyBlock, SellerCalendar, TimeOff
from agenda.selectors import free_slots, service_sellers, services_list
from agenda.services import appointment_book
from agenda.tests.factories import every_day, make_service, rules, set_hours

pytestmark = pytest.mark.django_db
MADRID = zoneinfo.ZoneInfo("Europe/Madrid")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def local(slots, zone=MADRID):
    return [(slot.start.astimezone(zone).strftime("%Y-%m-%d %H:%M"), slot.seller_name) for slot in slots]


def test_slots_follow_each_sellers_hours_in_time_order(clock, service, madrid, seller_a, seller_b):
    slots = free_slots(tenant=madrid, service=service, date_from=date(2027, 3, 2), date_to=date(2027, 3, 2))

    times = local(slots)
    assert times[:4] == [
        ("2027-03-02 09:00", "Ana Seller"),
        ("2027-03-02 09:30", "Ana Seller"),
        ("2027-03-02 10:00", "Ana Seller"),
        ("2027-03-02 10:00", "Bruno Seller"),
    ]
    ana = [t for t, name in times if name == "Ana Seller"]
    assert len(ana) == 8 + 6  # 09:00-13:00 and 15:00-18:00 in 30-minute slots
    assert "2027-03-02 12:30" in ana
    assert "2027-03-02 13:00" not in ana
    assert "2027-03-02 14:00" not in ana
    bruno = [t for t, name in times if name == "Bruno Seller"]
    assert bruno[0] == "2027-03-02 10:00"
    assert bruno[-1] == "2027-03-02 13:30"
    assert len(bruno) == 8
    assert all(slot.end - slot.start == timedelta(minutes=30) for slot in slots)


def test_one_seller_only(clock, service, madrid, seller_b):
    slots = free_slots(
        tenant=madrid, service=service, date_from=date(2027, 3, 2), date_to=date(2027, 3, 2), seller_id=seller_b.user_id
    )

    assert {slot.seller_id for slot in slots} == {seller_b.user_id}
    assert (
        free_slots(
            tenant=madrid, service=service, date_from=date(2027, 3, 2), date_to=date(2027, 3, 2), seller_id=999_999
        )
        == []
    )


def test_minimum_notice_and_horizon(clock, service, madrid, seller_a):
    clock.set(datetime(2027, 3, 2, 9, 10, tzinfo=MADRID))  # notice 60 min: nothing before 10:10
    rules(min_notice_minutes=60, max_horizon_days=2)

    slots = free_slots(
        tenant=madrid,
        service=service,
        date_from=date(2027, 3, 1),
        date_to=date(2027, 3, 30),
        seller_id=seller_a.user_id,
    )

    assert local(slots)[0][0] == "2027-03-02 10:30"
    assert local(slots)[-1][0] <= "2027-03-04 09:10"
    assert local(slots)[-1][0] == "2027-03-04 09:00"


def test_buffer_after_an_appointment_and_after_the_new_one(clock, madrid, seller_a, lead):
    set_hours(seller_a, every_day(("09:00", "12:00")))
    with_buffer = make_service(sellers=[seller_a], name="Demo", duration=30, buffer=30)
    appointment_book(
        tenant=madrid,
        lead=lead,
        service=with_buffer,
        start=datetime(2027, 3, 2, 10, 0, tzinfo=MADRID),
        seller_id=seller_a.user_id,
        actor=None,
        source="staff",
    )

    slots = local(free_slots(tenant=madrid, service=with_buffer, date_from=date(2027, 3, 2), date_to=date(2027, 3, 2)))

    # 09:00 (+30 buffer ends 10:00) fits; 09:30 would run its buffer into 10:00; 10:00-11:00 is taken
    # (appointment and its buffer); 11:00 is free; 11:30 would end at 12:00 exactly (buffer may pass the end).
    assert [t for t, _ in slots] == ["2027-03-02 09:00", "2027-03-02 11:00", "2027-03-02 11:30"]


def test_time_off_removes_whole_days(clock, service, madrid, seller_a):
    TimeOff.objects.create(
        seller_id=seller_a.user_id, start_date=date(2027, 3, 3), end_date=date(2027, 3, 4), reason="Holiday"
    )

    slots = free_slots(
        tenant=madrid, service=service, date_from=date(2027, 3, 2), date_to=date(2027, 3, 5), seller_id=seller_a.user_id
    )

    assert sorted({t[:10] for t, _ in local(slots)}) == ["2027-03-02", "2027-03-05"]


def test_cancelled_appointments_free_their_time(clock, service, madrid, seller_b, lead):
    from agenda.services import appointment_cancel

    booked = appointment_book(
        tenant=madrid,
        lead=lead,
        service=service,
        start=datetime(2027, 3, 2, 10, 0, tzinfo=MADRID),
        seller_id=seller_b.user_id,
        actor=None,
        source="staff",
    )
    day = {
        "tenant": madrid,
        "service": service,
        "date_from": date(2027, 3, 2),
        "date_to": date(2027, 3, 2),
        "seller_id": seller_b.user_id,
    }
    assert "2027-03-02 10:00" not in [t for t, _ in local(free_slots(**day))]

    appointment_cancel(tenant=madrid, appointment=booked, actor=None, source="staff")

    assert "2027-03-02 10:00" in [t for t, _ in local(free_slots(**day))]


def test_google_busy_blocks_are_pulled_and_honoured(clock, service, madrid, seller_a):
    madrid.calendar_provider = "google"
    SellerCalendar.objects.create(seller_id=seller_a.user_id, google_calendar_id="ana@example.com")
    fake_store(madrid.schema_name).busy["ana@example.com"] = [
        BusyInterval(datetime(2027, 3, 2, 9, 0, tzinfo=MADRID), datetime(2027, 3, 2, 10, 15, tzinfo=MADRID))
    ]

    slots = free_slots(
        tenant=madrid, service=service, date_from=date(2027, 3, 2), date_to=date(2027, 3, 2), seller_id=seller_a.user_id
    )

    assert local(slots)[0][0] == "2027-03-02 10:30"
    assert BusyBlock.objects.filter(seller_id=seller_a.user_id).count() == 1
    calls = [call for call in fake_store(madrid.schema_name).calls if call[0] == "free_busy"]
    # asked again within the minute: answered from the mirror, Google is not called twice
    free_slots(
        tenant=madrid, service=service, date_from=date(2027, 3, 2), date_to=date(2027, 3, 2), seller_id=seller_a.user_id
    )
    assert len([call for call in fake_store(madrid.schema_name).calls if call[0] == "free_busy"]) == len(calls) == 1


def test_google_down_keeps_local_availability(clock, service, madrid, seller_a):
    from agenda.selectors import agenda_settings

    madrid.calendar_provider = "google"
    SellerCalendar.objects.create(seller_id=seller_a.user_id, google_calendar_id="ana@example.com")
    fake_store(madrid.schema_name).revoked = True

    slots = free_slots(
        tenant=madrid, service=service, date_from=date(2027, 3, 2), date_to=date(2027, 3, 2), seller_id=seller_a.user_id
    )

    assert local(slots)[0][0] == "2027-03-02 09:00"
    assert "refused" in agenda_settings().google_error


def test_madrid_spring_forward_keeps_wall_clock_slots_and_skips_the_missing_hour(clock, madrid, seller_a):
    set_hours(seller_a, every_day(("01:00", "04:00"), ("10:00", "11:00")))
    service = make_service(sellers=[seller_a], duration=30)

    before = local(free_slots(tenant=madrid, service=service, date_from=date(2027, 3, 27), date_to=date(2027, 3, 29)))
    by_day = {}
    for t, _ in before:
        by_day.setdefault(t[:10], []).append(t[11:])

    assert by_day["2027-03-27"] == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30", "10:00", "10:30"]
    # 02:00-03:00 does not exist on the 28th: two real hours of work, 10:00 still at 10:00
    assert by_day["2027-03-28"] == ["01:00", "01:30", "03:00", "03:30", "10:00", "10:30"]
    assert by_day["2027-03-29"] == by_day["2027-03-27"]
    ten = [s for s in free_slots(tenant=madrid, service=service, date_from=date(2027, 3, 27), date_to=date(2027, 3, 29))
           if s.start.astimezone(MADRID).hour == 10 and s.start.minute == 0]  # fmt: skip
    assert [s.start.astimezone(UTC).hour for s in ten] == [9, 8, 8]  # UTC+1 then UTC+2


def test_madrid_fall_back_offers_the_repeated_hour_twice(clock, madrid, seller_a):
    clock.set(datetime(2027, 10, 1, 8, 0, tzinfo=UTC))
    set_hours(seller_a, every_day(("01:00", "04:00")))
    service = make_service(sellers=[seller_a], duration=60)

    slots = free_slots(tenant=madrid, service=service, date_from=date(2027, 10, 31), date_to=date(2027, 10, 31))

    assert [t[11:] for t, _ in local(slots)] == ["01:00", "01:30", "02:00", "02:30", "02:00", "02:30", "03:00"]
    assert len({slot.start for slot in slots}) == 7  # seven distinct instants


def test_new_york_changes_and_a_range_starting_in_the_gap(clock, madrid, seller_a):
    madrid.timezone = "America/New_York"
    set_hours(seller_a, every_day(("02:30", "04:00"), ("10:00", "10:30")))
    service = make_service(sellers=[seller_a], duration=30)

    spring = local(
        free_slots(tenant=madrid, service=service, date_from=date(2027, 3, 14), date_to=date(2027, 3, 14)), NEW_YORK
    )
    assert [t[11:] for t, _ in spring] == ["03:30", "10:00"]  # 02:30 does not exist: the range starts at 03:30

    clock.set(datetime(2027, 10, 1, 8, 0, tzinfo=UTC))
    autumn = local(
        free_slots(tenant=madrid, service=service, date_from=date(2027, 11, 7), date_to=date(2027, 11, 7)), NEW_YORK
    )
    assert [t[11:] for t, _ in autumn] == ["02:30", "03:00", "03:30", "10:00"]


def test_services_and_their_sellers(service, madrid, seller_a, seller_b, acme, make_member):
    make_service(sellers=[seller_a], name="Retired", active=False)
    from tenants.models import MembershipStatus, Role

    gone = make_member(acme, Role.SELLER, status=MembershipStatus.DISABLED)
    from agenda.models import ServiceSeller

    ServiceSeller.objects.create(service=service, seller_id=gone.user_id)

    assert [s.name for s in services_list()] == ["First visit"]
    assert [s.name for s in services_list(active_only=False)] == ["First visit", "Retired"]
    assert [(s.user_id, s.name) for s in service_sellers(tenant=madrid, service=service)] == [
        (seller_a.user_id, "Ana Seller"),
        (seller_b.user_id, "Bruno Seller"),
    ]


def test_inactive_service_has_no_slots(clock, service, madrid):
    service.active = False
    service.save()

    assert free_slots(tenant=madrid, service=service, date_from=date(2027, 3, 2), date_to=date(2027, 3, 2)) == []
    assert not Appointment.objects.exists()


def test_query_counts_do_not_grow_with_appointments(clock, service, madrid, seller_a, lead, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            free_slots(tenant=madrid, service=service, date_from=date(2027, 3, 2), date_to=date(2027, 3, 31))
        return len(captured.captured_queries)

    few = count()
    for day in range(2, 20):
        appointment_book(
            tenant=madrid, lead=lead, service=service, start=datetime(2027, 3, day, 10, tzinfo=MADRID),
            seller_id=seller_a.user_id, actor=None, source="staff",
        )  # fmt: skip
    assert count() == few
