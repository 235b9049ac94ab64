"""An in-memory Google Calendar honouring agenda.clients.google_calendar.GoogleCalendarClient.

One shared store per company (schema name), so a test or the demo can put busy times in a seller's
calendar, make Google fail for a while, and read the events the sync made."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from agenda.clients.google_calendar import BusyInterval, EventData, PermanentClientError, TransientClientError


@dataclass
class FakeCalendarStore:
    busy: dict[str, list[BusyInterval]] = field(default_factory=dict)
    events: dict[tuple[str, str], EventData] = field(default_factory=dict)
    calls: list[tuple] = field(default_factory=list)
    # The next N calls fail with this error (TransientClientError or PermanentClientError), then succeed.
    fail_next: int = 0
    failure: type[Exception] = TransientClientError
    revoked: bool = False
    unknown_calendars: set[str] = field(default_factory=set)


_stores: dict[str, FakeCalendarStore] = {}
_lock = threading.Lock()


def fake_store(schema_name: str) -> FakeCalendarStore:
    with _lock:
        return _stores.setdefault(schema_name, FakeCalendarStore())


def reset_fake_stores() -> None:
    with _lock:
        _stores.clear()


class FakeGoogleCalendarClient:
    def __init__(self, tenant):
        self.store = fake_store(tenant.schema_name)

    def _call(self, *call) -> None:
        self.store.calls.append(call)
        if self.store.revoked:
            raise PermanentClientError("Google credentials refused: RefreshError")
        if self.store.fail_next > 0:
            self.store.fail_next -= 1
            raise self.store.failure("Google answered 503")

    def free_busy(self, *, calendar_ids, time_min, time_max):
        self._call("free_busy", tuple(calendar_ids), time_min, time_max)
        result = {}
        for calendar_id in calendar_ids:
            if calendar_id in self.store.unknown_calendars:
                raise PermanentClientError(f"Google cannot read calendar {calendar_id!r}: notFound")
            result[calendar_id] = [
                busy for busy in self.store.busy.get(calendar_id, []) if busy.start < time_max and busy.end > time_min
            ]
        return result

    def upsert_event(self, *, calendar_id, event_id, event):
        self._call("upsert_event", calendar_id, event_id)
        self.store.events[(calendar_id, event_id)] = event
        return event_id

    def delete_event(self, *, calendar_id, event_id):
        self._call("delete_event", calendar_id, event_id)
        self.store.events.pop((calendar_id, event_id), None)
