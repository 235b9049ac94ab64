"""Agenda models (tenant schema): services, sellers' hours and time off, appointments, mirrored Google busy
blocks, follow-up tasks, the company's agenda settings and the pipeline's inactivity alerts.

Every instant is a timestamptz; wall-clock times (working hours) are read in the company's time zone.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import BigIntegerRangeField, DateTimeRangeField, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q, Value
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import TimeStampedModel, user_reference
from crm.models import Lead, Stage


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class Int8Range(Func):
    function = "INT8RANGE"
    output_field = BigIntegerRangeField()


class Service(TimeStampedModel):
    """Something a lead books: a first visit, a demo. Sellers offering it are listed in `sellers`."""

    name = models.CharField(_("name"), max_length=120)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), default=30, validators=[MinValueValidator(5), MaxValueValidator(12 * 60)]
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        _("buffer after (minutes)"), default=0, validators=[MaxValueValidator(4 * 60)]
    )
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, default=0)
    active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description shown to leads"), blank=True, max_length=2000)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.name

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    @property
    def buffer(self) -> timedelta:
        return timedelta(minutes=self.buffer_minutes)


class ServiceSeller(models.Model):
    """A seller (or owner) who offers a service."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="offered_by")
    seller = user_reference(blank=False, verbose_name=_("seller"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "seller"], name="agenda_service_seller_unique")]
        verbose_name = _("seller of a service")
        verbose_name_plural = _("sellers of services")

    def __str__(self) -> str:
        return f"{self.service_id}:{self.seller_id}"


class WorkingHours(models.Model):
    """One range of a seller's week, in the company's time zone: Monday 09:00-13:00. Several per day."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    seller = user_reference(blank=False, verbose_name=_("seller"))
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("to"))

    class Meta:
        ordering = ["seller_id", "weekday", "start_time"]
        indexes = [models.Index(fields=["seller", "weekday"], name="agenda_hours_seller_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="agenda_hours_end_after_start")
        ]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class TimeOff(TimeStampedModel):
    """Whole days (in the company's time zone) a seller does not work, from `start_date` to `end_date`."""

    seller = user_reference(blank=False, verbose_name=_("seller"))
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to (included)"))
    reason = models.CharField(_("reason"), max_length=160, blank=True)

    class Meta:
        ordering = ["start_date", "id"]
        indexes = [models.Index(fields=["seller", "start_date", "end_date"], name="agenda_timeoff_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="agenda_timeoff_end_after_start")
        ]
        verbose_name = _("time off")
        verbose_name_plural = _("time off")

    def __str__(self) -> str:
        return f"{self.start_date}–{self.end_date} {self.reason}"


class Appointment(TimeStampedModel):
    """A lead's appointment with a seller. Written only by agenda.services.

    `busy_until` is `end` plus the service's buffer: the seller is busy over [start, busy_until). PostgreSQL
    itself refuses two live (not cancelled) appointments of one seller whose busy ranges overlap: a GiST
    exclusion constraint over the seller and the time range. The seller's equality is written as the
    overlap of one-point int8 ranges, which GiST indexes natively, so the constraint needs no extension
    (the embedded PostgreSQL ships without btree_gist; `seller_id WITH =` would need it)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CONFIRMED = "confirmed", _("Confirmed")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")

    class Source(models.TextChoices):
        STAFF = "staff", _("Staff")
        AGENT = "agent", _("AI agent")
        BOOKING_PAGE = "booking_page", _("Booking page")

    class SyncState(models.TextChoices):
        NONE = "", pgettext_lazy("sync state", "Not synced")
        PENDING = "pending", pgettext_lazy("sync state", "Waiting")
        SYNCED = "synced", pgettext_lazy("sync state", "Synced")
        FAILED = "failed", pgettext_lazy("sync state", "Failed")

    OPEN_STATUSES = (Status.SCHEDULED, Status.CONFIRMED)

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="appointments", verbose_name=_("lead"))
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("service")
    )
    seller = user_reference(blank=False, verbose_name=_("seller"))
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    busy_until = models.DateTimeField(_("busy until"), editable=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.STAFF)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    action_required = models.BooleanField(_("action required"), default=False)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=255, blank=True)
    created_by = user_reference(verbose_name=_("created by"))
    # An optional related object (a quote or an order once sales documents exist): "crm.salesdocument", 12.
    related_type = models.CharField(_("related object type"), max_length=64, blank=True)
    related_id = models.CharField(_("related object id"), max_length=64, blank=True)
    # Bumped by every change made through a lead's signed link, so an older link cannot be replayed.
    link_version = models.PositiveIntegerField(default=0, editable=False)
    # Google Calendar mirror of this appointment (agenda.tasks.appointment_google_sync).
    google_event_id = models.CharField(max_length=128, blank=True, editable=False)
    google_calendar_id = models.CharField(max_length=255, blank=True, editable=False)
    sync_state = models.CharField(
        _("Google sync"), max_length=8, choices=SyncState.choices, blank=True, default=SyncState.NONE
    )
    sync_error = models.CharField(_("Google sync error"), max_length=255, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The times the Google event has now (what free/busy reports for it, so it is not read back as busy).
    synced_start = models.DateTimeField(null=True, blank=True, editable=False)
    synced_end = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["seller", "start"], name="agenda_appt_seller_start_idx"),
            models.Index(fields=["start"], name="agenda_appt_start_idx"),
            models.Index(fields=["lead", "start"], name="agenda_appt_lead_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="agenda_appt_end_after_start"),
            models.CheckConstraint(condition=Q(busy_until__gte=F("end")), name="agenda_appt_busy_after_end"),
            ExclusionConstraint(
                name="agenda_appt_no_double_booking",
                expressions=[
                    (Int8Range(F("seller_id"), F("seller_id"), Value("[]")), RangeOperators.OVERLAPS),
                    (TsTzRange(F("start"), F("busy_until"), Value("[)")), RangeOperators.OVERLAPS),
                ],
                condition=~Q(status="cancelled"),
            ),
        ]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")

    def __str__(self) -> str:
        return f"{self.service} · {self.lead} · {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class BusyBlock(models.Model):
    """A time a seller is busy elsewhere, mirrored from their Google calendar's free/busy answer."""

    seller = user_reference(blank=False)
    start = models.DateTimeField()
    end = models.DateTimeField()
    fetched_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["seller", "start", "end"], name="agenda_busy_seller_idx")]
        verbose_name = _("busy block")
        verbose_name_plural = _("busy blocks")

    def __str__(self) -> str:
        return f"{self.seller_id} {self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M}"


class SellerCalendar(models.Model):
    """A seller's Google calendar id (for the company's `google` calendar provider)."""

    seller = user_reference(blank=False)
    google_calendar_id = models.CharField(_("Google calendar id"), max_length=255, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["seller"], name="agenda_seller_calendar_unique")]
        verbose_name = _("seller calendar")
        verbose_name_plural = _("seller calendars")

    def __str__(self) -> str:
        return self.google_calendar_id


class AgendaSettings(models.Model):
    """One row per company: booking rules, the public booking page switch, and Google's sync health."""

    slot_minutes = models.PositiveSmallIntegerField(
        _("slot step (minutes)"), default=30, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    min_notice_minutes = models.PositiveIntegerField(
        _("minimum notice (minutes)"), default=120, validators=[MaxValueValidator(60 * 24 * 30)]
    )
    max_horizon_days = models.PositiveSmallIntegerField(
        _("bookable up to (days ahead)"), default=60, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    booking_page_enabled = models.BooleanField(_("public booking page"), default=True)
    google_error = models.CharField(max_length=255, blank=True, editable=False)
    google_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    google_ok_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("agenda settings")
        verbose_name_plural = _("agenda settings")

    def __str__(self) -> str:
        return str(_("agenda settings"))

    @property
    def min_notice(self) -> timedelta:
        return timedelta(minutes=self.min_notice_minutes)

    @property
    def max_horizon(self) -> timedelta:
        return timedelta(days=self.max_horizon_days)


class Task(TimeStampedModel):
    """A follow-up on a lead: call back, send the quote. Due at a time, assigned to someone."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("lead"))
    title = models.CharField(_("title"), max_length=160)
    due_at = models.DateTimeField(_("due"))
    assignee = user_reference(verbose_name=_("assignee"))
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = user_reference(verbose_name=_("created by"))
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["assignee", "done", "due_at"], name="agenda_task_assignee_idx"),
            models.Index(fields=["done", "due_at"], name="agenda_task_due_idx"),
        ]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")

    def __str__(self) -> str:
        return self.title


class StageAlert(models.Model):
    """ "Alert after N days without contact" for the leads of one pipeline stage."""

    stage = models.OneToOneField(Stage, on_delete=models.CASCADE, related_name="inactivity_alert")
    days = models.PositiveSmallIntegerField(_("days without contact"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("inactivity alert")
        verbose_name_plural = _("inactivity alerts")

    def __str__(self) -> str:
        return f"{self.stage}: {self.days}"


class ReminderSent(models.Model):
    """One reminder hook run for one appointment (see agenda.reminders): never twice."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["appointment", "key"], name="agenda_reminder_once")]

    def __str__(self) -> str:
        return f"{self.appointment_id} {self.key}"
