"""Appointment writes: book, move, cancel, confirm, complete, mark a no-show (see agenda.services)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agenda import realtime
from agenda.models import Appointment, Service
from agenda.selectors import (
    Slot,
    agenda_settings,
    availability,
    free_slots,
    local_instant,
    seller_refusal,
    service_sellers,
    zone_of,
)
from core.audit import audit_log
from core.errors import ApplicationError
from core.tenancy import check_tenant
from crm.models import Lead
from crm.public import timeline_add

ALTERNATIVES = 5
ALTERNATIVE_DAYS = 14
CONSTRAINT = "agenda_appt_no_double_booking"
MAX_NOTES = 5000


class SlotUnavailable(ApplicationError):
    """The time asked for cannot be booked. `message` says why; `alternatives` are the next free slots of
    the same service (and seller, when one was asked for)."""

    def __init__(self, message: str, *, alternatives: list[Slot] | None = None, code: str = "unavailable"):
        super().__init__(message, extra={"code": code})
        self.alternatives = alternatives or []
        self.code = code


# --- Helpers -----------------------------------------------------------------------------------------


def _refusal_message(code: str) -> str:
    return {
        "past": _("This time is in the past."),
        "notice": _("This time is too soon: appointments need more notice."),
        "horizon": _("This time is too far ahead to be booked yet."),
        "time_off": _("The seller is off that day."),
        "outside_hours": _("This time is outside the seller's working hours."),
        "taken": _("The seller already has an appointment at this time."),
        "no_seller": _("No seller is free at this time."),
    }.get(code, _("This time cannot be booked."))


def _alternatives(*, tenant, service: Service, after: datetime, seller_id: int | None) -> list[Slot]:
    zone = zone_of(tenant)
    day = max(after, timezone.now()).astimezone(zone).date()
    slots = free_slots(
        tenant=tenant,
        service=service,
        date_from=day,
        date_to=day + timedelta(days=ALTERNATIVE_DAYS),
        seller_id=seller_id,
    )
    found = []
    for slot in slots:  # built one by one on reading: stop at the few shown
        if slot.start >= after:
            found.append(slot)
            if len(found) == ALTERNATIVES:
                break
    return found


def _aware(moment: datetime, tenant) -> datetime:
    if not isinstance(moment, datetime):
        raise ApplicationError(_("Give a date and a time."))
    if timezone.is_naive(moment):
        # A wall-clock time of the company (what a seller types): read it in the company's zone.
        moment = moment.replace(tzinfo=zone_of(tenant))
    return moment


def _check_window(*, start: datetime, source: str) -> str | None:
    """The company's booking window: nothing in the past; the minimum notice for leads and the agent
    (staff may book a walk-in); nothing past the horizon."""
    now = timezone.now()
    rules = agenda_settings()
    if start < now - timedelta(minutes=1):
        return "past"
    if source != Appointment.Source.STAFF and start < now + rules.min_notice:
        return "notice"
    if start > now + rules.max_horizon:
        return "horizon"
    return None


def _seller_refusal(*, tenant, seller_id: int, start: datetime, end: datetime, busy_until: datetime, exclude=None):
    zone = zone_of(tenant)
    day = start.astimezone(zone).date()
    days = availability(
        seller_ids=[seller_id],
        date_from=day - timedelta(days=1),
        date_to=day,
        zone=zone,
        exclude_appointment_id=exclude,
    )
    return seller_refusal(day=days[seller_id], start=start, end=end, busy_until=busy_until, local_day=day)


def _insert_or_update(appointment: Appointment, *, fields: list[str] | None = None) -> None:
    """Saves inside a savepoint; PostgreSQL's exclusion constraint refusing it becomes `taken`."""
    try:
        with transaction.atomic():
            if fields is None:
                appointment.save()
            else:
                appointment.save(update_fields=fields)
    except IntegrityError as error:
        if CONSTRAINT in str(error):
            raise SlotUnavailable(_refusal_message("taken"), code="taken") from error
        raise


def _lead_name(lead: Lead) -> str:
    return lead.full_name or lead.phone


def _history(*, tenant, appointment: Appointment, kind: str, actor, body: str = "", extra: dict | None = None):
    zone = zone_of(tenant)
    data = {
        "appointment": appointment.pk,
        "service": appointment.service.name,
        "start": appointment.start.astimezone(zone).isoformat(),
        "end": appointment.end.astimezone(zone).isoformat(),
        "source": appointment.source,
        "status": appointment.status,
        **(extra or {}),
    }
    timeline_add(tenant=tenant, lead=appointment.lead, kind=kind, actor=actor, body=body, data=data)


def _sync_google(tenant, appointment: Appointment) -> None:
    from agenda.google import uses_google
    from agenda.models import SellerCalendar

    if not uses_google(tenant):
        return
    has_calendar = SellerCalendar.objects.filter(seller_id=appointment.seller_id).exclude(google_calendar_id="")
    if not appointment.google_event_id and not has_calendar.exists():
        return
    Appointment.objects.filter(pk=appointment.pk).update(sync_state=Appointment.SyncState.PENDING, sync_error="")
    appointment.sync_state = Appointment.SyncState.PENDING
    from agenda.tasks import appointment_google_sync_task

    pk = appointment.pk
    transaction.on_commit(lambda: appointment_google_sync_task.delay(pk))


def _validate_service(service: Service) -> None:
    if service is None or not service.pk or not Service.objects.filter(pk=service.pk, active=True).exists():
        raise ApplicationError(_("This service is not offered any more."))


def _validate_source(source: str) -> None:
    if source not in Appointment.Source.values:
        raise ApplicationError(f"Unknown appointment source: {source!r}")


# --- Appointments ------------------------------------------------------------------------------------


@transaction.atomic
def appointment_book(
    *,
    tenant,
    lead: Lead,
    service: Service,
    start: datetime,
    seller_id: int | None = None,
    actor,
    source: str,
    notes: str = "",
    end: datetime | None = None,
    related_type: str = "",
    related_id: str = "",
) -> Appointment:
    """Books `service` for `lead` at `start` with `seller_id`, or (None) with any seller offering the service
    who is free then. Ends after the service's duration (staff may give another `end`). Raises
    SlotUnavailable (with the next free slots) when the time cannot be booked, ApplicationError for a
    service the seller does not offer or bad input."""
    check_tenant(tenant)
    _validate_source(source)
    _validate_service(service)
    if lead is None or not Lead.objects.filter(pk=lead.pk).exists():
        raise ApplicationError(_("This lead does not exist."))
    notes = (notes or "").replace("\x00", "").strip()
    if len(notes) > MAX_NOTES:
        raise ApplicationError(_("Notes can have at most 5,000 characters."))
    start = _aware(start, tenant)
    end = _aware(end, tenant) if end is not None else start + service.duration
    if end <= start:
        raise ApplicationError(_("The end must be after the start."))
    if end - start > timedelta(hours=12):
        raise ApplicationError(_("An appointment can last at most 12 hours."))
    offering = service_sellers(tenant=tenant, service=service)
    if seller_id is not None:
        if seller_id not in {info.user_id for info in offering}:
            raise ApplicationError(_("This seller does not offer this service."))
        candidates = [seller_id]
    else:
        candidates = [info.user_id for info in offering]
        if not candidates:
            raise ApplicationError(_("No seller offers this service yet."))
    window = _check_window(start=start, source=source)
    if window is not None:
        raise SlotUnavailable(
            _refusal_message(window),
            alternatives=_alternatives(tenant=tenant, service=service, after=start, seller_id=seller_id),
            code=window,
        )
    from agenda.google import refresh_busy_blocks

    zone = zone_of(tenant)
    day = start.astimezone(zone).date()
    refresh_busy_blocks(
        tenant=tenant,
        seller_ids=candidates,
        time_min=local_instant(day, datetime.min.time(), zone),
        time_max=local_instant(day + timedelta(days=1), datetime.min.time(), zone),
    )
    busy_until = end + service.buffer
    refusal = "no_seller"
    appointment = None
    days = availability(seller_ids=candidates, date_from=day - timedelta(days=1), date_to=day, zone=zone)
    for candidate in candidates:
        refusal = seller_refusal(day=days[candidate], start=start, end=end, busy_until=busy_until, local_day=day)
        if refusal is not None:
            continue
        appointment = Appointment(
            lead=lead,
            service=service,
            seller_id=candidate,
            start=start,
            end=end,
            busy_until=busy_until,
            source=source,
            notes=notes,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            related_type=related_type[:64],
            related_id=str(related_id)[:64],
        )
        try:
            _insert_or_update(appointment)
            break
        except SlotUnavailable:
            appointment, refusal = None, "taken"  # booked by someone else a moment ago: try the next seller
    if appointment is None:
        code = refusal if seller_id is not None else ("no_seller" if len(candidates) > 1 else refusal)
        raise SlotUnavailable(
            _refusal_message(code),
            alternatives=_alternatives(tenant=tenant, service=service, after=start, seller_id=seller_id),
            code=code,
        )
    appointment.lead = lead
    _history(tenant=tenant, appointment=appointment, kind="appointment_booked", actor=actor, body=notes)
    audit_log(
        action="appointment.book",
        actor=actor,
        obj=appointment,
        changes={
            "start": {"before": None, "after": start.isoformat()},
            "seller": {"before": None, "after": appointment.seller_id},
        },
    )
    _sync_google(tenant, appointment)
    realtime.announce(appointment=appointment, event=realtime.NEW_APPOINTMENT)
    return appointment


def _locked(appointment: Appointment) -> Appointment:
    locked = Appointment.objects.select_for_update().filter(pk=appointment.pk).first()
    if locked is None:
        raise ApplicationError(_("This appointment does not exist."))
    locked = Appointment.objects.select_related("lead", "service").get(pk=locked.pk)
    return locked


@transaction.atomic
def appointment_reschedule(
    *,
    tenant,
    appointment: Appointment,
    start: datetime,
    actor,
    source: str,
    seller_id: int | None = None,
    end: datetime | None = None,
) -> Appointment:
    """Moves an open appointment to `start` (keeping its length, unless staff give a new `end`), and to
    `seller_id` when given (who must offer the service). Raises SlotUnavailable as appointment_book does."""
    check_tenant(tenant)
    _validate_source(source)
    appointment = _locked(appointment)
    if not appointment.is_open:
        raise ApplicationError(_("Only a scheduled or confirmed appointment can be moved."))
    start = _aware(start, tenant)
    end = _aware(end, tenant) if end is not None else start + (appointment.end - appointment.start)
    if end <= start:
        raise ApplicationError(_("The end must be after the start."))
    if end - start > timedelta(hours=12):
        raise ApplicationError(_("An appointment can last at most 12 hours."))
    new_seller = appointment.seller_id if seller_id is None else seller_id
    service = appointment.service
    if new_seller != appointment.seller_id and new_seller not in {
        info.user_id for info in service_sellers(tenant=tenant, service=service)
    }:
        raise ApplicationError(_("This seller does not offer this service."))
    if start == appointment.start and end == appointment.end and new_seller == appointment.seller_id:
        return appointment
    window = _check_window(start=start, source=source)
    busy_until = end + service.buffer
    refusal = window or _seller_refusal(
        tenant=tenant, seller_id=new_seller, start=start, end=end, busy_until=busy_until, exclude=appointment.pk
    )
    if refusal is not None:
        raise SlotUnavailable(
            _refusal_message(refusal),
            alternatives=_alternatives(tenant=tenant, service=service, after=start, seller_id=new_seller),
            code=refusal,
        )
    before = {
        "start": appointment.start.isoformat(),
        "end": appointment.end.isoformat(),
        "seller": appointment.seller_id,
    }
    previous_seller = appointment.seller_id
    appointment.start, appointment.end, appointment.busy_until, appointment.seller_id = (
        start,
        end,
        busy_until,
        new_seller,
    )
    appointment.reminded_at = None
    fields = ["start", "end", "busy_until", "seller", "reminded_at", "updated_at"]
    if source == Appointment.Source.BOOKING_PAGE:
        appointment.link_version += 1
        fields.append("link_version")
    try:
        _insert_or_update(appointment, fields=fields)
    except SlotUnavailable as error:
        error.alternatives = _alternatives(tenant=tenant, service=service, after=start, seller_id=new_seller)
        raise
    from agenda.models import ReminderSent

    ReminderSent.objects.filter(appointment=appointment).delete()
    after = {"start": start.isoformat(), "end": end.isoformat(), "seller": new_seller}
    _history(
        tenant=tenant,
        appointment=appointment,
        kind="appointment_rescheduled",
        actor=actor,
        extra={"previous_start": before["start"]},
    )
    from core.audit import diff

    audit_log(action="appointment.reschedule", actor=actor, obj=appointment, changes=diff(before, after))
    _sync_google(tenant, appointment)
    realtime.announce(appointment=appointment, event=realtime.APPOINTMENT_UPDATED, extra_user_ids=[previous_seller])
    return appointment


def _set_status(*, tenant, appointment: Appointment, actor, status: str, allowed: tuple, kind: str, action: str,
                message: str, body: str = "", started_only: bool = False, source: str | None = None,
                reason: str = "") -> Appointment:  # fmt: skip
    check_tenant(tenant)
    appointment = _locked(appointment)
    if appointment.status == status:
        return appointment
    if appointment.status not in allowed:
        raise ApplicationError(message)
    if started_only and appointment.start > timezone.now():
        raise ApplicationError(_("This can only be recorded once the appointment has started."))
    before = appointment.status
    appointment.status = status
    fields = ["status", "updated_at"]
    if status == Appointment.Status.CANCELLED:
        appointment.cancel_reason = reason[:255]
        fields.append("cancel_reason")
        if source == Appointment.Source.BOOKING_PAGE:
            appointment.link_version += 1
            fields.append("link_version")
    appointment.save(update_fields=fields)
    _history(tenant=tenant, appointment=appointment, kind=kind, actor=actor, body=body)
    audit_log(action=action, actor=actor, obj=appointment, changes={"status": {"before": before, "after": status}})
    if status == Appointment.Status.CANCELLED:
        _sync_google(tenant, appointment)
        realtime.announce(appointment=appointment, event=realtime.APPOINTMENT_DELETED)
    else:
        realtime.announce(appointment=appointment, event=realtime.APPOINTMENT_UPDATED)
    return appointment


@transaction.atomic
def appointment_cancel(*, tenant, appointment: Appointment, actor, source: str, reason: str = "") -> Appointment:
    """Cancels an open appointment (its time becomes free again), with an optional reason."""
    _validate_source(source)
    reason = (reason or "").replace("\x00", "").strip()
    return _set_status(
        tenant=tenant,
        appointment=appointment,
        actor=actor,
        status=Appointment.Status.CANCELLED,
        allowed=Appointment.OPEN_STATUSES,
        kind="appointment_cancelled",
        action="appointment.cancel",
        message=_("Only a scheduled or confirmed appointment can be cancelled."),
        body=reason,
        source=source,
        reason=reason,
    )


@transaction.atomic
def appointment_confirm(*, tenant, appointment: Appointment, actor) -> Appointment:
    return _set_status(
        tenant=tenant,
        appointment=appointment,
        actor=actor,
        status=Appointment.Status.CONFIRMED,
        allowed=(Appointment.Status.SCHEDULED,),
        kind="appointment_confirmed",
        action="appointment.confirm",
        message=_("Only a scheduled appointment can be confirmed."),
    )


@transaction.atomic
def appointment_complete(*, tenant, appointment: Appointment, actor) -> Appointment:
    return _set_status(
        tenant=tenant,
        appointment=appointment,
        actor=actor,
        status=Appointment.Status.COMPLETED,
        allowed=Appointment.OPEN_STATUSES,
        kind="appointment_completed",
        action="appointment.complete",
        message=_("Only a scheduled or confirmed appointment can be completed."),
        started_only=True,
    )


@transaction.atomic
def appointment_no_show(*, tenant, appointment: Appointment, actor) -> Appointment:
    return _set_status(
        tenant=tenant,
        appointment=appointment,
        actor=actor,
        status=Appointment.Status.NO_SHOW,
        allowed=Appointment.OPEN_STATUSES,
        kind="appointment_no_show",
        action="appointment.no_show",
        message=_("Only a scheduled or confirmed appointment can be marked as a no-show."),
        started_only=True,
    )


@transaction.atomic
def appointment_set_action_required(*, tenant, appointment: Appointment, actor, value: bool) -> Appointment:
    check_tenant(tenant)
    appointment = _locked(appointment)
    if appointment.action_required == value:
        return appointment
    appointment.action_required = value
    appointment.save(update_fields=["action_required", "updated_at"])
    audit_log(
        action="appointment.flag",
        actor=actor,
        obj=appointment,
        changes={"action_required": {"before": not value, "after": value}},
    )
    realtime.announce(appointment=appointment, event=realtime.APPOINTMENT_UPDATED)
    return appointment
