"""Agenda writes: book, confirm, complete, mark a no-show, cancel and reschedule appointments, and follow-up
tasks. Staff pages, the public booking page and the AI agent's tools all call these functions.

Each is atomic, audited, written to the lead's history with who did it (a person, the AI agent, or the
lead through the booking page: pass a User or a core.actors.Actor as `actor`), announced live to the
company's open calendars after commit, and mirrored to Google when the company uses it. Double booking is
refused by PostgreSQL itself (agenda.models.Appointment's exclusion constraint): of two bookings of one
slot at the same instant exactly one succeeds, the other gets SlotUnavailable with the next free slots.
"""

from agenda.services.appointments import (
    SlotUnavailable,
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_confirm,
    appointment_no_show,
    appointment_reschedule,
    appointment_set_action_required,
)
from agenda.services.tasks import task_create, task_set_done

__all__ = [
    "SlotUnavailable",
    "appointment_book",
    "appointment_cancel",
    "appointment_complete",
    "appointment_confirm",
    "appointment_no_show",
    "appointment_reschedule",
    "appointment_set_action_required",
    "task_create",
    "task_set_done",
]
