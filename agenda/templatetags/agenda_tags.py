"""Agenda template tags: dates stored as ISO text in history entries, and the agenda's blocks that CRM
pages include (dashboard tasks and alerts, a lead's appointments and tasks, the analytics figures)."""

from __future__ import annotations

from datetime import datetime

from django import template

register = template.Library()


@register.filter
def iso_datetime(value):
    """An ISO 8601 text (as history entries store it) as a datetime; anything else as given."""
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def _membership(context):
    request = context.get("request")
    return request, getattr(request, "membership", None)


@register.inclusion_tag("agenda/partials/_dashboard.html", takes_context=True)
def agenda_dashboard(context):
    """The dashboard's agenda block: my tasks (overdue, today, upcoming) and leads past their stage's
    inactivity alert (owners: everyone's; sellers: their own). Nothing for other roles."""
    from agenda.selectors import inactive_leads, my_tasks, zone_of

    request, membership = _membership(context)
    if membership is None or membership.role not in ("owner", "seller"):
        return {"show": False}
    return {
        "show": True,
        "request": request,
        "tasks": my_tasks(user_id=membership.user_id, zone=zone_of(request.tenant)),
        "inactive": inactive_leads(membership=membership),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("agenda/partials/_lead_panel.html", takes_context=True)
def agenda_lead_panel(context, lead):
    """A lead's appointments and tasks on its page, with links to book and to add a task."""
    from agenda.selectors import lead_appointments, lead_tasks

    request, membership = _membership(context)
    if membership is None or membership.role not in ("owner", "seller"):
        return {"show": False}
    return {
        "show": True,
        "request": request,
        "lead": lead,
        "appointments": lead_appointments(lead=lead)[-10:],
        "tasks": lead_tasks(lead=lead)[:20],
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("agenda/partials/_analytics.html", takes_context=True)
def agenda_analytics(context, report, seller_id=None):
    """Appointments per seller over the analytics page's range: how many, completion and no-show rates."""
    from agenda.selectors import appointment_report

    request, _membership_unused = _membership(context)
    if report is None:
        return {"rows": None}
    seller_id = seller_id if isinstance(seller_id, int) else None
    return {
        "rows": appointment_report(
            tenant=request.tenant, date_from=report.date_from, date_to=report.date_to, seller_id=seller_id
        )
    }


@register.inclusion_tag("agenda/partials/_settings_status.html", takes_context=True)
def agenda_settings_status(context):
    """The company Settings page's agenda card: the calendar provider's health (Google errors, appointments
    not copied) and a link to the agenda settings."""
    from agenda.models import Appointment
    from agenda.selectors import agenda_settings

    request, _membership_unused = _membership(context)
    return {
        "provider": request.tenant.calendar_provider,
        "settings": agenda_settings(),
        "failed_syncs": Appointment.objects.filter(sync_state=Appointment.SyncState.FAILED).count(),
    }
