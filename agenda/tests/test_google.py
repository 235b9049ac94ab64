"""Google Calendar: request bodies against the contract shapes, the real client's HTTP through
google-api-python-client's offline mocks, and the sync (idempotent, retried, failures visible)."""

from __future__ import annotations

import json
import re
import zoneinfo
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from googleapiclient.http import HttpMockSequence

from agenda.clients.fakes import fake_store
from agenda.clients.google_calendar import (
    BusyInterval,
    EventData,
    GoogleApiCalendarClient,
    PermanentClientError,
    TransientClientError,
    event_body,
    event_id_for,
    freebusy_body,
    parse_freebusy,
)
from agenda.google import refresh_busy_blocks, sync_appointment
from agenda.models import Appointment, BusyBlock, SellerCalendar
from agenda.selectors import agenda_settings, free_slots
from agenda.services import appointment_book, appointment_cancel, appointment_reschedule
from agenda.tasks import GOOGLE_MAX_RETRIES, appointment_google_sync_task

pytestmark = pytest.mark.django_db
MADRID = zoneinfo.ZoneInfo("Europe/Madrid")
CONTRACTS = Path(__file__).resolve().parents[3] / "shared" / "contracts"
if not CONTRACTS.is_dir():
    CONTRACTS = Path("/work/shared/contracts")


def at(day, hour, minute=0):
    return datetime(2027, 3, day, hour, minute, tzinfo=MADRID)


def contract(name):
    path = CONTRACTS / name
    # The contracts come with ../shared beside the checkout (as in CI): missing, the test fails, not skips.
    assert path.is_file(), f"contract {name} missing: put ../shared beside the checkout"
    return json.loads(path.read_text())


def test_freebusy_body_has_the_documented_shape():
    shape = contract("google_calendar_freebusy_query_shape.json")["request"]["body"]
    body = freebusy_body(calendar_ids=["a@x", "b@x"], time_min=at(2, 0), time_max=at(3, 0))

    assert set(body) <= set(shape)
    assert body == {
        "timeMin": "2027-03-01T23:00:00Z",
        "timeMax": "2027-03-02T23:00:00Z",
        "timeZone": "UTC",
        "items": [{"id": "a@x"}, {"id": "b@x"}],
    }


def test_freebusy_answers_are_read_and_calendar_errors_refused():
    busy = [{"start": "2027-03-02T09:00:00Z", "end": "2027-03-02T10:00:00Z"}]
    errors = [{"domain": "global", "reason": "notFound"}]
    answer = {"kind": "calendar#freeBusy", "calendars": {"a@x": {"busy": busy}, "b@x": {"errors": errors}}}
    assert parse_freebusy(answer, ["a@x"]) == {
        "a@x": [BusyInterval(datetime(2027, 3, 2, 9, tzinfo=UTC), datetime(2027, 3, 2, 10, tzinfo=UTC))]
    }
    with pytest.raises(PermanentClientError, match="notFound"):
        parse_freebusy(answer, ["a@x", "b@x"])


def test_event_body_uses_the_event_resource_fields():
    shape = contract("google_calendar_events_list_shape.json")["event_resource_subset"]
    event_id = event_id_for(schema_name="acme", appointment_id=42)
    body = event_body(event_id=event_id, event=EventData("Demo · Ana", "+34600", at(2, 10), at(2, 11), "Europe/Madrid"))

    assert set(body) <= set(shape)
    assert set(body["start"]) <= set(shape["start"])
    assert body["start"] == {"dateTime": "2027-03-02T09:00:00Z", "timeZone": "Europe/Madrid"}
    assert re.fullmatch(r"[a-v0-9]{5,1024}", event_id)
    assert (
        event_id
        == event_id_for(schema_name="acme", appointment_id=42)
        != event_id_for(schema_name="globex", appointment_id=42)
    )


class Recording(HttpMockSequence):
    def __init__(self, iterable):
        super().__init__(iterable)
        self.requests = []

    def request(self, uri, method="GET", body=None, headers=None, redirections=1, connection_type=None):
        self.requests.append((method, uri, json.loads(body) if body else None))
        return super().request(uri, method, body, headers, redirections, connection_type)


def test_the_real_client_sends_the_documented_requests():
    http = Recording([({"status": "200"}, json.dumps({"calendars": {"a@x": {"busy": []}}}))])
    GoogleApiCalendarClient(http=http).free_busy(calendar_ids=["a@x"], time_min=at(2, 0), time_max=at(3, 0))

    method, uri, body = http.requests[0]
    assert (method, uri) == ("POST", "https://www.googleapis.com/calendar/v3/freeBusy?alt=json")
    assert body["items"] == [{"id": "a@x"}]


def test_upsert_updates_when_an_earlier_try_made_the_event():
    http = Recording(
        [({"status": "409"}, json.dumps({"error": {"code": 409}})), ({"status": "200"}, json.dumps({"id": "crmabc12"}))]
    )
    client = GoogleApiCalendarClient(http=http)

    client.upsert_event(calendar_id="a@x", event_id="crmabc12", event=EventData("s", "d", at(2, 10), at(2, 11), "UTC"))

    assert [(m, u.split("?")[0]) for m, u, _ in http.requests] == [
        ("POST", "https://www.googleapis.com/calendar/v3/calendars/a%40x/events"),
        ("PUT", "https://www.googleapis.com/calendar/v3/calendars/a%40x/events/crmabc12"),
    ]
    assert http.requests[0][2]["id"] == "crmabc12"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        ("503", TransientClientError),
        ("429", TransientClientError),
        ("401", PermanentClientError),
        ("403", PermanentClientError),
    ],
)
def test_vendor_errors_become_ours(status, error):
    client = GoogleApiCalendarClient(http=HttpMockSequence([({"status": status}, "{}")]))
    with pytest.raises(error):
        client.free_busy(calendar_ids=["a@x"], time_min=at(2, 0), time_max=at(3, 0))


def test_deleting_an_event_already_gone_is_fine():
    GoogleApiCalendarClient(http=HttpMockSequence([({"status": "410"}, "{}")])).delete_event(
        calendar_id="a", event_id="crmabc12"
    )


@pytest.fixture
def google(madrid, seller_a):
    madrid.calendar_provider = "google"
    madrid.save(update_fields=["calendar_provider"])
    SellerCalendar.objects.create(seller_id=seller_a.user_id, google_calendar_id="ana@example.com")
    return fake_store(madrid.schema_name)


def test_booking_enqueues_the_sync_and_running_it_twice_makes_one_event(
    clock, service, madrid, seller_a, lead, google, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        appointment = appointment_book(
            tenant=madrid,
            lead=lead,
            service=service,
            start=at(2, 10),
            seller_id=seller_a.user_id,
            actor=None,
            source="staff",
        )
    assert len(callbacks) >= 1
    appointment.refresh_from_db()
    assert appointment.sync_state == "pending"

    assert sync_appointment(tenant=madrid, appointment_id=appointment.pk) == "upserted"
    assert sync_appointment(tenant=madrid, appointment_id=appointment.pk) == "upserted"

    assert len(google.events) == 1
    (calendar_id, event_id), event = next(iter(google.events.items()))
    assert calendar_id == "ana@example.com"
    assert event.start == at(2, 10)
    appointment.refresh_from_db()
    assert (appointment.sync_state, appointment.google_event_id) == ("synced", event_id)

    appointment_reschedule(tenant=madrid, appointment=appointment, start=at(2, 11), actor=None, source="staff")
    sync_appointment(tenant=madrid, appointment_id=appointment.pk)
    assert [e.start for e in google.events.values()] == [at(2, 11)]

    appointment_cancel(tenant=madrid, appointment=appointment, actor=None, source="staff")
    assert sync_appointment(tenant=madrid, appointment_id=appointment.pk) == "deleted"
    assert google.events == {}


def test_transient_errors_are_retried_then_marked_failed(clock, service, madrid, seller_a, lead, google):
    appointment = appointment_book(
        tenant=madrid,
        lead=lead,
        service=service,
        start=at(2, 10),
        seller_id=seller_a.user_id,
        actor=None,
        source="staff",
    )
    google.fail_next = 1
    google.calls.clear()  # the booking asked free/busy

    # run eagerly, Celery retries at once: the failed call, then the one that made the event
    assert appointment_google_sync_task.apply(args=[appointment.pk]).get() == "upserted"
    assert [call[0] for call in google.calls] == ["upsert_event", "upsert_event"]
    assert len(google.events) == 1

    google.fail_next = 100  # Google stays down: every retry fails, the last one gives up
    assert appointment_google_sync_task.apply(args=[appointment.pk]).get() == "failed"
    assert len(google.calls) == 2 + GOOGLE_MAX_RETRIES + 1
    appointment.refresh_from_db()
    assert appointment.sync_state == "failed"
    assert "503" in appointment.sync_error
    assert len(google.events) == 1  # still the one event


def test_revoked_credentials_show_and_booking_keeps_working(
    clock, service, madrid, seller_a, lead, google, client_for, acme, make_member
):
    google.revoked = True
    appointment = appointment_book(
        tenant=madrid,
        lead=lead,
        service=service,
        start=at(2, 10),
        seller_id=seller_a.user_id,
        actor=None,
        source="staff",
    )

    assert sync_appointment(tenant=madrid, appointment_id=appointment.pk) == "failed"

    appointment.refresh_from_db()
    assert appointment.sync_state == "failed"
    assert "refused" in appointment.sync_error
    assert "refused" in agenda_settings().google_error
    assert appointment_book(
        tenant=madrid,
        lead=lead,
        service=service,
        start=at(2, 11),
        seller_id=seller_a.user_id,
        actor=None,
        source="staff",
    ).pk
    from django.db import connection

    owner = make_member(acme, "owner")
    connection.set_schema_to_public()
    body = client_for(owner).get("/agenda/settings/").content.decode()
    assert 'data-testid="google-error"' in body


def test_our_own_events_are_not_read_back_as_busy(clock, service, madrid, seller_a, lead, google):
    appointment = appointment_book(
        tenant=madrid,
        lead=lead,
        service=service,
        start=at(2, 10),
        seller_id=seller_a.user_id,
        actor=None,
        source="staff",
    )
    sync_appointment(tenant=madrid, appointment_id=appointment.pk)
    # Google merges our event with an external one right after it: 10:00-11:00
    google.busy["ana@example.com"] = [BusyInterval(at(2, 10), at(2, 11))]

    refresh_busy_blocks(tenant=madrid, seller_ids=[seller_a.user_id], time_min=at(2, 0), time_max=at(3, 0))

    assert list(BusyBlock.objects.values_list("start", "end")) == [(at(2, 10, 30), at(2, 11))]
    slots = free_slots(
        tenant=madrid, service=service, date_from=date(2027, 3, 2), date_to=date(2027, 3, 2), seller_id=seller_a.user_id
    )
    assert at(2, 10, 30) not in [slot.start for slot in slots]
    assert at(2, 11) in [slot.start for slot in slots]
    assert Appointment.objects.count() == 1
