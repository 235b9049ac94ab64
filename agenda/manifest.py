"""What the agenda contributes to the shared parts (see core.registry): the calendar in the sidebar, the
audit actions it records, the entries it writes to a lead's history and its in-app notifications."""

from django.utils.translation import gettext_lazy as _

from core.registry import NotificationKind, SidebarEntry, TimelineKind
from tenants.models import Role

SIDEBAR = [SidebarEntry("agenda:calendar", _("Agenda"), "calendar", (Role.OWNER, Role.SELLER), order=40)]

AUDIT_LABELS = {
    "appointment.book": _("Appointment booked"),
    "appointment.reschedule": _("Appointment moved"),
    "appointment.cancel": _("Appointment cancelled"),
    "appointment.confirm": _("Appointment confirmed"),
    "appointment.complete": _("Appointment completed"),
    "appointment.no_show": _("Appointment marked as no-show"),
    "appointment.flag": _("Appointment flag changed"),
    "service.create": _("Service added"),
    "service.update": _("Service edited"),
    "hours.set": _("Working hours changed"),
    "time_off.add": _("Time off added"),
    "time_off.delete": _("Time off removed"),
    "agenda.settings": _("Agenda settings changed"),
    "agenda.calendar": _("Seller calendar changed"),
    "stage_alert.set": _("Inactivity alert changed"),
    "task.create": _("Task created"),
    "task.done": _("Task done"),
    "task.reopen": _("Task reopened"),
}

_APPOINTMENT = "agenda/timeline/_appointment.html"
_TASK = "agenda/timeline/_task.html"

TIMELINE_KINDS = [
    TimelineKind("appointment_booked", _("Appointment booked"), _APPOINTMENT),
    TimelineKind("appointment_rescheduled", _("Appointment moved"), _APPOINTMENT),
    TimelineKind("appointment_cancelled", _("Appointment cancelled"), _APPOINTMENT),
    TimelineKind("appointment_confirmed", _("Appointment confirmed"), _APPOINTMENT),
    TimelineKind("appointment_completed", _("Appointment completed"), _APPOINTMENT),
    TimelineKind("appointment_no_show", _("No-show"), _APPOINTMENT),
    TimelineKind("task_created", _("Task"), _TASK),
    TimelineKind("task_done", _("Task done"), _TASK),
]

NOTIFICATION_KINDS = [
    NotificationKind("agenda.task_due", _("Task due"), sound=True),
    NotificationKind("agenda.appointment_soon", _("Appointment in 30 minutes"), sound=True),
    NotificationKind("agenda.inactive_lead", _("Lead without contact")),
    NotificationKind("agenda.booked_online", _("Booked on the booking page")),
]
