"""Google Calendar, behind one small interface: free/busy of sellers' calendars, and one event per
appointment created, updated or deleted idempotently.

`get_google_calendar_client(tenant)` returns the real client built from the company's vault credentials
(a service-account JSON, or an OAuth client id + secret + refresh token), the in-memory fake when
settings.AGENDA_GOOGLE_CLIENT is "fake" (tests, demo), or None when the company has no usable
credentials. Vendor errors become TransientClientError (retry later) or PermanentClientError (fix the
credentials or the calendar id). The request bodies are built by plain functions (`freebusy_body`,
`event_body`) matching ../shared/contracts/google_calendar_*, so they are tested without a network.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

SCOPES = ["https://www.googleapis.com/auth/calendar"]
TIMEOUT_SECONDS = 10
TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 (a public endpoint, not a secret)


class TransientClientError(Exception):
    """Google did not answer, or answered 429/5xx: try again later."""


class PermanentClientError(Exception):
    """Google refused for good (bad or revoked credentials, unknown calendar): retrying will not help."""


@dataclass(frozen=True)
class BusyInterval:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class EventData:
    """What an appointment looks like in Google: a title, a description, and two instants."""

    summary: str
    description: str
    start: datetime
    end: datetime
    time_zone: str


class GoogleCalendarClient(Protocol):
    def free_busy(
        self, *, calendar_ids: list[str], time_min: datetime, time_max: datetime
    ) -> dict[str, list[BusyInterval]]:
        """Busy intervals per calendar id. A calendar Google cannot read raises PermanentClientError."""

    def upsert_event(self, *, calendar_id: str, event_id: str, event: EventData) -> str:
        """Creates the event with this id, or updates it when it exists already. Returns its id."""

    def delete_event(self, *, calendar_id: str, event_id: str) -> None:
        """Deletes the event; an event already gone is not an error."""


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def event_id_for(*, schema_name: str, appointment_id: int) -> str:
    """A stable Google event id for one appointment (base32hex, as Google requires: a-v and 0-9), so a
    retried insert finds the event it made instead of making a second one."""
    digest = hashlib.sha256(f"crm:{schema_name}:{appointment_id}".encode()).digest()[:20]
    return "crm" + base64.b32hexencode(digest).decode().lower().rstrip("=")


def freebusy_body(*, calendar_ids: list[str], time_min: datetime, time_max: datetime) -> dict:
    return {
        "timeMin": rfc3339(time_min),
        "timeMax": rfc3339(time_max),
        "timeZone": "UTC",
        "items": [{"id": calendar_id} for calendar_id in calendar_ids],
    }


def parse_freebusy(response: dict, calendar_ids: list[str]) -> dict[str, list[BusyInterval]]:
    calendars = response.get("calendars") or {}
    result: dict[str, list[BusyInterval]] = {}
    for calendar_id in calendar_ids:
        entry = calendars.get(calendar_id)
        if entry is None:
            raise PermanentClientError(f"Google did not answer for calendar {calendar_id!r}")
        if entry.get("errors"):
            reasons = ", ".join(sorted({error.get("reason", "unknown") for error in entry["errors"]}))
            raise PermanentClientError(f"Google cannot read calendar {calendar_id!r}: {reasons}")
        result[calendar_id] = [
            BusyInterval(parse_rfc3339(busy["start"]), parse_rfc3339(busy["end"])) for busy in entry.get("busy", [])
        ]
    return result


def event_body(*, event_id: str, event: EventData) -> dict:
    return {
        "id": event_id,
        "summary": event.summary,
        "description": event.description,
        "start": {"dateTime": rfc3339(event.start), "timeZone": event.time_zone},
        "end": {"dateTime": rfc3339(event.end), "timeZone": event.time_zone},
    }


def _status(error) -> int:
    return int(getattr(getattr(error, "resp", None), "status", 0) or 0)


class GoogleApiCalendarClient:
    """The real client (google-api-python-client). `http` is for tests (googleapiclient.http.HttpMock*)."""

    def __init__(self, *, credentials=None, http=None):
        from googleapiclient.discovery import build

        if http is None:
            import google_auth_httplib2
            import httplib2

            http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=TIMEOUT_SECONDS))
        self._service = build("calendar", "v3", http=http, cache_discovery=False, static_discovery=True)

    def _execute(self, request, *, missing_ok: bool = False):
        from googleapiclient.errors import HttpError

        try:
            return request.execute(num_retries=0)
        except HttpError as error:
            status = _status(error)
            if missing_ok and status in (404, 410):
                return None
            if status == 429 or status >= 500:
                raise TransientClientError(f"Google answered {status}") from error
            raise PermanentClientError(f"Google refused the request ({status})") from error
        except (TimeoutError, OSError) as error:
            raise TransientClientError(f"Google did not answer: {type(error).__name__}") from error
        except Exception as error:  # google.auth errors: refresh failed (revoked token), bad key
            if type(error).__module__.startswith("google.auth"):
                raise PermanentClientError(f"Google credentials refused: {type(error).__name__}") from error
            raise

    def free_busy(self, *, calendar_ids, time_min, time_max):
        body = freebusy_body(calendar_ids=calendar_ids, time_min=time_min, time_max=time_max)
        return parse_freebusy(self._execute(self._service.freebusy().query(body=body)), calendar_ids)

    def upsert_event(self, *, calendar_id, event_id, event):
        body = event_body(event_id=event_id, event=event)
        events = self._service.events()
        from googleapiclient.errors import HttpError

        try:
            created = events.insert(calendarId=calendar_id, body=body).execute(num_retries=0)
            return created.get("id", event_id)
        except HttpError as error:
            if _status(error) != 409:  # 409: the event exists already (an earlier try made it): update it
                return self._raise(error)
        updated = self._execute(events.update(calendarId=calendar_id, eventId=event_id, body=body))
        return updated.get("id", event_id)

    def _raise(self, error):
        status = _status(error)
        if status == 429 or status >= 500:
            raise TransientClientError(f"Google answered {status}") from error
        raise PermanentClientError(f"Google refused the request ({status})") from error

    def delete_event(self, *, calendar_id, event_id):
        self._execute(self._service.events().delete(calendarId=calendar_id, eventId=event_id), missing_ok=True)


def credentials_from_vault(values: dict[str, str]):
    """google-auth credentials from the vault's Google entry, or None when it holds no usable set."""
    if values.get("service_account_json"):
        from google.oauth2 import service_account

        try:
            info = json.loads(values["service_account_json"])
            return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
        except (ValueError, KeyError) as error:
            raise PermanentClientError("The service account JSON cannot be read.") from error
    if values.get("refresh_token") and values.get("client_id") and values.get("client_secret"):
        from google.oauth2.credentials import Credentials

        return Credentials(
            token=None,
            refresh_token=values["refresh_token"],
            client_id=values["client_id"],
            client_secret=values["client_secret"],
            token_uri=TOKEN_URI,
            scopes=SCOPES,
        )
    return None


def get_google_calendar_client(tenant) -> GoogleCalendarClient | None:
    """The client for this company's calendars, or None when it has no usable credentials (local agenda)."""
    choice = getattr(settings, "AGENDA_GOOGLE_CLIENT", "real")
    if choice != "real":
        return import_string(choice)(tenant)
    from tenants.models import Credential
    from tenants.vault import vault_get

    values = vault_get(tenant=tenant, kind=Credential.Kind.GOOGLE) or {}
    credentials = credentials_from_vault(values)
    if credentials is None:
        return None
    return GoogleApiCalendarClient(credentials=credentials)
