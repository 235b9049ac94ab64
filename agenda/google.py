"""The Google Calendar provider: busy times pulled just in time into mirrored busy blocks, and each
appointment mirrored as one Google event (created, moved or deleted idempotently by a Celery task).

Nothing here ever blocks local booking: a Google failure is recorded (on the appointment and in the
agenda settings, shown on the Settings pages) and the agenda goes on with what it has."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from agenda.clients.google_calendar import (
    BusyInterval,
    EventData,
    PermanentClientError,
    TransientClientError,
    event_id_for,
    get_google_calendar_client,
)
from agenda.models import AgendaSettings, Appointment, BusyBlock, SellerCalendar

logger = logging.getLogger(__name__)
FREEBUSY_CACHE_SECONDS = 60


def uses_google(tenant) -> bool:
    return getattr(tenant, "calendar_provider", "local") == "google"


def record_google_error(message: str) -> None:
    AgendaSettings.objects.update(google_error=message[:255], google_error_at=timezone.now())


def record_google_ok() -> None:
    AgendaSettings.objects.update(google_error="", google_ok_at=timezone.now())


def _subtract(busy: BusyInterval, ours: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """`busy` minus the intervals of our own events (Google reports them as busy too)."""
    pieces = [(busy.start, busy.end)]
    for our_start, our_end in ours:
        next_pieces = []
        for start, end in pieces:
            if our_end <= start or our_start >= end:
                next_pieces.append((start, end))
                continue
            if start < our_start:
                next_pieces.append((start, our_start))
            if our_end < end:
                next_pieces.append((our_end, end))
        pieces = next_pieces
    return pieces


def refresh_busy_blocks(*, tenant, seller_ids: list[int], time_min: datetime, time_max: datetime) -> None:
    """For a company on Google: asks Google's free/busy for these sellers' calendars over the window and
    mirrors the answer into BusyBlock rows, unless the same question was answered less than a minute ago.
    Our own appointments' events are not read back as busy. Failures are recorded, never raised."""
    if not uses_google(tenant):
        return
    calendars = dict(
        SellerCalendar.objects.filter(seller_id__in=seller_ids)
        .exclude(google_calendar_id="")
        .values_list("seller_id", "google_calendar_id")
    )
    if not calendars:
        return
    fingerprint = hashlib.sha256(
        f"{sorted(calendars.items())}|{time_min.isoformat()}|{time_max.isoformat()}".encode()
    ).hexdigest()[:32]
    key = f"agenda:freebusy:{fingerprint}"
    if cache.get(key):
        return
    # A failing Google is asked again after the same minute, not on every page view.
    cache.set(key, True, FREEBUSY_CACHE_SECONDS)
    try:
        client = get_google_calendar_client(tenant)
        if client is None:
            record_google_error("No Google credentials in the vault.")
            return
        answer = client.free_busy(calendar_ids=sorted(set(calendars.values())), time_min=time_min, time_max=time_max)
    except (TransientClientError, PermanentClientError) as error:
        logger.warning("google free/busy failed", extra={"error": str(error)})
        record_google_error(str(error))
        return
    ours: dict[int, list[tuple[datetime, datetime]]] = {}
    for seller_id, start, end in Appointment.objects.filter(
        seller_id__in=list(calendars), synced_start__lt=time_max, synced_end__gt=time_min
    ).values_list("seller_id", "synced_start", "synced_end"):
        ours.setdefault(seller_id, []).append((start, end))
    blocks = [
        BusyBlock(seller_id=seller_id, start=start, end=end)
        for seller_id, calendar_id in calendars.items()
        for busy in answer.get(calendar_id, [])
        for start, end in _subtract(busy, ours.get(seller_id, []))
    ]
    with transaction.atomic():
        BusyBlock.objects.filter(seller_id__in=list(calendars), start__lt=time_max, end__gt=time_min).delete()
        BusyBlock.objects.bulk_create(blocks)
    record_google_ok()


def _event_for(appointment: Appointment, tenant) -> EventData:
    lead = appointment.lead
    return EventData(
        summary=f"{appointment.service.name} · {lead}",
        description=f"{lead.phone}\n{appointment.notes}".strip(),
        start=appointment.start,
        end=appointment.end,
        time_zone=tenant.timezone or "UTC",
    )


def sync_appointment(*, tenant, appointment_id: int) -> str:
    """Brings the Google event of one appointment in line with it: creates or updates it (under a stable
    id, so a retry never makes a second event) while it is live, deletes it once cancelled. Returns what
    it did. Raises TransientClientError for the task to retry; a permanent error is recorded on the
    appointment and returned as "failed"."""
    appointment = Appointment.objects.select_related("lead", "service").filter(pk=appointment_id).first()
    if appointment is None:
        return "missing"
    calendar_id = (
        SellerCalendar.objects.filter(seller_id=appointment.seller_id)
        .values_list("google_calendar_id", flat=True)
        .first()
        or ""
    )
    live = appointment.status != Appointment.Status.CANCELLED
    if not uses_google(tenant) or (not calendar_id and not appointment.google_event_id):
        Appointment.objects.filter(pk=appointment.pk).update(sync_state="", sync_error="")
        return "skipped"
    event_id = appointment.google_event_id or event_id_for(
        schema_name=tenant.schema_name, appointment_id=appointment.pk
    )
    try:
        client = get_google_calendar_client(tenant)
        if client is None:
            raise PermanentClientError("No Google credentials in the vault.")
        moved_calendar = appointment.google_calendar_id and appointment.google_calendar_id != calendar_id
        if appointment.google_event_id and (not live or moved_calendar):
            client.delete_event(calendar_id=appointment.google_calendar_id or calendar_id, event_id=event_id)
        if live and calendar_id:
            client.upsert_event(calendar_id=calendar_id, event_id=event_id, event=_event_for(appointment, tenant))
    except PermanentClientError as error:
        Appointment.objects.filter(pk=appointment.pk).update(
            sync_state=Appointment.SyncState.FAILED, sync_error=str(error)[:255]
        )
        record_google_error(str(error))
        return "failed"
    if live and calendar_id:
        Appointment.objects.filter(pk=appointment.pk).update(
            google_event_id=event_id,
            google_calendar_id=calendar_id,
            sync_state=Appointment.SyncState.SYNCED,
            sync_error="",
            synced_at=timezone.now(),
            synced_start=appointment.start,
            synced_end=appointment.end,
        )
        record_google_ok()
        return "upserted"
    Appointment.objects.filter(pk=appointment.pk).update(
        google_event_id="",
        google_calendar_id="",
        sync_state=Appointment.SyncState.SYNCED,
        sync_error="",
        synced_at=timezone.now(),
        synced_start=None,
        synced_end=None,
    )
    record_google_ok()
    return "deleted"


def mark_sync_failed(*, appointment_id: int, reason: str) -> None:
    """The task gave up retrying a transient error: show it on the appointment and in Settings."""
    Appointment.objects.filter(pk=appointment_id).update(
        sync_state=Appointment.SyncState.FAILED, sync_error=reason[:255]
    )
    record_google_error(reason)
