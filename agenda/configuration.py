"""Agenda configuration writes (owners, and sellers for their own hours): services and who offers them,
working hours, time off, the agenda settings, sellers' Google calendars, and inactivity alerts. Each is
atomic and audited."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from agenda.models import AgendaSettings, SellerCalendar, Service, ServiceSeller, StageAlert, TimeOff, WorkingHours
from agenda.selectors import agenda_settings, selling_members
from core.audit import audit_log, diff
from core.errors import ApplicationError
from core.tenancy import check_tenant

SERVICE_FIELDS = ("name", "duration_minutes", "buffer_minutes", "price", "active", "description")


def _check_seller(tenant, seller_id: int) -> None:
    if seller_id not in selling_members(tenant=tenant):
        raise ApplicationError(_("Choose an active seller or owner of this company."))


@transaction.atomic
def service_save(*, tenant, service: Service, seller_ids: list[int], actor) -> Service:
    """Creates or updates `service` (already validated by its form) and sets who offers it."""
    check_tenant(tenant)
    members = selling_members(tenant=tenant)
    unknown = [seller_id for seller_id in seller_ids if seller_id not in members]
    if unknown:
        raise ApplicationError(_("Choose active sellers or owners of this company."))
    creating = service.pk is None
    before = {}
    if not creating:
        stored = Service.objects.get(pk=service.pk)
        before = {name: getattr(stored, name) for name in SERVICE_FIELDS}
        before["sellers"] = sorted(stored.offered_by.values_list("seller_id", flat=True))
    service.full_clean()
    service.save()
    ServiceSeller.objects.filter(service=service).exclude(seller_id__in=seller_ids).delete()
    existing = set(ServiceSeller.objects.filter(service=service).values_list("seller_id", flat=True))
    ServiceSeller.objects.bulk_create(
        [ServiceSeller(service=service, seller_id=seller_id) for seller_id in set(seller_ids) - existing]
    )
    after = {name: getattr(service, name) for name in SERVICE_FIELDS}
    after["sellers"] = sorted(set(seller_ids))
    audit_log(
        action="service.create" if creating else "service.update", actor=actor, obj=service, changes=diff(before, after)
    )
    return service


@transaction.atomic
def working_hours_set(*, tenant, seller_id: int, week: dict[int, list[tuple]], actor) -> None:
    """Replaces a seller's week: {weekday: [(start time, end time), ...]} (ranges of a day may not overlap)."""
    check_tenant(tenant)
    _check_seller(tenant, seller_id)
    for weekday, ranges in week.items():
        if weekday not in WorkingHours.Weekday.values:
            raise ApplicationError(_("Unknown day of the week."))
        ordered = sorted(ranges)
        if any(end <= start for start, end in ordered) or any(
            ordered[i][1] > ordered[i + 1][0] for i in range(len(ordered) - 1)
        ):
            raise ApplicationError(_("Each range must end after it starts, and ranges of one day must not overlap."))
    before = {
        str(day): ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in sorted(ranges))
        for day, ranges in _week(seller_id).items()
    }
    WorkingHours.objects.filter(seller_id=seller_id).delete()
    WorkingHours.objects.bulk_create(
        [
            WorkingHours(seller_id=seller_id, weekday=weekday, start_time=start, end_time=end)
            for weekday, ranges in week.items()
            for start, end in ranges
        ]
    )
    after = {
        str(day): ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in sorted(ranges)) for day, ranges in week.items() if ranges
    }
    audit_log(
        action="hours.set",
        actor=actor,
        object_type="agenda.workinghours",
        object_id=str(seller_id),
        object_repr=selling_members(tenant=tenant).get(seller_id, "")[:255],
        changes=diff(before, after)
        | {day: {"before": value, "after": None} for day, value in before.items() if day not in after},
    )


def _week(seller_id: int) -> dict[int, list[tuple]]:
    week: dict[int, list[tuple]] = {}
    for weekday, start, end in WorkingHours.objects.filter(seller_id=seller_id).values_list(
        "weekday", "start_time", "end_time"
    ):
        week.setdefault(weekday, []).append((start, end))
    return week


@transaction.atomic
def time_off_add(*, tenant, seller_id: int, start_date, end_date, reason: str, actor) -> TimeOff:
    check_tenant(tenant)
    _check_seller(tenant, seller_id)
    if end_date < start_date:
        raise ApplicationError(_("The end date must be on or after the start date."))
    time_off = TimeOff.objects.create(
        seller_id=seller_id, start_date=start_date, end_date=end_date, reason=(reason or "")[:160]
    )
    audit_log(
        action="time_off.add",
        actor=actor,
        obj=time_off,
        changes={
            "dates": {"before": None, "after": f"{start_date}–{end_date}"},
            "seller": {"before": None, "after": seller_id},
        },
    )
    return time_off


@transaction.atomic
def time_off_delete(*, tenant, time_off: TimeOff, actor) -> None:
    check_tenant(tenant)
    audit_log(action="time_off.delete", actor=actor, obj=time_off)
    time_off.delete()


@transaction.atomic
def agenda_settings_update(*, tenant, actor, **values) -> AgendaSettings:
    check_tenant(tenant)
    row = agenda_settings()
    allowed = {"booking_page_enabled", "slot_minutes", "min_notice_minutes", "max_horizon_days"}
    unknown = set(values) - allowed
    if unknown:
        raise ApplicationError(f"Unknown agenda settings: {', '.join(sorted(unknown))}")
    before = {name: getattr(row, name) for name in values}
    for name, value in values.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()
    changes = diff(before, values)
    if changes:
        audit_log(action="agenda.settings", actor=actor, obj=row, changes=changes)
    return row


@transaction.atomic
def seller_calendar_set(*, tenant, seller_id: int, google_calendar_id: str, actor) -> None:
    check_tenant(tenant)
    _check_seller(tenant, seller_id)
    google_calendar_id = (google_calendar_id or "").replace("\x00", "").strip()[:255]
    row, _created = SellerCalendar.objects.get_or_create(seller_id=seller_id)
    if row.google_calendar_id == google_calendar_id:
        return
    before = row.google_calendar_id
    row.google_calendar_id = google_calendar_id
    row.save(update_fields=["google_calendar_id"])
    audit_log(
        action="agenda.calendar",
        actor=actor,
        obj=row,
        object_repr=selling_members(tenant=tenant).get(seller_id, ""),
        changes={"google_calendar_id": {"before": before, "after": google_calendar_id}},
    )


@transaction.atomic
def stage_alert_set(*, tenant, stage, days: int | None, actor) -> None:
    """ "Alert after `days` days without contact" for the leads of `stage`; None or 0 turns it off."""
    check_tenant(tenant)
    if days is not None and not 0 <= days <= 3650:
        raise ApplicationError(_("Choose between 1 and 3,650 days, or leave it empty."))
    current = StageAlert.objects.filter(stage=stage).first()
    before = current.days if current else None
    if not days:
        if current:
            current.delete()
    elif current:
        current.days = days
        current.save(update_fields=["days"])
    else:
        StageAlert.objects.create(stage=stage, days=days)
    after = days or None
    if before != after:
        audit_log(
            action="stage_alert.set",
            actor=actor,
            object_type="crm.stage",
            object_id=str(stage.pk),
            object_repr=str(stage),
            changes={"days": {"before": before, "after": after}},
        )
