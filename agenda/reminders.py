"""Reminders, run from beat every minute in every company (agenda.tasks.agenda_reminders_task):

- a task falling due notifies its assignee (in-app, live, once);
- 30 minutes before an appointment its seller is notified (in-app, live, once);
- other apps send the lead a message before an appointment through `register_lead_reminder`.

The hook for other apps (chats sends a WhatsApp reminder; marketing may too). Call it from your
AppConfig.ready():

    from datetime import timedelta
    from agenda.reminders import register_lead_reminder

    register_lead_reminder("chats.whatsapp_24h", send_whatsapp_reminder, before=timedelta(hours=24))

`fn(tenant, appointment)` is then called once per appointment (never twice, even across beat runs and
workers: a row in agenda.ReminderSent records it), inside the company's schema, once the appointment
starts within `before`, while it is scheduled or confirmed and has not started. An exception in one hook
is logged and does not stop the others; the hook runs again on the next beat for that appointment.
A rescheduled appointment gets its reminders again for its new time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

logger = logging.getLogger(__name__)

SELLER_REMINDER_BEFORE = timedelta(minutes=30)


@dataclass(frozen=True)
class LeadReminder:
    key: str
    fn: Callable
    before: timedelta


_lead_reminders: dict[str, LeadReminder] = {}


def register_lead_reminder(key: str, fn: Callable, *, before: timedelta) -> None:
    """Registers `fn(tenant, appointment)` to be called once per appointment `before` its start. `key`
    names the hook (e.g. "chats.whatsapp_24h"); registering the same key again replaces it."""
    if not key or len(key) > 100:
        raise ValueError("a reminder key is 1 to 100 characters")
    _lead_reminders[key] = LeadReminder(key, fn, before)


def unregister_lead_reminder(key: str) -> None:
    _lead_reminders.pop(key, None)


def lead_reminders() -> list[LeadReminder]:
    return list(_lead_reminders.values())


def _notify(**kwargs) -> int:
    from core.notifications import notify

    return notify(**kwargs)


def _user_language(user_id: int, tenant) -> str:
    from tenants.models import User

    language = User.objects.filter(pk=user_id).values_list("language", flat=True).first()
    return language or tenant.language or "es"


def remind_due_tasks(*, tenant, now=None) -> int:
    """Notifies the assignee of each open task now due (once). Returns how many were notified."""
    from agenda.models import Task

    now = now or timezone.now()
    count = 0
    due = Task.objects.filter(done=False, reminded_at__isnull=True, due_at__lte=now, assignee__isnull=False)
    for task in due.select_related("lead")[:500]:
        with transaction.atomic():
            claimed = Task.objects.filter(pk=task.pk, reminded_at__isnull=True).update(reminded_at=now)
            if not claimed:
                continue
            with override(_user_language(task.assignee_id, tenant)):
                text = _("Task due: %(title)s (%(lead)s)") % {"title": task.title, "lead": task.lead}
            count += _notify(
                tenant=tenant,
                user_ids=[task.assignee_id],
                kind="agenda.task_due",
                text=text,
                url=f"/leads/{task.lead_id}/",
                dedupe_key=f"agenda.task_due:{task.pk}:{task.due_at.isoformat()}",
            )
    return count


def remind_sellers(*, tenant, now=None) -> int:
    """Notifies each seller 30 minutes before their appointments (once per appointment and time)."""
    from agenda.models import Appointment
    from agenda.selectors import zone_of

    now = now or timezone.now()
    zone = zone_of(tenant)
    count = 0
    upcoming = Appointment.objects.filter(
        status__in=Appointment.OPEN_STATUSES,
        reminded_at__isnull=True,
        start__gt=now,
        start__lte=now + SELLER_REMINDER_BEFORE,
    ).select_related("lead", "service")
    for appointment in upcoming[:500]:
        with transaction.atomic():
            claimed = Appointment.objects.filter(pk=appointment.pk, reminded_at__isnull=True).update(reminded_at=now)
            if not claimed:
                continue
            with override(_user_language(appointment.seller_id, tenant)):
                text = _("At %(time)s: %(service)s with %(lead)s") % {
                    "time": appointment.start.astimezone(zone).strftime("%H:%M"),
                    "service": appointment.service.name,
                    "lead": appointment.lead,
                }
            count += _notify(
                tenant=tenant,
                user_ids=[appointment.seller_id],
                kind="agenda.appointment_soon",
                text=text,
                url=f"/agenda/?date={appointment.start.astimezone(zone).date().isoformat()}",
                dedupe_key=f"agenda.appointment_soon:{appointment.pk}:{appointment.start.isoformat()}",
            )
    return count


def run_lead_reminders(*, tenant, now=None) -> int:
    """Calls each registered lead reminder once for each appointment that has come within its reach."""
    from agenda.models import Appointment, ReminderSent

    now = now or timezone.now()
    calls = 0
    for reminder in lead_reminders():
        due = (
            Appointment.objects.filter(
                status__in=Appointment.OPEN_STATUSES, start__gt=now, start__lte=now + reminder.before
            )
            .exclude(pk__in=ReminderSent.objects.filter(key=reminder.key).values("appointment_id"))
            .select_related("lead", "service")
        )
        for appointment in due[:500]:
            try:
                with transaction.atomic():
                    ReminderSent.objects.create(appointment=appointment, key=reminder.key)
                    reminder.fn(tenant, appointment)
                calls += 1
            except IntegrityError:
                continue  # another worker sent it
            except Exception:
                logger.exception("lead reminder failed", extra={"key": reminder.key, "appointment": appointment.pk})
    return calls


def alert_inactive_leads(*, tenant, now=None) -> int:
    """Notifies each lead's seller once per breach of its stage's "alert after N days without contact"
    (a breach is the lead, the stage and the last contact: a new contact or a stage change starts over)."""
    from datetime import timedelta as days_delta

    from django.db.models import Q

    from agenda.models import StageAlert
    from crm.models import Lead

    now = now or timezone.now()
    count = 0
    for alert in StageAlert.objects.select_related("stage"):
        threshold = now - days_delta(days=alert.days)
        leads = Lead.objects.filter(stage=alert.stage, seller__isnull=False).filter(
            Q(last_contact_at__lt=threshold) | Q(last_contact_at__isnull=True, created_at__lt=threshold)
        )
        for lead in leads.only("pk", "first_name", "last_name", "phone", "seller_id", "last_contact_at", "created_at")[
            :1000
        ]:
            contact = lead.last_contact_at or lead.created_at
            with override(_user_language(lead.seller_id, tenant)):
                text = _("%(lead)s: no contact for %(days)s days in %(stage)s") % {
                    "lead": lead,
                    "days": (now - contact).days,
                    "stage": alert.stage.display_name,
                }
            count += _notify(
                tenant=tenant,
                user_ids=[lead.seller_id],
                kind="agenda.inactive_lead",
                text=text,
                url=f"/leads/{lead.pk}/",
                dedupe_key=f"agenda.inactive:{lead.pk}:{alert.stage_id}:{contact.isoformat()}",
            )
    return count
